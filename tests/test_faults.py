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


def _schema(table: str, edit):
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
    "foreign key to a missing table": (_schema("aliases", _fk_to_missing_table),
                                       "schemas/aliases.schema.json:", "foreign-key-target-exists"),
    "schema frictionless rejects": (_schema("people", _required_as_text),
                                    "schemas/people.schema.json", "frictionless-descriptor"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(FAULTS))
def test_fault_fails_the_build_and_leaves_outputs(built_repo, tmp_path, capsys, monkeypatch, case):
    base, base_sources = built_repo
    root = tmp_path / "repo"
    shutil.copytree(base, root, symlinks=True)
    sources = tmp_path / "sources"
    shutil.copytree(base_sources, sources)
    monkeypatch.setenv(ENV, str(sources))
    before = _snapshot(root)
    fault, place, rule = FAULTS[case]
    fault(root, sources)
    capsys.readouterr()

    code = pipeline.main(["--root", str(root), "--no-extras"])

    err = capsys.readouterr().err
    assert code != 0
    located = [ln for ln in err.splitlines() if place in ln and f": {rule}: " in ln]
    assert located, f"no line naming {place} and rule {rule} in:\n{err}"
    assert _snapshot(root) == before
    assert not any((root / "build").glob("ca-militancy-build-*")), "staging left behind"
