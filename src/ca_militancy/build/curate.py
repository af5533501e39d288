"""The curator's tools, as one command: ``python scripts/curate.py sheet|corrections|coverage``.

``sheet SOURCE`` prints a source's reader's sheet (:mod:`ca_militancy.build.reader_sheet`);
``corrections OLD`` drafts the corrections log against the previous release
(:mod:`ca_militancy.build.corrections`); ``coverage [SOURCE ...]`` reports which lines of the
archived texts are cited and which naming an entity are neither cited nor omitted
(:mod:`ca_militancy.build.coverage`).
"""

from __future__ import annotations

import sys

from ca_militancy.build import corrections, reader_sheet
from ca_militancy.core.catalog import REPO_ROOT


def coverage_main(argv: list[str] | None = None) -> int:
    """``scripts/curate.py coverage [SOURCE ...]``: the coverage table and, for the sources
    named (all by default), every line naming an entity that is neither cited nor omitted."""
    import argparse
    from pathlib import Path

    from ca_militancy.build.checks import check_repository
    from ca_militancy.build.coverage import coverage_markdown
    from ca_militancy.build.provenance import sources_dir_from_env

    parser = argparse.ArgumentParser(
        prog="scripts/curate.py coverage",
        description="How many lines of each archived text are cited, and which lines that "
        "name a known entity are neither cited nor listed in data/omissions.csv.",
    )
    parser.add_argument("source_ids", nargs="*", help="sources to report (default: all)")
    parser.add_argument("--root", type=Path, default=REPO_ROOT)
    parser.add_argument("--sources", type=Path, default=None,
                        help="the archived texts (default: $CA_MILITANCY_SOURCES)")  # fmt: skip
    args = parser.parse_args(argv)
    sources_dir = args.sources or sources_dir_from_env()
    if sources_dir is None:
        print("coverage needs the archived texts: set CA_MILITANCY_SOURCES or pass --sources",
              file=sys.stderr)  # fmt: skip
        return 2
    result = check_repository(args.root, sources_dir)
    if result.coverage is None:
        print(result.log.report(), file=sys.stderr)
        return 1
    wanted = set(args.source_ids)
    unknown = wanted - set(result.coverage)
    if unknown:
        print(f"unknown source(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    shown = {k: v for k, v in result.coverage.items() if not wanted or k in wanted}
    sys.stdout.write(coverage_markdown(shown))
    return 1 if any(c.unexplained for c in shown.values()) else 0


COMMANDS = {
    "sheet": reader_sheet.main,
    "corrections": corrections.main,
    "coverage": coverage_main,
}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] not in COMMANDS:
        print(f"usage: scripts/curate.py {{{','.join(COMMANDS)}}} ...", file=sys.stderr)
        return 2
    return COMMANDS[args[0]](args[1:])
