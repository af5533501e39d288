"""The reader's sheet: one source's evidence in the order of its lines, for a second reader.

For each line of the source that a citation quotes: the excerpt, then every record it backs,
with the fields the excerpt is cited for and their values (and a derivation where the value is
not stated), then the record's other fields, so that a reader going through the text once can
check that nothing is stated more firmly than its words.

    python scripts/curate.py sheet src-003 [--root .]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ca_militancy.core.catalog import REPO_ROOT, Catalog, schema_dir
from ca_militancy.core.problems import ProblemLog
from ca_militancy.core.strict_csv import read_typed

CITATIONS = "citations"


def _value(v: Any) -> str:
    return "" if v is None else str(v)


def _load(catalog: Catalog, data_dir: Path) -> dict[str, list[dict[str, Any]]]:
    log = ProblemLog()
    out = {}
    for table in catalog:
        result = read_typed(table, data_dir, log)
        if result.ok:
            out[table.name] = result.typed.to_pylist()
    if log:
        raise SystemExit("the data does not read cleanly; run scripts/build.py\n" + log.report())
    return out


def sheet(root: Path, source_id: str) -> str:
    """The sheet of one source as text."""
    catalog = Catalog(schema_dir(root))
    rows = _load(catalog, root / "data")
    cits = catalog[CITATIONS]
    refs = [(fk.column, fk.table) for fk in cits.foreign_keys if fk.column in cits.exactly_one_of]
    records = {
        t.name: {r[t.primary_key[0]]: r for r in rows[t.name]} for t in catalog if t.name in rows
    }
    mine = [c for c in rows[CITATIONS] if c["source_id"] == source_id]
    if not mine:
        known = sorted({c["source_id"] for c in rows[CITATIONS]})
        raise SystemExit(f"no citation quotes {source_id!r}; sources cited: {', '.join(known)}")
    mine.sort(key=lambda c: (c["line"], c["citation_id"]))
    out = [f"# Reader's sheet: {source_id} ({len(mine)} citations)", ""]
    shown: set[tuple[str, str]] = set()
    last_line = None
    for c in mine:
        if c["line"] != last_line:
            out += ["", f"## line {c['line']}"]
            last_line = c["line"]
        table, rid = next(((t, c[col]) for col, t in refs if c.get(col)), ("?", "?"))
        out.append(f"- [{c['citation_id']}] {c['stance']} {table} {rid}")
        out.append(f"  “{c['excerpt']}”")
        record = records.get(table, {}).get(rid, {})
        for name in (c.get("field") or "").split():
            stated = f" (as stated: {c['value_as_stated']})" if c.get("value_as_stated") else ""
            out.append(f"    {name} = {_value(record.get(name))}{stated}")
        if c.get("derivation"):
            out.append(f"    derived: {c['derivation']}")
        if (table, rid) not in shown and record:
            shown.add((table, rid))
            rest = [f"{k}={_value(v)}" for k, v in record.items() if v not in (None, "")]
            out.append("    record: " + "; ".join(rest))
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/curate.py sheet",
        description="Print every record that cites one source, in the order of its lines, "
        "each cited field with the excerpt behind it.",
    )
    parser.add_argument("source_id", help="a sources id, e.g. src-003")
    parser.add_argument("--root", type=Path, default=REPO_ROOT)
    args = parser.parse_args(argv)
    sys.stdout.write(sheet(args.root, args.source_id))
    return 0
