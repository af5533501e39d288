#!/usr/bin/env python3
"""Print one source's reader's sheet: every record citing it, in the order of its lines.

All logic is in ca_militancy.build.reader_sheet; this script only makes the checkout's own
package importable and hands over.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from ca_militancy.build.reader_sheet import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
