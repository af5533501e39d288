"""Compare two releases (zips or directories): per table, records added, removed and changed
(by primary key, with the changed fields), and fields added or removed.

Why: the CHANGELOG entry of each release is written from this, and it decides the semantic
version (a field removed or retyped: major; records or fields added: minor; corrections:
patch). Also here: the id-retirement rule, because ids never disappear silently: an id in a
published release's manifest (``releases/<version>.json``, which carries the full key lists)
must still be in the data or be listed in ``releases/retired-ids.csv`` with the reason and
what replaced it.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

RETIRED_IDS = "retired-ids.csv"
RETIRED_COLUMNS = ["id", "table", "retired_in_version", "replaced_by", "reason"]


class Release:
    """Read access to one release: an unzipped directory, a repository root, or a zip."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._zip = zipfile.ZipFile(self.path) if self.path.is_file() else None
        prefix = ""
        if self._zip is not None:
            names = self._zip.namelist()
            dp = sorted((n for n in names if n.endswith("datapackage.json")), key=len)
            prefix = dp[0][: -len("datapackage.json")] if dp else ""
        self.prefix = prefix

    def read(self, rel: str) -> bytes | None:
        if self._zip is not None:
            try:
                return self._zip.read(self.prefix + rel)
            except KeyError:
                return None
        p = self.path / rel
        return p.read_bytes() if p.is_file() else None

    def tables(self) -> list[str]:
        if self._zip is not None:
            names = self._zip.namelist()
            sch = [n[len(self.prefix) :] for n in names if n.startswith(self.prefix + "schemas/")]
        else:
            sch = [f"schemas/{p.name}" for p in (self.path / "schemas").glob("*.schema.json")]
        return sorted(n.removeprefix("schemas/").removesuffix(".schema.json") for n in sch)

    def schema(self, table: str) -> dict[str, Any]:
        raw = self.read(f"schemas/{table}.schema.json")
        return json.loads(raw) if raw else {"fields": []}

    def frame(self, table: str) -> pd.DataFrame | None:
        """The table as text exactly as written (empty cell = ""; "NA" stays "NA")."""
        raw = self.read(f"data/{table}.csv")
        if raw is None:
            return None
        return pd.read_csv(
            io.BytesIO(raw), dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8"
        )


def primary_key(schema: dict[str, Any]) -> list[str]:
    pk = schema.get("primaryKey", [])
    return [pk] if isinstance(pk, str) else list(pk)


def _keyed(df: pd.DataFrame, pk: list[str]) -> pd.DataFrame:
    key = df[pk[0]] if len(pk) == 1 else df[pk].agg("\t".join, axis=1)
    return df.set_index(key.rename("key"))


@dataclass
class TableDiff:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    fields_added: list[str] = field(default_factory=list)
    fields_removed: list[str] = field(default_factory=list)
    fields_retyped: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any(
            (self.added, self.removed, self.changed, self.fields_added, self.fields_removed,
             self.fields_retyped)
        )  # fmt: skip


def diff_table(old: Release, new: Release, table: str) -> TableDiff:
    out = TableDiff()
    so, sn = old.schema(table), new.schema(table)
    fo = {f["name"]: f.get("type", "string") for f in so.get("fields", [])}
    fn = {f["name"]: f.get("type", "string") for f in sn.get("fields", [])}
    out.fields_added = [f for f in fn if f not in fo]
    out.fields_removed = [f for f in fo if f not in fn]
    out.fields_retyped = [f for f in fn if f in fo and fo[f] != fn[f]]
    a, b = old.frame(table), new.frame(table)
    pk = primary_key(sn) or primary_key(so)
    if a is None and b is None:
        return out
    if a is None:
        out.added = sorted(_keyed(b, pk).index)
        return out
    if b is None:
        out.removed = sorted(_keyed(a, pk).index)
        return out
    a, b = _keyed(a, pk), _keyed(b, pk)
    out.added = sorted(b.index.difference(a.index))
    out.removed = sorted(a.index.difference(b.index))
    common = a.index.intersection(b.index)
    cols = [c for c in b.columns if c in a.columns]
    if len(common) and cols:
        av, bv = a.loc[common, cols], b.loc[common, cols]
        neq = av.ne(bv)
        for key in sorted(neq.index[neq.any(axis=1)]):
            row = neq.loc[key]
            out.changed[key] = {c: [av.at[key, c], bv.at[key, c]] for c in row.index[row]}
    return out


