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
    """Display-space bounding boxes of texts (draws the figure once to measure them)."""
    renderer = fig.canvas.get_renderer()
    return [t.get_window_extent(renderer).expanded(1.06, 1.15) for t in texts]


def overlapping_pairs(boxes: list[Any]) -> list[tuple[int, int]]:
    return [
        (i, j)
        for i in range(len(boxes))
        for j in range(i + 1, len(boxes))
        if boxes[i].overlaps(boxes[j])
    ]


def _spread_labels(
    fig: Figure, ax: Axes, texts: list[Text], rounds: int = 300, movable: int = 0
) -> None:
    """Push overlapping labels apart (in display space) until no two boxes overlap.

    Each round moves both labels of every overlapping pair away from each other by half their
    overlap along the axis where the overlap is smaller (a fixed label does not move, the other
    takes the whole way); deterministic, no randomness. The first ``movable`` texts stay put
    (0: all move)."""
    if len(texts) < 2:
        return
    fig.canvas.draw()
    fig.set_layout_engine("none")  # freeze the layout: moving labels must not resize the axes
    inv = ax.transData.inverted()
    for _ in range(rounds):
        fig.canvas.draw()
        boxes = label_boxes(fig, texts)
        pairs = overlapping_pairs(boxes)
        if not pairs:
            return
        shift = [[0.0, 0.0] for _ in texts]
        for i, j in pairs:
            wi = 0.0 if i < movable else (2.0 if j < movable else 1.0)
            wj = 0.0 if j < movable else (2.0 if i < movable else 1.0)
            a, b = boxes[i], boxes[j]
            dx = min(a.x1, b.x1) - max(a.x0, b.x0)
            dy = min(a.y1, b.y1) - max(a.y0, b.y0)
            ca = ((a.x0 + a.x1) / 2, (a.y0 + a.y1) / 2)
            cb = ((b.x0 + b.x1) / 2, (b.y0 + b.y1) / 2)
            if dy <= dx:  # separate vertically
                sign = 1.0 if ca[1] >= cb[1] else -1.0
                if ca[1] == cb[1]:
                    sign = 1.0 if i < j else -1.0
                shift[i][1] += wi * sign * (dy / 2 + 1)
                shift[j][1] -= wj * sign * (dy / 2 + 1)
            else:
                sign = 1.0 if ca[0] >= cb[0] else -1.0
                shift[i][0] += wi * sign * (dx / 2 + 1)
                shift[j][0] -= wj * sign * (dx / 2 + 1)
        for text, (sx, sy) in zip(texts, shift, strict=True):
            if sx or sy:
                x, y = ax.transData.transform(text.get_position())
                text.set_position(inv.transform((x + sx, y + sy)))
    _place_stuck_labels(fig, ax, texts, movable)


def _place_stuck_labels(fig: Figure, ax: Axes, texts: list[Text], movable: int) -> None:
    """Last resort for a label squeezed between labels that push it back and forth: try
    positions on a widening spiral around it and take the first free one."""
    inv = ax.transData.inverted()
    fig.canvas.draw()
    boxes = label_boxes(fig, texts)
    for i, j in overlapping_pairs(boxes):
        k = j if j >= movable else i
        if k < movable or not any(boxes[k].overlaps(b) for n, b in enumerate(boxes) if n != k):
            continue
        x, y = ax.transData.transform(texts[k].get_position())
        others = [b for n, b in enumerate(boxes) if n != k]
        for step in range(1, 400):
            angle, radius = step * 2.4, 3.0 * math.sqrt(step) * 4
            dx, dy = radius * math.cos(angle), radius * math.sin(angle)
            moved = boxes[k].translated(dx, dy)
            if (
                not any(moved.overlaps(b) for b in others)
                and fig.bbox.contains(moved.x0, moved.y0)
                and fig.bbox.contains(moved.x1, moved.y1)
            ):
                texts[k].set_position(inv.transform((x + dx, y + dy)))
                boxes[k] = moved
                break


def _short(text: str, width: int = 28) -> str:
    """Wrap a long name onto lines of at most ``width`` characters."""
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


# --- network of organizations -----------------------------------------------------------------


def network_figure(tables: dict[str, pa.Table]) -> Figure:
    """Organizations as name boxes, org_relationships as directed, typed arrows (subject ->
    object); contested ties dashed. Only organizations with at least one tie are drawn.

    The names are the nodes: arrows end at the name boxes, so no marker hides a name and
    every arrow head stays visible. A box's outline shape tells the kind of organization."""
    import networkx as nx
    from matplotlib.lines import Line2D
    from matplotlib.patches import FancyArrowPatch, Patch

    orgs = {r["organization_id"]: r for r in _rows(tables, "organizations")}
    ties = sorted(_rows(tables, "org_relationships"), key=lambda r: r["relationship_id"])
    ties = [
        t
        for t in ties
        if t["subject_organization_id"] in orgs and t["object_organization_id"] in orgs
    ]
    nodes = sorted(
        {t["subject_organization_id"] for t in ties} | {t["object_organization_id"] for t in ties}
    )
    n = len(nodes)
    side = max(6.5, min(20.0, 2.6 * math.sqrt(max(n, 1)) + 2))
    fig = _new_figure(side * 1.3, side)
    ax = fig.add_subplot()
    ax.set_title("Ties between organizations (arrow: subject → object; dashed: contested)")
    if n == 0:
        _empty(ax, "No ties between organizations in this release.")
        return fig

    simple = nx.Graph()
    simple.add_nodes_from(nodes)
    simple.add_edges_from(
        sorted(
            {
                tuple(sorted((t["subject_organization_id"], t["object_organization_id"])))
                for t in ties
            }
        )
    )
    raw = nx.spring_layout(simple, seed=LAYOUT_SEED, k=2.5 / math.sqrt(n), iterations=300)
    pos = {k: (float(raw[k][0]), float(raw[k][1])) for k in nodes}
    xs, ys = [p[0] for p in pos.values()], [p[1] for p in pos.values()]
    ax.set_xlim(min(xs) - 0.25, max(xs) + 0.25)
    ax.set_ylim(min(ys) - 0.15, max(ys) + 0.15)
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
