"""The Table Schemas as objects: the one definition of every table, read once.

A :class:`Catalog` is the set of tables of one schema directory (the checkout's ``schemas/`` or
the copy shipped in the wheel); a :class:`TableSchema` is one table with what the stages ask of
it: fields, keys, foreign keys, the date and count groups, and the project's custom properties
(``x-exactly-one-of``, ``x-own-words``, ``x-cited``). Stages receive the catalog (or one table of
it) instead of re-reading JSON by ``(name, root)``, so every stage sees the same definition.
The model is frictionless-py's Package -> Resource -> Schema, without its row-by-row machinery.

pyarrow is imported only where an Arrow type is asked for, so that ``import ca_militancy`` and
the catalog stay light.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    import pyarrow as pa

PACKAGE_DIR = Path(__file__).resolve().parents[1]
PACKAGED_DATA = PACKAGE_DIR / "_data"
PACKAGED_SCHEMAS = PACKAGED_DATA / "schemas"
REPO_ROOT = PACKAGE_DIR.parents[1]
SCHEMA_SUFFIX = ".schema.json"

# Custom Table Schema property: of these (nullable, foreign-key) columns exactly one is filled.
EXACTLY_ONE_OF = "x-exactly-one-of"
# Custom field property: the field holds this project's own words (summaries, descriptions,
# notes), which must not copy the sources' wording (checked against the archived texts).
OWN_WORDS = "x-own-words"
# Custom field property: the field carries a fact, so a citation on its record names it.
CITED = "x-cited"
# Custom field property: the value is copied exactly, from an archived text (an excerpt) or
# from another cell (a correction's old and new value), so it keeps whatever that text holds.
VERBATIM = "x-verbatim"
# Custom Table Schema property: the table's records are not cited (the value says why): the
# citations themselves, the conflicts between them, the corrections log.
UNCITED = "x-uncited"


# The check name that schema problems are reported under (``--list-checks``).
SCHEMA_CHECK = "table-schema"


class SchemaError(ValueError):
    """A schema file that cannot be used; the message names the file (and the line, where
    one applies) and the problem, so that the build can report it like a data problem."""

    def __init__(self, path: Path | str, message: str, line: int | None = None) -> None:
        self.path = Path(path)
        self.line = line
        self.message = message
        super().__init__(self.located())

    def located(self, root: Path | None = None) -> str:
        """``file[:line]: table-schema: message``, the file relative to ``root`` if under it."""
        shown = self.path
        if root is not None and shown.is_relative_to(root):
            shown = shown.relative_to(root)
        place = f"{shown.as_posix()}:{self.line}" if self.line else shown.as_posix()
        return f"{place}: {SCHEMA_CHECK}: {self.message}"


def schema_dir(root: Path | None = None) -> Path:
    """Where the schemas are: ``<root>/schemas`` when a root is given, else the source
    checkout's ``schemas/`` when it exists, else the copy shipped in the package."""
    if root is not None:
        return Path(root) / "schemas"
    repo = REPO_ROOT / "schemas"
    if repo.is_dir() and (REPO_ROOT / "pyproject.toml").is_file():
        return repo
    return PACKAGED_SCHEMAS


def constraint(field: dict[str, Any], key: str, default: Any = None) -> Any:
    return field.get("constraints", {}).get(key, default)


def _one(value: str | list[str]) -> str:
    return value if isinstance(value, str) else value[0]


class ForeignKey(NamedTuple):
    column: str
    table: str  # the referenced table (its own name for a self-reference)
    ref_column: str


