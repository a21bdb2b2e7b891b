"""Every NetworkPolicy the program creates admits each connection the program itself configures.

The connections are read from the objects, never listed here: each client pod and the port it
reaches come from what configures it.

- Prometheus -> every target of every PodMonitor and ServiceMonitor its selectors pick (a target
  is a port the pod declares, as prometheus-operator keeps it), and -> AlertManager.
- Fluent Bit -> the `Host`/`Port` of its rendered `[OUTPUT]` (LogHouse).
- The Istio gateways -> the destinations of the VirtualServices bound to their Gateway.
- The ClickHouse operator -> every server on its config's `clickhouse.access.port`, and -> the
  `zookeeper.nodes` of every installation (it creates the cluster's root path).
- The backup CronJob and the restore Job -> `CLICKHOUSE_HOST` on the client's port.
- ClickHouse -> its `zookeeper.nodes`; every server -> the other servers of its installation on
  the native (distributed queries, `clusterAllReplicas`) and interserver (replication) ports;
  Keeper -> Keeper on the Raft port.
- Grafana -> its datasources, Thanos query -> its `--endpoint`s, Falcosidekick -> its AlertManager.

Hosts resolve through Services (the program's, the charts', and those the Altinity operator creates
for an installation) to pods and container ports. The evaluator (`tests/netpol.py`) applies the
Kubernetes semantics; the negative cases (what Fluent Bit and other clients must not reach) show
it denies.
"""

from __future__ import annotations

import base64
import json
import re
import shlex
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from components import k8s_conventions as conv
from components.observability import logs, security
from tests import references as ref
from tests.conftest import run_offline
from tests.netpol import OPERATORS, Cluster, Pod, Port, selects
from tools import stackconfig
from tools.synth import synthesize

RELEASE = "kubernetes:helm.sh/v3:Release"
NS = "clickhouse-byoc"


@dataclass(frozen=True)
class Connection:
    client: Pod
    server: Pod
    port: int
    why: str
    protocol: str = "TCP"

    def __str__(self) -> str:
        return f"{self.client!r} -> {self.server!r}:{self.port}/{self.protocol} ({self.why})"


# -- the stacks ---------------------------------------------------------------------------------------

# LogHouse in a second service (Fluent Bit must reach it, and only it), shared with
# tests/test_observability_layer.py; and the dev stack with MySQL on the gateways and a restored
# service (the restore Job), shared with tests/test_charts.py.
LOGHOUSE = {"services": '[{"name": "analytics"}, {"name": "logs"}]', "logs": '{"logHouse": true, "service": "logs"}'}


def _restore_stack():
    cfg = stackconfig.load_stack("dev")
    raw = dict(cfg.raw)
    services = json.loads(raw[f"{NS}:services"])
    raw[f"{NS}:services"] = json.dumps(
        [
            *[{**s, "mysqlInterface": True} for s in services],
            {"name": "restored", "restoreFrom": {"service": "analytics"}},
        ]
    )
    return synthesize(stackconfig.StackConfig(cfg.project, cfg.stack, raw, cfg.secret_keys, cfg.placeholders))


def _cluster(result) -> Cluster:
    releases = result.by_type(RELEASE)
    asks = {r["name"]: ref.uses_api_versions(r["inputs"]["chart"], r["inputs"]["version"]) for r in releases}
    rendered = {r["name"]: ref.render_release(r["inputs"]) for r in releases if not asks[r["name"]]}
    # Charts that ask which APIs exist (a ServiceMonitor only with the Prometheus CRDs) see every CRD
    # installed: the others' rendered ones and their own `crds/` (rendered once, with them).
    crds = [o for objs in rendered.values() for o in objs if o["kind"] == "CustomResourceDefinition"]
    for r in releases:
        if asks[r["name"]]:
            chart = ref._chart(ref.chart_dir(r["inputs"]["chart"], r["inputs"]["version"]))
            crds += [o for crd in chart.crds for o in ref.split_manifests(crd["data"])]
    for r in releases:
        if asks[r["name"]]:
            rendered[r["name"]] = ref.render_release(r["inputs"], ref.crd_api_versions(crds))
    created = [
        rec["inputs"]
        for rec in result.resources
        if rec["type"].startswith("kubernetes:") and rec["type"] != RELEASE and rec["custom"]
    ]
    return Cluster.build(created, {r["name"]: (r["inputs"]["namespace"], rendered[r["name"]]) for r in releases})