def diff_releases(old_path: Path, new_path: Path) -> dict[str, TableDiff]:
    old, new = Release(old_path), Release(new_path)
    names = sorted(set(old.tables()) | set(new.tables()))
    return {t: diff_table(old, new, t) for t in names}


def to_json(diffs: dict[str, TableDiff]) -> dict[str, Any]:
    return {
        t: {
            "added": d.added,
            "removed": d.removed,
            "changed": [{"key": k, "fields": v} for k, v in d.changed.items()],
            "fields_added": d.fields_added,
            "fields_removed": d.fields_removed,
            "fields_retyped": d.fields_retyped,
        }
        for t, d in diffs.items()
    }


def suggested_bump(diffs: dict[str, TableDiff]) -> str:
    """major: a field removed or retyped; minor: records or fields added; patch otherwise."""
    if any(d.fields_removed or d.fields_retyped for d in diffs.values()):
        return "major"
    if any(d.added or d.fields_added for d in diffs.values()):
        return "minor"
    return "patch"


def to_text(diffs: dict[str, TableDiff], detail: int = 20) -> str:
    out = []
    for t, d in diffs.items():
        head = f"{t}: {len(d.added)} added, {len(d.removed)} removed, {len(d.changed)} changed"
        out.append(head)
        for label, items in (("field added", d.fields_added), ("field removed", d.fields_removed),
                             ("field retyped", d.fields_retyped)):  # fmt: skip
            out += [f"  {label}: {f}" for f in items]
        for sign, keys in (("+", d.added), ("-", d.removed)):
            out += [f"  {sign} {k}" for k in keys[:detail]]
            if len(keys) > detail:
                out.append(f"  {sign} ... and {len(keys) - detail} more")
        for k in list(d.changed)[:detail]:
            fields = ", ".join(d.changed[k])
            out.append(f"  ~ {k}: {fields}")
        if len(d.changed) > detail:
            out.append(f"  ~ ... and {len(d.changed) - detail} more")
    out.append(f"suggested version bump: {suggested_bump(diffs)}")
    return "\n".join(out)


# --- id retirement ---------------------------------------------------------------------------


def read_retired(releases_dir: Path) -> set[tuple[str, str]]:
    """(table, id) pairs with a tombstone in ``releases/retired-ids.csv``."""
    path = Path(releases_dir) / RETIRED_IDS
    if not path.is_file():
        return set()
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in RETIRED_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"{path}: missing columns {', '.join(missing)}")
    return set(zip(df["table"], df["id"], strict=True))


def vanished_ids(manifest: dict[str, Any], current: Release, retired: set[tuple[str, str]]):
    """Ids of a published release that are gone from ``current`` without a tombstone:
    a list of (table, id)."""
    out = []
    for table, info in manifest.get("tables", {}).items():
        df = current.frame(table)
        now = set() if df is None else set(_keyed(df, info["primary_key"]).index)
        out += [(table, k) for k in info.get("keys", []) if k not in now]
    return [(t, k) for t, k in out if (t, k) not in retired]


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="scripts/diff.py",
        description="Per table: records added, removed and changed between two releases "
        "(zips or directories with data/ and schemas/).",
    )
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args(argv)
    for p in (args.old, args.new):
        if not p.exists():
            parser.error(f"{p} does not exist")
    diffs = diff_releases(args.old, args.new)
    if args.json:
        print(json.dumps(to_json(diffs), indent=2, ensure_ascii=False))
    else:
        print(to_text(diffs))
    return 0
