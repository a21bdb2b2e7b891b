"""Monitoring judged by what the real systems emit, declare and accept (issue 17).

- Scrape ports: the ClickHouse and Keeper pods the Altinity operator 0.25.6 makes from the
  program's installations (its ports merged with the pod template's, `tests/scrape.py`) carry the
  port the PodMonitors name, and ClickHouse's and Keeper's `<prometheus>` listen on it. The same
  check over every monitor and every rendered pod is in tests/test_charts.py.
- Names: every metric a rule or dashboard reads is one that is emitted: by ClickHouse 25.8's
  endpoints (`tests/metric_names.py`, from the vendored name lists), by an exporter at its pin, by a
  recording rule, or by Prometheus for each target (`up`). Expressions are read with a PromQL parser.
- promtool: the rules run on the series a healthy dev installation emits (every ClickHouse and
  Keeper name under its endpoint name, the exporters' series with their labels): no alert fires;
  then one failure at a time, and the right alert fires.
"""

from __future__ import annotations

import re
import shutil
import sre_constants
import sre_parse
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import promql_parser
import pytest
import yaml

from components import backup, clickhouse_specs
from components.observability import alerts, dashboards, metrics
from tests import metric_names as names
from tests import scrape
from tests.conftest import synthesize
from tools import stackconfig

PROMTOOL = shutil.which("promtool") or "promtool"


@pytest.fixture(scope="module")
def dev_objects() -> list[dict[str, Any]]:
    """The Kubernetes objects the program registers for the dev stack (the shared synth run)."""
    synth = synthesize(stackconfig.load_stack("dev"))
    return [r["inputs"] for r in synth.resources if r["type"].startswith("kubernetes:") and "kind" in r["inputs"]]


def _kind(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objects if o["kind"] == kind]


def _monitor(name: str) -> dict[str, Any]:
    (monitor,) = [m for m in metrics.scrape_monitors() if m["metadata"]["name"] == name]
    return monitor


# -- scrape ports ---------------------------------------------------------------------------------


def _prometheus_port(installation: dict[str, Any]) -> int:
    return int(installation["spec"]["configuration"]["settings"]["prometheus/port"])


@pytest.mark.parametrize(
    ("kind", "monitor", "operator_ports"),
    [
        ("ClickHouseInstallation", "clickhouse", {"tcp", "http", "interserver"}),
        ("ClickHouseKeeperInstallation", "clickhouse-keeper", {"zk", "raft"}),
    ],
)
def test_each_installation_pod_is_scraped_on_the_port_its_endpoint_listens_on(
    dev_objects, kind, monitor, operator_ports
):
    installations = _kind(dev_objects, kind)
    assert installations
    for installation in installations:
        pod = scrape.operator_pod(installation)
        declared = {name: number for _c, name, number in pod.ports}
        # The operator's own ports, and ours next to them (no name taken twice).
        assert set(declared) == operator_ports | {metrics.METRICS_PORT_NAME}
        endpoint = _monitor(monitor)["spec"]["podMetricsEndpoints"][0]
        targets = scrape.pod_monitor_targets(_monitor(monitor), endpoint, [pod])
        # One target per pod, on the port the server's or Keeper's `<prometheus>` listens on.
        assert [port for _p, port in targets] == [_prometheus_port(installation)]
        assert endpoint["path"] == installation["spec"]["configuration"]["settings"]["prometheus/endpoint"]


def test_keeper_endpoint_writes_the_groups_the_alerts_read(dev_objects):
    """Keeper's leader flag is an asynchronous metric: its endpoint must write that group."""
    (keeper,) = _kind(dev_objects, "ClickHouseKeeperInstallation")
    settings = keeper["spec"]["configuration"]["settings"]
    assert {settings[f"prometheus/{group}"] for group in ("metrics", "events", "asynchronous_metrics")} == {"true"}


def test_the_endpoints_listen_on_every_interface(dev_objects):
    """ClickHouse's and Keeper's `<prometheus>` port binds on `listen_host`: the operator's default
    configuration files (the vendored chart's values, which the program leaves as they are) listen on
    `0.0.0.0` and `::`, and nothing the program sets changes that."""
    values = yaml.safe_load((scrape.UPSTREAM / "charts/altinity-clickhouse-operator-0.25.6/values.yaml").read_text())
    for files, name in (
        ("configdFiles", "01-clickhouse-01-listen.xml"),
        ("keeperConfigdFiles", "01-keeper-01-default-config.xml"),
    ):
        root = ET.fromstring(values["configs"][files][name])
        assert {e.text for e in root.findall("listen_host")} == {"0.0.0.0", "::"}, name
    assert not set(clickhouse_specs.operator_values()["configs"]) - {"files"}
    for installation in [
        *_kind(dev_objects, "ClickHouseInstallation"),
        *_kind(dev_objects, "ClickHouseKeeperInstallation"),
    ]:
        configuration = installation["spec"]["configuration"]
        assert not [k for k in configuration.get("settings", {}) if "listen" in k]
        assert not [f for f, text in configuration.get("files", {}).items() if "listen_host" in text]


def test_an_undeclared_port_is_no_target(dev_objects):
    """The judge itself, on the previous PodMonitors: `portNumber` 9363 and 7000 on pods whose
    templates declare no such port (only the operator's) give no target."""
    for kind, number in (("ClickHouseInstallation", 9363), ("ClickHouseKeeperInstallation", 7000)):
        installation = _kind(dev_objects, kind)[0]
        template = installation["spec"]["templates"]["podTemplates"][0]
        for container in template["spec"]["containers"]:
            container.pop("ports", None)
        pod = scrape.operator_pod(installation)
        monitor = {"metadata": {"namespace": "monitoring"}, "spec": {"namespaceSelector": {"any": True}}}
        assert scrape.pod_monitor_targets(monitor, {"portNumber": number}, [pod]) == []
        assert scrape.pod_monitor_targets(monitor, {"port": metrics.METRICS_PORT_NAME}, [pod]) == []


def test_the_operator_merge_keeps_template_ports_and_overwrites_same_names():
    merged = scrape.ensure_ports(
        [{"name": "metrics", "containerPort": 9363}, {"name": "http", "containerPort": 1, "hostPort": 1}],
        [{"name": "tcp", "containerPort": 9000}, {"name": "http", "containerPort": 8123}],
    )
    assert merged == [
        {"name": "metrics", "containerPort": 9363},
        {"name": "http", "containerPort": 8123},
        {"name": "tcp", "containerPort": 9000},
    ]


# -- every metric read is emitted -----------------------------------------------------------------


def _selectors(expr: Any) -> list[Any]:
    """Every vector selector of a parsed PromQL expression."""
    if isinstance(expr, promql_parser.VectorSelector):
        return [expr]
    if isinstance(expr, promql_parser.MatrixSelector):
        return [expr.vector_selector]
    found = []
    for attr in ("expr", "lhs", "rhs", "param"):
        child = getattr(expr, attr, None)
        if child is not None and not isinstance(child, str | int | float):
            found += _selectors(child)
    for arg in getattr(expr, "args", None) or []:
        found += _selectors(arg)
    return found


def _expansions(pattern: str) -> set[str]:
    """Every string a finite regular expression (literals, groups, alternatives, `?`) matches."""

    def walk(tokens: Any) -> set[str]:
        out = {""}
        for op, arg in tokens:
            if op == sre_constants.LITERAL:
                options = {chr(arg)}
            elif op == sre_constants.SUBPATTERN:
                options = walk(arg[-1])
            elif op == sre_constants.BRANCH:
                options = set().union(*(walk(b) for b in arg[1]))
            elif op == sre_constants.MAX_REPEAT and arg[0] == 0 and arg[1] == 1:
                options = {""} | walk(arg[2])
            else:
                raise ValueError(f"not a finite pattern: {pattern}")
            out = {a + b for a in out for b in options}
        return out

    return walk(sre_parse.parse(pattern))


def _recorded() -> set[str]:
    groups = [backup.metric_rule_group(), *alerts.rule_groups()]
    return {r["record"] for g in groups for r in g["rules"] if "record" in r}


def emitted(name: str) -> bool:
    """Whether a metric name is written by an emitter the program scrapes, or recorded."""
    return (
        name in names.PROMETHEUS_TARGET_SERIES
        or name in names.exporter_families()
        or names.clickhouse_server().emits(name)
        or names.clickhouse_keeper().emits(name)
        or name in _recorded()
    )


def read_metrics(expr: str) -> list[str]:
    """The metric names a PromQL expression reads (a `__name__` regex expanded)."""
    out = []
    for selector in _selectors(promql_parser.parse(expr)):
        if selector.name:
            out.append(selector.name)
        for matcher in selector.matchers.matchers:
            if matcher.name == "__name__":
                if str(matcher.op) == "MatchOp.Re":
                    out += sorted(_expansions(matcher.value))
                else:
                    out.append(matcher.value)
    return out


