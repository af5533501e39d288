"""The named checks: every check the build runs is listed with a name that says what it guards,
a description and (for the project's rules) the rule number; the build lists them; and every
check name that error lines use is one of them."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from ca_militancy.build.checks import CHECKS, CHECKS_BY_NAME, check_repository, list_checks

ROOT = Path(__file__).resolve().parents[1]
# words joined by hyphens; a version may end a name (placed-as-in-1.0.0)
NAME = re.compile(r"^[a-z][a-zA-Z0-9]*(-[a-z0-9]+)*(\.[0-9]+)*$")


def test_check_names_are_unique_and_say_what_they_guard():
    names = [c.name for c in CHECKS]
    assert len(names) == len(set(names))
    for c in CHECKS:
        assert NAME.match(c.name), c.name
        assert not re.match(r"^r(ule)?[0-9]", c.name, re.I), f"{c.name}: a name, not a number"
        stages = {"read", "table", "package", "sources", "descriptor", "parquet", "ftm"}
        assert c.description and c.stage in stages


def _names_used_in_problem_reports() -> set[str]:
    """String constants passed as the check argument of ProblemLog.add/add_mask in src/."""
    used: set[str] = set()
    for path in (ROOT / "src" / "ca_militancy").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if node.func.attr not in {"add", "add_mask"} or len(node.args) < 7:
                continue
            arg = node.args[6] if node.func.attr == "add_mask" else node.args[5]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                used.add(arg.value)
    return used


def test_every_reported_check_name_is_listed():
    used = _names_used_in_problem_reports()
    assert used, "no check name found in the source: the scan itself is broken"
    assert used <= set(CHECKS_BY_NAME), sorted(used - set(CHECKS_BY_NAME))


def test_the_build_lists_its_checks():
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build.py"), "--list-checks"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == list_checks()
    for c in CHECKS:
        assert c.name in out


# --- a failing example for each check that the row cases of test_checks.py do not reach -------


def _add_constraint(root: Path, table: str, field: str, **constraint) -> None:
    path = root / "schemas" / f"{table}.schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    for f in schema["fields"]:
        if f["name"] == field:
            f.setdefault("constraints", {}).update(constraint)
    path.write_text(json.dumps(schema, indent=2), encoding="utf-8")


def _found(root: Path, check: str, sources: Path | None = None) -> list:
    return [p for p in check_repository(root, sources).log.all() if p.check == check]


def test_missing_file_is_found(fixture_package):
    root, _ = fixture_package
    (root / "data" / "people.csv").unlink()
    [p] = _found(root, "missing-file")
    assert p.file == "data/people.csv"


def test_unique_maximum_and_min_length_are_found(fixture_package):
    root, _ = fixture_package
    _add_constraint(root, "incidents", "killed_low", maximum=2)
    _add_constraint(root, "incidents", "title", minLength=500)
    _add_constraint(root, "citations", "source_id", unique=True)
    assert _found(root, "maximum")[0].column == "killed_low"
    assert _found(root, "minLength")[0].column == "title"
    assert _found(root, "unique")[0].column == "source_id"


def test_csv_syntax_is_found(fixture_package):
    root, _ = fixture_package
    path = root / "data" / "people.csv"
    path.write_bytes(path.read_bytes() + b'per-x,"never closed\n')
    assert _found(root, "csv-syntax") or _found(root, "row-width")


def test_archived_text_present_is_found(fixture_package, tmp_path):
    root, _ = fixture_package
    [p] = _found(root, "archived-text-present", tmp_path / "no-such-directory")
    assert p.file == "data/sources.csv"


def test_parquet_read_back_is_found(tmp_path):
    import pyarrow as pa

    from ca_militancy.build.parquet import check_read_back, write_parquet
    from ca_militancy.core.problems import ProblemLog

    path = tmp_path / "t.parquet"
    write_parquet(pa.table({"a": pa.array(["x", "y"])}), path)
    log = ProblemLog()
    check_read_back("t", pa.table({"a": pa.array(["x", "z"])}), path, log)
    [p] = log.all()
    assert (p.check, p.column) == ("parquet-read-back", "a")


def test_list_checks_into_a_closed_pipe_ends_quietly():
    """`scripts/build.py --list-checks | head -1`: the reader may be gone before the first
    write; that is not an error and prints no BrokenPipeError traceback."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has gone away before anything is written
    try:
        proc = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "build.py"), "--list-checks"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr
