"""The Pulumi CLI's project-config rules, reproduced so the offline synth stops where `pulumi preview` would.

Source: pulumi/pulumi (Apache-2.0), read at 1b5949891b3cefcb9974752b24a5ecef0acc86c8:
- sdk/go/common/workspace/project.go: `RewriteShorthandConfigValues` (shorthand declarations),
  `ProjectSchema` from project.json (declaration attributes and type names), `Project.Validate`
  (default vs value, arrays' items, defaults' types, keys of other namespaces),
  `ValidateConfigValue` and `InferFullTypeName` (how a value matches a type).
- pkg/workspace/config.go: `mergeConfig` (defaults applied, missing required keys reported
  together) and `validateStackConfigValue` (secret keys must be encrypted, values match types).

The CLI stops at the first failing rule; so does `check`. Messages are the CLI's, followed by a
fix. Values arrive as the stack file holds them: scalars become strings (as `config.Value` does),
maps and lists stay structured (object values).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

TYPES = ("string", "integer", "boolean", "array", "object")
DECLARATION_ATTRIBUTES = ("type", "items", "description", "secret", "default", "value")
_INTEGER = re.compile(r"^[+-]?[0-9]+\Z", re.ASCII)


class ProjectConfigError(ValueError):
    """Where the Pulumi CLI would stop before running the program: one message per problem."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def namespaced_by_project(project: str, key: str) -> bool:
    """project.go configKeyIsNamespacedByProject."""
    return ":" not in key or key.startswith(project + ":")


def full_key(project: str, key: str) -> str:
    """config.go parseConfigKey: a key without a namespace belongs to the project."""
    return key if ":" in key else f"{project}:{key}"


def declarations(project: str, config: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """project.go RewriteShorthandConfigValues: `key: value` is a default (project keys) or a value."""
    out: dict[str, dict[str, Any]] = {}
    for key, decl in (config or {}).items():
        if isinstance(decl, str | int | bool | list) and not isinstance(decl, float):
            out[key] = {"default": decl} if namespaced_by_project(project, key) else {"value": decl}
        else:
            out[key] = decl
    return out


def type_name(typ: str, items: Mapping[str, Any] | None) -> str:
    """project.go InferFullTypeName: `array<string>`."""
    if items is not None:
        return f"array<{type_name(items.get('type', ''), items.get('items'))}>"
    return typ


def value_matches(typ: str, items: Mapping[str, Any] | None, value: Any) -> bool:
    """project.go ValidateConfigValue."""
    if typ == "string":
        return isinstance(value, str)
    if typ == "integer":
        if isinstance(value, bool):
            return False
        if isinstance(value, int):
            return True
        if isinstance(value, float):
            return value == int(value)
        return isinstance(value, str) and bool(_INTEGER.match(value))
    if typ == "boolean":
        return value in ("true", "false") or isinstance(value, bool)
    if typ == "object":
        return isinstance(value, dict)
    if not isinstance(value, list) or items is None:
        return False
    return all(value_matches(items.get("type", ""), items.get("items"), item) for item in value)


def check_project(project: str, decls: Mapping[str, Any]) -> None:
    """The project file's own rules (project.json schema, then Project.Validate)."""
    for key, decl in decls.items():
        where = f"#/config/{key}"
        if not isinstance(decl, dict):
            raise ProjectConfigError([f"{where}: expected a value or a declaration object; fix Pulumi.yaml"])
        for attr in decl:
            if attr not in DECLARATION_ATTRIBUTES:
                raise ProjectConfigError(
                    [
                        f"{where}: additionalProperties '{attr}' not allowed; "
                        f"use one of {', '.join(DECLARATION_ATTRIBUTES)}"
                    ]
                )
        if "type" in decl and decl["type"] not in TYPES:
            raise ProjectConfigError(
                [f"{where}/type: value must be one of {', '.join(repr(t) for t in TYPES)}; fix Pulumi.yaml"]
            )
    for key, decl in decls.items():
        default, value = decl.get("default"), decl.get("value")
        if default is not None and value is not None:
            raise ProjectConfigError([f"project config '{key}' cannot have both a 'default' and 'value' attribute"])
        typed = decl.get("type") is not None
        if namespaced_by_project(project, key):
            if typed and decl["type"] == "array" and decl.get("items") is None:
                raise ProjectConfigError(
                    [
                        f"The configuration key '{key}' declares an array but does not specify the underlying "
                        "type via the 'items' attribute"
                    ]
                )
            if typed and default is not None and not value_matches(decl["type"], decl.get("items"), default):
                raise ProjectConfigError(
                    [
                        f"The default value specified for configuration key '{key}' is not of the expected type "
                        f"'{type_name(decl['type'], decl.get('items'))}'"
                    ]
                )
        else:
            if typed:
                raise ProjectConfigError(
                    [f"Configuration key '{key}' is not namespaced by the project and should not define a type"]
                )
            if default is not None:
                raise ProjectConfigError(
                    [
                        f"Configuration key '{key}' is not namespaced by the project and should not define a default "
                        "value. Did you mean to use the 'value' attribute instead of 'default'?"
                    ]
                )
            if value is None:
                raise ProjectConfigError(
                    [f"Configuration key '{key}' is namespaced and must provide an attribute 'value'"]
                )


def _missing_message(stack: str, keys: list[str]) -> str:
    """config.go missingStackConfigurationKeysError and formatMissingKeys."""
    if len(keys) == 1:
        return f"Stack '{stack}' is missing configuration value '{keys[0]}'"
    keys = sorted(keys)
    text = ", ".join(f"'{k}'" for k in keys[:-2])
    text = (text + ", " if text else "") + f"'{keys[-2]}' and '{keys[-1]}'"
    return f"Stack '{stack}' is missing configuration values {text}"


def _is_secure(value: Any) -> bool:
    """object.go isSecureValue: a map whose only key is `secure`, with a string."""
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get("secure"), str)