def _read_by_program() -> dict[str, list[str]]:
    """What each alert, recording rule and dashboard panel reads."""
    reads = {}
    for group in [backup.metric_rule_group(), *alerts.rule_groups()]:
        for rule in group["rules"]:
            reads[rule.get("alert") or rule["record"]] = read_metrics(rule["expr"])
    for key, panels in dashboards.PANELS.items():
        for title, expr, _unit in panels:
            reads[f"dashboard {key}: {title}"] = read_metrics(expr)
    return reads


def test_every_metric_a_rule_or_dashboard_reads_is_emitted():
    reads = _read_by_program()
    assert all(reads.values()), [k for k, v in reads.items() if not v]
    missing = {where: [n for n in read if not emitted(n)] for where, read in reads.items()}
    assert {k: v for k, v in missing.items() if v} == {}
    # The S3 errors alert reads four counters, all emitted by a server.
    (s3,) = [v for k, v in reads.items() if k == "ClickHouseS3Errors"]
    assert len(s3) == 4 and all(names.clickhouse_server().emits(n) for n in s3)


# The labels prometheus-operator puts on every target of a PodMonitor or ServiceMonitor.
TARGET_LABELS = {"job", "instance", "namespace", "pod", "container", "endpoint", "service"}


def _carried(name: str) -> set[str]:
    """The labels a series of `name` carries: its exporter's (or its recording rule's) and the
    target's."""
    family = names.exporter_families().get(name)
    if family is not None:
        return set(family.labels) | TARGET_LABELS
    if name in _recorded():
        return {"namespace", "cronjob", "service"}
    return TARGET_LABELS


def test_every_label_a_rule_or_dashboard_matches_is_carried_by_its_series():
    exprs = [r["expr"] for g in [backup.metric_rule_group(), *alerts.rule_groups()] for r in g["rules"]]
    exprs += [expr for panels in dashboards.PANELS.values() for _t, expr, _u in panels]
    problems = []
    for expr in exprs:
        for selector in _selectors(promql_parser.parse(expr)):
            for matcher in selector.matchers.matchers:
                if selector.name and matcher.name not in _carried(selector.name):
                    problems.append(f"{selector.name}{{{matcher.name}}} in {expr}")
    assert problems == []
    # The judge itself: a label kube-state-metrics does not set on node conditions.
    assert "phase" not in _carried("kube_node_status_condition")


def test_a_name_no_emitter_writes_is_caught():
    """The judge itself: a misspelt counter, a raw asynchronous name the endpoint sanitizes, a
    Keeper name on the server, and an exporter family that does not exist are all not emitted."""
    for expr in (
        "rate(ClickHouseProfileEvents_FailedQueries[5m])",
        'ClickHouseAsyncMetrics_jemalloc_allocated{pod="x"} + on() {__name__="ClickHouseAsyncMetrics_jemalloc.allocated"}',
        "kube_cronjob_status_last_success_time",
    ):
        assert not all(emitted(n) for n in read_metrics(expr)), expr
    assert not names.clickhouse_server().emits("ClickHouseAsyncMetrics_KeeperIsLeader")
    assert names.clickhouse_keeper().emits("ClickHouseAsyncMetrics_KeeperIsLeader")


def test_the_endpoint_names_follow_clickhouses_sanitizing():
    assert names.endpoint_name(names.ASYNC_PREFIX, "jemalloc.arenas.all.pactive") == (
        "ClickHouseAsyncMetrics_jemalloc_arenas_all_pactive"
    )
    assert names.endpoint_name(names.METRICS_PREFIX, "Query") == "ClickHouseMetrics_Query"
    assert names.sanitize("1st.metric-x") == "st_metric_x"
    server = names.clickhouse_server()
    assert server.emits("ClickHouseAsyncMetrics_DiskAvailable_default")
    assert server.emits("ClickHouseAsyncMetrics_BlockReadBytes_nvme0n1")
    assert not server.emits("ClickHouseAsyncMetrics_DiskAvailable_")


# -- promtool: a healthy dev installation, then one failure at a time -----------------------------

