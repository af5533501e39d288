"""Rule 3: every excerpt is in its source's archived text, on the stated line, and every
archived text is the file the ``sources`` table describes (sha256).

Why a separate module: the archived texts are not redistributed with the dataset; they live
in a directory named by ``CA_MILITANCY_SOURCES``. Users without them can still build, and the
build says that this check was skipped.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow.compute as pc

from ca_militancy.core.hashing import sha256_path
from ca_militancy.core.problems import ProblemLog

if TYPE_CHECKING:
    from ca_militancy.core.catalog import Catalog
    from ca_militancy.core.strict_csv import ReadResult

ENV = "CA_MILITANCY_SOURCES"
# Rule 12: a project-written cell sharing this many consecutive words with an archived text
# copies the source's wording ("who died in the North Caucasus"). Names are not wording: the
# names and titles the dataset records, the places it records and the countries' names are
# taken out of a cell before it is compared, so "emir of the Zahir Baibars Battalion" is not a
# copy while "in 2009 under the influence of" is.
COPIED_WORDS = 6
# A name the dataset keeps as the source gives it (an operation, a campaign, a slogan in a title)
# is written in quotation marks, and the quoted words are not compared either.
QUOTED = re.compile(r"(?<!\w)(['\"‘“])(?=\w)[^'\"’”]*[\w.!?](['\"’”])(?!\w)")
# the columns holding names and titles, whose words a cell may repeat
NAME_COLUMNS = {
    "organizations": ("name",),
    "people": ("name",),
    "aliases": ("alias",),
    "publications": ("title",),
    "sources": ("title",),
    "memberships": ("title",),
    "incidents": ("place", "province"),
}
QUOTE_OPENERS = "'\"‘“"  # a quotation QUOTED can find opens with one of these
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def sources_dir_from_env() -> Path | None:
    value = os.environ.get(ENV, "").strip()
    return Path(value) if value else None


@lru_cache(maxsize=1 << 16)
def normalize_space(text: str) -> str:
    """Collapse every run of white space to one space and strip the ends (excerpts may
    differ from their text in white space only). Cached: lines and excerpts repeat."""
    return " ".join(unicodedata.normalize("NFC", text).split())


@dataclass(frozen=True)
class ArchivedText:
    """One source's archived text: the lines of its file and the range that belongs to it."""

    lines: list[str]
    first: int
    last: int

    def numbered(self) -> Iterator[tuple[int, str]]:
        """(line number, text) of each of the source's own lines."""
        for no in range(self.first, min(self.last, len(self.lines)) + 1):
            yield no, self.lines[no - 1]


