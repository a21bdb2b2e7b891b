"""Runtime security (Falco) and the ClickHouse namespace's NetworkPolicies.

Falco watches every node's system calls with its modern eBPF probe (no kernel module, no headers
to download) and hands its events to Falcosidekick, which posts them to AlertManager: a Falco
event is an alert like any other, routed by its severity.

In the `clickhouse` namespace nothing may talk to anything unless a policy below allows it:
gateways -> ClickHouse ports, ClickHouse <-> ClickHouse (distributed queries, replication),
ClickHouse <-> Keeper, Keeper <-> Keeper (Raft), Prometheus -> metrics ports, the operator ->
ClickHouse and Keeper, with LogHouse Fluent Bit -> the LogHouse service's HTTP port (that
service's servers only), and the servers' way out to DNS and to S3/STS over HTTPS. The policies
are enforced by the VPC CNI's network policy agent (the EKS layer turns it on).
"""

from __future__ import annotations

from typing import Any

from components import k8s_conventions as conv
from components.observability import logs, metrics
from components.pod_requests import FALCO, FALCOSIDEKICK

CHI_LABEL = "clickhouse.altinity.com/chi"
CHK_LABEL = "clickhouse-keeper.altinity.com/chk"
# The operator labels the pods it creates `<group>/app: chop` (its `LabelAppName`/`LabelAppValue`);
# a pod of ours that carries the installation's label (the backup Job's) does not have it.
CHI_APP_LABEL = "clickhouse.altinity.com/app"
OPERATOR_APP_VALUE = "chop"
NAMESPACE_LABEL = "kubernetes.io/metadata.name"

# ClickHouse: HTTP (clients, /metrics_all), native, MySQL, interserver replication.
CLICKHOUSE_CLIENT_PORTS = (8123, 9000, 9004)
CLICKHOUSE_INTERSERVER_PORT = 9009
KEEPER_CLIENT_PORT = 2181
# The operator's default Raft port (KpDefaultRaftPortNumber).
KEEPER_RAFT_PORT = 9444
OPERATOR_NAMESPACE = "clickhouse-operator"
FALCO_NAMESPACE = "falco"


def falco_values(deployment_id: str) -> dict[str, Any]:
    """Values of the falco chart: modern eBPF on every node, metrics on, events to AlertManager."""
    placement = conv.system_placement()
    return {
        "driver": {"enabled": True, "kind": "modern_ebpf"},
        "tolerations": [{"operator": "Exists"}],
        "resources": FALCO.containers[0].resources(),
        "metrics": {"enabled": True},
        "serviceMonitor": {"create": True},
        "falco": {"json_output": True},
        "falcosidekick": {
            "enabled": True,
            "replicaCount": FALCOSIDEKICK.replicas,
            "nodeSelector": placement["nodeSelector"],
            "tolerations": placement["tolerations"],
            "resources": FALCOSIDEKICK.containers[0].resources(),
            "config": {
                "alertmanager": {
                    "hostport": metrics.alertmanager_url(),
                    # AlertManager 0.27 removed the v1 API the chart defaults to.
                    "endpoint": "/api/v2/alerts",
                    "minimumpriority": "warning",
                    "extralabels": f"deployment:{deployment_id}",
                }
            },
        },
    }


def _policy(name: str, pod_selector: dict[str, Any], *, ingress=None, egress=None) -> dict[str, Any]:
    types = []
    spec: dict[str, Any] = {"podSelector": pod_selector}
    if ingress is not None:
        types.append("Ingress")
        spec["ingress"] = ingress
    if egress is not None:
        types.append("Egress")
        spec["egress"] = egress
    spec["policyTypes"] = types
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": conv.CLICKHOUSE_NAMESPACE},
        "spec": spec,
    }


def _has(label: str) -> dict[str, Any]:
    return {"matchExpressions": [{"key": label, "operator": "Exists"}]}


def _in_namespace(namespace: str, pods: dict[str, Any] | None = None) -> dict[str, Any]:
    peer: dict[str, Any] = {"namespaceSelector": {"matchLabels": {NAMESPACE_LABEL: namespace}}}
    if pods is not None:
        peer["podSelector"] = pods
    return peer


