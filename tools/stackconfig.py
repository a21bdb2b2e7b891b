"""Reads a stack's configuration the way the Pulumi CLI hands it to the program, without the CLI.

Project defaults come from `Pulumi.yaml`, stack values from `Pulumi.<stack>.yaml`. Every value
becomes a string (objects and lists as JSON), as the CLI passes them. Values stored encrypted
(`secure: ...`) cannot be decrypted here: each becomes a clearly fake placeholder derived from its
key and a digest of its ciphertext (`components.settings.secret_placeholder`), and the key is marked
secret.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from components.settings import SECRET_PLACEHOLDER, secret_placeholder
from tools import projectconfig

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class StackConfig:
    """A stack's configuration as the program would receive it."""

    project: str
    """Project name from Pulumi.yaml."""
    stack: str
    """Stack name (from the file name `Pulumi.<stack>.yaml`)."""
    raw: dict[str, str]
    """Full key (`namespace:key`) to string value."""
    secret_keys: frozenset[str]
    """Full keys whose values are secrets."""
    placeholders: tuple[str, ...]
    """Full keys (or paths) whose encrypted values were replaced by a placeholder."""


def _is_secure(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"secure"}


def _unsecure(value: Any, path: str, replaced: list[str]) -> Any:
    if _is_secure(value):
        replaced.append(path)
        return secret_placeholder(path, str(value["secure"]))
    if isinstance(value, dict):
        return {k: _unsecure(v, f"{path}.{k}", replaced) for k, v in value.items()}
    if isinstance(value, list):
        return [_unsecure(v, f"{path}[{i}]", replaced) for i, v in enumerate(value)]
    return value


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def _full_key(project: str, key: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def project_defaults(project_file: Path) -> tuple[str, dict[str, Any]]:
    """The project name and the config defaults (and plain values) Pulumi.yaml declares."""
    doc = yaml.safe_load(project_file.read_text())
    project = doc["name"]
    defaults: dict[str, Any] = {}
    for key, decl in projectconfig.declarations(project, doc.get("config")).items():
        if isinstance(decl, dict) and decl.get("default") is not None:
            defaults[_full_key(project, key)] = decl["default"]
        elif isinstance(decl, dict) and decl.get("value") is not None:
            defaults[_full_key(project, key)] = decl["value"]
    return project, defaults


def load(stack_file: Path, project_file: Path = ROOT / "Pulumi.yaml", stack: str | None = None) -> StackConfig:
    """Project defaults overlaid with the stack file's values, after the Pulumi CLI's checks.

    Raises `projectconfig.ProjectConfigError` where `pulumi preview` would stop before running the
    program (a required key missing, a value of the wrong type, a malformed stack file)."""
    name = stack or stack_file.name.removeprefix("Pulumi.").removesuffix(".yaml").removesuffix(".yml")
    project_doc = yaml.safe_load(project_file.read_text())
    project = project_doc["name"]
    decls = projectconfig.declarations(project, project_doc.get("config"))
    projectconfig.check_project(project, decls)
    doc = yaml.safe_load(stack_file.read_text())
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise projectconfig.ProjectConfigError(
            [f"{stack_file}: the stack file must be a map with a `config:` map, not a {type(doc).__name__}"]
        )
    config = doc.get("config") or {}
    if not isinstance(config, dict):
        raise projectconfig.ProjectConfigError(
            [f"{stack_file}: `config:` must be a map of keys to values, not a {type(config).__name__}"]
        )
    merged = projectconfig.check_stack(project, name, decls, config, SECRET_PLACEHOLDER)
    replaced: list[str] = []
    raw: dict[str, str] = {}
    secret: set[str] = set()
    for key, value in merged.items():
        before = len(replaced)
        raw[key] = _as_text(_unsecure(value, key, replaced))
        if len(replaced) > before:
            secret.add(key)
    return StackConfig(project, name, raw, frozenset(secret), tuple(replaced))


def load_stack(stack: str) -> StackConfig:
    """The configuration of a stack of this project by name (`Pulumi.<stack>.yaml`)."""
    return load(ROOT / f"Pulumi.{stack}.yaml", stack=stack)
