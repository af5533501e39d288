"""The incident map, on synthetic places and incidents in every precision (the places table's
contract, before its data lands): written and reproducible, exact places pinned and areas drawn
as circles that never look exact, unmapped incidents counted, and no map without places data."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import matplotlib
import pyarrow as pa
import pytest
from matplotlib.lines import Line2D
from matplotlib.patches import Ellipse

from ca_militancy.build import figure_kit, figures, map_figure

sys.path.insert(0, str(Path(__file__).parent))
from test_figures import _table
from test_sqlite_edition import sample_tables

# The places table as the contract defines it (schemas/places.schema.json, in parallel work).
PLACES_SCHEMA = pa.schema(
    [
        ("place_id", pa.string()),
        ("name", pa.string()),
        ("kind", pa.string()),
        ("parent_place_id", pa.string()),
        ("country_code", pa.string()),
        ("iso_3166_2", pa.string()),
        ("geonames_id", pa.int64()),
        ("latitude", pa.float64()),
        ("longitude", pa.float64()),
        ("coordinates", pa.string()),
        ("coordinate_source", pa.string()),
        ("note", pa.string()),
    ]
)

# place_id, name, kind, country, latitude, longitude, coordinates
PLACES = [
    ("plc-af", "Afghanistan", "country", "AF", 34.52, 69.18, "area_center"),
    ("plc-af-khost-province", "Khost Province", "province", "AF", 33.34, 69.92, "area_center"),
    ("plc-kabul", "Kabul", "city", "AF", 34.53, 69.17, "point"),
    ("plc-kabul-airport", "Kabul airport", "site", "AF", 34.53, 69.17, "point"),
    ("plc-kg-batken-province", "Batken Province", "province", "KG", None, None, "none"),
    ("plc-aktobe", "Aktobe", "city", "KZ", 50.28, 57.21, "point"),
    ("plc-shymkent", "Shymkent", "city", "KZ", 42.3, 69.6, "area_center"),
    ("plc-moscow", "Moscow", "city", "RU", 55.75, 37.62, "point"),
    ("plc-rasht-district", "Rasht District", "district", "TJ", 39.03, 70.38, "point"),
    ("plc-tashkent", "Tashkent", "city", "UZ", 41.26, 69.22, "point"),
    ("plc-fergana-valley", "Fergana Valley", "region", "UZ", 40.6, 71.5, "area_center"),
]

# incident, place, precision, role of the one organization in it (None: no organization)
INCIDENTS = [
    ("inc-01", "plc-kabul-airport", "site", "perpetrator"),
    ("inc-02", "plc-kabul", "town", "claimed_responsibility"),
    ("inc-03", "plc-kabul", "town", "perpetrator"),
    ("inc-04", "plc-kabul", "town", "perpetrator"),
    ("inc-05", "plc-tashkent", "near_town", "suspected"),
    ("inc-06", "plc-rasht-district", "district", "attributed_by_authorities"),
    ("inc-07", "plc-af-khost-province", "province", "perpetrator"),
    ("inc-08", "plc-fergana-valley", "region", "claimed_responsibility"),
    ("inc-09", "plc-af", "country", "attributed_by_authorities"),
    ("inc-10", "plc-af", "country", "perpetrator"),
    ("inc-11", None, "unknown", "perpetrator"),
    ("inc-12", "plc-kg-batken-province", "province", "suspected"),
    ("inc-13", "plc-aktobe", "town", "perpetrator"),
    ("inc-14", "plc-moscow", "town", "suspected"),
    ("inc-15", "plc-shymkent", "town", "perpetrator"),  # a town whose point is only an area's
    ("inc-16", "plc-tashkent", "town", None),  # no organization: not the timeline's
]
PINNED = {
    "plc-kabul-airport",
    "plc-kabul",
    "plc-tashkent",
    "plc-rasht-district",
    "plc-aktobe",
    "plc-moscow",
}
AREAS = {"plc-af-khost-province", "plc-fergana-valley", "plc-af", "plc-shymkent"}
UNMAPPED = 2  # inc-11 (precision unknown) and inc-12 (a place without coordinates)


def places_tables() -> dict[str, pa.Table]:
    """Sample tables plus a places table and incidents placed in it, in every precision."""
    tables = sample_tables()
    orgs = [
        {
            "organization_id": "org-map",
            "name": "Katibat Map",
            "name_is_label": False,
            "kind": "militant_group",
            "description": "x",
            "founded_precision": "unknown",
        }
    ]
    incidents = [
        {
            "incident_id": inc,
            "type": "bombing",
            "title": inc,
            "summary": "s",
            "date_precision": "year",
            "date_start": None,
            "date_end": None,
        }
        for inc, _, _, _ in INCIDENTS
    ]
    actors = [
        {
            "incident_actor_id": f"act-{inc}",
            "incident_id": inc,
            "organization_id": "org-map",
            "role": role,
            "certainty": "reported",
        }
        for inc, _, _, role in INCIDENTS
        if role
    ]
    for row, (_, place, precision, _) in zip(incidents, INCIDENTS, strict=True):
        row |= {"place_id": place, "place_precision": precision}
    incident_table = _table("incidents", incidents)
    places = [
        {
            "place_id": pid,
            "name": name,
            "kind": kind,
            "country_code": cc,
            "latitude": lat,
            "longitude": lon,
            "coordinates": coords,
            "coordinate_source": None if coords == "none" else "synthetic",
        }
        for pid, name, kind, cc, lat, lon, coords in PLACES
    ]
    return {
        **tables,
        "organizations": _table("organizations", orgs),
        "incidents": incident_table,
        "incident_actors": _table("incident_actors", actors),
        "places": pa.Table.from_pylist(places, schema=PLACES_SCHEMA),
    }


@pytest.fixture(scope="module")
def drawn():
    with matplotlib.rc_context(figure_kit.RC):
        yield map_figure.map_figure(places_tables())


def _gids(fig, prefix: str, kind: type) -> dict[str, list]:
    (ax,) = fig.axes
    found: dict[str, list] = {}
    for artist in [*ax.get_lines(), *ax.patches]:
        gid = artist.get_gid() or ""
        if gid.startswith(prefix) and isinstance(artist, kind):
            found.setdefault(gid.removeprefix(prefix).rsplit("-", 1)[0], []).append(artist)
    return found


def test_render_all_writes_the_map_reproducibly(tmp_path):
    first = figures.render_all(places_tables(), tmp_path / "a")
    again = figures.render_all(places_tables(), tmp_path / "b")
    assert sorted(p.name for p in first) == sorted(
        f"{stem}.svg" for stem in (figures.NETWORK_FILE, figures.TIMELINE_FILE, map_figure.MAP_FILE)
    )
    digest = lambda p: hashlib.sha256(p.read_bytes()).hexdigest()  # noqa: E731
    assert [digest(p) for p in first] == [digest(p) for p in again]
    svg = (tmp_path / "a" / f"{map_figure.MAP_FILE}.svg").read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "<dc:date>" not in svg


def test_exact_places_are_pins_and_coarse_places_are_areas(drawn):
    pins = _gids(drawn, "incident-pin-", Line2D)
    areas = _gids(drawn, "incident-area-", Ellipse)
    assert set(pins) == PINNED
    assert set(areas) == AREAS
    # "Near a town" and "in a district" are open markers; a site and a town are filled.
    open_pins = {pid for pid, lines in pins.items() if lines[0].get_fillstyle() == "none"}
    assert open_pins == {"plc-tashkent", "plc-rasht-district"}
    # A pin sits exactly on its place; an area circle is centred on the area and grows with it.
    (kabul,) = [ln for ln in pins["plc-kabul-airport"]]
    assert (kabul.get_xdata()[0], kabul.get_ydata()[0]) == (69.17, 34.53)
    radius = {pid: min(e.height for e in es) / 2 for pid, es in areas.items()}
    assert radius["plc-af-khost-province"] < radius["plc-fergana-valley"] < radius["plc-af"]
    assert all(e.get_linestyle() not in ("-", "solid") and e.get_hatch() for e in areas["plc-af"])


def test_several_roles_at_one_place_are_all_drawn(drawn):
    pins = _gids(drawn, "incident-pin-", Line2D)
    areas = _gids(drawn, "incident-area-", Ellipse)
    assert {ln.get_gid().rsplit("-", 1)[-1] for ln in pins["plc-kabul"]} == {
        "perpetrator",
        "claimed_responsibility",
    }
    assert {ln.get_marker() for ln in pins["plc-kabul"]} == {"o", "^"}
    assert len(areas["plc-af"]) == 2


def test_caption_counts_the_unmapped_incidents(drawn):
    (ax,) = drawn.axes
    caption = ax.get_xlabel()
    mapped = sum(1 for _, _, _, role in INCIDENTS if role) - UNMAPPED
    assert f"{UNMAPPED} incidents not mapped" in caption
    assert f"{mapped} incidents at {len(PINNED | AREAS)} places" in caption


def test_place_labels_do_not_overlap(drawn):
    (ax,) = drawn.axes
    labels = [t for t in ax.texts if t.get_text()]
    shown = {t.get_text() for t in labels}
    assert {"Kabul (3)", "Afghanistan (2)", "Moscow (1)"} <= shown
    drawn.canvas.draw()
    assert figure_kit.overlapping_pairs(figure_kit.label_boxes(drawn, labels)) == []


def test_without_places_data_there_is_no_map(tmp_path):
    tables = places_tables()
    no_places = {k: v for k, v in tables.items() if k != "places"}
    incidents = tables["incidents"]
    unplaced = {**tables, "incidents": incidents.drop_columns(["place_id", "place_precision"])}
    for case, given in (("no-places", no_places), ("unplaced", unplaced)):
        assert not map_figure.has_places(given)
        paths = figures.render_all(given, tmp_path / case)
        assert sorted(p.name for p in paths) == sorted(
            f"{stem}.svg" for stem in (figures.NETWORK_FILE, figures.TIMELINE_FILE)
        )


def test_base_map_comes_from_the_installed_package():
    shapes = map_figure._read_shapes("countries", map_figure.BOUNDARY_RESOLUTION)
    # Some boundary line runs through Central Asia (e.g. Kazakhstan-Uzbekistan).
    assert any(map_figure._in_view(points, (60.0, 70.0, 38.0, 45.0)) for _, _, points in shapes)


def test_title_caption_and_legend_stay_on_the_page(drawn):
    drawn.canvas.draw()
    renderer = drawn.canvas.get_renderer()
    (ax,) = drawn.axes
    page = drawn.bbox
    for artist in (ax.title, ax.xaxis.label, *drawn.legends):
        box = artist.get_window_extent(renderer)
        assert page.y0 <= box.y0 and box.y1 <= page.y1, artist


def test_a_map_with_nothing_placed_still_says_what_is_missing(tmp_path):
    tables = places_tables()
    unknown = pa.array(["unknown"] * tables["incidents"].num_rows, pa.string())
    incidents = tables["incidents"]
    incidents = incidents.set_column(
        incidents.column_names.index("place_precision"), "place_precision", unknown
    )
    tables = {**tables, "incidents": incidents}
    with matplotlib.rc_context(figure_kit.RC):
        fig = map_figure.map_figure(tables)
    (ax,) = fig.axes
    on_timeline = sum(1 for _, _, _, role in INCIDENTS if role)
    assert f"{on_timeline} incidents not mapped" in ax.get_xlabel()
    assert not _gids(fig, "incident-pin-", Line2D) and not _gids(fig, "incident-area-", Ellipse)
    paths = figures.render_all(tables, tmp_path)
    assert (tmp_path / f"{map_figure.MAP_FILE}.svg") in paths


def test_legend_says_what_roles_and_precisions_look_like(drawn):
    (legend,) = drawn.legends
    texts = [t.get_text() for t in legend.get_texts()]
    roles = {label for _, _, label in figure_kit.TIMELINE_ROLES}
    assert roles <= set(texts)
    assert any(t.startswith("dashed circle: only the") and "not the place" in t for t in texts)
    assert any(t.startswith("open marker") for t in texts)


def test_only_the_busiest_places_are_named_on_a_crowded_map():
    """Labels stay readable (and the figure fast) at thousands of places: at most MAX_LABELS
    names, the places with the most incidents, and the caption says so."""
    from ca_militancy.build.map_figure import MAX_LABELS, PlaceMark, labelled_places

    totals = {
        f"plc-{i:03d}": (
            PlaceMark(f"plc-{i:03d}", f"P{i}", 60.0, 40.0, "perpetrator", None, True, i),
            i,
        )
        for i in range(MAX_LABELS + 10)
    }
    named = labelled_places(totals)
    assert len(named) == MAX_LABELS
    assert named == sorted(f"plc-{i:03d}" for i in range(10, MAX_LABELS + 10))


def test_a_map_of_thousands_of_places_marks_the_busiest_and_says_what_it_left_off():
    """At scale the map marks the MAX_MARKED_PLACES places with the most incidents (each mark
    is an artist of its own) and its caption counts the incidents and places not drawn."""
    from ca_militancy.build import map_figure as mf

    n = mf.MAX_MARKED_PLACES + 50
    marks = [
        mf.PlaceMark(
            place_id=f"plc-{i:05d}", name=f"P{i}", lon=60 + i / n, lat=40.0,
            role="perpetrator", area=None, filled=True, count=1 + (i % 3),
        )
        for i in range(n)
    ]  # fmt: skip
    drawn = mf.most_marked(marks)
    assert len({m.place_id for m in drawn}) == mf.MAX_MARKED_PLACES
    least_drawn = min(m.count for m in drawn)
    assert all(m.count <= least_drawn for m in marks if m not in drawn)
    left = sum(m.count for m in marks) - sum(m.count for m in drawn)
    caption = mf._caption(marks, unmapped=0)
    assert f"{left} incidents at 50 other places are counted but not drawn" in caption
    assert mf.most_marked(marks[:10]) == marks[:10]
    assert "not drawn" not in mf._caption(marks[:10], unmapped=0)
