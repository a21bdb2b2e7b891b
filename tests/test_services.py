"""The services layer (ByocServices: ingress, operator, data-plane RBAC, ClickHouse services) under the mocks."""

from __future__ import annotations

import json

import pulumi
import pulumi_kubernetes as k8s
import pytest

from components import clickhouse_specs, ingress, versions
from components import settings as settings_module
from components.readiness import ClusterReadiness
from components.services import ByocServices, ByocServicesArgs
from tests.conftest import run_offline

RELEASE = "kubernetes:helm.sh/v3:Release"
CHI = "kubernetes:clickhouse.altinity.com/v1:ClickHouseInstallation"
CHK = "kubernetes:clickhouse-keeper.altinity.com/v1:ClickHouseKeeperInstallation"
VS = "kubernetes:networking.istio.io/v1:VirtualService"
GW = "kubernetes:networking.istio.io/v1:Gateway"
CERT = "kubernetes:cert-manager.io/v1:Certificate"
SA = "kubernetes:core/v1:ServiceAccount"
SECRET = "kubernetes:core/v1:Secret"
ZONE = "byoc.example.com"
CAPABILITIES = ("system-nodes", "load-balancing", "certificates", "storage")


def role(service: str) -> str:
    return f"arn:aws:iam::123456789012:role/ClickHouse-cloud-prod-clickhouse-{service}"


def synth(values: dict[str, str]):
    """Runs the services layer as `__main__.py` wires it; returns the recorded resources and the component."""
    built: list[ByocServices] = []

    def program():
        settings = settings_module.load()
        ch = settings.clickhouse
        provider = k8s.Provider("k8s", kubeconfig="{}")
        # One stand-in per capability of the cluster (node groups, load balancer controller, ...).
        stand_ins = {
            c: k8s.core.v1.Namespace(c, metadata={"name": c}, opts=pulumi.ResourceOptions(provider=provider))
            for c in CAPABILITIES
        }
        stack = ByocServices(
            settings.names.aws("services"),
            ByocServicesArgs(
                names=settings.names,
                region=settings.region,
                zone_name=settings.dns.zone_name,
                ranges=settings.network.ranges,
                spec=ch,
                service_role_arns={s.name: role(s.name) for s in ch.services},
                data_bucket=settings.names.bucket("data"),
                ready=ClusterReadiness(
                    system_nodes=(stand_ins["system-nodes"],),
                    load_balancing=(stand_ins["load-balancing"],),
                    certificates=(stand_ins["certificates"],),
                    storage=(stand_ins["storage"],),
                ),
            ),
            opts=pulumi.ResourceOptions(providers=[provider]),
        )
        pulumi.export("services", stack.outputs)
        built.append(stack)

    result = run_offline(values, program=program, stack="prod")
    return result, built[0]


SERVICES = [{"name": "analytics", "replicas": 3}, {"name": "logs", "mysqlInterface": True, "stopped": True}]


@pytest.fixture(scope="module")
def full():
    return synth({"services": json.dumps(SERVICES), "ipAllowList": '["203.0.113.0/24"]', "podCidr": "100.64.0.0/16"})


@pytest.fixture(scope="module")
def private_only():
    return synth({"services": json.dumps(SERVICES[:1]), "publicEndpoint": '{"enabled": false}'})


def by_name(result, typ):
    return {r["name"]: r for r in result.by_type(typ)}


def test_every_kubernetes_object_goes_through_the_given_provider(full):
    result, _ = full
    (provider,) = result.by_type("pulumi:providers:kubernetes")
    objects = [r for r in result.resources if r["type"].startswith("kubernetes:")]
    assert len(objects) > 20
    assert {r["provider"] for r in objects} == {provider["urn"]}


def waited_capabilities(result, record) -> set[str]:
    """The cluster capabilities an object waits for directly (its own or an ancestor's dependencies)."""
    urns = {result.one("kubernetes:core/v1:Namespace", c)["urn"]: c for c in CAPABILITIES}
    by_urn = {r["urn"]: r for r in result.resources}
    waits, current = set(), record
    while current is not None:
        waits |= {urns[d] for d in current["dependencies"] if d in urns}
        current = by_urn.get(current.get("parent"))
    return waits


