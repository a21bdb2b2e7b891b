"""`venv/bin/python -m tools.plan`: the change plan's command line (tools/plan/cli.py)."""

import sys

from tools.plan.cli import main

if __name__ == "__main__":
    from tools.synth import _close_event_loop

    code = main()
    _close_event_loop()
    sys.exit(code)