NAMESPACE = "clickhouse"
SCRAPE_NAMESPACE = metrics.NAMESPACE
# The scenarios run over 20 minutes of 1-minute samples; a failure starts at minute 5.
MINUTES = 20
# Values of the placeholders on an EKS node (Nitro: NVMe block devices, one ENI) for the templates
# the healthy series instantiate; templates with hardware sensors (thermal, hwmon, EDAC), PSI (off
# by default) and log channels are left out: no rule reads them.
PLACEHOLDERS = {
    "cpu": ["0", "1"],
    "device": ["nvme0n1", "nvme1n1"],
    "interface": ["eth0"],
    "tcp_state": ["ESTABLISHED", "LISTEN"],
}
# The `*Threads` / `*RejectedConnections` metrics exist only for the ports a process listens on.
SERVER_LISTENERS = ("TCP", "HTTP", "Interserver", "Prometheus")
KEEPER_LISTENERS = ("KeeperTCP", "Prometheus")
_LISTENER_METRIC = re.compile(
    r"^(TCP|TCPSecure|HTTP|HTTPSecure|Interserver|InterserverSecure|MySQL|PostgreSQL|GRPC|Prometheus|KeeperTCP|"
    r"KeeperTCPSecure)(Threads|RejectedConnections)$"
)
# Healthy values where 0 would be a failure (or meaningless); every other series is 0.
GAUGES = {
    "ClickHouseMetrics_ZooKeeperSession": "1",
    "ClickHouseAsyncMetrics_DiskTotal_default": "100000000000",
    "ClickHouseAsyncMetrics_DiskAvailable_default": "60000000000",
    "ClickHouseAsyncMetrics_MaxPartCountForPartition": "12",
}
COUNTERS = {"ClickHouseProfileEvents_Query": "0+600x{n}", "ClickHouseProfileEvents_SelectQuery": "0+500x{n}"}


def _instances(raws: tuple[str, ...], listeners: tuple[str, ...]) -> list[str]:
    out = []
    for raw in raws:
        placeholders = re.findall(r"\{([a-z_]+)\}", raw)
        if not placeholders:
            listener = _LISTENER_METRIC.match(raw)
            if listener is None or listener.group(1) in listeners:
                out.append(raw)
            continue
        if not set(placeholders) <= set(PLACEHOLDERS) | {"disk"}:
            continue
        values = [raw]
        for p in placeholders:
            values = [v.replace(f"{{{p}}}", x, 1) for v in values for x in PLACEHOLDERS.get(p, [])]
        out += values
    return out


def _disks(installation: dict[str, Any]) -> list[str]:
    """The server's disks: `default` and the disks of its storage configuration."""
    xml = installation["spec"]["configuration"]["files"]["config.d/storage.xml"]
    return ["default", *(d.tag for d in ET.fromstring(xml).find("storage_configuration/disks"))]


def _labels(labels: dict[str, str]) -> str:
    return "{" + ", ".join(f'{k}="{v}"' for k, v in labels.items()) + "}"


def _target(job: str, pod: str, port: int, namespace: str = NAMESPACE) -> dict[str, str]:
    """The labels prometheus-operator gives a PodMonitor target."""
    return {
        "job": f"{SCRAPE_NAMESPACE}/{job}",
        "namespace": namespace,
        "pod": pod,
        "container": pod.split("/")[0],
        "endpoint": metrics.METRICS_PORT_NAME,
        "instance": f"{pod}:{port}",
    }


def _server_pods(installation: dict[str, Any]) -> list[str]:
    """The operator's pod names of an installation: chi-<chi>-<cluster>-<shard>-<replica>-0."""
    (cluster,) = installation["spec"]["configuration"]["clusters"]
    layout = cluster["layout"]
    name = installation["metadata"]["name"]
    return [
        f"chi-{name}-{cluster['name']}-{s}-{r}-0"
        for s in range(layout.get("shardsCount", 1))
        for r in range(layout.get("replicasCount", 1))
    ]


def _keeper_pods(keeper: dict[str, Any]) -> list[str]:
    (cluster,) = keeper["spec"]["configuration"]["clusters"]
    name = keeper["metadata"]["name"]
    return [f"chk-{name}-{cluster['name']}-0-{r}-0" for r in range(cluster["layout"]["replicasCount"])]


