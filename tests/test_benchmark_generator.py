"""The benchmark's synthetic package: what the figures in BENCHMARKS.md rest on.

A benchmark on data that fails the checks, lacks tables, or has no Unicode or nulls would
measure the wrong path; these tests pin what the generator promises (benchmarks/generator.py).
"""

from __future__ import annotations

import hashlib
import sys
import unicodedata
from pathlib import Path

import pyarrow.csv as pacsv
import pytest
from conftest import REPO

from ca_militancy.build.checks import check_repository
from ca_militancy.core.catalog import catalog, constraint

sys.path.insert(0, str(REPO / "benchmarks"))
import generator

INCIDENTS = 500


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    root = tmp_path_factory.mktemp("bench") / "pkg"
    rows = generator.write_package(root, INCIDENTS, seed=1)
    return root, rows


def _read(root: Path, name: str):
    return pacsv.read_csv(
        root / "data" / f"{name}.csv",
        convert_options=pacsv.ConvertOptions(
            column_types={c: "string" for c in catalog()[name].field_names},
            strings_can_be_null=True,
            null_values=[""],
        ),
    )


def test_every_table_with_the_schema_header(package):
    root, rows = package
    assert set(rows) == set(catalog().names)
    for name in catalog().names:
        first = (root / "data" / f"{name}.csv").read_text(encoding="utf-8").split("\n", 1)[0]
        assert first.split(",") == catalog()[name].field_names, name
        assert rows[name] >= 1, name


def test_passes_every_project_check_including_excerpts(package):
    root, _ = package
    result = check_repository(root, root / "generator-sources-missing")  # wrong dir: reported
    assert not result.ok
    result = check_repository(root, root / generator.SOURCES_DIR)
    assert result.ok, result.log.report()
    assert not result.skipped


def test_proportions_follow_the_incidents(package):
    _, rows = package
    assert rows["incidents"] == INCIDENTS
    assert rows["incident_actors"] == round(INCIDENTS * generator.PER_INCIDENT["incident_actors"])
    cited = sum(n for t, n in rows.items() if t not in ("citations", "conflicts"))
    assert rows["citations"] >= cited  # rule 1: every record has a citation
    big = generator.table_sizes(100 * INCIDENTS)
    assert big["incidents"] == 100 * INCIDENTS
    assert big["incident_actors"] == 100 * rows["incident_actors"]


def test_unicode_names_and_nulls(package):
    root, _ = package
    names = " ".join(_read(root, "organizations")["name"].to_pylist())
    names += " ".join(_read(root, "aliases")["alias"].to_pylist())
    scripts = {unicodedata.name(ch).split()[0] for ch in names if ch.isalpha()}
    assert {"LATIN", "CYRILLIC", "ARABIC"} <= scripts
    incidents = _read(root, "incidents")
    required = {f["name"] for f in catalog()["incidents"].fields if constraint(f, "required")}
    optional = [c for c in incidents.column_names if c not in required]
    assert optional and all(incidents[c].null_count > 0 for c in optional)
    assert all(incidents[c].null_count == 0 for c in required)


def test_same_seed_same_bytes(package, tmp_path):
    root, _ = package
    again = tmp_path / "again"
    generator.write_package(again, INCIDENTS, seed=1)
    for path in sorted((root / "data").glob("*.csv")):
        a = hashlib.sha256(path.read_bytes()).hexdigest()
        b = hashlib.sha256((again / "data" / path.name).read_bytes()).hexdigest()
        assert a == b, path.name
