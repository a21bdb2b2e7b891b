"""Fleet runner: `pulumi preview|up|refresh` over many stacks through Pulumi's Automation API.

    venv/bin/python -m tools.fleet preview [--stacks a b] [--parallel 4]
    venv/bin/python -m tools.fleet up [--base origin/main] [--security-fix] [--now 2026-07-07T08:30:00Z]
    venv/bin/python -m tools.fleet up --dry-run [--json]
    venv/bin/python -m tools.fleet refresh --preview-only    # drift report, changes nothing

Stacks are the `Pulumi.<stack>.yaml` files of the repository (all of them unless `--stacks`).
`--parallel N` runs N at a time; each stack's engine output goes to `<log-dir>/<stack>.log`, a
progress display shows what runs (a line when each stack's plan and run starts and ends, with the
seconds it took), and a summary table (stack, result, changes, duration) ends the run, followed by
each problem once, one line each, naming its stack.

`up` asks the change plan (`venv/bin/python -m tools.plan --stack S --json [--base REF]`) what
would change first. Changes the plan marks disruptive run only inside the stack's
`maintenanceWindow`; outside it only the non-disruptive ones run (by target), the rest wait for the
next window. A stack with no window takes every change at any time. `--security-fix` applies
disruptive changes outside the window and says so loudly. A stack whose plan would replace or
delete a stateful resource is blocked: the fleet never deploys it (deploy it by hand with the
plan's explicit opt-in). A first deploy (the stack's file is not at the plan's base: every change
creates) disrupts nothing and runs at once. A stack whose file does not set a required secret yet
(`clickhouseCloud.externalId`) is refused for `preview` and `up`, naming the commands that set it.

Exit status: 0 every stack is done (deployed, or nothing to do); 1 a stack failed, was blocked or
refused, or could not be read or planned; 2 usage error; 4 `refresh --preview-only` found drift
and nothing failed; 5 `up` left disruptive changes for a later window and nothing failed (the
deploy workflow then does not record the commit as deployed, so its next run tries again).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol, TextIO

from components import maintenance_window as mw
from components.settings import maintenance
from components.settings import secrets as required_secrets
from components.settings.reader import Problems
from tools import stackconfig
from tools.projectconfig import ProjectConfigError

ROOT = stackconfig.ROOT
NS = "clickhouse-byoc"
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_DRIFT, EXIT_DEFERRED = 0, 1, 2, 4, 5
PLAN_BLOCKED = 3  # tools.plan: a stateful resource would be replaced or deleted
COMMANDS = ("preview", "up", "refresh")


# --- Stacks and their windows -----------------------------------------------------------------


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


# --- The change plan (tools.plan, issue 11), behind a small adapter ----------------------------


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


# --- Scheduling: pure ---------------------------------------------------------------------------


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


# --- The Automation API, behind a small adapter ------------------------------------------------


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


# --- Running many stacks ------------------------------------------------------------------------


@dataclass
class StackResult:
    """One row of the summary table."""

    stack: str
    result: str
    """ok, partial (the non-disruptive part ran, the rest waits for the window), drift, failed,
    blocked, deferred, unchanged, refused (a required secret is not set), or error (could not be
    read or planned)."""
    changes: str = ""
    duration: float | None = None
    log: Path | None = None
    detail: str = ""

    @property
    def failed(self) -> bool:
        return self.result in ("failed", "blocked", "error", "refused")


def describe_changes(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {op}" for op, n in sorted(counts.items())) or "none"


class Progress:
    """Live progress: on a terminal one status line redrawn in place, otherwise one line per event."""

    def __init__(self, total: int, stream: TextIO = sys.stderr, clock: Callable[[], float] = time.monotonic):
        self.total, self.stream, self.clock = total, stream, clock
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.running: dict[str, list[float]] = {}  # stack -> [started, lines]
        self.done = 0
        self.lock = threading.Lock()

    def _status(self) -> str:
        now = self.clock()
        parts = [f"{s} {now - st:.0f}s/{int(n)} lines" for s, (st, n) in sorted(self.running.items())]
        return f"[{self.done}/{self.total} done] " + ("running: " + ", ".join(parts) if parts else "")

    def _draw(self) -> None:
        if self.tty:
            self.stream.write("\r\x1b[2K" + self._status()[:200])
            self.stream.flush()

    def say(self, text: str) -> None:
        with self.lock:
            if self.tty:
                self.stream.write("\r\x1b[2K")
            self.stream.write(text + "\n")
            self._draw()
            self.stream.flush()

    def started(self, stack: str, what: str) -> None:
        with self.lock:
            self.running[stack] = [self.clock(), 0]
        self.say(f"{stack}: {what} started")

    def output(self, stack: str) -> None:
        with self.lock:
            if stack in self.running:
                self.running[stack][1] += 1
            self._draw()

    def finished(self, result: StackResult) -> None:
        with self.lock:
            self.running.pop(result.stack, None)
            self.done += 1
        took = f" in {result.duration:.0f}s" if result.duration is not None else ""
        self.say(f"{result.stack}: {result.result}{took} ({result.changes or 'no changes'})")


@dataclass
class Job:
    """One stack to run: its command, and the targets when only part of the plan runs now."""

    stack: str
    command: str
    preview_only: bool = False
    targets: tuple[str, ...] = ()
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def run_jobs(
    jobs: Iterable[Job],
    workspace: Workspace,
    parallel: int,
    log_dir: Path,
    progress: Progress,
    clock: Callable[[], float] = time.monotonic,
) -> list[StackResult]:
    """Runs each job through the workspace, `parallel` at a time; one log file per stack."""
    log_dir.mkdir(parents=True, exist_ok=True)

    def one(job: Job) -> StackResult:
        log = log_dir / f"{job.stack}.log"
        started = clock()
        what = "refresh --preview-only" if job.preview_only else job.command
        progress.started(job.stack, what + (f" (--target {len(job.targets)} resources)" if job.targets else ""))
        with log.open("w", encoding="utf-8") as out:
            out.write(f"# {what} {job.stack} {datetime.datetime.now(datetime.UTC).isoformat()}\n")
            if job.note:
                out.write(f"# {job.note}\n")

            def on_output(line: str) -> None:
                out.write(line if line.endswith("\n") else line + "\n")
                out.flush()
                progress.output(job.stack)

            try:
                outcome = workspace.run(job.stack, job.command, on_output, job.preview_only, job.targets)
            except Exception as exc:  # the engine's error is the stack's result, not the fleet's
                out.write(f"# failed: {exc}\n")
                result = StackResult(job.stack, "failed", "", clock() - started, log, str(exc).strip()[-500:])
            else:
                drifted = job.preview_only and bool(outcome.changes)
                status = "drift" if drifted else ("partial" if job.targets else "ok")
                result = StackResult(job.stack, status, describe_changes(outcome.changes), clock() - started, log)
        progress.finished(result)
        return result

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        return list(pool.map(one, list(jobs)))


def table(results: Sequence[StackResult], markdown: bool = False) -> str:
    rows = [
        (r.stack, r.result, r.changes or "-", f"{r.duration:.0f}s" if r.duration is not None else "-") for r in results
    ]
    head = ("stack", "result", "changes", "duration")
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "| --- | --- | --- | --- |"]
        return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])
    widths = [max(len(x) for x in col) for col in zip(head, *rows, strict=False)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join([fmt.format(*head), fmt.format(*("-" * w for w in widths))] + [fmt.format(*r) for r in rows])


# --- The command line ---------------------------------------------------------------------------


def parse_now(text: str | None) -> datetime.datetime:
    if text is None:
        return datetime.datetime.now(datetime.UTC)
    try:
        parsed = datetime.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--now {text}: not an ISO 8601 time; use e.g. 2026-07-07T08:30:00Z") from exc
    if parsed.utcoffset() is None:
        raise argparse.ArgumentTypeError(f"--now {text}: no UTC offset; add Z or e.g. -07:00")
    return parsed


EPILOG = """\
exit codes:
  0  every stack is done (deployed, or nothing to do)
  1  a stack failed, was blocked (a stateful replace or delete), was refused (a required secret
     such as clickhouseCloud.externalId is not set), or could not be read or planned
  2  usage error
  4  refresh --preview-only found drift and nothing failed
  5  up left disruptive changes for a later maintenance window and nothing failed

