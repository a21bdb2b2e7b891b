"""The fleet's stacks: every `Pulumi.<stack>.yaml` of the repository, and what the fleet reads from
each (account, region, maintenance window, required secrets not set yet)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from components import maintenance_window as mw
from components.settings import maintenance
from components.settings import secrets as required_secrets
from components.settings.reader import Problems
from tools import stackconfig
from tools.projectconfig import ProjectConfigError

ROOT = stackconfig.ROOT
NS = "clickhouse-byoc"


def stack_names(root: Path = ROOT) -> list[str]:
    """Every stack of the repository: the `<stack>` of each `Pulumi.<stack>.yaml`."""
    return sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in root.glob("Pulumi.*.yaml"))


@dataclass(frozen=True)
class StackInfo:
    """What the fleet needs from a stack's file: where it deploys and its maintenance window."""

    stack: str
    account: str
    region: str
    window: mw.MaintenanceWindow | None
    missing_secrets: tuple[required_secrets.RequiredSecret, ...] = ()
    """Required secrets the file does not set yet: `pulumi preview` and `up` would refuse it."""

    def refusal(self) -> str | None:
        """One line when the stack cannot be previewed or deployed yet; None when it can."""
        if not self.missing_secrets:
            return None
        paths = ", ".join(s.path for s in self.missing_secrets)
        commands = "; ".join(s.set_command(self.stack) for s in self.missing_secrets)
        return (
            f"{paths} not set in Pulumi.{self.stack}.yaml: `pulumi up` would refuse the stack; set it "
            f"(`pulumi stack init {self.stack}` once, then `{commands}`, which asks for the value) and commit the file"
        )


class StackConfigError(Exception):
    """A stack file the fleet cannot read, or a bad `maintenanceWindow`; one line per problem."""

    def __init__(self, problems: Sequence[str]):
        self.problems = [line for p in problems for line in str(p).splitlines() if line.strip()]
        super().__init__("\n".join(self.problems))


def read_stack(stack: str, root: Path = ROOT) -> StackInfo:
    path = root / f"Pulumi.{stack}.yaml"
    try:
        cfg = stackconfig.load(path, project_file=root / "Pulumi.yaml", stack=stack)
    except stackconfig.StackFileError as exc:
        # Each line names the file already.
        raise StackConfigError(exc.problems) from exc
    except ProjectConfigError as exc:
        raise StackConfigError([f"{path.name}: {p}" for p in exc.problems]) from exc
    except (OSError, ValueError, KeyError) as exc:
        raise StackConfigError([f"{path.name}: cannot read it: {' '.join(str(exc).split())}"]) from exc
    problems = Problems(frozenset())
    window = maintenance.parse(cfg.raw, problems)
    if problems.lines:
        raise StackConfigError(problems.lines)
    return StackInfo(
        stack,
        cfg.raw.get(f"{NS}:accountId", "?"),
        cfg.raw.get("aws:region", "?"),
        window,
        tuple(required_secrets.missing(cfg.raw)),
    )
