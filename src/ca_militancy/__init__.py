"""ca-militancy: an open, cited dataset of Central Asian militant organizations, with a loader.

    >>> import ca_militancy as cam
    >>> cam.tables()                      # names, row counts, descriptions
    >>> cam.load("incidents")             # a typed pandas DataFrame
    >>> cam.load("incidents", engine="arrow")  # or a pyarrow Table ("polars": polars)
    >>> cam.lookup("Djund Al-Khalifat")   # any spelling -> entities, ranked
    >>> cam.cite("organizations", "org-...")  # the excerpts and sources behind a record
    >>> cam.fetch("1.0.0").load("incidents")  # another released version, hash-verified

The package has two wings and a core: ``ca_militancy.reader`` is what users import (load,
lookup, cite, fetch, browse, the ``ca-militancy`` command); ``ca_militancy.build`` is what
maintainers run to make a release; ``ca_militancy.core`` holds what both use (the Table Schemas
as a catalog, the strict CSV reader, hashing). The reader never imports the build.

Why the lazy attributes: `import ca_militancy` must stay cheap (no pandas, pyarrow or
frictionless at import time); the API functions are imported from their modules on first use.
"""

from __future__ import annotations

from importlib import import_module

from ca_militancy.__about__ import __version__

TYPE_CHECKING = False  # not `from typing import ...`: importing typing costs more than the rest
if TYPE_CHECKING:  # for type checkers and IDEs; at run time these come from __getattr__
    from typing import Any

    from ca_militancy.reader.api import cite, load, load_all, lookup, schema, tables
    from ca_militancy.reader.browse import sqlite_path
    from ca_militancy.reader.errors import (
        CacheError,
        ChecksumError,
        DataNotFoundError,
        FetchError,
        MissingExtraError,
        NotCitedError,
        UnknownIdError,
        UnknownTableError,
        UnsafeArchiveError,
    )
    from ca_militancy.reader.fetch import fetch
    from ca_militancy.reader.loader import Dataset, dataset

_API = "ca_militancy.reader.api"
_ERRORS = "ca_militancy.reader.errors"
_LAZY = {
    "tables": _API,
    "load": _API,
    "load_all": _API,
    "schema": _API,
    "lookup": _API,
    "cite": _API,
    "dataset": "ca_militancy.reader.loader",
    "Dataset": "ca_militancy.reader.loader",
    "fetch": "ca_militancy.reader.fetch",
    "sqlite_path": "ca_militancy.reader.browse",
    "DataNotFoundError": _ERRORS,
    "UnknownTableError": _ERRORS,
    "UnknownIdError": _ERRORS,
    "NotCitedError": _ERRORS,
    "MissingExtraError": _ERRORS,
    "FetchError": _ERRORS,
    "ChecksumError": _ERRORS,
    "CacheError": _ERRORS,
    "UnsafeArchiveError": _ERRORS,
}

__all__ = [  # noqa: RUF022 - grouped: version, API, errors
    "__version__",
    "tables",
    "load",
    "load_all",
    "schema",
    "lookup",
    "cite",
    "fetch",
    "dataset",
    "Dataset",
    "sqlite_path",
    "CacheError",
    "ChecksumError",
    "DataNotFoundError",
    "FetchError",
    "MissingExtraError",
    "NotCitedError",
    "UnknownIdError",
    "UnknownTableError",
    "UnsafeArchiveError",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'ca_militancy' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