_CLUSTERS: dict[str, Cluster] = {}


@pytest.fixture(scope="module", params=["loghouse", "restore"])
def cluster(request) -> Cluster:
    if request.param not in _CLUSTERS:
        result = run_offline(LOGHOUSE, stack="prod") if request.param == "loghouse" else _restore_stack()
        _CLUSTERS[request.param] = _cluster(result)
    return _CLUSTERS[request.param]


@pytest.fixture(scope="module")
def loghouse() -> Cluster:
    if "loghouse" not in _CLUSTERS:
        _CLUSTERS["loghouse"] = _cluster(run_offline(LOGHOUSE, stack="prod"))
    return _CLUSTERS["loghouse"]


# -- the connections the objects configure -------------------------------------------------------------


def _of_kind(cluster: Cluster, kind: str) -> list[dict[str, Any]]:
    return [o for o in cluster.objects if o["kind"] == kind]


def _pods_from(cluster: Cluster, kind: str, namespace: str, name: str) -> list[Pod]:
    owner = f"{kind} {namespace}/{name}"
    return [p for p in cluster.pods if p.owner == owner or p.owner.startswith(owner + " ")]


def _to_host(cluster: Cluster, client: Pod, host: str, port: int | str, why: str) -> list[Connection]:
    svc = cluster.service(host, client.namespace)
    targets = cluster.service_targets(svc, port)
    assert targets, f"{why}: Service {svc.namespace}/{svc.name} port {port} reaches no pod"
    return [Connection(client, pod, number, why) for pod, number in targets if pod is not client]


def _monitor_namespaces(selector: dict[str, Any] | None, own: str) -> set[str] | None:
    """A monitor's `namespaceSelector` (`any`, `matchNames`; neither: its own namespace). None: all."""
    selector = selector or {}
    if selector.get("any"):
        return None
    return set(selector.get("matchNames") or [own])


def _prometheus_namespaces(selector: dict[str, Any] | None, own: str, cluster: Cluster) -> set[str] | None:
    """Prometheus' monitor namespace selector (a label selector; unset: its own namespace). None: all."""
    if selector is None:
        return {own}
    if not selector:
        return None
    return {ns for ns in {p.namespace for p in cluster.pods} if selects(selector, cluster.namespace_labels(ns))}


def scrape_connections(cluster: Cluster) -> list[Connection]:
    """Prometheus -> every monitor's targets (a target is a declared port, as prometheus-operator
    keeps it: `portNumber`/`port` of a PodMonitor on the pod, a ServiceMonitor's Service port through
    its `targetPort`), and -> the AlertManagers of its `alerting` section."""
    out = []
    for prom in _of_kind(cluster, "Prometheus"):
        spec, own = prom["spec"], prom["metadata"]["namespace"]
        (server,) = _pods_from(cluster, "Prometheus", own, prom["metadata"]["name"])
        for kind, selector_key, ns_key in (
            ("PodMonitor", "podMonitorSelector", "podMonitorNamespaceSelector"),
            ("ServiceMonitor", "serviceMonitorSelector", "serviceMonitorNamespaceSelector"),
        ):
            monitor_namespaces = _prometheus_namespaces(spec.get(ns_key), own, cluster)
            for monitor in _of_kind(cluster, kind):
                meta = monitor["metadata"]
                if monitor_namespaces is not None and meta["namespace"] not in monitor_namespaces:
                    continue
                if not selects(spec.get(selector_key), meta.get("labels") or {}):
                    continue
                why = f"{kind} {meta['name']}"
                target_ns = _monitor_namespaces(monitor["spec"].get("namespaceSelector"), meta["namespace"])
                if kind == "PodMonitor":
                    for pod in cluster.pods:
                        if (target_ns is None or pod.namespace in target_ns) and selects(
                            monitor["spec"]["selector"], pod.labels
                        ):
                            for ep in monitor["spec"]["podMetricsEndpoints"]:
                                wanted = ep.get("portNumber") or ep.get("port") or ep.get("targetPort")
                                number = pod.port(wanted) if wanted is not None else None
                                if number is not None:
                                    out.append(Connection(server, pod, number, why))
                    continue
                for svc in cluster.services:
                    if (target_ns is None or svc.namespace in target_ns) and selects(
                        monitor["spec"]["selector"], _service_labels(cluster, svc)
                    ):
                        for ep in monitor["spec"]["endpoints"]:
                            if any(p.get("name") == ep.get("port") for p in svc.ports):
                                out += [
                                    Connection(server, pod, number, why)
                                    for pod, number in cluster.service_targets(svc, ep["port"])
                                ]
        for am in (spec.get("alerting") or {}).get("alertmanagers", []):
            svc = cluster.service(am["name"], am["namespace"])
            out += [
                Connection(server, pod, number, "alerting") for pod, number in cluster.service_targets(svc, am["port"])
            ]
    return out


