#!/usr/bin/env python3
"""Compare two releases: python scripts/diff.py OLD NEW [--json] (zips or directories).

All logic is in ca_militancy.build.diff; this script only makes the checkout's package
importable."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from ca_militancy.build.diff import main
from ca_militancy.core.pipes import silence_stdout

if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # output piped into `head`: not an error
        silence_stdout()
        sys.exit(0)
