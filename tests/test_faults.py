"""Issue 3, item 6: every bad input makes the build exit non-zero with a message naming the
place and the rule, and leaves dist/, datapackage.json and the generated docs untouched.

Each case breaks a temporary copy of a repository that has already been built once."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from conftest import copy_repo

from ca_militancy.build import pipeline
from ca_militancy.build.provenance import ENV


@pytest.fixture(scope="module")
def built_repo(tmp_path_factory) -> tuple[Path, Path]:
    root, sources = copy_repo(tmp_path_factory.mktemp("built") / "repo")
    mp = pytest.MonkeyPatch()
    mp.setenv(ENV, str(sources))
    try:
        assert pipeline.main(["--root", str(root), "--no-extras"]) == 0
    finally:
        mp.undo()
    assert (root / "dist" / "SHA256SUMS").is_file()
    return root, sources


def _snapshot(root: Path) -> dict[str, str]:
    paths = [root / "datapackage.json", root / "README.md"]
    paths += [p for d in ("dist", "docs") for p in (root / d).rglob("*") if p.is_file()]
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in paths
        if p.is_file()
    }


def _replace(table: str, old: bytes, new: bytes, count: int = 1):
    def fault(root: Path, sources: Path) -> None:
        path = root / "data" / f"{table}.csv"
        data = path.read_bytes()
        assert old in data, f"fixture text {old!r} not in {table}.csv"
        path.write_bytes(data.replace(old, new, count))

    return fault


def _whole(table: str, fn):
    def fault(root: Path, sources: Path) -> None:
        path = root / "data" / f"{table}.csv"
        path.write_bytes(fn(path.read_bytes()))

    return fault


def _schema_json(table: str, edit):
    """A fault that edits a schema as JSON (``_schema`` edits its text)."""

    def fault(root: Path, sources: Path) -> None:
        path = root / "schemas" / f"{table}.schema.json"
        schema = json.loads(path.read_text(encoding="utf-8"))
        edit(schema)
        path.write_text(json.dumps(schema, indent=2), encoding="utf-8")

    return fault


def _fk_to_missing_table(schema: dict) -> None:
    schema["foreignKeys"][0]["reference"]["resource"] = "organisations"


def _required_as_text(schema: dict) -> None:
    schema["fields"][-1].setdefault("constraints", {})["required"] = "no"


def _tamper(root: Path, sources: Path) -> None:
    text = next(sources.iterdir())
    text.chmod(0o644)
    text.write_bytes(text.read_bytes() + b"one more line\n")


def _schema(table: str, edit):
    def fault(root: Path, sources: Path) -> None:
        path = root / "schemas" / f"{table}.schema.json"
        path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")

    return fault


def _without_primary_key(text: str) -> str:
    descriptor = json.loads(text)
    del descriptor["primaryKey"]
    return json.dumps(descriptor, indent=2)


def _non_utf8_archived_text(root: Path, sources: Path) -> None:
    """An archived text with a byte that is not UTF-8, its new sha256 recorded (so only the
    encoding is wrong)."""
    text = next(sources.iterdir())
    text.chmod(0o644)
    old = hashlib.sha256(text.read_bytes()).hexdigest()
    text.write_bytes(text.read_bytes() + b"caf\xe9\n")
    new = hashlib.sha256(text.read_bytes()).hexdigest()
    table = root / "data" / "sources.csv"
    table.write_bytes(table.read_bytes().replace(old.encode(), new.encode()))


def _first_lines(n: int):
    return lambda b: b"".join(b.splitlines(keepends=True)[:n])


def _csv_without_schema(root: Path, sources: Path) -> None:
    (root / "data" / "extras.csv").write_bytes(b"extra_id,note\nx-1,kept by mistake\n")


def _dup_key(b: bytes) -> bytes:
    lines = b.rstrip(b"\n").split(b"\n")
    return b"\n".join([*lines, lines[-1]]) + b"\n"


# name -> (fault, expected "file:line" prefix, rule)
FAULTS = {
    "dangling foreign key": (
        _replace("incident_actors", b",org-imu,", b",org-nobody,"),
        "data/incident_actors.csv:2",
        "foreign-key",
    ),
    "duplicate primary key": (_whole("organizations", _dup_key), "data/organizations.csv:4",
                              "primary-key"),
    "bad date": (_replace("incidents", b"2011-05-05,2011", b"2011-13-05,2011"),
                 "data/incidents.csv:2", "type"),
    "value outside enum": (_replace("incidents", b"armed_attack", b"ambush"),
                           "data/incidents.csv:2", "enum"),
    "negative count": (_replace("incidents", b",3,3,4,", b",-3,3,4,"), "data/incidents.csv:2",
                       "minimum"),
    "empty required cell": (_replace("people", b",alive,", b",,"), "data/people.csv:2",
                            "required"),
    "missing column": (_replace("people", b",description\n", b"\n"), "data/people.csv:1",
                       "header"),
    "extra column": (_replace("people", b",description\n", b",description,age\n"),
                     "data/people.csv:1", "header"),
    "misspelled header": (_replace("people", b"person_id,", b"persn_id,"), "data/people.csv:1",
                          "header"),
    "byte-order mark": (_whole("people", lambda b: b"\xef\xbb\xbf" + b), "data/people.csv:1",
                        "encoding"),
    "CRLF line endings": (_whole("people", lambda b: b.replace(b"\n", b"\r\n")),
                          "data/people.csv:1", "line-endings"),
    "invalid UTF-8": (_replace("people", b"Ahmad", b"Ahm\xe4d"), "data/people.csv:2",
                      "encoding"),
    "blank row": (_whole("people", lambda b: b + b"\n"), "data/people.csv:3", "blank-row"),
    "formula-like cell": (_replace("people", b"A member.", b"=1+1"), "data/people.csv:2",
                          "no-formula-start"),
    "excerpt not in source": (_replace("citations", b"Ahmad is a member of", b"Ahmad leads"),
                              "data/citations.csv:", "excerpt-verbatim"),
    "tampered archived text": (_tamper, "data/sources.csv:2", "archived-text-hash"),
    # invisible and bidirectional characters (a zero-width space at the end of an alias breaks
    # look-ups; U+202E reverses what a reader sees)
    "zero-width space in an alias": (_replace("aliases", b",IMU,", ",IMU\u200b,".encode()),
                                     "data/aliases.csv:2", "no-invisible-characters"),
    "right-to-left override": (_replace("people", b"A member.", "A \u202emember.".encode()),
                               "data/people.csv:2", "no-invisible-characters"),
    "line separator": (_replace("incidents", b"Kabul,", "Kab\u2028ul,".encode()),
                       "data/incidents.csv:2", "no-invisible-characters"),
    "soft hyphen": (_replace("people", b"Ahmad", "Ah\u00admad".encode()), "data/people.csv:2",
                    "no-invisible-characters"),
    # inputs that ended in a traceback
    "integer beyond int64": (_replace("incidents", b",3,3,4,", b",99999999999999999999,3,4,"),
                             "data/incidents.csv:2", "type"),
    "year-0 date": (_replace("incidents", b"2011-05-05,2011-05-05", b"0000-01-01,0000-01-01"),
                    "data/incidents.csv:2", "type"),
    "schema with invalid JSON": (_schema("people", lambda t: t.rstrip()[:-1]),
                                 "schemas/people.schema.json:", "table-schema"),
    "schema without primaryKey": (_schema("people", _without_primary_key),
                                  "schemas/people.schema.json", "table-schema"),
    "type with no Arrow mapping": (_schema("people", lambda t: t.replace(
        '"type": "string"', '"type": "datetime"', 1)), "schemas/people.schema.json",
        "table-schema"),
    "archived text not UTF-8": (_non_utf8_archived_text, "data/sources.csv:2",
                                "archived-text-utf8"),
    # inputs that gave a misleading message, or none
    "unterminated quote on the last row": (_replace("people", b"A member.", b'"A member.'),
                                           "data/people.csv:2", "csv-syntax"),
    "unterminated quote before a quoted field": (
        _replace("organizations", b"The national government.", b'"The national government.'),
        "data/organizations.csv:2", "csv-syntax"),
    "stray quote inside a field": (_replace("people", b"A member.", b'A mem"ber.'),
                                   "data/people.csv:2", "csv-syntax"),
    "file cut inside a row": (_whole("citations", lambda b: b[:-10]), "data/citations.csv:18",
                              "final-newline"),
    "file cut at a row boundary": (_whole("citations", _first_lines(5)), "data/citations.csv:5",
                                   "table-complete"),
    "header-only table that others refer to": (_whole("people", _first_lines(1)),
                                               "data/people.csv:1", "table-complete"),
    "CSV without a schema": (_csv_without_schema, "data/extras.csv", "table-has-schema"),
    "foreign key to a missing table": (_schema_json("aliases", _fk_to_missing_table),
                                       "schemas/aliases.schema.json", "table-schema"),
    "schema frictionless rejects": (_schema_json("people", _required_as_text),
                                    "schemas/people.schema.json", "frictionless-descriptor"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(FAULTS))
def test_fault_fails_the_build_and_leaves_outputs(built_repo, tmp_path, capsys, monkeypatch, case):
    fault, place, rule = FAULTS[case]
    root, before = _run_build(built_repo, tmp_path, monkeypatch, fault)
    capsys.readouterr()

    code = pipeline.main(["--root", str(root), "--no-extras"])

    err = capsys.readouterr().err
    assert code != 0
    located = [ln for ln in err.splitlines() if place in ln and f": {rule}: " in ln]
    assert located, f"no line naming {place} and rule {rule} in:\n{err}"
    assert _snapshot(root) == before
    assert not any((root / "build").glob("ca-militancy-build-*")), "staging left behind"


def _run_build(built_repo, tmp_path: Path, monkeypatch, fault) -> tuple[Path, dict[str, str]]:
    """A fresh copy of the built repository with ``fault`` applied; returns (root, snapshot
    of the outputs before the fault)."""
    base, base_sources = built_repo
    root = tmp_path / "repo"
    shutil.copytree(base, root, symlinks=True)
    sources = tmp_path / "sources"
    shutil.copytree(base_sources, sources)
    monkeypatch.setenv(ENV, str(sources))
    before = _snapshot(root)
    fault(root, sources)
    return root, before


def test_empty_table_is_reported_once_not_as_a_cascade(built_repo, tmp_path, capsys, monkeypatch):
    """A header-only people.csv: one problem saying the table is empty, not one foreign-key
    error per row that refers to a person."""
    root, _ = _run_build(built_repo, tmp_path, monkeypatch, _whole("people", _first_lines(1)))
    capsys.readouterr()
    assert pipeline.main(["--root", str(root), "--no-extras"]) == 1
    err = capsys.readouterr().err
    assert "data/people.csv:1: table-complete: the table has no rows" in err
    assert not [ln for ln in err.splitlines() if "foreign-key: no people." in ln], err


def test_a_very_long_junk_line_is_located_and_shown_short(
    built_repo, tmp_path, capsys, monkeypatch
):
    junk = _whole("people", lambda b: b + b"x" * 50_000_000 + b"\n")
    root, before = _run_build(built_repo, tmp_path, monkeypatch, junk)
    capsys.readouterr()
    assert pipeline.main(["--root", str(root), "--no-extras"]) == 1
    err = capsys.readouterr().err
    assert [ln for ln in err.splitlines() if "data/people.csv:3: " in ln and "row-width" in ln]
    assert max(len(ln) for ln in err.splitlines()) < 300
    assert _snapshot(root) == before


@pytest.mark.parametrize("debug", [False, True])
def test_an_unexpected_error_is_one_line_and_leaves_outputs(
    built_repo, tmp_path, capsys, monkeypatch, debug
):
    """A bug in a stage (here: the docs) ends as one BUILD FAILED line naming the stage, with
    the traceback only when CA_MILITANCY_DEBUG=1."""
    root, before = _run_build(built_repo, tmp_path, monkeypatch, lambda root, sources: None)

    def broken(*args, **kwargs):
        raise RuntimeError("something nobody foresaw")

    monkeypatch.setattr(pipeline.docs_gen, "data_dictionary", broken)
    if debug:
        monkeypatch.setenv(pipeline.DEBUG_ENV, "1")
    else:
        monkeypatch.delenv(pipeline.DEBUG_ENV, raising=False)
    capsys.readouterr()
    assert pipeline.main(["--root", str(root), "--no-extras"]) == 1
    err = capsys.readouterr().err
    assert (
        "BUILD FAILED: internal error in stage docs: RuntimeError: something nobody foresaw" in err
    )
    assert ("Traceback" in err) == debug
    assert _snapshot(root) == before
    assert not any((root / "build").glob("ca-militancy-build-*")), "staging left behind"


def test_a_cut_table_is_named_first_as_the_likely_cause(built_repo, tmp_path, capsys, monkeypatch):
    """citations.csv cut at a row boundary still parses; the records it no longer cites are
    listed in their own tables, so the line naming the cut comes first."""
    root, _ = _run_build(built_repo, tmp_path, monkeypatch, _whole("citations", _first_lines(5)))
    capsys.readouterr()
    assert pipeline.main(["--root", str(root), "--no-extras"]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert lines[1].startswith("likely cause: data/citations.csv:5: citation_id=")
    assert ": table-complete: " in lines[1] and "cut short" in lines[1]
