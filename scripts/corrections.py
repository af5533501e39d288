#!/usr/bin/env python3
"""Draft data/corrections.csv: every value changed and record removed since the last release.

All logic is in ca_militancy.build.corrections; this script only makes the checkout's own
package importable and hands over.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from ca_militancy.build.corrections import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
