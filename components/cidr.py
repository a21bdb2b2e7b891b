"""CIDR planning for the BYOC VPC: pure functions, no Pulumi.

Layout of the primary range (prefix p), the same for every p so plans are easy to reason about:

* the first three quarters (/p+2) are the private subnets, one per zone: nodes and, without a
  pod range, every pod IP live there, so they get most of the space;
* the last quarter is cut into four /p+4 blocks: the first three are the public subnets (NLBs,
  NAT gateways), the fourth is left free for later use.

A secondary pod range (prefix q) is cut into four /q+2 blocks; the first three are the pod
subnets. The primary plan never depends on the pod range, so adding one later moves nothing.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

ZONES = 3
# AWS keeps the first four addresses and the last one of every subnet.
AWS_RESERVED_PER_SUBNET = 5
VPC_PREFIX_RANGE = (16, 23)
POD_PREFIX_RANGE = (16, 20)
CGNAT = ipaddress.ip_network("100.64.0.0/10")
RFC1918 = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))


@dataclass(frozen=True)
class Tier:
    """One tier of subnets (public, private or pod), one subnet per zone."""

    name: str
    """`public`, `private` or `pod`."""
    cidrs: tuple[str, ...]
    """One CIDR per zone, in zone order."""

    @property
    def prefix(self) -> int:
        return ipaddress.ip_network(self.cidrs[0]).prefixlen

    @property
    def usable_per_subnet(self) -> int:
        return ipaddress.ip_network(self.cidrs[0]).num_addresses - AWS_RESERVED_PER_SUBNET

    @property
    def usable_total(self) -> int:
        return self.usable_per_subnet * len(self.cidrs)


@dataclass(frozen=True)
class SubnetPlan:
    """The subnets of one VPC: deterministic for a given VPC range and pod range."""

    vpc_cidr: str
    """The primary range."""
    pod_cidr: str | None
    """The secondary pod range, if any."""
    public: Tier
    """Small subnets for NLBs and NAT gateways."""
    private: Tier
    """Large subnets for nodes (and pods, without a pod range)."""
    pods: Tier | None
    """Subnets of the secondary range that pods get their IPs from, if any."""
    spare: str
    """The block of the primary range that no subnet uses yet."""

    def tiers(self) -> list[Tier]:
        return [t for t in (self.public, self.private, self.pods) if t is not None]

    def capacity(self) -> dict[str, dict[str, int]]:
        """Usable IPs per tier: per subnet and over all zones."""
        return {
            t.name: {"prefix": t.prefix, "per_subnet": t.usable_per_subnet, "total": t.usable_total}
            for t in self.tiers()
        }


@dataclass(frozen=True)
class InternalRanges:
    """Our internal ranges: the VPC, its pod range and the peered VPCs. The one definition every
    layer uses (subnets, the private NLB's sources, who may log in to ClickHouse)."""

    vpc_cidr: str
    """The VPC's primary range."""
    pod_cidr: str | None = None
    """The secondary range pods get their IPs from, or None: pods live in the private subnets."""
    peer_cidrs: tuple[str, ...] = ()
    """The ranges of peered VPCs."""

    @property
    def has_pod_range(self) -> bool:
        """Whether pods get their own subnets (vpc-cni custom networking)."""
        return self.pod_cidr is not None

    @property
    def cluster(self) -> tuple[str, ...]:
        """Where the cluster's nodes and pods have addresses: the VPC and its pod range."""
        return (self.vpc_cidr, self.pod_cidr) if self.pod_cidr is not None else (self.vpc_cidr,)

    @property
    def private_sources(self) -> tuple[str, ...]:
        """Who may reach the private NLB: the cluster's ranges and the peered VPCs."""
        return (*self.cluster, *self.peer_cidrs)

    def subnet_plan(self) -> SubnetPlan:
        """The VPC's subnets for these ranges."""
        return plan_subnets(self.vpc_cidr, self.pod_cidr)


def _split(cidr: str, extra_bits: int) -> list[str]:
    return [str(n) for n in ipaddress.ip_network(cidr).subnets(prefixlen_diff=extra_bits)]


def plan_subnets(vpc_cidr: str, pod_cidr: str | None = None) -> SubnetPlan:
    """Plans one public and one private subnet per zone in `vpc_cidr`, and pod subnets in `pod_cidr`.

    Inputs must already be validated (see `vpc_cidr_problem` / `pod_cidr_problem`).
    """
    quarters = _split(vpc_cidr, 2)
    small = _split(quarters[3], 2)
    pods = Tier("pod", tuple(_split(pod_cidr, 2)[:ZONES])) if pod_cidr else None
    return SubnetPlan(
        vpc_cidr=str(ipaddress.ip_network(vpc_cidr)),
        pod_cidr=str(ipaddress.ip_network(pod_cidr)) if pod_cidr else None,
        public=Tier("public", tuple(small[:ZONES])),
        private=Tier("private", tuple(quarters[:ZONES])),
        pods=pods,
        spare=small[3],
    )


def parse_network(value: str) -> ipaddress.IPv4Network | None:
    """The network `value` names, or None when it is not a valid IPv4 CIDR with no host bits."""
    try:
        net = ipaddress.ip_network(value, strict=True)
    except (ValueError, TypeError):
        return None
    return net if isinstance(net, ipaddress.IPv4Network) and "/" in str(value) else None


def vpc_cidr_problem(value: str) -> str | None:
    """Why `value` cannot be the VPC range (problem; fix), or None when it can."""
    lo, hi = VPC_PREFIX_RANGE
    net = parse_network(value)
    if net is None:
        return "not an IPv4 CIDR without host bits; use a network address such as 10.0.0.0/22"
    if not any(net.subnet_of(r) for r in RFC1918):
        return "not inside an RFC 1918 range; choose a range inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16"
    if net.prefixlen < lo:
        return f"larger than /{lo}; AWS allows a /{lo} VPC at most: choose a /{lo}-/{hi} range"
    if net.prefixlen > hi:
        return f"smaller than /{hi}; choose a /{lo}-/{hi} private range (/22 or larger is advised)"
    return None


def pod_cidr_problem(value: str) -> str | None:
    """Why `value` cannot be the pod range (problem; fix), or None when it can."""
    lo, hi = POD_PREFIX_RANGE
    net = parse_network(value)
    if net is None:
        return "not an IPv4 CIDR without host bits; use a network address such as 100.64.0.0/16"
    if not net.subnet_of(CGNAT):
        return "not inside 100.64.0.0/10; choose a /16-/20 range inside 100.64.0.0/10 such as 100.64.0.0/16"
    if not lo <= net.prefixlen <= hi:
        return f"prefix /{net.prefixlen} is outside /{lo}-/{hi}; choose a /{lo}-/{hi} range inside 100.64.0.0/10"
    return None


def render_layout_table(sizes: list[str], pod_cidr: str) -> str:
    """A Markdown table of the layout and usable IPs for each VPC range, with and without `pod_cidr`."""
    rows = [
        "| VPC range | pod range | private subnets (nodes, pods) | public subnets (NLB, NAT) "
        "| pod subnets | usable IPs for pods |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for vpc in sizes:
        for pods in (None, pod_cidr):
            plan = plan_subnets(vpc, pods)
            pod_tier = plan.pods
            rows.append(
                f"| `{vpc}` | {f'`{pods}`' if pods else 'none'} "
                f"| 3 x /{plan.private.prefix} ({plan.private.usable_per_subnet} usable each) "
                f"| 3 x /{plan.public.prefix} ({plan.public.usable_per_subnet} usable each) "
                f"| {f'3 x /{pod_tier.prefix} ({pod_tier.usable_per_subnet} usable each)' if pod_tier else '-'} "
                f"| {(pod_tier or plan.private).usable_total} |"
            )
    return "\n".join(rows)