def _service_labels(cluster: Cluster, svc) -> dict[str, str]:
    for o in _of_kind(cluster, "Service"):
        if (o["metadata"]["name"], o["metadata"].get("namespace")) == (svc.name, svc.namespace):
            return o["metadata"].get("labels") or {}
    return {}


def log_connections(cluster: Cluster) -> list[Connection]:
    """Fluent Bit -> the `Host`/`Port` of every `[OUTPUT]` of its rendered configuration."""
    out = []
    for cm in _of_kind(cluster, "ConfigMap"):
        conf = (cm.get("data") or {}).get("fluent-bit.conf")
        if conf is None:
            continue
        clients = [
            p
            for p in cluster.pods
            if p.namespace == cm["metadata"]["namespace"]
            and any(v.get("configMap", {}).get("name") == cm["metadata"]["name"] for v in p.spec.get("volumes") or [])
        ]
        assert clients, f"no pod mounts {cm['metadata']['name']}"
        for section in re.split(r"^\[", conf, flags=re.M):
            if not section.startswith("OUTPUT]"):
                continue
            keys = dict(line.split(None, 1) for line in section.splitlines()[1:] if line.strip())
            if "Host" in keys:
                for client in clients:
                    out += _to_host(cluster, client, keys["Host"], int(keys["Port"]), "Fluent Bit output")
    return out


def gateway_connections(cluster: Cluster) -> list[Connection]:
    """The gateway pods a VirtualService's Gateways select -> its routes' destinations."""
    gateways = {(g["metadata"]["namespace"], g["metadata"]["name"]): g for g in _of_kind(cluster, "Gateway")}
    out = []
    for vs in _of_kind(cluster, "VirtualService"):
        clients = []
        for ref_ in vs["spec"]["gateways"]:
            ns, _, name = ref_.rpartition("/")
            gateway = gateways[(ns or vs["metadata"]["namespace"], name)]
            clients += cluster.pods_of(None, {"matchLabels": gateway["spec"]["selector"]})
        assert clients, f"VirtualService {vs['metadata']['name']}: no gateway pod"
        for kind in ("http", "tcp", "tls"):
            for route in vs["spec"].get(kind, []):
                for dest in route["route"]:
                    for client in clients:
                        out += _to_host(
                            cluster,
                            client,
                            dest["destination"]["host"],
                            dest["destination"]["port"]["number"],
                            f"VirtualService {vs['metadata']['name']}",
                        )
    return out


def _zookeeper_nodes(chi: dict[str, Any]) -> list[dict[str, Any]]:
    return chi["spec"].get("configuration", {}).get("zookeeper", {}).get("nodes", [])