@dataclass(frozen=True, eq=False)
class TableSchema:
    """One table's Table Schema, with the questions the stages ask of it answered once."""

    name: str
    path: Path
    descriptor: dict[str, Any]

    @property
    def file(self) -> str:
        """The curated CSV's path relative to the repository root, as error lines show it."""
        return f"data/{self.name}.csv"

    @property
    def title(self) -> str:
        return self.descriptor.get("title", "")

    @property
    def description(self) -> str:
        return self.descriptor.get("description", "")

    @property
    def fields(self) -> list[dict[str, Any]]:
        return self.descriptor["fields"]

    @cached_property
    def field_names(self) -> list[str]:
        return [f["name"] for f in self.fields]

    def field(self, name: str) -> dict[str, Any]:
        for f in self.fields:
            if f["name"] == name:
                return f
        raise KeyError(f"table {self.name!r} has no field {name!r}")

    @cached_property
    def primary_key(self) -> list[str]:
        pk = self.descriptor.get("primaryKey")
        if not pk:
            raise SchemaError(self.path, "primaryKey: every table needs a primary key")
        return [pk] if isinstance(pk, str) else list(pk)

    @cached_property
    def foreign_keys(self) -> list[ForeignKey]:
        return [
            ForeignKey(
                _one(fk["fields"]),
                fk["reference"]["resource"] or self.name,
                _one(fk["reference"]["fields"]),
            )
            for fk in self.descriptor.get("foreignKeys", [])
        ]

    @cached_property
    def exactly_one_of(self) -> list[str]:
        """Columns of which exactly one must be filled in every row (empty when none)."""
        return list(self.descriptor.get(EXACTLY_ONE_OF, []))

    @cached_property
    def own_words(self) -> list[str]:
        """Fields written in this project's own words, never copied from a source."""
        return [f["name"] for f in self.fields if f.get(OWN_WORDS)]

    @property
    def uncited(self) -> bool:
        """Records of this table carry no citations of their own (``x-uncited``)."""
        return bool(self.descriptor.get(UNCITED))

    @cached_property
    def verbatim(self) -> list[str]:
        """Fields copied exactly from an archived text or another cell (``x-verbatim``)."""
        return [f["name"] for f in self.fields if f.get(VERBATIM)]

    @cached_property
    def cited_fields(self) -> list[str]:
        """Fields that carry a fact and so need a citation naming them when filled."""
        return [f["name"] for f in self.fields if f.get(CITED)]

    @cached_property
    def date_groups(self) -> list[str]:
        """Prefixes of the partial dates: ``<p>_start``, ``<p>_end``, ``<p>_precision``."""
        names = set(self.field_names)
        return [
            n[: -len("_precision")]
            for n in self.field_names
            if n.endswith("_precision")
            and f"{n[:-10]}_start" in names
            and f"{n[:-10]}_end" in names
        ]

    @cached_property
    def count_groups(self) -> list[str]:
        """Prefixes of the low/best/high counts (``killed``, ``wounded``)."""
        names = self.field_names
        return [n[:-4] for n in names if n.endswith("_low") and f"{n[:-4]}_high" in names]

    def arrow_schema(self) -> pa.Schema:
        """The Arrow schema of the table, with each field's description as field metadata."""
        import pyarrow as pa

        return pa.schema(
            [
                pa.field(
                    f["name"],
                    arrow_type(f, self.path),
                    nullable=not constraint(f, "required", False),
                    metadata={"description": f.get("description", "")},
                )
                for f in self.fields
            ]
        )


# Table Schema types with an Arrow type (besides string), by the pyarrow factory that makes it.
_ARROW_FACTORIES = {"integer": "int64", "number": "float64", "boolean": "bool_", "date": "date32"}
SUPPORTED_TYPES = ("string", *_ARROW_FACTORIES)


def arrow_type(field: dict[str, Any], where: Path | str = "schema") -> pa.DataType:
    """Arrow type of a field: enums are dictionary-encoded strings, dates date32,
    integers int64 (nullable), booleans bool."""
    import pyarrow as pa

    ftype = field.get("type", "string")
    if ftype == "string":
        if constraint(field, "enum"):
            return pa.dictionary(pa.int32(), pa.string())
        return pa.string()
    if ftype not in _ARROW_FACTORIES:
        raise SchemaError(where, _unsupported_type(field))
    return getattr(pa, _ARROW_FACTORIES[ftype])()


