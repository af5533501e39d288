"""Field-level evidence: every fact field is cited by name, and each value is checked against
the words of the excerpts cited for it.

Why: a citation that backs a whole record cannot show which words justify a date, a count, a
place or a spelling, and nothing mechanical notices a value with no words behind it (the 1.0.0
review found about one record in ten stated more firmly than its words). Here a citation's
``field`` names the fields its excerpt states; every filled field marked ``x-cited`` in its schema
must be named by a citation on its record; and the values that can be read in an excerpt (an
alias's spelling, a count, a day or month, a place) must be there, as digits or as words of the
source's language. A value that is derived rather than stated (a year taken from the article's
date, a lower bound from "more than") is named with a ``derivation`` on its citation: it is not
checked against the words, and the build counts it instead.

The excerpts are in ``citations.csv``, so these checks need no archived texts.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ca_militancy.core.strict_csv import plain

if TYPE_CHECKING:
    from ca_militancy.core.catalog import Catalog, TableSchema
    from ca_militancy.core.problems import ProblemLog
    from ca_militancy.core.strict_csv import ReadResult

CITATIONS = "citations"
WHOLE_RECORD = "existence"  # a citation's field for the record as a whole (conflicts use it)
# num2words and babel name some languages otherwise than BCP 47
_NUM2WORDS_LANG = {"kk": "kz"}
DAY_PRECISION, MONTH_PRECISION = "day", "month"
# Arabic outlets in the Levant and Iraq name the months otherwise than in Egypt (CLDR's "ar")
_REGIONAL_MONTH_NAMES = {"ar": ("ar_SY", "ar_IQ")}
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_ARABIC = re.compile(r"[\u0600-\u06ff]")
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


@lru_cache(maxsize=1 << 16)
def _normalize(text: str) -> str:
    """Case-folded, NFC, white space collapsed: spellings compare as a reader sees them.
    Cached: the same excerpt is offered for several fields."""
    return " ".join(unicodedata.normalize("NFC", text).split()).casefold()


@cache
def number_words(n: int, language: str) -> tuple[str, ...]:
    """How a count may be written in a language: digits (plain and grouped) and, where
    num2words knows the language, the number in words (cardinal; for 1-31 also ordinal)."""
    forms = {str(n), f"{n:,}", f"{n:,}".replace(",", " ")}
    try:
        from num2words import num2words

        lang = _NUM2WORDS_LANG.get(language, language)
        forms.add(num2words(n, lang=lang))
        if 0 < n < 32:
            forms.add(num2words(n, lang=lang, to="ordinal"))
    except (NotImplementedError, OverflowError, ImportError, KeyError, ValueError):
        pass
    return tuple(sorted((f.casefold() for f in forms), key=len, reverse=True))


@cache
def month_words(month: int, language: str) -> tuple[str, ...]:
    """A month's names in a language (wide and abbreviated, the forms used inside a date and
    standing alone: Russian writes "31 октября" but "октябрь"), from the CLDR data in babel."""
    from babel.core import UnknownLocaleError
    from babel.dates import get_month_names

    names = set()
    for lang in {language, "en", *_REGIONAL_MONTH_NAMES.get(language, ())}:
        try:
            for width in ("wide", "abbreviated"):
                for context in ("format", "stand-alone"):
                    names.add(get_month_names(width, context, lang)[month].casefold().rstrip("."))
        except (UnknownLocaleError, ValueError):
            continue
    return tuple(sorted(n for n in names if len(n) >= 3))


@lru_cache(maxsize=1 << 16)
def excerpt_languages(text: str, language: str) -> tuple[str, ...]:
    """The languages whose number words and month names an excerpt may use: the source's,
    English, and those its script points to (an English page may carry a Russian date line)."""
    langs = [language, "en"]
    if _CYRILLIC.search(text):
        langs += ["ru", "kk"]
    if _ARABIC.search(text):
        langs.append("ar")
    return tuple(dict.fromkeys(langs))


@lru_cache(maxsize=1 << 16)
def _ascii_digits(text: str) -> str:
    """Arabic-Indic and Persian digits read as the digits 0-9 (RT Arabic writes ٧ for 7)."""
    return text.translate(_DIGITS)


def _has_number(text: str, n: int, language: str) -> bool:
    text = _ascii_digits(text)
    return any(_has_number_in(text, n, lang) for lang in excerpt_languages(text, language))


@cache
def _number_pattern(n: int, language: str) -> re.Pattern[str]:
    """One pattern for every way of writing n in a language: digits not inside a longer
    number, words not inside a longer word."""
    parts = []
    for form in number_words(n, language):
        if form.isdigit() or form[0].isdigit():
            parts.append(rf"(?<![\d.,]){re.escape(form)}(?![\d]|[.,]\d)")
        else:
            parts.append(rf"(?<!\w){re.escape(form)}(?!\w)")
    return re.compile("|".join(parts))


def _has_number_in(text: str, n: int, language: str) -> bool:
    return _number_pattern(n, language).search(text) is not None


@cache
def _month_pattern(month: int, language: str) -> re.Pattern[str]:
    return re.compile("|".join(rf"(?<!\w){re.escape(m)}" for m in month_words(month, language)))


def _has_month(text: str, month: int, language: str) -> bool:
    return any(
        _month_pattern(month, lang).search(text) is not None
        for lang in excerpt_languages(text, language)
    )


_ISO_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})(?:-(\d{1,2}))?(?!\d)")
_DAY_MONTH_YEAR = re.compile(r"(?<!\d)(\d{1,2})([./])(\d{1,2})\2(\d{4})(?!\d)")
_MONTH_YEAR = re.compile(r"(?<![\d./])(\d{1,2})[./](\d{4})(?!\d)")


@cache
def numeric_dates(text: str) -> frozenset[tuple[int, int, int | None]]:
    """Every date written in digits in a text, as (year, month, day or None): 2011-10-31,
    31.10.2011 and 31/10/2011 (also read as month/day), 10.2011. Parsed once per text, so
    a date is a set lookup rather than a pattern per value."""
    out: set[tuple[int, int, int | None]] = set()
    for y, m, d in _ISO_DATE.findall(text):
        out.add((int(y), int(m), int(d) if d else None))
    for a, sep, b, y in _DAY_MONTH_YEAR.findall(text):
        out.add((int(y), int(b), int(a)))
        if sep == "/":
            out.add((int(y), int(a), int(b)))
    for m, y in _MONTH_YEAR.findall(text):
        out.add((int(y), int(m), None))
    return frozenset(out)


def _numeric_date(text: str, year: int, month: int, day: int | None) -> bool:
    """The date in digits: the day itself, or for a month any date of that month."""
    dates = numeric_dates(text)
    if day is None:
        return any(y == year and m == month for y, m, _ in dates)
    return (year, month, day) in dates


def date_in_words(text: str, value: Any, precision: str, language: str) -> bool:
    """The excerpt gives the date's day (for day precision) and month, in words or digits."""
    if _numeric_date(
        _ascii_digits(text), value.year, value.month, value.day if precision == "day" else None
    ):
        return True
    if not _has_month(text, value.month, language):
        return False
    if precision == MONTH_PRECISION:
        return True
    return _has_number(text, value.day, language)


