"""The Automation API behind a small adapter: one engine operation on one stack."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from tools.fleet.stacks import ROOT


@dataclass(frozen=True)
class Outcome:
    """What one engine operation reported: resource operation counts (`same` excluded)."""

    changes: dict[str, int]


class Workspace(Protocol):
    """Runs one engine operation on one stack; raises on failure. Output lines go to `on_output`."""

    def run(
        self,
        stack: str,
        command: str,
        on_output: Callable[[str], None],
        preview_only: bool = False,
        targets: Sequence[str] = (),
    ) -> Outcome: ...


def _counts(summary: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for op, n in dict(summary or {}).items():
        name = getattr(op, "value", op)
        if name != "same" and n:
            out[str(name)] = int(n)
    return out


class AutomationWorkspace:
    """The real thing: `pulumi.automation` over the project directory (needs the Pulumi CLI)."""

    def __init__(self, root: Path = ROOT, org: str | None = None, policy_pack: Path | None = ROOT / "policies"):
        self.root, self.org, self.policy_pack = root, org, policy_pack

    def run(
        self,
        stack: str,
        command: str,
        on_output: Callable[[str], None],
        preview_only: bool = False,
        targets: Sequence[str] = (),
    ) -> Outcome:
        from pulumi import automation as auto

        name = f"{self.org}/{stack}" if self.org else stack
        handle = auto.select_stack(stack_name=name, work_dir=str(self.root))
        packs = [str(self.policy_pack)] if self.policy_pack else None
        common: dict[str, Any] = {"on_output": on_output, "color": "never"}
        if command == "preview":
            return Outcome(_counts(handle.preview(policy_packs=packs, diff=True, **common).change_summary))
        if command == "up":
            result = handle.up(policy_packs=packs, diff=True, target=list(targets) or None, **common)
            return Outcome(_counts(result.summary.resource_changes))
        if command == "refresh" and preview_only:
            return Outcome(_counts(handle.preview_refresh(**common).change_summary))
        if command == "refresh":
            return Outcome(_counts(handle.refresh(**common).summary.resource_changes))
        raise ValueError(f"unknown command {command}")
