"""The network layer's settings: VPC range, pod range, zones, NAT gateways, peerings.

Each peering is parsed straight into the peering layer's `PeeringSpec` (components/peering.py).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from components import cidr, network
from components.peering import PeeringSpec
from components.settings.aws import arn_partition_problem, region_problem
from components.settings.patterns import ACCOUNT_RE
from components.settings.reader import NS, Problems, claim_name, coerce, decode_value, read_list

NAT_MODES = ("one-per-az", "single")
DEFAULTS: dict[str, Any] = {"vpcCidr": "10.0.0.0/22", "natGateways": "one-per-az", "peerings": []}
OBJECT_FIELDS: dict[str, dict[str, type]] = {}
REQUIRED: tuple[str, ...] = ()
# No default: without zones the region's first three are used; without a pod range pods use the VPC's.
OPTIONAL = ("availabilityZones", "podCidr")
PEERING_KEYS = ("name", "cidr", "vpcId", "accountId", "region", "accepterRoleArn", "peerRouteTableIds", "privateDns")
ROLE_ARN_RE = re.compile(r"^arn:aws:iam::(\d{12}):role/[\w+=,.@/-]{1,512}\Z", re.ASCII)
ROUTE_TABLE_ID_RE = re.compile(r"^rtb-[0-9a-f]{8}([0-9a-f]{9})?\Z", re.ASCII)

VPC_ID_RE = re.compile(r"^vpc-[0-9a-f]{8}([0-9a-f]{9})?\Z", re.ASCII)
PEERING_NAME_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?\Z", re.ASCII)
# The source: "/23 is possible but may limit the deployment to about 30 ClickHouse server pods".
SMALL_VPC_WARNING = (
    "clickhouse-byoc:vpcCidr: {cidr}: a /23 leaves {ips} usable private IPs for nodes and pods "
    "(about 30 ClickHouse server pods); set podCidr (a range in 100.64.0.0/10) or use a /22 or larger"
)


@dataclass(frozen=True)
class NetworkSettings:
    """The VPC: its ranges, zones, egress and peers (keys `vpcCidr`, `podCidr`, `availabilityZones`,
    `natGateways`, `peerings`)."""

    vpc_cidr: str
    """Primary VPC range (RFC 1918, /16-/23)."""
    pod_cidr: str | None = None
    """Optional secondary range in 100.64.0.0/10 for pod IPs."""
    availability_zones: tuple[str, ...] | None = None
    """Three zones of the region, or None to use the region's first three."""
    nat_gateways: str = DEFAULTS["natGateways"]
    """`one-per-az` or `single`."""
    peerings: tuple[PeeringSpec, ...] = ()
    """Peer VPCs to plan for."""

    @property
    def ranges(self) -> cidr.InternalRanges:
        """Our internal ranges: the VPC, its pod range, the peered VPCs."""
        return cidr.InternalRanges(self.vpc_cidr, self.pod_cidr, tuple(p.cidr for p in self.peerings))

    @property
    def private_endpoint_sources(self) -> tuple[tuple[str, str], ...]:
        """(key, CIDR) of every range the private NLB admits: the VPC, its pod range, each peer."""
        return network.endpoint_sources(self.vpc_cidr, self.pod_cidr, [(p.name, p.cidr) for p in self.peerings])


def parse(raw: Mapping[str, str], region: str, p: Problems) -> NetworkSettings:
    zones = _zones(raw, region, p)
    vpc_cidr = raw.get(f"{NS}:vpcCidr", DEFAULTS["vpcCidr"])
    vpc_problem = cidr.vpc_cidr_problem(vpc_cidr)
    if vpc_problem:
        p.add("vpcCidr", vpc_cidr, vpc_problem)
    pod_cidr = raw.get(f"{NS}:podCidr") or None
    pod_problem = cidr.pod_cidr_problem(pod_cidr) if pod_cidr else None
    if pod_problem:
        p.add("podCidr", pod_cidr, pod_problem)
    nat = raw.get(f"{NS}:natGateways", DEFAULTS["natGateways"])
    if nat not in NAT_MODES:
        p.add("natGateways", nat, "unknown mode; use one-per-az (zone-resilient egress) or single (cheaper)")
    ranges: dict[str, ipaddress.IPv4Network] = {}
    if not vpc_problem:
        ranges["vpcCidr"] = cidr.parse_network(vpc_cidr)
    if pod_cidr and not pod_problem:
        ranges["podCidr"] = cidr.parse_network(pod_cidr)
    return NetworkSettings(
        vpc_cidr=str(ranges.get("vpcCidr", vpc_cidr)),
        pod_cidr=str(ranges.get("podCidr", pod_cidr)) if pod_cidr else None,
        availability_zones=zones,
        nat_gateways=nat,
        peerings=_peerings(raw, ranges, raw.get(f"{NS}:accountId", ""), p),
    )