_PLACE_WORD_BREAK = re.compile(r"[\s,()-]+")


@lru_cache(maxsize=1 << 16)
def _ascii(text: str) -> str:
    from anyascii import anyascii

    return anyascii(text)


def place_in_words(text: str, value: str) -> bool:
    """The place's name as stored, or every significant word of it, is in the excerpt (a
    stored "Jowzjan province" is named by "in Jowzjan")."""
    norm = _normalize(value)
    if norm in text:
        return True

    folded = _normalize(_ascii(text))
    words = [w for w in _PLACE_WORD_BREAK.split(_normalize(_ascii(value))) if len(w) > 3]
    generic = {"province", "district", "region", "city", "town", "airport", "village"}
    words = [w for w in words if w not in generic]
    return bool(words) and all(w in folded for w in words)


class _Citations:
    """The citations table as the field checks read it, column by column: which record each
    citation is on, its excerpt as a code into the distinct excerpts, its source's language and
    whether it gives a derivation. Built once with Arrow; no Python object per citation, so
    the check holds little more than the tables themselves at millions of rows."""

    def __init__(self, catalog: Catalog, reads: dict[str, ReadResult]) -> None:
        cr = reads[CITATIONS]
        t = cr.typed
        self.lines = cr.lines
        self.file = catalog[CITATIONS].file
        cits = catalog[CITATIONS]
        refs = [
            (fk.column, fk.table)
            for fk in cits.foreign_keys
            if fk.column in cits.exactly_one_of and fk.column in t.column_names
        ]
        n = t.num_rows
        # the first filled reference names the record (exactly-one-reference reports the rest)
        self.record = (
            pc.coalesce(*(plain(t[c]) for c, _ in refs)) if refs else pa.nulls(n, pa.string())
        )
        target = pa.nulls(n, pa.string())
        for c, name in reversed(refs):
            target = pc.if_else(pc.is_valid(t[c]), pa.scalar(name), target)
        self.target = target
        self.field = plain(t["field"]) if "field" in t.column_names else pa.nulls(n, pa.string())
        self.citation_id = t["citation_id"]
        excerpt = pc.fill_null(plain(t["excerpt"]), "") if "excerpt" in t.column_names else None
        if excerpt is None:
            self.excerpt_code, self.excerpts = np.zeros(n, dtype=np.int64), [""]
        else:
            enc = pc.dictionary_encode(excerpt).combine_chunks()
            self.excerpt_code = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
            self.excerpts = enc.dictionary.to_pylist()
        languages: dict[str, str] = {}
        sr = reads.get("sources")
        if sr is not None and sr.ok:
            for sid, lang in zip(
                sr.typed["source_id"].to_pylist(), sr.typed["language"].to_pylist(), strict=True
            ):
                languages[sid] = (lang or "en").split("-")[0]
        self.languages = sorted(set(languages.values()) | {"en"})
        codes = {lang: i for i, lang in enumerate(self.languages)}
        src_ids = pa.array(list(languages), pa.string())
        src_code = pa.array([codes[languages[s]] for s in languages], pa.int64())
        where = pc.index_in(plain(t["source_id"]), value_set=src_ids)
        self.language_code = (
            pc.fill_null(pc.take(src_code, where), codes["en"]).to_numpy(zero_copy_only=False)
            if len(src_ids)
            else np.full(n, codes["en"], dtype=np.int64)
        )
        if "derivation" in t.column_names:
            derived = pc.and_(pc.is_valid(t["derivation"]), pc.not_equal(t["derivation"], ""))
            self.derived = pc.fill_null(derived, False).to_numpy(zero_copy_only=False)
        else:
            self.derived = np.zeros(n, dtype=bool)

    def pairs_on(self, table: str) -> pa.Table:
        """One row per (citation on a record of ``table``, field it names): ``cit`` (the
        citation's row), ``record_id`` and ``field``."""
        rows = np.flatnonzero(
            pc.fill_null(
                pc.and_(pc.equal(self.target, table), pc.is_valid(self.field)), False
            ).to_numpy(zero_copy_only=False)
        )
        names = pc.utf8_split_whitespace(self.field.take(rows))
        if isinstance(names, pa.ChunkedArray):
            names = names.combine_chunks()
        fields = pc.list_flatten(names)
        cit = rows[pc.list_parent_indices(names).to_numpy(zero_copy_only=False)]
        keep = pc.not_equal(fields, "").to_numpy(zero_copy_only=False)
        cit = cit[keep]
        return pa.table(
            {
                "cit": pa.array(cit, pa.int64()),
                "record_id": self.record.take(cit),
                "field": fields.filter(pa.array(keep)),
            }
        )

    def excerpt(self, cit: int) -> Excerpt:
        return prepared_excerpt(
            self.excerpts[self.excerpt_code[cit]], self.languages[self.language_code[cit]]
        )


