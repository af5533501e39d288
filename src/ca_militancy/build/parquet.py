"""Deterministic Parquet copies of the typed tables, and their read-back check.

Why fixed settings: users verify release files by checksum, so two builds of the same tree
must give the same bytes. Every writer option that could vary is set here; the remaining
variable is pyarrow's version (written into ``created_by``), pinned by constraints.txt.

Why pandas metadata: frictionless reads Parquet through ``pyarrow -> pandas``; without
pandas metadata a nullable integer column becomes float64 with NaN and frictionless reports
its nulls as type errors. Declaring the columns as pandas ``Int64`` (nullable) makes
``to_pandas()`` give ``pd.NA``, which frictionless reads as null.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ca_militancy.core.problems import ProblemLog
from ca_militancy.core.strict_csv import plain

WRITER_SETTINGS = {
    "compression": "zstd",
    # zstd's default level: measured on a 300k-incident synthetic package it writes 2.9x
    # faster than level 9 for files 10% larger (BENCHMARKS.md).
    "compression_level": 3,
    "row_group_size": 128 * 1024,
    "use_dictionary": True,
    "write_statistics": True,
    "data_page_version": "2.0",
    "version": "2.6",
    "store_schema": True,
    "write_page_index": False,
}


def _pandas_metadata(table: pa.Table) -> bytes:
    """pandas metadata declaring integers as nullable ``Int64`` and no index columns."""
    import pandas as pd

    empty = table.slice(0, 0).to_pandas()
    for f in table.schema:
        if pa.types.is_integer(f.type):
            empty[f.name] = empty[f.name].astype("Int64")
    meta = json.loads(pa.Schema.from_pandas(empty, preserve_index=False).metadata[b"pandas"])
    meta["index_columns"] = []
    del pd
    return json.dumps(meta, sort_keys=True, separators=(",", ":")).encode()


def with_pandas_metadata(table: pa.Table) -> pa.Table:
    return table.replace_schema_metadata({b"pandas": _pandas_metadata(table)})


def write_parquet(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(with_pandas_metadata(table), path, **WRITER_SETTINGS)


def check_read_back(name: str, table: pa.Table, path: Path, log: ProblemLog) -> None:
    """The Parquet copy reads back equal to the typed CSV (values, nulls, Unicode, types)."""
    back = pq.read_table(path)
    file = f"parquet/{name}.parquet"
    if back.schema.remove_metadata() != table.schema.remove_metadata():
        log.add(
            name, file, None, None, None, "parquet-read-back",
            f"schema differs from the typed CSV: {back.schema} != {table.schema}",
        )  # fmt: skip
        return
    for col in table.column_names:
        # plain values compared column by column: chunking needs no normalizing, and whole-table
        # copies would be the build's peak memory at scale
        if not plain(table[col]).equals(plain(back[col])):
            log.add(
                name, file, None, col, None, "parquet-read-back",
                "column reads back different from the typed CSV",
            )  # fmt: skip
