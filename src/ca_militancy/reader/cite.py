"""The evidence behind a record: its citations joined with the sources they quote.

Why derived from the schema: `citations` has one reference column per cited table (the schema's
`x-exactly-one-of` list); which column points at a table is read from its foreign keys, so a new
cited table needs no change here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ca_militancy.core.voices import voices
from ca_militancy.reader.errors import NotCitedError

if TYPE_CHECKING:
    import pandas as pd

    from ca_militancy.core.catalog import Catalog
    from ca_militancy.reader.readable import ReadableDataset

CITATIONS, SOURCES, ORGANIZATIONS = "citations", "sources", "organizations"
COPY_OF = "copy_of_source_id"
CORRECTIONS = "corrections"


def reference_columns(catalog: Catalog, table: str) -> list[str]:
    """The citations columns that point at records of `table`."""
    cits = catalog[CITATIONS]
    one_of = set(cits.exactly_one_of)
    return [col for col, ref, _ in cits.foreign_keys if ref == table and col in one_of]


def cited_tables(catalog: Catalog) -> list[str]:
    cits = catalog[CITATIONS]
    one_of = set(cits.exactly_one_of)
    return sorted({ref for col, ref, _ in cits.foreign_keys if col in one_of})


def format_partial_date(start: Any, end: Any, precision: Any) -> str:
    """A partial date as people write it: 2011-10-31, 2011-10, 2011, 2011-10-01/2011-12-31,
    'on or before 2011-10-31', or '' when unknown."""
    import pandas as pd

    def iso(value: Any) -> str:
        return "" if pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")

    s, e, p = iso(start), iso(end), "" if pd.isna(precision) else str(precision)
    if p == "day":
        return s
    if p == "month":
        return s[:7]
    if p == "year":
        return s[:4]
    if p == "on_or_before":
        return f"on or before {e}" if e else ""
    if p == "on_or_after":
        return f"on or after {s}" if s else ""
    if s or e:
        return s if s == e else f"{s}/{e}"
    return ""


def cite(ds: ReadableDataset, table: str, record_id: str) -> pd.DataFrame:
    """Citations of one record with their sources: excerpt, line, stance, field,
    value_as_stated, source title and label, publisher, publication date, URL, and the
    source's voice (the original it copies, or itself: citations of one voice are one story)."""
    cat = ds.catalog
    ds.check_table(table)
    refs = reference_columns(cat, table)
    if not refs:
        raise NotCitedError(
            f"records of {table!r} are not cited; cited tables: {', '.join(cited_tables(cat))}"
        )
    ds.record(table, record_id)  # raises UnknownIdError with the closest ids
    cits = ds.load(CITATIONS)
    mask = cits[refs].eq(record_id).any(axis=1).fillna(False).astype(bool)
    one_of = set(cat[CITATIONS].exactly_one_of)
    keep = [c for c in cits.columns if c not in one_of]
    out = cits.loc[mask, keep]
    source_key = cat[SOURCES].primary_key[0]
    src_col = next(
        col for col, ref, _ in cat[CITATIONS].foreign_keys if ref == SOURCES and col not in one_of
    )
    sources = _source_details(ds).rename(columns={source_key: src_col})
    out = out.merge(sources, on=src_col, how="left")
    line_col = "line" if "line" in out.columns else src_col
    out = out.sort_values([src_col, line_col, cat[CITATIONS].primary_key[0]], kind="stable")
    return out.reset_index(drop=True)


def _source_details(ds: ReadableDataset) -> pd.DataFrame:
    """sources with a readable publisher name and publication date, columns prefixed source_."""
    cat = ds.catalog
    src = ds.load(SOURCES)
    key = cat[SOURCES].primary_key[0]
    org_key = cat[ORGANIZATIONS].primary_key[0]
    publisher_col = next(
        (col for col, ref, _ in cat[SOURCES].foreign_keys if ref == ORGANIZATIONS), None
    )
    names = ds.load(ORGANIZATIONS).set_index(org_key)["name"]
    details = src[[key]].copy()
    details["source_title"] = src["title"]
    details["source_label"] = src["label"]
    details["publisher"] = src[publisher_col].map(names) if publisher_col else None
    details["published"] = [
        format_partial_date(s, e, p)
        for s, e, p in zip(
            src["published_start"], src["published_end"], src["published_precision"], strict=True
        )
    ]
    details["url"] = src["url"]
    if COPY_OF in src.columns:
        # copies of one story are one voice: citations with the same voice never corroborate
        copy_of = dict(zip(src[key], src[COPY_OF], strict=True))
        voice = voices({k: (v if isinstance(v, str) and v else None) for k, v in copy_of.items()})
        details["source_voice"] = src[key].map(voice)
    return details


def cited_fields(ds: ReadableDataset, table: str, record_id: str) -> pd.DataFrame:
    """The words behind each fact of a record: one row per (fact field, citation naming it),
    with the field's value, the excerpt, its source and line, and the derivation where the
    value is derived rather than stated. Fact fields no citation names are absent."""
    import pandas as pd

    record = ds.record(table, record_id)
    cits = cite(ds, table, record_id)
    facts = ds.catalog[table].cited_fields
    rows = []
    for c in cits.to_dict("records"):
        named = str(c.get("field") or "").split() if not pd.isna(c.get("field")) else []
        for name in named:
            if name in facts:
                rows.append(
                    {
                        "field": name,
                        "value": record[name],
                        "citation_id": c["citation_id"],
                        "excerpt": c["excerpt"],
                        "source_id": c["source_id"],
                        "line": c["line"],
                        "derivation": c.get("derivation"),
                    }
                )
    order = {name: i for i, name in enumerate(facts)}
    out = pd.DataFrame(
        rows,
        columns=["field", "value", "citation_id", "excerpt", "source_id", "line", "derivation"],
    )
    out["_order"] = out["field"].map(order)
    return out.sort_values(["_order", "citation_id"], kind="stable").drop(columns="_order")


def corrections(ds: ReadableDataset, table: str, record_id: str) -> pd.DataFrame:
    """The corrections of one record since earlier releases (empty when the dataset has no
    corrections table, as releases before 1.1.0 do not)."""
    import pandas as pd

    if CORRECTIONS not in ds.table_names():
        return pd.DataFrame()
    log = ds.load(CORRECTIONS)
    hit = log[(log["table_name"] == table) & (log["record_id"] == record_id)]
    return hit.reset_index(drop=True)