def warnings(network: NetworkSettings) -> list[str]:
    if ipaddress.ip_network(network.vpc_cidr).prefixlen == 23 and network.pod_cidr is None:
        ips = cidr.plan_subnets(network.vpc_cidr).private.usable_total
        return [SMALL_VPC_WARNING.format(cidr=network.vpc_cidr, ips=ips)]
    return []


def _zones(raw: Mapping[str, str], region: str, p: Problems) -> tuple[str, ...] | None:
    text = raw.get(f"{NS}:availabilityZones")
    if text is None:
        return None
    value = decode_value(text)
    fix = f'list exactly 3 distinct zones of {region or "aws:region"}, e.g. ["{region or "us-west-2"}a", ...]'
    if not isinstance(value, list) or not all(isinstance(z, str) for z in value):
        p.add("availabilityZones", value, f"not a list of zone names; {fix}")
        return None
    zone_re = re.compile(rf"^{re.escape(region)}[a-z]\Z", re.ASCII)
    # Against a valid region only: a bad aws:region is one problem, under its own key.
    bad = [z for z in value if not zone_re.match(z)] if region and not region_problem(region) else []
    if bad:
        p.add("availabilityZones", value, f"{', '.join(bad)} not a zone of {region}; {fix}")
    elif len(value) != 3 or len(set(value)) != 3:
        p.add("availabilityZones", value, f"{len(set(value))} distinct zones given; {fix}")
    return tuple(value)


def _peerings(
    raw: Mapping[str, str], ranges: dict[str, ipaddress.IPv4Network], customer_account: str, p: Problems
) -> tuple[PeeringSpec, ...]:
    value = read_list(raw, "peerings", DEFAULTS["peerings"])
    if not isinstance(value, list):
        p.add("peerings", value, "not a list; set a list of {name, cidr, vpcId, accountId?, region?, ...} maps")
        return ()
    peerings: list[PeeringSpec] = []
    seen: dict[str, int] = {}
    peer_vpcs: dict[str, int] = {}
    taken = dict(ranges)
    for i, item in enumerate(value):
        key = f"peerings[{i}]"
        if not isinstance(item, dict):
            p.add(key, item, "not a map; use {name, cidr, vpcId, accountId?, region?, accepterRoleArn?, ...}")
            continue
        for extra in sorted(set(item) - set(PEERING_KEYS)):
            p.add(f"{key}.{extra}", item[extra], f"unknown key; use only {', '.join(PEERING_KEYS)}")
        name, block = item.get("name"), item.get("cidr")
        if not isinstance(name, str) or not PEERING_NAME_RE.match(name):
            p.add(
                f"{key}.name",
                name,
                "missing or invalid name; give a lowercase name of 1-32 letters, digits and hyphens",
            )
        else:
            claim_name(name, i, "peerings", seen, p)
        vpc_id, account, peer_region = item.get("vpcId"), item.get("accountId"), item.get("region")
        if not (isinstance(vpc_id, str) and VPC_ID_RE.match(vpc_id)):
            # Required since the program creates the connection.
            p.add(f"{key}.vpcId", vpc_id, "missing or not a VPC id; give the peer VPC's id, e.g. vpc-0a1b2c3d4e5f67890")
        elif vpc_id in peer_vpcs:
            # The VPC peering guide: one peering connection between the same two VPCs at a time.
            p.add(
                f"{key}.vpcId",
                vpc_id,
                f"already peered by peerings[{peer_vpcs[vpc_id]}]; AWS allows one peering connection between two "
                "VPCs: keep one entry for this VPC",
            )
        else:
            peer_vpcs[vpc_id] = i
        twice = isinstance(vpc_id, str) and peer_vpcs.get(vpc_id, i) != i
        net = cidr.parse_network(block) if isinstance(block, str) else None
        if net is None:
            p.add(
                f"{key}.cidr",
                block,
                "missing or not an IPv4 CIDR without host bits; give the peer VPC's range, e.g. 10.1.0.0/16",
            )
        else:
            clash = next((what for what, other in taken.items() if net.overlaps(other)), None)
            if clash and not twice:  # the same VPC twice is one mistake, reported on vpcId
                p.add(
                    f"{key}.cidr",
                    block,
                    f"overlaps {clash} ({taken[clash]}); peered ranges must not overlap: pick a disjoint range",
                )
            elif not clash:
                taken[f"peerings[{i}]"] = net
        if account is not None and not (isinstance(account, str) and ACCOUNT_RE.match(account)):
            p.add(f"{key}.accountId", account, "not a 12-digit AWS account id; quote it so leading zeros stay")
        if peer_region is not None and not isinstance(peer_region, str):
            p.add(f"{key}.region", peer_region, "not an AWS region name; use a name such as us-east-1")
        elif peer_region and (problem := region_problem(peer_region)):
            p.add(f"{key}.region", peer_region, problem)
        role, tables, private_dns = _accepter(item, key, account, customer_account, p)
        if isinstance(name, str) and isinstance(block, str):
            peerings.append(PeeringSpec(name, block, vpc_id, account, peer_region or None, role, tables, private_dns))
    return tuple(peerings)