def check_provenance(
    catalog: Catalog, sources_dir: Path, reads: dict[str, ReadResult], log: ProblemLog
) -> dict[str, ArchivedText]:
    """Check the archived texts' hashes and every citation's excerpt and line; return the
    texts whose hash matched, by source id (the coverage report reads them)."""
    sr, cr = reads.get("sources"), reads.get("citations")
    if sr is None or not sr.ok:
        return {}
    src_file = "data/sources.csv"
    if not sources_dir.is_dir():
        log.add(
            "sources", src_file, None, None, str(sources_dir), "archived-text-present",
            f"CA_MILITANCY_SOURCES names no directory: {sources_dir}",
        )  # fmt: skip
        return {}
    s = sr.typed.to_pylist()
    texts: dict[str, list[str]] = {}
    bounds: dict[str, tuple[int, int]] = {}
    # Several sources may share one archived file (an article and its reader comments):
    # each file is hashed and read once.
    digests: dict[str, str] = {}
    file_lines: dict[str, list[str]] = {}
    for row, line in zip(s, sr.lines, strict=True):
        sid, fname = row["source_id"], row["archived_file"]
        path = sources_dir / fname if fname else None
        if path is None or not path.is_file():
            log.add(
                "sources", src_file, int(line), "archived_file", fname, "archived-text-present",
                f"archived text not found in {sources_dir}",
            )  # fmt: skip
            continue
        if fname not in digests:
            digests[fname] = sha256_path(path)
        digest = digests[fname]
        if digest != row["archived_sha256"]:
            log.add(
                "sources", src_file, int(line), "archived_sha256", row["archived_sha256"],
                "archived-text-hash", f"{fname} has sha256 {digest}",
            )  # fmt: skip
            continue
        if fname not in file_lines:
            data = path.read_bytes()
            try:
                file_lines[fname] = data.decode("utf-8").split("\n")
            except UnicodeDecodeError as exc:
                text_line = data.count(b"\n", 0, exc.start) + 1
                log.add(
                    "sources", src_file, int(line), "archived_file", fname, "archived-text-utf8",
                    f"{fname} is not UTF-8: {exc.reason} (byte {data[exc.start]:#04x}) on its "
                    f"line {text_line}",
                )  # fmt: skip
                continue
        texts[sid] = file_lines[fname]
        try:
            first, last = (int(x) for x in row["lines"].split("-"))
        except (AttributeError, ValueError):
            first, last = 1, len(texts[sid])
        bounds[sid] = (first, last)
    check_own_words(texts, reads, log)
    archived = {sid: ArchivedText(texts[sid], *bounds[sid]) for sid in texts}
    if cr is None or not cr.ok:
        return archived
    c = cr.typed.select(["source_id", "excerpt", "line"])
    cit_file = "data/citations.csv"
    # each distinct (source, line, excerpt) is looked up once (substring search has no
    # vectorized form with per-row needles), and the rows of a failing one are reported
    has = np.flatnonzero(pc.is_valid(c["excerpt"]).to_numpy(zero_copy_only=False))
    src = pc.dictionary_encode(c["source_id"].take(has)).combine_chunks()
    exc = pc.dictionary_encode(c["excerpt"].take(has)).combine_chunks()
    line = pc.fill_null(c["line"], 0).take(has).to_numpy().astype(np.int64)
    src_code = src.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    exc_code = exc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    key = (src_code * (int(line.max(initial=0)) + 1) + line) * len(exc.dictionary) + exc_code
    _, first_row, which = np.unique(key, return_index=True, return_inverse=True)
    src_names, excerpt_texts = src.dictionary.to_pylist(), exc.dictionary.to_pylist()
    combos = ((src_names[src_code[i]], int(line[i]), excerpt_texts[exc_code[i]]) for i in first_row)
    norm_cache: dict[tuple[str, int], str] = {}
    bad: dict[int, tuple[str, str, str, str]] = {}  # by distinct combination
    for g, (sid, line_no, excerpt) in enumerate(combos):
        if sid not in texts:
            continue  # missing text or hash mismatch is reported on the source
        first, last = bounds[sid]
        lines = texts[sid]
        if not (first <= line_no <= last) or line_no > len(lines):
            problem = (
                "line", str(line_no), "excerpt-line-exists",
                f"line is outside {sid}'s lines {first}-{last}",
            )  # fmt: skip
        else:
            at = (sid, line_no)
            if at not in norm_cache:
                norm_cache[at] = normalize_space(lines[line_no - 1])
            if normalize_space(excerpt) in norm_cache[at]:
                continue
            problem = (
                "excerpt", excerpt, "excerpt-verbatim",
                f"not found verbatim on line {line_no} of {sid}'s archived text",
            )  # fmt: skip
        bad[g] = problem
    rows = np.flatnonzero(np.isin(which, np.fromiter(bad, np.int64, len(bad))))
    for i in rows:  # in the order of the file
        column, value, check, message = bad[int(which[i])]
        log.add("citations", cit_file, int(cr.lines[has[i]]), column, value, check, message)
    return archived


def _words(text: str) -> list[str]:
    # the apostrophes are made one before the words are found: both join a word's parts
    return _WORD.findall(text.casefold().replace("’", "'"))


