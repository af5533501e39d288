"""Problems found in the data, located precisely enough to fix them in a text editor.

Both wings report through this: the build's checks and the reader's strict reading of a
checkout's CSVs. Every problem is one line: ``file:line: column=value: check: message``, where
``check`` is the name of the check that found it (``ca-militancy-build --list-checks``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

DEFAULT_LIMIT = 50


@dataclass(frozen=True)
class Problem:
    """One thing wrong, located precisely enough to fix it in a text editor."""

    file: str
    row: int | None  # line in the file (the header is line 1); None for the whole file
    column: str | None
    value: str | None
    check: str
    message: str

    def __str__(self) -> str:
        place = self.file if self.row is None else f"{self.file}:{self.row}"
        parts = [place]
        if self.column is not None:
            shown = "(empty)" if self.value is None else _shorten(self.value)
            parts.append(f"{self.column}={shown}")
        elif self.value is not None:
            parts.append(_shorten(self.value))
        parts += [self.check, self.message]
        return ": ".join(parts)


SHOWN_CHARS = 80


def _shorten(value: str) -> str:
    """The value as one escaped line of at most SHOWN_CHARS characters (a junk line of 50 MB
    is shown by its start; only that start is escaped)."""
    shown = repr(value[: SHOWN_CHARS * 2])[1:-1]
    if len(shown) > SHOWN_CHARS or len(value) > SHOWN_CHARS * 2:
        shown = shown[: SHOWN_CHARS - 3] + "..."
    return shown


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

    def add(self, table, file, row, column, value, check, message) -> None:
        self.counts[table] += 1
        if len(self.problems[table]) < self.limit:
            self.problems[table].append(Problem(file, row, column, value, check, message))

    def add_mask(
        self,
        table: str,
        file: str,
        lines: np.ndarray,
        mask: Any,
        column: str | None,
        values: Any,
        check: str,
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
                    Problem(file, int(lines[i]), column, value, check, message)
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