def test_each_object_waits_for_exactly_the_capabilities_it_needs(full):
    result, _ = full
    kinds = {
        "Namespace": set(),
        "ServiceAccount": set(),
        "Secret": set(),
        "ClusterRole": set(),
        "RoleBinding": set(),
        "VirtualService": set(),
        "Gateway": set(),
        "Certificate": {"certificates"},
        "ClickHouseKeeperInstallation": {"storage"},
        "ClickHouseInstallation": {"storage"},
    }
    releases = {
        "istio-base": set(),
        "istiod": {"system-nodes"},
        "istio-ingress": {"load-balancing"},
        "istio-ingress-private": {"load-balancing"},
        "clickhouse-operator": {"system-nodes"},
    }
    objects = [r for r in result.resources if r["type"].startswith("kubernetes:") and r["name"] not in CAPABILITIES]
    assert len(objects) > 20
    for r in objects:
        kind = r["type"].rsplit(":", 1)[1]
        expected = releases[r["inputs"]["name"]] if kind == "Release" else kinds[kind]
        assert waited_capabilities(result, r) == expected, r["name"]


def test_helm_releases_are_pinned(full):
    result, _ = full
    releases = {r["inputs"]["name"]: r["inputs"] for r in result.by_type(RELEASE)}
    assert set(releases) == {"istio-base", "istiod", "istio-ingress", "istio-ingress-private", "clickhouse-operator"}
    for name in ("istio-base", "istiod", "istio-ingress", "istio-ingress-private"):
        assert releases[name]["version"] == versions.ISTIO_VERSION == "1.30.3"
        assert releases[name]["repositoryOpts"] == {"repo": "https://istio-release.storage.googleapis.com/charts"}
        assert releases[name]["atomic"] is True
    assert [releases[n]["chart"] for n in ("istio-base", "istiod", "istio-ingress")] == ["base", "istiod", "gateway"]
    op = releases["clickhouse-operator"]
    assert (op["chart"], op["version"]) == ("altinity-clickhouse-operator", "0.25.6")
    assert op["repositoryOpts"] == {"repo": "https://helm.altinity.com"}
    assert op["namespace"] == clickhouse_specs.OPERATOR_NAMESPACE


def test_operator_password_is_generated_and_secret(full):
    result, _ = full
    (op,) = [r for r in result.by_type(RELEASE) if r["inputs"]["name"] == "clickhouse-operator"]
    assert op["inputs"]["values"]["secret"] == {"create": False}
    (creds,) = [r for r in result.by_type(SECRET) if r["inputs"]["metadata"]["name"] == "clickhouse-operator"]
    assert creds["inputs"]["metadata"]["namespace"] == "clickhouse-operator"
    assert creds["inputs"]["stringData"] == "[secret]"
    assert any("RandomPassword::ClickHouse-cloud-prod-clickhouse-operator-password" in d for d in creds["dependencies"])
    assert creds["urn"] in op["dependencies"]


def test_releases_install_in_order(full):
    result, _ = full
    rel = by_name(result, RELEASE)
    assert (
        rel["ClickHouse-cloud-prod-ingress-base"]["urn"] in rel["ClickHouse-cloud-prod-ingress-istiod"]["dependencies"]
    )
    for gw in ("public", "private"):
        deps = rel[f"ClickHouse-cloud-prod-ingress-gateway-{gw}"]["dependencies"]
        assert rel["ClickHouse-cloud-prod-ingress-istiod"]["urn"] in deps


def test_public_gateway_filters_by_the_allow_list_private_by_the_vpc(full):
    result, _ = full
    rel = by_name(result, RELEASE)
    public = rel["ClickHouse-cloud-prod-ingress-gateway-public"]["inputs"]
    private = rel["ClickHouse-cloud-prod-ingress-gateway-private"]["inputs"]
    assert public["namespace"] == "istio-ingress" and private["namespace"] == "istio-ingress-private"
    assert public["values"]["service"]["loadBalancerSourceRanges"] == ["203.0.113.0/24"]
    assert private["values"]["service"]["loadBalancerSourceRanges"] == ["10.0.0.0/22", "100.64.0.0/16"]
    lb = "service.beta.kubernetes.io/aws-load-balancer"
    assert public["values"]["service"]["annotations"][f"{lb}-scheme"] == "internet-facing"
    assert private["values"]["service"]["annotations"][f"{lb}-scheme"] == "internal"
    # One service asked for MySQL: both gateways open its port (derived from its name: 13706).
    for gateway in (public, private):
        assert [p["port"] for p in gateway["values"]["service"]["ports"]] == [15021, 8443, 9440, 13706]