class Series:
    """Input series of one promtool test group."""

    def __init__(self, samples: int):
        self.samples = samples
        self.items: dict[str, str] = {}

    def add(self, name: str, labels: dict[str, str], values: str | None = None) -> None:
        assert emitted(name), f"{name} is not a name the emitters write"
        values = values or GAUGES.get(name) or COUNTERS.get(name, "0x{n}")
        self.items[name + _labels(labels)] = values.format(n=self.samples)

    def drop(self, predicate) -> None:
        self.items = {k: v for k, v in self.items.items() if not predicate(k)}

    def input(self) -> list[dict[str, str]]:
        return [{"series": k, "values": v} for k, v in self.items.items()]


def healthy(objects: list[dict[str, Any]], samples: int) -> Series:
    """What a healthy dev installation emits for the rules: every ClickHouse server and Keeper series
    under its endpoint name, and the exporters' series the rules read, with their labels."""
    series = Series(samples)
    server_raws = names.clickhouse("asynchronous_metrics")
    for installation in _kind(objects, "ClickHouseInstallation"):
        port = _prometheus_port(installation)
        disks = _disks(installation)
        for pod in _server_pods(installation):
            target = _target("clickhouse", pod, port) | {"container": "clickhouse"}
            series.add("up", target, "1x{n}")
            for raw in names.clickhouse("metrics"):
                series.add(names.endpoint_name(names.METRICS_PREFIX, raw), target)
            for raw in names.clickhouse("events"):
                series.add(names.endpoint_name(names.PROFILE_EVENTS_PREFIX, raw), target)
            for raw in (*names.clickhouse("errors"), "ALL"):
                series.add(names.endpoint_name(names.ERRORS_PREFIX, raw), target)
            for raw in _instances(server_raws, SERVER_LISTENERS):
                for concrete in [raw.replace("{disk}", d) for d in disks] if "{disk}" in raw else [raw]:
                    series.add(names.endpoint_name(names.ASYNC_PREFIX, concrete), target)
    for keeper in _kind(objects, "ClickHouseKeeperInstallation"):
        port = _prometheus_port(keeper)
        for index, pod in enumerate(_keeper_pods(keeper)):
            target = _target("clickhouse-keeper", pod, port) | {"container": "clickhouse-keeper"}
            series.add("up", target, "1x{n}")
            for raw in names.clickhouse("keeper_metrics"):
                series.add(names.endpoint_name(names.METRICS_PREFIX, raw), target)
            for raw in names.clickhouse("keeper_events"):
                series.add(names.endpoint_name(names.PROFILE_EVENTS_PREFIX, raw), target)
            for raw in _instances(names.clickhouse("keeper_asynchronous_metrics"), KEEPER_LISTENERS):
                value = {"KeeperIsLeader": "1" if index == 0 else "0", "KeeperIsFollower": "0" if index == 0 else "1"}
                series.add(names.endpoint_name(names.ASYNC_PREFIX, raw), target, value.get(raw, "0") + "x{n}")
    _exporters(series, objects)
    return series


def _exporter(series: Series, name: str, labels: dict[str, str], values: str, target: dict[str, str]) -> None:
    """One exporter series: the labels the exporter sets (checked against its vendored family), and
    those of its scrape target."""
    family = names.exporter_families()[name]
    assert set(labels) <= set(family.labels), f"{name}: {set(labels) - set(family.labels)} not among {family.labels}"
    series.add(name, {**target, **labels}, values)


