"""ca-militancy: an open, cited dataset of Central Asian militant organizations, with a loader.

    >>> import ca_militancy as cam
    >>> cam.tables()                      # names, row counts, descriptions
    >>> cam.load("incidents")             # a typed pandas DataFrame
    >>> cam.lookup("Djund Al-Khalifat")   # any spelling -> entities, ranked
    >>> cam.cite("organizations", "org-...")  # the excerpts and sources behind a record
    >>> cam.fetch("1.0.0").load("incidents")  # another released version, hash-verified

Why the lazy attributes: `import ca_militancy` must stay cheap (no pandas, pyarrow or
frictionless at import time); the API functions are imported from their modules on first use.
"""

from __future__ import annotations

import sys
import types
from importlib import import_module

from ca_militancy.__about__ import __version__

TYPE_CHECKING = False  # not `from typing import ...`: importing typing costs more than the rest
if TYPE_CHECKING:  # for type checkers and IDEs; at run time these come from __getattr__
    from typing import Any

    from ca_militancy.cite import NotCitedError
    from ca_militancy.fetch import ChecksumError, FetchError, UnsafeArchiveError, fetch
    from ca_militancy.loader import (
        DataNotFoundError,
        Dataset,
        UnknownIdError,
        UnknownTableError,
        dataset,
        load,
        load_all,
        schema,
        tables,
    )

_LAZY = {
    "tables": "ca_militancy.loader",
    "load": "ca_militancy.loader",
    "load_all": "ca_militancy.loader",
    "schema": "ca_militancy.loader",
    "dataset": "ca_militancy.loader",
    "Dataset": "ca_militancy.loader",
    "DataNotFoundError": "ca_militancy.loader",
    "UnknownTableError": "ca_militancy.loader",
    "UnknownIdError": "ca_militancy.loader",
    "NotCitedError": "ca_militancy.cite",
    "fetch": "ca_militancy.fetch",
    "FetchError": "ca_militancy.fetch",
    "ChecksumError": "ca_militancy.fetch",
    "UnsafeArchiveError": "ca_militancy.fetch",
    "sqlite_path": "ca_militancy.sqlite_edition",
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
    "ChecksumError",
    "DataNotFoundError",
    "FetchError",
    "NotCitedError",
    "UnknownIdError",
    "UnknownTableError",
    "UnsafeArchiveError",
]


def lookup(text: str, **kwargs: Any) -> Any:
    """Entities (organizations, people) matching any spelling of `text`, best first: a
    DataFrame with entity_type, entity_id, name, matched_alias, alias_kind, ambiguous, score.
    Options: limit=10, min_score=70, entity_type='organization'|'person'."""
    from ca_militancy.loader import dataset

    return dataset().lookup(text, **kwargs)


def cite(table: str, record_id: str) -> Any:
    """The citations of one record joined with their sources (excerpt, line, stance, field,
    value_as_stated, source title and label, publisher, published date, URL)."""
    from ca_militancy.loader import dataset

    return dataset().cite(table, record_id)


# The submodules lookup, cite and fetch share their names with API functions. Importing a
# submodule makes Python set it as an attribute of the package, which would replace
# `ca_militancy.lookup` (the function) by the module as soon as anything imports the module.
# The package's module class therefore refuses that one assignment; the submodules stay
# importable (`from ca_militancy.lookup import normalize`) through sys.modules.
_FUNCTION_NAMES = frozenset({"lookup", "cite", "fetch"})


class _Package(types.ModuleType):
    def __setattr__(self, name: str, value: Any) -> None:
        if name in _FUNCTION_NAMES and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'ca_militancy' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
