"""The corrections log: every value changed and every record removed since the previous release.

Why a table of the package (``data/corrections.csv``) and not only a changelog: users who
cached or cited an earlier release need to know, per record and field, what changed, from what
to what, and why, and ``frictionless validate`` covers a table. The difference itself is
computed (``build.diff``) between the previous release and the tree; only the reasons are
written by hand. Re-running keeps every reason already written, so the log can be drafted,
curated and redrafted.

    python scripts/curate.py corrections OLD_RELEASE [--reasons TSV ...]

``OLD_RELEASE`` is what ``scripts/diff.py`` accepts (a release zip or a directory holding
``data/`` and ``schemas/``, such as a worktree of the last tag). A reasons TSV has the columns
``table, record_id, field, review_item, reason`` (field empty for the whole record).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import sys
from pathlib import Path

from ca_militancy import __about__
from ca_militancy.build.diff import Release, TableDiff, diff_releases
from ca_militancy.core.catalog import REPO_ROOT

TABLE = "corrections"
COLUMNS = [
    "correction_id",
    "version",
    "date",
    "table_name",
    "record_id",
    "field",
    "action",
    "old_value",
    "new_value",
    "reason",
    "review_item",
]
# Changes that need no hand-written reason: filling in which fields a citation states.
FIELD_CITATION = "The citation now names the fields its excerpt states (field-level citations)."
UNTRACKED_TABLES = {TABLE}

Reason = tuple[str, str]  # (reason, review_item)


def read_reasons(paths: list[Path]) -> dict[tuple[str, str, str], Reason]:
    """(table, record_id, field) -> (reason, review item) from reasons TSVs; a line with an
    empty field gives the reason for every field of its record that has none of its own."""
    out: dict[tuple[str, str, str], Reason] = {}
    for path in paths:
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh, delimiter="\t"):
                key = (row["table"], row["record_id"], row.get("field") or "")
                review = (row.get("review_item") or "").strip()
                if review.isdigit():  # a bare number is an item of the 1.0.0 review
                    review = f"1.0.0-independent-reading {review}"
                out.setdefault(key, (row["reason"].strip(), review))
    return out


def _kept(root: Path) -> dict[tuple[str, str, str, str], dict[str, str]]:
    path = root / "data" / f"{TABLE}.csv"
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8", newline="") as fh:
        return {
            (r["version"], r["table_name"], r["record_id"], r["field"]): r
            for r in csv.DictReader(fh)
        }


def _reason_for(
    reasons: dict[tuple[str, str, str], Reason], table: str, rid: str, field: str
) -> Reason | None:
    return reasons.get((table, rid, field)) or reasons.get((table, rid, ""))


def draft(
    old: Path,
    root: Path,
    reasons: dict[tuple[str, str, str], Reason],
    version: str,
    date: dt.date,
) -> tuple[list[dict[str, str]], list[str]]:
    """The rows of the log for ``version``, and the changes still without a reason."""
    kept = _kept(root)
    diffs: dict[str, TableDiff] = diff_releases(old, root)
    retired = {}
    raw = Release(root).read("releases/retired-ids.csv")
    if raw:
        for r in csv.DictReader(io.StringIO(raw.decode("utf-8"))):
            retired[(r["table"], r["id"])] = r["reason"]
    rows: list[dict[str, str]] = []
    missing: list[str] = []

    def add(table: str, rid: str, field: str, action: str, old_v: str, new_v: str) -> None:
        prior = kept.get((version, table, rid, field))
        if prior and prior["reason"]:
            reason, review = prior["reason"], prior["review_item"]
        elif table == "citations" and field in {"field", "derivation"} and not old_v:
            reason, review = FIELD_CITATION, ""
        elif action == "removed" and (table, rid) in retired:
            reason, review = retired[(table, rid)], ""
            found = _reason_for(reasons, table, rid, field)
            review = found[1] if found else ""
        else:
            found = _reason_for(reasons, table, rid, field)
            reason, review = found if found else ("", "")
        if not reason:
            missing.append(f"{table} {rid} {field}".strip())
        rows.append(
            {
                "version": version,
                "date": prior["date"] if prior else date.isoformat(),
                "table_name": table,
                "record_id": rid,
                "field": field,
                "action": action,
                "old_value": old_v,
                "new_value": new_v,
                "reason": reason,
                "review_item": review,
            }
        )

    for table, d in sorted(diffs.items()):
        if table in UNTRACKED_TABLES:
            continue
        for rid in d.removed:
            add(table, rid, "", "removed", "", "")
        for rid, fields in sorted(d.changed.items()):
            for field, (old_v, new_v) in sorted(fields.items()):
                add(table, rid, field, "changed", old_v, new_v)
    earlier = [r for k, r in sorted(kept.items()) if k[0] != version]
    numbered = []
    for i, r in enumerate(rows, start=1):
        numbered.append({"correction_id": f"cor-{version.replace('.', '-')}-{i:04d}", **r})
    return earlier + numbered, missing


def write(root: Path, rows: list[dict[str, str]]) -> Path:
    path = root / "data" / f"{TABLE}.csv"
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(sorted(rows, key=lambda r: r["correction_id"]))
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(buf.getvalue(), encoding="utf-8")
    tmp.replace(path)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/curate.py corrections",
        description="Draft data/corrections.csv from the difference between the previous "
        "release and this tree, keeping every reason already written.",
    )
    parser.add_argument("old", type=Path, help="the previous release (zip or directory)")
    parser.add_argument("--root", type=Path, default=REPO_ROOT)
    parser.add_argument("--reasons", type=Path, nargs="*", default=[])
    parser.add_argument("--date", type=dt.date.fromisoformat, default=dt.date.today())
    args = parser.parse_args(argv)
    rows, missing = draft(
        args.old, args.root, read_reasons(args.reasons), __about__.__version__, args.date
    )
    path = write(args.root, rows)
    print(f"{path}: {len(rows)} correction(s)")
    if missing:
        print(f"{len(missing)} without a reason (the build refuses an empty reason):")
        for m in missing:
            print(f"  {m}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
