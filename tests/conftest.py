"""Shared test helpers: raw config maps and an offline run of a program under the mocks."""

from __future__ import annotations

import ast
import copy
import hashlib
import json
import os
import pickle
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tools import synth as _synth  # noqa: E402
from tools.stackconfig import StackConfig  # noqa: E402
from tools.synth import SynthResult  # noqa: E402

_SYNTH_RUNS: dict[str, SynthResult] = {}
_run_program = _synth.synthesize
# A folder the test session's processes (the xdist workers) share their synth runs through.
_SHARED_RUNS: Path | None = None


def synthesize(
    cfg: StackConfig, program: Callable[[], Any] | None = None, echo_warnings: bool = False, fresh: bool = False
) -> SynthResult:
    """`tools.synth.synthesize`, once per configuration in a test session: the real program is
    deterministic for a given configuration, and a second run of the same stack, by another module
    or the other worker, would only cost time. Every caller gets its own copy to change as it likes.
    Runs of another program, runs that echo warnings (the CLI's) and `fresh` runs (a test watching
    what the program does while it runs) are never shared."""
    if program is not None or echo_warnings or fresh:
        return _run_program(cfg, program=program, echo_warnings=echo_warnings)
    key = hashlib.sha256(
        json.dumps([cfg.project, cfg.stack, sorted(cfg.raw.items()), sorted(cfg.secret_keys)]).encode()
    ).hexdigest()
    if key not in _SYNTH_RUNS:
        shared = _SHARED_RUNS / key if _SHARED_RUNS else None
        if shared is not None and shared.exists():
            _SYNTH_RUNS[key] = pickle.loads(shared.read_bytes())
        else:
            _SYNTH_RUNS[key] = _run_program(cfg)
            if shared is not None:
                partial = shared.with_suffix(f".{os.getpid()}")
                partial.write_bytes(pickle.dumps(_SYNTH_RUNS[key]))
                partial.replace(shared)
    return copy.deepcopy(_SYNTH_RUNS[key])


def pytest_configure(config):
    global _SHARED_RUNS
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        _SHARED_RUNS = Path(workerinput["synth_runs"])
    else:
        _SHARED_RUNS = Path(tempfile.mkdtemp(prefix="clickhouse-byoc-synth-runs-"))


def pytest_configure_node(node):
    """(pytest-xdist, in the controller) Each worker gets the session's shared folder."""
    node.workerinput["synth_runs"] = str(_SHARED_RUNS)


def pytest_unconfigure(config):
    if getattr(config, "workerinput", None) is None and _SHARED_RUNS is not None:
        shutil.rmtree(_SHARED_RUNS, ignore_errors=True)


# --- promtool and amtool ---------------------------------------------------------------------------
# The tests that run Prometheus' own checkers carry the marker `prometheus_tools`, found from their
# source (never by hand, so a new one cannot be missed): tools/check.sh deselects them where it
# cannot install the tools, and says so. Where they run, a missing tool fails them, never skips.
PROMETHEUS_TOOLS = {"promtool": "prometheus", "amtool": "prometheus-alertmanager"}
_TOOL_NAMES = {"PROMTOOL", "AMTOOL"}


