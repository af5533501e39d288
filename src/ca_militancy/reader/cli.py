"""The `ca-militancy` command (also `python -m ca_militancy`).

Why these conventions: people read tables, scripts read JSON (`--json` on every command);
exit codes tell a script what went wrong without parsing text, and every message names the
thing that was not found and what would have been accepted. Heavy imports (pandas, pyarrow,
frictionless) happen inside the commands, so `--help` and `version` stay fast.

Exit codes: 0 ok; 1 the data failed validation or could not be read; 2 usage error;
3 not found (table, id, name, data); 4 an optional dependency is missing; 5 a download failed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ca_militancy.__about__ import __version__
from ca_militancy.core.pipes import silence_stdout

if TYPE_CHECKING:
    import pandas as pd

    from ca_militancy.reader.loader import Dataset

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_NOT_FOUND, EXIT_MISSING_EXTRA, EXIT_FETCH = 0, 1, 2, 3, 4, 5
SHOW_LIMIT = 20
MAX_COLWIDTH = 40


class CliError(Exception):
    """An error with its exit code; main() prints the message to stderr."""

    def __init__(self, message: str, code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.code = code


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

        return fetch(args.release)
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
                f"no organization or person matches {text!r} (score >= {args.min_score:g})",
                file=sys.stderr,
            )
        return EXIT_NOT_FOUND
    return EXIT_OK


def cmd_cite(args: argparse.Namespace) -> int:
    ds = _dataset(args)
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
    return EXIT_OK


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
    out.mkdir(parents=True, exist_ok=True)
    written = []
    if args.format == "parquet":
        import pyarrow.parquet as pq

        for name in names:
            path = out / f"{name}.parquet"
            pq.write_table(ds.arrow(name), path)
            written.append(path)
    elif args.format == "csv":
        for name in names:
            path = out / f"{name}.csv"
            _write_csv(ds.load(name), path)
            written.append(path)
    else:
        import pandas as pd

        path = out / f"ca-militancy-{ds.version or __version__}.xlsx"
        with pd.ExcelWriter(path, engine="openpyxl") as writer:
            for name in names:
                df = ds.load(name)
                for col in df.columns:  # Excel has no categories: write the labels
                    if isinstance(df[col].dtype, pd.CategoricalDtype):
                        df[col] = df[col].astype(object)
                df.to_excel(writer, sheet_name=name[:31], index=False)
        written.append(path)
    if args.json:
        _print_json([str(p) for p in written])
    else:
        for path in written:
            print(path)
    return EXIT_OK


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
    parser = argparse.ArgumentParser(
        prog="ca-militancy",
        description="Central Asian militancy dataset: tables, lookup, citations, export.",
        epilog=(
            "exit codes: 0 ok, 1 invalid or unreadable data, 2 usage, 3 not found, "
            "4 optional dependency missing, 5 download failed"
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
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="machine-readable JSON output")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("tables", parents=[common], help="tables with row counts and descriptions")
    p.set_defaults(func=cmd_tables)

    p = sub.add_parser("show", parents=[common], help="a table, or one record by its id")
    p.add_argument("table")
    p.add_argument("id", nargs="?")
    p.add_argument(
        "--limit", type=int, default=SHOW_LIMIT, help=f"rows to show (default {SHOW_LIMIT}; 0: all)"
    )
    p.set_defaults(func=cmd_show)

    p = sub.add_parser(
        "lookup", parents=[common], help="find organizations and people by any spelling"
    )
    p.add_argument("name", nargs="+")
    p.add_argument("--limit", type=int, default=10)
    p.add_argument("--min-score", type=float, default=70.0)
    p.add_argument("--type", choices=["organization", "person"])
    p.set_defaults(func=cmd_lookup)

    p = sub.add_parser("cite", parents=[common], help="the excerpts and sources behind a record")
    p.add_argument("table")
    p.add_argument("id")
    p.set_defaults(func=cmd_cite)

    p = sub.add_parser("export", parents=[common], help="write the tables as csv, parquet or xlsx")
    p.add_argument("--format", choices=["csv", "parquet", "xlsx"], required=True)
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--tables", nargs="+", metavar="TABLE", help="only these tables")
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

    try:
        return func(args)
    except CliError as exc:
        print(f"ca-militancy: {exc}", file=sys.stderr)
        return exc.code
    except (UnknownTableError, UnknownIdError, DataNotFoundError) as exc:
        print(f"ca-militancy: {exc}", file=sys.stderr)
        return EXIT_NOT_FOUND
    except FetchError as exc:
        print(f"ca-militancy: {exc}", file=sys.stderr)
        return EXIT_FETCH
    except (NotCitedError, ValueError) as exc:
        print(f"ca-militancy: {exc}", file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, NotCitedError) else EXIT_ERROR


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _run(args.func, args)
    except BrokenPipeError:
        # The reader closed the pipe (`ca-militancy show incidents | head`): not an error.
        silence_stdout()
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