@dataclass(frozen=True, slots=True)
class Excerpt:
    """An excerpt as the value checks read it, prepared once per distinct text: normalized
    (as a reader compares spellings), with Arabic-Indic digits read as 0-9, and the languages
    whose number words and month names it may use."""

    text: str
    digits: str
    language: str
    languages: tuple[str, ...]


@lru_cache(maxsize=1 << 16)
def prepared_excerpt(excerpt: str, language: str) -> Excerpt:
    text = _normalize(excerpt)
    digits = _ascii_digits(text)
    return Excerpt(text, digits, language, excerpt_languages(digits, language))


@dataclass
class EvidenceReport:
    """What the summary says: values checked against their words, and values derived."""

    checked: Counter
    derived: Counter


def _filled(col: Any) -> np.ndarray:
    """Where a fact field holds a claim: not empty, not "unknown", and not a false flag (the
    absence of a claim, not a fact to cite)."""
    col = plain(col)
    mask = pc.is_valid(col)
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        mask = pc.and_(mask, pc.not_equal(col, "unknown"))
    elif pa.types.is_boolean(col.type):
        mask = pc.and_(mask, col)
    return pc.fill_null(mask, False).to_numpy(zero_copy_only=False)


def check_evidence(
    catalog: Catalog, reads: dict[str, ReadResult], log: ProblemLog
) -> EvidenceReport:
    """Run the field-level checks; return the counts of checked and derived values. Nothing is
    checked when the citations table could not be read (its own problems say why). One table
    at a time, each with only its own citations' pairs in memory."""
    report = EvidenceReport(Counter(), Counter())
    cr = reads.get(CITATIONS)
    if cr is None or not cr.ok:
        return report
    cits = _Citations(catalog, reads)
    unknown_fields: list[tuple[int, str, str]] = []
    targets = [t for t in catalog if t.name in set(cits.target.unique().drop_null().to_pylist())]
    for schema in targets:
        pairs = cits.pairs_on(schema.name)
        known = pc.is_in(
            pairs["field"], value_set=pa.array([WHOLE_RECORD, *schema.field_names], pa.string())
        ).to_numpy(zero_copy_only=False)
        for i in np.flatnonzero(~known):
            unknown_fields.append(
                (int(pairs["cit"][i].as_py()), pairs["field"][i].as_py(), schema.name)
            )
        r = reads.get(schema.name)
        if schema.cited_fields and r is not None and r.ok:
            _check_table(schema, r, pairs.filter(pa.array(known)), cits, log, report)
    for cit, name, table in sorted(unknown_fields):
        log.add(
            CITATIONS, cits.file, int(cits.lines[cit]), "field", name, "cited-field-exists",
            f"{cits.citation_id[cit].as_py()} names a field that {table} does not have",
        )  # fmt: skip
    _one_field_per_stated_value(catalog, reads, log)
    return report


