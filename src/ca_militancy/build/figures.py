"""Figures built from the data: the network of organizations and a timeline of incidents.

Why: a picture of who is tied to whom, and of what happened where and when, says more at first
sight than ten tables (compare the relationship maps of Stanford's Mapping Militant
Organizations). The figures must stay readable in grey print and for colour-blind readers, so
every colour is doubled by a line width, a line style, a marker or a text label; names never
hide each other (labels are pushed apart until their boxes do not overlap); and the SVG files
are reproducible (fixed hash salt, no date, fixed layout seed, text drawn as paths).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pyarrow as pa
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.text import Text

NETWORK_FILE = "organization-network"
TIMELINE_FILE = "incident-timeline"
LAYOUT_SEED = 20111031  # any fixed number: the same data always gives the same layout

# Matplotlib settings that make the SVG bytes depend on the data only.
RC = {
    "svg.hashsalt": "ca-militancy",
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 12,
    "path.simplify": False,
}
SAVE_METADATA = {"svg": {"Date": None}, "png": {"Software": None}, "pdf": {"CreationDate": None}}

# Okabe-Ito palette: distinguishable with the common colour-vision deficiencies.
OKABE_ITO = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]


@dataclass(frozen=True)
class TieStyle:
    """How one family of tie types is drawn: colour, and a line width that survives grey."""

    label: str
    color: str
    width: float


# Families of org_relationships.type; a type not listed (the enum may grow) is drawn as "other".
TIE_FAMILIES: dict[str, tuple[TieStyle, tuple[str, ...]]] = {
    "structure": (
        TieStyle("part of (subunit, body, media arm)", "#0072B2", 2.6),
        ("subunit_of", "body_of", "media_arm_of", "published_by"),
    ),
    "lineage": (
        TieStyle("lineage (splinter, renamed, defections)", "#D55E00", 1.9),
        ("splinter_of", "renamed_from", "fighters_defected_to"),
    ),
    "alliance": (
        TieStyle("alliance (allegiance, allied, cooperation)", "#009E73", 1.5),
        (
            "pledged_allegiance_to",
            "allied_with",
            "cooperates_with",
            "fights_alongside",
            "associated_with",
        ),
    ),
    "support": (TieStyle("support (hosted, backed)", "#CC79A7", 1.2), ("hosted_by", "backed_by")),
    "rivalry": (TieStyle("rivalry", "#000000", 0.9), ("rival_of",)),
}
OTHER_TIE = TieStyle("other", "#7f7f7f", 1.0)

# Name-box style by organization kind (the outline's shape, not only colour, tells them apart).
KIND_MARKERS: list[tuple[str, str, str, tuple[str, ...]]] = [
    (
        "militant organization (rounded box)",
        "round,pad=0.35",
        "#F7EE8A",
        ("militant_group", "militant_unit", "militant_network", "political_movement"),
    ),
    (
        "militant media or forum (toothed box)",
        "roundtooth,pad=0.35",
        "#F5C26B",
        ("militant_media", "online_forum"),
    ),
    (
        "state or intergovernmental body (square box)",
        "square,pad=0.35",
        "#56B4E9",
        (
            "government",
            "government_body",
            "armed_forces",
            "intergovernmental_organization",
            "legislature",
        ),
    ),
    (
        "media or research (sawtooth box)",
        "sawtooth,pad=0.35",
        "#FFFFFF",
        ("media_outlet", "research_organization"),
    ),
]
OTHER_KIND = ("other (square box, grey)", "square,pad=0.35", "#DDDDDD", ())

# incident_actors roles drawn on the timeline, strongest first, with their marker fill.
TIMELINE_ROLES: list[tuple[str, str, str]] = [
    ("perpetrator", "full", "carried out (reported)"),
    ("attributed_by_authorities", "left", "attributed by authorities"),
    ("claimed_responsibility", "none", "claimed responsibility"),
    ("suspected", "bottom", "suspected"),
]


def tie_style(tie_type: str) -> TieStyle:
    for style, types in TIE_FAMILIES.values():
        if tie_type in types:
            return style
    return OTHER_TIE


def kind_marker(kind: str | None) -> tuple[str, str, str, tuple[str, ...]]:
    for entry in KIND_MARKERS:
        if kind in entry[3]:
            return entry
    return OTHER_KIND


# --- helpers --------------------------------------------------------------------------------


def _rows(tables: dict[str, pa.Table], name: str) -> list[dict[str, Any]]:
    table = tables.get(name)
    return [] if table is None else table.to_pylist()


def _new_figure(width: float, height: float) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)  # a canvas to measure text with, without pyplot's global state
    return fig


def _save(fig: Figure, out_dir: Path, stem: str, formats: Iterable[str]) -> list[Path]:
    paths = []
    for fmt in formats:
        path = out_dir / f"{stem}.{fmt}"
        tmp = out_dir / f".{stem}.tmp.{fmt}"
        fig.savefig(
            tmp, format=fmt, metadata=SAVE_METADATA.get(fmt), dpi=150 if fmt == "png" else None
        )
        tmp.replace(path)
        paths.append(path)
    return paths


def _empty(ax: Axes, message: str) -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, fontsize=11)
    ax.set_axis_off()


def label_boxes(fig: Figure, texts: list[Text]) -> list[Any]:
    """Display-space bounding boxes of texts, with a small margin (the figure must have been
    drawn once, so that the layout is known)."""
    renderer = fig.canvas.get_renderer()
    return [t.get_window_extent(renderer).expanded(1.06, 1.15) for t in texts]


def _box_array(boxes: list[Any]) -> np.ndarray:
    return np.array([[b.x0, b.y0, b.x1, b.y1] for b in boxes], dtype=float).reshape(-1, 4)


def _overlap_matrix(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Overlap widths (x) and heights (y) of every pair of boxes; > 0 in both means overlap."""
    ox = np.minimum(arr[:, None, 2], arr[None, :, 2]) - np.maximum(arr[:, None, 0], arr[None, :, 0])
    oy = np.minimum(arr[:, None, 3], arr[None, :, 3]) - np.maximum(arr[:, None, 1], arr[None, :, 1])
    return ox, oy


