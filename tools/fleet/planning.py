"""The change plan (`tools.plan --json`, issue 11) behind a small adapter: what `up` would change on
a stack, and which changes the plan refuses."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.fleet.stacks import ROOT

PLAN_BLOCKED = 3  # tools.plan: a stateful resource would be replaced or deleted


@dataclass(frozen=True)
class PlannedChange:
    """One resource change as `tools.plan --json` reports it."""

    urn: str
    type: str
    action: str
    stateful: bool
    disruptive: bool
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Plan:
    """What `up` would change on a stack, and which changes the plan refuses."""

    changes: tuple[PlannedChange, ...]
    blocked: tuple[str, ...] = ()
    modeled_seconds: float = 0
    first_deploy: bool = False
    """Nothing of the stack is deployed at the plan's base: every change creates."""

    @property
    def disruptive(self) -> tuple[PlannedChange, ...]:
        return tuple(c for c in self.changes if c.disruptive)

    @property
    def calm(self) -> tuple[PlannedChange, ...]:
        return tuple(c for c in self.changes if not c.disruptive)


class PlanError(Exception):
    """The plan could not be computed (bad config, broken program, plan tool missing); `problems`
    holds one line each."""

    def __init__(self, message: str, problems: Sequence[str] | None = None):
        super().__init__(message)
        self.problems = [x for x in (problems if problems is not None else message.splitlines()) if x.strip()]


Planner = Callable[[str, str | None], Plan]


def parse_plan(doc: Any) -> Plan:
    """The `tools.plan --json` document as a Plan; raises PlanError on anything else."""
    try:
        changes = tuple(
            PlannedChange(
                urn=str(c["urn"]),
                type=str(c["type"]),
                action=str(c["action"]),
                stateful=bool(c["stateful"]),
                disruptive=bool(c["disruptive"]),
                reasons=tuple(str(r) for r in c.get("reasons") or ()),
            )
            for c in doc["changes"]
        )
        return Plan(
            changes,
            tuple(str(u) for u in doc.get("blocked") or ()),
            float(doc.get("modeled_seconds") or 0),
            bool(doc.get("first_deploy", False)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise PlanError(f"the change plan's JSON is not what the fleet expects: {exc!r}") from exc


def subprocess_planner(root: Path = ROOT, python: str = sys.executable) -> Planner:
    """Runs `<python> -m tools.plan --stack S --json [--base REF]` in `root`."""

    def plan(stack: str, base: str | None) -> Plan:
        argv = [python, "-m", "tools.plan", "--stack", stack, "--json"]
        if base:
            argv += ["--base", base]
        try:
            done = subprocess.run(argv, cwd=root, capture_output=True, text=True, check=False)
        except OSError as exc:
            raise PlanError(f"cannot run tools.plan: {exc}") from exc
        if done.returncode == 2:
            lines = [x for x in done.stderr.splitlines() if x.strip() and " note: " not in x]
            raise PlanError("configuration error:\n" + "\n".join(lines), lines)
        if done.returncode not in (0, PLAN_BLOCKED):
            tail = (done.stderr.strip() or done.stdout.strip()).splitlines()[-5:]
            raise PlanError(f"tools.plan exited {done.returncode}: " + " | ".join(tail))
        try:
            return parse_plan(json.loads(done.stdout))
        except json.JSONDecodeError as exc:
            raise PlanError(f"tools.plan printed no JSON: {exc}") from exc

    return plan
