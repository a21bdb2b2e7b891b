"""A stand-in for the two Pulumi CLI commands docs/onboarding.md runs, for tests/test_onboarding.py
only: `pulumi stack init <stack>` and `pulumi config set [--stack S] [--path] [--secret] <key>
[value]`. The real ones need the CLI and a backend; this one does what
tests/upstream/pulumi-cli/config-set.json records: the value is the argument, else standard input
read to its end (one trailing newline removed) when it is not a terminal; the stack must exist; a
`--path` key is written as nested maps under the project's namespace, and a secret as
`secure: <ciphertext>` (here a digest, never the value). It records each call in
`$FAKE_PULUMI_STATE/calls.json`. Anything else exits 2, naming what is not stubbed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sys
from pathlib import Path

import yaml

STATE = Path(os.environ["FAKE_PULUMI_STATE"])


def _load_state() -> dict:
    path = STATE / "calls.json"
    return json.loads(path.read_text()) if path.exists() else {"calls": [], "stacks": []}


def _save_state(state: dict) -> None:
    STATE.mkdir(parents=True, exist_ok=True)
    (STATE / "calls.json").write_text(json.dumps(state, indent=2))


def _project() -> str:
    return yaml.safe_load(Path("Pulumi.yaml").read_text())["name"]


def config_set(args: list[str], state: dict) -> int:
    stack, path, secret, words = None, False, False, []
    rest = list(args)
    while rest:
        word = rest.pop(0)
        if word in ("--stack", "-s"):
            stack = rest.pop(0)
        elif word == "--path":
            path = True
        elif word == "--secret":
            secret = True
        elif word.startswith("-"):
            print(f"fake pulumi: flag {word} is not stubbed", file=sys.stderr)
            return 2
        else:
            words.append(word)
    if not 1 <= len(words) <= 2 or stack is None:
        print("fake pulumi: config set needs --stack and 1 or 2 arguments here", file=sys.stderr)
        return 2
    if stack not in state["stacks"]:
        print(f"error: no stack named '{stack}' found", file=sys.stderr)
        return 255
    if len(words) == 2:
        value = words[1]
    elif not sys.stdin.isatty():
        value = sys.stdin.read()
        value = value[:-1] if value.endswith("\n") else value
        value = value[:-1] if value.endswith("\r") else value
    else:
        print("fake pulumi: a prompt is not stubbed; pipe the value", file=sys.stderr)
        return 2
    key = words[0]
    if any(c in key for c in '[]"') or (":" in key):
        print(f"fake pulumi: key {key} is not stubbed (plain dotted paths only)", file=sys.stderr)
        return 2
    parts = key.split(".") if path else [key]
    file = Path(f"Pulumi.{stack}.yaml")
    doc = (yaml.safe_load(file.read_text()) if file.exists() else None) or {}
    config = doc.setdefault("config", {})
    node_key = f"{_project()}:{parts[0]}"
    stored: object = value
    if secret:
        digest = hashlib.sha256(value.encode()).digest()
        stored = {"secure": "v1:" + base64.b64encode(digest[:12]).decode() + ":" + base64.b64encode(digest).decode()}
    if len(parts) == 1:
        config[node_key] = stored
    else:
        node = config.setdefault(node_key, {})
        for part in parts[1:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = stored
    file.write_text(yaml.safe_dump(doc, sort_keys=False, default_flow_style=False))
    state["calls"][-1]["stdin"] = len(words) == 1
    return 0


def main(argv: list[str]) -> int:
    state = _load_state()
    state["calls"].append({"argv": argv})
    try:
        if argv[:2] == ["stack", "init"] and len(argv) == 3:
            state["stacks"].append(argv[2])
            print(f"Created stack '{argv[2]}'")
            return 0
        if argv[:2] == ["config", "set"]:
            return config_set(argv[2:], state)
        print(f"fake pulumi: `pulumi {' '.join(argv)}` is not stubbed", file=sys.stderr)
        return 2
    finally:
        _save_state(state)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
