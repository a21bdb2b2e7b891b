"""Scheduling, pure: whether `up` runs a stack now, given its plan, its maintenance window and
the time."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from components import maintenance_window as mw
from tools.fleet.planning import Plan, PlannedChange


@dataclass(frozen=True)
class Decision:
    """What `up` does with a stack now."""

    stack: str
    decision: str
    """`run`, `defer` (disruptive changes wait for the window) or `skip` (nothing to do, or blocked)."""
    disruptive: bool
    """Whether what runs now (or what waits) includes disruptive changes."""
    reason: str
    next_window_start: str | None
    """ISO 8601 with the window zone's UTC offset; None for a stack without a window."""
    targets: tuple[str, ...] = ()
    """When only part of the plan runs now: the URNs that do (`pulumi up --target`)."""
    security_fix: bool = False
    """Disruptive changes applied outside the window because `--security-fix` said so."""
    blocked: bool = False
    """The plan refuses a change (a stateful resource replaced or deleted)."""

    def as_json(self) -> dict[str, Any]:
        doc = {k: v for k, v in asdict(self).items() if k not in ("targets", "security_fix", "blocked")}
        if self.targets:
            doc["targets"] = list(self.targets)
        if self.security_fix:
            doc["security_fix"] = True
        return doc


def _count(changes: Sequence[PlannedChange], kind: str = "") -> str:
    n = len(changes)
    return f"{n} {kind + ' ' if kind else ''}change{'s' if n != 1 else ''}"


def decide(
    stack: str,
    plan: Plan,
    window: mw.MaintenanceWindow | None,
    now: datetime.datetime,
    security_fix: bool = False,
) -> Decision:
    """Whether `up` runs a stack now, given its plan, its window and the time."""
    upcoming = mw.local_iso(window, mw.next_opening(window, now)) if window else None
    if plan.blocked:
        return Decision(
            stack,
            "skip",
            bool(plan.disruptive),
            f"blocked: the plan would replace or delete stateful {', '.join(plan.blocked)}; "
            "the fleet never does that, deploy it by hand with the plan's explicit opt-in",
            upcoming,
            blocked=True,
        )
    if not plan.changes:
        return Decision(stack, "skip", False, "no changes", upcoming)
    if plan.first_deploy and all(c.action == "create" for c in plan.changes):
        # Nothing runs yet that a change could disrupt: the window does not apply.
        return Decision(
            stack,
            "run",
            False,
            f"first deploy: {_count(plan.changes)} (all creates), nothing to disrupt: any time",
            upcoming,
        )
    disruptive, calm = plan.disruptive, plan.calm
    if not disruptive:
        return Decision(stack, "run", False, f"{_count(calm)}, none disruptive: any time", upcoming)
    if window is None:
        return Decision(
            stack, "run", True, f"{_count(disruptive, 'disruptive')}; no maintenance window: any time", upcoming
        )
    opens, closes = mw.current_or_next(window, now)
    if opens <= now.astimezone(datetime.UTC):
        return Decision(
            stack,
            "run",
            True,
            f"{_count(disruptive, 'disruptive')}, inside the window ({window.describe()}) "
            f"until {mw.local_iso(window, closes)}",
            upcoming,
        )
    if security_fix:
        return Decision(
            stack,
            "run",
            True,
            f"SECURITY FIX: {_count(disruptive, 'disruptive')} applied OUTSIDE the window ({window.describe()}, "
            f"next {mw.local_iso(window, opens)})",
            upcoming,
            security_fix=True,
        )
    if calm:
        return Decision(
            stack,
            "run",
            False,
            f"{_count(calm, 'non-disruptive')} now; {_count(disruptive, 'disruptive')} deferred to the window "
            f"at {mw.local_iso(window, opens)}",
            mw.local_iso(window, opens),
            targets=tuple(c.urn for c in calm),
        )
    return Decision(
        stack,
        "defer",
        True,
        f"{_count(disruptive, 'disruptive')}; outside the window ({window.describe()})",
        mw.local_iso(window, opens),
    )