Progress goes to stderr, one line when each stack's plan and run starts and ends (with the seconds
it took); the summary table to stdout, then each problem once, one line each, naming its stack.

examples:
  venv/bin/python -m tools.fleet up --dry-run                       # what would run where, and when
  venv/bin/python -m tools.fleet up --dry-run --json --stacks acme-prod-usw2 --base origin/main
  venv/bin/python -m tools.fleet preview --stacks acme-prod-usw2 globex-eu --parallel 2
  venv/bin/python -m tools.fleet up --base origin/main --summary-markdown summary.md
  venv/bin/python -m tools.fleet refresh --preview-only            # drift report, changes nothing
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="venv/bin/python -m tools.fleet",
        description=__doc__.split("\n")[0],
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "command",
        choices=COMMANDS,
        help="preview: pulumi preview; up: the change plan, then pulumi up where the windows allow; "
        "refresh: pulumi refresh",
    )
    parser.add_argument(
        "--stacks",
        nargs="+",
        metavar="STACK",
        help="these stacks only, one or more names (default: every Pulumi.<stack>.yaml)",
    )
    parser.add_argument("--parallel", type=int, default=4, metavar="N", help="stacks at a time (default 4)")
    parser.add_argument("--preview-only", action="store_true", help="refresh only: report drift, change no state")
    parser.add_argument(
        "--base", metavar="GITREF", help="up: what the change plan compares with (default: the merge base with main)"
    )
    parser.add_argument("--now", metavar="ISO8601", help="up: the time windows are judged at (default: now)")
    parser.add_argument(
        "--security-fix", action="store_true", help="up: apply disruptive changes outside the windows, loudly"
    )
    parser.add_argument("--dry-run", action="store_true", help="print what would run where and when; run nothing")
    parser.add_argument("--json", action="store_true", help="with --dry-run: a JSON array, one object per stack")
    parser.add_argument(
        "--log-dir", type=Path, default=Path("build/fleet"), help="one engine log per stack (default: build/fleet)"
    )
    parser.add_argument("--org", help="Pulumi organization the stacks live in (default: the backend's default)")
    parser.add_argument("--summary-markdown", type=Path, metavar="FILE", help="also append the summary table here")
    return parser


