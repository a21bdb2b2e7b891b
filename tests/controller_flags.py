"""The flag defaults of the controllers the program installs, read from their vendored sources at the
pinned versions (`tests/upstream/controllers/`, see its SOURCES.md), and the flags a rendered
container passes.

Each controller's defaults come from the Go code that binds its flags (what the binary does when a
flag is absent), cross-checked against its documentation table where it has one. Which AWS calls a
feature makes comes from the code that makes them (the load balancer controller's add-on managers),
or from the upstream document that lists the permissions the feature needs.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

UPSTREAM = Path(__file__).resolve().parent / "upstream" / "controllers"
LBC = UPSTREAM / "aws-load-balancer-controller-v2.14.0"
EXTERNAL_DNS = UPSTREAM / "external-dns-v0.21.0"
CERT_MANAGER = UPSTREAM / "cert-manager-v1.19.1"


# --- reading a container's flags ------------------------------------------------------------------


def flags(args: Iterable[str]) -> dict[str, str]:
    """`--name=value` and bare `--name` arguments as pflag reads them (the last occurrence wins; a
    bare boolean flag is true)."""
    out: dict[str, str] = {}
    for arg in args:
        if not arg.startswith("--"):
            continue
        name, _, value = arg[2:].partition("=")
        out[name] = value if "=" in arg else "true"
    return out


def parse_bool(text: str) -> bool:
    """Go's strconv.ParseBool, which pflag's BoolVar uses."""
    if text in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if text in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    raise ValueError(f"not a Go boolean: {text!r}")


def container_args(objects: Iterable[Mapping[str, Any]], container: str) -> list[str]:
    """The args (or command) of the one container of that name in the rendered Deployments."""
    found = [
        c.get("args") or c.get("command") or []
        for o in objects
        if o.get("kind") == "Deployment"
        for c in o["spec"]["template"]["spec"]["containers"]
        if c["name"] == container
    ]
    assert len(found) == 1, f"{len(found)} containers named {container}"
    return list(found[0])


# --- the AWS Load Balancer Controller v2.14.0 ------------------------------------------------------


def _go_consts(text: str) -> dict[str, str]:
    """`name = value` constants (one per line) of a Go file, values as written."""
    return dict(re.findall(r"^\s*(\w+)\s*=\s*(\"[^\"]*\"|true|false)\s*$", text, re.M))


@functools.cache
def lbc_addon_flags() -> dict[str, tuple[str, bool]]:
    """`AddonsConfig` field -> (flag, default), from `pkg/config/addons_config.go`."""
    text = (LBC / "pkg/config/addons_config.go").read_text()
    consts = _go_consts(text)
    out = {}
    for field, flag_const, default in re.findall(r"fs\.BoolVar\(&f\.(\w+),\s*(\w+),\s*(\w+),", text):
        out[field] = (json.loads(consts[flag_const]), consts.get(default, default) == "true")
    return out


@functools.cache
def lbc_feature_gates() -> dict[str, bool]:
    """Feature gate -> default, from `NewFeatureGates` in `pkg/config/feature_gates.go`."""
    text = (LBC / "pkg/config/feature_gates.go").read_text()
    names = dict(re.findall(r"^\s*(\w+)\s+Feature\s*=\s*\"(\w+)\"", text, re.M))
    body = text[text.index("func NewFeatureGates()") :]
    body = body[: body.index("\n}\n")]
    return {names[const]: value == "true" for const, value in re.findall(r"^\s*(\w+):\s*(true|false),", body, re.M)}


@functools.cache
def lbc_documented_defaults() -> dict[str, str]:
    """Flag or feature gate -> default as `docs/deploy/configurations.md` tabulates it."""
    out = {}
    for line in (LBC / "docs/deploy/configurations.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0] and not cells[0].startswith("-"):
            name = re.sub(r"^\[([^\]]+)\]\(.*\)$", r"\1", cells[0])
            out[name] = cells[2]
    return out


@functools.cache
def lbc_documented_gate_permissions() -> dict[str, set[str]]:
    """Feature gate -> IAM actions its documented description says it needs (`service:Action` in
    backquotes, e.g. EnableRGTAPI and `tag:GetResources`)."""
    out: dict[str, set[str]] = {}
    text = (LBC / "docs/deploy/configurations.md").read_text()
    section = text[text.index("### Feature Gates") :]
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 4:
            actions = set(re.findall(r"`([a-z0-9-]+:[A-Z]\w+)`", cells[3]))
            if actions:
                out[cells[0]] = actions
    return out


@functools.cache
def lbc_gated_packages() -> dict[str, str]:
    """`AddonsConfig` field -> the package whose synthesizer it gates, from `Deploy` in
    `pkg/deploy/stack_deployer.go` (`if d.addonsConfig.X { ... <pkg>.New...Synthesizer(...) }`)."""
    out = {}
    field = None
    for line in (LBC / "pkg/deploy/stack_deployer.go").read_text().splitlines():
        if m := re.search(r"if d\.addonsConfig\.(\w+)", line):
            field = m.group(1)
        elif field and (m := re.search(r"\b(\w+)\.New\w*Synthesizer\(", line)):
            out[field] = m.group(1)
            field = None
    return out


# The manager of each add-on package (the only code calling that AWS service), and the service's IAM
# prefix (Service Authorization Reference: `shield`, `waf-regional` for WAF Classic regional, `wafv2`).
LBC_MANAGERS = {
    "shield": ("pkg/deploy/shield/protection_manager.go", "shield"),
    "wafregional": ("pkg/deploy/wafregional/web_acl_association_manager.go", "waf-regional"),
    "wafv2": ("pkg/deploy/wafv2/web_acl_association_manager.go", "wafv2"),
}
# Permissions the upstream policy grants for a feature that no controller code calls itself: the
# Elastic Load Balancing side of a WAF Classic association (the upstream policy lists it for WAF
# Regional, and WAF Regional associates web ACLs with ALBs only).
LBC_INDIRECT = {"elasticloadbalancing:SetWebAcl": "waf-regional:AssociateWebACL"}


@functools.cache
def lbc_package_actions(package: str) -> frozenset[str]:
    """The IAM actions of the AWS calls an add-on package's manager makes (`<client>.<Op>WithContext`)."""
    path, prefix = LBC_MANAGERS[package]
    ops = re.findall(r"Client\.(\w+)WithContext\(", (LBC / path).read_text())
    return frozenset(f"{prefix}:{op}" for op in ops)


