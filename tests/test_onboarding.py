"""docs/onboarding.md, followed step by step from a fresh clone to "ready for `pulumi up`", with the
commands exactly as the page prints them: every `bash` block, in order (read from the page, so
the page and this test cannot drift; a new kind of step fails here until it is given an
expectation).

What runs for real: `./tools/check.sh --setup-only`, preflight (without AWS credentials: it must
end with its clean message, never a traceback), `git`. What is stood in for:
- the virtualenv: check.sh would build ./venv with pip (network, minutes); the clone gets one over
  this repository's installed packages, stamped current, and `PYTHON` points at a command that
  fails the test if check.sh tries to build anyway;
- the Pulumi CLI (`pulumi stack init`, `pulumi config set --secret`): these need the CLI and a
  backend; tests/fake_pulumi.py does what tests/upstream/pulumi-cli/ records of the real command
  (checked below), reading each value from standard input as the real one does when it is piped;
- the wizard, cost and the plan run in this process (the clone's root, the same code): each
  synthesizes the same stack, which a subprocess would do three times (about 4 s each); here the
  session's shared synth does it once. Every other tool runs as the printed process the first time
  it appears (so `venv/bin/python -m tools.<tool>` is proven to work from the clone) and in this
  process after that (a second process start costs a second or two and proves nothing new).
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import io
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from components.settings import parse
from components.settings import secrets as required_secrets
from tests.conftest import ROOT
from tests.repo_copy import shared_venv, working_copy
from tools import fleet, stackconfig

DOC = ROOT / "docs" / "onboarding.md"
STACK = "acme-prod-usw2"
# What the user types when `pulumi config set` asks (the stand-in reads it from standard input).
ANSWERS = {
    "clickhouseCloud.externalId": "byoc-acme-3f9a2c71",
    "alerting.vendorWebhook": "https://alerts.vendor.example/byoc/acme",
}
SYNTHESIZING = {"tools.new_stack", "tools.cost", "tools.plan"}
RECORDED = json.loads((ROOT / "tests" / "upstream" / "pulumi-cli" / "config-set.json").read_text())


def doc_commands(text: str) -> list[str]:
    """Every command of the page's `bash` blocks, in order, continuation lines joined."""
    commands = []
    for block in re.findall(r"^```bash\n(.*?)^```", text, re.M | re.S):
        for line in re.sub(r"\\\n\s*", " ", block).splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                commands.append(line.strip())
    return commands


def _words(command: str) -> list[str]:
    return shlex.split(command, comments=True)


def _kind(words: list[str]) -> str:
    if words[:1] == ["./tools/check.sh"]:
        return "setup"
    if words[:2] == ["venv/bin/python", "-m"] and words[2:3]:
        return words[2]
    if words[:1] in (["pulumi"], ["git"]):
        return " ".join(words[:3] if words[0] == "pulumi" else words[:2])
    return "unknown"


