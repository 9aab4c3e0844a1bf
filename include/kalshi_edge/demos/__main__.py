"""`python -m kalshi_edge.demos` = `make demo`."""

import sys

from kalshi_edge.demos.run import main

sys.exit(main())
