"""Vectorized checks of the data package: Table Schema constraints, keys and project rules.

Why our own checks beside frictionless: frictionless does not check "exactly one of",
citations, date precision, casualty ordering, formula-like cells and the other project rules
(docs/architecture.md), and it is row-by-row Python, too slow at a million incidents. Every
check here works on whole columns (pyarrow.compute, numpy, pandas); only the problems found
are turned into Python objects, and at most ``limit`` of them per table.

Every problem is one line: ``file:line: column=value: rule: message``.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ca_militancy import schemas

if TYPE_CHECKING:
    from ca_militancy.typed import ReadResult

DEFAULT_LIMIT = 50
NO_CITATION_TABLES = ("citations", "conflicts")
FORMULA_START = "=+-@"


@dataclass(frozen=True)
class Problem:
    """One thing wrong, located precisely enough to fix it in a text editor."""

    file: str
    row: int | None  # line in the file (the header is line 1); None for the whole file
    column: str | None
    value: str | None
    rule: str
    message: str

    def __str__(self) -> str:
        place = self.file if self.row is None else f"{self.file}:{self.row}"
        parts = [place]
        if self.column is not None:
            shown = "(empty)" if self.value is None else repr(self.value)[1:-1]
            if len(shown) > 80:
                shown = shown[:77] + "..."
            parts.append(f"{self.column}={shown}")
        elif self.value is not None:
            parts.append(repr(self.value)[1:-1][:80])
        parts += [self.rule, self.message]
        return ": ".join(parts)


@dataclass
class ProblemLog:
    """Problems grouped by table, keeping at most ``limit`` per table and counting the rest."""

    limit: int = DEFAULT_LIMIT
    problems: dict[str, list[Problem]] = field(default_factory=lambda: defaultdict(list))
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def room(self, table: str) -> int:
        return max(0, self.limit - len(self.problems[table]))

    def count_more(self, table: str, n: int) -> None:
        self.counts[table] += n

    def add(self, table, file, row, column, value, rule, message) -> None:
        self.counts[table] += 1
        if len(self.problems[table]) < self.limit:
            self.problems[table].append(Problem(file, row, column, value, rule, message))

    def add_mask(
        self,
        table: str,
        file: str,
        lines: np.ndarray,
        mask: Any,
        column: str | None,
        values: Any,
        rule: str,
        message: str,
    ) -> int:
        """Report every row where ``mask`` is true; only the first few become objects."""
        if isinstance(mask, pa.ChunkedArray | pa.Array):
            mask = pc.fill_null(mask, False).to_numpy(zero_copy_only=False)
        idx = np.flatnonzero(np.asarray(mask, dtype=bool))
        if len(idx) == 0:
            return 0
        self.counts[table] += len(idx)
        keep = idx[: self.room(table)]
        if len(keep):
            if values is None:
                shown = [None] * len(keep)
            elif isinstance(values, pa.ChunkedArray | pa.Array):
                shown = values.take(pa.array(keep)).to_pylist()
            else:
                shown = [values[i] for i in keep]
            for i, v in zip(keep, shown, strict=True):
                value = None if v is None else str(v)
                self.problems[table].append(
                    Problem(file, int(lines[i]), column, value, rule, message)
                )
        return len(idx)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def __bool__(self) -> bool:
        return self.total > 0

    def all(self) -> list[Problem]:
        return [p for t in sorted(self.problems) for p in self.problems[t]]

    def report(self) -> str:
        """Text report grouped by table, with a count of problems not shown."""
        out = []
        for table in sorted(self.counts):
            n = self.counts[table]
            if not n:
                continue
            out.append(f"{table}: {n} problem{'s' if n != 1 else ''}")
            out += [f"  {p}" for p in self.problems[table]]
            rest = n - len(self.problems[table])
            if rest > 0:
                out.append(f"  ... and {rest} more in {table}")
        return "\n".join(out)


@dataclass
class CheckResult:
    tables: dict[str, pa.Table]
    reads: dict[str, ReadResult]
    log: ProblemLog
    run: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.log


# --- helpers ---------------------------------------------------------------------------------


def _file(name: str) -> str:
    return f"data/{name}.csv"


def _as_str(col: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_dictionary(col.type):
        return col.cast(col.type.value_type)
    return col


def _np_bool(arr: Any) -> np.ndarray:
    if isinstance(arr, pa.ChunkedArray | pa.Array):
        return pc.fill_null(arr, False).to_numpy(zero_copy_only=False).astype(bool)
    return np.asarray(arr, dtype=bool)


def key_strings(table: pa.Table, key: list[str]) -> pa.ChunkedArray:
    """One string per row for a (possibly composite) key, tab-joined."""
    cols = [pc.fill_null(_as_str(table[c]).cast(pa.string()), "") for c in key]
    if len(cols) == 1:
        return cols[0]
    return pc.binary_join_element_wise(*cols, "\t")


# --- Table Schema constraints, keys ----------------------------------------------------------


def check_constraints(r: ReadResult, root: Path, log: ProblemLog) -> None:
    """required / unique / enum / pattern / minimum / maximum / minLength / maxLength."""
    name, file, raw, typed, lines = r.name, _file(r.name), r.raw, r.typed, r.lines
    pk = schemas.primary_key(name, root)
    for f in schemas.fields(name, root):
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


def check_primary_key(r: ReadResult, root: Path, log: ProblemLog) -> None:
    """Primary key unique (rule ``primary-key``) and rows sorted by it (rule 8)."""
    name, file = r.name, _file(r.name)
    pk = schemas.primary_key(name, root)
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
            name, file, r.lines, order, label, keys, "R8.sorted",
            "rows must be sorted by the primary key; this one sorts before the row above it",
        )  # fmt: skip


def check_foreign_keys(
    r: ReadResult, root: Path, tables: dict[str, pa.Table], log: ProblemLog
) -> None:
    """Every filled foreign-key cell points at an existing key (self-references included;
    empty cells are skipped, as in frictionless, which is what the nullable polymorphic
    columns rely on)."""
    name, file = r.name, _file(r.name)
    for col, ref_table, ref_col in schemas.foreign_keys(name, root):
        if ref_table not in tables:
            continue  # that table's own problems are reported already
        target = _as_str(tables[ref_table][ref_col])
        values = r.raw[col]
        bad = pc.and_(pc.is_valid(values), pc.invert(pc.is_in(values, target)))
        log.add_mask(
            name, file, r.lines, bad, col, values, "foreign-key",
            f"no {ref_table}.{ref_col} with this value",
        )  # fmt: skip


# --- project rules ---------------------------------------------------------------------------


def citing_column(table: str, root: Path) -> str | None:
    """The citations column that points at ``table`` (one of its x-exactly-one-of columns)."""
    one_of = set(schemas.exactly_one_of("citations", root))
    for col, ref_table, _ in schemas.foreign_keys("citations", root):
        if ref_table == table and col in one_of:
            return col
    return None


def rule1_cited(r: ReadResult, root: Path, tables: dict[str, pa.Table], log: ProblemLog) -> None:
    name = r.name
    if name in NO_CITATION_TABLES or "citations" not in tables:
        return
    col = citing_column(name, root)
    pk = schemas.primary_key(name, root)
    if col is None:
        log.add(
            name, _file(name), None, None, None, "R1.cited",
            "no citations column refers to this table, so its rows cannot be cited",
        )  # fmt: skip
        return
    cited = pc.drop_null(tables["citations"][col])
    keys = key_strings(r.typed, pk)
    bad = pc.invert(pc.is_in(keys, cited))
    log.add_mask(
        name, _file(name), r.lines, bad, pk[0], keys, "R1.cited",
        f"no citation has {col} = this record",
    )  # fmt: skip


def rule2_exactly_one(r: ReadResult, root: Path, log: ProblemLog) -> None:
    cols = schemas.exactly_one_of(r.name, root)
    if not cols:
        return
    filled = np.zeros(r.raw.num_rows, dtype=np.int64)
    for c in cols:
        filled += _np_bool(pc.is_valid(r.raw[c]))
    log.add_mask(
        r.name, _file(r.name), r.lines, filled != 1, None, None, "R2.exactly-one-of",
        f"exactly one of {', '.join(cols)} must be filled",
    )  # fmt: skip
    # the count per row is shown in the message only in aggregate; the line names the row


def _date_groups(name: str, root: Path) -> list[str]:
    names = set(schemas.field_names(name, root))
    return [
        n[: -len("_precision")]
        for n in schemas.field_names(name, root)
        if n.endswith("_precision") and f"{n[:-10]}_start" in names and f"{n[:-10]}_end" in names
    ]


def rule4_dates(r: ReadResult, root: Path, log: ProblemLog) -> None:
    name, file, t, lines = r.name, _file(r.name), r.typed, r.lines
    for prefix in _date_groups(name, root):
        start, end = t[f"{prefix}_start"], t[f"{prefix}_end"]
        prec_col = f"{prefix}_precision"
        prec = _as_str(t[prec_col])
        has_s, has_e = _np_bool(pc.is_valid(start)), _np_bool(pc.is_valid(end))
        order = _np_bool(pc.greater(start, end))
        log.add_mask(
            name, file, lines, order, f"{prefix}_start", start, "R4.date-order",
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
            log.add_mask(name, file, lines, bad, prec_col, prec, "R4.date-precision", message)


def _int(arr: pa.ChunkedArray) -> np.ndarray:
    return pc.fill_null(arr, -1).to_numpy(zero_copy_only=False).astype(np.int64)


def _count_groups(name: str, root: Path) -> list[str]:
    names = schemas.field_names(name, root)
    return [n[:-4] for n in names if n.endswith("_low") and f"{n[:-4]}_high" in names]


def rule5_counts(r: ReadResult, root: Path, log: ProblemLog) -> None:
    name, file, t, lines = r.name, _file(r.name), r.typed, r.lines
    groups = _count_groups(name, root)
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
                name, file, lines, pc.greater(a, b), an, a, "R5.count-order",
                f"{an} is greater than {bn}",
            )  # fmt: skip
        for col in (low, best, high):
            if col is not None:
                any_count |= _np_bool(pc.is_valid(col))
    if "casualty_basis" in t.column_names:
        basis = _np_bool(pc.is_valid(t["casualty_basis"]))
        log.add_mask(
            name, file, lines, any_count & ~basis, "casualty_basis", None, "R5.casualty-basis",
            "casualty_basis is required when a count is given",
        )  # fmt: skip
        log.add_mask(
            name, file, lines, basis & ~any_count, "casualty_basis",
            _as_str(t["casualty_basis"]), "R5.casualty-basis",
            "casualty_basis is given but no count is",
        )  # fmt: skip


def rule6_aliases(root: Path, reads: dict[str, ReadResult], log: ProblemLog) -> None:
    """An alias (case-folded) names one entity only, unless every row with it is ambiguous.
    Entity names count too: an alias equal to another entity's name is ambiguous."""
    import pandas as pd

    r = reads.get("aliases")
    if r is None or not r.ok:
        return
    cols = schemas.exactly_one_of("aliases", root)
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
    fk_tables = {ref: col for col, ref, _ in schemas.foreign_keys("aliases", root) if col in cols}
    for ref in fk_tables:
        rr = reads.get(ref)
        if rr is None or not rr.ok or "name" not in rr.typed.column_names:
            continue
        pk = schemas.primary_key(ref, root)[0]
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
        "aliases", _file("aliases"), r.lines, mask, "alias", r.raw["alias"], "R6.alias-ambiguous",
        "this alias also names another entity; mark every row with it ambiguous",
    )  # fmt: skip


