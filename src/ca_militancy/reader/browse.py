"""Browse the SQLite edition in Datasette (``ca-militancy browse``), and find the file.

The edition itself is written by the build (:mod:`ca_militancy.build.sqlite_edition`); what it
is called and how Datasette describes it is shared in :mod:`ca_militancy.core.edition`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ca_militancy.__about__ import __version__
from ca_militancy.core.catalog import PACKAGED_DATA, REPO_ROOT, catalog
from ca_militancy.core.edition import (
    PACKAGED_NAME,
    RELEASE_TABLE,
    SERVED_NAME,
    metadata,
    release_file_name,
)


def sqlite_path(version: str = __version__) -> Path:
    """Where the SQLite edition of this package's data version is: the copy shipped in the
    installed package (``ca_militancy/_data/ca-militancy.sqlite``), else, in a source checkout,
    the one the build wrote (``dist/ca-militancy-<version>.sqlite``).

    Raises FileNotFoundError naming both places and how to make the file."""
    packaged = PACKAGED_DATA / PACKAGED_NAME
    built = REPO_ROOT / "dist" / release_file_name(version)
    for candidate in (packaged, built):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"no SQLite edition found: neither {packaged} nor {built} exists (a package built "
        "from the sdist carries none). Build it with `python scripts/build.py` in a source "
        f"checkout, or download {release_file_name(version)} from the release and pass its "
        "path (--sqlite PATH)."
    )


def make_datasette(sqlite_path: Path, meta: dict[str, Any] | None = None) -> Any:
    """A Datasette instance serving the SQLite edition under the name ``ca-militancy``.

    Why not simply ``datasette ca-militancy-1.0.0.sqlite``: Datasette names a database after its
    file, and Datasette 0.65 writes foreign-key links with the raw name while its router needs
    dots tilde-encoded ("1~2E0~2E0"), so every link between rows of a file with a dotted version
    in its name leads to a 404. Serving the file under a dot-free name avoids that."""
    from datasette.app import Datasette
    from datasette.database import Database

    sqlite_path = Path(sqlite_path)
    if not sqlite_path.is_file():
        raise FileNotFoundError(f"no SQLite edition at {sqlite_path}")
    if meta is None:
        meta = metadata(catalog(), _version_of(sqlite_path))
    ds = Datasette([], metadata=meta)
    ds.remove_database("_memory")
    ds.add_database(Database(ds, path=str(sqlite_path), is_mutable=False), name=SERVED_NAME)
    return ds


def _version_of(sqlite_path: Path) -> str:
    """The release version recorded in the file (falls back to the package's version)."""
    import sqlite3

    con = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
    try:
        row = con.execute(f"SELECT value FROM [{RELEASE_TABLE}] WHERE key = 'version'").fetchone()
    except sqlite3.Error:
        row = None
    finally:
        con.close()
    return row[0] if row else __version__


def serve(sqlite_path: Path, host: str = "127.0.0.1", port: int = 8001) -> None:
    """Serve the SQLite edition with its metadata until interrupted (blocking)."""
    import uvicorn

    ds = make_datasette(sqlite_path)
    print(f"Serving {sqlite_path} at http://{host}:{port}/{SERVED_NAME} (Ctrl-C stops)", flush=True)
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning")