def _exporters(series: Series, objects: list[dict[str, Any]]) -> None:
    """The exporter series the rules read, for the dev stack's nodes, claims, certificates and CronJobs."""
    ksm = {"job": "kube-state-metrics", "instance": "10.0.1.20:8080", "endpoint": "http"}
    kubelet = {"job": "kubelet", "metrics_path": "/metrics", "instance": "10.0.1.10:10250"}
    cert_manager = {"job": "monitoring/cert-manager", "instance": "10.0.1.30:9402", "namespace": "cert-manager"}
    for node in ("ip-10-0-1-10.us-west-2.compute.internal", "ip-10-0-2-10.us-west-2.compute.internal"):
        for condition, good in (("Ready", "true"), ("MemoryPressure", "false"), ("DiskPressure", "false")):
            for status in ("true", "false", "unknown"):
                labels = {"node": node, "condition": condition, "status": status}
                _exporter(series, "kube_node_status_condition", labels, ("1" if status == good else "0") + "x{n}", ksm)
        fs = {"device": "/dev/nvme0n1p1", "mountpoint": "/", "fstype": "xfs", "device_error": ""}
        node_exporter = {"job": "node-exporter", "instance": f"{node}:9100"}
        _exporter(series, "node_filesystem_size_bytes", fs, "80000000000x{n}", node_exporter)
        _exporter(series, "node_filesystem_avail_bytes", fs, "50000000000x{n}", node_exporter)
    for obj in objects:
        if obj["kind"] not in scrape.OPERATOR_KINDS:
            continue
        for claim in obj["spec"]["templates"]["volumeClaimTemplates"]:
            pvc = {
                "namespace": obj["metadata"]["namespace"],
                "persistentvolumeclaim": f"{claim['name']}-{obj['metadata']['name']}",
            }
            _exporter(series, "kubelet_volume_stats_capacity_bytes", pvc, "100000000000x{n}", kubelet)
            _exporter(series, "kubelet_volume_stats_available_bytes", pvc, "70000000000x{n}", kubelet)
            for phase in ("Bound", "Pending", "Lost"):
                value = ("1" if phase == "Bound" else "0") + "x{n}"
                _exporter(series, "kube_persistentvolumeclaim_status_phase", pvc | {"phase": phase}, value, ksm)
    for certificate in _kind(objects, "Certificate"):
        issuer = certificate["spec"]["issuerRef"]
        cert = {
            "name": certificate["metadata"]["name"],
            "namespace": certificate["metadata"]["namespace"],
            "issuer_name": issuer["name"],
            "issuer_kind": issuer.get("kind", "Issuer"),
            "issuer_group": issuer.get("group", "cert-manager.io"),
        }
        # Issued at t=0 by Let's Encrypt: valid for 90 days.
        _exporter(
            series, "certmanager_certificate_expiration_timestamp_seconds", cert, f"{90 * 86400}x{{n}}", cert_manager
        )
        for condition in ("True", "False", "Unknown"):
            value = ("1" if condition == "True" else "0") + "x{n}"
            _exporter(
                series, "certmanager_certificate_ready_status", cert | {"condition": condition}, value, cert_manager
            )
    for cronjob in _kind(objects, "CronJob"):
        cj = {"namespace": cronjob["metadata"]["namespace"], "cronjob": cronjob["metadata"]["name"]}
        _exporter(series, "kube_cronjob_created", cj, "0x{n}", ksm)
        _exporter(
            series, "kube_cronjob_spec_suspend", cj, ("1" if cronjob["spec"].get("suspend") else "0") + "x{n}", ksm
        )
        # Its first run succeeded a minute after creation.
        _exporter(series, "kube_cronjob_status_last_successful_time", cj, "60x{n}", ksm)


def _alert_names() -> list[str]:
    return [r["alert"] for g in alerts.rule_groups() for r in g["rules"] if "alert" in r]