def _accepter(
    item: dict, key: str, account: Any, customer_account: str, p: Problems
) -> tuple[str | None, tuple[str, ...], bool]:
    """The automated accepter side: a role in the peer account, and the peer's route tables."""
    role, tables = item.get("accepterRoleArn"), item.get("peerRouteTableIds")
    private_dns = item.get("privateDns", False)
    match = ROLE_ARN_RE.match(role) if isinstance(role, str) else None
    if problem := arn_partition_problem(role):
        p.add(f"{key}.accepterRoleArn", role, problem)
        match = None
    elif role is not None and not match:
        p.add(
            f"{key}.accepterRoleArn", role, "not an IAM role ARN; use e.g. arn:aws:iam::210987654321:role/byoc-peering"
        )
    elif match and isinstance(account, str) and match.group(1) != account:
        p.add(
            f"{key}.accepterRoleArn",
            role,
            f"is in account {match.group(1)}, not the peer's accountId {account}; use a role of the peer account",
        )
    elif match and account is None and customer_account and match.group(1) != customer_account:
        # Without accountId the peer VPC is in the customer account: the accepter provider is
        # restricted to it (allowed_account_ids), so a role elsewhere fails at `pulumi up`.
        p.add(
            f"{key}.accepterRoleArn",
            role,
            f"is in account {match.group(1)}, but {key}.accountId is not set, so the peer VPC is in accountId "
            f"{customer_account}; set {key}.accountId to the peer VPC's account, or use a role of {customer_account}",
        )
    if tables is None:
        tables = []
    if not isinstance(tables, list) or not all(isinstance(t, str) and ROUTE_TABLE_ID_RE.match(t) for t in tables):
        p.add(f"{key}.peerRouteTableIds", tables, 'not a list of route table ids; use e.g. ["rtb-0a1b2c3d4e5f67890"]')
        tables = None
    elif len(set(tables)) != len(tables):
        p.add(f"{key}.peerRouteTableIds", tables, "lists a route table twice; remove the duplicate")
    if tables is None:
        tables = []
    elif tables and role is None:
        p.add(
            f"{key}.peerRouteTableIds",
            tables,
            "needs accepterRoleArn (a role in the peer account that may add the routes); set it, or remove "
            "peerRouteTableIds and add the routes by hand",
        )
    elif role is not None and not tables:
        p.add(
            f"{key}.peerRouteTableIds",
            None,
            "required with accepterRoleArn; list the peer VPC's route tables that must route to the BYOC VPC",
        )
    ok, private_dns = coerce(private_dns, bool)
    if not ok:
        p.add(f"{key}.privateDns", private_dns, "not true or false; set it as one")
        private_dns = False
    elif private_dns and account is not None and role is None and account != customer_account:
        p.add(
            f"{key}.privateDns",
            True,
            "needs accepterRoleArn for a VPC of another account (the association is made from that account); "
            "set it, or associate the private zones by hand (docs/dns.md)",
        )
    return (role if match else None), tuple(tables), private_dns
