"""Pod addresses under prefix delegation: whether each zone's pod subnet has the /28 blocks the
zone's nodes take at the node groups' maximum.

The VPC CNI runs with prefix delegation (components/cluster.py `vpc_cni_configuration`): a node's
pods take their addresses from /28 prefixes (16 addresses) the CNI attaches to the node's network
interfaces, `ceil(pods / 16)` of them plus `WARM_PREFIX_TARGET` spare ones (amazon-vpc-cni-k8s
`docs/prefix-and-ip-target.md`). A prefix is an aligned /28 block of the subnet, and EC2 can only
hand out a block none of whose addresses is in use: "Using IP prefixes can fail if IP addresses
are scattered throughout the subnet CIDR" (EKS user guide, prefix delegation), with
`InsufficientCidrBlocks`. AWS reserves the first four addresses and the last one of each subnet,
so the first and the last block are never free. The network interfaces' own addresses (one per
node interface, the EKS control plane's 2-4 interfaces, the private load balancer's) are single
addresses: here they are placed where they cost least (the 27 free addresses of those two blocks
first), so a layout refused here can never work, and one accepted can still fail when EC2 scatters
those addresses over blocks (docs/network.md says how to avoid that).

Nodes live in the private subnets; their pods too, unless `podCidr` gives the pods their own
subnets (custom networking). The nodes a zone may hold: `clickhouseNodes.maxSize` ClickHouse nodes
and `systemNodeGroup.size / 3` system nodes.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass

from components import cidr
from components.settings.instances import IPS_PER_PREFIX, ZONES, InstanceType

# The first block holds 4 reserved addresses, the last one 1 (VPC user guide, subnet sizing).
RESERVED_BLOCKS = 2
FREE_IN_RESERVED_BLOCKS = 2 * IPS_PER_PREFIX - cidr.AWS_RESERVED_PER_SUBNET
# The EKS user guide: "Amazon EKS creates 2-4 elastic network interfaces in the subnets that you
# specify" (the private subnets here); counted all in one zone.
EKS_CONTROL_PLANE_INTERFACES = 4
# The private NLB has one interface in each private subnet.
LOAD_BALANCER_INTERFACES = 1


@dataclass(frozen=True)
class NodeKind:
    """The nodes of one group in one zone, and the pods with their own address each may run."""

    what: str
    nodes: int
    pods: int
    instance: InstanceType


def warm_prefix_target() -> int:
    """The spare prefixes per node the program configures the VPC CNI with."""
    from components.cluster import vpc_cni_configuration

    return int(vpc_cni_configuration(False)["env"]["WARM_PREFIX_TARGET"])


def blocks_per_node(pods: int, warm: int) -> int:
    """Prefixes a node holds with `pods` pods that take an address (amazon-vpc-cni-k8s' table)."""
    return math.ceil(pods / IPS_PER_PREFIX) + warm


@dataclass(frozen=True)
class ZoneNeed:
    """What one zone's nodes take of its pod subnet, in /28 blocks."""

    subnet: str
    """The subnet pods take their addresses from (one zone's; every zone's is the same size)."""
    free: int
    """Blocks prefixes can use: the subnet's, less the reserved ones and those single addresses fill."""
    per_kind: tuple[tuple[NodeKind, int], ...]
    """Each node kind with the blocks one of its nodes takes."""

    @property
    def needed(self) -> int:
        return sum(kind.nodes * each for kind, each in self.per_kind)


def zone_need(kinds: tuple[NodeKind, ...], vpc_cidr: str, pod_cidr: str | None, warm: int) -> ZoneNeed:
    plan = cidr.plan_subnets(vpc_cidr, pod_cidr)
    tier = plan.pods or plan.private
    subnet = ipaddress.ip_network(tier.cidrs[0])
    per_kind = tuple((k, blocks_per_node(min(k.pods, k.instance.max_pods(pod_cidr is not None)), warm)) for k in kinds)
    # Single addresses in the pod subnet: every interface that carries prefixes has its own address
    # there (with custom networking, the secondary interfaces; without it, the primary one too, plus
    # the control plane's and the load balancer's interfaces).
    interfaces = sum(k.nodes * math.ceil(each / max(k.instance.ipv4_per_eni - 1, 1)) for k, each in per_kind)
    if pod_cidr is None:
        interfaces += EKS_CONTROL_PLANE_INTERFACES + LOAD_BALANCER_INTERFACES
    spill = max(0, interfaces - FREE_IN_RESERVED_BLOCKS)
    free = subnet.num_addresses // IPS_PER_PREFIX - RESERVED_BLOCKS - math.ceil(spill / IPS_PER_PREFIX)
    return ZoneNeed(str(subnet), free, per_kind)


def fits(kinds: tuple[NodeKind, ...], vpc_cidr: str, pod_cidr: str | None, warm: int) -> bool:
    need = zone_need(kinds, vpc_cidr, pod_cidr, warm)
    return need.needed <= need.free


def system_pods_per_node(total_pods: int, nodes_per_zone: int, per_node: int) -> int:
    """Pods with an address on one system node: the system workloads spread over the zones (their
    zone spread constraints) and a zone's nodes, plus the per-node pods."""
    return math.ceil(total_pods / (ZONES * nodes_per_zone)) + per_node


def problem(
    kinds: tuple[NodeKind, ...], max_clickhouse: int, vpc_cidr: str, pod_cidr: str | None, warm: int
) -> str | None:
    """Why the zone's nodes cannot all get pod addresses (problem; fix), or None. `kinds[0]` is the
    ClickHouse nodes (at `max_clickhouse`), the rest the system nodes."""
    need = zone_need(kinds, vpc_cidr, pod_cidr, warm)
    if need.needed <= need.free:
        return None
    clickhouse, *system = kinds
    fewer = (
        n for n in range(max_clickhouse - 1, 0, -1) if fits((_with(clickhouse, n), *system), vpc_cidr, pod_cidr, warm)
    )
    most = next(fewer, 0)
    nodes = " and ".join(
        f"{kind.nodes} {kind.what} node{'s' if kind.nodes != 1 else ''} ({each} each)" for kind, each in need.per_kind
    )
    where = "pod subnet" if pod_cidr else "private subnet"
    if pod_cidr is None:
        bigger = "or set podCidr (pods then take their addresses from pod subnets in 100.64.0.0/10)"
        larger = "use a larger vpcCidr"
    else:
        bigger = larger = "or a larger podCidr"
    fix = (
        f"set clickhouseNodes.maxSize to at most {most}, {bigger}"
        if most
        else f"not even one ClickHouse node fits: {larger.removeprefix('or ')}{'' if pod_cidr else ', ' + bigger}"
    )
    return (
        f"under prefix delegation each node takes ceil(pods/16) + {warm} /28 blocks of its zone's {where} "
        f"({need.subnet}, WARM_PREFIX_TARGET {warm}): {nodes} need {need.needed}, and it has {need.free} free; {fix}"
    )


def _with(kind: NodeKind, nodes: int) -> NodeKind:
    return NodeKind(kind.what, nodes, kind.pods, kind.instance)
