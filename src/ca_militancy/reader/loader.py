"""Typed tables from the Parquet copies shipped in the wheel (or any release directory), as
pandas (the default), Arrow or polars.

Why a `Dataset` object: the same calls (`tables`, `load`, `schema`, `lookup`, `cite`) must work on
the data installed with the package and on another version fetched from a release zip, so every
call goes through one object bound to one data directory. The module-level functions in
`ca_militancy` use the default dataset: `CA_MILITANCY_DATA` when set, else the package's own
`_data/`, else (in a source checkout without a build) the curated CSVs through `typed.py`.

Types come from the Table Schemas (`ca_militancy.schemas`), never from what a file happens to
contain: dates become datetime64, integers nullable Int64, booleans nullable boolean, enums
Categorical with the schema's full list of values as categories (so a value absent today is
still a known category). `engine="arrow"` returns the Arrow table cast to the schema's Arrow
types, for users who want no pandas; `engine="polars"` a polars DataFrame with enums as
`pl.Enum` of the schema's values (polars is the optional extra `[polars]`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

from ca_militancy.core.catalog import PACKAGED_DATA, REPO_ROOT, Catalog, catalog, constraint
from ca_militancy.reader.errors import (
    DataNotFoundError,
    MissingExtraError,
    UnknownIdError,
    UnknownTableError,
)

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl
    import pyarrow as pa

Engine = Literal["pandas", "arrow", "polars"]
ENGINES: tuple[str, ...] = get_args(Engine)

DATA_ENV = "CA_MILITANCY_DATA"
PARQUET_DIR = "parquet"
CSV_DIR = "data"
DESCRIPTOR = "datapackage.json"


# what load(..., with_places=True) joins from places, as place_<column>
PLACES, PLACE_ID = "places", "place_id"
JOINED_PLACE_COLUMNS = ("name", "kind", "latitude", "longitude", "geonames_id", "coordinates")


def default_root() -> Path:
    """The data directory the module-level API reads, resolved on every call so that setting
    `CA_MILITANCY_DATA` takes effect without re-importing."""
    env = os.environ.get(DATA_ENV)
    if env:
        root = Path(env).expanduser()
        if not root.is_dir():
            raise DataNotFoundError(f"{DATA_ENV}={env!r} is not a directory")
        return root.resolve()
    if (PACKAGED_DATA / PARQUET_DIR).is_dir():
        return PACKAGED_DATA
    checkout = REPO_ROOT
    if (checkout / "pyproject.toml").is_file() and any((checkout / CSV_DIR).glob("*.csv")):
        return checkout
    raise DataNotFoundError(
        f"no data found: the package has no {PACKAGED_DATA / PARQUET_DIR} (a source checkout "
        f"needs `python scripts/build.py` first), and {DATA_ENV} is not set"
    )


_DATASETS: dict[tuple[Path, str | None], Dataset] = {}


def dataset(
    root: Path | str | None = None, version: str | None = None, *, reload: bool = False
) -> Dataset:
    """The (cached) dataset of a data directory; the default one when `root` is None.

    `reload=True` forgets what was read from the directory before, for when its files were
    replaced (fetch making a cached release again)."""
    path = Path(root).resolve() if root is not None else default_root()
    key = (path, version)
    if reload or key not in _DATASETS:
        _DATASETS[key] = Dataset(path, version=version)
    return _DATASETS[key]


def _closest(value: str, choices: Iterable[str], limit: int = 5) -> list[str]:
    from rapidfuzz import fuzz, process

    return [c for c, _, _ in process.extract(value, list(choices), scorer=fuzz.WRatio, limit=limit)]


def arrow_to_pandas(table: pa.Table, fields: list[dict[str, Any]], where: str) -> pd.DataFrame:
    """Convert an Arrow table already cast to the schema's Arrow types into a typed DataFrame.

    `where` names the table in error messages."""
    import pandas as pd
    import pyarrow as pa

    mapper = {pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}.get
    df = table.to_pandas(types_mapper=mapper, date_as_object=False)
    for field in fields:
        enum = constraint(field, "enum")
        if not enum:
            continue
        col = field["name"]
        present = set(df[col].dropna().unique())
        unknown = present - set(enum)
        if unknown:
            raise ValueError(
                f"{where}: column {col!r} has values outside the schema's enum: "
                f"{sorted(map(str, unknown))}; allowed: {enum}"
            )
        df[col] = df[col].astype(pd.CategoricalDtype(categories=enum))
    return df


def arrow_to_polars(table: pa.Table, fields: list[dict[str, Any]]) -> pl.DataFrame:
    """Convert an Arrow table already cast to the schema's Arrow types into a polars DataFrame
    whose enum columns are `pl.Enum` of the schema's full list of values (a value outside it
    fails the cast, as it does for pandas)."""
    try:
        import polars as pl
    except ImportError:
        raise MissingExtraError(
            'engine="polars" needs polars, which is an optional extra: '
            'pip install "ca-militancy[polars]"'
        ) from None
    frame = pl.from_arrow(table)
    enums = {f["name"]: constraint(f, "enum") for f in fields if constraint(f, "enum")}
    return frame.with_columns(pl.col(col).cast(pl.Enum(values)) for col, values in enums.items())


def check_engine(engine: str) -> None:
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose one of: {', '.join(ENGINES)}")


class Dataset:
    """One version of the dataset in one directory (Parquet copies and, where present, schemas
    and datapackage.json; or the curated CSVs of a source checkout)."""

    def __init__(self, root: Path | str, version: str | None = None) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise DataNotFoundError(f"data directory {self.root} does not exist")
        self._version = version
        self._arrow: dict[str, pa.Table] = {}

    def __repr__(self) -> str:
        return f"Dataset(root={str(self.root)!r}, version={self.version!r})"

    # ---- where things are -------------------------------------------------------------------

    @cached_property
    def schema_root(self) -> Path | None:
        """The root whose `schemas/` describe this data: its own copy when it has one, so that a
        fetched older version is typed by its own schemas."""
        return self.root if (self.root / "schemas").is_dir() else None

    @cached_property
    def catalog(self) -> Catalog:
        """The Table Schemas of this data directory (or the package's when it has none)."""
        return catalog(self.schema_root)

    @cached_property
    def descriptor(self) -> dict[str, Any]:
        path = self.root / DESCRIPTOR
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}

    @property
    def version(self) -> str | None:
        if self._version is not None:
            return self._version
        return self.descriptor.get("version")

    def table_names(self) -> list[str]:
        return self.catalog.names

    def check_table(self, name: str) -> None:
        names = self.table_names()
        if name not in names:
            hint = _closest(name, names, limit=3)
            raise UnknownTableError(
                f"unknown table {name!r} (did you mean {', '.join(hint)}?); "
                f"known tables: {', '.join(names)}"
            )

    def _descriptor_paths(self, name: str, suffix: str) -> list[Path]:
        out = []
        for res in self.descriptor.get("resources", []):
            path = res.get("path")
            if isinstance(path, str) and path.endswith(suffix) and Path(path).stem == name:
                out.append(self.root / path)
        return out

    def parquet_path(self, name: str) -> Path | None:
        for path in [
            self.root / PARQUET_DIR / f"{name}.parquet",
            *self._descriptor_paths(name, ".parquet"),
        ]:
            if path.is_file():
                return path
        return None

    def csv_path(self, name: str) -> Path | None:
        for path in [self.root / CSV_DIR / f"{name}.csv", *self._descriptor_paths(name, ".csv")]:
            if path.is_file():
                return path
        return None

    # ---- reading ----------------------------------------------------------------------------

    def arrow_schema(self, name: str) -> pa.Schema:
        return self.catalog[name].arrow_schema()

    def arrow(self, name: str) -> pa.Table:
        """The table as Arrow, cast to the schema's types (cached; Arrow tables are immutable)."""
        self.check_table(name)
        if name not in self._arrow:
            self._arrow[name] = self._read_arrow(name)
        return self._arrow[name]

    def _read_arrow(self, name: str) -> pa.Table:
        target = self.arrow_schema(name)
        path = self.parquet_path(name)
        if path is not None:
            import pyarrow.parquet as pq

            table = pq.read_table(path)
            missing = [f for f in target.names if f not in table.column_names]
            if missing:
                raise ValueError(f"{path}: columns {missing} of the schema are missing")
            return table.select(target.names).cast(target)
        csv = self.csv_path(name)
        if csv is not None:
            return self._read_csv(name, csv)
        raise DataNotFoundError(
            f"no data file for table {name!r} in {self.root} "
            f"(looked for {PARQUET_DIR}/{name}.parquet and {CSV_DIR}/{name}.csv)"
        )

    def _read_csv(self, name: str, path: Path) -> pa.Table:
        """Curated CSV of a source checkout, through the build's strict reader (typed.py)."""
        from ca_militancy.core.problems import ProblemLog
        from ca_militancy.core.strict_csv import read_typed

        log = ProblemLog(limit=5)
        result = read_typed(self.catalog[name], path.parent, log)
        if not result.ok or log.counts.get(name):
            shown = "; ".join(str(p) for p in log.problems.get(name, []))
            raise ValueError(f"{path} does not read as its Table Schema says: {shown}")
        target = self.arrow_schema(name)
        return result.typed.select(target.names).cast(target)

    def num_rows(self, name: str) -> int | None:
        self.check_table(name)
        if name in self._arrow:
            return self._arrow[name].num_rows
        path = self.parquet_path(name)
        if path is not None:
            import pyarrow.parquet as pq

            return pq.ParquetFile(path).metadata.num_rows
        if self.csv_path(name) is not None:
            return self.arrow(name).num_rows
        return None

    # ---- the public API ---------------------------------------------------------------------

    def load(
        self, name: str, engine: Engine = "pandas", *, with_places: bool = False
    ) -> pd.DataFrame | pa.Table | pl.DataFrame:
        """One table, typed from its Table Schema: a pandas DataFrame (a fresh copy: changing it
        does not change the cache), with `engine="arrow"` a pyarrow Table (immutable, shared),
        with `engine="polars"` a polars DataFrame (the `[polars]` extra). With ``with_places``
        (pandas only), a table that points at places (incidents) gets its place's name, kind,
        latitude, longitude, geonames_id and coordinates basis joined, as ``place_*`` columns
        (empty where the record has no place), so it can be mapped without a join."""
        check_engine(engine)
        if with_places and engine != "pandas":
            raise ValueError(
                "with_places joins places into a pandas DataFrame: use engine='pandas'"
            )
        table = self.arrow(name)
        if engine == "arrow":
            return table
        if engine == "polars":
            return arrow_to_polars(table, self.catalog[name].fields)
        df = arrow_to_pandas(table, self.catalog[name].fields, where=name)
        return self._join_places(name, df) if with_places else df

    def _join_places(self, name: str, df: pd.DataFrame) -> pd.DataFrame:
        if name == PLACES or PLACE_ID not in df.columns:
            raise ValueError(
                f"with_places needs a table with a {PLACE_ID} column into {PLACES}; {name} has none"
            )
        places = self.load(PLACES)[[PLACE_ID, *JOINED_PLACE_COLUMNS]]
        places = places.rename(columns={c: f"place_{c}" for c in JOINED_PLACE_COLUMNS})
        return df.merge(places, how="left", on=PLACE_ID, validate="many_to_one")

    def load_all(
        self, engine: Engine = "pandas"
    ) -> dict[str, pd.DataFrame | pa.Table | pl.DataFrame]:
        check_engine(engine)
        return {name: self.load(name, engine) for name in self.table_names()}

    def tables(self) -> pd.DataFrame:
        """Table names with row counts, titles and one-line descriptions."""
        import pandas as pd

        rows = []
        for name in self.table_names():
            schema = self.catalog[name].descriptor
            rows.append(
                {
                    "table": name,
                    "rows": self.num_rows(name),
                    "title": schema.get("title", ""),
                    "description": schema.get("description", ""),
                }
            )
        df = pd.DataFrame(rows, columns=["table", "rows", "title", "description"])
        df["rows"] = df["rows"].astype("Int64")
        return df

    def schema(self, name: str) -> pd.DataFrame:
        """The data dictionary of one table: one row per field, in the schema's order."""
        import pandas as pd

        self.check_table(name)
        schema = self.catalog[name].descriptor
        pk = set(self.catalog[name].primary_key)
        fks = {col: f"{ref}.{ref_col}" for col, ref, ref_col in self.catalog[name].foreign_keys}
        one_of = set(self.catalog[name].exactly_one_of)
        arrow = self.arrow_schema(name)
        rows = []
        for field in schema["fields"]:
            cons = dict(field.get("constraints", {}))
            required = bool(cons.pop("required", False))
            unique = bool(cons.pop("unique", False))
            enum = cons.pop("enum", None)
            rows.append(
                {
                    "field": field["name"],
                    "type": field.get("type", "string"),
                    "dtype": _pandas_dtype_name(arrow.field(field["name"]).type, enum),
                    "required": required,
                    "primary_key": field["name"] in pk,
                    "unique": unique or field["name"] in pk,
                    "foreign_key": fks.get(field["name"]),
                    "exactly_one_of": field["name"] in one_of,
                    "enum": list(enum) if enum else None,
                    "constraints": "; ".join(f"{k}: {v}" for k, v in cons.items()) or None,
                    "description": field.get("description", ""),
                }
            )
        df = pd.DataFrame(rows)
        df.attrs.update(
            table=name, title=schema.get("title", ""), description=schema.get("description", "")
        )
        return df

    def record(self, name: str, record_id: str) -> pd.Series:
        """One row by its primary key; an unknown id raises with the closest ids."""
        df = self.load(name)
        key = self.catalog[name].primary_key[0]
        hit = df[df[key] == record_id]
        if hit.empty:
            raise UnknownIdError(self._unknown_id_message(name, key, record_id, df[key]))
        return hit.iloc[0]

    def _unknown_id_message(self, name: str, key: str, record_id: str, ids: Any) -> str:
        close = _closest(record_id, [str(i) for i in ids.dropna()], limit=5)
        hint = f"; closest: {', '.join(close)}" if close else " (the table is empty)"
        return f"no {key} {record_id!r} in table {name!r}{hint}"

    def lookup(self, text: str, **kwargs: Any) -> pd.DataFrame:
        from ca_militancy.reader.lookup import lookup

        return lookup(self, text, **kwargs)

    def cite(self, table: str, record_id: str) -> pd.DataFrame:
        from ca_militancy.reader.cite import cite

        return cite(self, table, record_id)

    def cited_fields(self, table: str, record_id: str) -> pd.DataFrame:
        """The words behind each fact field of a record (see ``reader.cite.cited_fields``)."""
        from ca_militancy.reader.cite import cited_fields

        return cited_fields(self, table, record_id)

    def corrections(self, table: str, record_id: str) -> pd.DataFrame:
        """What changed in a record since earlier releases, and why."""
        from ca_militancy.reader.cite import corrections

        return corrections(self, table, record_id)


def _pandas_dtype_name(arrow_type: pa.DataType, enum: list[str] | None) -> str:
    """The pandas dtype `load` gives a column, for the data dictionary."""
    import pyarrow as pa

    if enum:
        return "category"
    if pa.types.is_int64(arrow_type):
        return "Int64"
    if pa.types.is_boolean(arrow_type):
        return "boolean"
    if pa.types.is_date32(arrow_type):
        return "datetime64[ms]"
    if pa.types.is_floating(arrow_type):
        return "float64"
    return "str"
