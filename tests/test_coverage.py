"""Coverage of the archived texts, copies as one voice, and scripts of aliases (issue 13).

What a curator relies on: every line of a text that names a known entity is cited or its
omission is explained (else the build names the line); an omission cannot hide a cited line; a
copy of a story never counts as a second voice; an alias's script is that of its letters."""

from __future__ import annotations

import csv
import io
import os
import shutil
from pathlib import Path

import pytest
from conftest import REPO
from test_faults import _replace

from ca_militancy.build.checks import check_repository, script_of
from ca_militancy.build.coverage import NameFinder
from ca_militancy.core.voices import voices

SOURCES = os.environ.get("CA_MILITANCY_SOURCES")
needs_archive = pytest.mark.skipif(
    not SOURCES, reason="needs the archived texts: set CA_MILITANCY_SOURCES"
)


def test_a_copy_speaks_with_its_originals_voice():
    copy_of = {"src-000": None, "src-013": "src-000", "src-031": None, "src-x": "src-013"}
    assert voices(copy_of) == {
        "src-000": "src-000",
        "src-013": "src-000",
        "src-031": "src-031",
        "src-x": "src-000",
    }


def test_a_loop_of_copies_ends_instead_of_hanging():
    assert set(voices({"a": "b", "b": "a"}).values()) <= {"a", "b"}


@pytest.mark.parametrize(
    ("spelling", "script"),
    [("Солдаты Халифата", "Cyrl"), ("Халифат сарбаздары", "Cyrl"), ("كارييف", "Arab"),
     ("Jund al-Khilāfah", "Latn"), ("Газету.Ru", "Cyrl"), ("123", "none")],
)  # fmt: skip
def test_script_of_reads_the_letters(spelling, script):
    assert script_of(spelling) == script


def test_names_match_whole_words_and_acronyms_as_written():
    finder = NameFinder({"Taliban", "IMU", "Атырау", "Jund al Khilafah"})
    assert finder.names_in("The Taliban and the IMU") == ["IMU", "Taliban"]
    assert finder.names_in("imu is not the acronym; Talibans is another word") == []
    # Russian and Kazakh inflect names with endings: found inside the longer word
    assert finder.names_in("в Атырауда прогремели") == ["Атырау"]
    assert finder.names_in("JUND AL KHILAFAH claimed") == ["Jund al Khilafah"]


# located faults, run by tests/test_faults_evidence.py with the evidence and place cases
COVERAGE_FAULTS = {
    "omission of a cited line": (
        lambda root, sources: _append(root, "omissions", "omi-a-002,src-a,2,navigation,A menu.\n"),
        "data/omissions.csv:2", "line=2", "omission-stale",
    ),
    "alias script not its letters": (
        _replace("aliases", b",IMU,acronym,en,Latn,", b",IMU,acronym,en,Cyrl,"),
        "data/aliases.csv:2", "script=Cyrl", "alias-script-matches-letters",
    ),
    "source a copy of itself": (
        _replace("sources", b",1-4,whole,", b",1-4,whole,src-a"),
        "data/sources.csv:2", "copy_of_source_id=src-a", "copy-points-to-original",
    ),
}  # fmt: skip


def _append(root: Path, table: str, row: str) -> None:
    path = root / "data" / f"{table}.csv"
    path.write_bytes(path.read_bytes() + row.encode())


@needs_archive
def test_every_line_naming_an_entity_is_cited_or_explained():
    result = check_repository(REPO, Path(SOURCES))
    assert result.coverage is not None
    unexplained = {sid: c.unexplained for sid, c in result.coverage.items() if c.unexplained}
    assert unexplained == {}
    sources = (REPO / "data" / "sources.csv").read_text(encoding="utf-8")
    assert len(result.coverage) == len(list(csv.DictReader(io.StringIO(sources))))


@needs_archive
def test_removing_an_omission_names_the_line_it_explained(tmp_path):
    root = tmp_path / "repo"
    shutil.copytree(REPO / "schemas", root / "schemas")
    shutil.copytree(REPO / "data", root / "data")
    path = root / "data" / "omissions.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    dropped = next(r for r in rows if r["omission_id"] == "omi-003-019")
    kept = [r for r in rows if r is not dropped]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(kept)
    path.write_text(out.getvalue(), encoding="utf-8")

    result = check_repository(root, Path(SOURCES))
    messages = [str(p) for p in result.log.all() if p.check == "entity-lines-explained"]
    assert len(messages) == 1
    assert "line 19 of src-003" in messages[0] and messages[0].startswith("data/sources.csv:")


def test_cite_shows_each_citations_voice(tmp_path_factory):
    """In the loader's fixture src-002 is a copy of src-001: cite() reports both citations of
    Jund al-Khilafah under one voice, so a user does not count them as two sources."""
    from test_loader_fixture import make_dataset

    out = make_dataset(tmp_path_factory).cite("organizations", "org-jund-al-khilafah")
    assert set(zip(out["source_id"], out["source_voice"], strict=True)) >= {
        ("src-001", "src-001"),
        ("src-002", "src-001"),
    }