def operator_connections(cluster: Cluster) -> list[Connection]:
    """The operator -> every server on `clickhouse.access.port`, and -> each installation's Keeper."""
    out = []
    for cm in _of_kind(cluster, "ConfigMap"):
        text = (cm.get("data") or {}).get("config.yaml")
        if text is None or "clickhouse" not in (config := yaml.safe_load(text) or {}):
            continue
        access = config["clickhouse"]["access"]
        operators = [
            p
            for p in cluster.pods
            if p.namespace == cm["metadata"]["namespace"]
            and any(v.get("configMap", {}).get("name") == cm["metadata"]["name"] for v in p.spec.get("volumes") or [])
        ]
        assert operators, f"no pod mounts {cm['metadata']['name']}"
        for operator in operators:
            for server in cluster.pods:
                if server.owner.startswith("ClickHouseInstallation "):
                    out.append(Connection(operator, server, int(access["port"]), "clickhouse.access.port"))
            for chi in _of_kind(cluster, "ClickHouseInstallation"):
                for node in _zookeeper_nodes(chi):
                    out += _to_host(cluster, operator, node["host"], node["port"], "cluster root path in Keeper")
    return out


def job_connections(cluster: Cluster) -> list[Connection]:
    """Pods whose client reads `CLICKHOUSE_HOST` (backup, restore) -> that host, on the port their
    `clickhouse-client` command line names, or the client's default."""
    out = []
    for pod in cluster.pods:
        for container in pod.spec.get("containers", []):
            env = {e["name"]: e.get("value") for e in container.get("env") or []}
            if "CLICKHOUSE_HOST" not in env:
                continue
            script = " ".join((container.get("command") or []) + (container.get("args") or []))
            assert "clickhouse-client" in script, pod
            words = shlex.split(script.replace('"', " "))
            port = int(words[words.index("--port") + 1]) if "--port" in words else None
            secure = "--secure" in words
            default = OPERATORS["clickhouse-client"]["secure_default_port" if secure else "default_port"]
            out += _to_host(cluster, pod, env["CLICKHOUSE_HOST"], port or default, "clickhouse-client")
    return out


def clickhouse_connections(cluster: Cluster) -> list[Connection]:
    """Servers -> their Keeper; servers -> the other servers of their installation (native port:
    distributed queries and `clusterAllReplicas`; interserver port: replication); Keeper -> Keeper (Raft)."""
    out = []
    for kind, peer_ports in (
        ("ClickHouseInstallation", ("tcp", "interserver")),
        ("ClickHouseKeeperInstallation", ("raft",)),
    ):
        for obj in _of_kind(cluster, kind):
            pods = _pods_from(cluster, kind, obj["metadata"]["namespace"], obj["metadata"]["name"])
            for client in pods:
                for server in pods:
                    if server is not client:
                        out += [
                            Connection(client, server, server.port(name), f"{kind} {name} port") for name in peer_ports
                        ]
                if kind == "ClickHouseInstallation":
                    for node in _zookeeper_nodes(obj):
                        out += _to_host(cluster, client, node["host"], node["port"], "zookeeper.nodes")
    return out


def _url_connections(cluster: Cluster, client: Pod, url: str, why: str) -> list[Connection]:
    parts = urlsplit(url)
    return _to_host(cluster, client, parts.hostname, parts.port, why)


