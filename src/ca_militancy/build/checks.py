"""Vectorized checks of the data package: Table Schema constraints, keys and project rules.

Why our own checks beside frictionless: frictionless does not check "exactly one of",
citations, date precision, casualty ordering, formula-like cells and the other project rules
(docs/architecture.md), and it is row-by-row Python, too slow at a million incidents. Every
check here works on whole columns (pyarrow.compute, numpy, pandas); only the problems found
are turned into Python objects, and at most ``limit`` of them per table.

Every problem is one line: ``file:line: column=value: check: message``; ``CHECKS`` names and
describes every check (``scripts/build.py --list-checks``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ca_militancy.build.coverage import OMISSIONS, SourceCoverage, check_coverage
from ca_militancy.build.evidence import EvidenceReport, check_evidence
from ca_militancy.build.places import check_places
from ca_militancy.build.provenance import check_provenance
from ca_militancy.core.catalog import Catalog, schema_dir
from ca_militancy.core.problems import DEFAULT_LIMIT, ProblemLog
from ca_militancy.core.strict_csv import ReadResult, plain, read_typed
from ca_militancy.core.voices import voices_of_rows

FORMULA_START = "=+-@"


@dataclass
class CheckResult:
    tables: dict[str, pa.Table]
    reads: dict[str, ReadResult]
    log: ProblemLog
    run: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    evidence: EvidenceReport | None = None
    coverage: dict[str, SourceCoverage] | None = None

    @property
    def ok(self) -> bool:
        return not self.log


# --- helpers ---------------------------------------------------------------------------------


def _np_bool(arr: Any) -> np.ndarray:
    if isinstance(arr, pa.ChunkedArray | pa.Array):
        return pc.fill_null(arr, False).to_numpy(zero_copy_only=False).astype(bool)
    return np.asarray(arr, dtype=bool)


def key_strings(table: pa.Table, key: list[str]) -> pa.ChunkedArray:
    """One string per row for a (possibly composite) key, tab-joined."""
    cols = [pc.fill_null(plain(table[c]).cast(pa.string()), "") for c in key]
    if len(cols) == 1:
        return cols[0]
    return pc.binary_join_element_wise(*cols, "\t")


# --- Table Schema constraints, keys ----------------------------------------------------------


def check_constraints(r: ReadResult, log: ProblemLog) -> None:
    """required / unique / enum / pattern / minimum / maximum / minLength / maxLength."""
    name, file, raw, typed, lines = r.name, r.schema.file, r.raw, r.typed, r.lines
    pk = r.schema.primary_key
    for f in r.schema.fields:
        col_name = f["name"]
        text = raw[col_name]
        c = f.get("constraints", {})
        if c.get("required"):
            log.add_mask(
                name, file, lines, pc.is_null(text), col_name, None, "required",
                "a value is required",
            )  # fmt: skip
        if c.get("unique") and pk != [col_name]:
            dup = _duplicated(text)
            log.add_mask(name, file, lines, dup, col_name, text, "unique", "value repeats")
        if "enum" in c:
            ok = pc.is_in(text, pa.array([str(v) for v in c["enum"]]))
            bad = pc.and_(pc.is_valid(text), pc.invert(ok))
            log.add_mask(
                name, file, lines, bad, col_name, text, "enum",
                "not one of: " + ", ".join(map(str, c["enum"])),
            )  # fmt: skip
        if "pattern" in c:
            ok = pc.match_substring_regex(text, f"^(?:{c['pattern']})$")
            bad = pc.invert(pc.fill_null(ok, True))
            log.add_mask(
                name, file, lines, bad, col_name, text, "pattern",
                f"does not match {c['pattern']}",
            )  # fmt: skip
        for key, op, word in (("minimum", pc.less, "below"), ("maximum", pc.greater, "above")):
            if key in c:
                bound = pa.scalar(c[key]).cast(typed[col_name].type)
                bad = op(typed[col_name], bound)
                log.add_mask(name, file, lines, bad, col_name, text, key, f"{word} {key} {c[key]}")
        lengths = (("maxLength", pc.greater, "longer"), ("minLength", pc.less, "shorter"))
        for key, op, word in lengths:
            if key in c:
                bad = op(pc.utf8_length(text), c[key])
                log.add_mask(
                    name, file, lines, bad, col_name, text, key,
                    f"{word} than {c[key]} characters",
                )  # fmt: skip


def _duplicated(keys: pa.ChunkedArray) -> np.ndarray:
    """True for every non-null occurrence after the first of a value."""
    import pandas as pd

    filled = pc.drop_null(keys)
    if len(pc.unique(filled)) == len(filled):  # the common case: nothing repeats
        return np.zeros(len(keys), dtype=bool)
    s = pd.Series(keys.to_numpy(zero_copy_only=False), dtype=object)
    return (s.duplicated(keep="first") & s.notna()).to_numpy()


def check_primary_key(r: ReadResult, log: ProblemLog) -> None:
    """Primary key unique (rule ``primary-key``) and rows sorted by it (rule 8)."""
    name, file = r.name, r.schema.file
    pk = r.schema.primary_key
    keys = key_strings(r.typed, pk)
    label = ",".join(pk)
    log.add_mask(
        name, file, r.lines, _duplicated(keys), label, keys, "primary-key",
        "duplicate primary key",
    )  # fmt: skip
    n = len(keys)
    if n > 1:
        # codepoint order, as Python's sorted() and `sort` with LC_ALL=C (Arrow compares
        # UTF-8 bytes, whose order is the codepoint order)
        flat = keys.combine_chunks() if isinstance(keys, pa.ChunkedArray) else keys
        later = pc.less(flat.slice(1), flat.slice(0, n - 1))
        order = np.concatenate(([False], _np_bool(later)))
        log.add_mask(
            name, file, r.lines, order, label, keys, "rows-sorted-by-key",
            "rows must be sorted by the primary key; this one sorts before the row above it",
        )  # fmt: skip


def _schema_line(path: Path, key: str, value: str) -> int | None:
    """The line of ``"key": "value"`` in a schema file, so the problem opens at the right spot."""
    pattern = re.compile(rf'"{re.escape(key)}"\s*:\s*"{re.escape(value)}"')
    lines = path.read_text(encoding="utf-8").splitlines()
    return next((i for i, line in enumerate(lines, 1) if pattern.search(line)), None)


def check_foreign_keys(
    r: ReadResult, tables: dict[str, pa.Table], log: ProblemLog
) -> dict[str, int]:
    """Every filled foreign-key cell points at an existing key (self-references included;
    empty cells are skipped, as in frictionless, which is what the nullable polymorphic
    columns rely on). Returns the number of dangling cells per referenced table; those into
    an empty table are counted but not listed (``table-complete`` says it once)."""
    name, file = r.name, r.schema.file
    dangling: dict[str, int] = defaultdict(int)
    for col, ref_table, ref_col in (
        (k.column, k.table, k.ref_column) for k in r.schema.foreign_keys
    ):
        if ref_table not in tables or ref_col not in tables[ref_table].column_names:
            continue  # reported already: that table's own problems, or table-schema at catalog load
        target = plain(tables[ref_table][ref_col])
        values = r.raw[col]
        bad = pc.and_(pc.is_valid(values), pc.invert(pc.is_in(values, target)))
        if len(target) == 0:
            dangling[ref_table] += int(pc.sum(bad).as_py() or 0)
            continue
        dangling[ref_table] += log.add_mask(
            name, file, r.lines, bad, col, values, "foreign-key",
            f"no {ref_table}.{ref_col} with this value",
        )  # fmt: skip
    return dangling


# --- project rules ---------------------------------------------------------------------------


def every_record_cited(
    r: ReadResult, catalog: Catalog, tables: dict[str, pa.Table], log: ProblemLog
) -> int:
    """Returns the number of records without a citation; with an empty citations table they
    are counted but not listed (``table-complete`` says it once)."""
    name = r.name
    if r.schema.uncited or "citations" not in tables:
        return 0
    col = catalog.citing_column(name)
    pk = r.schema.primary_key
    if col is None:
        log.add(
            name, r.schema.file, None, None, None, "every-record-cited",
            "no citations column refers to this table, so its rows cannot be cited",
        )  # fmt: skip
        return 0
    if tables["citations"].num_rows == 0:
        return r.typed.num_rows
    cited = pc.drop_null(tables["citations"][col])
    keys = key_strings(r.typed, pk)
    bad = pc.invert(pc.is_in(keys, cited))
    return log.add_mask(
        name, r.schema.file, r.lines, bad, pk[0], keys, "every-record-cited",
        f"no citation has {col} = this record",
    )  # fmt: skip


# A table others refer to looks cut short when the rows missing from it are wanted by this
# many other tables, or by this many rows (one or two are the ordinary typo or forgotten row).
CASCADE_TABLES = 2
CASCADE_ROWS = 10


def table_complete(
    reads: dict[str, ReadResult], wanted: dict[str, dict[str, int]], log: ProblemLog
) -> None:
    """One problem on the table that a cascade of foreign-key or citation problems in other
    tables points at: an empty table (its cascade is not listed), or one whose rows seem to
    stop short (a file cut at a row boundary still parses; only what refers to the lost rows
    shows the cut)."""
    for target, by_table in sorted(wanted.items()):
        by_table = {t: n for t, n in by_table.items() if n and t != target}
        r = reads.get(target)
        if not by_table or r is None or not r.ok:
            continue
        total = sum(by_table.values())
        breakdown = ", ".join(f"{t} {n}" for t, n in sorted(by_table.items()))
        file = r.schema.file
        if r.typed.num_rows == 0:
            log.add(
                target, file, 1, None, None, "table-complete",
                f"the table has no rows, but {total} rows of other tables need it ({breakdown}); "
                "their problems are not listed one by one",
            )  # fmt: skip
        elif len(by_table) >= CASCADE_TABLES or total >= CASCADE_ROWS:
            last = key_strings(r.typed, r.schema.primary_key)[-1].as_py()
            log.add(
                target, file, int(r.lines[-1]), ",".join(r.schema.primary_key), last,
                "table-complete",
                f"{total} rows of other tables need records this table lacks ({breakdown}): "
                "if the file was cut short after this row, restore the rest",
            )  # fmt: skip


def exactly_one_reference(r: ReadResult, log: ProblemLog) -> None:
    cols = r.schema.exactly_one_of
    if not cols:
        return
    filled = np.zeros(r.raw.num_rows, dtype=np.int64)
    for c in cols:
        filled += _np_bool(pc.is_valid(r.raw[c]))
    log.add_mask(
        r.name, r.schema.file, r.lines, filled != 1, None, None, "exactly-one-reference",
        f"exactly one of {', '.join(cols)} must be filled",
    )  # fmt: skip
    # the count per row is shown in the message only in aggregate; the line names the row


def dates_ordered_and_precise(r: ReadResult, log: ProblemLog) -> None:
    name, file, t, lines = r.name, r.schema.file, r.typed, r.lines
    for prefix in r.schema.date_groups:
        start, end = t[f"{prefix}_start"], t[f"{prefix}_end"]
        prec_col = f"{prefix}_precision"
        prec = plain(t[prec_col])
        has_s, has_e = _np_bool(pc.is_valid(start)), _np_bool(pc.is_valid(end))
        order = _np_bool(pc.greater(start, end))
        log.add_mask(
            name, file, lines, order, f"{prefix}_start", start, "dates-ordered",
            f"{prefix}_start is after {prefix}_end",
        )  # fmt: skip
        ys, ms, ds = (_int(pc.year(start)), _int(pc.month(start)), _int(pc.day(start)))
        ye, me, de = (_int(pc.year(end)), _int(pc.month(end)), _int(pc.day(end)))
        end_next = pc.add(pc.cast(end, pa.int32()), pa.scalar(1, pa.int32())).cast(pa.date32())
        d_next = _int(pc.day(end_next))
        both = has_s & has_e
        same = (_np_bool(pc.equal(start, end))) & both
        whole_month = both & (ds == 1) & (ys == ye) & (ms == me) & (d_next == 1)
        whole_year = both & (ms == 1) & (ds == 1) & (me == 12) & (de == 31) & (ys == ye)
        rules = {
            "day": (same, "day precision needs start == end"),
            "month": (whole_month, "month precision needs the first and last day of one month"),
            "year": (whole_year, "year precision needs 1 January and 31 December of one year"),
            "range": (both, "range precision needs both start and end"),
            "on_or_before": (~has_s & has_e, "on_or_before needs only the end date"),
            "on_or_after": (has_s & ~has_e, "on_or_after needs only the start date"),
            "unknown": (~has_s & ~has_e, "unknown precision needs no dates"),
        }
        prec_np = np.asarray(prec.to_numpy(zero_copy_only=False), dtype=object)
        for value, (ok, message) in rules.items():
            bad = (prec_np == value) & ~ok
            log.add_mask(
                name, file, lines, bad, prec_col, prec, "date-precision-matches-bounds", message
            )


def _int(arr: pa.ChunkedArray) -> np.ndarray:
    return pc.fill_null(arr, -1).to_numpy(zero_copy_only=False).astype(np.int64)


def counts_ordered_with_basis(r: ReadResult, log: ProblemLog) -> None:
    name, file, t, lines = r.name, r.schema.file, r.typed, r.lines
    groups = r.schema.count_groups
    if not groups:
        return
    any_count = np.zeros(t.num_rows, dtype=bool)
    for g in groups:
        low, high = t[f"{g}_low"], t[f"{g}_high"]
        best = t[f"{g}_best"] if f"{g}_best" in t.column_names else None
        pairs = [(low, high, f"{g}_low", f"{g}_high")]
        if best is not None:
            pairs = [(low, best, f"{g}_low", f"{g}_best"), (best, high, f"{g}_best", f"{g}_high")]
            pairs.append((low, high, f"{g}_low", f"{g}_high"))
        for a, b, an, bn in pairs:
            log.add_mask(
                name, file, lines, pc.greater(a, b), an, a, "counts-ordered",
                f"{an} is greater than {bn}",
            )  # fmt: skip
        for col in (low, best, high):
            if col is not None:
                any_count |= _np_bool(pc.is_valid(col))
    if "casualty_basis" in t.column_names:
        basis = _np_bool(pc.is_valid(t["casualty_basis"]))
        log.add_mask(
            name, file, lines, any_count & ~basis, "casualty_basis", None,
            "casualty-basis-with-counts",
            "casualty_basis is required when a count is given",
        )  # fmt: skip
        log.add_mask(
            name, file, lines, basis & ~any_count, "casualty_basis",
            plain(t["casualty_basis"]), "casualty-basis-with-counts",
            "casualty_basis is given but no count is",
        )  # fmt: skip


def alias_names_one_entity(catalog: Catalog, reads: dict[str, ReadResult], log: ProblemLog) -> None:
    """An alias (case-folded) names one entity only, unless every row with it is ambiguous.
    Entity names count too: an alias equal to another entity's name is ambiguous."""
    import pandas as pd

    r = reads.get("aliases")
    if r is None or not r.ok:
        return
    cols = catalog["aliases"].exactly_one_of
    t = r.typed.to_pandas(types_mapper=pd.ArrowDtype)
    entity = pd.Series([None] * len(t), dtype=object)
    for c in cols:
        col = t[c].astype(object)
        entity = entity.where(entity.notna(), col.where(col.notna(), None))
    frames = [
        pd.DataFrame(
            {
                "fold": t["alias"].astype(str).str.casefold(),
                "entity": entity.astype(str),
                "row": np.arange(len(t)),
                "ambiguous": t["ambiguous"].fillna(False).astype(bool),
            }
        )
    ]
    fk_tables = {k.table: k.column for k in catalog["aliases"].foreign_keys if k.column in cols}
    for ref in fk_tables:
        rr = reads.get(ref)
        if rr is None or not rr.ok or "name" not in rr.typed.column_names:
            continue
        pk = catalog[ref].primary_key[0]
        frames.append(
            pd.DataFrame(
                {
                    "fold": rr.typed["name"].to_pandas().astype(str).str.casefold(),
                    "entity": rr.typed[pk].to_pandas().astype(str),
                    "row": -1,
                    "ambiguous": True,
                }
            )
        )
    df = pd.concat(frames, ignore_index=True)
    n_entities = df.groupby("fold")["entity"].transform("nunique")
    bad = df[(df["row"] >= 0) & (n_entities > 1) & ~df["ambiguous"]]
    mask = np.zeros(len(t), dtype=bool)
    mask[bad["row"].to_numpy(dtype=np.int64)] = True
    log.add_mask(
        "aliases", catalog["aliases"].file, r.lines, mask, "alias", r.raw["alias"],
        "alias-names-one-entity",
        "this alias also names another entity; mark every row with it ambiguous",
    )  # fmt: skip


