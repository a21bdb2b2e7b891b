"""The observability component under the mocks: what it registers, and what the values carry."""

from __future__ import annotations

import dataclasses

import pytest
import yaml

from components import versions
from components.naming import Names
from components.observability import alerts, layer, metrics
from tests.conftest import run_offline

RELEASE = "kubernetes:helm.sh/v3:Release"
SPEC_FIELDS = {f.name for f in dataclasses.fields(layer.ObservabilitySpec)}


def _program(**overrides):
    def program():
        spec = dict(
            vendor_webhook="https://alerts.vendor.example/hook/abc",
            retention_raw_days=30,
            retention_downsampled_days=365,
            grafana=True,
        )
        spec.update({k: v for k, v in overrides.items() if k in SPEC_FIELDS})
        args = dict(
            names=Names("dev-1a2b3c", "123456789012"),
            region="us-west-2",
            monitoring_bucket="clickhouse-cloud-dev-1a2b3c-monitoring",
            thanos_role_arn="arn:aws:iam::123456789012:role/ClickHouse-cloud-dev-1a2b3c-thanos",
            spec=layer.ObservabilitySpec(**spec),
        )
        args.update({k: v for k, v in overrides.items() if k not in SPEC_FIELDS})
        layer.Observability("ClickHouse-cloud-dev-obs", layer.ObservabilityArgs(**args))

    return program


@pytest.fixture(scope="module")
def default():
    return run_offline(program=_program())


def _releases(result):
    return {r["inputs"]["chart"]: r for r in result.by_type(RELEASE)}


def test_releases_are_the_pinned_charts(default):
    releases = _releases(default)
    assert set(releases) == {"kube-prometheus-stack", "falco"}
    for pin in (versions.KUBE_PROMETHEUS_STACK_CHART, versions.FALCO_CHART):
        assert releases[pin.chart]["inputs"]["version"] == pin.version
        assert releases[pin.chart]["inputs"]["repositoryOpts"]["repo"] == pin.repo


def test_values_are_readable_and_secrets_stay_in_secrets(default):
    kps = _releases(default)["kube-prometheus-stack"]["inputs"]["values"]
    text = yaml.safe_dump(kps)
    assert "alerts.vendor.example" not in text
    assert kps["alertmanager"]["config"]["route"]["routes"][2]["receiver"] == "vendor"
    assert kps["prometheus"]["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"].endswith(
        ":role/ClickHouse-cloud-dev-1a2b3c-thanos"
    )
    secrets = {s["inputs"]["metadata"]["name"]: s for s in default.by_type("kubernetes:core/v1:Secret")}
    assert set(secrets) == {"thanos-objstore", "alertmanager-vendor-webhook", "grafana-admin"}
    # The recorder shows secret inputs masked: the URL never reaches state in clear.
    assert secrets["alertmanager-vendor-webhook"]["inputs"]["stringData"] == "[secret]"


def test_thanos_monitors_rules_and_policies_are_registered(default):
    names = {r["inputs"]["metadata"]["name"] for r in default.by_type("kubernetes:apps/v1:StatefulSet")}
    assert names == {"thanos-store", "thanos-compact"}
    (rule,) = default.by_type("kubernetes:monitoring.coreos.com/v1:PrometheusRule")
    # The backup-age recording rule (components.backup) first, then the alerts reading it.
    assert [g["name"] for g in rule["inputs"]["spec"]["groups"]] == [
        "clickhouse-backups",
        *(g["name"] for g in alerts.rule_groups()),
    ]
    policies = {
        p["inputs"]["metadata"]["name"] for p in default.by_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
    }
    assert "default-deny" in policies
    monitors = default.by_type("kubernetes:monitoring.coreos.com/v1:PodMonitor")
    assert {m["inputs"]["metadata"]["name"] for m in monitors} >= {"clickhouse", "clickhouse-keeper"}


def test_without_grafana_there_is_no_password_and_no_dashboard():
    result = run_offline(program=_program(grafana=False))
    kps = _releases(result)["kube-prometheus-stack"]["inputs"]["values"]
    assert kps["grafana"] == {"enabled": False}
    assert not [
        s for s in result.by_type("kubernetes:core/v1:Secret") if s["inputs"]["metadata"]["name"] == "grafana-admin"
    ]
    assert not [
        c for c in result.by_type("kubernetes:core/v1:ConfigMap") if "dashboard" in c["inputs"]["metadata"]["name"]
    ]


def test_log_house_and_receivers_add_their_release_and_secrets():
    result = run_offline(
        program=_program(
            log_house=layer.LogHouseTarget("clickhouse-logs.clickhouse.svc.cluster.local", "pw", "logs"),
            receivers=(alerts.Receiver("ops", "slack", channel="#ops"),),
            receiver_secrets={"ops": "https://hooks.slack.example/T000/B000/xyz"},
        )
    )
    assert set(_releases(result)) == {"kube-prometheus-stack", "falco", "fluent-bit"}
    secrets = {s["inputs"]["metadata"]["name"] for s in result.by_type("kubernetes:core/v1:Secret")}
    assert {"loghouse-writer", "alertmanager-receivers"} <= secrets
    kps = _releases(result)["kube-prometheus-stack"]["inputs"]["values"]
    assert "hooks.slack.example" not in yaml.safe_dump(kps)
    assert kps["alertmanager"]["alertmanagerSpec"]["secrets"] == [
        "alertmanager-vendor-webhook",
        "alertmanager-receivers",
    ]
    assert metrics.NAMESPACE == "monitoring"


