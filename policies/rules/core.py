"""The pack's shared machinery: constants, reading values that may be unknown or secret, `Rule`.

Every rule module registers its rules with `@rule(...)`; `policies()` turns them into the
pulumi-policy objects `PolicyPack` takes, in registration order (the order `rules/__init__.py`
imports the family modules, which is the README table's order).
"""

from __future__ import annotations

import fnmatch
import ipaddress
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ResourceValidationPolicy,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

PACK_NAME = "clickhouse-byoc"
# Kept equal to components/naming.py by a test; the pack cannot import the program.
PREFIX = "ClickHouse-cloud"
BYOC_TAG = "clickhouse-byoc"
DEPLOYMENT_TAG = "clickhouse-byoc/deployment"
PURPOSE_TAG = "clickhouse-byoc/bucket-purpose"
# What an IAM role or policy is for (`management`: the vendor's bootstrap role and its policies;
# `boundary`: the permissions boundary), and the bootstrap role's profile (components/iam.py).
ROLE_PURPOSE_TAG = "clickhouse-byoc/purpose"
BOOTSTRAP_PROFILE_TAG = "clickhouse-byoc/bootstrap-profile"
VENDOR_PROFILE = "clickhouse-cloud"
DATA_PROTECTION_TAG = "clickhouse-byoc/data-protection"
ALLOW_ANY_SOURCE = "clickhouse-byoc/allow-any-source"
LB_NAME_ANNOTATION = "service.beta.kubernetes.io/aws-load-balancer-name"
LB_SCHEME_ANNOTATION = "service.beta.kubernetes.io/aws-load-balancer-scheme"
PUBLIC_GATEWAY_NAMESPACE = "istio-ingress"
# The offline synth masks secrets with this marker (tools/mocks.py SECRET).
SECRET = "[secret]"
ELB_NAME_MAX = 32
WORLD = ("0.0.0.0/0", "::/0")

MANDATORY = EnforcementLevel.MANDATORY
ADVISORY = EnforcementLevel.ADVISORY

# -- reading props that may be unknown (preview) or secret (offline) --------------------------------


class CannotRead(Exception):
    """A value the rule needs cannot be read: a secret in the offline synth output."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def get(value: Any, *path: str | int, default: Any = None) -> Any:
    """`value[path...]`, or `default` when a step is missing; raises on unknown or secret values."""
    cur = value
    for key in path:
        if isinstance(key, int):
            if isinstance(cur, str) or not isinstance(cur, Sequence) or not -len(cur) <= key < len(cur):
                return default
        elif not isinstance(cur, Mapping) or key not in cur:
            return default
        cur = cur[key]
    if isinstance(cur, str) and cur == SECRET:
        raise CannotRead(f"{'.'.join(str(p) for p in path)} is a secret, which cannot be read offline")
    return default if cur is None else cur


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, Sequence):
        return [value]
    return list(value)


def as_int(value: Any) -> int | None:
    """A whole number, or None: numbers cross gRPC as doubles (a hop limit of 1 arrives as 1.0)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        return None
    return int(value)


def decoded(value: Any) -> Any:
    """Providers receive structured settings as JSON text; decode them when they are."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def document(raw: Any, where: str) -> Mapping[str, Any] | None:
    """A policy document given as JSON text or as a map; None when absent."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, str):
        if raw == SECRET:
            raise CannotRead(f"{where} is a secret, which cannot be read offline")
        try:
            doc = json.loads(raw)
        except ValueError as exc:
            raise CannotRead(f"{where} is not valid JSON ({exc})") from exc
        return doc if isinstance(doc, Mapping) else None
    return raw if isinstance(raw, Mapping) else None


def statements(doc: Mapping[str, Any] | None) -> list[tuple[str, Mapping[str, Any]]]:
    """(label, statement) pairs: the label is the Sid or the statement's index."""
    if doc is None:
        return []
    out = []
    for i, st in enumerate(as_list(doc.get("Statement"))):
        if isinstance(st, Mapping):
            out.append((f"statement {st.get('Sid') or i}", st))
    return out


def action_matches(patterns: Iterable[str], action: str) -> bool:
    """Whether an IAM action pattern (with `*`/`?` wildcards, case-insensitive) covers `action`."""
    return any(isinstance(p, str) and fnmatch.fnmatchcase(action.lower(), p.lower()) for p in patterns)


def grants(st: Mapping[str, Any], action: str) -> bool:
    """Whether an Allow statement grants `action` (through Action, or through a NotAction)."""
    if st.get("Effect") != "Allow":
        return False
    if "NotAction" in st:
        return not action_matches(as_list(st.get("NotAction")), action)
    return action_matches(as_list(st.get("Action")), action)


def is_world(cidr: Any) -> bool:
    try:
        return isinstance(cidr, str) and ipaddress.ip_network(cidr, strict=False).prefixlen == 0
    except ValueError:
        return False


def tags_of(r: Any) -> Mapping[str, Any]:
    return get(r.props, "tags", default={})


