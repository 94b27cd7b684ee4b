"""`python -m kpisite ...`: the same as the `kpisite` command."""
import sys

from .cli import main

sys.exit(main())
