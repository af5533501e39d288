"""End to end: the built wheel, installed into a fresh virtual environment (not the source tree),
loads, looks up and cites offline, from Python and from the command line.

Uses the wheel named by CA_MILITANCY_WHEEL, else dist/ca_militancy-<version>-*.whl when the
build has made one; otherwise builds the wheel
in a temporary copy of the repository with `scripts/build.py`. pip installs the wheel's
dependencies from the package index (network needed for that step only); everything after the
install runs with CA_MILITANCY_BASE_URL pointing at a closed local port, so any download attempt
would fail loudly.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ca_militancy.__about__ import __version__

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]


def _wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if os.environ.get("CA_MILITANCY_WHEEL"):
        return Path(os.environ["CA_MILITANCY_WHEEL"])
    wheels = sorted((REPO / "dist").glob(f"ca_militancy-{__version__}-*.whl"))
    if wheels:
        return wheels[-1]
    copy = tmp_path_factory.mktemp("repo")
    ignore = shutil.ignore_patterns(".git", "dist", "_data", ".venv", "__pycache__", "*.pyc")
    shutil.copytree(REPO, copy, dirs_exist_ok=True, ignore=ignore)
    proc = subprocess.run(
        [sys.executable, "scripts/build.py"], cwd=copy, capture_output=True, text=True
    )
    assert proc.returncode == 0, f"build failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    wheels = sorted((copy / "dist").glob(f"ca_militancy-{__version__}-*.whl"))
    assert wheels, "the build wrote no wheel into dist/"
    return wheels[-1]


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    wheel = _wheel(tmp_path_factory)
    root = tmp_path_factory.mktemp("venv")
    env_dir = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(env_dir)], check=True)
    py = env_dir / "bin" / "python"
    proc = subprocess.run(
        [str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         f"{wheel}[xlsx,validate]"],
        capture_output=True,
        text=True,
    )  # fmt: skip
    if proc.returncode != 0 and "Could not find a version" in proc.stderr + proc.stdout:
        pytest.skip(f"the package index is not reachable to install dependencies: {proc.stderr}")
    assert proc.returncode == 0, proc.stderr
    work = root / "work"  # run from outside the source tree
    work.mkdir()
    return {"python": py, "bin": env_dir / "bin", "work": work, "cache": root / "cache"}


def _env(venv: dict[str, Path]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "CA_MILITANCY_"))}
    env.update(
        CA_MILITANCY_BASE_URL="http://127.0.0.1:9/no-network",
        CA_MILITANCY_CACHE=str(venv["cache"]),
        PATH=f"{venv['bin']}{os.pathsep}{env.get('PATH', '')}",
    )
    return env


def _run(venv: dict[str, Path], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args), cwd=venv["work"], env=_env(venv), capture_output=True, text=True, timeout=300
    )


API_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import ca_militancy as cam

    heavy = sorted(m for m in ("pandas", "pyarrow", "frictionless") if m in sys.modules)
    import pandas as pd

    out = {"file": cam.__file__, "version": cam.__version__, "heavy_on_import": heavy}
    tables = cam.tables()
    out["tables"] = dict(zip(tables["table"], tables["rows"].astype(int)))
    inc = cam.load("incidents")
    out["dtypes"] = {c: str(t) for c, t in inc.dtypes.items()}
    every = cam.load_all()
    out["load_all"] = {k: len(v) for k, v in every.items()}
    # lookup: every organization alias, upper-cased and without hyphens, finds its organization
    aliases = every["aliases"]
    misses = []
    for row in aliases[aliases["organization_id"].notna()].itertuples():
        query = row.alias.upper().replace("-", " ")
        found = cam.lookup(query, limit=None, min_score=0)
        top_score = found["score"].max()
        best = set(found.loc[found["score"] == top_score, "entity_id"])
        if row.organization_id not in best and not row.ambiguous:
            misses.append(row.alias)
    out["lookup_misses"] = misses
    top = cam.lookup("Djund Al-Khalifat").head(1).to_dict("records")
    out["djund"] = top
    # cite: the organization with the most citations
    cits = every["citations"]
    org = cits["organization_id"].value_counts().index[0]
    cited = cam.cite("organizations", org)
    out["cite"] = {"org": org, "n": len(cited), "columns": list(cited.columns)}
    out["fetch_installed"] = str(cam.fetch(cam.__version__).root)
    print(json.dumps(out, default=str))
    """
)


def test_api_from_the_installed_wheel(venv):
    proc = _run(venv, str(venv["python"]), "-c", API_SCRIPT)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert "site-packages" in out["file"], "imported from the venv, not the source tree"
    assert out["version"] == __version__
    assert out["heavy_on_import"] == []
    assert all(n >= 0 for n in out["tables"].values()) and out["tables"] == out["load_all"]
    assert out["tables"]["organizations"] > 0 and out["tables"]["citations"] > 0
    dtypes = out["dtypes"]
    assert dtypes["date_start"].startswith("datetime64")
    assert dtypes["killed_best"] == "Int64" and dtypes["suicide"] == "boolean"
    assert dtypes["type"] == "category"
    assert out["lookup_misses"] == []
    assert out["djund"] and out["djund"][0]["entity_type"] == "organization"
    assert out["cite"]["n"] > 0 and "excerpt" in out["cite"]["columns"]
    assert "site-packages" in out["fetch_installed"]


def test_command_line_from_the_installed_wheel(venv, tmp_path):
    cli = str(venv["bin"] / "ca-militancy")
    proc = _run(venv, cli, "tables", "--json")
    assert proc.returncode == 0, proc.stderr
    assert {r["table"] for r in json.loads(proc.stdout)} >= {"organizations", "incidents"}

    proc = _run(venv, cli, "lookup", "Djund Al-Khalifat", "--json")
    assert proc.returncode == 0, proc.stderr
    org = json.loads(proc.stdout)[0]["entity_id"]

    proc = _run(venv, cli, "cite", "organizations", org)
    assert proc.returncode == 0, proc.stderr
    assert "citation(s)" in proc.stdout and "line" in proc.stdout

    proc = _run(venv, cli, "show", "organizations", org)
    assert proc.returncode == 0 and org in proc.stdout

    proc = _run(venv, cli, "show", "organizations", "org-does-not-exist")
    assert proc.returncode == 3 and "closest" in proc.stderr

    proc = _run(venv, cli, "export", "--format", "xlsx", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert list(tmp_path.glob("*.xlsx"))

    proc = _run(venv, cli, "validate", "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["valid"] is True

    proc = _run(venv, str(venv["python"]), "-m", "ca_militancy", "version", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["package"] == __version__
    assert not venv["cache"].exists() or not any(venv["cache"].iterdir()), "nothing downloaded"