def overlapping_pairs(boxes: list[Any]) -> list[tuple[int, int]]:
    """Index pairs (i < j) of boxes that overlap."""
    arr = _box_array(boxes)
    ox, oy = _overlap_matrix(arr)
    hit = np.triu((ox > 0) & (oy > 0), k=1)
    return [(int(i), int(j)) for i, j in zip(*np.nonzero(hit), strict=True)]


def _spread_labels(
    fig: Figure, ax: Axes, texts: list[Text], rounds: int = 400, movable: int = 0
) -> None:
    """Push overlapping labels apart (in display space) until no two boxes overlap.

    The layout is drawn once and frozen; then the boxes are moved as arrays (moving a text
    does not change its size): each round moves both labels of every overlapping pair away
    from each other by half their overlap along the axis where the overlap is smaller (a fixed
    label does not move, the other takes the whole way). Labels still stuck after that get
    the first free place on a spiral around them. Deterministic, no randomness. The first
    ``movable`` texts stay put (0: all move)."""
    if len(texts) < 2:
        return
    fig.canvas.draw()
    fig.set_layout_engine("none")  # freeze the layout: moving labels must not resize the axes
    start = _box_array(label_boxes(fig, texts))
    arr = start.copy()
    fixed = np.arange(len(texts)) < movable
    for _ in range(rounds):
        ox, oy = _overlap_matrix(arr)
        hit = np.triu((ox > 0) & (oy > 0), k=1)
        if not hit.any():
            break
        shift = np.zeros((len(texts), 2))
        cx, cy = (arr[:, 0] + arr[:, 2]) / 2, (arr[:, 1] + arr[:, 3]) / 2
        for i, j in zip(*np.nonzero(hit), strict=True):
            wi = 0.0 if fixed[i] else (2.0 if fixed[j] else 1.0)
            wj = 0.0 if fixed[j] else (2.0 if fixed[i] else 1.0)
            axis, centre, amount = (1, cy, oy[i, j]) if oy[i, j] <= ox[i, j] else (0, cx, ox[i, j])
            sign = 1.0 if centre[i] > centre[j] or (centre[i] == centre[j] and i < j) else -1.0
            shift[i, axis] += wi * sign * (amount / 2 + 1)
            shift[j, axis] -= wj * sign * (amount / 2 + 1)
        arr[:, [0, 2]] += shift[:, [0]]
        arr[:, [1, 3]] += shift[:, [1]]
    _place_stuck(arr, fixed, _box_array([fig.bbox]))
    inv = ax.transData.inverted()
    for k, text in enumerate(texts):
        dx, dy = arr[k, 0] - start[k, 0], arr[k, 1] - start[k, 1]
        if dx or dy:
            x, y = ax.transData.transform(text.get_position())
            text.set_position(inv.transform((x + dx, y + dy)))