# -- the ClickHouse side: the scraping user, /metrics_all, LogHouse ---------------------------------


@pytest.fixture(scope="module")
def with_services():
    return run_offline(
        {"services": '[{"name": "analytics"}, {"name": "logs"}]', "logs": '{"logHouse": true, "service": "logs"}'},
        stack="prod",
    )


def _chi(result, name):
    (chi,) = [
        r
        for r in result.by_type("kubernetes:clickhouse.altinity.com/v1:ClickHouseInstallation")
        if r["inputs"]["metadata"]["name"] == name
    ]
    return chi["inputs"]["spec"]["configuration"]


def test_every_service_has_the_scraping_user_and_the_endpoint(with_services):
    from components.observability import metrics_endpoint

    for name in ("analytics", "logs"):
        config = _chi(with_services, name)
        assert config["users"]["metrics_scraper/grants/query"] == [
            "GRANT REMOTE ON *.*",
            "GRANT SELECT ON byoc_metrics.custom_metrics",
        ]
        assert config["users"]["metrics_scraper/k8s_secret_password_sha256_hex"] == (
            f"clickhouse-{name}-metrics-scraper/password_sha256_hex"
        )
        assert config["profiles"]["metrics_scraper/readonly"] == "1"
        assert config["settings"]["prometheus/port"] == "9363"
        assert config["files"][metrics_endpoint.CONFIG_FILE].count("<scripts>") == (2 if name == "analytics" else 4)
    secrets = {s["inputs"]["metadata"]["name"] for s in with_services.by_type("kubernetes:core/v1:Secret")}
    assert {"clickhouse-analytics-metrics-scraper", "clickhouse-logs-metrics-scraper"} <= secrets
    assert "clickhouse-logs-loghouse-writer" in secrets and "clickhouse-analytics-loghouse-writer" not in secrets


def test_only_the_loghouse_service_has_the_writer(with_services):
    assert "loghouse_writer/grants/query" in _chi(with_services, "logs")["users"]
    assert "loghouse_writer/grants/query" not in _chi(with_services, "analytics")["users"]
    (fluent,) = [r for r in with_services.by_type(RELEASE) if r["inputs"]["chart"] == "fluent-bit"]
    assert "Host clickhouse-logs.clickhouse.svc.cluster.local" in fluent["inputs"]["values"]["config"]["outputs"]


def test_a_stack_can_switch_the_layer_off():
    result = run_offline({"observability": '{"enabled": false}'}, stack="prod")
    assert not result.by_type("clickhouse-byoc:observability:Observability")
    charts = {r["inputs"]["chart"] for r in result.by_type(RELEASE)}
    assert "kube-prometheus-stack" not in charts and "falco" not in charts
    # The platform's metrics-server stays: the HPAs need it either way.
    assert "metrics-server" in charts
    assert not result.by_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")


def test_the_layer_is_in_the_dev_stack():
    result = run_offline(stack="prod")
    (layer_record,) = result.by_type("clickhouse-byoc:observability:Observability")
    assert layer_record["name"] == "ClickHouse-cloud-prod-observability"


def _monitoring_claims(result) -> dict[str, str]:
    """Every observability claim template's class: the chart's Prometheus and AlertManager volumes
    and the Thanos StatefulSets' claim templates."""
    (kps,) = [r for r in result.by_type(RELEASE) if r["inputs"]["chart"] == metrics.RELEASE]
    values = kps["inputs"]["values"]
    claims = {
        "prometheus": values["prometheus"]["prometheusSpec"]["storageSpec"]["volumeClaimTemplate"],
        "alertmanager": values["alertmanager"]["alertmanagerSpec"]["storage"]["volumeClaimTemplate"],
    }
    for sts in result.by_type("kubernetes:apps/v1:StatefulSet"):
        for template in sts["inputs"]["spec"]["volumeClaimTemplates"]:
            claims[f"{sts['inputs']['metadata']['name']}/{template['metadata']['name']}"] = template
    return {name: claim["spec"]["storageClassName"] for name, claim in claims.items()}


def _clickhouse_claims(result) -> set[str]:
    return {
        t["spec"]["storageClassName"]
        for kind in ("ClickHouseInstallation", "ClickHouseKeeperInstallation")
        for r in result.resources
        if r["type"].endswith(f":{kind}")
        for t in r["inputs"]["spec"]["templates"]["volumeClaimTemplates"]
    }


@pytest.mark.parametrize("kms", [False, True], ids=["aws-managed-key", "customer-key"])
def test_monitoring_volumes_follow_the_volume_key(kms):
    # The whole program: the class comes from ClusterPlatform.storage_class, as for ClickHouse.
    result = run_offline({"kms": '{"customerManagedKey": true}'} if kms else None, stack="prod")
    claims = _monitoring_claims(result)
    assert set(claims) == {"prometheus", "alertmanager", "thanos-store/data", "thanos-compact/data"}
    (clickhouse_class,) = _clickhouse_claims(result)
    if kms:
        assert clickhouse_class.startswith("gp3-encrypted-cmk-")
    else:
        assert clickhouse_class == "gp3-encrypted"
    assert set(claims.values()) == {clickhouse_class}


def test_an_unresolved_class_defaults_to_the_aws_managed_one(default):
    # The component alone (no platform): its claims name the project's default class.
    assert set(_monitoring_claims(default).values()) == {"gp3-encrypted"}
