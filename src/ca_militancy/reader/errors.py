"""The reader's errors, in one module so that every reader module can raise them without
importing another (the loader, lookup, cite and fetch stay free of import circles).

All are re-exported by ``ca_militancy``.
"""

from __future__ import annotations


class DataNotFoundError(FileNotFoundError):
    """No data directory, or no data file for a table, where one was expected."""


class UnknownTableError(KeyError):
    """A table name that is not in the dataset; the message lists the known tables."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class UnknownIdError(KeyError):
    """An id that is not in its table; the message names the closest ids."""

    def __str__(self) -> str:
        return str(self.args[0])


class MissingExtraError(ImportError):
    """An optional library the call needs is not installed; the message names the extra of
    ``ca-militancy`` that installs it (``pip install "ca-militancy[polars]"``)."""


class NotCitedError(ValueError):
    """The table's records carry no citations (citations themselves, conflicts)."""


class FetchError(RuntimeError):
    """A release could not be fetched (unknown version, network, HTTP error, a deadline or size
    limit passed, a broken archive); every failure of `fetch` is one, its message the cause."""


class ChecksumError(FetchError):
    """The downloaded bytes do not match the registry's sha256 (nothing was kept), or a cached
    copy changed after it was extracted (nothing is loaded until `fetch(..., force=True)`)."""


class UnsafeArchiveError(FetchError):
    """The zip has a member with an absolute path or '..', or would expand beyond the size cap;
    nothing was extracted or kept."""


class CacheError(FetchError):
    """The cache directory cannot be used: the disk is full, it is read-only, or a file is in
    the way. Not a network problem: another cache directory (`CA_MILITANCY_CACHE`) helps."""