_CONTROL = r"[\x{0}-\x{8}\x{b}-\x{1f}\x{7f}-\x{9f}\n\t]"
_EDGE_SPACE = r"(^[\s\p{Z}\x{feff}])|([\s\p{Z}\x{feff}]$)"
_FORMULA = "^[=+\\-@]"
# one pass that finds any of the three; the rules are told apart only where it matches
_ANY_TEXT_PROBLEM = f"(?:{_CONTROL})|(?:{_EDGE_SPACE})|(?:{_FORMULA})"
TEXT_RULES = (
    (_CONTROL, "R7.control", "control character"),
    (_EDGE_SPACE, "R7.space", "leading or trailing space"),
    (_FORMULA, "R7.formula", "starts with =, +, - or @ (spreadsheet formula injection)"),
)


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


def rule7_text(r: ReadResult, root: Path, log: ProblemLog) -> None:
    name, file, lines = r.name, _file(r.name), r.lines
    for f in schemas.fields(name, root):
        if f.get("type", "string") != "string":
            continue
        col = r.raw[f["name"]]
        if pc.all(pc.is_null(col)).as_py() in (True, None):
            continue
        distinct = _distinct(col)
        values = col if distinct is None else distinct
        checks = [(_nfc_problems(values), "R7.nfc", "text is not NFC-normalized")]
        if pc.any(pc.match_substring_regex(values, _ANY_TEXT_PROBLEM)).as_py():
            checks += [
                (_np_bool(pc.match_substring_regex(values, pattern)), rule, message)
                for pattern, rule, message in TEXT_RULES
            ]
        for mask, rule, message in checks:
            if not mask.any():
                continue
            if distinct is not None:  # back from distinct values to rows
                mask = _np_bool(pc.is_in(col, pc.filter(distinct, pa.array(mask))))
            log.add_mask(name, file, lines, mask, f["name"], col, rule, message)


