"""How much of each archived text the tables use, and which lines may have been missed.

Why: curation is reading, and a reader misses lines. For each source this counts the lines
that some citation quotes, and lists every line that names a known organization, person or
place (by its name or any alias) but that no citation quotes. Each such line must be either
cited or listed with a reason in the ``omissions`` table (a private detail, the page's
navigation, an unrelated story, a line out of scope, or a line whose facts are cited from
elsewhere); the check ``entity-lines-explained`` fails the build on any other. An omission of a
line that is cited, or of a line outside its source, is stale and fails as well.

Names match as whole words, case-folded; acronyms of up to four capitals (IMU, KIB, US) only as
written, so that "us" or "is" in running English does not count. Names in Cyrillic or Arabic
letters match inside longer words too, since Russian, Kazakh and Arabic inflect names with
suffixes and prefixes (Атырауда, «Джунд аль-Халифата», والقاعدة).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ca_militancy.build.provenance import ArchivedText
    from ca_militancy.core.catalog import Catalog
    from ca_militancy.core.problems import ProblemLog
    from ca_militancy.core.strict_csv import ReadResult

OMISSIONS, SOURCES, CITATIONS, ALIASES = "omissions", "sources", "citations", "aliases"
# the entity tables whose names are looked for, with their name column
NAMED_TABLES = {"organizations": "name", "people": "name", "places": "name"}
ACRONYM = re.compile(r"^[A-Z][A-Z/&.]{1,3}$")
MIN_NAME_LENGTH = 3
_LATIN_LETTER = re.compile(r"[A-Za-z]")


def _fold(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).casefold()


@dataclass
class SourceCoverage:
    """One source's lines: how many, which are cited, and which name an entity uncited."""

    source_id: str
    lines: int = 0
    cited: set[int] = field(default_factory=set)
    # line -> the names found on it, for lines no citation quotes
    naming_uncited: dict[int, list[str]] = field(default_factory=dict)
    omitted: dict[int, str] = field(default_factory=dict)  # line -> reason

    @property
    def unexplained(self) -> dict[int, list[str]]:
        return {n: v for n, v in self.naming_uncited.items() if n not in self.omitted}

    @property
    def share_cited(self) -> float:
        return len(self.cited) / self.lines if self.lines else 0.0


_WORD = re.compile(r"\w+")


class NameFinder:
    """Every recorded name and alias, indexed by its first word: a line is split into words
    once and each word looks up the names that start with it, so the cost grows with the
    line, not with the number of names (a pattern of thousands of alternatives took seconds to
    compile). Acronyms match as written; names in Cyrillic or Arabic letters also inside longer
    words (a few substring tests)."""

    def __init__(self, names: set[str]) -> None:
        self._by_first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        self._acronyms: dict[str, str] = {}
        self._inflected: list[tuple[str, str]] = []
        for name in names:
            name = name.strip()
            if ACRONYM.match(name):
                self._acronyms[name] = name
                continue
            if len(name) < MIN_NAME_LENGTH:
                continue
            words = tuple(_WORD.findall(_fold(name)))
            if not words:
                continue
            if not _LATIN_LETTER.search(name):
                self._inflected.append((_fold(name), name))
            self._by_first.setdefault(words[0], []).append((words, name))

    def names_in(self, text: str) -> list[str]:
        found: set[str] = set()
        folded = _fold(text)
        words = _WORD.findall(folded)
        for i, word in enumerate(words):
            for name_words, name in self._by_first.get(word, ()):
                if tuple(words[i : i + len(name_words)]) == name_words:
                    found.add(name)
        found.update(self._acronyms[w] for w in _WORD.findall(text) if w in self._acronyms)
        for acronym in self._acronyms:  # "RFE/RL" is not one \w+ word
            if not acronym.isalnum() and acronym in text:
                found.add(acronym)
        found.update(name for f, name in self._inflected if f in folded)
        return sorted(found)


def _known_names(reads: dict[str, ReadResult]) -> set[str]:
    """Names and aliases, without the aliases marked ambiguous: a generic word ("State", "the
    Battalion") names no particular entity where it is not cited."""
    names: set[str] = set()
    for table, col in NAMED_TABLES.items():
        r = reads.get(table)
        if r is not None and r.ok and col in r.typed.column_names:
            names.update(v for v in r.typed[col].to_pylist() if v)
    r = reads.get(ALIASES)
    if r is not None and r.ok:
        ambiguous = r.typed["ambiguous"].to_pylist()
        names.update(a for a, amb in zip(r.typed["alias"].to_pylist(), ambiguous, strict=True)
                     if a and not amb)  # fmt: skip
    return names


def _cited_lines(reads: dict[str, ReadResult]) -> dict[str, set[int]]:
    cited: dict[str, set[int]] = defaultdict(set)
    r = reads.get(CITATIONS)
    if r is not None and r.ok:
        t = r.typed.select(["source_id", "line"])
        for sid, line in zip(t["source_id"].to_pylist(), t["line"].to_pylist(), strict=True):
            if sid and line:
                cited[sid].add(int(line))
    return cited


