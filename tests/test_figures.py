"""Figures: written, reproducible, readable (no name hidden by another), contested ties
dashed, date precision visible; on the small sample and on a larger synthetic network."""

from __future__ import annotations

import datetime as dt
import hashlib
import sys
from pathlib import Path

import pyarrow as pa
import pytest
from matplotlib.patches import FancyArrowPatch

from ca_militancy.build import figure_kit, figures, map_figure
from ca_militancy.core.catalog import catalog

sys.path.insert(0, str(Path(__file__).parent))
from test_sqlite_edition import SAMPLE_ROWS, sample_tables

KINDS = ["militant_group", "militant_media", "government_body", "media_outlet", "militant_unit"]
TIE_TYPES = ["subunit_of", "splinter_of", "allied_with", "rival_of", "backed_by", "media_arm_of"]


def _table(name: str, rows: list[dict]) -> pa.Table:
    schema = catalog()[name].arrow_schema()
    return pa.table(
        {f.name: pa.array([r.get(f.name) for r in rows], type=f.type) for f in schema},
        schema=schema,
    )


def crowded_tables(n_orgs: int = 18) -> dict[str, pa.Table]:
    """A denser, deterministic network with long names, parallel ties and many incidents."""
    orgs = [
        {
            "organization_id": f"org-g{i:02d}",
            "name": f"Katibat Group Number {i} of the Long Name",
            "name_is_label": False,
            "kind": KINDS[i % len(KINDS)],
            "description": "x",
            "founded_precision": "unknown",
        }
        for i in range(n_orgs)
    ]
    ties = []
    for i in range(n_orgs):
        for step in (1, 3):
            j = (i + step) % n_orgs
            ties.append(
                {
                    "relationship_id": f"rel-{i:02d}-{j:02d}-{step}",
                    "subject_organization_id": f"org-g{i:02d}",
                    "object_organization_id": f"org-g{j:02d}",
                    "type": TIE_TYPES[(i + step) % len(TIE_TYPES)],
                    "date_precision": "unknown",
                    "contested": (i + step) % 4 == 0,
                    "certainty": "reported",
                }
            )
    ties.append({**ties[0], "relationship_id": "rel-parallel", "type": "rival_of"})
    precisions = [
        ("day", 0),
        ("month", 30),
        ("range", 200),
        ("on_or_before", None),
        ("on_or_after", None),
    ]
    incidents, actors = [], []
    for k in range(30):
        precision, days = precisions[k % len(precisions)]
        start = dt.date(2005, 1, 1) + dt.timedelta(days=97 * k)
        end = start + dt.timedelta(days=days or 0)
        incidents.append(
            {
                "incident_id": f"inc-{k:02d}",
                "type": "bombing",
                "title": f"I{k}",
                "summary": "s",
                "date_precision": precision,
                "date_start": None if precision == "on_or_before" else start,
                "date_end": None if precision == "on_or_after" else end,
                "country_code": ["KZ", "UZ", "AF", "TJ"][k % 4],
            }
        )
        actors.append(
            {
                "incident_actor_id": f"act-{k:02d}",
                "incident_id": f"inc-{k:02d}",
                "organization_id": f"org-g{k % 6:02d}",
                "role": [
                    "perpetrator",
                    "claimed_responsibility",
                    "suspected",
                    "attributed_by_authorities",
                ][k % 4],
                "certainty": "reported",
            }
        )
    return {
        "organizations": _table("organizations", orgs),
        "org_relationships": _table("org_relationships", ties),
        "incidents": _table("incidents", incidents),
        "incident_actors": _table("incident_actors", actors),
    }


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> list[Path]:
    return figures.render_all(sample_tables(), tmp_path_factory.mktemp("fig"))


def test_render_all_writes_every_svg(rendered):
    """The network and the timeline always; the map too, since the sample data has places."""
    assert sorted(p.name for p in rendered) == [
        f"{map_figure.MAP_FILE}.svg",
        f"{figures.TIMELINE_FILE}.svg",
        f"{figures.NETWORK_FILE}.svg",
    ]
    for path in rendered:
        text = path.read_text(encoding="utf-8")
        assert text.lstrip().startswith("<?xml") and "<svg" in text
        assert "<dc:date>" not in text  # no timestamp in the file


def test_same_tables_give_byte_identical_svgs(rendered, tmp_path):
    again = figures.render_all(sample_tables(), tmp_path)
    digest = lambda p: hashlib.sha256(p.read_bytes()).hexdigest()  # noqa: E731
    assert [digest(p) for p in again] == [digest(p) for p in rendered]


def _network_texts(fig):
    (ax,) = fig.axes
    return [t for t in ax.texts if t.get_text()]


@pytest.mark.parametrize("tables", [sample_tables(), crowded_tables()], ids=["sample", "crowded"])
def test_network_names_and_tie_labels_never_overlap(tables):
    import matplotlib

    with matplotlib.rc_context(figures.RC):
        fig = figures.network_figure(tables)
        texts = _network_texts(fig)
        tied = {
            r[c]
            for r in tables["org_relationships"].to_pylist()
            for c in ("subject_organization_id", "object_organization_id")
        }
        names = {
            r["name"] for r in tables["organizations"].to_pylist() if r["organization_id"] in tied
        }
        shown = {t.get_text().replace("\n", " ") for t in texts}
        assert names <= shown
        fig.canvas.draw()
        assert figure_kit.overlapping_pairs(figure_kit.label_boxes(fig, texts)) == []
        fig_box = fig.bbox
        for box in figure_kit.label_boxes(fig, texts):
            assert fig_box.x0 <= box.x0 and box.x1 <= fig_box.x1, "label outside the figure"
            assert fig_box.y0 <= box.y0 and box.y1 <= fig_box.y1, "label outside the figure"


def test_contested_ties_are_dashed_and_every_tie_is_an_arrow():
    fig = figures.network_figure(sample_tables())
    arrows = [p for p in fig.axes[0].patches if isinstance(p, FancyArrowPatch)]
    ties = SAMPLE_ROWS["org_relationships"]
    assert len(arrows) == len(ties)
    dashed = [a for a in arrows if a.get_linestyle() not in ("-", "solid")]
    assert len(dashed) == sum(t["contested"] for t in ties)


def test_timeline_draws_a_point_as_marker_and_a_range_as_bar():
    from matplotlib.dates import date2num

    fig = figures.timeline_figure(sample_tables())
    ax = fig.axes[0]
    lines = ax.get_lines()
    bars = [ln for ln in lines if ln.get_linewidth() >= 5 and len(ln.get_xdata()) == 2]
    assert [tuple(b.get_xdata()) for b in bars] == [
        (date2num(dt.date(2011, 6, 1)), date2num(dt.date(2011, 7, 31)))
    ] * 2
    day = date2num(dt.date(2011, 11, 12))
    assert any(list(ln.get_xdata()) == [day] and ln.get_marker() == "o" for ln in lines)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert "Jund al Khilafah  ·  KZ" in labels and "Jund al Khilafah  ·  AF" in labels


def test_empty_release_still_gives_figures(tmp_path):
    paths = figures.render_all(sample_tables({"organizations"}), tmp_path)
    assert len(paths) == 2 and all(p.stat().st_size > 0 for p in paths)