def _promtool(
    tmp_path: Path,
    groups: list[dict[str, Any]],
    evaluation_interval: str = "1m",
    rules: list[dict[str, Any]] | None = None,
) -> None:
    """`promtool test rules` of the layer's PrometheusRule groups (or `rules`) on `groups`."""
    rules = rules or [backup.metric_rule_group(), *alerts.rule_groups()]
    (tmp_path / "rules.yml").write_text(yaml.safe_dump({"groups": rules}))
    tests = {"rule_files": ["rules.yml"], "evaluation_interval": evaluation_interval, "tests": groups}
    (tmp_path / "tests.yml").write_text(yaml.safe_dump(tests, width=1000))
    result = subprocess.run(
        [PROMTOOL, "test", "rules", "tests.yml"], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


def _none_fire(*times: str, but: dict[str, list[dict[str, Any]]] | None = None) -> list[dict[str, Any]]:
    """An alert test for every alert at each time: none fires, except those in `but`."""
    but = but or {}
    return [
        {"eval_time": t, "alertname": a, "exp_alerts": but.get(a, []) if t == times[-1] else []}
        for t in times
        for a in _alert_names()
    ]


def _group(series: Series, alert_tests: list[dict[str, Any]]) -> dict[str, Any]:
    return {"interval": "1m", "input_series": series.input(), "alert_rule_test": alert_tests}


def _fired(name: str, severity: str, **labels: str) -> dict[str, Any]:
    return {"exp_labels": {"severity": severity, **labels}, "exp_annotations": _annotations(name, labels)}


def _annotations(name: str, labels: dict[str, str]) -> dict[str, str]:
    """The alert's annotations as Prometheus renders them for these labels (static text only)."""
    (rule,) = [r for g in alerts.rule_groups() for r in g["rules"] if r.get("alert") == name]
    out = {}
    for key, text in rule["annotations"].items():
        rendered = re.sub(r"\{\{ \$labels\.(\w+) \}\}", lambda m: labels.get(m.group(1), ""), text)
        assert "{{" not in rendered, f"{name}: annotation with a value template, give it in the test"
        out[key] = rendered
    return out


@pytest.fixture(scope="module")
def healthy_series(dev_objects) -> Series:
    return healthy(dev_objects, MINUTES)


def _copy(series: Series) -> Series:
    """The healthy series the alert rules read (the others cannot change what they evaluate; the
    healthy test runs them all)."""
    read = {
        n for where, names_read in _read_by_program().items() if not where.startswith("dashboard") for n in names_read
    }
    out = Series(series.samples)
    out.items = {k: v for k, v in series.items.items() if k.split("{")[0] in read}
    return out


def test_a_healthy_dev_installation_fires_no_alert(healthy_series, tmp_path):
    # Every server and Keeper name is there (the lists are the emitters').
    assert len(healthy_series.items) > 4000
    _promtool(tmp_path, [_group(healthy_series, _none_fire("8m", "19m"))])


def _down(series: Series, pod: str) -> dict[str, str]:
    """A pod that stops answering at minute 5: its target stays (`up` 0), its own series go stale."""
    series.drop(lambda key: f'pod="{pod}"' in key and not key.startswith("up{"))
    up = next(k for k in series.items if k.startswith("up{") and f'pod="{pod}"' in k)
    series.items[up] = f"1x5 0x{MINUTES - 6}"
    return dict(re.findall(r'(\w+)="([^"]*)"', up))


def test_a_server_down_and_a_keeper_follower_down_fire_their_alerts_only(dev_objects, healthy_series, tmp_path):
    """A ClickHouse server down: ClickHouseDown. A Keeper follower down: KeeperReplicaDown, and
    neither quorum nor leader alert (two of three still answer, the leader among them)."""
    series = _copy(healthy_series)
    server = _server_pods(_kind(dev_objects, "ClickHouseInstallation")[0])[0]
    follower = _keeper_pods(_kind(dev_objects, "ClickHouseKeeperInstallation")[0])[1]
    server_labels, follower_labels = _down(series, server), _down(series, follower)
    expected = {
        "ClickHouseDown": [
            {
                "exp_labels": {"severity": "critical", **server_labels},
                "exp_annotations": {
                    "summary": "ClickHouse server unreachable",
                    "description": f"Prometheus cannot scrape {NAMESPACE}/{server} for 5 minutes.",
                },
            }
        ],
        "KeeperReplicaDown": [
            {
                "exp_labels": {"severity": "warning", **follower_labels},
                "exp_annotations": {
                    "summary": "Keeper replica unreachable",
                    "description": f"Keeper {NAMESPACE}/{follower} cannot be scraped for 5 minutes.",
                },
            }
        ],
    }
    _promtool(tmp_path, [_group(series, _none_fire("8m", "19m", but=expected))])


def test_two_keepers_down_lose_the_quorum(dev_objects, tmp_path):
    series = Series(MINUTES)
    keeper = _kind(dev_objects, "ClickHouseKeeperInstallation")[0]
    pods = _keeper_pods(keeper)
    for index, pod in enumerate(pods):
        target = _target("clickhouse-keeper", pod, _prometheus_port(keeper)) | {"container": "clickhouse-keeper"}
        series.add("up", target, "1x{n}" if index == 0 else f"1x5 0x{MINUTES - 6}")
        series.add(
            "ClickHouseAsyncMetrics_KeeperIsLeader",
            target,
            ("1" if index == 0 else "0") + ("x{n}" if index == 0 else "x5"),
        )
    quorum = {"KeeperQuorumLost": [_fired("KeeperQuorumLost", "critical")]}
    _promtool(
        tmp_path,
        [
            {
                "interval": "1m",
                "input_series": series.input(),
                "alert_rule_test": [
                    {"eval_time": "4m", "alertname": "KeeperQuorumLost", "exp_alerts": []},
                    {"eval_time": "19m", "alertname": "KeeperQuorumLost", "exp_alerts": quorum["KeeperQuorumLost"]},
                    # The leader still answers: no leader alert.
                    {"eval_time": "19m", "alertname": "KeeperNoLeader", "exp_alerts": []},
                    {"eval_time": "19m", "alertname": "KeeperNotScraped", "exp_alerts": []},
                ],
            }
        ],
    )


def test_no_keeper_target_at_all_says_so_once_without_paging(healthy_series, tmp_path):
    """Without any Keeper series the quorum and leader alerts cannot fire (they read only present
    series); the missing job is one warning."""
    series = _copy(healthy_series)
    series.drop(lambda key: f'job="{alerts.KEEPER_JOB}"' in key)
    expected = {"KeeperNotScraped": [_fired("KeeperNotScraped", "warning", job=alerts.KEEPER_JOB)]}
    _promtool(tmp_path, [_group(series, _none_fire("5m", "19m", but=expected))])


# The backup cases run over 30 hours on the CronJob series alone (5-minute samples).
BACKUP_SAMPLES = 30 * 12


def _backup_group(
    cronjob: dict[str, str], created: str, suspend: str, last_success: str | None, expected: list
) -> dict[str, Any]:
    series = Series(BACKUP_SAMPLES)
    series.add("kube_cronjob_created", cronjob, created)
    series.add("kube_cronjob_spec_suspend", cronjob, suspend)
    if last_success is not None:
        series.add("kube_cronjob_status_last_successful_time", cronjob, last_success)
    return {
        "interval": "5m",
        "input_series": series.input(),
        "alert_rule_test": [
            {"eval_time": "25h", "alertname": "BackupTooOld", "exp_alerts": []},
            {"eval_time": "28h", "alertname": "BackupTooOld", "exp_alerts": expected},
        ],
    }


def _backup_fired(service: str, age: str) -> list[dict[str, Any]]:
    description = (
        f"Service {service} has had no successful backup for {age} (limit {alerts.BACKUP_MAX_AGE_HOURS}h), counted from"
        " its last success or, if none succeeded yet, from when its backups were set up."
    )
    return [
        {
            "exp_labels": {"severity": "critical", "service": service},
            "exp_annotations": {"summary": "No recent backup", "description": description},
        }
    ]


def test_backups_never_succeeding_too_old_suspended_and_stopped(dev_objects, tmp_path):
    (cronjob,) = _kind(dev_objects, "CronJob")
    service = cronjob["metadata"]["name"].removeprefix("backup-")
    cj = {"namespace": cronjob["metadata"]["namespace"], "cronjob": cronjob["metadata"]["name"]}
    n = BACKUP_SAMPLES
    groups = [
        # Never succeeded since the CronJob was created at t=0: no success series at all.
        _backup_group(cj, f"0x{n}", f"0x{n}", None, _backup_fired(service, "1d 4h 0m 0s")),
        # Last success at t=0, none since.
        _backup_group(cj, f"0x{n}", f"0x{n}", f"0x{n}", _backup_fired(service, "1d 4h 0m 0s")),
        # Succeeding every day: the last success is at most a day old.
        _backup_group(cj, f"0x{n}", f"0x{n}", f"0x287 86400x{n - 288}", []),
        # Backups disabled (or the service stopped): the CronJob is suspended; its old last
        # success and its creation time stay, and nothing fires.
        _backup_group(cj, f"0x{n}", f"1x{n}", f"0x{n}", []),
        _backup_group(cj, f"0x{n}", f"1x{n}", None, []),
    ]
    # Only the groups that read CronJob series: the others have no input here.
    _promtool(tmp_path, groups, "5m", [backup.metric_rule_group(), alerts.backup_rules()])


def test_the_stopped_and_disabled_services_have_suspended_cronjobs():
    """What 'stopped' and 'disabled' leave behind: the CronJob, suspended (kube-state-metrics then
    reports `kube_cronjob_spec_suspend` 1, which the recording rules leave out)."""
    spec = backup.BackupSpec(enabled=True, schedule="0 2 * * *", retention_days=7, full_every_days=7)
    common = {"image": "i", "script": "s", "host": "h", "config_secret": "p", "labels": {}}
    assert backup.cronjob_spec(spec, stopped=False, **common)["suspend"] is False
    assert backup.cronjob_spec(spec, stopped=True, **common)["suspend"] is True
    disabled = backup.BackupSpec(enabled=False, schedule="0 2 * * *", retention_days=7, full_every_days=7)
    assert backup.cronjob_spec(disabled, stopped=False, **common)["suspend"] is True