def _country_codes() -> pa.Array:
    import pycountry

    return pa.array(sorted(c.alpha_2 for c in pycountry.countries))


def rule9_country(r: ReadResult, root: Path, log: ProblemLog) -> None:
    for f in schemas.fields(r.name, root):
        if f["name"] == "country_code" or f["name"].endswith("_country_code"):
            col = r.raw[f["name"]]
            bad = pc.and_(pc.is_valid(col), pc.invert(pc.is_in(col, _country_codes())))
            log.add_mask(
                r.name, _file(r.name), r.lines, bad, f["name"], col, "R9.country-code",
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
        v = np.asarray(_as_str(t[c]).to_numpy(zero_copy_only=False), dtype=object)
        filled = pc.is_valid(t[c]).to_numpy(zero_copy_only=False).astype(bool) & (which == "")
        which[filled] = c
        rid[filled] = v[filled]
    return which, rid


def rule10_conflicts(root: Path, reads: dict[str, ReadResult], log: ProblemLog) -> None:
    import pandas as pd

    cr, kr = reads.get("citations"), reads.get("conflicts")
    if cr is None or kr is None or not cr.ok or not kr.ok:
        return
    ct, kt = cr.typed, kr.typed
    cols = schemas.exactly_one_of("conflicts", root)
    c_which, c_id = _record_long(ct, cols)
    cits = pd.DataFrame(
        {
            "which": c_which,
            "rid": c_id,
            "field": _as_str(ct["field"]).to_pandas().astype(object),
            "value": _as_str(ct["value_as_stated"]).to_pandas().astype(object),
            "disputes": _as_str(ct["stance"]).to_pandas().astype(object) == "disputes",
        }
    )
    cits = cits[cits["field"].notna()]
    agg = cits.groupby(["which", "rid", "field"], dropna=False).agg(
        n_values=("value", "nunique"), disputes=("disputes", "any")
    )
    k_which, k_id = _record_long(kt, cols)
    conf = pd.DataFrame(
        {"which": k_which, "rid": k_id, "field": _as_str(kt["field"]).to_pandas().astype(object)}
    )
    merged = conf.merge(agg, how="left", left_on=["which", "rid", "field"], right_index=True)
    ok = (merged["n_values"].fillna(0) >= 2) | merged["disputes"].fillna(False).astype(bool)
    log.add_mask(
        "conflicts", _file("conflicts"), kr.lines, ~ok.to_numpy(), "field", kr.raw["field"],
        "R10.conflict-evidence",
        "the record needs two citations with this field and different value_as_stated, "
        "or one with stance disputes",
    )  # fmt: skip


def rule11_contested(root: Path, reads: dict[str, ReadResult], log: ProblemLog) -> None:
    cr = reads.get("citations")
    if cr is None or not cr.ok:
        return
    disputes = pc.equal(_as_str(cr.typed["stance"]), "disputes")
    for name, r in reads.items():
        if not r.ok or "contested" not in r.typed.column_names:
            continue
        col = citing_column(name, root)
        if col is None:
            continue
        disputed_ids = pc.drop_null(pc.filter(cr.typed[col], disputes))
        keys = key_strings(r.typed, schemas.primary_key(name, root))
        has_dispute = _np_bool(pc.is_in(keys, disputed_ids))
        contested = _np_bool(r.typed["contested"])
        log.add_mask(
            name, _file(name), r.lines, has_dispute & ~contested, "contested", r.raw["contested"],
            "R11.contested", "a citation disputes this record, so contested must be true",
        )  # fmt: skip
        log.add_mask(
            name, _file(name), r.lines, contested & ~has_dispute, "contested", r.raw["contested"],
            "R11.contested", "contested is true but no citation has stance disputes",
        )  # fmt: skip


# --- the whole package -----------------------------------------------------------------------

CHECKS_RUN = [
    "encoding, BOM, line endings, blank rows, header (rule 8)",
    "types",
    "required/unique/enum/pattern/minimum/maxLength",
    "primary keys and sort order (rule 8)",
    "foreign keys",
    "rule 1 cited",
    "rule 2 exactly one of",
    "rule 3 excerpt length",
    "rule 4 dates",
    "rule 5 counts",
    "rule 6 aliases",
    "rule 7 text cells",
    "rule 9 country codes",
    "rule 10 conflicts",
    "rule 11 contested",
]


def check_package(
    root: Path, sources_dir: Path | None = None, limit: int = DEFAULT_LIMIT
) -> CheckResult:
    """Read every table and run every check. With ``sources_dir`` (the archived texts) the
    excerpt and text-hash checks run as well (rule 3); otherwise they are listed as skipped."""
    from ca_militancy import provenance, typed

    root = Path(root)
    log = ProblemLog(limit=limit)
    reads = {name: typed.read_typed(root, name, log) for name in schemas.table_names(root)}
    tables = {n: r.typed for n, r in reads.items() if r.ok}
    for r in reads.values():
        if not r.ok:
            continue
        check_constraints(r, root, log)
        check_primary_key(r, root, log)
        check_foreign_keys(r, root, tables, log)
        rule1_cited(r, root, tables, log)
        rule2_exactly_one(r, root, log)
        rule4_dates(r, root, log)
        rule5_counts(r, root, log)
        rule7_text(r, root, log)
        rule9_country(r, root, log)
    rule6_aliases(root, reads, log)
    rule10_conflicts(root, reads, log)
    rule11_contested(root, reads, log)
    result = CheckResult(tables=tables, reads=reads, log=log, run=list(CHECKS_RUN))
    if sources_dir is None:
        result.skipped["rule 3 excerpts and archived-text hashes, rule 12 own words"] = (
            "CA_MILITANCY_SOURCES is not set"
        )
    else:
        provenance.check_provenance(root, Path(sources_dir), reads, log)
        result.run.append("rule 3 excerpts in archived texts, archived-text sha256")
        result.run.append("rule 12 own words (no 8-word run of an archived text)")
    return result


def normalize_space(text: str) -> str:
    """Collapse every run of white space to one space and strip the ends (rule 3)."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()
