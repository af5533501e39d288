"""The curator's tools, as one command: ``python scripts/curate.py sheet|corrections|coverage``.

``sheet SOURCE`` prints a source's reader's sheet (:mod:`ca_militancy.build.reader_sheet`);
``corrections OLD`` drafts the corrections log against the previous release
(:mod:`ca_militancy.build.corrections`); ``coverage [SOURCE ...]`` reports which lines of the
archived texts are cited and which naming an entity are neither cited nor omitted
(:mod:`ca_militancy.build.coverage`).
"""

from __future__ import annotations

import sys

from ca_militancy.build import corrections, coverage, reader_sheet

COMMANDS = {
    "sheet": reader_sheet.main,
    "corrections": corrections.main,
    "coverage": coverage.main,
}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] not in COMMANDS:
        print(f"usage: scripts/curate.py {{{','.join(COMMANDS)}}} ...", file=sys.stderr)
        return 2
    return COMMANDS[args[0]](args[1:])
