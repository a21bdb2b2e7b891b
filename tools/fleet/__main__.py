"""`venv/bin/python -m tools.fleet`: the fleet runner's command line (tools/fleet/cli.py)."""

import sys

from tools.fleet.cli import main

if __name__ == "__main__":
    sys.exit(main())
