"""ClickHouseInstallation, Keeper and operator values: built as plain data, checked against the CRDs and chart."""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET

import jsonschema
import pytest

from components import clickhouse_specs, quantity, versions
from components import k8s_conventions as conv
from components.cidr import InternalRanges
from components.clickhouse_specs import ClickHouseServiceSpec
from tests.references import ALTINITY, CHI_CRD, CHK_CRD, crd_schema, load_json, load_yaml
from tests.settings_cases import service

BUCKET = "clickhouse-cloud-dev-data-123456789012"
NETWORKS = clickhouse_specs.client_networks(InternalRanges("10.0.0.0/22", "100.64.0.0/16", ("10.20.0.0/16",)))


def chi(service: ClickHouseServiceSpec) -> dict:
    """The installation of a service as configured (the settings' defaults filled in)."""
    return {
        "apiVersion": clickhouse_specs.CHI_API,
        "kind": "ClickHouseInstallation",
        "metadata": {"name": service.name, "namespace": conv.CLICKHOUSE_NAMESPACE},
        "spec": clickhouse_specs.chi_spec(
            service, bucket=BUCKET, region="us-west-2", networks=NETWORKS, service_account="clickhouse-x"
        ),
    }


def chk() -> dict:
    return {
        "apiVersion": clickhouse_specs.CHK_API,
        "kind": "ClickHouseKeeperInstallation",
        "metadata": {"name": clickhouse_specs.KEEPER_NAME, "namespace": conv.CLICKHOUSE_NAMESPACE},
        "spec": clickhouse_specs.keeper_spec(),
    }


SERVICES = [
    service("analytics"),
    service("a" * 30, shards=4, replicas=3, cpu="500m", memory="4Gi", cacheSize="1Ti", mysqlInterface=True),
    service("paused", stopped=True),
]


@pytest.fixture(scope="module")
def chi_schema():
    return crd_schema(CHI_CRD)


@pytest.fixture(scope="module")
def chk_schema():
    return crd_schema(CHK_CRD)


@pytest.mark.parametrize("service", SERVICES, ids=[s.name[:10] for s in SERVICES])
def test_installation_validates_against_the_crd(chi_schema, service):
    jsonschema.validate(chi(service), chi_schema)


def test_keeper_validates_against_the_crd(chk_schema):
    jsonschema.validate(chk(), chk_schema)


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda d: d["spec"].update(stopp="yes"), "unknown field the API server would prune"),
        (lambda d: d["spec"].update(stop=1), "a string field given an integer"),
        (lambda d: d["spec"].update(stop="halt"), "outside the enum"),
        (lambda d: d["spec"]["configuration"]["clusters"][0].update(name="a-very-long-cluster-name"), "pattern"),
        (lambda d: d["spec"]["templates"]["volumeClaimTemplates"][0].update(reclaimPolicy="Keep"), "enum"),
    ],
)
def test_the_crd_check_bites(chi_schema, change, why):
    doc = copy.deepcopy(chi(SERVICES[0]))
    change(doc)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, chi_schema)


def test_stopped_service_sets_stop_yes():
    assert chi(service("x", stopped=True))["spec"]["stop"] == "yes"
    assert chi(service("x"))["spec"]["stop"] == "no"


def _storage(service: ClickHouseServiceSpec) -> ET.Element:
    return ET.fromstring(chi(service)["spec"]["configuration"]["files"]["config.d/storage.xml"])


def test_mergetree_defaults_to_s3_in_the_data_bucket_with_environment_credentials():
    root = _storage(service("analytics", cacheSize="50Gi"))
    s3 = root.find("storage_configuration/disks/s3")
    assert s3.findtext("type") == "s3"
    assert s3.findtext("endpoint") == f"https://{BUCKET}.s3.us-west-2.amazonaws.com/analytics/"
    assert s3.findtext("use_environment_credentials") == "true"
    cache = root.find("storage_configuration/disks/s3_cache")
    assert cache.findtext("type") == "cache" and cache.findtext("disk") == "s3"
    assert int(cache.findtext("max_size")) == 50 * 2**30
    assert root.findtext("storage_configuration/policies/s3/volumes/main/disk") == "s3_cache"
    assert root.findtext("merge_tree/storage_policy") == "s3"