def _content(value: Any, placeholder: str) -> Any:
    """What the CLI validates: a scalar as the string config.Value holds, an object decoded (secrets decrypted)."""
    if _is_secure(value):
        return placeholder
    if isinstance(value, dict):
        return {k: _content(v, placeholder) for k, v in value.items()}
    if isinstance(value, list):
        return [_content(v, placeholder) for v in value]
    return value


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def check_stack(
    project: str, stack: str, decls: Mapping[str, Any], stack_config: Mapping[str, Any], placeholder: str
) -> dict[str, Any]:
    """mergeConfig + validateStackConfigValues: raises where the CLI stops; returns the merged config
    (full keys to the stack's raw values, with project defaults/values for absent keys)."""
    given = {full_key(project, k): v for k, v in stack_config.items()}
    merged = dict(given)
    missing: list[str] = []
    for key in sorted(decls):
        decl = decls[key]
        fk = full_key(project, key)
        has_default, has_value = decl.get("default") is not None, decl.get("value") is not None
        if fk not in given and not has_default and not has_value and fk.split(":", 1)[0] == project:
            missing.append(key)
            continue
        if fk not in given and (has_default or has_value):
            merged[fk] = decl["default"] if has_default else decl["value"]
    if missing:
        short = [k.split(":", 1)[1] if k.startswith(project + ":") else k for k in missing]
        raise ProjectConfigError(
            [
                _missing_message(stack, missing)
                + f"; set {'it' if len(missing) == 1 else 'them'} with `pulumi config set {short[0]} <value>`"
                + " or declare a default in Pulumi.yaml"
            ]
        )
    for key in sorted(decls):
        decl = decls[key]
        fk = full_key(project, key)
        if decl.get("type") is None:
            continue
        raw = merged.get(fk)
        if decl.get("secret") and not _is_secure(raw):
            raise ProjectConfigError(
                [
                    f"Stack '{stack}' with configuration key '{key}' must be encrypted as it's secret; "
                    f"set it with `pulumi config set --secret {key} <value>`"
                ]
            )
        content = _content(raw, placeholder)
        if not isinstance(content, dict | list):
            content = _scalar_text(content)
        if not value_matches(decl["type"], decl.get("items"), content):
            expected = type_name(decl["type"], decl.get("items"))
            raise ProjectConfigError(
                [
                    f"Stack '{stack}' with configuration key '{key}' must be of type '{expected}'; "
                    f"give a {expected} value"
                ]
            )
    return merged