def _place_stuck(arr: np.ndarray, fixed: np.ndarray, frame: np.ndarray) -> None:
    """Move each movable box that still overlaps another to the first free place on a
    widening spiral around it, inside the frame (in place)."""
    for k in range(len(arr)):
        others = np.delete(arr, k, axis=0)

        def free(box: np.ndarray, others: np.ndarray = others) -> bool:
            ox, oy = _overlap_matrix(np.vstack([box, others]))
            inside = (box[:2] >= frame[0, :2]).all() and (box[2:] <= frame[0, 2:]).all()
            return inside and not ((ox[0, 1:] > 0) & (oy[0, 1:] > 0)).any()

        if fixed[k] or free(arr[k]):
            continue
        for step in range(1, 2000):
            angle, radius = step * 2.4, 6.0 * math.sqrt(step)
            moved = arr[k] + np.array([math.cos(angle), math.sin(angle)] * 2) * radius
            if free(moved):
                arr[k] = moved
                break


def _short(text: str, width: int = 28) -> str:
    """Wrap a long name onto lines of at most ``width`` characters."""
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


# --- network of organizations -----------------------------------------------------------------

MILITANT_KINDS = frozenset(KIND_MARKERS[0][3] + KIND_MARKERS[1][3])


def _is_militant(orgs: dict[str, dict[str, Any]], tie: dict[str, Any]) -> bool:
    """Keep a tie when an end is a militant organization (state bodies' own hierarchy, e.g.
    a ministry body_of a government, is left out of the picture; it stays in the data)."""
    ends = (tie["subject_organization_id"], tie["object_organization_id"])
    return any(orgs[e]["kind"] in MILITANT_KINDS for e in ends)


def _packed_layout(
    nodes: list[str], edges: list[tuple[str, str]]
) -> dict[str, tuple[float, float]]:
    """Positions in layout units (about one name box apart): each connected part laid out
    on its own (spring layout, fixed seed), then the parts packed in rows, largest first, so
    that small separate groups do not squeeze the big one into a corner."""
    import networkx as nx

    if not nodes:
        return {}
    graph = nx.Graph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from(sorted({tuple(sorted(e)) for e in edges}))
    parts = sorted((sorted(c) for c in nx.connected_components(graph)), key=lambda c: (-len(c), c))
    laid: list[dict[str, tuple[float, float]]] = []
    for part in parts:
        sub = graph.subgraph(part)
        if len(part) <= 2:
            raw = {node: (1.8 * i, 0.0) for i, node in enumerate(part)}
        else:
            # Spring layout with a long ideal edge length: hubs' neighbours spread around them.
            spring = nx.spring_layout(
                sub, seed=LAYOUT_SEED, k=2.0 / math.sqrt(len(part)), iterations=500
            )
            keys = sorted(spring)
            scaled = nx.rescale_layout(
                np.array([spring[k] for k in keys], dtype=float),
                scale=1.3 * math.sqrt(len(part)),
            )
            raw = {k: (float(x) * 1.3, float(y)) for k, (x, y) in zip(keys, scaled, strict=True)}
        x0 = min(p[0] for p in raw.values())
        y1 = max(p[1] for p in raw.values())
        laid.append({k: (x - x0, y - y1) for k, (x, y) in raw.items()})
    sizes = [(max(p[0] for p in part.values()), -min(p[1] for p in part.values())) for part in laid]
    row_width = max(sizes[0][0], math.sqrt(sum((w + 2.6) * (h + 1.4) for w, h in sizes)) * 1.3)
    pos: dict[str, tuple[float, float]] = {}
    x = y = row_height = 0.0
    for part, (w, h) in zip(laid, sizes, strict=True):
        if x > 0 and x + w > row_width:
            x, y, row_height = 0.0, y - row_height - 1.4, 0.0
        pos.update({k: (px + x, py + y) for k, (px, py) in part.items()})
        x += w + 2.6
        row_height = max(row_height, h)
    return pos


