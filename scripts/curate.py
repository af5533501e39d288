#!/usr/bin/env python3
"""The curator's tools: a source's reader's sheet, and the corrections log.

python scripts/curate.py sheet src-003
python scripts/curate.py corrections ../ca-militancy-last --reasons reasons.tsv
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from ca_militancy.build.curate import main

sys.exit(main())
