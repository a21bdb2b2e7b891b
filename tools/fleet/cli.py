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
import datetime
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from tools.fleet.planning import PlanError, Planner, subprocess_planner
from tools.fleet.runner import Job, Progress, StackResult, run_jobs, table
from tools.fleet.schedule import Decision, decide
from tools.fleet.stacks import ROOT, StackConfigError, StackInfo, read_stack, stack_names
from tools.fleet.workspace import AutomationWorkspace, Workspace

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_DRIFT, EXIT_DEFERRED = 0, 1, 2, 4, 5
COMMANDS = ("preview", "up", "refresh")


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