def _unsupported_type(field: dict[str, Any]) -> str:
    return (
        f"field {field.get('name')!r}: Table Schema type {field.get('type')!r} has no Arrow "
        f"mapping (supported: {', '.join(SUPPORTED_TYPES)})"
    )


def _read_descriptor(path: Path) -> dict[str, Any]:
    """The JSON of one schema file, or a SchemaError with the line where the JSON breaks."""
    data = path.read_bytes()
    try:
        descriptor = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise SchemaError(path, f"not UTF-8 ({exc.reason})", line) from None
    except json.JSONDecodeError as exc:
        raise SchemaError(
            path, f"not valid JSON: {exc.msg} (column {exc.colno})", exc.lineno
        ) from None
    if not isinstance(descriptor, dict) or not isinstance(descriptor.get("fields"), list):
        raise SchemaError(path, "a Table Schema needs a 'fields' list")
    return descriptor


def _validate(table: TableSchema, names: set[str]) -> None:
    """What every stage relies on, checked when the catalog is read (so that no stage meets it
    later as a crash): named fields of supported types, a primary key of existing fields, and
    foreign keys from existing fields to existing tables."""
    fields = table.fields
    if not all(isinstance(f, dict) and isinstance(f.get("name"), str) for f in fields):
        raise SchemaError(table.path, "fields: every field needs a 'name'")
    for f in fields:
        if f.get("type", "string") not in SUPPORTED_TYPES:
            raise SchemaError(table.path, _unsupported_type(f))
    known = set(table.field_names)
    missing = [c for c in table.primary_key if c not in known]
    if missing:
        raise SchemaError(table.path, f"primaryKey: no field named {', '.join(missing)}")
    try:
        fks = table.foreign_keys
    except (KeyError, TypeError, IndexError):
        raise SchemaError(table.path, "foreignKeys: each needs fields and a reference") from None
    for fk in fks:
        if fk.column not in known:
            raise SchemaError(table.path, f"foreignKeys: no field named {fk.column}")
        if fk.table not in names:
            raise SchemaError(table.path, f"foreignKeys: no table named {fk.table}")


class Catalog:
    """Every table of one schema directory, by name, read once."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._tables: dict[str, TableSchema] = {}
        for path in sorted(self.directory.glob(f"*{SCHEMA_SUFFIX}")):
            name = path.name[: -len(SCHEMA_SUFFIX)]
            self._tables[name] = TableSchema(name, path, _read_descriptor(path))
        for table in self._tables.values():
            _validate(table, set(self._tables))

    def __repr__(self) -> str:
        return f"Catalog({str(self.directory)!r}, tables={self.names})"

    @property
    def names(self) -> list[str]:
        """All table names, sorted (one schema file per table)."""
        return sorted(self._tables)

    def __iter__(self):
        return iter(self._tables[n] for n in self.names)

    def __contains__(self, name: object) -> bool:
        return name in self._tables

    def __getitem__(self, name: str) -> TableSchema:
        try:
            return self._tables[name]
        except KeyError:
            known = ", ".join(self.names)
            raise KeyError(f"unknown table {name!r}; known tables: {known}") from None

    def citing_column(self, table: str) -> str | None:
        """The citations column that points at ``table`` (one of its x-exactly-one-of columns)."""
        if "citations" not in self:
            return None
        cits = self["citations"]
        one_of = set(cits.exactly_one_of)
        for fk in cits.foreign_keys:
            if fk.table == table and fk.column in one_of:
                return fk.column
        return None


@cache
def _catalog(directory: Path) -> Catalog:
    return Catalog(directory)


def catalog(root: Path | None = None) -> Catalog:
    """The (cached) catalog of a repository root's ``schemas/``, or the default directory."""
    return _catalog(schema_dir(root).resolve())