def provider_props(r: Any) -> Mapping[str, Any]:
    provider = getattr(r, "provider", None)
    return provider.props if provider is not None and provider.props is not None else {}


# -- Istio gateways: Helm releases of the gateway chart and Services of type LoadBalancer ----------

HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
K8S_SERVICE = "kubernetes:core/v1:Service"


def is_gateway_release(r: Any) -> bool:
    if r.resource_type != HELM_RELEASE:
        return False
    chart = get(r.props, "chart", default="")
    return isinstance(chart, str) and (chart == "gateway" or chart.endswith("/gateway"))


def gateway_service(r: Any) -> Mapping[str, Any]:
    """The Service settings of an Istio gateway release (`values.service`), or of a Service's spec."""
    if r.resource_type == K8S_SERVICE:
        spec = get(r.props, "spec", default={})
        meta = get(r.props, "metadata", default={})
        return {**dict(spec), "annotations": get(meta, "annotations", default={})}
    return get(r.props, "values", "service", default={})


def load_balancer_services(r: Any) -> bool:
    """Gateway releases and Services of type LoadBalancer: the AWS Load Balancer Controller makes NLBs."""
    if is_gateway_release(r):
        return get(gateway_service(r), "type", default="LoadBalancer") == "LoadBalancer"
    return r.resource_type == K8S_SERVICE and get(r.props, "spec", "type") == "LoadBalancer"


# -- rules -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One result of a rule: a violation, or a note that a resource could not be checked."""

    urn: str
    message: str
    checked: bool = True


class CannotCheck(UnknownValueError):
    """Raised after the violations are reported when some resources could not be checked.

    pulumi-policy turns an UnknownValueError into an advisory "can't run policy" diagnostic, so a
    resource the rule cannot read is reported as advisory whatever the rule's own level.
    """

    def __init__(self, findings: list[Finding]):  # pylint: disable=super-init-not-called
        Exception.__init__(self)
        self.findings = findings
        self.unknown_type_sentinel = None
        self.props: list[str] = []
        self.message = "cannot check " + "; ".join(f"{f.urn}: {f.message}" for f in findings)


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    fix: str
    """How to fix a violation, for the README table and the policy's remediation steps."""
    level: EnforcementLevel
    scope: str
    """`resource`: check(resource, config) yields messages; `stack`: check(resources, config) yields Findings."""
    check: Callable[..., Iterable[Any]]
    config: Mapping[str, Mapping[str, Any]] | None = None
    """Config properties (JSON schema) the rule reads, with their defaults."""

    def policy(self) -> ResourceValidationPolicy | StackValidationPolicy:
        schema = PolicyConfigSchema(dict(self.config)) if self.config else None
        common = dict(
            name=self.name,
            description=self.description,
            enforcement_level=self.level,
            config_schema=schema,
            remediation_steps=self.fix,
        )
        if self.scope == "resource":
            return ResourceValidationPolicy(validate=self._validate_resource, **common)
        return StackValidationPolicy(validate=self._validate_stack, **common)

    def settings(self, args: Any) -> dict[str, Any]:
        given = dict(args.get_config() or {})
        defaults = {k: v.get("default") for k, v in (self.config or {}).items()}
        return {**defaults, **given}

    def _validate_resource(self, args: Any, report_violation: Callable[..., None]) -> None:
        _report(list(guarded(args, lambda: self.check(args, self.settings(args)))), report_violation)

    def _validate_stack(self, args: Any, report_violation: Callable[..., None]) -> None:
        _report(list(self.check(list(args.resources), self.settings(args))), report_violation)


def guarded(r: Any, run: Callable[[], Iterable[str]]) -> Iterator[Finding]:
    """Runs one resource's check; an unknown or secret value turns into a "cannot check" note."""
    try:
        messages = list(run())
    except UnknownValueError as exc:
        yield Finding(r.urn, exc.message, checked=False)
        return
    except CannotRead as exc:
        yield Finding(r.urn, exc.reason, checked=False)
        return
    for message in messages:
        yield Finding(r.urn, message)


def _report(findings: list[Finding], report_violation: Callable[..., None]) -> None:
    for f in findings:
        if f.checked:
            report_violation(f.message, f.urn)
    unchecked = [f for f in findings if not f.checked]
    if unchecked:
        raise CannotCheck(unchecked)


RULES: list[Rule] = []


def rule(
    name: str,
    *,
    description: str,
    fix: str,
    level: EnforcementLevel = MANDATORY,
    scope: str = "resource",
    config: Mapping[str, Mapping[str, Any]] | None = None,
) -> Callable[[Callable[..., Iterable[Any]]], Callable[..., Iterable[Any]]]:
    def register(fn: Callable[..., Iterable[Any]]) -> Callable[..., Iterable[Any]]:
        RULES.append(Rule(name, description, fix, level, scope, fn, config))
        return fn

    return register


def policies() -> list[ResourceValidationPolicy | StackValidationPolicy]:
    """The pulumi-policy objects of every rule, in the order of the README table."""
    return [r.policy() for r in RULES]


def rule_named(name: str) -> Rule:
    return next(r for r in RULES if r.name == name)
