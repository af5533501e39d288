"""The command line: every command in text and JSON, exit codes, and messages that say what went
wrong. Runs `main()` in-process on the fixture data (one run through `python -m` checks the
module entry point)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from test_loader_fixture import ROWS, make_dataset

from ca_militancy.__about__ import __version__
from ca_militancy.core.catalog import catalog
from ca_militancy.reader.cli import (
    EXIT_ERROR,
    EXIT_MISSING_EXTRA,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_USAGE,
    main,
)

SRC = Path(__file__).resolve().parents[1] / "src"
JAK = "org-jund-al-khilafah"


@pytest.fixture(scope="module")
def ds(tmp_path_factory):
    return make_dataset(tmp_path_factory)


@pytest.fixture
def run(ds, capsys):
    """run(*args) -> (exit code, stdout, stderr) on the fixture data."""

    def _run(*args: str) -> tuple[int, str, str]:
        code = main(["--data", str(ds.root), *args])
        out, err = capsys.readouterr()
        return code, out, err

    return _run


def test_tables(run):
    code, out, _ = run("tables")
    assert code == EXIT_OK
    for name in catalog().names:
        assert name in out
    code, out, _ = run("tables", "--json")
    rows = {r["table"]: r["rows"] for r in json.loads(out)}
    assert rows["organizations"] == len(ROWS["organizations"])


def test_show_table_and_record(run):
    code, out, _ = run("show", "incidents")
    assert code == EXIT_OK and "inc-2011-10-31-atyrau" in out and "2011-10-31" in out
    assert "00:00:00" not in out, "dates are shown without a time"
    code, out, _ = run("show", "organizations", "--limit", "1")
    assert "1 of" in out
    code, out, _ = run("show", "organizations", JAK)
    assert code == EXIT_OK and "Jund al-Khilafah" in out
    assert f"ca-militancy cite organizations {JAK}" in out
    code, out, _ = run("show", "incidents", "inc-2011-10-31-atyrau", "--json")
    record = json.loads(out)
    assert record["date_start"] == "2011-10-31" and record["killed_high"] is None
    assert record["suicide"] is True and record["killed_low"] == 1


def test_unknown_table_and_id_exit_3_with_hints(run):
    code, _, err = run("show", "organisations")
    assert code == EXIT_NOT_FOUND and "organizations" in err and "known tables" in err
    code, _, err = run("show", "organizations", "org-jund")
    assert code == EXIT_NOT_FOUND and JAK in err and "closest" in err
    code, _, err = run("cite", "people", "per-nobody")
    assert code == EXIT_NOT_FOUND and "per-" in err


def test_lookup(run):
    code, out, _ = run("lookup", "Djund", "Al-Khalifat")
    assert code == EXIT_OK and JAK in out and "Djund Al-Khalifat" in out
    code, out, _ = run("lookup", "--json", "kusaynuv")
    assert json.loads(out)[0]["entity_id"] == "per-rawil-kusaynov"
    code, out, err = run("lookup", "Zzyzx Qqq")
    assert code == EXIT_NOT_FOUND and "no organization, person or place matches" in err


def test_cite(run):
    code, out, _ = run("cite", "organizations", JAK)
    assert code == EXIT_OK
    assert "Leader of Jund al-Khalifat criminal group Rawil Kusaynov" in out
    assert "Soldiers of Khalifat keep threatening Kazakhstan" in out and "line 3" in out
    assert "disputes on founded_start" in out
    code, out, _ = run("cite", "organizations", JAK, "--json")
    assert {r["citation_id"] for r in json.loads(out)} == {"cit-001-0001", "cit-002-0001"}
    code, _, err = run("cite", "conflicts", "cnf-x")
    assert code == EXIT_USAGE and "not cited" in err


def test_usage_errors_exit_2(run):
    with pytest.raises(SystemExit) as exc:
        run("frobnicate")
    assert exc.value.code == EXIT_USAGE
    with pytest.raises(SystemExit) as exc:
        run("export", "--format", "dbf", "--out", "x")
    assert exc.value.code == EXIT_USAGE


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_round_trips(run, ds, tmp_path, fmt):
    code, out, _ = run("export", "--format", fmt, "--out", str(tmp_path), "--json")
    assert code == EXIT_OK
    paths = [Path(p) for p in json.loads(out)]
    assert sorted(p.stem for p in paths) == catalog().names
    inc = tmp_path / f"incidents.{fmt}"
    back = pd.read_csv(inc, keep_default_na=False) if fmt == "csv" else pd.read_parquet(inc)
    assert list(back.columns) == catalog()["incidents"].field_names
    assert len(back) == len(ROWS["incidents"])
    if fmt == "csv":
        text = inc.read_text(encoding="utf-8")
        assert "2011-10-31" in text and ",true," in text and "00:00:00" not in text


def test_export_xlsx(run, tmp_path):
    pytest.importorskip("openpyxl", reason="openpyxl (the xlsx extra) is not installed")
    code, out, _ = run("export", "--format", "xlsx", "--out", str(tmp_path))
    assert code == EXIT_OK
    sheets = pd.read_excel(out.strip(), sheet_name=None)
    assert sorted(sheets) == catalog().names
    assert len(sheets["people"]) == len(ROWS["people"])


def test_export_xlsx_without_openpyxl_says_how_to_install(run, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "openpyxl", None)
    code, _, err = run("export", "--format", "xlsx", "--out", str(tmp_path))
    assert code == EXIT_MISSING_EXTRA and "ca-militancy[xlsx]" in err
    assert list(tmp_path.iterdir()) == []


def test_validate(run):
    pytest.importorskip("frictionless", reason="frictionless (the validate extra) is not installed")
    code, out, _ = run("validate", "--json")
    report = json.loads(out)
    assert code == EXIT_OK and report["valid"] and report["errors"] == []


def test_validate_reports_bad_data(tmp_path, capsys):
    pytest.importorskip("frictionless", reason="frictionless (the validate extra) is not installed")
    import pyarrow as pa
    import pyarrow.parquet as pq
    from test_loader_fixture import write_fixture

    root = write_fixture(tmp_path / "bad")
    path = root / "parquet" / "people.parquet"
    table = pq.read_table(path)
    ids = pa.array(["per-x", "per-x"][: table.num_rows])  # a duplicate primary key
    pq.write_table(table.set_column(0, "person_id", ids), path)
    schema = json.loads((root / "schemas" / "people.schema.json").read_text())
    descriptor = json.loads((root / "datapackage.json").read_text())
    for res in descriptor["resources"]:
        if res["name"] == "people":
            res["schema"] = schema
    (root / "datapackage.json").write_text(json.dumps(descriptor))
    code = main(["--data", str(root), "validate"])
    out = capsys.readouterr().out
    assert code == 1 and "INVALID" in out and "people" in out


def test_validate_without_frictionless_says_how_to_install(run, monkeypatch):
    monkeypatch.setitem(sys.modules, "frictionless", None)
    code, _, err = run("validate")
    assert code == EXIT_MISSING_EXTRA and "ca-militancy[validate]" in err


def test_version(run, ds):
    code, out, _ = run("version", "--json")
    info = json.loads(out)
    assert code == EXIT_OK and info["package"] == __version__ and info["data"] == ds.version


def test_python_dash_m_entry_point(ds):
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    proc = subprocess.run(
        [sys.executable, "-m", "ca_militancy", "--data", str(ds.root), "lookup", "JaK", "--json"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)[0]["entity_id"] == JAK


def test_output_piped_into_head_ends_quietly(tmp_path):
    """`ca-militancy show citations | head -1` must not print a BrokenPipeError traceback."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    src = Path(__file__).resolve().parents[1] / "src"
    env = dict(os.environ, PYTHONPATH=str(src))
    proc = subprocess.Popen(
        [sys.executable, "-m", "ca_militancy", "show", "citations"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=tmp_path,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()  # the reader goes away, as `head` does
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0
    assert "Traceback" not in err and "BrokenPipe" not in err


def test_ctrl_c_exits_130_with_one_line(ds):
    """An interrupted command (Ctrl-C) ends with exit 130 and one line, not a traceback."""
    script = (
        "import sys\n"
        "import ca_militancy.reader.cli as cli\n"
        "def interrupted(args):\n"
        "    raise KeyboardInterrupt\n"
        "cli.cmd_tables = interrupted\n"
        f"sys.exit(cli.main(['--data', {str(ds.root)!r}, 'tables']))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 130
    assert proc.stderr.strip() == "ca-militancy: interrupted", proc.stderr
    assert proc.stdout == ""


def test_export_refuses_a_file_as_out(run, tmp_path):
    target = tmp_path / "not-a-dir.csv"
    target.write_text("keep me\n")
    code, out, err = run("export", "--format", "csv", "--out", str(target))
    assert code == EXIT_USAGE and "not a directory" in err and str(target) in err
    assert "Traceback" not in err and out == ""
    assert target.read_text() == "keep me\n"


def test_export_refuses_to_overwrite_unless_forced(run, tmp_path):
    assert run("export", "--format", "csv", "--out", str(tmp_path))[0] == EXIT_OK
    people = tmp_path / "people.csv"
    people.write_text("edited by hand\n")
    code, _, err = run("export", "--format", "csv", "--out", str(tmp_path))
    assert code == EXIT_ERROR and "people.csv" in err and "--force" in err
    assert people.read_text() == "edited by hand\n", "nothing is overwritten without --force"
    code, _, _ = run("export", "--format", "csv", "--out", str(tmp_path), "--force")
    assert code == EXIT_OK and people.read_text().startswith("person_id,")


@pytest.mark.parametrize(
    ("args", "code", "kind"),
    [
        (["show", "organisations"], EXIT_NOT_FOUND, "not_found"),
        (["cite", "conflicts", "cnf-x"], EXIT_USAGE, "usage"),
        (["lookup", "Zzyzx", "--limit", "-1"], EXIT_USAGE, "usage"),
    ],
)
def test_json_errors_are_a_json_object_on_stdout(ds, capsys, args, code, kind):
    """Under --json a script reads the error from stdout, as JSON, with the same exit code."""
    try:
        got = main(["--data", str(ds.root), *args, "--json"])
    except SystemExit as exc:  # argparse's usage errors end in SystemExit
        got = exc.code
    out, err = capsys.readouterr()
    assert got == code
    assert out, f"no JSON on stdout; stderr: {err}"
    error = json.loads(out)["error"]
    assert error["type"] == kind and error["exit_code"] == code and error["message"]
    assert err == ""


@pytest.mark.parametrize(
    "args",
    [
        ["show", "people", "--limit", "-1"],
        ["lookup", "Jund", "--limit", "0"],
        ["lookup", "Jund", "--limit", "-1"],
        ["lookup", "Jund", "--min-score", "nan"],
        ["lookup", "Jund", "--min-score", "inf"],
        ["lookup", "Jund", "--min-score", "101"],
        ["lookup", "Jund", "--min-score", "-5"],
    ],
)
def test_out_of_range_numbers_are_usage_errors(run, args):
    with pytest.raises(SystemExit) as exc:
        run(*args)
    assert exc.value.code == EXIT_USAGE
