"""Reads a stack's configuration the way the Pulumi CLI hands it to the program, without the CLI.

Project defaults come from `Pulumi.yaml`, stack values from `Pulumi.<stack>.yaml`, both read by
`tools.stackyaml` with the CLI's YAML rules (gopkg.in/yaml.v3 and Pulumi's own steps): every
value becomes the string the program receives (objects and lists as JSON). Values stored
encrypted (`secure: ...`) cannot be decrypted here: each becomes a clearly fake placeholder
derived from its key and a digest of its ciphertext (`components.settings.secret_placeholder`), and
the key is marked secret. Every offline tool (synth, plan, cost, fleet, the stack wizard,
preflight, the bootstrap template) reads stack files through `load`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.settings import SECRET_PLACEHOLDER, secret_placeholder
from components.settings import secrets as required_secrets
from tools import projectconfig, stackyaml
from tools.stackyaml import StackFileError

__all__ = ["ROOT", "StackConfig", "StackFileError", "load", "load_stack", "offline", "project_defaults"]

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


def _unsecure(value: Any, path: str, replaced: list[str]) -> Any:
    """A decoded object with every `{secure: ...}` replaced by the placeholder."""
    if isinstance(value, dict) and len(value) == 1 and isinstance(value.get("secure"), str):
        replaced.append(path)
        return secret_placeholder(path, str(value["secure"]))
    if isinstance(value, dict):
        return {k: _unsecure(v, f"{path}.{k}", replaced) for k, v in value.items()}
    if isinstance(value, list):
        return [_unsecure(v, f"{path}[{i}]", replaced) for i, v in enumerate(value)]
    return value


def _text(key: str, value: stackyaml.ConfigValue, replaced: list[str]) -> str:
    """What the program receives, with secrets replaced by the placeholder."""
    if not value.secure:
        return value.text
    if not value.object:
        replaced.append(key)
        return secret_placeholder(key, str(value.content["secure"]))
    return stackyaml.go_json(_unsecure(value.content, key, replaced))


def _project(project_file: Path) -> tuple[str, dict[str, Any]]:
    doc = stackyaml.read_project(project_file)
    name = doc.get("name")
    if not isinstance(name, str) or not name:
        raise StackFileError([f"{project_file}: `name:` must name the project"])
    config = doc.get("config")
    if config is not None and not isinstance(config, dict):
        raise StackFileError([f"{project_file}: `config:` must be a map of keys to declarations"])
    return name, projectconfig.declarations(name, config)


def project_defaults(project_file: Path) -> tuple[str, dict[str, Any]]:
    """The project name and the config defaults (and plain values) Pulumi.yaml declares, as
    decoded values."""
    project, decls = _project(project_file)
    defaults: dict[str, Any] = {}
    for key, decl in decls.items():
        if isinstance(decl, dict) and decl.get("default") is not None:
            defaults[projectconfig.full_key(project, key)] = decl["default"]
        elif isinstance(decl, dict) and decl.get("value") is not None:
            defaults[projectconfig.full_key(project, key)] = decl["value"]
    return project, defaults


def load(stack_file: Path, project_file: Path = ROOT / "Pulumi.yaml", stack: str | None = None) -> StackConfig:
    """Project defaults overlaid with the stack file's values, after the Pulumi CLI's checks.

    Raises `projectconfig.ProjectConfigError` where `pulumi preview` would stop before running the
    program (a required key missing, a value of the wrong type), and its subclass
    `StackFileError` (one line per problem, naming the file) where the CLI refuses the file."""
    name = stack or stack_file.name.removeprefix("Pulumi.").removesuffix(".yaml").removesuffix(".yml")
    project, decls = _project(project_file)
    projectconfig.check_project(project, decls)
    values = stackyaml.read_stack(stack_file, project)
    merged = projectconfig.check_stack(
        project, name, decls, {k: v.content for k, v in values.items()}, SECRET_PLACEHOLDER
    )
    replaced: list[str] = []
    raw: dict[str, str] = {}
    secret: set[str] = set()
    for key in merged:
        before = len(replaced)
        if key in values:
            raw[key] = _text(key, values[key], replaced)
        else:
            # A project default or value the stack does not set (config.go createConfigValue).
            raw[key] = _text(key, stackyaml.default_value(merged[key]), replaced)
        if len(replaced) > before:
            secret.add(key)
    return StackConfig(project, name, raw, frozenset(secret), tuple(replaced))


def load_stack(stack: str) -> StackConfig:
    """The configuration of a stack of this project by name (`Pulumi.<stack>.yaml`)."""
    return load(ROOT / f"Pulumi.{stack}.yaml", stack=stack)


def offline(cfg: StackConfig) -> tuple[StackConfig, list[str]]:
    """For the tools that never deploy (synth, plan, cost, preflight, the wizard): the stack with a
    stand-in for each required secret it does not set yet (a new stack before `pulumi stack init`),
    and one line per such secret saying it is still to be set. `pulumi up` itself still refuses."""
    raw, secret, filled = required_secrets.with_stand_ins(cfg.raw, cfg.secret_keys)
    if not filled:
        return cfg, []
    stand_in = StackConfig(cfg.project, cfg.stack, raw, secret, cfg.placeholders)
    return stand_in, [item.still_to_set(cfg.stack) for item in filled]
