"""What the figures share: the settings that make their files reproducible, the palette, the
labels pushed apart until none hides another, and the choice of (organization, incident) pairs
that the timeline and the map both show.

Why a module of its own: the timeline (``figures``) and the map (``map_figure``) draw the same
selection with the same conventions, and ``figures.render_all`` renders both; each imports this
module, so neither imports the other.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pyarrow as pa
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.text import Text

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


# incident_actors roles drawn on the timeline, strongest first, with their marker fill.
TIMELINE_ROLES: list[tuple[str, str, str]] = [
    ("perpetrator", "full", "carried out (reported)"),
    ("attributed_by_authorities", "left", "attributed by authorities"),
    ("claimed_responsibility", "none", "claimed responsibility"),
    ("suspected", "bottom", "suspected"),
]


# what the figures read of an organization
ORG_COLUMNS = ["organization_id", "name", "kind"]


def rows(tables: dict[str, pa.Table], name: str, columns: list[str]) -> list[dict[str, Any]]:
    """A table's rows as dictionaries of the columns a figure reads: the rest (summaries,
    notes, titles) would cost most of the conversion at a million incidents."""
    table = tables.get(name)
    if table is None:
        return []
    return table.select([c for c in columns if c in table.column_names]).to_pylist()


def new_figure(width: float, height: float) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)  # a canvas to measure text with, without pyplot's global state
    return fig


def save_figure(fig: Figure, out_dir: Path, stem: str, formats: Iterable[str]) -> list[Path]:
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


def draw_empty(ax: Axes, message: str) -> None:
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


def spread_labels(
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


def wrap_name(text: str, width: int = 28) -> str:
    """Wrap a long name onto lines of at most ``width`` characters."""
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


# --- the organizations' incidents the timeline and the map show ---------------------------------


def timeline_marks(tables: dict[str, pa.Table]) -> list[dict[str, Any]]:
    """One mark per (organization, incident): the strongest timeline role it has.

    The timeline draws these marks and the map places their incidents, so that both figures
    show the same organizations' incidents under the same roles."""
    orgs = {r["organization_id"]: r for r in rows(tables, "organizations", ORG_COLUMNS)}
    incident_columns = ["incident_id", "country_code", "date_start", "date_end", "date_precision"]
    incidents = {r["incident_id"]: r for r in rows(tables, "incidents", incident_columns)}
    rank = {role: i for i, (role, _, _) in enumerate(TIMELINE_ROLES)}
    best: dict[tuple[str, str], dict[str, Any]] = {}
    for actor in rows(tables, "incident_actors", ["organization_id", "incident_id", "role"]):
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