@dataclass(frozen=True)
class Feature:
    """A controller feature, the flag that switches it and its default at the pinned version."""

    flag: str
    """The command-line flag (`enable-waf`) or `feature-gates:<Gate>`."""
    default: bool
    """Its value when the flag is absent."""

    def effective(self, args: Iterable[str]) -> bool:
        """Whether it is on for a container started with these args."""
        given = flags(args)
        if self.flag.startswith("feature-gates:"):
            gate = self.flag.split(":", 1)[1]
            # SplitMapStringBool: comma-separated key=value, both trimmed.
            pairs = [p.split("=", 1) for p in given.get("feature-gates", "").split(",") if "=" in p]
            values = {k.strip(): v.strip() for k, v in pairs}
            return parse_bool(values[gate]) if gate in values else self.default
        return parse_bool(given[self.flag]) if self.flag in given else self.default


def lbc_feature_of(action: str) -> Feature:
    """The feature (add-on flag) whose code makes the call that needs this action."""
    called = LBC_INDIRECT.get(action, action)
    flags_by_field = lbc_addon_flags()
    for field, package in lbc_gated_packages().items():
        if package in LBC_MANAGERS and called in lbc_package_actions(package):
            flag, default = flags_by_field[field]
            return Feature(flag, default)
    raise LookupError(f"{action}: no v2.14.0 add-on makes this call; find the feature that needs it")


def lbc_gate_features() -> dict[str, tuple[Feature, set[str]]]:
    """Feature gate -> (feature, the IAM actions its documentation says it needs)."""
    gates = lbc_feature_gates()
    return {
        gate: (Feature(f"feature-gates:{gate}", gates[gate]), actions)
        for gate, actions in lbc_documented_gate_permissions().items()
    }


# --- external-dns v0.21.0 ---------------------------------------------------------------------------


@functools.cache
def external_dns_defaults() -> dict[str, str]:
    """`defaultConfig` string fields of `pkg/apis/externaldns/types.go`, constants resolved
    (`constants.go`): `Registry` -> `txt`, `AWSAssumeRole` -> ``."""
    consts = _go_consts((EXTERNAL_DNS / "pkg/apis/externaldns/constants.go").read_text())
    text = (EXTERNAL_DNS / "pkg/apis/externaldns/types.go").read_text()
    body = text[text.index("var defaultConfig = &Config{") :]
    body = body[: body.index("\n}\n")]
    out = {}
    for field, value in re.findall(r"^\s*(\w+):\s*(\"[^\"]*\"|\w+),\s*$", body, re.M):
        if value.startswith('"'):
            out[field] = json.loads(value)
        elif value in consts:
            out[field] = json.loads(consts[value])
    return out


@functools.cache
def external_dns_flag_fields() -> dict[str, str]:
    """Flag -> the `Config` field it sets (`b.<Kind>Var("<flag>", ..., &cfg.<Field>`)."""
    text = (EXTERNAL_DNS / "pkg/apis/externaldns/types.go").read_text()
    return dict(re.findall(r"b\.\w+Var\(\"([\w-]+)\",.*?&cfg\.(\w+)", text))


@functools.cache
def external_dns_dynamodb_actions() -> frozenset[str]:
    """What the DynamoDB registry needs on top of the AWS provider's policy (`docs/registry/dynamodb.md`;
    IAM action names are case-insensitive, the doc writes `DynamoDB:`)."""
    text = (EXTERNAL_DNS / "docs/registry/dynamodb.md").read_text()
    return frozenset("dynamodb:" + op for op in re.findall(r"\"DynamoDB:(\w+)\"", text))


# --- cert-manager v1.19.1 ---------------------------------------------------------------------------


@functools.cache
def cert_manager_defaults() -> dict[str, bool]:
    """Boolean `default<Field>` values of the controller configuration (`defaults.go`)."""
    text = (CERT_MANAGER / "internal/apis/config/controller/v1alpha1/defaults.go").read_text()
    return {f: v == "true" for f, v in re.findall(r"^\s*default(\w+)\s*=\s*(true|false)\s*$", text, re.M)}


@functools.cache
def cert_manager_flag_fields() -> dict[str, str]:
    """Flag -> the configuration field it sets (`fs.BoolVar(&c.<Field>, "<flag>", ...`)."""
    text = (CERT_MANAGER / "cmd/controller/app/options/options.go").read_text()
    return {flag: field for field, flag in re.findall(r"fs\.BoolVar\(&c\.(\w+),\s*\"([\w-]+)\"", text)}