def monitoring_connections(cluster: Cluster) -> list[Connection]:
    """Grafana -> its datasources; Thanos query -> its `--endpoint`s; Falcosidekick -> AlertManager."""
    out = []
    for cm in _of_kind(cluster, "ConfigMap"):
        for text in (cm.get("data") or {}).values():
            if "datasources:" not in text:
                continue
            grafana = [p for p in cluster.pods if p.namespace == cm["metadata"]["namespace"] and _runs(p, "grafana")]
            for source in yaml.safe_load(text)["datasources"]:
                for client in grafana:
                    out += _url_connections(cluster, client, source["url"], f"Grafana datasource {source['name']}")
    for pod in cluster.pods:
        for container in pod.spec.get("containers", []):
            for arg in container.get("args") or []:
                if arg.startswith("--endpoint=dnssrv+_grpc._tcp."):
                    host = arg.removeprefix("--endpoint=dnssrv+_grpc._tcp.")
                    out += _to_host(cluster, pod, host, "grpc", "Thanos query endpoint")
    for secret in _of_kind(cluster, "Secret"):
        value = (secret.get("data") or {}).get("ALERTMANAGER_HOSTPORT")
        if value:
            hostport = base64.b64decode(value).decode()
            sidekicks = [
                p
                for p in cluster.pods
                if any(
                    f.get("secretRef", {}).get("name") == secret["metadata"]["name"]
                    for c in p.spec.get("containers", [])
                    for f in c.get("envFrom") or []
                )
            ]
            assert sidekicks, secret["metadata"]["name"]
            for client in sidekicks:
                out += _url_connections(cluster, client, hostport, "Falcosidekick AlertManager output")
    return out


def _runs(pod: Pod, container: str) -> bool:
    return any(c["name"] == container for c in pod.spec.get("containers", []))


def configured(cluster: Cluster) -> list[Connection]:
    return [
        *scrape_connections(cluster),
        *log_connections(cluster),
        *gateway_connections(cluster),
        *operator_connections(cluster),
        *job_connections(cluster),
        *clickhouse_connections(cluster),
        *monitoring_connections(cluster),
    ]


# -- the evaluator's own semantics -----------------------------------------------------------------------


def _pod(namespace: str, labels: dict[str, str], *ports: int) -> Pod:
    return Pod(f"{namespace}/{labels}", namespace, labels, tuple(Port(None, n) for n in ports))


def _netpol(namespace: str, selector: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return {
        "kind": "NetworkPolicy",
        "metadata": {"name": "p", "namespace": namespace},
        "spec": {"podSelector": selector, **spec},
    }


def test_unselected_pods_accept_everything_and_a_selecting_policy_isolates():
    server, client = _pod("a", {"app": "db"}, 5432), _pod("b", {"app": "web"})
    assert Cluster(pods=[server, client]).admits(client, server, 5432)
    # A policy with no rules isolates the pods it selects: nothing comes in.
    deny = Cluster(policies=[_netpol("a", {}, policyTypes=["Ingress"])])
    assert not deny.admits(client, server, 5432)
    # A policy of another namespace changes nothing here.
    assert Cluster(policies=[_netpol("c", {}, policyTypes=["Ingress"])]).admits(client, server, 5432)
    # Without policyTypes, a policy with no egress rules does not isolate egress.
    assert Cluster(policies=[_netpol("b", {}, ingress=[])]).admits(client, server, 5432)
    assert not Cluster(policies=[_netpol("b", {}, egress=[])]).admits(client, server, 5432)


def test_peers_ports_and_namespaces_follow_the_api():
    server = Pod("db", "a", {"app": "db"}, (Port("pg", 5432), Port(None, 9187)))
    web_b, web_a, other_b = _pod("b", {"app": "web"}), _pod("a", {"app": "web"}), _pod("b", {"app": "job"})
    from_b = {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "b"}},
        "podSelector": {"matchLabels": {"app": "web"}},
    }
    cluster = Cluster(
        namespaces={"b": {"team": "x"}},
        policies=[
            _netpol(
                "a",
                {"matchLabels": {"app": "db"}},
                policyTypes=["Ingress"],
                ingress=[{"from": [from_b], "ports": [{"port": "pg"}]}],
            )
        ],
    )
    assert cluster.admits(web_b, server, 5432)
    assert not cluster.admits(web_b, server, 9187)  # the named port is 5432 only
    assert not cluster.admits(web_b, server, 5432, "UDP")
    assert not cluster.admits(other_b, server, 5432)  # pod selector
    assert not cluster.admits(web_a, server, 5432)  # namespace selector
    # A podSelector alone means the policy's own namespace.
    same_ns = Cluster(
        policies=[
            _netpol(
                "a", {}, policyTypes=["Ingress"], ingress=[{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}]}]
            )
        ]
    )
    assert same_ns.admits(web_a, server, 9187) and not same_ns.admits(web_b, server, 9187)
    # Namespace labels, ranges, and an ipBlock (addresses outside the cluster, never a pod).
    by_label = {"namespaceSelector": {"matchExpressions": [{"key": "team", "operator": "In", "values": ["x"]}]}}
    ranged = Cluster(
        namespaces={"b": {"team": "x"}},
        policies=[
            _netpol(
                "a",
                {},
                policyTypes=["Ingress"],
                ingress=[{"from": [by_label], "ports": [{"port": 9000, "endPort": 9200}]}],
            )
        ],
    )
    assert ranged.admits(other_b, server, 9187) and not ranged.admits(other_b, server, 5432)
    anywhere = {"ipBlock": {"cidr": "0.0.0.0/0"}}
    assert not Cluster(policies=[_netpol("a", {}, policyTypes=["Ingress"], ingress=[{"from": [anywhere]}])]).admits(
        web_b, server, 5432
    )


