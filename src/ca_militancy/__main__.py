"""`python -m ca_militancy`: the same command line as `ca-militancy`."""

import sys

from ca_militancy.reader.cli import main

sys.exit(main())
