"""The incidents as a GeoJSON FeatureCollection (RFC 7946), a release artifact.

Why: a map is a user's first look at event data, and GeoJSON opens in every GIS, web map and
notebook without this package. One Feature per incident whose place has coordinates, with the
place's point; the properties say how precisely the sources place the incident
(``place_precision``) and what the point is (``coordinates``: ``point`` or ``area_center``,
the latter a stand-in for a province or country that must not be read as an exact location).
Incidents without a place, or whose place has no coordinates (a described region), are left
out; the CSV and Parquet tables still hold them.

The bytes are deterministic: features in incident_id order, keys in a fixed order, numbers as
stored, UTF-8 with a final newline.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa

INCIDENTS, PLACES = "incidents", "places"
# properties of each Feature, in this order: the incident's, then its place's
INCIDENT_PROPERTIES = (
    "incident_id",
    "title",
    "type",
    "date_start",
    "date_end",
    "date_precision",
    "place_id",
)
PLACE_PROPERTIES = {"name": "place_name", "kind": "place_kind"}
BASIS_PROPERTY = "coordinates"


def geojson_name(version: str) -> str:
    return f"ca-militancy-{version}.geojson"


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _rows(table: pa.Table, columns: list[str]) -> list[dict[str, Any]]:
    """The rows as dictionaries of the columns the export writes, and no others."""
    wanted = dict.fromkeys(c for c in columns if c in table.column_names)
    return table.select(list(wanted)).to_pylist()


def incidents_feature_collection(tables: dict[str, pa.Table]) -> dict[str, Any]:
    """The FeatureCollection of the incidents that have a place with coordinates."""
    features: list[dict[str, Any]] = []
    if INCIDENTS not in tables or PLACES not in tables:
        return {"type": "FeatureCollection", "features": features}
    place_columns = ["place_id", "latitude", "longitude", "coordinates", *PLACE_PROPERTIES]
    places = {p["place_id"]: p for p in _rows(tables[PLACES], place_columns)}
    incident_columns = ["incident_id", "place_id", "place_precision", *INCIDENT_PROPERTIES]
    incidents = sorted(_rows(tables[INCIDENTS], incident_columns), key=lambda r: r["incident_id"])
    for inc in incidents:
        place = places.get(inc.get("place_id"))
        if place is None or place["latitude"] is None or place["longitude"] is None:
            continue
        properties = {k: _iso(inc[k]) for k in INCIDENT_PROPERTIES}
        properties |= {out: place[k] for k, out in PLACE_PROPERTIES.items()}
        properties["place_precision"] = inc["place_precision"]
        properties[BASIS_PROPERTY] = place["coordinates"]
        features.append(
            {
                "type": "Feature",
                "id": inc["incident_id"],
                "geometry": {
                    "type": "Point",
                    "coordinates": [place["longitude"], place["latitude"]],
                },
                "properties": properties,
            }
        )
    return {"type": "FeatureCollection", "features": features}


def write_geojson(tables: dict[str, pa.Table], path: Path) -> int:
    """Write the FeatureCollection to ``path``; returns the number of features."""
    collection = incidents_feature_collection(tables)
    with Path(path).open("w", encoding="utf-8", newline="\n") as out:  # streamed, not one string
        json.dump(collection, out, ensure_ascii=False, indent=1, allow_nan=False)
        out.write("\n")
    return len(collection["features"])
