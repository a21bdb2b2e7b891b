"""Deploy-time waits of the whole program: each object on the cluster waits for exactly what it
needs (from the synth records' `dependencies`, following parents), and the modeled first deploy
stays within 5% of the chain no wiring can shorten: control plane, a system node group, istiod and
a gateway for the ingress; storage, Keeper and the first installation (awaited until the operator
completes it, on nodes from zero) for a service (tools.plan's duration model)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_offline
from tools import plan

SERVICES = [{"name": "analytics", "mysqlInterface": True}, {"name": "logs"}]
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"


@pytest.fixture(scope="module")
def records():
    return run_offline({"services": json.dumps(SERVICES)}, stack="prod").resources


def short(record) -> str:
    """`Kind/name` without the deployment prefix: `Release/ingress-istiod`."""
    return f"{record['type'].rsplit(':', 1)[1]}/{record['name'].removeprefix('ClickHouse-cloud-prod-')}"


def index(records) -> dict[str, dict]:
    out = {}
    for r in records:
        assert short(r) not in out, short(r)
        out[short(r)] = r
    return out


def direct_waits(records, record) -> set[str]:
    """What an object waits for: its own dependencies and those of every ancestor (a component's
    dependencies hold back the registration of its children)."""
    by_urn = {r["urn"]: r for r in records}
    waits, current = set(), record
    while current is not None:
        waits |= {short(by_urn[d]) for d in current["dependencies"] if d in by_urn}
        current = by_urn.get(current.get("parent"))
    return waits


def closure(records, urn: str) -> set[str]:
    """Every URN `urn` waits for, transitively: dependencies (a component with its descendants),
    provider and parent, as tools.plan schedules them."""
    by_urn = {r["urn"]: r for r in records}
    children: dict[str, list[str]] = {}
    for r in records:
        children.setdefault(r.get("parent"), []).append(r["urn"])
    seen: set[str] = set()
    todo = [urn]
    while todo:
        r = by_urn[todo.pop()]
        nxt = [*r["dependencies"], r.get("provider"), r.get("parent")]
        for d in r["dependencies"]:
            if by_urn.get(d, {}).get("custom") is False:
                nxt.extend(children.get(d, []))
        for d in nxt:
            if d in by_urn and d not in seen:
                seen.add(d)
                todo.append(d)
    return seen


def system_nodes(records) -> set[str]:
    return {short(r) for r in records if r["type"] == NODE_GROUP and "-system-" in r["name"]}


def test_istio_waits_only_for_the_cluster_nodes_and_load_balancing(records):
    ix = index(records)
    nodes = system_nodes(records)
    assert len(nodes) == 3
    issuers = {"ClusterIssuer/platform-letsencrypt-production", "ClusterIssuer/platform-letsencrypt-staging"}
    expected = {
        "Namespace/ingress-ns-istio-system": set(),
        "Namespace/ingress-ns-istio-ingress": set(),
        "Namespace/ingress-ns-istio-ingress-private": set(),
        "Release/ingress-base": {"Namespace/ingress-ns-istio-system"},
        "Release/ingress-istiod": {"Release/ingress-base", "Namespace/ingress-ns-istio-system", *nodes},
        "Certificate/ingress-cert-public": {
            "Namespace/ingress-ns-istio-ingress",
            "Release/platform-cert-manager",
            *issuers,
        },
        "Gateway/ingress-gateway-private": {
            "Release/ingress-base",
            "Certificate/ingress-cert-private",
            "Release/ingress-gateway-private",
        },
    }
    for kind in ("public", "private"):
        ns = "Namespace/ingress-ns-istio-ingress" + ("-private" if kind == "private" else "")
        expected[f"Release/ingress-gateway-{kind}"] = {
            "Release/ingress-istiod",
            ns,
            "Release/platform-aws-load-balancer-controller",
        }
    # The private NLB's frontend security group (network layer) is named in the gateway's values.
    expected["Release/ingress-gateway-private"].add("SecurityGroup/network-private-endpoint-sg")
    for key, waits in expected.items():
        assert direct_waits(records, ix[key]) == waits, key


def test_clickhouse_waits_for_its_operator_keeper_and_storage(records):
    ix = index(records)
    storage = {"Addon/cluster-aws-ebs-csi-driver", "StorageClass/platform-storage-class"}
    expected = {
        "Namespace/clickhouse-ns-operator": set(),
        "Namespace/clickhouse-ns-clickhouse": set(),
        "Release/clickhouse-operator": {
            "Namespace/clickhouse-ns-operator",
            "Secret/clickhouse-operator-credentials",
            *system_nodes(records),
        },
        "ClickHouseKeeperInstallation/clickhouse-keeper": {
            "Release/clickhouse-operator",
            "Namespace/clickhouse-ns-clickhouse",
            *storage,
        },
        "RandomPassword/ch-analytics-password": set(),
        "VirtualService/ch-analytics-route-public": {"Namespace/clickhouse-ns-clickhouse", "Release/ingress-base"},
        "VirtualService/ch-logs-route-private": {"Namespace/clickhouse-ns-clickhouse", "Release/ingress-base"},
    }
    for svc in ("analytics", "logs"):
        # The backup job runs once the installation exists, as its backup user.
        expected[f"CronJob/ch-{svc}-backup"] = {
            "Namespace/clickhouse-ns-clickhouse",
            f"ClickHouseInstallation/ch-{svc}-chi",
        }
        expected[f"ClickHouseInstallation/ch-{svc}-chi"] = {
            f"ServiceAccount/ch-{svc}-sa",
            f"Secret/ch-{svc}-credentials",
            # The scraping user's password hash (/metrics_all), read by the operator.
            f"Secret/ch-{svc}-metrics-credentials",
            f"Secret/ch-{svc}-backup-credentials",
            "Namespace/clickhouse-ns-clickhouse",
            "Release/clickhouse-operator",
            "ClickHouseKeeperInstallation/clickhouse-keeper",
            # `pulumi up` waits for the servers, on nodes only the autoscaler adds.
            "Release/platform-cluster-autoscaler",
            *storage,
        }
    # The MySQL interface's certificate: its servers mount its Secret, so the installation waits for it,
    # and it waits for cert-manager and the issuers like the gateways' certificates.
    issuers = {"ClusterIssuer/platform-letsencrypt-production", "ClusterIssuer/platform-letsencrypt-staging"}
    expected["ClickHouseInstallation/ch-analytics-chi"].add("Certificate/ch-analytics-mysql-cert")
    expected["Certificate/ch-analytics-mysql-cert"] = {
        "Namespace/clickhouse-ns-clickhouse",
        "Release/platform-cert-manager",
        *issuers,
    }
    assert "Certificate/ch-logs-mysql-cert" not in ix
    for key, waits in expected.items():
        assert direct_waits(records, ix[key]) == waits, key


def test_platform_releases_wait_for_the_system_nodes_not_the_ebs_csi_add_on(records):
    nodes = system_nodes(records)
    releases = [r for r in records if r["type"] == "kubernetes:helm.sh/v3:Release" and "-platform-" in r["name"]]
    # aws-load-balancer-controller, external-dns, cert-manager, cluster-autoscaler, metrics-server.
    assert len(releases) == 5
    for r in releases:
        waits = direct_waits(records, r)
        assert nodes <= waits and "Addon/cluster-aws-ebs-csi-driver" not in waits, short(r)


def test_nothing_waits_for_what_it_does_not_use(records):
    ix = index(records)
    by_urn = {r["urn"]: r for r in records}

    def transitive(key: str) -> set[str]:
        return {short(by_urn[u]) for u in closure(records, ix[key]["urn"])}

    # Istio's CRDs and control plane: not the storage, the ClickHouse nodes, certificates or DNS.
    for key in ("Release/ingress-base", "Release/ingress-istiod", "Namespace/ingress-ns-istio-system"):
        waits = transitive(key)
        assert not {w for w in waits if "ebs-csi" in w or "-clickhouse-" in w or "platform" in w}, key
    assert {"NodeGroup/cluster-system-a", "Cluster/cluster-eks"} <= transitive("Release/ingress-istiod")
    # external-dns and metrics-server are needed by nothing at deploy time.
    for name in ("Release/platform-external-dns", "Release/platform-metrics-server"):
        urn = ix[name]["urn"]
        assert not [short(r) for r in records if urn in closure(records, r["urn"])], name
    # The gateways need the load balancer controller, the certificates cert-manager (transitively).
    assert "Release/platform-aws-load-balancer-controller" in transitive("Gateway/ingress-gateway-public")
    assert "Release/platform-cert-manager" in transitive("Gateway/ingress-gateway-public")


def _finish(records, key: str) -> int:
    """When the object `key` is modeled to be done on a first deploy: the critical path of
    everything it waits for, and itself."""
    target = index(records)[key]
    keep = closure(records, target["urn"]) | {target["urn"]}
    return plan.first_deploy([r for r in records if r["urn"] in keep])[0]


def istio_floor(records) -> int:
    """Control plane and its prerequisites up to a ready system node group (their modeled critical
    path), then istiod, then a gateway: what no wiring can shorten for the ingress."""
    ix = index(records)
    nodes_ready = _finish(records, "NodeGroup/cluster-system-a")
    istiod, gateway = ix["Release/ingress-istiod"], ix["Release/ingress-gateway-private"]
    return nodes_ready + plan._duration(istiod, "create") + plan._duration(gateway, "create")


def clickhouse_floor(records) -> int:
    """Volumes can be provisioned (the EBS CSI add-on ready), then Keeper completes, then the first
    installation completes on nodes from zero: what no wiring can shorten for a service. (The
    installation waits for Keeper: its replicated tables need it, and on removal it must go first.)"""
    ix = index(records)
    keeper = ix["ClickHouseKeeperInstallation/clickhouse-keeper"]
    first = min((r for r in records if r["type"] == plan.CHI), key=lambda r: plan._duration(r, "create"))
    storage_ready = _finish(records, "Addon/cluster-aws-ebs-csi-driver")
    return storage_ready + plan._duration(keeper, "create") + plan._duration(first, "create")


def test_the_modeled_first_deploy_is_within_5_percent_of_the_unavoidable_chain(records):
    total, chain = plan.first_deploy(records)
    istio, clickhouse = istio_floor(records), clickhouse_floor(records)
    # Control plane 600 s, a node group 180 s, istiod 60 s, a gateway 90 s at least.
    assert istio >= 600 + 180 + 60 + 90
    # `pulumi up` waits for the first service, on nodes scaled up from zero: minutes, not seconds.
    assert clickhouse >= 600 + 180 + 90 + 100 + 280
    floor = max(istio, clickhouse)
    assert floor <= total <= floor * 1.05, (total, floor)
    # Each path on its own stays within 5% of its floor: the ingress is ready long before the service.
    assert _finish(records, "Gateway/ingress-gateway-private") <= istio * 1.05
    assert _finish(records, "ClickHouseInstallation/ch-analytics-chi") <= clickhouse * 1.05
    names = [u.rsplit("::", 1)[1].removeprefix("ClickHouse-cloud-prod-") for u, _ in chain]
    assert "cluster-eks" in names and "clickhouse-keeper" in names and chain[-1][1] <= 2
    assert any(n.endswith("-chi") for n in names)


def test_the_5_percent_check_fails_when_istio_waits_for_the_ebs_csi_add_on(records):
    # The wiring this replaced: Istio's base waited for the EBS CSI add-on (and the platform).
    ix = index(records)
    csi = ix["Addon/cluster-aws-ebs-csi-driver"]["urn"]
    slow = [
        {**r, "dependencies": [*r["dependencies"], csi]} if short(r) == "Release/ingress-base" else r for r in records
    ]
    assert _finish(slow, "Gateway/ingress-gateway-private") > istio_floor(slow) * 1.05


def test_the_observability_layer_waits_for_the_system_nodes_and_its_volumes_only(records):
    ix = index(records)
    nodes = system_nodes(records)
    storage = {"Addon/cluster-aws-ebs-csi-driver", "StorageClass/platform-storage-class"}
    kps = direct_waits(records, ix["Release/observability-kube-prometheus-stack"])
    # Helm waits for the chart's own pods; the operator claims Prometheus' volumes afterwards.
    assert nodes <= kps and not kps & storage
    assert "Release/observability-kube-prometheus-stack" in direct_waits(records, ix["Release/observability-falco"])
    store = direct_waits(records, ix["StatefulSet/observability-thanos-store-statefulset"])
    assert nodes | storage <= store
    assert not direct_waits(records, ix["Deployment/observability-thanos-query-deployment"]) & storage
    assert direct_waits(records, ix["NetworkPolicy/observability-netpol-default-deny"]) == {
        "Namespace/clickhouse-ns-clickhouse"
    }