_CONTROL = r"[\x{0}-\x{8}\x{b}-\x{1f}\x{7f}-\x{9f}\n\t]"
_EDGE_SPACE = r"(^[\s\p{Z}\x{feff}])|([\s\p{Z}\x{feff}]$)"
_FORMULA = "^[=+\\-@]"
# Characters a reader cannot see: format characters (zero-width space, soft hyphen, the bidi
# embeddings, overrides, isolates and marks, byte-order mark) and the line and paragraph
# separators. A zero-width space at the end of an alias silently breaks look-ups; U+202E
# reverses what a reader sees.
_INVISIBLE = r"[\p{Cf}\p{Zl}\p{Zp}]"
# ZWNJ and ZWJ between two letters (or their marks): Persian spelling needs ZWNJ inside words
# (mi<ZWNJ>khwaham), and Arabic-script text uses both to choose letter forms. Prose may keep
# them: excerpts must match the archived text exactly (rule 3), and the project's own words
# (x-own-words: summaries, notes, descriptions) may be written in Persian. Names, aliases and
# other short values may not: they are look-up keys, where an unseen joiner breaks matching.
_JOINER_IN_WORD = r"([\p{L}\p{M}])[\x{200c}\x{200d}]([\p{L}\p{M}])"
# one pass that finds any of the rules; the rules are told apart only where it matches
_ANY_TEXT_PROBLEM = f"(?:{_CONTROL})|(?:{_EDGE_SPACE})|(?:{_FORMULA})|(?:{_INVISIBLE})"
TEXT_RULES = (
    (_CONTROL, "no-control-characters", "control character"),
    (_EDGE_SPACE, "no-edge-space", "leading or trailing space"),
    (_FORMULA, "no-formula-start", "starts with =, +, - or @ (spreadsheet formula injection)"),
    (
        _INVISIBLE,
        "no-invisible-characters",
        "invisible or bidirectional-control character (zero-width, soft hyphen, bidi "
        "embedding/override/isolate/mark, line or paragraph separator)",
    ),
)


