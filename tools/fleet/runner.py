"""Running many stacks: `parallel` at a time, one engine log per stack, live progress, and the
summary table."""

from __future__ import annotations

import concurrent.futures
import datetime
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from tools.fleet.workspace import Workspace


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
