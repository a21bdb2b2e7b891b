"""Capacity: every ClickHouse server fits a ClickHouse node, the running services' servers fit the
ClickHouse node groups, and the system workloads fit the system node groups.

What a node can allocate is modelled in `instances`. Per-node pods (DaemonSets, on every node) and
the system workloads are the requests the program sets, read from the table the layers' values read
(components/pod_requests.py), or the ones the charts and EKS add-ons default to, listed here with
their sources (SYSTEM_WORKLOADS; tests/test_charts.py compares the rendered pods with it)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from components import cidr, pod_requests, quantity
from components.clickhouse_specs import ClickHouseServiceSpec
from components.cluster import ClusterSpec
from components.services import ServicesSpec
from components.settings import subnets
from components.settings.instances import MIB, ZONES, InstanceType, Resources, instance_types
from components.settings.network import NetworkSettings
from components.settings.observability import ObservabilitySettings
from components.settings.reader import Problems


@dataclass(frozen=True)
class Workload:
    """Pods of one system workload: how many at most, and what each requests."""

    name: str
    replicas: int
    """At most this many (an autoscaler's maximum, or the fixed count)."""
    requests: Resources
    """Per pod (sum of its containers); pods = 1."""
    source: str
    """Where the requests come from."""
    host_network: bool = False
    """On the node's network: its pods take no pod address."""


def _pod(cpu_m: int = 0, memory_mib: int = 0) -> Resources:
    return Resources(cpu_m, memory_mib, 1)


def _ours(name: str, pods: pod_requests.Pods, source: str, host_network: bool = False) -> Workload:
    """A workload the program sizes: its replicas and requests from the table the layer's values read."""
    cpu = sum((quantity.parse(c.cpu) or Decimal(0) for c in pods.containers), Decimal(0))
    memory = sum((quantity.parse(c.memory) or Decimal(0) for c in pods.containers), Decimal(0))
    requests = Resources(math.ceil(cpu * 1000), math.ceil(memory / MIB), 1)
    return Workload(name, pods.replicas, requests, f"{source} (components/pod_requests.py)", host_network)


# On every node, system and ClickHouse alike.
DAEMONSETS = (
    Workload(
        "aws-node",
        1,
        _pod(50),
        "EKS vpc-cni add-on: aws-node and aws-eks-nodeagent request 25m each",
        host_network=True,
    ),
    Workload("kube-proxy", 1, _pod(100), "EKS kube-proxy add-on: 100m", host_network=True),
    Workload(
        "ebs-csi-node",
        1,
        _pod(30, 120),
        "aws-ebs-csi-driver chart: node.resources 10m/40Mi, inherited by node-driver-registrar and livenessprobe",
    ),
)
# On the system nodes; the gateway that exists only with a public endpoint is added by `system_workloads`.
SYSTEM_WORKLOADS = (
    _ours("istiod", pod_requests.ISTIOD, "components/ingress.py istiod_values"),
    _ours("private-gateway", pod_requests.GATEWAY, "components/ingress.py gateway_values"),
    _ours("keeper", pod_requests.KEEPER, "components/clickhouse_specs.py keeper_spec"),
    _ours("clickhouse-operator", pod_requests.CLICKHOUSE_OPERATOR, "components/clickhouse_specs.py operator_values"),
    _ours("aws-load-balancer-controller", pod_requests.LOAD_BALANCER_CONTROLLER, "components/platform.py"),
    Workload("external-dns", 1, _pod(), "chart default resources {}"),
    Workload("cert-manager", 3, _pod(), "controller, webhook, cainjector; chart default resources {}"),
    Workload("cluster-autoscaler", 1, _pod(), "chart default resources {}"),
    Workload("coredns", 2, _pod(100, 70), "EKS coredns add-on: 2 replicas, 100m/70Mi"),
    _ours("metrics-server", pod_requests.METRICS_SERVER, "components/metrics_server.py"),
    Workload(
        "ebs-csi-controller",
        2,
        _pod(60, 240),
        "aws-ebs-csi-driver chart: controller.resources 10m/40Mi, inherited by its 5 sidecars",
    ),
)
PUBLIC_GATEWAY = _ours("public-gateway", pod_requests.GATEWAY, "components/ingress.py gateway_values")

# The observability layer (components/observability/): on every node while it is on ...
OBSERVABILITY_DAEMONSETS = (
    # The chart's hostNetwork: true.
    _ours("node-exporter", pod_requests.NODE_EXPORTER, "metrics.py kube_prometheus_stack_values", host_network=True),
    _ours("falco", pod_requests.FALCO, "security.py falco_values"),
)
LOGHOUSE_DAEMONSET = _ours("fluent-bit", pod_requests.FLUENT_BIT, "logs.py fluent_bit_values")
# ... and on the system nodes.
OBSERVABILITY_WORKLOADS = (
    _ours("prometheus", pod_requests.PROMETHEUS, "metrics.py: Prometheus and its Thanos sidecar"),
    _ours("alertmanager", pod_requests.ALERTMANAGER, "metrics.py"),
    _ours("prometheus-operator", pod_requests.PROMETHEUS_OPERATOR, "metrics.py"),
    _ours("kube-state-metrics", pod_requests.KUBE_STATE_METRICS, "metrics.py"),
    _ours("thanos-query", pod_requests.THANOS_QUERY, "metrics.py thanos_objects"),
    _ours("thanos-store", pod_requests.THANOS_STORE, "metrics.py thanos_objects"),
    _ours("thanos-compact", pod_requests.THANOS_COMPACT, "metrics.py thanos_objects"),
    _ours("falcosidekick", pod_requests.FALCOSIDEKICK, "security.py falco_values"),
)
GRAFANA = _ours("grafana", pod_requests.GRAFANA, "metrics.py")
TAILSCALE_OPERATOR = _ours("tailscale-operator", pod_requests.TAILSCALE_OPERATOR, "tailscale.py operator_values")


def system_workloads(
    clickhouse: ServicesSpec, observability: ObservabilitySettings | None = None
) -> tuple[Workload, ...]:
    """What runs on the system nodes, with the observability layer's share when it is on."""
    out = SYSTEM_WORKLOADS + ((PUBLIC_GATEWAY,) if clickhouse.public_gateway else ())
    if observability is not None and observability.enabled:
        out += OBSERVABILITY_WORKLOADS + ((GRAFANA,) if observability.spec.grafana else ())
    if observability is not None and observability.tailscale is not None:
        out += (TAILSCALE_OPERATOR,)
    return out


def daemonsets(observability: ObservabilitySettings | None = None) -> tuple[Workload, ...]:
    """Pods on every node."""
    out = DAEMONSETS
    if observability is not None and observability.enabled:
        out += OBSERVABILITY_DAEMONSETS + ((LOGHOUSE_DAEMONSET,) if observability.log_house else ())
    return out


def per_node_room(
    instance: InstanceType, custom_networking: bool, node_pods: Sequence[Workload] = DAEMONSETS
) -> Resources:
    """What a node of `instance` has left for workloads after the kubelet's reservations and the DaemonSets."""
    room = instance.allocatable(custom_networking)
    for daemon in node_pods:
        room -= daemon.requests
    return room


def server_requests(service: ClickHouseServiceSpec) -> Resources:
    cpu = quantity.parse(service.cpu) or Decimal(0)
    memory = quantity.parse(service.memory) or Decimal(0)
    return Resources(math.ceil(cpu * 1000), math.ceil(memory / MIB), 1)


def _packs(servers: Sequence[tuple[int, Resources]], nodes: int, room: Resources) -> bool:
    """Whether one zone's servers (count per service, requests each) fit `nodes` nodes, at most one
    server of a service per node (the services' anti-affinity): largest servers first, each onto the
    nodes with the most room left."""
    free = [room] * nodes
    for count, need in sorted(
        servers, key=lambda s: max(s[1].cpu_m / room.cpu_m, s[1].memory_mib / room.memory_mib), reverse=True
    ):
        candidates = sorted(
            (i for i in range(nodes) if need.fits(free[i])),
            key=lambda i: free[i].cpu_m / room.cpu_m + free[i].memory_mib / room.memory_mib,
            reverse=True,
        )
        if len(candidates) < count:
            return False
        for i in candidates[:count]:
            free[i] = free[i] - need
    return True


def check(
    cluster: ClusterSpec,
    clickhouse: ServicesSpec,
    custom_networking: bool,
    p: Problems,
    observability: ObservabilitySettings | None = None,
    network: NetworkSettings | None = None,
) -> None:
    """Reports every service that cannot be scheduled, system node groups too small for their
    workloads, and (given the network) a zone whose pod subnet cannot address its nodes' pods."""
    types = instance_types()
    node_pods = daemonsets(observability)
    ch_type = types.get(cluster.clickhouse_instance_type)
    before = len(p.lines)
    if ch_type is not None:
        _check_services(cluster, clickhouse, ch_type, custom_networking, p, node_pods)
    system_type = types.get(cluster.system_instance_type)
    if system_type is not None:
        _check_system(
            cluster, system_workloads(clickhouse, observability), system_type, custom_networking, p, node_pods
        )
    # On node groups that hold their pods: a maxSize already refused would only be refused twice.
    if network is not None and ch_type and system_type and len(p.lines) == before:
        _check_subnets(cluster, clickhouse, observability, network, ch_type, system_type, p)


def address_pods(clickhouse: ServicesSpec, observability: ObservabilitySettings | None) -> tuple[int, int, int]:
    """Pods that take a pod address: (per node, on each ClickHouse node, on the system nodes in all).

    A ClickHouse node holds one server of each running service at most (anti-affinity), and at least
    one (the autoscaler adds a node only for a server); the backup and restore Jobs run on the system
    nodes."""
    per_node = sum(w.replicas for w in daemonsets(observability) if not w.host_network)
    running = [s for s in clickhouse.services if not s.stopped]
    jobs = sum(1 for s in running if s.backup.enabled) + sum(1 for s in running if s.restore is not None)
    system = sum(w.replicas for w in system_workloads(clickhouse, observability) if not w.host_network) + jobs
    return per_node, per_node + max(1, len(running)), system


def _check_subnets(
    cluster: ClusterSpec,
    clickhouse: ServicesSpec,
    observability: ObservabilitySettings | None,
    network: NetworkSettings,
    ch_type: InstanceType,
    system_type: InstanceType,
    p: Problems,
) -> None:
    if cidr.vpc_cidr_problem(network.vpc_cidr) or (network.pod_cidr and cidr.pod_cidr_problem(network.pod_cidr)):
        return  # already reported
    per_node, on_clickhouse, system = address_pods(clickhouse, observability)
    system_nodes = cluster.system_nodes_per_zone
    kinds = (
        subnets.NodeKind("ClickHouse", cluster.clickhouse_max_per_zone, on_clickhouse, ch_type),
        subnets.NodeKind(
            "system", system_nodes, subnets.system_pods_per_node(system, system_nodes, per_node), system_type
        ),
    )
    warm = subnets.warm_prefix_target()
    problem = subnets.problem(kinds, cluster.clickhouse_max_per_zone, network.vpc_cidr, network.pod_cidr, warm)
    if problem:
        p.add("clickhouseNodes.maxSize", cluster.clickhouse_max_per_zone, problem)


def _check_services(
    cluster: ClusterSpec,
    clickhouse: ServicesSpec,
    instance: InstanceType,
    custom_networking: bool,
    p: Problems,
    node_pods: Sequence[Workload] = DAEMONSETS,
) -> None:
    room = per_node_room(instance, custom_networking, node_pods)
    where = (
        f"a {instance.name} node (clickhouseNodes.instanceType) has {room.cpu_m}m CPU and {room.memory_mib}Mi memory "
        "allocatable after the kubelet's reservations and the per-node system pods"
    )
    fitting: list[tuple[int, Resources]] = []
    for i, service in enumerate(clickhouse.services):
        need = server_requests(service)
        ok = True
        if need.cpu_m > room.cpu_m:
            p.add(
                f"services[{i}].cpu",
                service.cpu,
                f"more CPU than a node can give one server: {where}; use at most {room.cpu_m}m, "
                "or a larger clickhouseNodes.instanceType",
            )
            ok = False
        if need.memory_mib > room.memory_mib:
            p.add(
                f"services[{i}].memory",
                service.memory,
                f"more memory than a node can give one server: {where}; use at most {room.memory_mib}Mi, "
                "or a larger clickhouseNodes.instanceType",
            )
            ok = False
        if ok and not service.stopped:
            # Spread evenly over the zones (maxSkew 1): no zone holds more than a third, rounded up.
            fitting.append((math.ceil(service.shards * service.replicas / ZONES), need))
    if not fitting or _packs(fitting, cluster.clickhouse_max_per_zone, room):
        return
    needed = next((n for n in range(cluster.clickhouse_max_per_zone + 1, 1001) if _packs(fitting, n, room)), None)
    per_zone = sum(count for count, _ in fitting)
    servers = f"the running services put up to {per_zone} servers in each zone (one per node per service)"
    if needed is not None and needed <= 100:
        fix = f"set it to at least {needed}, use a larger clickhouseNodes.instanceType, or run fewer shards or replicas"
    else:
        fix = "use a larger clickhouseNodes.instanceType, or run fewer shards or replicas"
    p.add(
        "clickhouseNodes.maxSize",
        cluster.clickhouse_max_per_zone,
        f"too few {instance.name} nodes per zone: {servers}, which need {needed or 'more than 1000'} nodes; {fix}",
    )


def _check_system(
    cluster: ClusterSpec,
    workloads: Sequence[Workload],
    instance: InstanceType,
    custom_networking: bool,
    p: Problems,
    node_pods: Sequence[Workload] = DAEMONSETS,
) -> None:
    room = per_node_room(instance, custom_networking, node_pods)
    nodes = cluster.system_nodes_per_zone * ZONES
    total = Resources()
    for workload in workloads:
        total += workload.requests.times(workload.replicas)
    capacity = room.times(nodes)
    if not total.fits(capacity):
        needed_nodes = max(
            math.ceil(total.cpu_m / max(room.cpu_m, 1)),
            math.ceil(total.memory_mib / max(room.memory_mib, 1)),
            math.ceil(total.pods / max(room.pods, 1)),
        )
        size = ZONES * math.ceil(needed_nodes / ZONES)
        p.add(
            "systemNodeGroup.size",
            nodes,
            f"too small for the system workloads at their autoscalers' maximum ({total.cpu_m}m CPU, "
            f"{total.memory_mib}Mi memory, {total.pods} pods; {nodes} {instance.name} nodes hold {capacity.cpu_m}m, "
            f"{capacity.memory_mib}Mi, {capacity.pods} pods); set systemNodeGroup.size to at least {size}, "
            "or use a larger systemNodeGroup.instanceType",
        )