def prometheus_tool_users(source: str) -> set[str]:
    """The module-level functions of a test module that run promtool or amtool: those naming them
    (`PROMTOOL`, `AMTOOL`, or "promtool"/"amtool" handed to a call such as `shutil.which` or
    `subprocess.run`), and those that call, or take as a fixture, a function that does."""
    tree = ast.parse(source)
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}

    def runs_by_name(call: ast.Call) -> bool:
        """`which("promtool")`, `run(["amtool", ...])`: the tool's name handed to a call."""
        for arg in call.args:
            first = arg.elts[0] if isinstance(arg, ast.List | ast.Tuple) and arg.elts else arg
            if isinstance(first, ast.Constant) and first.value in PROMETHEUS_TOOLS:
                return True
        return False

    def names_a_tool(fn: ast.AST) -> bool:
        return any(
            (isinstance(node, ast.Name) and node.id in _TOOL_NAMES)
            or (isinstance(node, ast.Call) and runs_by_name(node))
            for node in ast.walk(fn)
        )

    users = {name for name, fn in functions.items() if names_a_tool(fn)}
    grew = True
    while grew:
        grew = False
        for name, fn in functions.items():
            used = {n.id for n in ast.walk(fn) if isinstance(n, ast.Name)} | {a.arg for a in fn.args.args}
            if name not in users and used & users:
                users.add(name)
                grew = True
    return users


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(config, items):
    users: dict[str, set[str]] = {}
    for item in items:
        path = getattr(item, "path", None)
        function = getattr(item, "originalname", None) or item.name
        if path is None or path.suffix != ".py":
            continue
        if str(path) not in users:
            text = path.read_text()
            named = any(tool in text.lower() for tool in PROMETHEUS_TOOLS)  # parse only where they are named
            users[str(path)] = prometheus_tool_users(text) if named else set()
        if function in users[str(path)]:
            item.add_marker(pytest.mark.prometheus_tools)


@pytest.fixture(autouse=True)
def _prometheus_tools_installed(request):
    if request.node.get_closest_marker("prometheus_tools"):
        missing = [
            f"{tool} (apt-get install -y {pkg})" for tool, pkg in PROMETHEUS_TOOLS.items() if not shutil.which(tool)
        ]
        assert not missing, f"missing: {', '.join(missing)}; ./tools/check.sh installs them as root"


# Test modules, tools.plan and tools.cost reach the synth through the module attribute.
_synth.synthesize = synthesize

hypothesis_settings.register_profile("default", max_examples=150, deadline=None)
hypothesis_settings.load_profile("default")

NS = "clickhouse-byoc"
BASE = {
    "aws:region": "us-west-2",
    f"{NS}:accountId": "123456789012",
    f"{NS}:dns": '{"zoneName": "byoc.example.com", "hostedZoneId": "Z0123456789ABCDEFGHIJ"}',
    f"{NS}:clusterEndpoint": '{"publicCidrs": ["203.0.113.0/24"]}',
    f"{NS}:ipAllowList": '["198.51.100.0/24"]',
    f"{NS}:clickhouseCloud": '{"externalId": "byoc-test-3f9a2c71"}',
    f"{NS}:alerting": '{"vendorWebhook": "https://alerts.vendor.example/byoc/test"}',
    f"{NS}:vendorAccessAlerts": '{"emails": ["security@example.com"]}',
}


def raw_config(values: dict[str, str] | None = None, base: bool = True) -> dict[str, str]:
    """A raw config map: short keys get the project namespace; `aws:` keys stay as they are.

    A value of None removes the key (to test what happens when a BASE key is not set)."""
    out = dict(BASE) if base else {}
    for key, value in (values or {}).items():
        full = key if ":" in key else f"{NS}:{key}"
        if value is None:
            out.pop(full, None)
        else:
            out[full] = value
    return out


def run_offline(
    values: dict[str, str] | None = None,
    program: Callable[[], Any] | None = None,
    stack: str = "test",
    secret_keys: frozenset[str] = frozenset(),
    fresh: bool = False,
) -> SynthResult:
    """Runs `program` (default: the real __main__.py) under the mocks with this configuration
    (`fresh`: a run of its own, not a copy of an earlier one)."""
    cfg = StackConfig(NS, stack, raw_config(values), secret_keys, ())
    return synthesize(cfg, program=program, fresh=fresh)


def mock_id(record: dict[str, Any]) -> str:
    """The id the mocks gave a recorded resource (derived from its type, name and the inputs that
    force its replacement)."""
    from tools.mocks import ByocMocks

    return ByocMocks().outputs_of(record)[0]


@pytest.fixture
def offline():
    return run_offline
