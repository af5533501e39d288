"""What the repository tells its users must be true of it.

A newcomer reads the README, copies its commands, cites the dataset from CITATION.cff and trusts
the CI badges; these tests fail when any of those drifts from the repository: a version or date
that disagrees, a workflow GitHub would reject, a README command that CI does not run, a link to
a missing file, a table, API call, CLI command or make target the README names but that does not
exist.
"""

from __future__ import annotations

import csv
import json
import os
import re
import runpy
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from ca_militancy.core.catalog import catalog

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
CI_RUN = ROOT / ".ci" / "run"
WORKFLOWS = ROOT / ".github" / "workflows"
DOCS_WITH_LINKS = ["README.md", "CONTRIBUTING.md"]

# The README's two set-up commands stand between these markers (in a fenced block), so that
# tests can read them: setup:build and setup:test.
SETUP_BLOCK = re.compile(
    r"<!-- setup:(?P<name>[a-z]+):start -->\s*```[a-z]*\n(?P<body>.*?)\n```\s*"
    r"<!-- setup:(?P=name):end -->",
    re.S,
)
CHANGELOG_RELEASE = re.compile(
    r"^## \[(?P<version>[^\]]+)\] - (?P<date>\d{4}-\d{2}-\d{2})\s*$", re.M
)
MARKDOWN_LINK = re.compile(r"!?\[[^\]]*\]\((?P<target>[^)\s]+)\)")


def dataset_version() -> str:
    return runpy.run_path(str(ROOT / "src" / "ca_militancy" / "__about__.py"))["__version__"]


def read_yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def workflow_triggers(workflow: dict) -> dict:
    """PyYAML reads the key `on` as the boolean True (YAML 1.1)."""
    return workflow.get("on", workflow.get(True))