def _check_table(
    schema: TableSchema,
    r: ReadResult,
    pairs: pa.Table,
    cits: _Citations,
    log: ProblemLog,
    report: EvidenceReport,
) -> None:
    """Every filled fact field of one table is named by a citation on its record, and its value
    is in the words of one of those citations (or one of them says how it was derived)."""
    t = r.typed
    ids = plain(t[schema.primary_key[0]])
    has_id = pc.is_valid(ids).to_numpy(zero_copy_only=False)
    for fname in schema.cited_fields:
        if fname not in t.column_names:
            continue
        filled = _filled(t[fname]) & has_id
        if not filled.any():
            continue
        offered = pairs.filter(pc.equal(pairs["field"], fname))
        named = pc.is_in(ids, value_set=offered["record_id"].unique()).to_numpy(
            zero_copy_only=False
        )
        missing = np.flatnonzero(filled & ~named)
        if len(missing):
            shown = missing[: log.room(schema.name)]
            log.count_more(schema.name, len(missing) - len(shown))
            for i, rid, value in zip(
                shown,
                ids.take(shown).to_pylist(),
                t[fname].take(shown).to_pylist(),
                strict=True,
            ):
                log.add(
                    schema.name, schema.file, int(r.lines[i]), fname, str(value),
                    "fact-fields-cited", f"no citation on {rid} names {fname} in its field column",
                )  # fmt: skip
        test = _value_test(schema, t, fname)
        if test is None:
            continue
        rows = np.flatnonzero(filled & named & test[3])
        if len(rows):
            _check_values(schema, r, fname, rows, offered, cits, test, log, report)


