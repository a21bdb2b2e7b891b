"""Ingress: IP allow-lists on public gateways, no world-open ingress rules."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from .core import (
    ALLOW_ANY_SOURCE,
    HELM_RELEASE,
    LB_SCHEME_ANNOTATION,
    PUBLIC_GATEWAY_NAMESPACE,
    CannotRead,
    Finding,
    as_int,
    as_list,
    gateway_service,
    get,
    guarded,
    is_world,
    load_balancer_services,
    rule,
)

# -- ingress ---------------------------------------------------------------------------------------


def is_public_service(r: Any) -> bool:
    if not load_balancer_services(r):
        return False
    scheme = get(gateway_service(r), "annotations", LB_SCHEME_ANNOTATION)
    if scheme:
        return scheme == "internet-facing"
    namespace = get(r.props, "namespace") if r.resource_type == HELM_RELEASE else get(r.props, "metadata", "namespace")
    return namespace == PUBLIC_GATEWAY_NAMESPACE


def source_ranges(r: Any) -> list[Any]:
    return as_list(get(gateway_service(r), "loadBalancerSourceRanges"))


def opted_out(r: Any) -> bool:
    return str(get(gateway_service(r), "annotations", ALLOW_ANY_SOURCE, default="")).lower() == "true"


def allow_listed(r: Any) -> bool:
    ranges = source_ranges(r)
    return bool(ranges) and not any(is_world(c) for c in ranges)


@rule(
    "ingress-ip-allowlist",
    description="The public ingress gateway's load balancer only accepts the allow-listed client networks "
    "(loadBalancerSourceRanges), unless the stack explicitly opted out.",
    fix="Set the ingress allow list (the gateway's service.loadBalancerSourceRanges) to your clients' "
    "networks; opting out is the explicit annotation clickhouse-byoc/allow-any-source: 'true'.",
)
def ingress_ip_allowlist(r: Any, config: Mapping[str, Any]) -> Iterator[str]:
    if not is_public_service(r) or opted_out(r):
        return
    ranges = source_ranges(r)
    if not ranges:
        yield (
            f"the public load balancer of {r.name!r} accepts every address: set service.loadBalancerSourceRanges "
            f"to your clients' networks (or opt out explicitly with {ALLOW_ANY_SOURCE}: 'true')"
        )
    elif any(is_world(c) for c in ranges):
        yield f"the allow list of {r.name!r} contains {[c for c in ranges if is_world(c)]}: list your clients' networks"


# Istio's gateway chart defaults (values.service.ports) when the release does not set ports.
GATEWAY_DEFAULT_PORTS = (15021, 80, 443)
_SG = ("aws:ec2/securityGroup:SecurityGroup", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
_SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
_SG_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"


def listener_ports(r: Any) -> set[int]:
    ports = as_list(get(gateway_service(r), "ports"))
    if not ports:
        return set(GATEWAY_DEFAULT_PORTS)
    out: set[int] = set()
    for p in ports:
        for key in ("port", "targetPort"):
            value = as_int(get(p, key))
            if value is not None:
                out.add(value)
    return out


def world_rules(r: Any) -> Iterator[tuple[str, Any, Any, Any, list[str]]]:
    """(label, protocol, from, to, world CIDRs) of every ingress rule of a SG resource open to the world."""
    typ = r.resource_type
    if typ in _SG:
        for i, rule_ in enumerate(as_list(get(r.props, "ingress"))):
            cidrs = as_list(get(rule_, "cidrBlocks")) + as_list(get(rule_, "ipv6CidrBlocks"))
            world = [c for c in cidrs if is_world(c)]
            if world:
                yield f"ingress[{i}]", get(rule_, "protocol"), get(rule_, "fromPort"), get(rule_, "toPort"), world
    elif typ == _SG_RULE and get(r.props, "type") == "ingress":
        cidrs = as_list(get(r.props, "cidrBlocks")) + as_list(get(r.props, "ipv6CidrBlocks"))
        world = [c for c in cidrs if is_world(c)]
        if world:
            yield "rule", get(r.props, "protocol"), get(r.props, "fromPort"), get(r.props, "toPort"), world
    elif typ == _SG_INGRESS:
        world = [c for c in (get(r.props, "cidrIpv4"), get(r.props, "cidrIpv6")) if is_world(c)]
        if world:
            yield "rule", get(r.props, "ipProtocol"), get(r.props, "fromPort"), get(r.props, "toPort"), world


@rule(
    "no-world-ingress",
    scope="stack",
    description="No security group rule accepts 0.0.0.0/0 or ::/0, except on the public gateway's listener "
    "ports while its IP allow list is set.",
    fix="Replace the world CIDR by the networks that need access (the VPC, the peer VPCs, the source "
    "security group); world access to the listener ports goes through the gateway's allow list.",
)
def no_world_ingress(resources: list[Any], config: Mapping[str, Any]) -> Iterator[Finding]:
    allowed: set[int] = set()
    for gateway in resources:
        try:
            if is_public_service(gateway) and allow_listed(gateway):
                allowed |= listener_ports(gateway)
        except (UnknownValueError, CannotRead):
            continue

    def check(r: Any) -> Iterator[str]:
        for label, protocol, from_port, to_port, world in world_rules(r):
            low, high = as_int(from_port), as_int(to_port)
            ports = range(low, high + 1) if low is not None and high is not None else None
            everything = str(protocol) in ("-1", "all") or ports is None or len(ports) > 1024
            if not everything and all(p in allowed for p in ports):
                continue
            span = "all ports" if everything else f"ports {low}-{high}"
            yield (
                f"{label} opens {span} to {', '.join(world)}: allow the VPC, peer or source security group "
                f"instead (world access is only for the public gateway's listener ports "
                f"{sorted(allowed) or '(none: no allow-listed public gateway)'})"
            )

    types = (*_SG, _SG_RULE, _SG_INGRESS)
    for r in resources:
        if r.resource_type in types:
            yield from guarded(r, lambda r=r: check(r))