def test_certificates_and_gateways_per_gateway_namespace(full):
    result, _ = full
    certs = {r["inputs"]["metadata"]["namespace"]: r["inputs"]["spec"] for r in result.by_type(CERT)}
    # The gateways' wildcard, and the MySQL service's own certificate beside its servers.
    assert set(certs) == {"istio-ingress", "istio-ingress-private", "clickhouse"}
    gateway_certs = [certs["istio-ingress"], certs["istio-ingress-private"]]
    assert all(c["dnsNames"] == [f"*.{ZONE}"] for c in gateway_certs)
    assert certs["clickhouse"]["dnsNames"] == [f"logs.{ZONE}", f"logs-private.{ZONE}"]
    assert all(c["issuerRef"]["name"] == "letsencrypt-production" for c in certs.values())
    gateways = {r["inputs"]["metadata"]["namespace"]: r["inputs"]["spec"] for r in result.by_type(GW)}
    ports = sorted({s["port"]["number"] for s in gateways["istio-ingress"]["servers"]})
    assert ports == [8443, 9440, 13706]
    tls = [s for g in gateways.values() for s in g["servers"] if s["port"]["number"] != 13706]
    assert all(s["tls"]["credentialName"] == ingress.TLS_SECRET for s in tls)
    assert not [s for g in gateways.values() for s in g["servers"] if s["port"]["number"] == 13706 and "tls" in s]


def test_service_account_carries_the_irsa_role(full):
    result, _ = full
    accounts = {r["inputs"]["metadata"]["name"]: r["inputs"]["metadata"] for r in result.by_type(SA)}
    assert accounts["clickhouse-analytics"]["namespace"] == "clickhouse"
    assert accounts["clickhouse-analytics"]["annotations"] == {"eks.amazonaws.com/role-arn": role("analytics")}
    assert accounts["clickhouse-logs"]["annotations"] == {"eks.amazonaws.com/role-arn": role("logs")}


def test_installations_from_the_settings(full):
    result, _ = full
    chis = {r["inputs"]["metadata"]["name"]: r for r in result.by_type(CHI)}
    assert set(chis) == {"analytics", "logs"}
    analytics, logs = chis["analytics"]["inputs"], chis["logs"]["inputs"]
    assert analytics["metadata"]["namespace"] == "clickhouse"
    assert analytics["spec"]["stop"] == "no" and logs["spec"]["stop"] == "yes"
    assert analytics["spec"]["configuration"]["clusters"][0]["layout"]["replicasCount"] == 3
    storage = analytics["spec"]["configuration"]["files"]["config.d/storage.xml"]
    assert "https://clickhouse-cloud-prod-data-123456789012.s3.us-west-2.amazonaws.com/analytics/" in storage
    assert analytics["spec"]["configuration"]["users"]["default/networks/ip"][2:] == ["10.0.0.0/22", "100.64.0.0/16"]
    # The installation waits for (and on removal goes before) the operator, the namespace, its account.
    deps = " ".join(chis["analytics"]["dependencies"])
    for needed in (
        "Release::ClickHouse-cloud-prod-clickhouse-operator",
        "Namespace::ClickHouse-cloud-prod-clickhouse-ns-clickhouse",
        "ServiceAccount::ClickHouse-cloud-prod-ch-analytics-sa",
    ):
        assert needed in deps


def test_password_hash_lives_in_a_secret_not_in_the_installation(full):
    result, _ = full
    secrets = {r["inputs"]["metadata"]["name"]: r for r in result.by_type(SECRET)}
    creds = secrets["clickhouse-analytics-credentials"]
    assert creds["inputs"]["metadata"]["namespace"] == "clickhouse"
    assert creds["inputs"]["stringData"] == "[secret]"
    assert any("RandomPassword::ClickHouse-cloud-prod-ch-analytics-password" in d for d in creds["dependencies"])
    (chi,) = [r for r in result.by_type(CHI) if r["inputs"]["metadata"]["name"] == "analytics"]
    assert "[secret]" not in json.dumps(chi["inputs"])


def test_keeper_is_shared(full):
    result, _ = full
    (keeper,) = result.by_type(CHK)
    metadata = keeper["inputs"]["metadata"]
    assert (metadata["name"], metadata["namespace"]) == ("shared", "clickhouse")
    assert set(metadata) == {"name", "namespace", "annotations"}  # the await annotations (test_awaits.py)


def test_routes_per_service_and_gateway(full):
    result, _ = full
    routes = {r["inputs"]["metadata"]["name"]: r["inputs"]["spec"] for r in result.by_type(VS)}
    assert set(routes) == {"analytics-public", "analytics-private", "logs-public", "logs-private"}
    assert routes["analytics-public"]["hosts"] == [f"analytics.{ZONE}"]
    assert routes["analytics-public"]["gateways"] == ["istio-ingress/clickhouse"]
    assert routes["analytics-private"]["hosts"] == [f"analytics-private.{ZONE}"]
    assert routes["analytics-private"]["gateways"] == ["istio-ingress-private/clickhouse"]
    assert [t["match"][0]["port"] for t in routes["logs-public"]["tcp"]] == [9440, 13706]


