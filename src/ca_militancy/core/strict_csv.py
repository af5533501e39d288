"""Strict CSV -> typed Arrow table reader.

Why strict: pyarrow and pandas read the text ``NA`` as null, guess encodings and accept
``True``/``1`` as booleans. A curated dataset must say exactly what it means, so here only an
empty cell is null, booleans are ``true``/``false``, dates are ISO ``YYYY-MM-DD``, and every
cell that does not fit its Table Schema type is reported (file, line, column, value, rule)
instead of being coerced. All per-cell work is vectorized (pyarrow.compute / numpy).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ca_militancy.core.catalog import TableSchema
from ca_militancy.core.problems import ProblemLog

BOM = b"\xef\xbb\xbf"


@dataclass
class ReadResult:
    """One table read from its CSV.

    ``raw`` has every column as string with empty cells as null (``None`` when the file could
    not be parsed at all); ``typed`` has the Arrow types of the schema (cells that failed their
    type are null there, and reported). ``lines[i]`` is the file line of data row ``i``
    (the header is line 1)."""

    schema: TableSchema
    path: Path
    raw: pa.Table | None = None
    typed: pa.Table | None = None
    lines: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def name(self) -> str:
        return self.schema.name

    @property
    def ok(self) -> bool:
        return self.typed is not None


def plain(col: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """A dictionary-encoded (enum) column as its plain values, any other column as it is:
    comparisons, joins and conversions read values, not the encoding."""
    return col.cast(col.type.value_type) if pa.types.is_dictionary(col.type) else col


def _line_of_offset(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _is_utf8(data: bytes) -> bool:
    """Validate UTF-8 in Arrow, on the bytes as they are: decoding into a Python str would
    hold up to four times the file's size in memory at once (the build's peak at scale)."""
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64).tobytes())
    text = pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(data)])
    try:
        text.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _file_checks(data: bytes, file: str, name: str, log: ProblemLog) -> bytes | None:
    """Byte-level checks (rule 8). Returns the bytes to parse (BOM stripped) or None when
    the text is not UTF-8 at all, in which case nothing further can be trusted."""
    if data.startswith(BOM):
        log.add(name, file, 1, None, None, "encoding", "UTF-8 byte-order mark; save without BOM")
        data = data[len(BOM) :]
    try:
        if not _is_utf8(data):
            data.decode("utf-8")  # only to locate the bad bytes: raises
    except UnicodeDecodeError as exc:
        line = _line_of_offset(data, exc.start)
        bad = data[exc.start : exc.end].hex(" ")
        log.add(name, file, line, None, bad, "encoding", f"invalid UTF-8 bytes ({exc.reason})")
        return None
    if b"\r" in data:
        arr = np.frombuffer(data, dtype=np.uint8)
        cr = np.flatnonzero(arr == 13)
        nl_before = np.cumsum(arr == 10)[cr] - (arr[cr] == 10)
        for line in (nl_before + 1)[: log.room(name)]:
            log.add(name, file, int(line), None, None, "line-endings", "CR character; use LF only")
        log.count_more(name, max(0, len(cr) - log.room(name)))
    if data and not data.endswith(b"\n"):
        # every curated file ends with LF: one that does not was cut short or half-written,
        # and its last row may be incomplete even when it still parses
        last = _line_of_offset(data, len(data))
        log.add(
            name, file, last, None, None, "final-newline",
            "the file does not end with a newline: was it cut short? check its last row",
        )  # fmt: skip
    return data


QUOTE, COMMA, LF, CR = (ord(c) for c in '",\n\r')


def _quote_problem(data: bytes) -> tuple[int, str] | None:
    """The first quote that breaks RFC 4180 quoting, as (line, message), or None.

    Arrow reads a quote that is never closed as a cell running to the end of the file (the
    rows after it vanish into one cell), and a quote inside an unquoted field as text; both
    hide the real mistake. Quotes toggle "inside a quoted field", so the even-numbered quotes
    open a field and the odd-numbered ones close it; an opening quote must start a field (or
    follow a closing quote: an escaped ``""``), a closing quote must end one."""
    arr = np.frombuffer(data, dtype=np.uint8)
    q = np.flatnonzero(arr == QUOTE)
    if len(q) == 0:
        return None
    before = np.where(q > 0, arr[np.maximum(q - 1, 0)], LF)
    after = np.where(q < len(arr) - 1, arr[np.minimum(q + 1, len(arr) - 1)], LF)
    adjacent = q[1:] == q[:-1] + 1
    after_quote = np.concatenate(([False], adjacent))
    before_quote = np.concatenate((adjacent, [False]))
    opening = np.arange(len(q)) % 2 == 0
    bad_open = opening & ~np.isin(before, (COMMA, LF)) & ~after_quote
    bad_close = ~opening & ~np.isin(after, (COMMA, LF, CR)) & ~before_quote
    bad = np.flatnonzero(bad_open | bad_close)
    if len(bad):
        i = int(bad[0])
        line = _line_of_offset(data, int(q[i]))
        if opening[i]:
            return line, 'stray " inside an unquoted field: quote the whole field and double the "'
        opened = _line_of_offset(data, int(q[i - 1]))
        return opened, (
            f"the quoted field opened here is closed on line {line} by a quote with text after "
            f'it: a closing " is missing here, or that " is stray'
        )
    if len(q) % 2:
        return _line_of_offset(data, int(q[-1])), "a quote opens a field here and is never closed"
    return None


def _blank_lines(data: bytes) -> np.ndarray:
    """Line numbers (1-based) of empty lines, not counting the end after the final LF."""
    arr = np.frombuffer(data, dtype=np.uint8)
    nl = np.flatnonzero(arr == 10)
    if len(nl) == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.concatenate(([0], nl[:-1] + 1))
    length = nl - starts
    is_cr_only = np.zeros(len(nl), dtype=bool)
    has_one = length == 1
    is_cr_only[has_one] = arr[starts[has_one]] == 13
    blank = (length == 0) | is_cr_only
    out = np.flatnonzero(blank) + 1
    # a non-terminated last line that is empty is just "no trailing newline": not blank
    return out.astype(np.int64)


def read_raw(schema: TableSchema, data_dir: Path, log: ProblemLog) -> ReadResult:
    """Read ``<data_dir>/<name>.csv`` as strings after the file-level checks (encoding, BOM,
    line endings, blank rows, header). Empty cells become null; nothing else does."""
    name, file = schema.name, schema.file
    path = Path(data_dir) / f"{name}.csv"
    result = ReadResult(schema=schema, path=path)
    if not path.is_file():
        log.add(name, file, None, None, None, "missing-file", "the table's CSV file is missing")
        return result
    data = _file_checks(path.read_bytes(), file, name, log)
    if data is None:
        return result
    expected = schema.field_names
    end = data.find(b"\n")
    first_line = data[: end if end >= 0 else len(data)].rstrip(b"\r").decode("utf-8")
    header = next(csv.reader([first_line]), [])
    if header != expected:
        missing = [c for c in expected if c not in header]
        extra = [c for c in header if c not in expected]
        parts = []
        if missing:
            parts.append("missing " + ", ".join(missing))
        if extra:
            parts.append("unexpected " + ", ".join(extra))
        if not parts:
            parts.append("columns out of order")
        log.add(
            name,
            file,
            1,
            None,
            ",".join(header),
            "header",
            f"header must equal the schema's field names in order ({'; '.join(parts)}); "
            f"expected {','.join(expected)}",
        )
        return result
    blanks = _blank_lines(data)
    for line in blanks[: log.room(name)]:
        log.add(name, file, int(line), None, None, "blank-row", "blank row")
    log.count_more(name, max(0, len(blanks) - log.room(name)))

    quote = _quote_problem(data)
    if quote is not None:
        log.add(name, file, quote[0], None, None, "csv-syntax", quote[1])
        return result

    bad_rows: list[tuple[int | None, int, int]] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        bad_rows.append((row.number, row.expected_columns, row.actual_columns))
        return "skip"

    try:
        raw = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(use_threads=False, block_size=_block_size(data)),
            parse_options=pacsv.ParseOptions(
                newlines_in_values=True, ignore_empty_lines=True, invalid_row_handler=on_invalid
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in expected},
                # only an empty cell (quoted or not) is null; "NA", "null" etc. stay text
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except pa.ArrowInvalid as exc:
        log.add(name, file, None, None, None, "csv-syntax", f"cannot parse CSV: {exc}")
        return result
    for number, exp, act in bad_rows:
        log.add(
            name,
            file,
            number,
            None,
            None,
            "row-width",
            f"row has {act} fields, the header has {exp}",
        )
    if bad_rows:
        return result
    result.raw = raw
    result.lines = _row_lines(data, raw, blanks)
    return result


def _block_size(data: bytes) -> int:
    """Arrow's parse block: 16 MiB, or more when a line is longer (a row may not straddle two
    blocks: a junk line of 50 MB would otherwise fail without a line number)."""
    arr = np.frombuffer(data, dtype=np.uint8)
    ends = np.concatenate(([-1], np.flatnonzero(arr == LF), [len(arr)]))
    longest = int(np.diff(ends).max()) if len(arr) else 0
    return max(1 << 24, 2 * longest)


def _row_lines(data: bytes, raw: pa.Table, blanks: np.ndarray) -> np.ndarray:
    """File line of each data row: the n-th non-blank line after the header, shifted by the
    newlines inside earlier quoted cells (exact when neither kind of oddity is present)."""
    n = raw.num_rows
    total_lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    all_lines = np.arange(2, total_lines + 1, dtype=np.int64)
    nonblank = np.setdiff1d(all_lines, blanks, assume_unique=True)
    extra = np.zeros(n, dtype=np.int64)
    if len(nonblank) == n:  # one line per row: no newline inside any cell, nothing to count
        return nonblank
    for col in raw.columns:
        counts = pc.fill_null(pc.count_substring(col, "\n"), 0)
        extra += counts.to_numpy(zero_copy_only=False).astype(np.int64)
    shift = np.concatenate(([0], np.cumsum(extra)[:-1])) if n else extra
    idx = np.arange(n, dtype=np.int64) + shift
    idx = np.clip(idx, 0, max(len(nonblank) - 1, 0))
    return nonblank[idx] if len(nonblank) else np.full(n, 2, dtype=np.int64)


INTEGER_RE = r"^-?[0-9]+$"
NUMBER_RE = r"^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$"
DATE_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


def to_typed(result: ReadResult, log: ProblemLog) -> pa.Table:
    """Convert the string table to the schema's Arrow types, reporting every cell that does
    not parse (rule ``type``). Failed cells are null in the returned table."""
    assert result.raw is not None
    name, file, raw = result.name, result.schema.file, result.raw
    arrow = result.schema.arrow_schema()
    columns = []
    for fdef, afield in zip(result.schema.fields, arrow, strict=True):
        col = raw[fdef["name"]]
        ftype = fdef.get("type", "string")
        if ftype == "string":
            out = col
        elif ftype == "boolean":
            valid = pc.is_in(col, pa.array(["true", "false"]))
            out = pc.equal(col, "true")
            _type_problems(log, name, file, result.lines, col, valid, fdef, "true or false")
        elif ftype == "integer":
            valid = pc.and_(pc.match_substring_regex(col, INTEGER_RE), _fits_int64(col))
            out = pc.cast(pc.if_else(valid, col, pa.scalar(None, pa.string())), pa.int64())
            _type_problems(
                log, name, file, result.lines, col, valid, fdef, "an integer within 64 bits"
            )
        elif ftype == "number":
            shaped = pc.match_substring_regex(col, NUMBER_RE)
            out = pc.cast(pc.if_else(shaped, col, pa.scalar(None, pa.string())), pa.float64())
            valid = pc.and_(shaped, pc.is_finite(out))  # 1e999 would be infinity
            out = pc.if_else(valid, out, pa.scalar(None, pa.float64()))
            _type_problems(log, name, file, result.lines, col, valid, fdef, "a finite number")
        elif ftype == "date":
            shaped = pc.match_substring_regex(col, DATE_RE)
            ts = pc.strptime(
                pc.if_else(shaped, col, pa.scalar(None, pa.string())),
                format="%Y-%m-%d",
                unit="s",
                error_is_null=True,
            )
            out = pc.cast(ts, pa.date32())
            valid = pc.and_(shaped, pc.is_valid(out))
            # round-trip guards against lenient parsing (e.g. day 31 in a 30-day month)
            back = pc.strftime(out, format="%Y-%m-%d")
            valid = pc.and_(valid, pc.fill_null(pc.equal(back, col), False))
            # year 0 parses, but no Python date, SQLite edition or docs stage can hold it
            valid = pc.and_(valid, pc.fill_null(pc.greater_equal(pc.year(out), 1), False))
            out = pc.if_else(valid, out, pa.scalar(None, pa.date32()))
            _type_problems(
                log, name, file, result.lines, col, valid, fdef, "a date YYYY-MM-DD (0001-9999)"
            )
        else:
            raise TypeError(f"{name}.{fdef['name']}: unsupported Table Schema type {ftype!r}")
        if pa.types.is_dictionary(afield.type):
            out = pc.dictionary_encode(out).cast(afield.type)
        columns.append(out)
    return pa.Table.from_arrays(columns, schema=arrow)


INT64_DIGITS = 19


def _fits_int64(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """True where an integer text is within int64 (Arrow's cast fails on the whole column
    otherwise). Digit strings of equal length compare as numbers do."""
    magnitude = pc.replace_substring_regex(col, "^-?0*", "")
    length = pc.utf8_length(magnitude)
    limit = pc.if_else(pc.starts_with(col, "-"), str(2**63), str(2**63 - 1))
    same_length_within = pc.and_(pc.equal(length, INT64_DIGITS), pc.less_equal(magnitude, limit))
    return pc.or_(pc.less(length, INT64_DIGITS), same_length_within)


def _type_problems(log, name, file, lines, col, valid, fdef, expected: str) -> None:
    bad = pc.and_(pc.is_valid(col), pc.invert(pc.fill_null(valid, False)))
    log.add_mask(
        name, file, lines, bad, fdef["name"], col, "type", f"not {expected} ({fdef['type']})"
    )


def read_typed(schema: TableSchema, data_dir: Path, log: ProblemLog) -> ReadResult:
    """Read and type one table; ``result.typed`` is None when the file could not be parsed."""
    result = read_raw(schema, data_dir, log)
    if result.raw is not None:
        result.typed = to_typed(result, log)
    return result