def test_egress_and_ingress_must_both_admit():
    server, client = _pod("a", {"app": "db"}, 5432), _pod("a", {"app": "web"})
    to_db = {"to": [{"podSelector": {"matchLabels": {"app": "db"}}}], "ports": [{"port": 5432}]}
    from_web = {"from": [{"podSelector": {"matchLabels": {"app": "web"}}}]}
    egress_only = _netpol("a", {"matchLabels": {"app": "web"}}, policyTypes=["Egress"], egress=[to_db])
    ingress_deny = _netpol("a", {"matchLabels": {"app": "db"}}, policyTypes=["Ingress"])
    ingress_allow = _netpol("a", {"matchLabels": {"app": "db"}}, policyTypes=["Ingress"], ingress=[from_web])
    assert Cluster(policies=[egress_only]).admits(client, server, 5432)
    assert not Cluster(policies=[egress_only, ingress_deny]).admits(client, server, 5432)
    assert Cluster(policies=[egress_only, ingress_deny, ingress_allow]).admits(client, server, 5432)
    assert not Cluster(policies=[egress_only]).admits(client, server, 6432)


# -- the program's policies against the program's connections --------------------------------------------


def test_every_configured_connection_is_admitted(cluster):
    connections = configured(cluster)
    # The derivations found each kind of client (a derivation that finds nothing proves nothing).
    whys = {c.why.split(" ")[0] for c in connections}
    assert {
        "PodMonitor",
        "ServiceMonitor",
        "alerting",
        "VirtualService",
        "clickhouse.access.port",
        "clickhouse-client",
    } <= whys
    assert {"zookeeper.nodes", "ClickHouseInstallation", "ClickHouseKeeperInstallation", "Grafana", "Thanos"} <= whys
    denied = [str(c) for c in connections if not cluster.admits(c.client, c.server, c.port, c.protocol)]
    assert denied == []


def test_clickhouse_pods_are_reached_by_every_client_the_program_configures(cluster):
    """The derivations cover the ClickHouse namespace's conversations the issue names."""
    into = {
        (c.client.owner.split(" ")[0], c.server.owner.split(" ")[0], c.port)
        for c in configured(cluster)
        if c.server.namespace == conv.CLICKHOUSE_NAMESPACE
    }
    assert ("Deployment", "ClickHouseInstallation", 8123) in into  # gateways (HTTPS) and the operator
    assert ("Deployment", "ClickHouseInstallation", 9000) in into  # gateways (native TLS)
    assert ("Deployment", "ClickHouseKeeperInstallation", 2181) in into  # the operator
    assert ("CronJob", "ClickHouseInstallation", 9000) in into  # backups
    assert ("ClickHouseInstallation", "ClickHouseKeeperInstallation", 2181) in into
    assert ("ClickHouseKeeperInstallation", "ClickHouseKeeperInstallation", 9444) in into