def _has_run(words: list[str], vocabulary: set[str], n: int) -> bool:
    """Whether ``n`` consecutive words are all words of the sources: a value without such a
    run shares no n words with any source, which settles most values without making their
    n-grams."""
    run = 0
    for word in words:
        run = run + 1 if word in vocabulary else 0
        if run >= n:
            return True
    return False


def _ngrams(words: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def _names(reads: dict[str, ReadResult]) -> dict[str, list[tuple[str, ...]]]:
    """The recorded names and titles and the countries' names, as word tuples indexed by
    their first word (longest first)."""
    import pycountry

    texts = [c.name for c in pycountry.countries]
    texts += [getattr(c, "common_name", "") for c in pycountry.countries]
    for table, cols in NAME_COLUMNS.items():
        res = reads.get(table)
        if res is None or not res.ok:
            continue
        for col in cols:
            if col in res.typed.column_names:
                texts += [v for v in res.typed[col].to_pylist() if v]
    index: dict[str, list[tuple[str, ...]]] = {}
    for words in {tuple(_words(t)) for t in texts if t}:
        if words:
            index.setdefault(words[0], []).append(words)
    for starts in index.values():
        starts.sort(key=len, reverse=True)
    return index


def _without_names(words: list[str], names: dict[str, list[tuple[str, ...]]]) -> list[str]:
    """The words with every recorded name replaced by a marker that matches no source word."""
    out: list[str] = []
    i = 0
    while i < len(words):
        for name in names.get(words[i], ()):
            if tuple(words[i : i + len(name)]) == name:
                out.append("\x00")
                i += len(name)
                break
        else:
            out.append(words[i])
            i += 1
    return out


def check_own_words(
    texts: dict[str, list[str]], reads: dict[str, ReadResult], log: ProblemLog
) -> None:
    """Rule 12: summaries, descriptions and notes (the fields marked ``x-own-words``) are in
    this project's words: none shares COPIED_WORDS consecutive words with an archived text.
    The sources' wording belongs in citation excerpts only."""
    seen: dict[tuple[str, ...], str] = {}
    indexed: set[int] = set()  # sources sharing an archived file share its lines: index once
    for sid, lines in texts.items():
        if id(lines) in indexed:
            continue
        indexed.add(id(lines))
        for gram in _ngrams(_words(" ".join(lines)), COPIED_WORDS):
            seen.setdefault(gram, sid)
    if not seen:
        return
    vocabulary = {word for gram in seen for word in gram}
    names: dict[str, list[tuple[str, ...]]] | None = None
    verdicts: dict[str, list[tuple[str, ...]]] = {}  # a value repeated is judged once
    for name, res in reads.items():
        cols = res.schema.own_words if res.ok else []
        for col in cols:
            values = res.typed[col].to_pylist()
            for i, value in enumerate(values):
                if not value:
                    continue
                if value not in verdicts:
                    quoted = any(q in value for q in QUOTE_OPENERS)
                    unquoted = _words(QUOTED.sub(" \x00 ", value) if quoted else value)
                    # taking names out only removes matches: most values, sharing no run of
                    # words with any source, are cleared without that costlier step
                    if not _has_run(unquoted, vocabulary, COPIED_WORDS) or not any(
                        g in seen for g in _ngrams(unquoted, COPIED_WORDS)
                    ):
                        verdicts[value] = []
                    else:
                        names = _names(reads) if names is None else names
                        grams = _ngrams(_without_names(unquoted, names), COPIED_WORDS)
                        verdicts[value] = sorted(g for g in grams if g in seen)
                hits = verdicts[value]
                if hits:
                    log.add(
                        name, res.schema.file, int(res.lines[i]), col, value,
                        "own-words",
                        f"copies {COPIED_WORDS}+ consecutive words of {seen[hits[0]]}: "
                        f"\"{' '.join(hits[0])}\"; write it in the project's own words",
                    )  # fmt: skip
