"""Offline synth: runs the real stack program under Pulumi mocks and writes what it registers.

    venv/bin/python -m tools.synth --stack dev --out build/synth
    venv/bin/python -m tools.synth --config-file path/to/Pulumi.other.yaml --out build/other

Writes `<out>/resources.json` (one object per registered resource: urn, type, name, parent,
custom, inputs, dependencies, protect, retainOnDelete, ignoreChanges, provider, aliases: the URNs
of its aliases, the inherited ones included; secretDigests: per secret input path, a digest of its
value) and prints resources by type.
Exit 0 on success, 2 for invalid configuration (one line per problem on stderr), 1 otherwise.
No Pulumi CLI, plugins or cloud credentials are needed.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import contextvars
import gc
import json
import logging
import runpy
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from components.settings import ConfigError
from components.settings.patterns import ACCOUNT_RE
from tools import iam_export, projectconfig, stackconfig
from tools.mocks import ByocMocks, RecordingMonitor

PROGRAM = stackconfig.ROOT / "__main__.py"
EXIT_CONFIG = 2
EXIT_FAILURE = 1


@dataclass
class SynthResult:
    """What one offline run registered, and what it logged."""

    resources: list[dict[str, Any]]
    """The recorded registrations, in registration order."""
    outputs: dict[str, Any] = field(default_factory=dict)
    """Reserved for stack outputs."""
    warnings: list[str] = field(default_factory=list)
    """Warnings the program logged."""

    def by_type(self, typ: str) -> list[dict[str, Any]]:
        return [r for r in self.resources if r["type"] == typ]

    def one(self, typ: str, name: str) -> dict[str, Any]:
        found = [r for r in self.resources if r["type"] == typ and r["name"] == name]
        if len(found) != 1:
            raise KeyError(f"{len(found)} resources of type {typ} named {name}")
        return found[0]


class _Collector(logging.Handler):
    def __init__(self, echo: bool):
        super().__init__()
        self.warnings: list[str] = []
        self.echo = echo

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING:
            self.warnings.append(record.getMessage())
            if self.echo:
                print(f"{record.levelname.lower()}: {record.getMessage()}", file=sys.stderr)


def _freeze_what_runs_import() -> None:
    """After the first run of a process: collects its garbage, then moves every object still alive
    (the provider SDKs and program modules that run imported: hundreds of thousands of long-lived
    objects) out of the garbage collector's generations (`gc.freeze`). Later runs allocate many
    short-lived objects, and every full collection would otherwise walk all of those modules too:
    this halves the time of a run; what a run registers is unchanged."""
    if getattr(_freeze_what_runs_import, "done", False):
        return
    gc.collect()
    gc.freeze()
    _freeze_what_runs_import.done = True  # type: ignore[attr-defined]


def synthesize(
    cfg: stackconfig.StackConfig,
    program: Callable[[], Any] | None = None,
    echo_warnings: bool = False,
) -> SynthResult:
    """Runs `program` (default: the stack's __main__.py) under mocks with `cfg`; raises its errors.

    Each run gets a fresh context (config, root stack, settings), so runs never share state.
    """

    def run() -> SynthResult:
        region = cfg.raw.get("aws:region") or "us-west-2"
        account = cfg.raw.get(f"{cfg.project}:accountId") or "123456789012"
        mocks = ByocMocks(account_id=account if ACCOUNT_RE.match(account) else "123456789012", region=region)
        monitor = RecordingMonitor(mocks)
        collector = _Collector(echo_warnings)
        logger = logging.getLogger(f"clickhouse-byoc.synth.{id(collector)}")
        logger.propagate = False
        logger.addHandler(collector)
        runtime_config.set_all_config(dict(cfg.raw), sorted(cfg.secret_keys))
        pulumi.runtime.set_mocks(mocks, cfg.project, cfg.stack, preview=False, logger=logger, monitor=monitor)
        body = program or (lambda: runpy.run_path(str(PROGRAM), run_name="__main__"))
        _sync_await(run_pulumi_func(body))
        return SynthResult(resources=monitor.records, warnings=collector.warnings)

    if str(stackconfig.ROOT) not in sys.path:
        sys.path.insert(0, str(stackconfig.ROOT))
    result = contextvars.Context().run(run)
    _freeze_what_runs_import()
    return result


def summary(resources: list[dict[str, Any]]) -> str:
    counts = collections.Counter(r["type"] for r in resources)
    width = max((len(t) for t in counts), default=0)
    lines = [f"{len(resources)} resources"]
    lines += [f"  {t.ljust(width)}  {n}" for t, n in sorted(counts.items())]
    return "\n".join(lines)


def write(result: SynthResult, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / "resources.json"
    # Sorted by URN: registration order depends on how outputs resolve and varies between runs.
    records = sorted(result.resources, key=lambda r: r["urn"])
    path.write_text(json.dumps(records, indent=2, sort_keys=True) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="venv/bin/python -m tools.synth", description=__doc__.split("\n")[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--stack", default="dev", help="stack name: reads Pulumi.<stack>.yaml (default: dev)")
    source.add_argument("--config-file", type=Path, help="any stack config file instead of --stack")
    parser.add_argument("--out", type=Path, default=Path("build/synth"), help="output folder (default: build/synth)")
    parser.add_argument("--no-policy-check", action="store_true", help="skip the policy pack check of the output")
    parser.add_argument(
        "--verbose", action="store_true", help="list each policy check a secret kept from running (default: one line)"
    )
    args = parser.parse_args(argv)

    try:
        cfg = stackconfig.load(args.config_file) if args.config_file else stackconfig.load_stack(args.stack)
    except projectconfig.ProjectConfigError as exc:
        print("\n".join(exc.problems), file=sys.stderr)
        return EXIT_CONFIG
    except (OSError, ValueError, KeyError) as exc:
        # A missing or malformed stack file is the user's configuration: one line, exit 2.
        print(f"synth: cannot read the stack configuration: {' '.join(str(exc).split())}", file=sys.stderr)
        return EXIT_CONFIG
    cfg, still_to_set = stackconfig.offline(cfg)
    if cfg.placeholders:
        print(
            f"synth: {len(cfg.placeholders)} encrypted value(s) cannot be decrypted offline and were "
            f"replaced by placeholders ({stackconfig.SECRET_PLACEHOLDER}-<key>-<digest of the ciphertext>): "
            f"{', '.join(cfg.placeholders)}",
            file=sys.stderr,
        )
    try:
        result = synthesize(cfg, echo_warnings=True)
    except ConfigError as exc:
        print("\n".join(exc.problems), file=sys.stderr)
        return EXIT_CONFIG
    except Exception:  # any other failure is reported with its traceback
        traceback.print_exc()
        return EXIT_FAILURE
    for line in still_to_set:  # on a valid stack only: a broken one is its problems alone
        print(f"synth: note: {line}", file=sys.stderr)
    path = write(result, args.out)
    print(summary(result.resources))
    print(f"wrote {path}")
    print(f"wrote {iam_export.write(result, cfg, args.out)}/ (IAM documents for review)")
    if args.no_policy_check:
        return 0
    from tools import policy_check  # the policy pack, run over what was just written

    return policy_check.report(result.resources, verbose=args.verbose)


def _close_event_loop() -> None:
    # The SDK's sync helper leaves its loop open; closing it here keeps interpreter exit quiet.
    with contextlib.suppress(RuntimeError):
        loop = asyncio.get_event_loop()
        if not loop.is_closed():
            loop.close()


if __name__ == "__main__":
    code = main()
    _close_event_loop()
    sys.exit(code)
