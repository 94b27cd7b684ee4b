"""Entry point: `python build.py [build|check|serve|new|bundle|diff] ...` (see README)."""
from kpisite.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