def _without_joiners_in_words(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The values with every ZWNJ/ZWJ that sits between two letters removed. Two passes,
    because a match consumes the letter after the joiner that the next joiner needs."""
    for _ in range(2):
        values = pc.replace_substring_regex(values, _JOINER_IN_WORD, r"\1\2")
    return values


def _distinct(col: pa.ChunkedArray) -> pa.Array | None:
    """The distinct values when they are at most half the cells (enums, ids of a few
    records, repeated phrases): checking those and mapping back is cheaper. A sample
    decides first, so columns of unique text do not pay for hashing."""
    sample = col.slice(0, 4096)
    if len(pc.unique(sample)) * 2 > len(sample):
        return None
    values = pc.unique(col)
    return values if len(values) * 2 <= len(col) else None


def _nfc_problems(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """True where a value is not NFC. ASCII text is always NFC, so only the other values
    are normalized (the expensive part)."""
    non_ascii = _np_bool(pc.invert(pc.fill_null(pc.string_is_ascii(values), True)))
    bad = np.zeros(len(values), dtype=bool)
    if non_ascii.any():
        sub = pc.filter(values, pa.array(non_ascii))
        changed = _np_bool(pc.not_equal(pc.utf8_normalize(sub, form="NFC"), sub))
        bad[np.flatnonzero(non_ascii)[changed]] = True
    return bad


def text_cells_clean(r: ReadResult, log: ProblemLog) -> None:
    name, file, lines = r.name, r.schema.file, r.lines
    for f in r.schema.fields:
        if f.get("type", "string") != "string":
            continue
        col = r.raw[f["name"]]
        if pc.all(pc.is_null(col)).as_py() in (True, None):
            continue
        distinct = _distinct(col)
        values = col if distinct is None else distinct
        checks = [(_nfc_problems(values), "text-nfc-normalized", "text is not NFC-normalized")]
        suspect = np.flatnonzero(_np_bool(pc.match_substring_regex(values, _ANY_TEXT_PROBLEM)))
        if len(suspect):
            # each rule is told apart only on the values the one pass flagged
            checked = values.take(pa.array(suspect))
            if f["name"] in r.schema.verbatim or f["name"] in r.schema.own_words:
                checked = _without_joiners_in_words(checked)
            for pattern, rule, message in TEXT_RULES:
                mask = np.zeros(len(values), dtype=bool)
                mask[suspect] = _np_bool(pc.match_substring_regex(checked, pattern))
                checks.append((mask, rule, message))
        for mask, rule, message in checks:
            if not mask.any():
                continue
            if distinct is not None:  # back from distinct values to rows
                mask = _np_bool(pc.is_in(col, pc.filter(distinct, pa.array(mask))))
            log.add_mask(name, file, lines, mask, f["name"], col, rule, message)


def _country_codes() -> pa.Array:
    import pycountry

    return pa.array(sorted(c.alpha_2 for c in pycountry.countries))


def country_code_iso3166(r: ReadResult, log: ProblemLog) -> None:
    for f in r.schema.fields:
        if f["name"] == "country_code" or f["name"].endswith("_country_code"):
            col = r.raw[f["name"]]
            bad = pc.and_(pc.is_valid(col), pc.invert(pc.is_in(col, _country_codes())))
            log.add_mask(
                r.name, r.schema.file, r.lines, bad, f["name"], col, "country-code-iso3166",
                "not an ISO 3166-1 alpha-2 code",
            )  # fmt: skip


def _record_long(t: pa.Table, cols: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(column name, record id) of the filled one of ``cols`` in each row."""
    n = t.num_rows
    which = np.full(n, "", dtype=object)
    rid = np.full(n, "", dtype=object)
    for c in cols:
        if c not in t.column_names:
            continue
        v = np.asarray(plain(t[c]).to_numpy(zero_copy_only=False), dtype=object)
        filled = pc.is_valid(t[c]).to_numpy(zero_copy_only=False).astype(bool) & (which == "")
        which[filled] = c
        rid[filled] = v[filled]
    return which, rid


def conflict_has_versions(catalog: Catalog, reads: dict[str, ReadResult], log: ProblemLog) -> None:
    import pandas as pd

    cr, kr = reads.get("citations"), reads.get("conflicts")
    if cr is None or kr is None or not cr.ok or not kr.ok:
        return
    ct, kt = cr.typed, kr.typed
    cols = catalog["conflicts"].exactly_one_of
    c_which, c_id = _record_long(ct, cols)
    cits = pd.DataFrame(
        {
            "which": c_which,
            "rid": c_id,
            "field": plain(ct["field"]).to_pandas().astype(object),
            "value": plain(ct["value_as_stated"]).to_pandas().astype(object),
            "disputes": plain(ct["stance"]).to_pandas().astype(object) == "disputes",
        }
    )
    cits = cits[cits["field"].notna()]
    agg = cits.groupby(["which", "rid", "field"], dropna=False).agg(
        n_values=("value", "nunique"), disputes=("disputes", "any")
    )
    k_which, k_id = _record_long(kt, cols)
    conf = pd.DataFrame(
        {"which": k_which, "rid": k_id, "field": plain(kt["field"]).to_pandas().astype(object)}
    )
    merged = conf.merge(agg, how="left", left_on=["which", "rid", "field"], right_index=True)
    ok = (merged["n_values"].fillna(0) >= 2) | merged["disputes"].fillna(False).astype(bool)
    log.add_mask(
        "conflicts", catalog["conflicts"].file, kr.lines, ~ok.to_numpy(), "field", kr.raw["field"],
        "conflict-has-versions",
        "the record needs two citations with this field and different value_as_stated, "
        "or one with stance disputes",
    )  # fmt: skip


def contested_matches_disputes(
    catalog: Catalog, reads: dict[str, ReadResult], log: ProblemLog
) -> None:
    cr = reads.get("citations")
    if cr is None or not cr.ok:
        return
    disputes = pc.equal(plain(cr.typed["stance"]), "disputes")
    for name, r in reads.items():
        if not r.ok or "contested" not in r.typed.column_names:
            continue
        col = catalog.citing_column(name)
        if col is None:
            continue
        disputed_ids = pc.drop_null(pc.filter(cr.typed[col], disputes))
        keys = key_strings(r.typed, r.schema.primary_key)
        has_dispute = _np_bool(pc.is_in(keys, disputed_ids))
        contested = _np_bool(r.typed["contested"])
        log.add_mask(
            name, r.schema.file, r.lines, has_dispute & ~contested, "contested", r.raw["contested"],
            "contested-matches-disputes",
            "a citation disputes this record, so contested must be true",
        )  # fmt: skip
        log.add_mask(
            name, r.schema.file, r.lines, contested & ~has_dispute, "contested", r.raw["contested"],
            "contested-matches-disputes", "contested is true but no citation has stance disputes",
        )  # fmt: skip


# a note saying a tie is not stated outright: the tie is this project's reading of the text
INFERENCE_NOTE = re.compile(r"\b(implied|implies|inferred|infer|not stated|not explicitly)\b", re.I)
INFERRED = "inferred"


def inference_marked_inferred(r: ReadResult, log: ProblemLog) -> None:
    """Certainty says who is speaking: a tie the note calls implied is this project's
    inference, and an inference says in its note what it rests on."""
    if not {"certainty", "note"} <= set(r.typed.column_names):
        return
    certainty = plain(r.typed["certainty"])
    note = r.typed["note"]
    says_inferred = pc.fill_null(
        pc.match_substring_regex(note, INFERENCE_NOTE.pattern, ignore_case=True), False
    )
    is_inferred = pc.fill_null(pc.equal(certainty, INFERRED), False)
    log.add_mask(
        r.name, r.schema.file, r.lines, pc.and_(says_inferred, pc.invert(is_inferred)),
        "certainty", certainty, "inference-marked-inferred",
        "the note says the tie is implied or inferred, so certainty must be inferred",
    )  # fmt: skip
    log.add_mask(
        r.name, r.schema.file, r.lines, pc.and_(is_inferred, pc.is_null(note)),
        "note", None, "inference-marked-inferred",
        "certainty inferred: the note must give the reasoning",
    )  # fmt: skip


_SCRIPT_LETTERS = {
    "Cyrl": re.compile(r"[\u0400-\u04ff\u0500-\u052f]"),
    "Arab": re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]"),
    "Latn": re.compile(r"[A-Za-z\u00c0-\u024f]"),
}


