"""cite(): the citations of a record, joined with the sources they quote."""

from __future__ import annotations

import pandas as pd
import pytest
from test_loader_fixture import ROWS, make_dataset

from ca_militancy.core.catalog import catalog
from ca_militancy.reader.cite import NotCitedError, cited_tables, format_partial_date
from ca_militancy.reader.loader import UnknownIdError, UnknownTableError


@pytest.fixture(scope="module")
def ds(tmp_path_factory):
    return make_dataset(tmp_path_factory)


def test_cite_joins_citations_with_their_sources(ds):
    df = ds.cite("organizations", "org-jund-al-khilafah")
    expected = {
        r["citation_id"]
        for r in ROWS["citations"]
        if r.get("organization_id") == "org-jund-al-khilafah"
    }
    assert set(df["citation_id"]) == expected
    first = df.set_index("citation_id").loc["cit-001-0001"]
    assert first["excerpt"].startswith("Leader of Jund al-Khalifat")
    assert first["line"] == 3 and first["stance"] == "supports"
    assert first["source_title"] == "Soldiers of Khalifat keep threatening Kazakhstan"
    assert first["publisher"] == "Minbar Media Project"
    assert first["published"] == "2011-11-10"
    disputed = df.set_index("citation_id").loc["cit-002-0001"]
    assert disputed["stance"] == "disputes"
    assert disputed["field"] == "founded_start" and disputed["value_as_stated"] == "2011"
    assert pd.isna(disputed["source_title"]) and disputed["source_label"] == "Analysis of the group"
    assert disputed["published"] == "2011-11"


def test_cite_a_source_uses_the_cited_source_column(ds):
    df = ds.cite("sources", "src-001")
    assert list(df["citation_id"]) == ["cit-002-0002"]
    assert list(df["source_id"]) == ["src-002"], "the quoting source, not the cited one"


def test_cite_errors_say_what_is_wrong(ds):
    with pytest.raises(UnknownIdError, match="closest: per-rawil-kusaynov"):
        ds.cite("people", "per-rawil")
    with pytest.raises(UnknownTableError, match="known tables"):
        ds.cite("persons", "per-rawil-kusaynov")
    with pytest.raises(NotCitedError, match="organizations"):
        ds.cite("citations", "cit-001-0001")


def test_every_entity_and_tie_table_is_citable():
    assert {"organizations", "people", "incidents", "sources", "aliases"} <= set(
        cited_tables(catalog())
    )


@pytest.mark.parametrize(
    ("start", "end", "precision", "text"),
    [
        ("2011-10-31", "2011-10-31", "day", "2011-10-31"),
        ("2011-10-01", "2011-10-31", "month", "2011-10"),
        ("2011-01-01", "2011-12-31", "year", "2011"),
        ("2011-01-05", "2011-02-07", "range", "2011-01-05/2011-02-07"),
        (None, "2011-02-07", "on_or_before", "on or before 2011-02-07"),
        ("2011-01-05", None, "on_or_after", "on or after 2011-01-05"),
        (None, None, "unknown", ""),
    ],
)
def test_format_partial_date(start, end, precision, text):
    ts = [pd.Timestamp(x) if x else pd.NaT for x in (start, end)]
    assert format_partial_date(ts[0], ts[1], precision) == text
