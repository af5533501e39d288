"""frictionless is the reference: our fast checks must agree with it on every fault case of the
build (tests/test_faults.py) and on clean data, on valid/invalid and on the failing table.

Why: the checks were rewritten for speed (vectorized, issue 6); a differential test against the
row-by-row reference implementation of the Table Schema standard is what shows that speed did
not cost correctness. Our checks also enforce project rules frictionless does not know
(docs/architecture.md); for those cases only our side is asserted, and PROJECT_ONLY says why
frictionless cannot see each one.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import pytest
from conftest import REPO, write_fixture_package
from test_faults import FAULTS

from ca_militancy.build.checks import check_repository
from ca_militancy.build.provenance import sources_dir_from_env
from ca_militancy.core.catalog import SchemaError, catalog

frictionless = pytest.importorskip("frictionless", reason="the reference validator is needed")
sys.path.insert(0, str(REPO / "benchmarks"))
from generator import FRICTIONLESS_DESCRIPTOR, frictionless_descriptor, write_package  # noqa: E402

# Fault cases frictionless cannot see, and why (our side is still asserted).
PROJECT_ONLY = {
    "byte-order mark": "frictionless strips a UTF-8 BOM; rule 8 forbids it",
    "CRLF line endings": "CRLF is valid CSV for frictionless; rule 8 asks for LF only",
    "formula-like cell": "a cell starting with '=' is a valid string; rule 7 forbids it",
    "excerpt not in source": "the archived texts are not part of the package (rule 3)",
    "tampered archived text": "the archived texts are not part of the package (rule 3)",
    "archived text not UTF-8": "the archived texts are not part of the package (rule 3)",
    "zero-width space in an alias": "an invisible character is a valid string; rule 7 forbids it",
    "right-to-left override": "a bidi control is a valid string; rule 7 forbids it",
    "line separator": "U+2028 is a valid string; rule 7 forbids it",
    "soft hyphen": "a soft hyphen is a valid string; rule 7 forbids it",
    "integer beyond int64": "Table Schema integers are unbounded; Arrow's and SQLite's are 64-bit",
    "stray quote inside a field": "Python's csv reads a quote inside an unquoted field as text",
    "unterminated quote on the last row": "Python's csv reads an open quote as a cell to the end",
    "CSV without a schema": "frictionless sees only the files the descriptor names",
    "header-only table that others refer to": (
        "an empty table is valid; frictionless fails the tables that refer to it, ours say once "
        "that the referenced table is empty"
    ),
}
# Fault cases whose errors our checks list in more tables than the one at fault, and why: the
# table at fault gets one problem that names the cascade, and the rows it breaks are listed too.
CASCADES = {
    "file cut at a row boundary": "each record the lost citations cited is uncited (rule 1)",
}

# Fault cases in a Table Schema that the build finds in its descriptor stage (frictionless's own
# descriptor validation, check frictionless-descriptor) rather than in the checks of the data.
BUILD_STAGE_ONLY = {
    "schema frictionless rejects": "a property of the wrong type is a descriptor error",
}


def frictionless_failing(root: Path) -> tuple[bool, set[str]]:
    """(valid, names of the tables with errors) by frictionless, foreign keys included."""
    path = root / FRICTIONLESS_DESCRIPTOR
    path.write_text(json.dumps(frictionless_descriptor(root)), encoding="utf-8")
    report = frictionless.validate(str(path))
    failing = {task.name for task in report.tasks if not task.valid}
    assert report.valid or failing or report.errors, "invalid, but no task or error says why"
    return report.valid, failing


def project_failing(root: Path, sources: Path | None) -> tuple[bool, set[str]]:
    result = check_repository(root, sources)
    return result.ok, {t for t, n in result.log.counts.items() if n}


def referenced(table: str) -> set[str]:
    return {ref for _, ref, _ in catalog()[table].foreign_keys}


def _table_of(place: str) -> str:
    """The table of a place such as ``data/people.csv:2`` or ``schemas/people.schema.json:3``."""
    return Path(place.split(":")[0]).name.split(".")[0]


@pytest.fixture
def fixture_tree(tmp_path) -> tuple[Path, Path]:
    root = tmp_path / "repo"
    root.mkdir()
    shutil.copytree(REPO / "schemas", root / "schemas")
    return root, write_fixture_package(root)


def test_clean_fixture_is_valid_for_both(fixture_tree):
    root, sources = fixture_tree
    assert project_failing(root, sources) == (True, set())
    assert frictionless_failing(root) == (True, set())


@pytest.mark.parametrize("case", sorted(FAULTS))
def test_fault_case_same_verdict_and_table(fixture_tree, case):
    root, sources = fixture_tree
    fault, place, _rule = FAULTS[case]
    fault(root, sources)
    table = _table_of(place)
    if case in BUILD_STAGE_ONLY:
        assert not frictionless_failing(root)[0], f"{case}: frictionless found nothing"
        return  # BUILD_STAGE_ONLY[case]; tests/test_faults.py asserts the build's side
    if place.startswith("schemas/"):
        # a schema our build cannot use (frictionless may accept it: a primary key is optional
        # in Table Schema): nothing is checked, and the error names the file
        with pytest.raises(SchemaError, match=re.escape(place.split(":")[0])):
            project_failing(root, sources)
        return

    ok, ours = project_failing(root, sources)

    assert not ok, f"{case}: our checks found nothing"
    if case in CASCADES:
        assert table in ours, f"{case}: our checks fail {ours}, not {table} ({CASCADES[case]})"
        return  # frictionless does not know the project rule the cascade breaks
    assert ours == {table}, f"{case}: our checks fail {ours}, the fault is in {table}"
    if case in PROJECT_ONLY:
        return  # frictionless cannot see it: PROJECT_ONLY[case]
    fl_ok, theirs = frictionless_failing(root)
    assert not fl_ok, f"{case}: frictionless found nothing"
    assert table in theirs, f"{case}: frictionless fails {theirs}, not {table}"
    # frictionless also fails every table whose foreign keys point at a table it cannot read
    # (it repeats that table's error there); ours report it once, where it is
    cascade = {t for t in theirs - {table} if table in referenced(t)}
    assert theirs - cascade == ours, f"{case}: frictionless fails {theirs}, ours {ours}"


def test_real_data_frictionless_findings_are_ours(tmp_path):
    """On the curated data as it is today (valid or not): whatever frictionless finds, our
    checks find in the same table; if our checks pass, frictionless passes."""
    root = tmp_path / "repo"
    shutil.copytree(REPO / "schemas", root / "schemas")
    shutil.copytree(REPO / "data", root / "data")
    ok, ours = project_failing(root, sources_dir_from_env())
    fl_ok, theirs = frictionless_failing(root)
    assert theirs <= ours, f"frictionless fails {theirs - ours}, our checks do not"
    if ok:
        assert fl_ok


def test_synthetic_package_is_valid_for_both(tmp_path):
    """The benchmark's generated package at a small size: clean for both validators."""
    root = tmp_path / "bench"
    write_package(root, incidents=200)
    assert project_failing(root, root / "sources") == (True, set())
    assert frictionless_failing(root) == (True, set())
