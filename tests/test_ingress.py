"""Istio values, Gateway, Certificate and VirtualService builders, checked against the upstream charts."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest

from components import ingress
from components import k8s_conventions as conv
from components.naming import Names
from tests.references import ISTIO_BASE, ISTIO_GATEWAY, ISTIOD, load_json, load_yaml

NAMES = Names("acme-prod", "123456789012")
ALLOW = ("203.0.113.0/24", "198.51.100.7/32")
LB = "service.beta.kubernetes.io/aws-load-balancer"
MYSQL = (("analytics", 13337), ("logs", 3306))


def public(**kw):
    return ingress.gateway_values(ingress.PUBLIC, NAMES, kw.pop("ranges", ALLOW), **kw)


def private(**kw):
    return ingress.gateway_values(ingress.PRIVATE, NAMES, ("10.0.0.0/22", "100.64.0.0/16"), **kw)


@pytest.fixture(scope="module")
def gateway_schema():
    return load_json(ISTIO_GATEWAY / "values.schema.json")


@pytest.mark.parametrize(
    "values",
    [
        public(),
        public(mysql_ports=MYSQL),
        public(ranges=(), allow_any_source=True),
        private(),
        private(mysql_ports=MYSQL),
    ],
    ids=["public", "public-mysql", "public-any-source", "private", "private-mysql"],
)
def test_gateway_values_validate_against_the_chart_schema(gateway_schema, values):
    jsonschema.validate(values, gateway_schema)


def test_the_schema_check_rejects_an_unknown_key(gateway_schema):
    # The chart's top level is additionalProperties: false; a misspelt key fails the install.
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**public(), "serviceAnnotations": {}}, gateway_schema)


def test_public_gateway_is_an_internet_facing_ip_target_nlb_filtered_by_the_allow_list():
    svc = public()["service"]
    ann = svc["annotations"]
    assert svc["type"] == "LoadBalancer"
    assert ann[f"{LB}-type"] == "external"
    assert ann[f"{LB}-nlb-target-type"] == "ip"
    assert ann[f"{LB}-scheme"] == "internet-facing"
    assert ann[f"{LB}-attributes"] == "load_balancing.cross_zone.enabled=true"
    assert ann[f"{LB}-name"] == NAMES.load_balancer("public")
    assert len(ann[f"{LB}-name"]) <= 32
    assert svc["loadBalancerSourceRanges"] == list(ALLOW)
    assert ingress.ALLOW_ANY_SOURCE_ANNOTATION not in ann


def test_private_gateway_is_internal_and_open_to_the_vpc_only():
    svc = private()["service"]
    assert svc["annotations"][f"{LB}-scheme"] == "internal"
    assert svc["annotations"][f"{LB}-name"] == NAMES.load_balancer("private")
    assert len(svc["annotations"][f"{LB}-name"]) <= 32
    assert svc["loadBalancerSourceRanges"] == ["10.0.0.0/22", "100.64.0.0/16"]


def test_unfiltered_public_gateway_needs_the_explicit_opt_out_and_says_so():
    with pytest.raises(ValueError, match="allow_any_source"):
        public(ranges=())
    svc = public(ranges=(), allow_any_source=True)["service"]
    assert svc["loadBalancerSourceRanges"] == []
    assert svc["annotations"][ingress.ALLOW_ANY_SOURCE_ANNOTATION] == "true"


def test_gateway_ports_add_a_port_per_mysql_service_only_when_asked():
    ports = {p["name"]: p["port"] for p in public()["service"]["ports"]}
    assert ports == {"status-port": 15021, "https": 8443, "tls-native": 9440}
    for values in (public(mysql_ports=MYSQL), private(mysql_ports=MYSQL)):
        ports = {p["name"]: (p["port"], p["targetPort"], p["protocol"]) for p in values["service"]["ports"]}
        assert ports["tcp-mysql-analytics"] == (13337, 13337, "TCP")
        assert ports["tcp-mysql-logs"] == (3306, 3306, "TCP")
        assert len(ports) == 5
    assert ingress.private_endpoint_ports(MYSQL) == (8443, 9440, 13337, 3306)
    # The NLB health check is the gateway's readiness endpoint.
    assert public()["service"]["annotations"][f"{LB}-healthcheck-port"] == "15021"


def test_gateways_run_highly_available_on_the_system_nodes():
    values = public()
    assert values["name"] == "istio-ingress"
    assert values["autoscaling"]["minReplicas"] >= 3
    assert values["podDisruptionBudget"] == {"maxUnavailable": 1}
    assert values["nodeSelector"] == conv.SYSTEM_NODE_LABELS
    assert values["tolerations"] == [conv.toleration(conv.SYSTEM_TAINT)]
    assert values["topologySpreadConstraints"][0]["topologyKey"] == "topology.kubernetes.io/zone"
    assert values["topologySpreadConstraints"][0]["labelSelector"]["matchLabels"] == {"istio": "ingress"}
    assert private()["topologySpreadConstraints"][0]["labelSelector"]["matchLabels"] == {"istio": "ingress-private"}


def _chart_defaults(chart: Path) -> dict:
    return load_yaml(chart / "values.yaml")["_internal_defaults_do_not_set"]


def test_istiod_values_are_ha_with_a_pdb_and_use_real_chart_keys():
    values = ingress.istiod_values()
    assert values["replicaCount"] >= 2 and values["autoscaleMin"] >= 2
    assert values["autoscaleMax"] >= values["autoscaleMin"]
    assert values["pdb"]["minAvailable"] >= 1
    assert values["global"]["defaultPodDisruptionBudget"] == {"enabled": True}
    assert values["nodeSelector"] == conv.SYSTEM_NODE_LABELS
    assert values["tolerations"] == [conv.toleration(conv.SYSTEM_TAINT)]
    defaults = _chart_defaults(ISTIOD)
    unknown = set(values) - set(defaults)
    assert not unknown, f"not istiod chart values: {unknown}"
    assert set(values["global"]) <= set(defaults["global"])
    assert set(values["pdb"]) <= set(defaults["pdb"])


def test_base_values_use_real_chart_keys():
    values = ingress.base_values()
    defaults = _chart_defaults(ISTIO_BASE)
    assert set(values) <= set(defaults)
    assert set(values["global"]) <= set(defaults["global"])


def test_certificate_is_the_zone_wildcard_from_the_production_issuer():
    spec = ingress.certificate_spec("byoc.example.com")
    assert spec["dnsNames"] == ["*.byoc.example.com"]
    assert spec["issuerRef"] == {"name": conv.ISSUER_PRODUCTION, "kind": "ClusterIssuer", "group": "cert-manager.io"}
    assert spec["secretName"] == ingress.TLS_SECRET


def test_gateway_terminates_tls_with_the_certificate_and_routes_tcp_by_sni():
    spec = ingress.gateway_spec(ingress.PUBLIC, "byoc.example.com", ["analytics", "logs"], [("logs", 3306)])
    assert spec["selector"] == {"istio": "ingress"}
    for server in spec["servers"]:
        if server["port"]["protocol"] == "TCP":
            continue
        assert server["tls"]["mode"] == "SIMPLE"
        assert server["tls"]["credentialName"] == ingress.TLS_SECRET
    by_port = {}
    for server in spec["servers"]:
        by_port.setdefault(server["port"]["number"], []).append(server["hosts"])
    # Its own hosts only, never the zone's wildcard the other gateway would also match.
    assert by_port[8443] == [["analytics.byoc.example.com", "logs.byoc.example.com"]]
    assert by_port[9440] == [["analytics.byoc.example.com"], ["logs.byoc.example.com"]]
    # MySQL: the service's own port, passed through as TCP (no TLS at the gateway: no SNI to route by).
    (mysql,) = [s for s in spec["servers"] if s["port"]["number"] == 3306]
    assert mysql == {
        "port": {"number": 3306, "name": "tcp-mysql-logs", "protocol": "TCP"},
        "hosts": ["logs.byoc.example.com"],
    }
    names = [s["port"]["name"] for s in spec["servers"]]
    assert len(names) == len(set(names))


def test_private_gateway_serves_the_private_hostnames():
    spec = ingress.gateway_spec(ingress.PRIVATE, "byoc.example.com", ["analytics"], [])
    with_mysql = ingress.gateway_spec(ingress.PRIVATE, "byoc.example.com", ["analytics"], [("analytics", 13337)])
    (mysql,) = [s for s in with_mysql["servers"] if s["port"]["protocol"] == "TCP"]
    assert mysql["hosts"] == ["analytics-private.byoc.example.com"] and mysql["port"]["number"] == 13337
    assert spec["selector"] == {"istio": "ingress-private"}
    hosts = [h for s in spec["servers"] if s["port"]["number"] == 9440 for h in s["hosts"]]
    assert hosts == ["analytics-private.byoc.example.com"]
    https = [h for s in spec["servers"] if s["port"]["number"] == 8443 for h in s["hosts"]]
    assert https == ["analytics-private.byoc.example.com"]
    assert not [s for s in spec["servers"] if s["port"]["number"] == 3306]


def test_virtual_service_routes_https_and_native_tls_to_the_clickhouse_ports():
    backend = "clickhouse-analytics.clickhouse.svc.cluster.local"
    vs = ingress.virtual_service_spec("analytics.byoc.example.com", "istio-ingress/clickhouse", backend, None)
    assert vs["hosts"] == ["analytics.byoc.example.com"]
    assert vs["gateways"] == ["istio-ingress/clickhouse"]
    assert vs["http"] == [
        {"match": [{"port": 8443}], "route": [{"destination": {"host": backend, "port": {"number": 8123}}}]}
    ]
    assert vs["tcp"] == [
        {"match": [{"port": 9440}], "route": [{"destination": {"host": backend, "port": {"number": 9000}}}]}
    ]
    with_mysql = ingress.virtual_service_spec("h", "g", backend, 13337)
    assert with_mysql["tcp"][1]["match"] == [{"port": 13337}]
    assert with_mysql["tcp"][1]["route"][0]["destination"]["port"] == {"number": 9004}