def test_outputs_per_service(full):
    _, stack = full
    out = stack.outputs
    assert out["analytics"]["public_host"] == f"analytics.{ZONE}"
    assert out["analytics"]["private_host"] == f"analytics-private.{ZONE}"
    assert out["analytics"]["ports"] == {"https": 8443, "native": 9440}
    assert out["logs"]["ports"] == {"https": 8443, "native": 9440, "mysql": 13706}
    assert out["logs"]["mysql"] == {"public": f"logs.{ZONE}:13706", "private": f"logs-private.{ZONE}:13706"}
    assert "mysql" not in out["analytics"]
    assert out["analytics"]["user"] == "default"
    assert isinstance(out["analytics"]["password"], pulumi.Output)


def test_kubernetes_names_are_lowercase(full):
    result, _ = full
    for r in result.resources:
        if r["type"].startswith("kubernetes:") and r["type"] != RELEASE:
            name = r["inputs"]["metadata"]["name"]
            assert name == name.lower(), r["urn"]


def test_public_endpoint_off_creates_no_public_gateway(private_only):
    result, stack = private_only
    releases = {r["inputs"]["name"] for r in result.by_type(RELEASE)}
    assert "istio-ingress" not in releases and "istio-ingress-private" in releases
    namespaces = {r["inputs"]["metadata"]["name"] for r in result.by_type("kubernetes:core/v1:Namespace")}
    assert "istio-ingress" not in namespaces
    assert {r["inputs"]["metadata"]["namespace"] for r in result.by_type(GW)} == {"istio-ingress-private"}
    assert {r["inputs"]["metadata"]["name"] for r in result.by_type(VS)} == {"analytics-private"}
    assert stack.outputs["analytics"]["public_host"] is None


def test_any_source_opt_out_marks_the_public_service():
    result, _ = synth(
        {"services": json.dumps(SERVICES[:1]), "publicEndpoint": '{"allowAnySource": true}', "ipAllowList": None}
    )
    (public,) = [r for r in result.by_type(RELEASE) if r["inputs"]["name"] == "istio-ingress"]
    svc = public["inputs"]["values"]["service"]
    assert svc["loadBalancerSourceRanges"] == []
    assert svc["annotations"][ingress.ALLOW_ANY_SOURCE_ANNOTATION] == "true"


def test_peered_vpcs_reach_the_private_gateway_but_do_not_log_in_directly():
    peer = [{"name": "apps", "cidr": "10.20.0.0/16", "vpcId": "vpc-0123456789abcdef0"}]
    result, _ = synth({"services": json.dumps(SERVICES[:1]), "peerings": json.dumps(peer)})
    (private,) = [r for r in result.by_type(RELEASE) if r["inputs"]["name"] == "istio-ingress-private"]
    assert private["inputs"]["values"]["service"]["loadBalancerSourceRanges"] == ["10.0.0.0/22", "10.20.0.0/16"]
    (chi,) = result.by_type(CHI)
    assert chi["inputs"]["spec"]["configuration"]["users"]["default/networks/ip"] == [
        "127.0.0.1/32",
        "::1/128",
        "10.0.0.0/22",
    ]


def test_every_layer_of_the_services_is_a_child_that_keeps_its_root_address(full):
    result, _ = full
    (services,) = result.by_type("clickhouse-byoc:services:ByocServices")
    children = [r for r in result.resources if r["parent"] == services["urn"]]
    assert sorted(r["type"].rsplit(":", 1)[1] for r in children) == [
        "ClickHouseOperator",
        "ClickHouseService",
        "ClickHouseService",
        "DataPlaneAccess",
        "IstioIngress",
    ]
    root = services["parent"]
    for child in children:
        assert child["aliases"] == [f"{root.rsplit('::', 1)[0]}${child['type']}::{child['name']}"]


def test_removing_a_service_can_only_delete_kubernetes_objects(full):
    # The S3 data is nobody's resource here: removing a service from the config deletes its
    # installation (not retained), and nothing that could touch the bucket or its objects.
    result, _ = full
    assert not [r for r in result.resources if r["type"].startswith("aws:")]
    chis = result.by_type(CHI)
    assert chis and not any(r["retainOnDelete"] or r["protect"] for r in chis)
    for chi in chis:
        spec = chi["inputs"]["spec"]
        assert spec["defaults"]["storageManagement"]["reclaimPolicy"] == "Retain"
        assert {v["reclaimPolicy"] for v in spec["templates"]["volumeClaimTemplates"]} == {"Retain"}
