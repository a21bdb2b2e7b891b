"""The plan as text (the terminal), Markdown (the pull-request comment) and JSON (`--json`, what
the fleet reads)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from tools.plan import costdiff
from tools.plan.changes import ACTIONS, Change, Plan

_SYMBOL = {"create": "+", "update": "~", "replace": "+-", "delete": "-", "forget": "-~"}


def _minutes(seconds: int) -> str:
    return f"{seconds // 60}m{seconds % 60:02d}s"


def _name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def _flags(c: Change, allowed: set[str]) -> str:
    flags = []
    if c.stateful:
        flags.append("stateful")
    if c.disruptive:
        flags.append("disruptive")
    if c.blocked:
        flags.append("allowed" if c.urn in allowed and c.allowable else "BLOCKED")
    return f" [{', '.join(flags)}]" if flags else ""


def _created_by_type(plan: Plan) -> list[tuple[str, int, int]]:
    """A first deploy's creates as (type, count, stateful count), by type."""
    counts: dict[str, list[int]] = {}
    for c in plan.changes:
        entry = counts.setdefault(c.type, [0, 0])
        entry[0] += 1
        entry[1] += int(c.stateful)
    return [(t, n, s) for t, (n, s) in sorted(counts.items())]


def render_text(plan: Plan, allowed: Iterable[str] = ()) -> str:
    allowed = set(allowed)
    lines = []
    if plan.first_deploy:
        lines.append("first deploy: nothing is deployed at the base; every resource is created")
        for typ, n, stateful in _created_by_type(plan):
            lines.append(f" + create  {typ} x{n}{f' [{stateful} stateful]' if stateful else ''}")
    else:
        for c in plan.changes:
            lines.append(f"{_SYMBOL[c.action]:>2} {c.action:<7} {c.type}  {_name(c.urn)}{_flags(c, allowed)}")
            lines += [f"      {reason}" for reason in c.reasons]
    lines.append(summary_line(plan))
    if plan.cost is not None:
        lines.append(costdiff.render_text(plan.cost))
    if plan.blocked:
        lines.append(
            f"blocked ({len(plan.blocked)}): allow a stateful replace or delete with --allow URN once you "
            "accept the loss; a change Kubernetes rejects must be changed instead:"
        )
        lines += [f"  {urn}" for urn in plan.blocked]
    return "\n".join(lines)


def summary_line(plan: Plan) -> str:
    counts = {a: sum(1 for c in plan.changes if c.action == a) for a in ACTIONS}
    parts = [f"{n} {a}" for a, n in counts.items() if n]
    disruptive = sum(1 for c in plan.changes if c.disruptive)
    renamed = f"; {len(plan.renamed)} renamed through aliases (unchanged)" if plan.renamed else ""
    what = "Plan (first deploy)" if plan.first_deploy else "Plan"
    return (
        f"{what}: {', '.join(parts) or 'no changes'}; {disruptive} disruptive; "
        f"modeled {_minutes(plan.modeled_seconds)}{renamed}"
    )


def render_markdown(plan: Plan, title: str, allowed: Iterable[str] = ()) -> str:
    allowed = set(allowed)
    out = [f"### {title}", "", summary_line(plan), ""]
    if plan.blocked:
        out += [
            f"**Blocked ({len(plan.blocked)})**: a stateful resource would be replaced or deleted, or Kubernetes "
            "rejects the change. Allow each with `--allow URN` only if the loss is intended.",
            "",
        ]
    if plan.cost is not None:
        out += [costdiff.render_markdown(plan.cost)]
    if plan.first_deploy:
        out += [
            "First deploy: nothing is deployed at the base; every resource is created.",
            "",
            "| type | create | stateful |",
            "|---|---:|---:|",
        ]
        out += [f"| `{t}` | {n} | {s or ''} |" for t, n, s in _created_by_type(plan)]
    elif plan.changes:
        out += ["| action | type | name | stateful | disruptive | why |", "|---|---|---|---|---|---|"]
        for c in plan.changes:
            why = "<br>".join(r.replace("|", "\\|") for r in c.reasons[:6])
            status = " (blocked)" if c.urn in plan.blocked else ""
            out.append(
                f"| {c.action}{status} | `{c.type}` | `{_name(c.urn)}` | {'yes' if c.stateful else ''} | "
                f"{'yes' if c.disruptive else ''} | {why} |"
            )
    return "\n".join(out) + "\n"


def render_first_deploy(total: int, chain: list[tuple[str, int]]) -> str:
    lines = [f"modeled first deploy: {_minutes(total)} ({total} s) along the critical path:"]
    elapsed = 0
    for urn, secs in chain:
        elapsed += secs
        typ = urn.rsplit("::", 2)[-2].rsplit("$", 1)[-1]
        lines.append(f"  {_minutes(elapsed):>8}  +{secs:>4} s  {typ}  {_name(urn)}")
    return "\n".join(lines)


def render_json(plan: Plan) -> str:
    return json.dumps(plan.as_json(), indent=2)


def render_first_deploy_json(total: int, chain: list[tuple[str, int]]) -> str:
    doc: dict[str, Any] = {"modeled_seconds": total, "critical_path": [{"urn": u, "seconds": s} for u, s in chain]}
    return json.dumps(doc)