def _ports(*numbers: int, protocol: str = "TCP") -> list[dict[str, Any]]:
    return [{"protocol": protocol, "port": n} for n in numbers]


def fluent_bit_pods() -> dict[str, Any]:
    """Fluent Bit's pods: the chart's selector labels (chart name, release name)."""
    return {"matchLabels": {"app.kubernetes.io/name": "fluent-bit", "app.kubernetes.io/instance": logs.RELEASE}}


def network_policies(log_house_service: str | None = None) -> list[dict[str, Any]]:
    """The namespace's policies: a default deny, then one allow per conversation (with
    `log_house_service`, Fluent Bit's inserts into that service)."""
    servers, keeper = _has(CHI_LABEL), _has(CHK_LABEL)
    same_ns_servers = {"podSelector": servers}
    same_ns_keeper = {"podSelector": keeper}
    prometheus = _in_namespace(metrics.NAMESPACE, {"matchLabels": {"app.kubernetes.io/name": "prometheus"}})
    operator = _in_namespace(
        OPERATOR_NAMESPACE, {"matchLabels": {"app.kubernetes.io/name": "altinity-clickhouse-operator"}}
    )
    gateways = [
        _in_namespace(ns, {"matchLabels": {"istio": istio}})
        for ns, istio in (
            (conv.PUBLIC_GATEWAY_NAMESPACE, "ingress"),
            (conv.PRIVATE_GATEWAY_NAMESPACE, "ingress-private"),
        )
    ]
    dns = {
        "to": [_in_namespace("kube-system", {"matchLabels": {"k8s-app": "kube-dns"}})],
        "ports": _ports(53, protocol="UDP") + _ports(53),
    }
    policies = [
        _policy("default-deny", {}, ingress=[], egress=[]),
        _policy("dns", {}, egress=[dns]),
        _policy(
            "clickhouse-ingress",
            servers,
            ingress=[
                {"from": gateways, "ports": _ports(*CLICKHOUSE_CLIENT_PORTS)},
                {"from": [same_ns_servers], "ports": _ports(*CLICKHOUSE_CLIENT_PORTS, CLICKHOUSE_INTERSERVER_PORT)},
                {"from": [operator], "ports": _ports(8123)},
                {"from": [prometheus], "ports": _ports(metrics.CLICKHOUSE_METRICS_PORT)},
            ],
        ),
        _policy(
            "clickhouse-egress",
            servers,
            egress=[
                {"to": [same_ns_servers], "ports": _ports(*CLICKHOUSE_CLIENT_PORTS, CLICKHOUSE_INTERSERVER_PORT)},
                {"to": [same_ns_keeper], "ports": _ports(KEEPER_CLIENT_PORT)},
                # The S3 disk and IRSA's STS calls: AWS endpoints over HTTPS (the S3 gateway endpoint's
                # addresses are AWS' public prefix list, so no narrower CIDR holds).
                {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": _ports(443)},
            ],
        ),
        _policy(
            "keeper",
            keeper,
            ingress=[
                {"from": [same_ns_servers, operator], "ports": _ports(KEEPER_CLIENT_PORT)},
                {"from": [same_ns_keeper], "ports": _ports(KEEPER_CLIENT_PORT, KEEPER_RAFT_PORT)},
                {"from": [prometheus], "ports": _ports(metrics.KEEPER_METRICS_PORT)},
            ],
            egress=[{"to": [same_ns_keeper], "ports": _ports(KEEPER_CLIENT_PORT, KEEPER_RAFT_PORT)}],
        ),
    ]
    if log_house_service is not None:
        # Fluent Bit posts to the LogHouse service's HTTP port: that service's servers only, that port only.
        policies.append(
            _policy(
                "loghouse-ingress",
                {"matchLabels": {CHI_LABEL: log_house_service, CHI_APP_LABEL: OPERATOR_APP_VALUE}},
                ingress=[
                    {"from": [_in_namespace(logs.NAMESPACE, fluent_bit_pods())], "ports": _ports(logs.CLICKHOUSE_PORT)}
                ],
            )
        )
    return policies
