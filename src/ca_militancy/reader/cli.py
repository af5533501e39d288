"""The `ca-militancy` command (also `python -m ca_militancy`).

Why these conventions: people read tables, scripts read JSON (`--json` on every command);
exit codes tell a script what went wrong without parsing text, and every message names the
thing that was not found and what would have been accepted. Heavy imports (pandas, pyarrow,
frictionless) happen inside the commands, so `--help` and `version` stay fast.

Exit codes: 0 ok; 1 the data failed validation or could not be read; 2 usage error;
3 not found (table, id, name, data); 4 an optional dependency is missing; 5 a download failed;
130 interrupted (Ctrl-C). Under ``--json`` an error is a JSON object on stdout,
``{"error": {"type": ..., "message": ..., "exit_code": ...}}``, so that a script reads every
outcome from one place.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ca_militancy.__about__ import __version__
from ca_militancy.core.pipes import silence_stdout

if TYPE_CHECKING:
    import pandas as pd

    from ca_militancy.reader.loader import Dataset

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_NOT_FOUND, EXIT_MISSING_EXTRA, EXIT_FETCH = 0, 1, 2, 3, 4, 5
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C
# the "type" of a JSON error, by exit code
ERROR_TYPES = {
    EXIT_ERROR: "error",
    EXIT_USAGE: "usage",
    EXIT_NOT_FOUND: "not_found",
    EXIT_MISSING_EXTRA: "missing_extra",
    EXIT_FETCH: "fetch",
    EXIT_INTERRUPTED: "interrupted",
}
SHOW_LIMIT = 20
MAX_COLWIDTH = 40


class CliError(Exception):
    """An error with its exit code; main() prints the message to stderr."""

    def __init__(self, message: str, code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.code = code


def _report_error(message: str, code: int, as_json: bool) -> int:
    """Say what went wrong where the caller looks: JSON on stdout under --json, else a line on
    stderr. Returns the exit code."""
    if as_json:
        error = {"type": ERROR_TYPES.get(code, "error"), "message": message, "exit_code": code}
        _print_json({"error": error})
    else:
        print(f"ca-militancy: {message}", file=sys.stderr)
    return code


class _Parser(argparse.ArgumentParser):
    """argparse, with usage errors as a JSON object on stdout when ``--json`` was given."""

    json_errors = False

    def error(self, message: str):  # type: ignore[override]
        if not self.json_errors:
            super().error(message)
        _report_error(f"{self.prog}: {message}", EXIT_USAGE, as_json=True)
        self.exit(EXIT_USAGE)


def _bounded_int(low: int) -> Callable[[str], int]:
    """An argparse type: an integer not below ``low``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be {low} or more, not {value}")
        return value

    return parse


def _score(text: str) -> float:
    """An argparse type: a similarity score, finite, from 0 to 100 (nan would match nothing
    and say nothing)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= value <= 100:  # false for nan too
        raise argparse.ArgumentTypeError(f"must be a number from 0 to 100, not {text}")
    return value


# ---- output helpers ------------------------------------------------------------------------


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready rows: dates as YYYY-MM-DD, missing values as null, numpy scalars as Python."""
    shown = df.astype(object).where(df.notna(), None)
    return [{k: _json_value(v) for k, v in row.items()} for row in shown.to_dict("records")]


def _json_value(value: Any) -> Any:
    import datetime as dt

    if isinstance(value, dt.datetime):  # pandas Timestamps included
        return value.strftime("%Y-%m-%d")
    if hasattr(value, "item") and not isinstance(value, list | tuple | dict):
        return value.item()  # numpy scalar
    return value


def _print_json(obj: Any) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=2))


def _text_frame(df: pd.DataFrame, max_colwidth: int = MAX_COLWIDTH) -> str:
    """A DataFrame as an aligned text table, empty cells blank, dates without time."""
    import pandas as pd

    shown = df.copy()
    for col in shown.columns:
        if pd.api.types.is_datetime64_any_dtype(shown[col]):
            shown[col] = shown[col].dt.strftime("%Y-%m-%d")
    shown = shown.astype(object).where(shown.notna(), "")
    if shown.empty:
        return "(no rows)"
    return shown.to_string(index=False, max_colwidth=max_colwidth)


