"""Offline change plan: what `pulumi up` would create, update, replace, delete or forget.

`venv/bin/python -m tools.plan` (tools/plan/cli.py; see docs/change-plan.md). One module per step:

- `synthesis`: the two sides, the base (a git ref, synthesized by that revision's own `tools.synth`
  in a temporary copy) and now; `compat` upgrades a base from before input-derived ids;
- `diffing`: pairs the records by URN or alias and turns input differences into changes (secret
  inputs compared by digest, `secret_inputs`; a replace carried on to its consumers, `knockon`);
- `classify`: the vendored replace-on-change table (`tools/data/replace-on-change.json`), what
  Kubernetes refuses, statefulness, disruption;
- `model`: the modeled durations and the critical path;
- `render`: text, Markdown and JSON; `costdiff`: the cost delta by layer;
- `changes`: the Change and Plan types and the resource types the plan singles out.

The names tests and tools use are re-exported here (`from tools import plan; plan.diff(...)`).
"""

from tools.plan.changes import (
    ACTIONS,
    CERTIFICATE,
    CHI,
    CHK,
    EKS_CLUSTER,
    HELM_RELEASE,
    NODE_GROUP,
    OPERATOR_CHART,
    ROLLS,
    STATEFUL_TYPES,
    Change,
    Plan,
    is_component,
)
from tools.plan.classify import TABLE_FILE, load_table, quantity_bytes, shrinks, uncovered_types
from tools.plan.cli import EPILOG, EXIT_BLOCKED, EXIT_CONFIG, EXIT_FAILURE, main
from tools.plan.diffing import SECRET, diff, first_deploy_plan
from tools.plan.model import (
    ADDON_SECONDS,
    CHART_SECONDS,
    DEFAULT_SECONDS,
    SECONDS,
    _duration,
    critical_path,
    first_deploy,
    modeled_seconds,
)
from tools.plan.render import render_first_deploy, render_markdown, render_text, summary_line
from tools.plan.synthesis import BaseError, default_base, synth_at_ref, synth_now

__all__ = [
    "ACTIONS",
    "ADDON_SECONDS",
    "CERTIFICATE",
    "CHART_SECONDS",
    "CHI",
    "CHK",
    "DEFAULT_SECONDS",
    "EKS_CLUSTER",
    "EPILOG",
    "EXIT_BLOCKED",
    "EXIT_CONFIG",
    "EXIT_FAILURE",
    "HELM_RELEASE",
    "NODE_GROUP",
    "OPERATOR_CHART",
    "ROLLS",
    "SECONDS",
    "SECRET",
    "STATEFUL_TYPES",
    "TABLE_FILE",
    "BaseError",
    "Change",
    "Plan",
    "_duration",
    "critical_path",
    "default_base",
    "diff",
    "first_deploy",
    "first_deploy_plan",
    "is_component",
    "load_table",
    "main",
    "modeled_seconds",
    "quantity_bytes",
    "render_first_deploy",
    "render_markdown",
    "render_text",
    "shrinks",
    "summary_line",
    "synth_at_ref",
    "synth_now",
    "uncovered_types",
]