def script_of(text: str) -> str:
    """The ISO 15924 code of the letters of a spelling: the script most of its letters are
    written in ("Газету.Ru" is Cyrillic), or "none" when it has no letters."""
    counts = {code: len(letters.findall(text)) for code, letters in _SCRIPT_LETTERS.items()}
    best = max(counts, key=lambda code: counts[code])
    return best if counts[best] else "none"


def alias_script_matches_letters(r: ReadResult, log: ProblemLog) -> None:
    """A Cyrillic or Arabic spelling is marked as such, so a user can tell it from its Latin
    transliteration (and lookups across scripts can be tested on the marked rows)."""
    if r.name != "aliases" or "script" not in r.typed.column_names:
        return
    aliases = r.typed["alias"].to_pylist()
    scripts = r.typed["script"].to_pylist()
    for i, (alias, script) in enumerate(zip(aliases, scripts, strict=True)):
        if alias and script and script_of(alias) != script:
            log.add(
                r.name, r.schema.file, int(r.lines[i]), "script", script,
                "alias-script-matches-letters",
                f"the letters of {alias!r} are {script_of(alias)}, not {script}",
            )  # fmt: skip


def _source_voices(reads: dict[str, ReadResult]) -> dict[str, str]:
    sr = reads.get("sources")
    if sr is None or not sr.ok or "copy_of_source_id" not in sr.typed.column_names:
        return {}
    return voices_of_rows(sr.typed.select(["source_id", "copy_of_source_id"]).to_pylist())