def measure_coverage(
    texts: dict[str, ArchivedText], reads: dict[str, ReadResult]
) -> dict[str, SourceCoverage]:
    """Coverage of every source whose archived text was read."""
    finder = NameFinder(_known_names(reads))
    cited = _cited_lines(reads)
    omitted: dict[str, dict[int, str]] = defaultdict(dict)
    r = reads.get(OMISSIONS)
    if r is not None and r.ok:
        t = r.typed.select(["source_id", "line", "reason"])
        for sid, line, reason in zip(*(t[c].to_pylist() for c in t.column_names), strict=True):
            omitted[sid][int(line)] = reason
    out: dict[str, SourceCoverage] = {}
    # sources that share one archived file (an article and its comments; at scale, many
    # records of one text) search each distinct line once
    names_on: dict[str, list[str]] = {}
    for sid, text in sorted(texts.items()):
        cov = SourceCoverage(sid, omitted=omitted.get(sid, {}))
        for no, line in text.numbered():
            if not line.strip():
                continue
            cov.lines += 1
            if no in cited.get(sid, ()):
                cov.cited.add(no)
                continue
            if line not in names_on:
                names_on[line] = finder.names_in(line)
            names = names_on[line]
            if names:
                cov.naming_uncited[no] = names
        out[sid] = cov
    return out


def check_coverage(
    catalog: Catalog,
    texts: dict[str, ArchivedText],
    reads: dict[str, ReadResult],
    log: ProblemLog,
) -> dict[str, SourceCoverage]:
    """``entity-lines-explained`` on each source, ``omission-stale`` on each omission.

    Not run while the citations or omissions table has problems of its own: a citations file
    cut short would leave every later line uncited, and those would only repeat its problem."""
    if any(log.counts.get(t) or log.problems.get(t) for t in (CITATIONS, OMISSIONS)):
        return {}
    coverage = measure_coverage(texts, reads)
    sr = reads.get(SOURCES)
    if sr is not None and sr.ok:
        src_line = dict(zip(sr.typed["source_id"].to_pylist(), sr.lines, strict=True))
        for sid, cov in coverage.items():
            for no, names in cov.unexplained.items():
                log.add(
                    SOURCES, catalog[SOURCES].file, int(src_line[sid]), "lines", str(no),
                    "entity-lines-explained",
                    f"line {no} of {sid} names {', '.join(names)} but no citation quotes it; "
                    f"cite it or list it in {catalog[OMISSIONS].file} with a reason",
                )  # fmt: skip
    r = reads.get(OMISSIONS)
    if r is not None and r.ok:
        t = r.typed.select(["source_id", "line"])
        for i, (sid, no) in enumerate(
            zip(t["source_id"].to_pylist(), t["line"].to_pylist(), strict=True)
        ):
            cov = coverage.get(sid)
            if cov is None:
                continue  # a text that could not be read is reported on its source
            text = texts[sid]
            problem = None
            if not text.first <= no <= min(text.last, len(text.lines)):
                problem = f"line {no} is outside {sid}'s lines {text.first}-{text.last}"
            elif no in cov.cited:
                problem = f"line {no} of {sid} is cited, so it is not omitted; remove this row"
            if problem:
                log.add(
                    OMISSIONS, catalog[OMISSIONS].file, int(r.lines[i]), "line", str(no),
                    "omission-stale", problem,
                )  # fmt: skip
    return coverage


def coverage_markdown(coverage: dict[str, SourceCoverage]) -> str:
    """The coverage report: a row per source, then the lines left out on purpose."""
    out = [
        "# Coverage of the archived texts",
        "",
        "Generated by `scripts/build.py` (also `scripts/curate.py coverage`). For each source:",
        "its non-empty lines, how many of them a citation quotes, and the lines that name a",
        "known organization, person or place but are not cited, with the reason they are left",
        "out (`data/omissions.csv`). A line that names an entity, is not cited and has no",
        "reason fails the build (`entity-lines-explained`).",
        "",
        "| source | lines | cited | share cited | naming an entity, uncited | of which explained |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for sid, cov in coverage.items():
        n_uncited = len(cov.naming_uncited)
        explained = n_uncited - len(cov.unexplained)
        out.append(
            f"| {sid} | {cov.lines} | {len(cov.cited)} | {cov.share_cited:.0%} | "
            f"{n_uncited} | {explained} |"
        )
    reasons: dict[str, int] = defaultdict(int)
    for cov in coverage.values():
        for no in cov.naming_uncited:
            if no in cov.omitted:
                reasons[cov.omitted[no]] += 1
    if reasons:
        out += ["", "Lines left out on purpose, by reason:", ""]
        out += [f"- {reason}: {n}" for reason, n in sorted(reasons.items())]
    unexplained = [
        (sid, no, names) for sid, c in coverage.items() for no, names in c.unexplained.items()
    ]
    out += ["", f"Lines naming an entity with neither a citation nor a reason: {len(unexplained)}."]
    for sid, no, names in unexplained:
        out.append(f"- {sid} line {no}: {', '.join(names)}")
    return "\n".join(out) + "\n"
