"""The module-level API on the default dataset (re-exported lazily by ``ca_militancy``).

Apart from the loader because ``load(name, version=...)`` fetches another release: the loader
knows nothing of fetching, fetch builds on the loader, and this module uses both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ca_militancy.reader.loader import Engine, dataset

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl
    import pyarrow as pa


def tables() -> pd.DataFrame:
    """Table names with row counts and one-line descriptions."""
    return dataset().tables()


def load(
    name: str,
    version: str | None = None,
    engine: Engine = "pandas",
    *,
    with_places: bool = False,
) -> pd.DataFrame | pa.Table | pl.DataFrame:
    """One table typed from its Table Schema, as a pandas DataFrame, or with `engine="arrow"` a
    pyarrow Table, with `engine="polars"` a polars DataFrame; with `version`, from that release
    (see `fetch`). With `with_places` (pandas), incidents get their place's name, kind,
    latitude, longitude, geonames_id and coordinates basis joined (place_* columns)."""
    if version is not None:
        from ca_militancy.reader.fetch import fetch

        return fetch(version).load(name, engine, with_places=with_places)
    return dataset().load(name, engine, with_places=with_places)


def load_all(engine: Engine = "pandas") -> dict[str, pd.DataFrame | pa.Table | pl.DataFrame]:
    """Every table, by name (`engine` as for `load`)."""
    return dataset().load_all(engine)


def schema(name: str) -> pd.DataFrame:
    """The data dictionary of a table: fields, types, constraints, descriptions."""
    return dataset().schema(name)


def lookup(text: str, **kwargs: Any) -> pd.DataFrame:
    """Entities (organizations, people, places) matching any spelling of `text`, best first: a
    DataFrame with entity_type, entity_id, name, matched_alias, alias_kind, ambiguous, score.
    Options: limit=10, min_score=70, entity_type='organization'|'person'|'place'."""
    return dataset().lookup(text, **kwargs)


def cite(table: str, record_id: str) -> pd.DataFrame:
    """The citations of one record joined with their sources (excerpt, line, stance, field,
    value_as_stated, source title and label, publisher, published date, URL)."""
    return dataset().cite(table, record_id)
