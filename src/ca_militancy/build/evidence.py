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
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

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


@dataclass(frozen=True, slots=True)
class FieldCitation:
    """One (citation, field) pair: the excerpt a citation offers for one field of its record."""

    line: int  # the citation's line in citations.csv
    citation_id: str
    table: str
    record_id: str
    field: str
    excerpt: str
    language: str
    derivation: str | None


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


def excerpt_languages(text: str, language: str) -> tuple[str, ...]:
    """The languages whose number words and month names an excerpt may use: the source's,
    English, and those its script points to (an English page may carry a Russian date line)."""
    langs = [language, "en"]
    if _CYRILLIC.search(text):
        langs += ["ru", "kk"]
    if _ARABIC.search(text):
        langs.append("ar")
    return tuple(dict.fromkeys(langs))


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


def field_citations(catalog: Catalog, reads: dict[str, ReadResult]) -> Iterator[FieldCitation]:
    """Every (citation, named field) pair, with the excerpt and the source's language."""
    cr, sr = reads.get(CITATIONS), reads.get("sources")
    if cr is None or not cr.ok:
        return
    languages: dict[str, str] = {}
    if sr is not None and sr.ok:
        for row in sr.typed.select(["source_id", "language"]).to_pylist():
            languages[row["source_id"]] = (row["language"] or "en").split("-")[0]
    cits = catalog[CITATIONS]
    refs = [(fk.column, fk.table) for fk in cits.foreign_keys if fk.column in cits.exactly_one_of]
    cols = ["citation_id", "source_id", "excerpt", "field", "derivation"] + [c for c, _ in refs]
    present = [c for c in cols if c in cr.typed.column_names]
    for row, line in zip(cr.typed.select(present).to_pylist(), cr.lines, strict=True):
        if not row.get("field"):
            continue
        target = next(((t, row[c]) for c, t in refs if row.get(c)), None)
        if target is None:
            continue
        for name in row["field"].split():
            yield FieldCitation(
                int(line),
                row["citation_id"],
                target[0],
                target[1],
                name,
                row["excerpt"] or "",
                languages.get(row["source_id"], "en"),
                row.get("derivation"),
            )


@dataclass
class EvidenceReport:
    """What the summary says: values checked against their words, and values derived."""

    checked: Counter
    derived: Counter


def _records(schema: TableSchema, r: ReadResult) -> dict[str, tuple[int, dict[str, Any]]]:
    """The table's records by key, holding only what the checks read (the key, the fact
    fields and the date precisions): whole rows of every table would not fit in memory at
    millions of records."""
    pk = schema.primary_key[0]
    wanted = [pk, *schema.cited_fields]
    wanted += [f"{g}_precision" for g in schema.date_groups if f"{g}_precision" not in wanted]
    cols = [c for c in dict.fromkeys(wanted) if c in r.typed.column_names]
    return {
        row[pk]: (int(line), row)
        for row, line in zip(r.typed.select(cols).to_pylist(), r.lines, strict=True)
        if row[pk] is not None
    }


def _filled(field: dict[str, Any], value: Any) -> bool:
    if value is None or value == "unknown":
        return False
    return value is not False  # a false flag is the absence of a claim, not a fact to cite


def check_evidence(
    catalog: Catalog, reads: dict[str, ReadResult], log: ProblemLog
) -> EvidenceReport:
    """Run the field-level checks; return the counts of checked and derived values. Nothing is
    checked when the citations table could not be read (its own problems say why)."""
    report = EvidenceReport(Counter(), Counter())
    cr = reads.get(CITATIONS)
    if cr is None or not cr.ok:
        return report
    tables = [t for t in catalog if t.name in reads and reads[t.name].ok and t.cited_fields]
    cit_file = catalog[CITATIONS].file
    named: dict[tuple[str, str], set[str]] = {}
    by_field: dict[tuple[str, str, str], list[FieldCitation]] = {}
    for fc in field_citations(catalog, reads):
        schema = catalog[fc.table]
        if fc.field != WHOLE_RECORD and fc.field not in schema.field_names:
            log.add(
                CITATIONS, cit_file, fc.line, "field", fc.field, "cited-field-exists",
                f"{fc.citation_id} names a field that {fc.table} does not have",
            )  # fmt: skip
            continue
        named.setdefault((fc.table, fc.record_id), set()).add(fc.field)
        by_field.setdefault((fc.table, fc.record_id, fc.field), []).append(fc)
    _one_field_per_stated_value(catalog, reads, log)
    for schema in tables:  # one table's records at a time, freed before the next
        table = schema.name
        recs = _records(schema, reads[table])
        for record_id, (line, row) in recs.items():
            for fname in schema.cited_fields:
                value = row.get(fname)
                if not _filled(schema.field(fname), value):
                    continue
                if fname not in named.get((table, record_id), set()):
                    log.add(
                        table, schema.file, line, fname, str(value), "fact-fields-cited",
                        f"no citation on {record_id} names {fname} in its field column",
                    )  # fmt: skip
                    continue
                offered = by_field[(table, record_id, fname)]
                _check_value(schema, line, row, fname, value, offered, log, report)
    return report