def _value_text(value: Any) -> str:
    import pandas as pd

    if value is None or (not isinstance(value, list | tuple) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return str(value)


# ---- commands --------------------------------------------------------------------------------


def _dataset(args: argparse.Namespace) -> Dataset:
    from ca_militancy.reader import loader

    if args.release:
        from ca_militancy.reader.fetch import fetch

        return fetch(args.release, force=args.refetch)
    return loader.dataset(args.data) if args.data else loader.dataset()


def cmd_tables(args: argparse.Namespace) -> int:
    df = _dataset(args).tables()
    if args.json:
        _print_json(_records(df))
    else:
        width = shutil.get_terminal_size((120, 20)).columns
        print(_text_frame(df[["table", "rows", "description"]], max(30, width - 35)))
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    ds = _dataset(args)
    if args.id is not None:
        record = ds.record(args.table, args.id)
        if args.json:
            _print_json(_records(record.to_frame().T)[0])
            return EXIT_OK
        width = max(len(k) for k in record.index)
        for key, value in record.items():
            print(f"{key:<{width}}  {_value_text(value)}")
        from ca_militancy.reader.cite import reference_columns

        if reference_columns(ds.catalog, args.table):
            n = len(ds.cite(args.table, args.id))
            print(f"\n{n} citation(s): ca-militancy cite {args.table} {args.id}")
        return EXIT_OK
    df = ds.load(args.table)
    total = len(df)
    if args.limit:
        df = df.head(args.limit)
    if args.json:
        _print_json(_records(df))
        return EXIT_OK
    print(_text_frame(df))
    if len(df) < total:
        print(
            f"\n({len(df)} of {total} rows; --limit 0 shows all, --json for every column in full)"
        )
    return EXIT_OK


def cmd_lookup(args: argparse.Namespace) -> int:
    text = " ".join(args.name)
    df = _dataset(args).lookup(
        text, limit=args.limit, min_score=args.min_score, entity_type=args.type
    )
    if args.json:
        _print_json(_records(df))
    elif not df.empty:
        print(_text_frame(df))
    if df.empty:
        if not args.json:
            print(
                f"no organization, person or place matches {text!r} (score >= {args.min_score:g})",
                file=sys.stderr,
            )
        return EXIT_NOT_FOUND
    return EXIT_OK


def cmd_cite(args: argparse.Namespace) -> int:
    ds = _dataset(args)
    if args.by_field:
        return _cite_by_field(ds, args)
    df = ds.cite(args.table, args.id)
    if args.json:
        _print_json(_records(df))
        return EXIT_OK
    if df.empty:
        print(f"{args.table} {args.id}: no citations")
        return EXIT_OK
    print(f"{args.table} {args.id}: {len(df)} citation(s)\n")
    for row in df.to_dict("records"):
        about = ""
        if _value_text(row.get("field")):
            about = f" on {row['field']}"
            if _value_text(row.get("value_as_stated")):
                about += f" = {row['value_as_stated']!r}"
        print(f"[{row['citation_id']}] {row['stance']}{about}")
        print(f"  \u201c{row['excerpt']}\u201d")
        title = _value_text(row.get("source_title")) or _value_text(row.get("source_label"))
        meta = ", ".join(
            x for x in (_value_text(row.get("publisher")), _value_text(row.get("published"))) if x
        )
        where = f"{row['source_id']}, line {row['line']}"
        print(f"  \u2014 {title}" + (f" ({meta})" if meta else "") + f" [{where}]")
        if _value_text(row.get("url")):
            print(f"    {row['url']}")
        print()
    _print_corrections(ds, args)
    return EXIT_OK


def _cite_by_field(ds: Dataset, args: argparse.Namespace) -> int:
    """Each fact field of the record with the words behind it."""
    df = ds.cited_fields(args.table, args.id)
    if args.json:
        _print_json(_records(df))
        return EXIT_OK
    print(f"{args.table} {args.id}: the words behind each fact\n")
    for name, group in df.groupby("field", sort=False):
        print(f"{name} = {_value_text(group['value'].iloc[0])}")
        for row in group.to_dict("records"):
            print(f"  [{row['citation_id']}] {row['source_id']}, line {row['line']}")
            print(f"    \u201c{row['excerpt']}\u201d")
            if _value_text(row.get("derivation")):
                print(f"    derived: {row['derivation']}")
    _print_corrections(ds, args)
    return EXIT_OK


def _print_corrections(ds: Dataset, args: argparse.Namespace) -> None:
    fixes = ds.corrections(args.table, args.id)
    if fixes.empty:
        return
    print(f"\ncorrected since an earlier release ({len(fixes)} change(s)):")
    for row in fixes.to_dict("records"):
        what = _value_text(row["field"]) or "record"
        old, new = _value_text(row["old_value"]), _value_text(row["new_value"])
        change = "removed" if row["action"] == "removed" else f"{old!r} -> {new!r}"
        print(f"  {row['version']} {what}: {change}")
        print(f"    why: {row['reason']}")


def cmd_export(args: argparse.Namespace) -> int:
    ds = _dataset(args)
    names = args.tables or ds.table_names()
    for name in names:
        ds.check_table(name)
    if args.format == "xlsx":
        try:
            import openpyxl  # noqa: F401
        except ImportError as exc:
            raise CliError(
                "export --format xlsx needs openpyxl: pip install 'ca-militancy[xlsx]'",
                EXIT_MISSING_EXTRA,
            ) from exc
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise CliError(
            f"--out {out} is not a directory (export writes one file per table)", EXIT_USAGE
        )
    if args.format == "xlsx":
        targets = {None: out / f"ca-militancy-{ds.version or __version__}.xlsx"}
    else:
        targets = {name: out / f"{name}.{args.format}" for name in names}
    existing = [p for p in targets.values() if p.exists()]
    if existing and not args.force:
        shown = ", ".join(p.name for p in existing)
        raise CliError(f"{out} already has {shown}; use --force to replace them")
    out.mkdir(parents=True, exist_ok=True)
    for name, path in targets.items():
        with _replaced_atomically(path) as part:
            _export_one(ds, args.format, names if name is None else [name], part)
    written = list(targets.values())
    if args.json:
        _print_json([str(p) for p in written])
    else:
        for path in written:
            print(path)
    return EXIT_OK


@contextmanager
def _replaced_atomically(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path`` that replaces it only when the writing succeeded, so
    that an interrupted export leaves no half-written file."""
    part = path.with_name(f".{path.name}.part")
    try:
        yield part
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)


def _export_one(ds: Dataset, fmt: str, names: list[str], path: Path) -> None:
    """Write ``names`` to ``path``: one table as Parquet or CSV, or all as sheets of an xlsx."""
    if fmt == "parquet":
        import pyarrow.parquet as pq

        pq.write_table(ds.arrow(names[0]), path)
    elif fmt == "csv":
        _write_csv(ds.load(names[0]), path)
    else:
        import pandas as pd

        with pd.ExcelWriter(path, engine="openpyxl") as writer:
            for name in names:
                df = ds.load(name)
                for col in df.columns:  # Excel has no categories: write the labels
                    if isinstance(df[col].dtype, pd.CategoricalDtype):
                        df[col] = df[col].astype(object)
                df.to_excel(writer, sheet_name=name[:31], index=False)


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    """CSV as the curated files write it: ISO dates, true/false, empty cells for missing."""
    import pandas as pd

    out = df.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.BooleanDtype):
            out[col] = out[col].map({True: "true", False: "false"}).astype(object)
    out.to_csv(path, index=False, date_format="%Y-%m-%d", na_rep="", lineterminator="\n")


def cmd_validate(args: argparse.Namespace) -> int:
    ds = _dataset(args)
    descriptor = ds.root / "datapackage.json"
    if not descriptor.is_file():
        raise CliError(f"no datapackage.json in {ds.root}", EXIT_NOT_FOUND)
    try:
        import frictionless
    except ImportError as exc:
        raise CliError(
            "validate needs frictionless: pip install 'ca-militancy[validate]'",
            EXIT_MISSING_EXTRA,
        ) from exc
    report = frictionless.validate(str(descriptor))
    errors = []
    for task in report.tasks:
        for err in task.errors:
            errors.append(
                {
                    "resource": task.name,
                    "row": getattr(err, "row_number", None),
                    "field": getattr(err, "field_name", None),
                    "type": err.type,
                    "message": err.message,
                }
            )
    for err in report.errors:  # package-level (descriptor) errors
        errors.append(
            {"resource": None, "row": None, "field": None, "type": err.type, "message": err.message}
        )
    if args.json:
        _print_json({"valid": report.valid, "descriptor": str(descriptor), "errors": errors})
    elif report.valid:
        rows = sum(int(t.stats.get("rows") or 0) for t in report.tasks)
        print(f"valid: {descriptor} ({len(report.tasks)} resources, {rows} rows)")
    else:
        print(f"INVALID: {descriptor} ({len(errors)} error(s))")
        for e in errors[:50]:
            place = ":".join(str(x) for x in (e["resource"], e["row"], e["field"]) if x is not None)
            print(f"  {place}: {e['type']}: {e['message']}")
    return EXIT_OK if report.valid else EXIT_ERROR


def cmd_version(args: argparse.Namespace) -> int:
    info: dict[str, Any] = {"package": __version__}
    try:
        ds = _dataset(args)
        info.update(data=ds.version or __version__, data_dir=str(ds.root))
    except FileNotFoundError as exc:
        info.update(data=None, data_dir=None, problem=str(exc))
    if args.json:
        _print_json(info)
    else:
        print(f"ca-militancy {info['package']}")
        if info.get("data_dir"):
            print(f"data {info['data']} in {info['data_dir']}")
        else:
            print(f"no data: {info['problem']}")
    return EXIT_OK


# ---- browse: the SQLite edition in Datasette (needs the [browse] extra) ---------------------


def cmd_browse(args: argparse.Namespace) -> int:
    from ca_militancy.reader.browse import sqlite_path

    try:
        import datasette  # noqa: F401
    except ImportError:
        raise CliError(
            "browse needs Datasette, which is not installed: "
            "pip install 'ca-militancy[browse]' (or pip install datasette)",
            EXIT_MISSING_EXTRA,
        ) from None
    from ca_militancy.core.edition import SERVED_NAME
    from ca_militancy.reader.browse import serve

    try:
        path = Path(args.sqlite) if args.sqlite else sqlite_path()
    except FileNotFoundError as exc:
        raise CliError(str(exc), EXIT_NOT_FOUND) from None
    if not path.is_file():
        raise CliError(f"no SQLite file at {path}", EXIT_NOT_FOUND)
    if args.open:
        import threading
        import webbrowser

        url = f"http://{args.host}:{args.port}/{SERVED_NAME}"
        threading.Timer(1.5, webbrowser.open, args=(url,)).start()
    serve(path, host=args.host, port=args.port)
    return EXIT_OK


def _add_browse(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "browse",
        parents=[common],
        help="browse the SQLite edition in Datasette (search, links between rows, views)",
    )
    p.add_argument(
        "sqlite", nargs="?", help="a SQLite edition file (default: the installed or built one)"
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    p.add_argument("--port", type=int, default=8001, help="port to listen on (8001)")
    p.add_argument("--open", action="store_true", help="also open it in the web browser")
    p.set_defaults(func=cmd_browse)


# ==== end browse ====


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="ca-militancy",
        description="Central Asian militancy dataset: tables, lookup, citations, export.",
        epilog=(
            "exit codes: 0 ok, 1 invalid or unreadable data, 2 usage, 3 not found, "
            "4 optional dependency missing, 5 download failed, 130 interrupted"
        ),
    )
    parser.add_argument(
        "--data",
        metavar="DIR",
        help="read the data in DIR (default: the installed package's, or $CA_MILITANCY_DATA)",
    )
    parser.add_argument(
        "--release", metavar="VERSION", help="use release VERSION (downloaded, verified and cached)"
    )
    parser.add_argument(
        "--refetch",
        action="store_true",
        help="with --release: discard the cached copy of VERSION and make it again (the repair "
        "when a cached copy is refused as changed)",
    )
    common = _Parser(add_help=False)
    common.add_argument("--json", action="store_true", help="machine-readable JSON output")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("tables", parents=[common], help="tables with row counts and descriptions")
    p.set_defaults(func=cmd_tables)

    p = sub.add_parser("show", parents=[common], help="a table, or one record by its id")
    p.add_argument("table")
    p.add_argument("id", nargs="?")
    p.add_argument(
        "--limit",
        type=_bounded_int(0),
        default=SHOW_LIMIT,
        help=f"rows to show (default {SHOW_LIMIT}; 0: all)",
    )
    p.set_defaults(func=cmd_show)

    p = sub.add_parser(
        "lookup", parents=[common], help="find organizations, people and places by any spelling"
    )
    p.add_argument("name", nargs="+")
    p.add_argument("--limit", type=_bounded_int(1), default=10, help="most matches (default 10)")
    p.add_argument(
        "--min-score", type=_score, default=70.0, help="lowest similarity, 0-100 (default 70)"
    )
    p.add_argument("--type", choices=["organization", "person", "place"])
    p.set_defaults(func=cmd_lookup)

    p = sub.add_parser("cite", parents=[common], help="the excerpts and sources behind a record")
    p.add_argument("table")
    p.add_argument("id")
    p.add_argument(
        "--by-field", action="store_true", help="each fact field with the excerpts behind it"
    )
    p.set_defaults(func=cmd_cite)

    p = sub.add_parser("export", parents=[common], help="write the tables as csv, parquet or xlsx")
    p.add_argument("--format", choices=["csv", "parquet", "xlsx"], required=True)
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--tables", nargs="+", metavar="TABLE", help="only these tables")
    p.add_argument("--force", action="store_true", help="replace files that already exist")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser(
        "validate", parents=[common], help="validate the installed data with frictionless"
    )
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("version", parents=[common], help="package and data versions")
    p.set_defaults(func=cmd_version)

    _add_browse(sub, common)
    return parser


def _run(func: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    from ca_militancy.reader.errors import (
        DataNotFoundError,
        FetchError,
        NotCitedError,
        UnknownIdError,
        UnknownTableError,
    )

    as_json = getattr(args, "json", False)
    try:
        return func(args)
    except CliError as exc:
        return _report_error(str(exc), exc.code, as_json)
    except (UnknownTableError, UnknownIdError, DataNotFoundError) as exc:
        return _report_error(str(exc), EXIT_NOT_FOUND, as_json)
    except FetchError as exc:
        return _report_error(str(exc), EXIT_FETCH, as_json)
    except NotCitedError as exc:
        return _report_error(str(exc), EXIT_USAGE, as_json)
    except ValueError as exc:
        return _report_error(str(exc), EXIT_ERROR, as_json)
    except KeyboardInterrupt:
        return _report_error("interrupted", EXIT_INTERRUPTED, as_json)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    _Parser.json_errors = "--json" in (sys.argv[1:] if argv is None else argv)
    try:
        args = parser.parse_args(argv)
        if args.refetch and not args.release:
            parser.error("--refetch needs --release VERSION: it repairs a fetched release's cache")
        return _run(args.func, args)
    except BrokenPipeError:
        # The reader closed the pipe (`ca-militancy show incidents | head`): not an error.
        silence_stdout()
        return 0
    finally:
        _Parser.json_errors = False


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