def copy_points_to_original(reads: dict[str, ReadResult], log: ProblemLog) -> None:
    """A copy names the original itself, never another copy or itself, so that a source's
    voice is one step away and a chain cannot loop."""
    sr = reads.get("sources")
    if sr is None or not sr.ok or "copy_of_source_id" not in sr.typed.column_names:
        return
    rows = sr.typed.select(["source_id", "copy_of_source_id"]).to_pylist()
    copy_of = {r["source_id"]: r["copy_of_source_id"] for r in rows}
    for i, row in enumerate(rows):
        target = row["copy_of_source_id"]
        if not target:
            continue
        problem = None
        if target == row["source_id"]:
            problem = "a source cannot be a copy of itself"
        elif copy_of.get(target):
            problem = f"{target} is itself a copy of {copy_of[target]}; name the original"
        if problem:
            log.add(
                "sources", "data/sources.csv", int(sr.lines[i]), "copy_of_source_id", target,
                "copy-points-to-original", problem,
            )  # fmt: skip


def conflict_between_voices(
    catalog: Catalog, reads: dict[str, ReadResult], log: ProblemLog
) -> None:
    """Disagreement needs two voices: a conflict whose differing versions all come from copies
    of one story is one source disagreeing with itself (or a copying error), not a dispute."""
    cr, kr = reads.get("citations"), reads.get("conflicts")
    if cr is None or kr is None or not cr.ok or not kr.ok:
        return
    voice = _source_voices(reads)
    cols = catalog["conflicts"].exactly_one_of
    versions: dict[tuple[str, str, str], set[tuple[str, str, str]]] = defaultdict(set)
    disputed: set[tuple[str, str]] = set()
    # only the citations that dispute a record or state a version of a field speak here
    t = cr.typed
    speaks = pc.or_(
        pc.fill_null(pc.equal(plain(t["stance"]), "disputes"), False),
        pc.and_(pc.is_valid(t["field"]), pc.is_valid(t["value_as_stated"])),
    )
    rows = np.flatnonzero(_np_bool(speaks))
    t = t.take(pa.array(rows, pa.int64()))
    c_which, c_id = _record_long(t, cols)
    fields = t["field"].to_pylist()
    values = t["value_as_stated"].to_pylist()
    stances = plain(t["stance"]).to_pylist()
    sources = t["source_id"].to_pylist()
    for i, (which, rid) in enumerate(zip(c_which, c_id, strict=True)):
        if stances[i] == "disputes":
            disputed.add((which, rid))
        if fields[i] and values[i] is not None:
            for f in fields[i].split():
                src = sources[i]
                versions[(which, rid, f)].add((values[i], voice.get(src, src), src))
    k_which, k_id = _record_long(kr.typed, cols)
    for i, (which, rid, f) in enumerate(
        zip(k_which, k_id, kr.typed["field"].to_pylist(), strict=True)
    ):
        vs = versions.get((which, rid, f), set())
        if (which, rid) in disputed or len({v[0] for v in vs}) < 2:
            continue  # conflict-has-versions speaks for these
        # two values from two voices, or one source giving two values itself
        real = any(a[0] != b[0] and (a[1] != b[1] or a[2] == b[2]) for a in vs for b in vs)
        if not real:
            log.add(
                "conflicts", catalog["conflicts"].file, int(kr.lines[i]), "field", f,
                "conflict-between-voices",
                "its differing versions all come from copies of one source "
                f"({', '.join(sorted({v[2] for v in vs}))}, all one voice: "
                f"{', '.join(sorted({v[1] for v in vs}))}); copies never disagree as two voices",
            )  # fmt: skip


