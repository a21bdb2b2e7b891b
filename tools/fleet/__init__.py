"""Fleet runner: `pulumi preview|up|refresh` over many stacks through Pulumi's Automation API.

`venv/bin/python -m tools.fleet` (tools/fleet/cli.py; see docs/fleet.md). One module per concern:
`stacks` (the stack files and what the fleet reads from them), `planning` (the change plan,
`tools.plan --json`, behind an adapter), `schedule` (whether a stack runs now: its plan, its
maintenance window, the time; pure), `workspace` (the Automation API behind an adapter), `runner`
(many stacks at a time, logs, progress, the summary table), `cli` (the command line).

The names tests and tools use are re-exported here (`from tools import fleet; fleet.decide(...)`).
"""

from components import maintenance_window as mw
from tools.fleet.cli import (
    COMMANDS,
    EPILOG,
    EXIT_DEFERRED,
    EXIT_DRIFT,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    build_parser,
    main,
    parse_now,
)
from tools.fleet.planning import PLAN_BLOCKED, Plan, PlanError, PlannedChange, Planner, parse_plan, subprocess_planner
from tools.fleet.runner import Job, Progress, StackResult, describe_changes, run_jobs, table
from tools.fleet.schedule import Decision, decide
from tools.fleet.stacks import NS, ROOT, StackConfigError, StackInfo, read_stack, stack_names
from tools.fleet.workspace import AutomationWorkspace, Outcome, Workspace

__all__ = [
    "COMMANDS",
    "EPILOG",
    "EXIT_DEFERRED",
    "EXIT_DRIFT",
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_USAGE",
    "NS",
    "PLAN_BLOCKED",
    "ROOT",
    "AutomationWorkspace",
    "Decision",
    "Job",
    "Outcome",
    "Plan",
    "PlanError",
    "PlannedChange",
    "Planner",
    "Progress",
    "StackConfigError",
    "StackInfo",
    "StackResult",
    "Workspace",
    "build_parser",
    "decide",
    "describe_changes",
    "main",
    "mw",
    "parse_now",
    "parse_plan",
    "read_stack",
    "run_jobs",
    "stack_names",
    "subprocess_planner",
    "table",
]