def _loud(stream: TextIO, text: str) -> None:
    bar = "!" * 78
    stream.write(f"{bar}\n{text}\n{bar}\n")


def main(
    argv: Sequence[str] | None = None,
    workspace: Workspace | None = None,
    planner: Planner | None = None,
    root: Path = ROOT,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        now = parse_now(args.now)
    except argparse.ArgumentTypeError as exc:
        err.write(f"fleet: {exc}\n")
        return EXIT_USAGE
    if args.preview_only and args.command != "refresh":
        err.write("fleet: --preview-only goes with refresh (preview never changes anything anyway)\n")
        return EXIT_USAGE
    if args.parallel < 1:
        err.write("fleet: --parallel must be 1 or more\n")
        return EXIT_USAGE
    known = stack_names(root)
    stacks = args.stacks or known
    unknown = [s for s in stacks if s not in known]
    if unknown:
        err.write(f"fleet: no stack file for {', '.join(unknown)}; stacks here: {', '.join(known) or 'none'}\n")
        return EXIT_USAGE

    infos: dict[str, StackInfo] = {}
    errors: dict[str, list[str]] = {}
    refused: dict[str, str] = {}
    for stack in stacks:
        try:
            infos[stack] = read_stack(stack, root)
        except StackConfigError as exc:
            errors[stack] = exc.problems
            continue
        # `pulumi preview` and `up` run the program, which refuses the stack; refresh does not.
        reason = infos[stack].refusal() if args.command in ("preview", "up") else None
        if reason:
            refused[stack] = reason

    decisions: dict[str, Decision] = {}
    if args.command == "up":
        plan = planner or subprocess_planner(root)
        for stack in stacks:
            if stack in errors or stack in refused:
                continue
            err.write(f"{stack}: plan started\n")
            started = clock()
            try:
                decisions[stack] = decide(stack, plan(stack, args.base), infos[stack].window, now, args.security_fix)
            except PlanError as exc:
                errors[stack] = exc.problems
                err.write(f"{stack}: plan failed in {clock() - started:.1f}s ({_problems(exc.problems)}, below)\n")
            else:
                took = clock() - started
                err.write(f"{stack}: plan done in {took:.1f}s: {decisions[stack].decision}\n")
    else:
        what = "reads the cloud, changes no state" if args.preview_only or args.command == "preview" else "state only"
        for stack in stacks:
            if stack not in errors and stack not in refused:
                decisions[stack] = Decision(stack, "run", False, f"{args.command}: {what}; windows do not apply", None)

    if args.dry_run:
        return _dry_run(stacks, infos, decisions, errors, refused, args.json, now, out, err)

    for stack, decision in decisions.items():
        if decision.security_fix:
            _loud(err, f"SECURITY FIX: {stack}: {decision.reason}")
    jobs = [
        Job(s, args.command, args.preview_only, decisions[s].targets, decisions[s].reason)
        for s in stacks
        if s in decisions and decisions[s].decision == "run"
    ]
    progress = Progress(len(jobs), err, clock)
    ran = {
        r.stack: r
        for r in run_jobs(
            jobs, workspace or AutomationWorkspace(root, args.org), args.parallel, args.log_dir, progress, clock
        )
    }

    results: list[StackResult] = []
    for stack in stacks:
        if stack in errors:
            results.append(StackResult(stack, "error", detail="\n".join(errors[stack])))
        elif stack in refused:
            results.append(StackResult(stack, "refused", detail=refused[stack]))
        elif stack in ran:
            results.append(ran[stack])
        else:
            d = decisions[stack]
            result = "blocked" if d.blocked else ("deferred" if d.decision == "defer" else "unchanged")
            results.append(StackResult(stack, result, "-" if d.decision == "skip" else "waiting", detail=d.reason))
    out.write(table(results) + "\n")
    for r in results:
        if r.detail and r.result != "ok":
            # One line per problem, each naming its stack (an engine error's own lines included).
            for line in r.detail.splitlines():
                if line.strip():
                    err.write(f"{r.stack}: {line}\n")
    if args.summary_markdown:
        with args.summary_markdown.open("a", encoding="utf-8") as md:
            md.write(f"### fleet {args.command}{' --preview-only' if args.preview_only else ''}\n\n")
            md.write(table(results, markdown=True) + "\n\n")
    if any(r.failed for r in results):
        return EXIT_FAILED
    if any(r.result == "drift" for r in results):
        return EXIT_DRIFT
    if any(r.result in ("deferred", "partial") for r in results):
        return EXIT_DEFERRED
    return EXIT_OK


def _problems(lines: Sequence[str]) -> str:
    return f"{len(lines)} problem{'s' if len(lines) != 1 else ''}"


def _dry_run(
    stacks: Sequence[str],
    infos: dict[str, StackInfo],
    decisions: dict[str, Decision],
    errors: dict[str, list[str]],
    refused: dict[str, str],
    as_json: bool,
    now: datetime.datetime,
    out: TextIO,
    err: TextIO,
) -> int:
    docs = []
    for stack in stacks:
        info = infos.get(stack)
        if stack in errors:
            # One line for the summary table; every problem once, in `problems`.
            doc: dict[str, Any] = {"stack": stack, "decision": "error", "disruptive": False}
            doc |= {"reason": "; ".join(errors[stack]), "problems": errors[stack], "next_window_start": None}
        elif stack in refused:
            doc = {"stack": stack, "decision": "refused", "disruptive": False, "reason": refused[stack]}
            doc |= {"missing_secrets": [s.path for s in info.missing_secrets] if info else []}
            doc["next_window_start"] = None
        else:
            doc = decisions[stack].as_json()
        if info:
            doc |= {"account": info.account, "region": info.region}
            doc["window"] = info.window.describe() if info.window else None
        docs.append(doc)
    if as_json:
        out.write(json.dumps(docs, indent=2) + "\n")
    else:
        out.write(f"dry run at {now.isoformat()}: nothing runs\n")
        for doc in docs:
            where = f"{doc.get('account', '?')}/{doc.get('region', '?')}"
            when = f"; next window {doc['next_window_start']}" if doc.get("next_window_start") else ""
            if "problems" in doc:
                reason = f"{_problems(doc['problems'])}, listed below"
            elif "missing_secrets" in doc:
                reason = f"{', '.join(doc['missing_secrets'])} not set, see below"
            else:
                reason = doc["reason"]
            out.write(f"{doc['stack']:<24} {where:<26} {doc['decision']:<7} {reason}{when}\n")
    # Each problem once, one line each, naming its stack.
    for stack, lines in errors.items():
        for line in lines:
            err.write(f"{stack}: {line}\n")
    for stack, reason in refused.items():
        err.write(f"{stack}: refused: {reason}\n")
    return EXIT_FAILED if errors or refused else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