def check_jsonschema(builtin: str, *files: Path, filetype: str | None = None) -> None:
    cmd = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", builtin]
    if filetype:
        cmd += ["--force-filetype", filetype]
    result = subprocess.run([*cmd, *map(str, files)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{' '.join(cmd)} failed:\n{result.stdout}{result.stderr}"


def setup_commands() -> dict[str, str]:
    commands = {}
    for match in SETUP_BLOCK.finditer(README.read_text(encoding="utf-8")):
        lines = [line for line in match["body"].splitlines() if line.strip()]
        assert len(lines) == 1, f"README setup:{match['name']} must be one command line: {lines}"
        commands[match["name"]] = lines[0].strip()
    return commands


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


# --- CITATION.cff ---------------------------------------------------------------------------


def test_citation_cff_is_valid_citation_file_format():
    check_jsonschema("vendor.citation-file-format", ROOT / "CITATION.cff", filetype="yaml")


def test_citation_version_is_the_dataset_version():
    citation = read_yaml(ROOT / "CITATION.cff")
    assert citation["type"] == "dataset"
    assert str(citation["version"]) == dataset_version(), (
        "CITATION.cff version differs from src/ca_militancy/__about__.py"
    )


def test_citation_date_is_the_changelog_release_date():
    """date-released is the date of this version's entry in CHANGELOG.md. Once the version is
    released (its manifest is kept in releases/), that entry must exist."""
    version = dataset_version()
    released = {
        m["version"]: m["date"]
        for m in CHANGELOG_RELEASE.finditer((ROOT / "CHANGELOG.md").read_text(encoding="utf-8"))
    }
    if version not in released:
        assert not (ROOT / "releases" / f"{version}.json").exists(), (
            f"releases/{version}.json exists, but CHANGELOG.md has no '## [{version}] - <date>'"
        )
        pytest.skip(f"version {version} is not released yet: CHANGELOG.md has no entry for it")
    citation = read_yaml(ROOT / "CITATION.cff")
    assert str(citation["date-released"]) == released[version], (
        f"CITATION.cff date-released {citation['date-released']} differs from the CHANGELOG.md "
        f"date of {version}: {released[version]}"
    )


def test_licenses_agree_everywhere():
    """Code MIT (LICENSE, pyproject), data CC-BY-4.0 (LICENSE-DATA, CITATION.cff, datapackage)."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    data_license = (ROOT / "LICENSE-DATA").read_text(encoding="utf-8")
    assert "SPDX-License-Identifier: CC-BY-4.0" in data_license
    assert "https://creativecommons.org/licenses/by/4.0/legalcode" in data_license
    assert read_yaml(ROOT / "CITATION.cff")["license"] == "CC-BY-4.0"
    descriptor = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
    assert "CC-BY-4.0" in [lic.get("name") for lic in descriptor["licenses"]]


# --- GitHub workflows -----------------------------------------------------------------------


def test_workflows_validate_against_the_github_workflow_schema():
    check_jsonschema("vendor.github-workflows", WORKFLOWS / "ci.yml", WORKFLOWS / "release.yml")


def test_ci_workflow_builds_validates_and_tests_on_every_supported_python():
    workflow = read_yaml(WORKFLOWS / "ci.yml")
    assert {"push", "pull_request"} <= set(workflow_triggers(workflow))
    (job,) = workflow["jobs"].values()
    pythons = job["strategy"]["matrix"]["python-version"]
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "requires-python"
    ]
    assert requires == f">={pythons[0]}", "the matrix must start at the oldest supported Python"
    assert pythons == ["3.11", "3.12", "3.13"]
    runs = "\n".join(step.get("run", "") for step in job["steps"])
    for needed in (
        "-c constraints.txt",
        "scripts/build.py",
        "frictionless validate datapackage.json",
        "-m pytest",
    ):
        assert needed in runs, f"ci.yml does not run {needed!r}"


def test_release_workflow_checks_the_tag_and_publishes_dist():
    workflow = read_yaml(WORKFLOWS / "release.yml")
    assert workflow_triggers(workflow) == {"push": {"tags": ["v*"]}}
    (job,) = workflow["jobs"].values()
    runs = "\n".join(step.get("run", "") for step in job["steps"])
    assert "__about__.py" in runs and "GITHUB_REF_NAME" in runs
    assert "scripts/build.py" in runs
    publish = [s for s in job["steps"] if "action-gh-release" in s.get("uses", "")]
    assert publish, "release.yml has no softprops/action-gh-release step"
    published = publish[0]["with"]["files"].split()
    assert "dist/*" in published
    subdirs = sorted(p.name for p in (ROOT / "dist").glob("*/")) if (ROOT / "dist").is_dir() else []
    for sub in subdirs:  # the action uploads files, not folders: each folder needs its glob
        assert f"dist/{sub}/*" in published, f"release.yml does not publish dist/{sub}/"


# --- README and .ci/run ---------------------------------------------------------------------


def test_readme_setup_commands_are_exactly_what_ci_runs():
    commands = setup_commands()
    assert set(commands) == {"build", "test"}
    ci_run = CI_RUN.read_text(encoding="utf-8")
    for name, command in commands.items():
        assert command in ci_run, f"the README's {name} command is not in .ci/run:\n{command}"
    assert "-c constraints.txt" in commands["build"] and "scripts/build.py" in commands["build"]
    assert "CA_MILITANCY_SOURCES=" in commands["test"] and "-m pytest" in commands["test"]
    assert (ROOT / "constraints.txt").is_file()


def test_readme_test_command_runs_the_slow_tests_too():
    """The README's test command is plain `pytest`: pyproject must not deselect slow tests."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    options = pyproject["tool"]["pytest"]["ini_options"]
    assert "slow" in " ".join(options.get("markers", []))
    assert "not slow" not in str(options.get("addopts", ""))


@pytest.mark.parametrize("doc", DOCS_WITH_LINKS)
def test_every_local_link_points_at_an_existing_file(doc):
    missing = []
    for match in MARKDOWN_LINK.finditer((ROOT / doc).read_text(encoding="utf-8")):
        target = match["target"]
        if re.match(r"[a-z]+:", target):  # https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        file = (ROOT / doc).parent / path if path else ROOT / doc
        if not file.exists():
            missing.append(target)
        elif anchor and file.suffix == ".md":
            headings = re.findall(r"^#+ (.+)$", file.read_text(encoding="utf-8"), re.M)
            if anchor not in {github_anchor(h) for h in headings}:
                missing.append(target)
    assert not missing, f"{doc} links to missing files or headings: {missing}"


def test_readme_describes_every_table():
    readme = README.read_text(encoding="utf-8")
    diagram = re.search(r"```mermaid\n(.*?)```", readme, re.S)
    assert diagram and diagram[1].lstrip().startswith("erDiagram")
    in_diagram = set(re.findall(r"\b[a-z_]+\b", diagram[1]))
    listed = set(re.findall(r"^\| `([a-z_]+)` \|", readme, re.M))
    tables = set(catalog(ROOT).names)
    assert tables - listed == set(), "tables missing from the README's table list"
    assert listed - tables == set(), "the README lists tables that have no schema"
    assert tables - in_diagram == set(), "tables missing from the README's diagram"


def test_readme_citation_example_names_the_current_version():
    versions = re.findall(r"\(Version (\d+\.\d+\.\d+)\)", README.read_text(encoding="utf-8"))
    assert versions == [dataset_version()]


def test_readme_python_api_calls_exist():
    import ca_militancy

    names = set(re.findall(r"\bcam\.([a-z_]+)\b", README.read_text(encoding="utf-8")))
    missing = sorted(n for n in names if not hasattr(ca_militancy, n))
    assert not missing, f"the README shows ca_militancy calls that do not exist: {missing}"


def test_readme_cli_commands_exist():
    used = set(re.findall(r"^ca-militancy ([a-z]+)", README.read_text(encoding="utf-8"), re.M))
    assert used, "the README shows no ca-militancy command"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), *sys.path])}
    result = subprocess.run(
        [sys.executable, "-m", "ca_militancy", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    missing = sorted(c for c in used if not re.search(rf"\b{c}\b", result.stdout))
    assert not missing, f"the README shows commands the CLI does not have: {missing}"


def test_readme_make_targets_exist():
    text = README.read_text(encoding="utf-8") + (ROOT / "CONTRIBUTING.md").read_text(
        encoding="utf-8"
    )
    used = set(re.findall(r"`make ([a-z-]+)", text))
    defined = set(re.findall(r"^([a-z][a-z-]*):", (ROOT / "Makefile").read_text(), re.M))
    assert used and used <= defined, f"make targets named but not defined: {used - defined}"


def test_readme_example_ids_exist_in_the_data():
    """An id shown in a README example must name a record (ids are derived from each table's
    primary-key pattern, so a renamed record makes this fail instead of a user's command)."""
    prefixes = {}
    for table in catalog(ROOT).names:
        (key,) = catalog(ROOT)[table].primary_key
        field = next(f for f in catalog(ROOT)[table].fields if f["name"] == key)
        prefix = re.match(r"\^([a-z]+-)", field["constraints"]["pattern"])[1]
        prefixes[prefix] = (table, key)
    code = "\n".join(re.findall(r"```[a-z]*\n(.*?)```", README.read_text(encoding="utf-8"), re.S))
    shown = re.findall(rf"\b((?:{'|'.join(prefixes)})[a-z0-9]+(?:-[a-z0-9]+)*)\b", code)
    assert shown, "the README's examples show no record id"
    missing = []
    for record_id in shown:
        table, key = prefixes[record_id[: record_id.index("-") + 1]]
        with open(ROOT / "data" / f"{table}.csv", encoding="utf-8", newline="") as fh:
            if record_id not in {row[key] for row in csv.DictReader(fh)}:
                missing.append(f"{table}.{record_id}")
    assert not missing, f"README examples name records that do not exist: {missing}"


def test_readme_python_quick_start_runs(tmp_path):
    """The quick start, run as a user would paste it (from outside the tree, on this checkout)."""
    snippet = re.search(
        r"<!-- quickstart:start -->\s*```python\n(.*?)```\s*<!-- quickstart:end -->",
        README.read_text(encoding="utf-8"),
        re.S,
    )
    assert snippet, "README has no quickstart block"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), *sys.path])}
    result = subprocess.run(
        [sys.executable, "-c", snippet[1]],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 0, f"the README quick start fails:\n{result.stderr}"
    assert "incident_id" in result.stdout and "datetime64" in result.stdout


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=["check", "format"])
def test_ruff_is_clean(command):
    """The code (and the README's Python examples) pass `ruff check` and `ruff format --check`
    with the configuration in pyproject.toml, as `make lint` and the CI workflow require."""
    result = subprocess.run(
        [sys.executable, "-m", "ruff", *command, "."],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode == 0, f"ruff {' '.join(command)} .:\n{result.stdout}{result.stderr}"