def _one_field_per_stated_value(
    catalog: Catalog, reads: dict[str, ReadResult], log: ProblemLog
) -> None:
    cr = reads.get(CITATIONS)
    if cr is None or not cr.ok or "value_as_stated" not in cr.typed.column_names:
        return
    rows = cr.typed.select(["citation_id", "field", "value_as_stated"]).to_pylist()
    for row, line in zip(rows, cr.lines, strict=True):
        if row["value_as_stated"] is not None and len((row["field"] or "").split()) != 1:
            log.add(
                CITATIONS, catalog[CITATIONS].file, int(line), "field", row["field"],
                "one-field-per-stated-value",
                "a value_as_stated is the version of one field: name exactly one",
            )  # fmt: skip


# which value check applies to a field, by its name
COUNT_FIELD = re.compile(r"^(killed|wounded)_(low|best|high)$")
DATE_FIELD = re.compile(r"^(\w+)_(start|end)$")
PLACE_FIELDS = frozenset({"place", "province"})
PLACES_TABLE = "places"  # a place's name is checked like a place column
ALIAS_FIELD = "alias"


def _check_value(
    schema: TableSchema,
    line: int,
    row: dict[str, Any],
    fname: str,
    value: Any,
    offered: list[FieldCitation],
    log: ProblemLog,
    report: EvidenceReport,
) -> None:
    """The value is in the words of at least one excerpt cited for it, or a citation says how
    it was derived (a date whose year comes from the article's date line still has its day and
    month checked: the words are tried first, the derivation is the fallback)."""
    test = _value_test(schema, row, fname, value)
    if test is None:
        return
    check, what, found_in = test
    if any(found_in(_normalize(fc.excerpt), fc.language) for fc in offered):
        report.checked[schema.name] += 1
        return
    if any(fc.derivation for fc in offered):
        report.derived[schema.name] += 1
        return
    ids = ", ".join(fc.citation_id for fc in offered)
    log.add(
        schema.name, schema.file, line, fname, str(value), check,
        f"{what} is not in the words of {ids}; cite an excerpt that states it, or give the "
        "citation a derivation",
    )  # fmt: skip


def _value_test(schema: TableSchema, row: dict[str, Any], fname: str, value: Any):
    """(check name, what is looked for, predicate(excerpt, language)) or None."""
    if fname == ALIAS_FIELD and schema.name == "aliases":
        spelling = _normalize(value)
        return "alias-in-excerpt", "the spelling", lambda text, _lang: spelling in text
    if COUNT_FIELD.match(fname):
        return "count-in-excerpt", "the count", lambda text, lang: _has_number(text, value, lang)
    m = DATE_FIELD.match(fname)
    if m and f"{m.group(1)}_precision" in row:
        precision = row[f"{m.group(1)}_precision"]
        if precision in (DAY_PRECISION, MONTH_PRECISION):
            what = "the day and month" if precision == DAY_PRECISION else "the month"
            return (
                "date-in-excerpt",
                what,
                lambda text, lang: date_in_words(text, value, precision, lang),
            )
        return None
    if fname in PLACE_FIELDS or (schema.name == PLACES_TABLE and fname == "name"):
        return "place-in-excerpt", "the place's name", lambda text, _l: place_in_words(text, value)
    return None
