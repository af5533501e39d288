"""Table Schemas: the single definition of every table, and the types derived from them.

Every other module (checks, Parquet writer, loader, SQLite edition, docs) asks this module for
field names, constraints and types instead of repeating them. Schemas are read from the
repository's ``schemas/`` directory in a source checkout, or from the copy shipped inside the
wheel (``ca_militancy/_data/schemas``).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pyarrow is imported lazily so that `import ca_militancy` stays light
    import pyarrow as pa

PACKAGE_DIR = Path(__file__).resolve().parent
PACKAGED_SCHEMAS = PACKAGE_DIR / "_data" / "schemas"
REPO_ROOT = PACKAGE_DIR.parents[1]
SCHEMA_SUFFIX = ".schema.json"

# Custom Table Schema property: of these (nullable, foreign-key) columns exactly one is filled.
EXACTLY_ONE_OF = "x-exactly-one-of"


def schema_dir(root: Path | None = None) -> Path:
    """Where the schemas are: ``<root>/schemas`` when a root is given, else the source
    checkout's ``schemas/`` when it exists, else the copy shipped in the package."""
    if root is not None:
        return Path(root) / "schemas"
    repo = REPO_ROOT / "schemas"
    if repo.is_dir() and (REPO_ROOT / "pyproject.toml").is_file():
        return repo
    return PACKAGED_SCHEMAS


def table_names(root: Path | None = None) -> list[str]:
    """All table names, sorted (one schema file per table)."""
    return sorted(p.name[: -len(SCHEMA_SUFFIX)] for p in schema_dir(root).glob(f"*{SCHEMA_SUFFIX}"))


@cache
def _read(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def load_schema(name: str, root: Path | None = None) -> dict[str, Any]:
    """The Table Schema of one table as a dict (cached; do not mutate)."""
    path = schema_dir(root) / f"{name}{SCHEMA_SUFFIX}"
    if not path.is_file():
        known = ", ".join(table_names(root))
        raise KeyError(f"unknown table {name!r}; known tables: {known}")
    return _read(path)


def fields(name: str, root: Path | None = None) -> list[dict[str, Any]]:
    return load_schema(name, root)["fields"]


def field_names(name: str, root: Path | None = None) -> list[str]:
    return [f["name"] for f in fields(name, root)]


def primary_key(name: str, root: Path | None = None) -> list[str]:
    pk = load_schema(name, root)["primaryKey"]
    return [pk] if isinstance(pk, str) else list(pk)


def foreign_keys(name: str, root: Path | None = None) -> list[tuple[str, str, str]]:
    """(column, referenced table, referenced column); a self-reference names its own table."""
    out = []
    for fk in load_schema(name, root).get("foreignKeys", []):
        col = fk["fields"] if isinstance(fk["fields"], str) else fk["fields"][0]
        ref = fk["reference"]
        ref_col = ref["fields"] if isinstance(ref["fields"], str) else ref["fields"][0]
        out.append((col, ref["resource"] or name, ref_col))
    return out


def exactly_one_of(name: str, root: Path | None = None) -> list[str]:
    """Columns of which exactly one must be filled in every row (empty list when none)."""
    return list(load_schema(name, root).get(EXACTLY_ONE_OF, []))


# Custom field property: the field holds this project's own words (summaries, descriptions,
# notes), which must not copy the sources' wording (checked against the archived texts).
OWN_WORDS = "x-own-words"


def own_words_fields(name: str, root: Path | None = None) -> list[str]:
    """Fields written in this project's own words, never copied from a source."""
    return [f["name"] for f in fields(name, root) if f.get(OWN_WORDS)]


def constraint(field: dict[str, Any], key: str, default: Any = None) -> Any:
    return field.get("constraints", {}).get(key, default)


def arrow_type(field: dict[str, Any]) -> pa.DataType:
    """Arrow type of a field: enums are dictionary-encoded strings, dates date32,
    integers int64 (nullable), booleans bool."""
    import pyarrow as pa

    ftype = field.get("type", "string")
    if ftype == "string":
        if constraint(field, "enum"):
            return pa.dictionary(pa.int32(), pa.string())
        return pa.string()
    mapping = {
        "integer": pa.int64(),
        "number": pa.float64(),
        "boolean": pa.bool_(),
        "date": pa.date32(),
    }
    if ftype not in mapping:
        raise TypeError(
            f"field {field['name']!r}: Table Schema type {ftype!r} has no Arrow mapping"
        )
    return mapping[ftype]


def arrow_schema(name: str, root: Path | None = None) -> pa.Schema:
    """The Arrow schema of a table, with each field's description kept as field metadata."""
    import pyarrow as pa

    return pa.schema(
        [
            pa.field(
                f["name"],
                arrow_type(f),
                nullable=not constraint(f, "required", False),
                metadata={"description": f.get("description", "")},
            )
            for f in fields(name, root)
        ]
    )