# --- the whole package -----------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One named check: what it guards, in one line, and where the rule is documented.

    ``name`` is what error lines show; ``rule`` is the number of the project rule in
    docs/architecture.md it enforces (None for the Table Schema's own checks); ``stage`` says
    when it runs: ``read`` (strict CSV reading), ``table`` (one table at a time), ``package``
    (across tables), ``sources`` (needs the archived texts), ``descriptor`` (each
    ``datapackage.json`` the build writes) or ``parquet`` (the read-back)."""

    name: str
    description: str
    stage: str
    rule: int | None = None


# name, stage, rule number in docs/architecture.md ("-": a Table Schema check), what it guards
_CHECK_TABLE = """
table-schema                   read      -  each schema is a usable Table Schema (JSON, types, keys)
missing-file                   read      -  every table of the catalog has its CSV file
table-has-schema               read      -  every data/*.csv has a schema (none is ignored)
encoding                       read      8  CSV files are UTF-8 without a byte-order mark
line-endings                   read      8  CSV lines end with LF only
blank-row                      read      8  no blank rows
header                         read      8  the header equals the schema's field names, in order
csv-syntax                     read      8  the file parses as CSV
row-width                      read      8  every row has as many cells as the header
final-newline                  read      8  the file ends with a newline (else it was cut)
type                           read      -  every cell parses as its field's Table Schema type
required                       table     -  required fields are filled
unique                         table     -  fields marked unique do not repeat
enum                           table     -  values are in the field's enum
pattern                        table     -  values match the field's pattern
minimum                        table     -  values are not below the field's minimum
maximum                        table     -  values are not above the field's maximum
minLength                      table     -  texts are not shorter than the field's minLength
maxLength                      table     3  texts are not longer than maxLength (excerpts 200)
primary-key                    table     -  primary keys are unique
rows-sorted-by-key             table     8  rows are sorted by the primary key
foreign-key                    table     -  every foreign key points at an existing record
every-record-cited             table     1  every record has at least one citation
exactly-one-reference          table     2  exactly one x-exactly-one-of column is filled
dates-ordered                  table     4  a partial date's start is not after its end
date-precision-matches-bounds  table     4  a date's precision agrees with its bounds
counts-ordered                 table     5  low <= best <= high for each count
casualty-basis-with-counts     table     5  casualty_basis is filled exactly when a count is
no-control-characters          table     7  text cells hold no control characters
no-edge-space                  table     7  text cells have no leading or trailing space
no-formula-start               table     7  text cells do not start with =, +, - or @
text-nfc-normalized            table     7  text cells are NFC-normalized
no-invisible-characters        table     7  text cells hold no invisible or bidi-control characters
country-code-iso3166           table     9  country codes are ISO 3166-1 alpha-2 codes
inference-marked-inferred      table     -  an implied tie is inferred, and says why
alias-script-matches-letters   table     6  an alias's script is the script of its letters
alias-names-one-entity         package   6  an alias names one entity unless marked ambiguous
conflict-has-versions          package  10  a conflict has two versions or a disputing citation
conflict-between-voices        package  10  a conflict's versions come from two independent voices
copy-points-to-original        package  10  a copy names an original that is itself no copy
contested-matches-disputes     package  11  a tie is contested exactly when a citation disputes it
cited-field-exists             package   -  a citation names fields its record has
one-field-per-stated-value     package  10  a stated value names exactly one field
fact-fields-cited              package   -  every filled fact field is cited by name
alias-in-excerpt               package   -  an alias's spelling is in its excerpt
count-in-excerpt               package   -  a count is in its excerpt, as digits or words
date-in-excerpt                package   -  a date's day and month are in its excerpt
place-in-excerpt               package   -  a place or province is named in its excerpt
place-precision-matches-kind   package  14  a place precision agrees with the place's kind
iso-3166-2-valid               package   9  a province's ISO 3166-2 code is one of its country's
coordinates-in-country         package  14  a place's point lies in its country's bounding box
placed-as-in-1.0.0             package  14  an incident placed in 1.0.0 keeps a place no coarser
table-complete                 package   -  a table others refer to is neither empty nor cut short
archived-text-present          sources   3  every source's archived text exists
archived-text-hash             sources   3  every archived text has the sha256 its source records
archived-text-utf8             sources   3  every archived text is UTF-8
excerpt-line-exists            sources   3  a citation's line is a line of its archived text
excerpt-verbatim               sources   3  an excerpt appears verbatim on its line
own-words                      sources  12  own-words fields copy no run of source words
entity-lines-explained         sources   3  a line naming an entity is cited or its omission given
omission-stale                 sources   3  an omitted line exists and is not cited after all
frictionless-descriptor        descriptor -  frictionless accepts each datapackage.json
parquet-read-back              parquet   -  each Parquet copy reads back equal to its table
ftm-entity-valid               ftm       -  FollowTheMoney accepts every entity of the FtM edition
"""


def _parse_check_table(text: str) -> tuple[Check, ...]:
    checks = []
    for line in text.strip().splitlines():
        name, stage, rule, description = line.split(maxsplit=3)
        checks.append(Check(name, description, stage, None if rule == "-" else int(rule)))
    return tuple(checks)


CHECKS: tuple[Check, ...] = _parse_check_table(_CHECK_TABLE)
CHECKS_BY_NAME = {c.name: c for c in CHECKS}


def list_checks() -> str:
    """The named checks, one per line, for ``scripts/build.py --list-checks``."""
    width = max(len(c.name) for c in CHECKS)
    stage_width = max(len(c.stage) for c in CHECKS)
    lines = []
    for c in CHECKS:
        rule = f" (rule {c.rule})" if c.rule else ""
        lines.append(f"{c.name:<{width}}  {c.stage:<{stage_width}} {c.description}{rule}")
    return "\n".join(lines)


def _names(stage: str) -> list[str]:
    return [c.name for c in CHECKS if c.stage == stage]


def tables_have_schemas(catalog: Catalog, data_dir: Path, log: ProblemLog) -> None:
    """A CSV in the data directory without a schema would be neither checked nor released:
    a table added without its schema, or a schema renamed without its data."""
    for path in sorted(Path(data_dir).glob("*.csv")):
        if path.stem not in catalog:
            log.add(
                path.stem, f"data/{path.name}", None, None, None, "table-has-schema",
                f"no schemas/{path.stem}.schema.json: the file would be neither checked nor "
                "released; add its schema or remove it",
            )  # fmt: skip


def check_package(
    catalog: Catalog, data_dir: Path, sources_dir: Path | None = None, limit: int = DEFAULT_LIMIT
) -> CheckResult:
    """Read every table of ``catalog`` from ``data_dir`` and run every check. With
    ``sources_dir`` (the archived texts) the checks against those texts run as well; otherwise
    they are listed as skipped."""
    log = ProblemLog(limit=limit)
    reads = {t.name: read_typed(t, data_dir, log) for t in catalog}
    tables_have_schemas(catalog, data_dir, log)
    tables = {n: r.typed for n, r in reads.items() if r.ok}
    # rows of each table (by name) that need records another table lacks, by that table
    wanted: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in reads.values():
        if not r.ok:
            continue
        check_constraints(r, log)
        check_primary_key(r, log)
        for ref_table, n in check_foreign_keys(r, tables, log).items():
            wanted[ref_table][r.name] += n
        wanted["citations"][r.name] += every_record_cited(r, catalog, tables, log)
        exactly_one_reference(r, log)
        dates_ordered_and_precise(r, log)
        counts_ordered_with_basis(r, log)
        text_cells_clean(r, log)
        country_code_iso3166(r, log)
        inference_marked_inferred(r, log)
        alias_script_matches_letters(r, log)
    table_complete(reads, wanted, log)
    alias_names_one_entity(catalog, reads, log)
    conflict_has_versions(catalog, reads, log)
    conflict_between_voices(catalog, reads, log)
    copy_points_to_original(reads, log)
    contested_matches_disputes(catalog, reads, log)
    evidence = check_evidence(catalog, reads, log)
    check_places(catalog, reads, log)
    run = _names("read") + _names("table") + _names("package")
    result = CheckResult(tables=tables, reads=reads, log=log, run=run, evidence=evidence)
    if sources_dir is None:
        result.skipped[", ".join(_names("sources"))] = "CA_MILITANCY_SOURCES is not set"
    else:
        texts = check_provenance(catalog, Path(sources_dir), reads, log)
        if OMISSIONS in catalog:
            result.coverage = check_coverage(catalog, texts, reads, log)
        result.run += _names("sources")
    return result


def check_repository(
    root: Path, sources_dir: Path | None = None, limit: int = DEFAULT_LIMIT
) -> CheckResult:
    """Every check on a repository tree: its ``schemas/`` read afresh, its ``data/``."""
    root = Path(root)
    return check_package(Catalog(schema_dir(root)), root / "data", sources_dir, limit)
