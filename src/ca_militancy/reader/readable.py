"""What ``cite`` and ``lookup`` read of a dataset, as a protocol.

Why a protocol: the loader's ``Dataset`` offers ``cite`` and ``lookup`` as methods, so it
imports those modules; were they to import ``Dataset`` for their annotations, the reader's
modules would import each other in a circle. They name this shape instead, which ``Dataset``
has (and which a test double may have).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import pandas as pd

    from ca_militancy.core.catalog import Catalog


class ReadableDataset(Protocol):
    """The tables of one release, by name, typed from their Table Schemas."""

    @property
    def catalog(self) -> Catalog: ...

    def table_names(self) -> list[str]: ...

    def check_table(self, name: str) -> None: ...

    def load(self, name: str, engine: Any = "pandas", *, with_places: bool = False) -> Any: ...

    def record(self, name: str, record_id: str) -> pd.Series: ...
