"""Which sources are independent voices.

Why: a second archived copy of an article, or a second outlet's copy of one agency story, says
nothing the first did not; counting it would turn one voice into corroboration. ``sources``
records each copy's original in ``copy_of_source_id``; a source's voice is the original at the
end of that chain (itself when it is no copy). Two citations are independent exactly when
their sources' voices differ. The reader (``cite``), the checks and the SQLite edition all use
this one definition.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def voices(copy_of: Mapping[str, str | None]) -> dict[str, str]:
    """Each source's voice: the original it is a copy of, followed to the end of the chain
    (a chain that loops stops where it would repeat; the checks report the loop)."""
    out: dict[str, str] = {}
    for sid in copy_of:
        seen = [sid]
        nxt = copy_of.get(sid)
        while nxt and nxt not in seen and nxt in copy_of:
            seen.append(nxt)
            nxt = copy_of.get(nxt)
        out[sid] = seen[-1]
    return out


def voices_of_rows(rows: Iterable[Mapping[str, object]]) -> dict[str, str]:
    """``voices`` from rows of the sources table (dicts with source_id, copy_of_source_id)."""
    return voices({str(r["source_id"]): _text(r.get("copy_of_source_id")) for r in rows})


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
