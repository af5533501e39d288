"""Field-level evidence and places, as a maintainer meets them: a fact without a citation that
names it, a value that is not in the words of its excerpt, or a place that breaks its checks
(tests/test_places.py defines those cases) fails the build with a located
`file:line: column=value: check: message` and leaves every output as it was.

The cases break a copy of a built repository with the fixture data (tests/conftest.py), like
tests/test_faults.py, whose fixture and helpers they reuse."""

from __future__ import annotations

import pytest
from test_coverage import COVERAGE_FAULTS
from test_faults import _replace, _run_build, _snapshot, built_repo  # noqa: F401 - the fixture is used
from test_places import PLACE_FAULTS

from ca_militancy.build import pipeline

# name -> (fault, expected "file:line" prefix, column=value, check)
EVIDENCE_FAULTS = {
    "count not in its excerpt": (
        _replace("incidents", b",3,3,4,", b",3,3,9,"),
        "data/incidents.csv:2", "killed_high=9", "count-in-excerpt",
    ),
    "alias spelling not in its excerpt": (
        _replace("aliases", b",IMU,", b",I.M.U.,"),
        "data/aliases.csv:2", "alias=I.M.U.", "alias-in-excerpt",
    ),
    "day not in its excerpt": (
        _replace("incidents", b"2011-05-05,2011-05-05", b"2011-05-06,2011-05-06"),
        "data/incidents.csv:2", "date_start=2011-05-06", "date-in-excerpt",
    ),
    "place not in its excerpt": (
        _replace("incidents", b",Kabul,", b",Herat,"),
        "data/incidents.csv:2", "place=Herat", "place-in-excerpt",
    ),
    "implied tie marked reported": (
        _replace("memberships", b",reported,,\n", b",reported,,Implied by the text.\n"),
        "data/memberships.csv:2", "certainty=reported", "inference-marked-inferred",
    ),
    "citation names a field its record lacks": (
        _replace("citations", b",role certainty,", b",role rank,"),
        "data/citations.csv:", "field=rank", "cited-field-exists",
    ),
    "stated value with two fields": (
        _replace("citations", b",killed_best,three,", b",killed_best killed_low,three,"),
        "data/citations.csv:", "field=killed_best killed_low", "one-field-per-stated-value",
    ),
}  # fmt: skip


def _uncite_government_kind(root, sources) -> None:
    path = root / "data" / "citations.csv"
    lines = path.read_bytes().split(b"\n")
    hits = [i for i, ln in enumerate(lines) if ln.startswith(b"cit-a-gov,")]
    assert len(hits) == 1
    lines[hits[0]] = lines[hits[0]].replace(b",supports,kind,", b",supports,,")
    path.write_bytes(b"\n".join(lines))


EVIDENCE_FAULTS["fact field without a field citation"] = (
    _uncite_government_kind,
    "data/organizations.csv:2",
    "kind=government",
    "fact-fields-cited",
)


@pytest.mark.parametrize("case", sorted(EVIDENCE_FAULTS | PLACE_FAULTS | COVERAGE_FAULTS))
def test_evidence_fault_fails_the_build_located(built_repo, tmp_path, capsys, monkeypatch, case):  # noqa: F811
    fault, place, cell, check = (EVIDENCE_FAULTS | PLACE_FAULTS | COVERAGE_FAULTS)[case]
    root, before = _run_build(built_repo, tmp_path, monkeypatch, fault)
    capsys.readouterr()

    code = pipeline.main(["--root", str(root), "--no-extras"])

    err = capsys.readouterr().err
    assert code != 0
    located = [
        ln for ln in err.splitlines() if place in ln and f"{cell}:" in ln and f": {check}: " in ln
    ]
    assert located, f"no line naming {place}, {cell} and {check} in:\n{err}"
    assert _snapshot(root) == before
