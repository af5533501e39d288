"""SQLite edition of the dataset (first minimal version; keys, FTS and views follow)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa


def write_sqlite(tables: dict[str, pa.Table], path: Path, version: str) -> None:
    """Write every table into one SQLite file at ``path``."""
    import sqlite_utils

    path = Path(path)
    path.unlink(missing_ok=True)
    db = sqlite_utils.Database(path)
    for name in sorted(tables):
        db[name].insert_all(tables[name].to_pylist())
    db.conn.close()
