"""The two sides of the plan: the base (a git ref, synthesized by that revision's own `tools.synth`
in a temporary copy of it) and now (synthesized in this process)."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from components.settings import ConfigError
from tools import stackconfig

SYNTH_EXIT_CONFIG = 2  # tools.synth's exit status for invalid configuration, at every revision


class BaseError(Exception):
    """The base could not be synthesized."""


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=stackconfig.ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()


def default_base() -> str:
    """The merge base of HEAD with main (or origin/main, as in a CI checkout)."""
    for branch in ("main", "origin/main"):
        with contextlib.suppress(subprocess.CalledProcessError):
            return _git("merge-base", "HEAD", branch)
    raise BaseError("no merge base of HEAD with main or origin/main: fetch main, or pass --base REF")


def synth_at_ref(ref: str, stack: str | None, config_file: Path | None) -> list[dict[str, Any]] | None:
    """Runs the ref's own tools.synth in a temporary copy of that revision and returns its records.

    With --stack, the ref's own Pulumi.<stack>.yaml is used (the config change is part of the
    diff); a ref without that file has nothing of the stack: None, a first deploy. With
    --config-file, the same file is used on both sides."""
    with tempfile.TemporaryDirectory(prefix="byoc-plan-") as tmp:
        root = Path(tmp) / "src"
        root.mkdir()
        archive = Path(tmp) / "src.tar"
        try:
            subprocess.run(
                ["git", "archive", "--format=tar", "-o", str(archive), ref],
                cwd=stackconfig.ROOT,
                capture_output=True,
                text=True,
                check=True,
            )
        except subprocess.CalledProcessError as exc:
            raise BaseError(f"cannot read git ref {ref!r}: {exc.stderr.strip()}") from exc
        with tarfile.open(archive) as tar:
            tar.extractall(root, filter="data")
        if config_file is not None:
            source = ["--config-file", str(config_file.resolve())]
        elif (root / f"Pulumi.{stack or 'dev'}.yaml").exists():
            source = ["--stack", stack or "dev"]
        else:
            return None
        out = Path(tmp) / "out"
        command = [sys.executable, "-m", "tools.synth", *source, "--out", str(out), "--no-policy-check"]
        proc = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=600)
        if proc.returncode == SYNTH_EXIT_CONFIG and "unrecognized arguments: --no-policy-check" in proc.stderr:
            # A revision older than the policy check: its synth has no such flag.
            proc = subprocess.run(command[:-1], cwd=root, capture_output=True, text=True, timeout=600)
        if proc.returncode == SYNTH_EXIT_CONFIG:
            raise ConfigError([f"base {ref}: {line}" for line in proc.stderr.strip().splitlines()])
        if proc.returncode != 0:
            raise BaseError(f"the synth at {ref} failed (exit {proc.returncode}):\n{proc.stderr.strip()}")
        return json.loads((out / "resources.json").read_text())


def stacks_of(records: list[dict[str, Any]]) -> set[str]:
    """The stack names in a set of records' URNs (`urn:pulumi:<stack>::<project>::...`)."""
    return {r["urn"].split("::", 1)[0].removeprefix("urn:pulumi:") for r in records}


def synth_now(cfg: stackconfig.StackConfig) -> list[dict[str, Any]]:
    from tools import synth

    result = synth.synthesize(cfg)
    return sorted(result.resources, key=lambda r: r["urn"])
