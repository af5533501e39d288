"""Rule 3: every excerpt is in its source's archived text, on the stated line, and every
archived text is the file the ``sources`` table describes (sha256).

Why a separate module: the archived texts are not redistributed with the dataset; they live
in a directory named by ``CA_MILITANCY_SOURCES``. Users without them can still build, and the
build says that this check was skipped.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow.compute as pc

from ca_militancy.checks import ProblemLog, normalize_space
from ca_militancy.descriptor import sha256_path

if TYPE_CHECKING:
    from ca_militancy.typed import ReadResult

ENV = "CA_MILITANCY_SOURCES"


def sources_dir_from_env() -> Path | None:
    value = os.environ.get(ENV, "").strip()
    return Path(value) if value else None


def check_provenance(
    root: Path, sources_dir: Path, reads: dict[str, ReadResult], log: ProblemLog
) -> None:
    """Check the archived texts' hashes and every citation's excerpt and line."""
    sr, cr = reads.get("sources"), reads.get("citations")
    if sr is None or not sr.ok:
        return
    src_file = "data/sources.csv"
    if not sources_dir.is_dir():
        log.add(
            "sources", src_file, None, None, str(sources_dir), "R3.archive",
            f"CA_MILITANCY_SOURCES names no directory: {sources_dir}",
        )  # fmt: skip
        return
    s = sr.typed.to_pylist()
    texts: dict[str, list[str]] = {}
    bounds: dict[str, tuple[int, int]] = {}
    for row, line in zip(s, sr.lines, strict=True):
        sid, fname = row["source_id"], row["archived_file"]
        path = sources_dir / fname if fname else None
        if path is None or not path.is_file():
            log.add(
                "sources", src_file, int(line), "archived_file", fname, "R3.archive",
                f"archived text not found in {sources_dir}",
            )  # fmt: skip
            continue
        digest = sha256_path(path)
        if digest != row["archived_sha256"]:
            log.add(
                "sources", src_file, int(line), "archived_sha256", row["archived_sha256"],
                "R3.archive-hash", f"{fname} has sha256 {digest}",
            )  # fmt: skip
            continue
        texts[sid] = path.read_text(encoding="utf-8").split("\n")
        try:
            first, last = (int(x) for x in row["lines"].split("-"))
        except (AttributeError, ValueError):
            first, last = 1, len(texts[sid])
        bounds[sid] = (first, last)
    if cr is None or not cr.ok:
        return
    c = cr.typed.select(["source_id", "excerpt", "line"])
    cit_file = "data/citations.csv"
    # one Python pass over citations: substring search has no vectorized form with
    # per-row needles; normalizing each archived line once keeps it linear
    norm_cache: dict[tuple[str, int], str] = {}
    src_ids = c["source_id"].to_pylist()
    excerpts = c["excerpt"].to_pylist()
    line_nos = pc.fill_null(c["line"], 0).to_pylist()
    for i, (sid, excerpt, line_no) in enumerate(zip(src_ids, excerpts, line_nos, strict=True)):
        if sid not in texts or excerpt is None:
            continue  # missing text or hash mismatch is reported on the source
        first, last = bounds[sid]
        lines = texts[sid]
        if not (first <= line_no <= last) or line_no > len(lines):
            log.add(
                "citations", cit_file, int(cr.lines[i]), "line", str(line_no), "R3.line",
                f"line is outside {sid}'s lines {first}-{last}",
            )  # fmt: skip
            continue
        key = (sid, line_no)
        if key not in norm_cache:
            norm_cache[key] = normalize_space(lines[line_no - 1])
        if normalize_space(excerpt) not in norm_cache[key]:
            log.add(
                "citations", cit_file, int(cr.lines[i]), "excerpt", excerpt, "R3.excerpt",
                f"not found verbatim on line {line_no} of {sid}'s archived text",
            )  # fmt: skip