def _check_values(
    schema: TableSchema,
    r: ReadResult,
    fname: str,
    rows: np.ndarray,
    offered: pa.Table,
    cits: _Citations,
    test: tuple,
    log: ProblemLog,
    report: EvidenceReport,
) -> None:
    """The value is in the words of at least one excerpt cited for it, or a citation says how
    it was derived (a date whose year comes from the article's date line still has its day and
    month checked: the words are tried first, the derivation is the fallback)."""
    check, what, found_in, _applies = test
    ids = plain(r.typed[schema.primary_key[0]])
    left = pa.table({"record_id": ids.take(rows), "row": pa.array(rows, pa.int64())})
    joined = left.join(offered.select(["record_id", "cit"]), "record_id", join_type="inner")
    order = pc.sort_indices(joined, [("row", "ascending"), ("cit", "ascending")])
    row_of = joined["row"].take(order).to_numpy()
    cit_of = joined["cit"].take(order).to_numpy()
    starts = np.flatnonzero(np.r_[True, row_of[1:] != row_of[:-1]])
    ends = np.r_[starts[1:], len(row_of)]
    values = r.typed[fname].take(pa.array(row_of[starts])).to_pylist()
    precision = _precision_column(schema, r.typed, fname)
    precisions = (
        precision.take(pa.array(row_of[starts])).to_pylist()
        if precision is not None
        else [None] * len(starts)
    )
    for a, b, value, prec in zip(starts, ends, values, precisions, strict=True):
        group = cit_of[a:b]
        if any(found_in(cits.excerpt(c), value, prec) for c in group):
            report.checked[schema.name] += 1
            continue
        if cits.derived[group].any():
            report.derived[schema.name] += 1
            continue
        row = int(row_of[a])
        ids_text = ", ".join(cits.citation_id.take(pa.array(group)).to_pylist())
        log.add(
            schema.name, schema.file, int(r.lines[row]), fname, str(value), check,
            f"{what(prec)} is not in the words of {ids_text}; cite an excerpt that states it, or "
            "give the citation a derivation",
        )  # fmt: skip


def _one_field_per_stated_value(
    catalog: Catalog, reads: dict[str, ReadResult], log: ProblemLog
) -> None:
    cr = reads.get(CITATIONS)
    if cr is None or not cr.ok or "value_as_stated" not in cr.typed.column_names:
        return
    t = cr.typed
    n_fields = pc.fill_null(pc.list_value_length(pc.utf8_split_whitespace(t["field"])), 0)
    bad = pc.and_(pc.is_valid(t["value_as_stated"]), pc.not_equal(n_fields, 1))
    log.add_mask(
        CITATIONS, catalog[CITATIONS].file, cr.lines, bad, "field", t["field"],
        "one-field-per-stated-value",
        "a value_as_stated is the version of one field: name exactly one",
    )  # fmt: skip


# which value check applies to a field, by its name
COUNT_FIELD = re.compile(r"^(killed|wounded)_(low|best|high)$")
DATE_FIELD = re.compile(r"^(\w+)_(start|end)$")
PLACE_FIELDS = frozenset({"place", "province"})
PLACES_TABLE = "places"  # a place's name is checked like a place column
ALIAS_FIELD = "alias"


def _precision_column(schema: TableSchema, t: pa.Table, fname: str) -> Any:
    m = DATE_FIELD.match(fname)
    if m and f"{m.group(1)}_precision" in t.column_names:
        return plain(t[f"{m.group(1)}_precision"])
    return None


def _value_test(schema: TableSchema, t: pa.Table, fname: str):
    """(check name, what is looked for (by precision), predicate(excerpt, value, precision),
    rows it applies to) for a field whose value can be read in words, or None."""
    everywhere = np.ones(t.num_rows, dtype=bool)
    if fname == ALIAS_FIELD and schema.name == "aliases":
        return "alias-in-excerpt", lambda _p: "the spelling", _spelling_in, everywhere
    if COUNT_FIELD.match(fname):
        return "count-in-excerpt", lambda _p: "the count", _count_in, everywhere
    precision = _precision_column(schema, t, fname)
    if precision is not None:
        applies = pc.fill_null(
            pc.is_in(precision, value_set=pa.array([DAY_PRECISION, MONTH_PRECISION])), False
        ).to_numpy(zero_copy_only=False)
        return "date-in-excerpt", _date_what, _date_in, applies
    if DATE_FIELD.match(fname):
        return None
    if fname in PLACE_FIELDS or (schema.name == PLACES_TABLE and fname == "name"):
        return "place-in-excerpt", lambda _p: "the place's name", _place_in, everywhere
    return None


def _date_what(precision: str) -> str:
    return "the day and month" if precision == DAY_PRECISION else "the month"


def _spelling_in(ex: Excerpt, value: str, _precision: Any) -> bool:
    return _normalize(value) in ex.text


def _count_in(ex: Excerpt, value: int, _precision: Any) -> bool:
    return any(_has_number_in(ex.digits, value, lang) for lang in ex.languages)


def _date_in(ex: Excerpt, value: Any, precision: str) -> bool:
    return date_in_words(ex.text, value, precision, ex.language)


def _place_in(ex: Excerpt, value: str, _precision: Any) -> bool:
    return place_in_words(ex.text, value)
