#!/usr/bin/env python3
"""Build the dataset: check data/*.csv, write Parquet, datapackage.json, docs and dist/.

All logic is in ca_militancy.build.pipeline; this script only makes the checkout's own package
importable and hands over. Set CA_MILITANCY_SOURCES to the archived texts to check excerpts.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from ca_militancy.build.pipeline import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(root=ROOT))