def test_no_static_keys_anywhere():
    text = str(chi(SERVICES[1]))
    for word in ("access_key_id", "secret_access_key", "AKIA"):
        assert word not in text


def test_servers_spread_over_zones_on_clickhouse_nodes_with_the_service_account():
    spec = chi(service("analytics", cpu="3", memory="12Gi"))["spec"]
    pod = spec["templates"]["podTemplates"][0]["spec"]
    assert pod["serviceAccountName"] == "clickhouse-x"
    assert pod["nodeSelector"] == conv.CLICKHOUSE_NODE_LABELS
    assert pod["tolerations"] == [conv.toleration(conv.CLICKHOUSE_TAINT)]
    (spread,) = pod["topologySpreadConstraints"]
    assert spread["topologyKey"] == "topology.kubernetes.io/zone"
    assert spread["labelSelector"]["matchLabels"] == {"clickhouse.altinity.com/chi": "analytics"}
    (anti,) = pod["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert anti["topologyKey"] == "kubernetes.io/hostname"
    (container,) = pod["containers"]
    assert container["resources"]["requests"] == {"cpu": "3", "memory": "12Gi"}
    assert container["image"] == f"clickhouse/clickhouse-server:{versions.CLICKHOUSE_VERSION}"


def test_layout_volume_and_cluster_service():
    spec = chi(SERVICES[1])["spec"]
    assert spec["configuration"]["clusters"][0]["layout"] == {"shardsCount": 4, "replicasCount": 3}
    (volume,) = spec["templates"]["volumeClaimTemplates"]
    assert volume["reclaimPolicy"] == "Retain"
    # 1Ti of cache plus headroom, in whole Gi.
    assert volume["spec"]["resources"]["requests"]["storage"] == "1044Gi"
    (svc,) = spec["templates"]["serviceTemplates"]
    assert svc["spec"]["type"] == "ClusterIP"
    assert {p["port"] for p in svc["spec"]["ports"]} == {8123, 9000, 9004}
    # The MySQL interface's configuration is its own file (tests/test_mysql_interface.py checks it).
    assert clickhouse_specs.MYSQL_CONFIG_FILE in spec["configuration"]["files"]
    assert clickhouse_specs.MYSQL_CONFIG_FILE not in chi(SERVICES[0])["spec"]["configuration"]["files"]
    assert 9004 not in {
        p["port"] for p in chi(SERVICES[0])["spec"]["templates"]["serviceTemplates"][0]["spec"]["ports"]
    }


def test_default_user_has_a_secret_password_and_in_vpc_networks_only():
    users = chi(SERVICES[0])["spec"]["configuration"]["users"]
    assert users["default/k8s_secret_password_sha256_hex"] == "clickhouse-analytics-credentials/password_sha256_hex"
    assert not any(k.endswith("/password") for k in users)
    nets = users["default/networks/ip"]
    assert "10.0.0.0/22" in nets and "100.64.0.0/16" in nets
    assert not {"::/0", "0.0.0.0/0"} & set(nets)
    # Peers reach the servers through the private gateway, whose pods are in our ranges.
    assert "10.20.0.0/16" not in nets
    without_pods = InternalRanges("10.0.0.0/22", None, ("10.20.0.0/16",))
    assert clickhouse_specs.client_networks(without_pods) == ["127.0.0.1/32", "::1/128", "10.0.0.0/22"]


def test_password_is_stored_as_sha256_hex():
    assert (
        clickhouse_specs.password_sha256("secret") == "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"
    )


def test_services_share_keeper_under_their_own_root():
    zk = chi(SERVICES[0])["spec"]["configuration"]["zookeeper"]
    assert zk["nodes"] == [{"host": "keeper-shared.clickhouse.svc.cluster.local", "port": 2181}]
    assert zk["root"] == "/clickhouse/analytics"


def test_keeper_three_replicas_one_per_zone_on_system_nodes_volumes_retained():
    spec = clickhouse_specs.keeper_spec()
    assert spec["configuration"]["clusters"][0]["layout"]["replicasCount"] == 3
    pod = spec["templates"]["podTemplates"][0]["spec"]
    assert pod["nodeSelector"] == conv.SYSTEM_NODE_LABELS
    assert pod["tolerations"] == [conv.toleration(conv.SYSTEM_TAINT)]
    assert pod["topologySpreadConstraints"][0]["whenUnsatisfiable"] == "DoNotSchedule"
    assert pod["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    (volume,) = spec["templates"]["volumeClaimTemplates"]
    assert volume["reclaimPolicy"] == "Retain"
    assert volume["spec"]["storageClassName"] == "gp3-encrypted"


def test_operator_values_validate_and_hold_no_credential():
    values = clickhouse_specs.operator_values()
    jsonschema.validate(values, load_json(ALTINITY / "values.schema.json"))
    # No chart-made Secret (its default password is public); the operator reads ours, named after
    # the pinned fullname, which is what the chart's config points the operator at.
    assert values["secret"] == {"create": False}
    assert values["fullnameOverride"] == clickhouse_specs.OPERATOR_SECRET
    assert "password" not in json.dumps(values)
    assert values["metrics"]["enabled"] is True
    chart_config = load_yaml(ALTINITY / "values.yaml")["configs"]["files"]["config.yaml"]
    assert (
        chart_config["clickhouse"]["access"]["secret"]["name"]
        == '{{ include "altinity-clickhouse-operator.fullname" . }}'
    )
    assert values["nodeSelector"] == conv.SYSTEM_NODE_LABELS
    assert values["crdHook"]["tolerations"] == [conv.toleration(conv.SYSTEM_TAINT)]


@pytest.mark.parametrize(
    ("text", "value"),
    [("2", 2), ("500m", 0.5), ("8Gi", 8 * 2**30), ("1.5G", 1.5e9), ("1e3", 1000), (".5", 0.5), ("100Ki", 102400)],
)
def test_quantities(text, value):
    assert float(quantity.parse(text)) == pytest.approx(value)


@pytest.mark.parametrize("text", ["", "-1", "8GB", "Gi", "1.2.3", "8 Gi", "0x10"])
def test_not_quantities(text):
    assert quantity.parse(text) is None


def test_service_role_policy_covers_exactly_the_disk_prefix():
    # The IAM layer's policy for the service's role must match where the S3 disk writes.
    from components import iam_policies

    prefix = clickhouse_specs.s3_endpoint(BUCKET, "us-west-2", "analytics").split(".amazonaws.com/")[1]
    assert prefix == "analytics/"
    doc = iam_policies.clickhouse_server_policy(f"arn:aws:s3:::{BUCKET}", "arn:aws:s3:::backup-bucket", "analytics")
    objects = next(s for s in doc["Statement"] if "s3:PutObject" in s["Action"])
    resources = objects["Resource"] if isinstance(objects["Resource"], list) else [objects["Resource"]]
    assert f"arn:aws:s3:::{BUCKET}/{prefix}*" in resources
    assert f"arn:aws:s3:::{BUCKET}/*" not in resources


def test_structural_schema_translation():
    from tests.references import structural_to_jsonschema

    schema = structural_to_jsonschema(
        {
            "type": "object",
            "properties": {
                "port": {"x-kubernetes-int-or-string": True},
                "name": {"type": "string", "nullable": True},
                "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                "closed": {"type": "object", "properties": {"a": {"type": "integer"}}},
            },
        }
    )
    jsonschema.validate({"port": 8443, "name": None, "free": {"any": 1}, "closed": {"a": 1}}, schema)
    jsonschema.validate({"port": "https"}, schema)
    for bad in ({"port": 1.5}, {"port": True}, {"name": 1}, {"closed": {"b": 1}}, {"other": 1}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)