def network_figure(tables: dict[str, pa.Table]) -> Figure:
    """Organizations as name boxes, org_relationships as directed, typed arrows (subject ->
    object); contested ties dashed. Only organizations with at least one tie are drawn.

    The names are the nodes: arrows end at the name boxes, so no marker hides a name and
    every arrow head stays visible. A box's outline shape tells the kind of organization."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import FancyArrowPatch, Patch

    orgs = {r["organization_id"]: r for r in _rows(tables, "organizations")}
    ties = sorted(_rows(tables, "org_relationships"), key=lambda r: r["relationship_id"])
    ties = [
        t
        for t in ties
        if t["subject_organization_id"] in orgs and t["object_organization_id"] in orgs
    ]
    ties = [t for t in ties if _is_militant(orgs, t)]
    nodes = sorted(
        {t["subject_organization_id"] for t in ties} | {t["object_organization_id"] for t in ties}
    )
    n = len(nodes)
    pos = _packed_layout(
        nodes, [(t["subject_organization_id"], t["object_organization_id"]) for t in ties]
    )
    xs, ys = [p[0] for p in pos.values()] or [0.0], [p[1] for p in pos.values()] or [0.0]
    width_units, height_units = max(xs) - min(xs) + 2.6, max(ys) - min(ys) + 1.6
    scale = min(1.9, 22.0 / width_units, 20.0 / height_units)  # inches per layout unit
    fig = _new_figure(max(8.0, width_units * scale), max(6.0, height_units * scale + 1.6))
    ax = fig.add_subplot()
    ax.set_title(
        "Ties involving militant organizations (arrow: subject → object; dashed: contested)"
    )
    if n == 0:
        _empty(ax, "No ties involving a militant organization in this release.")
        return fig
    ax.set_xlim(min(xs) - 1.3, max(xs) + 1.3)
    ax.set_ylim(min(ys) - 0.8, max(ys) + 0.8)
    ax.set_axis_off()

    # The legend first: the layout must be final before labels are measured and spread.
    families = {tie_style(str(t["type"])) for t in ties}
    handles: list[Any] = [
        Line2D([], [], color=s.color, lw=s.width, label=s.label)
        for s in [*(f[0] for f in TIE_FAMILIES.values()), OTHER_TIE]
        if s in families
    ]
    if any(t["contested"] for t in ties):
        handles.append(
            Line2D(
                [],
                [],
                color="#333333",
                lw=1.5,
                linestyle=(0, (5, 3)),
                label="contested (a source disputes it)",
            )
        )
    kinds = {kind_marker(orgs[n]["kind"])[0] for n in nodes}
    handles += [
        Patch(facecolor=face, edgecolor="black", label=label)
        for label, _, face, _ in [*KIND_MARKERS, OTHER_KIND]
        if label in kinds
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=3, frameon=False, fontsize=8)

    # Nodes: the names, in boxes whose outline shape and fill tell the kind; pushed apart
    # until no two overlap.
    boxes: dict[str, Text] = {}
    for node in nodes:
        _, boxstyle, face, _ = kind_marker(orgs[node]["kind"])
        boxes[node] = ax.text(
            *pos[node],
            _short(orgs[node]["name"], 24),
            ha="center",
            va="center",
            fontsize=9,
            weight="bold",
            zorder=4,
            bbox={"boxstyle": boxstyle, "fc": face, "ec": "black", "lw": 1.0},
        )
    _spread_labels(fig, ax, list(boxes.values()))
    fig.canvas.draw()  # the boxes' patches get their final size for the arrows to clip to
    pos = {n: boxes[n].get_position() for n in nodes}

    # Edges: a curve per tie, bent apart when several join the same pair.
    pair_count: dict[tuple[str, str], int] = {}
    labels: list[Text] = []
    for tie in ties:
        u, v = tie["subject_organization_id"], tie["object_organization_id"]
        pair = (min(u, v), max(u, v))
        k = pair_count.get(pair, 0)
        pair_count[pair] = k + 1
        rad = 0.15 * (k // 2 + 1) * (1 if k % 2 == 0 else -1) if k else 0.08
        if u > v:  # arc3 bends relative to the direction: keep one pair's ties apart
            rad = -rad
        style = tie_style(str(tie["type"]))
        ax.add_patch(
            FancyArrowPatch(
                pos[u],
                pos[v],
                connectionstyle=f"arc3,rad={rad}",
                arrowstyle="-|>",
                mutation_scale=16,
                color=style.color,
                linewidth=style.width,
                linestyle=(0, (5, 3)) if tie["contested"] else "solid",
                patchA=boxes[u].get_bbox_patch(),
                patchB=boxes[v].get_bbox_patch(),
                shrinkA=2,
                shrinkB=2,
                zorder=2,
            )
        )
        (x1, y1), (x2, y2) = pos[u], pos[v]
        mx = (x1 + x2) / 2 + 0.5 * rad * (y2 - y1)
        my = (y1 + y2) / 2 - 0.5 * rad * (x2 - x1)
        text = str(tie["type"]).replace("_", " ") + (" (contested)" if tie["contested"] else "")
        labels.append(
            ax.text(
                mx,
                my,
                text,
                fontsize=7.5,
                color=style.color,
                ha="center",
                va="center",
                style="italic",
                zorder=3,
                bbox={"boxstyle": "round,pad=0.12", "fc": "white", "ec": "none", "alpha": 0.85},
            )
        )
    _spread_labels(fig, ax, [*boxes.values(), *labels], movable=len(boxes))

    return fig


# --- timeline of incidents ----------------------------------------------------------------------


def _timeline_marks(tables: dict[str, pa.Table]) -> list[dict[str, Any]]:
    """One mark per (organization, incident): the strongest timeline role it has."""
    orgs = {r["organization_id"]: r for r in _rows(tables, "organizations")}
    incidents = {r["incident_id"]: r for r in _rows(tables, "incidents")}
    rank = {role: i for i, (role, _, _) in enumerate(TIMELINE_ROLES)}
    best: dict[tuple[str, str], dict[str, Any]] = {}
    for actor in _rows(tables, "incident_actors"):
        org, inc, role = actor["organization_id"], actor["incident_id"], actor["role"]
        if org not in orgs or inc not in incidents or role not in rank:
            continue
        key = (org, inc)
        if key not in best or rank[role] < rank[best[key]["role"]]:
            i = incidents[inc]
            best[key] = {
                "organization": orgs[org]["name"],
                "organization_id": org,
                "incident_id": inc,
                "role": role,
                "country": i["country_code"] or "unknown country",
                "start": i["date_start"],
                "end": i["date_end"],
                "precision": i["date_precision"],
            }
    return [best[k] for k in sorted(best)]


def timeline_figure(tables: dict[str, pa.Table]) -> Figure:
    """Rows are (organization, country) pairs; a dated incident is a marker, a period a bar
    from its first to its last possible day, an open bound an arrow. Fill shows the role."""
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
    from matplotlib.lines import Line2D

    marks = _timeline_marks(tables)
    dated = [m for m in marks if m["start"] or m["end"]]
    undated = len(marks) - len(dated)
    rows = {(m["organization"], m["country"]) for m in dated}
    # Group an organization's countries together, organizations ordered by first incident.
    first_of_org: dict[str, dt.date] = {}
    for m in dated:
        d = _first_day(m)
        first_of_org[m["organization"]] = min(d, first_of_org.get(m["organization"], d))
    rows = sorted(rows, key=lambda r: (first_of_org[r[0]], r[0], r[1]))
    height = max(3.0, 1.2 + 0.42 * len(rows))
    fig = _new_figure(11, height)
    ax = fig.add_subplot()
    ax.set_title(
        "Incidents by organization and country (perpetrator, attributed, claimed, suspected)"
    )
    if not rows:
        _empty(ax, "No dated incidents with an organization as actor in this release.")
        return fig

    countries = sorted({r[1] for r in rows})
    colour = {c: OKABE_ITO[i % len(OKABE_ITO)] for i, c in enumerate(countries)}
    fill = {role: f for role, f, _ in TIMELINE_ROLES}
    y_of = {r: len(rows) - 1 - i for i, r in enumerate(rows)}
    span_days = max(1, (max(_last_day(m) for m in dated) - min(_first_day(m) for m in dated)).days)
    arrow_len = span_days * 0.04
    for m in dated:
        y = y_of[(m["organization"], m["country"])]
        c = colour[m["country"]]
        style = {
            "color": c,
            "markeredgecolor": c,
            "fillstyle": fill[m["role"]],
            "markerfacecoloralt": "white",
            "markersize": 9,
            "markeredgewidth": 1.6,
        }
        start, end = m["start"], m["end"]
        if start and end and start == end:
            ax.plot([date2num(start)], [y], marker="o", linestyle="none", **style)
        elif start and end:
            ax.plot(
                [date2num(start), date2num(end)],
                [y, y],
                color=c,
                lw=7,
                alpha=0.45,
                solid_capstyle="butt",
            )
            ax.plot(
                [date2num(start), date2num(end)],
                [y, y],
                marker="|",
                markersize=12,
                markeredgewidth=2,
                color=c,
                linestyle="none",
            )
            ax.plot(
                [date2num(start + (end - start) / 2)],
                [y],
                marker="s",
                linestyle="none",
                **{**style, "markersize": 6},
            )
        else:  # one bound only: an arrow pointing into the open side
            known = start or end
            x = date2num(known)
            dx = arrow_len if start else -arrow_len
            ax.annotate(
                "",
                xy=(x + dx, y),
                xytext=(x, y),
                arrowprops={"arrowstyle": "-|>", "color": c, "lw": 1.6},
            )
            ax.plot([x], [y], marker="o", linestyle="none", **style)
    ax.set_yticks(list(y_of.values()), [f"{_short(o, 34)}  ·  {c}" for o, c in y_of])
    for i in range(1, len(rows)):  # a rule between organizations
        if rows[i][0] != rows[i - 1][0]:
            ax.axhline(y_of[rows[i - 1]] - 0.5, color="#bbbbbb", lw=0.8)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    lo = min(_first_day(m) for m in dated) - dt.timedelta(days=max(30, span_days // 20))
    hi = max(_last_day(m) for m in dated) + dt.timedelta(days=max(30, span_days // 20))
    ax.set_xlim(date2num(lo), date2num(hi))
    locator = AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    ax.grid(axis="x", color="#dddddd", lw=0.6)
    ax.spines[["top", "right"]].set_visible(False)

    roles = {m["role"] for m in dated}
    handles = [
        Line2D(
            [],
            [],
            marker="o",
            color="#333333",
            fillstyle=f,
            markerfacecoloralt="white",
            markersize=8,
            linestyle="none",
            label=label,
        )
        for role, f, label in TIMELINE_ROLES
        if role in roles
    ]
    handles += [
        Line2D(
            [],
            [],
            marker="o",
            color="#333333",
            linestyle="none",
            markersize=6,
            label="dated to the day",
        ),
        Line2D([], [], color="#333333", lw=6, alpha=0.45, label="month, year or range: bar"),
    ]
    if any(not (m["start"] and m["end"]) for m in dated):
        handles.append(
            Line2D(
                [],
                [],
                marker=r"$\rightarrow$",
                color="#333333",
                markersize=12,
                linestyle="none",
                label="only one bound known: arrow",
            )
        )
    ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        frameon=False,
        fontsize=8,
        title="role (fill) and date precision",
        title_fontsize=8,
    )
    if undated:
        fig.text(
            0.01,
            0.005,
            f"{undated} organization-incident pair(s) without a date not shown.",
            fontsize=7,
            color="#555555",
        )
    return fig


def _first_day(m: dict[str, Any]) -> dt.date:
    return m["start"] or m["end"]


def _last_day(m: dict[str, Any]) -> dt.date:
    return m["end"] or m["start"]


# --- all figures --------------------------------------------------------------------------------


def render_all(
    tables: dict[str, pa.Table], out_dir: Path, formats: Iterable[str] = ("svg",)
) -> list[Path]:
    """Render every figure into ``out_dir`` (SVG for the README; pass formats=("svg", "png")
    to look at them); return the paths written."""
    import matplotlib

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    formats = tuple(formats)
    paths: list[Path] = []
    with matplotlib.rc_context(RC):
        for stem, make in ((NETWORK_FILE, network_figure), (TIMELINE_FILE, timeline_figure)):
            paths += _save(make(tables), out_dir, stem, formats)
    return paths