class Clone:
    """A fresh clone with the stand-ins, and a way to run one command of the page in it."""

    def __init__(self, tmp: Path, monkeypatch: pytest.MonkeyPatch):
        self.root = working_copy(tmp / "clone")
        assert not (self.root / "venv").exists() and not (self.root / f"Pulumi.{STACK}.yaml").exists()
        shared_venv(self.root)
        bin_dir, self.state = tmp / "bin", tmp / "pulumi-state"
        bin_dir.mkdir()
        (bin_dir / "pulumi").write_text(f'#!/bin/sh\nexec {sys.executable} {ROOT / "tests" / "fake_pulumi.py"} "$@"\n')
        (bin_dir / "no-venv-build").write_text("#!/bin/sh\necho 'check.sh tried to build ./venv' >&2\nexit 97\n")
        for f in bin_dir.iterdir():
            f.chmod(0o755)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PULUMI_", "GIT_"))}
        self.env |= {
            "PATH": f"{bin_dir}:{os.environ['PATH']}",
            "HOME": str(tmp),
            "PYTHON": str(bin_dir / "no-venv-build"),
            "FAKE_PULUMI_STATE": str(self.state),
            # No AWS credentials anywhere, and no instance metadata to ask.
            "AWS_CONFIG_FILE": str(tmp / "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp / "no-aws-credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "GIT_AUTHOR_NAME": "New User",
            "GIT_AUTHOR_EMAIL": "new.user@example.com",
            "GIT_COMMITTER_NAME": "New User",
            "GIT_COMMITTER_EMAIL": "new.user@example.com",
        }
        self.processes: set[str] = set()
        monkeypatch.setattr(stackconfig, "ROOT", self.root)
        monkeypatch.chdir(self.root)
        for name in list(os.environ):
            if name.startswith("AWS_"):
                monkeypatch.delenv(name)
        for name in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_EC2_METADATA_DISABLED"):
            monkeypatch.setenv(name, self.env[name])

    def run(self, command: str) -> tuple[int, str, str]:
        words = _words(command)
        kind = _kind(words)
        if kind.startswith("tools.") and (kind in SYNTHESIZING or kind in self.processes):
            return self._in_process(words)
        self.processes.add(kind)
        stdin = next((ANSWERS[k] + "\n" for k in ANSWERS if words[:2] == ["pulumi", "config"] and k in words), "")
        done = subprocess.run(
            ["bash", "-c", command],
            cwd=self.root,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return done.returncode, done.stdout, done.stderr

    def _in_process(self, words: list[str]) -> tuple[int, str, str]:
        # The command as printed works from the clone: its interpreter is the clone's venv.
        assert os.access(self.root / words[0], os.X_OK), f"{words[0]} missing in the clone"
        main = importlib.import_module(words[2]).main
        params = inspect.signature(main).parameters
        out, err = io.StringIO(), io.StringIO()
        extra = {k: v for k, v in (("root", self.root), ("out", out), ("err", err)) if k in params}
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(words[3:], **extra)
            except SystemExit as exc:
                code = exc.code
        return int(code or 0), out.getvalue(), err.getvalue()


def test_the_page_is_followed_from_a_fresh_clone_to_ready_for_pulumi_up(tmp_path, monkeypatch):
    clone = Clone(tmp_path, monkeypatch)
    commands = doc_commands(DOC.read_text())
    secrets_set: set[str] = set()
    seen = []
    for command in commands:
        words = _words(command)
        kind = _kind(words)
        code, out, err = clone.run(command)
        text = out + err
        where = f"{command!r} exited {code}:\n{text}"
        assert "Traceback" not in text and "ModuleNotFoundError" not in text, where
        seen.append(kind)
        if kind == "setup":
            assert words == ["./tools/check.sh", "--setup-only"]
            assert code == 0 and "./venv is ready" in out, where
        elif kind == "tools.new_stack":
            assert code == 0 and f"wrote Pulumi.{STACK}.yaml" in out, where
            # Every next step the wizard prints is a step of this page, as printed.
            steps = out.split("next, from the repository root:\n", 1)[1].split("\nthen ", 1)[0]
            printed = [_words(line) for line in steps.splitlines()]
            assert printed and all(p in [_words(c) for c in commands] for p in printed), printed
        elif kind == "tools.preflight":
            # No credentials here: the clean message, what was skipped, and the secrets line.
            assert code == 1, where
            assert "FAIL credentials: no usable AWS credentials" in out and "AWS_ACCESS_KEY_ID" in out, where
            assert [x.split(":")[0] for x in out.splitlines() if x.startswith("skip")] == [
                "skip account",
                "skip quotas",
                "skip offerings",
                "skip hosted zone",
                "skip trail",
            ]
            if "clickhouseCloud.externalId" in secrets_set:
                assert "ok   secrets: clickhouseCloud.externalId set" in out, where
            else:
                (note,) = [x for x in out.splitlines() if "externalId" in x]
                assert note.startswith("warn secrets: clickhouse-byoc:clickhouseCloud.externalId: (not set): still")
        elif kind in ("tools.cost", "tools.plan"):
            assert code == 0, where
            assert ("total: " in out) if kind == "tools.cost" else ("modeled first deploy: " in out), where
            notes = [x for x in err.splitlines() if "externalId" in x]
            assert len(notes) == (0 if "clickhouseCloud.externalId" in secrets_set else 1), where
        elif kind == "pulumi stack init":
            assert code == 0 and words[3:] == [STACK], where
        elif kind == "pulumi config set":
            assert code == 0, where
            assert words[-1] in ANSWERS and "--secret" in words and f"--stack={STACK}" in "=".join(words)
            secrets_set.add(words[-1])
        elif kind in ("git add", "git commit"):
            assert code == 0, where
        else:
            pytest.fail(f"docs/onboarding.md has a step this test does not know: {command!r}")
    # The page covers the whole way, in this order.
    order = ["setup", "tools.new_stack", "tools.preflight", "pulumi stack init", "pulumi config set", "git commit"]
    assert [seen.index(k) for k in order] == sorted(seen.index(k) for k in order), seen

    # Ready for `pulumi up`: the file holds every required secret, encrypted; the program's own
    # settings accept it with no stand-in, and the fleet (the deploy workflow) would run it.
    path = clone.root / f"Pulumi.{STACK}.yaml"
    assert not [v for v in ANSWERS.values() if v in path.read_text()]  # never in clear
    cfg = stackconfig.load(path, project_file=clone.root / "Pulumi.yaml")
    assert required_secrets.missing(cfg.raw) == [] and set(cfg.placeholders) >= {
        "clickhouse-byoc:clickhouseCloud.externalId",
        "clickhouse-byoc:alerting.vendorWebhook",
    }
    secret = frozenset(k.split(":", 1)[1] for k in cfg.secret_keys)
    settings = parse(cfg.raw, STACK, secret)
    assert settings.account_id == "111122223333" and settings.observability.spec.vendor_webhook
    assert fleet.read_stack(STACK, clone.root).refusal() is None
    calls = json.loads((clone.state / "calls.json").read_text())["calls"]
    assert [c["argv"][:2] for c in calls] == [["stack", "init"], ["config", "set"], ["config", "set"]]
    assert all(c["stdin"] for c in calls[1:])  # each value asked for, never on the command line
    committed = subprocess.run(
        ["git", "show", "--name-only", "--format=", "HEAD"], cwd=clone.root, capture_output=True, text=True
    )
    assert committed.stdout.split() == [f"Pulumi.{STACK}.yaml"]


def test_the_stand_in_pulumi_does_what_the_cli_is_recorded_to_do(tmp_path):
    # tests/upstream/pulumi-cli/config-set.json: the value from the argument, else piped standard
    # input with one trailing newline removed; the stack must exist; secrets stored `secure:`.
    assert RECORDED["use"] == "set <key> [value]" and "--secret" in RECORDED["flags"]
    assert "If a value is not present on the command line, pulumi will prompt" in RECORDED["long"]
    (tmp_path / "Pulumi.yaml").write_text("name: clickhouse-byoc\n")
    env = {**os.environ, "FAKE_PULUMI_STATE": str(tmp_path / "state")}

    def pulumi(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, str(ROOT / "tests" / "fake_pulumi.py"), *args]
        return subprocess.run(argv, cwd=tmp_path, env=env, input=stdin, capture_output=True, text=True)

    refused = pulumi("config", "set", "--stack", "s", "--path", "--secret", "a.b", "x")
    assert refused.returncode != 0 and "no stack named 's' found" in refused.stderr
    assert pulumi("stack", "init", "s").returncode == 0
    assert pulumi("config", "set", "--stack", "s", "--path", "--secret", "a.b", stdin="s3cret\n").returncode == 0
    assert pulumi("config", "set", "--stack", "s", "--path", "a.c", "plain").returncode == 0
    written = (tmp_path / "Pulumi.s.yaml").read_text()
    config = json.loads(json.dumps(__import__("yaml").safe_load(written)))["config"]["clickhouse-byoc:a"]
    assert config["c"] == "plain" and set(config["b"]) == {"secure"} and "s3cret" not in written
    assert pulumi("preview").returncode == 2  # anything else is not stood in for