def test_fluent_bit_reaches_loghouse(loghouse):
    logs_ = [c for c in configured(loghouse) if c.why == "Fluent Bit output"]
    assert logs_, "Fluent Bit has no output to ClickHouse"
    assert {(c.server.labels[security.CHI_LABEL], c.port) for c in logs_} == {("logs", logs.CLICKHOUSE_PORT)}
    assert all(loghouse.admits(c.client, c.server, c.port) for c in logs_)


def test_fluent_bit_reaches_nothing_else_in_the_clickhouse_namespace(loghouse):
    """The negative cases: Fluent Bit may reach the LogHouse servers' HTTP port and nothing else
    (other services, other ports, Keeper, the backup Job)."""
    allowed = {(c.client, c.server, c.port) for c in configured(loghouse) if c.why == "Fluent Bit output"}
    (fluent_bit,) = {c for c, _, _ in allowed}
    denied = [
        (server, port.number)
        for server in loghouse.pods
        if server.namespace == conv.CLICKHOUSE_NAMESPACE
        for port in server.ports
        if (fluent_bit, server, port.number) not in allowed
    ]
    assert {s.owner.split(" ")[0] for s, _ in denied} >= {"ClickHouseInstallation", "ClickHouseKeeperInstallation"}
    assert any(s.labels.get(security.CHI_LABEL) == "analytics" and p == 8123 for s, p in denied)
    assert any(s.labels.get(security.CHI_LABEL) == "logs" and p == 9000 for s, p in denied)
    admitted = [f"{s!r}:{p}" for s, p in denied if loghouse.admits(fluent_bit, s, p)]
    assert admitted == []
    # The backup Job's pod carries its installation's label, but no port: the LogHouse policy
    # selects the operator's pods only.
    (backup,) = [p for p in loghouse.pods if p.owner == "CronJob clickhouse/backup-logs"]
    assert not loghouse.admits(fluent_bit, Pod("probe", backup.namespace, backup.labels, (Port(None, 8123),)), 8123)


def test_without_loghouse_fluent_bit_is_admitted_nowhere():
    policies = security.network_policies()
    assert "loghouse-ingress" not in {p["metadata"]["name"] for p in policies}
    server = _pod(conv.CLICKHOUSE_NAMESPACE, {security.CHI_LABEL: "logs", security.CHI_APP_LABEL: "chop"}, 8123)
    fluent_bit = _pod(logs.NAMESPACE, security.fluent_bit_pods()["matchLabels"])
    assert not Cluster(policies=policies).admits(fluent_bit, server, 8123)
    assert Cluster(policies=security.network_policies("logs")).admits(fluent_bit, server, 8123)


def test_keeper_is_reached_only_by_its_configured_clients(cluster):
    """Negative cases: a pod outside the namespace that the objects do not point at Keeper (the
    gateways, Prometheus on the client port, Grafana, Fluent Bit) is refused."""
    configured_pairs = {(c.client, c.server, c.port) for c in configured(cluster)}
    keeper = [p for p in cluster.pods if p.owner.startswith("ClickHouseKeeperInstallation ")]
    assert keeper
    clients = {c.client for c in configured(cluster) if c.client.namespace != conv.CLICKHOUSE_NAMESPACE}
    refused = [
        (client, server, port.number)
        for client in clients
        for server in keeper
        for port in server.ports
        if (client, server, port.number) not in configured_pairs
    ]
    assert refused
    admitted = [f"{c!r} -> {s!r}:{p}" for c, s, p in refused if cluster.admits(c, s, p)]
    assert admitted == []


def test_the_old_policies_refuse_fluent_bit(loghouse):
    """The finding: without the LogHouse policy every insert of Fluent Bit times out."""
    old = Cluster(
        namespaces=loghouse.namespaces,
        pods=loghouse.pods,
        services=loghouse.services,
        policies=[p for p in loghouse.policies if p["metadata"]["name"] != "loghouse-ingress"],
        objects=loghouse.objects,
    )
    logs_ = [c for c in configured(loghouse) if c.why == "Fluent Bit output"]
    assert logs_ and not any(old.admits(c.client, c.server, c.port) for c in logs_)
