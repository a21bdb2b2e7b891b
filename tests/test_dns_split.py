"""The DNS split: public names only in the public zone, private names only in their private zones,
one target per hostname, no two gateways claiming one host.

`published` replays what the stack makes DNS publish: external-dns (as its vendored chart turns our
values into flags, and as its `istio-virtualservice` source reads VirtualServices and their
Gateways) for the public zone, and the private hosted zones' alias records.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import jsonschema
import pytest
import yaml

from components import ingress, platform
from tests.conftest import ROOT, run_offline

CHART = ROOT / "tests" / "upstream" / "charts" / "external-dns-1.21.1"
ZONE = "byoc.example.com"


def label_selector_matches(selector: str, labels: dict[str, str]) -> bool:
    """`key=value[,key=value]`: the form of Kubernetes label selector the values use."""
    return all(labels.get(k) == v for k, v in (term.split("=", 1) for term in selector.split(",")))


def published(resources: list[dict]) -> dict[str, set[tuple[str, str]]]:
    """hostname -> {(zone kind, target)} for every record the deployment makes DNS serve."""
    out: dict[str, set[tuple[str, str]]] = defaultdict(set)
    releases = {r["inputs"]["name"]: r["inputs"] for r in resources if r["type"] == "kubernetes:helm.sh/v3:Release"}
    values = releases["external-dns"]["values"]
    assert values["sources"] == ["istio-virtualservice"]
    zone_type = next(a.split("=", 1)[1] for a in values["extraArgs"] if a.startswith("--aws-zone-type="))
    gateways = {
        f"{r['inputs']['metadata']['namespace']}/{r['inputs']['metadata']['name']}": r["inputs"]["spec"]
        for r in resources
        if r["type"] == "kubernetes:networking.istio.io/v1:Gateway"
    }

    def load_balancer(selector: dict[str, str]) -> str:
        # The gateway Service whose pods the Gateway selects: its NLB, by name.
        release = next(v for v in releases.values() if v["values"].get("name") == f"istio-{selector['istio']}")
        return release["values"]["service"]["annotations"][f"{ingress.LB}-name"]

    for r in resources:
        if r["type"] != "kubernetes:networking.istio.io/v1:VirtualService":
            continue
        labels = r["inputs"]["metadata"].get("labels", {})
        if values.get("labelFilter") and not label_selector_matches(values["labelFilter"], labels):
            continue
        for gateway in r["inputs"]["spec"]["gateways"]:
            for host in r["inputs"]["spec"]["hosts"]:
                if host.endswith(values["domainFilters"][0]):
                    out[host].add((zone_type, load_balancer(gateways[gateway]["selector"])))
    zones = {r["urn"]: r for r in resources if r["type"] == "aws:route53/zone:Zone"}
    private_zone_ids = {}
    for r in zones.values():
        if r["inputs"].get("vpcs"):
            from tests.conftest import mock_id

            private_zone_ids[mock_id(r)] = r["inputs"]["name"]
    for r in resources:
        if r["type"] == "aws:route53/record:Record":
            zone_name = private_zone_ids.get(r["inputs"]["zoneId"])
            kind = "private" if zone_name else "public"
            target = r["inputs"]["aliases"][0]["name"].split("-private")[0] + "-private"
            out[r["inputs"]["name"]].add((kind, target))
    return out


def problems(records: dict[str, set[tuple[str, str]]]) -> list[str]:
    found = []
    for host, targets in sorted(records.items()):
        if len(targets) != 1:
            found.append(f"{host}: {len(targets)} targets {sorted(targets)}")
        if "*" in host:
            found.append(f"{host}: a wildcard record")
        is_private = host.split(".", 1)[0].endswith("-private")
        for kind, _ in targets:
            if is_private != (kind == "private"):
                found.append(f"{host}: in a {kind} zone")
    return found


def test_the_checker_catches_two_targets_a_wildcard_and_a_private_name_in_public():
    bad = {
        "*.z": {("public", "a")},
        "x.z": {("public", "a"), ("public", "b")},
        "x-private.z": {("public", "b")},
    }
    assert len(problems(bad)) == 3


@pytest.fixture(scope="module")
def two_services():
    services = [{"name": "analytics", "mysqlInterface": True}, {"name": "logs"}]
    return run_offline({"services": json.dumps(services)})


def test_every_hostname_has_one_target_and_private_names_stay_private(two_services):
    records = published(two_services.resources)
    assert problems(records) == []
    assert records == {
        f"analytics.{ZONE}": {("public", "ClickHouse-cloud-test-public")},
        f"logs.{ZONE}": {("public", "ClickHouse-cloud-test-public")},
        f"analytics-private.{ZONE}": {("private", "internal-ClickHouse-cloud-test-private")},
        f"logs-private.{ZONE}": {("private", "internal-ClickHouse-cloud-test-private")},
    }


def test_private_only_deployment_publishes_nothing_publicly():
    result = run_offline(
        {"services": json.dumps([{"name": "analytics"}]), "publicEndpoint": '{"enabled": false}', "ipAllowList": None}
    )
    records = published(result.resources)
    assert problems(records) == [] and set(records) == {f"analytics-private.{ZONE}"}


def test_no_two_gateways_claim_a_host_and_none_claims_the_zone(two_services):
    owners: dict[str, list[str]] = defaultdict(list)
    for r in two_services.by_type("kubernetes:networking.istio.io/v1:Gateway"):
        for server in r["inputs"]["spec"]["servers"]:
            for host in server["hosts"]:
                if r["name"] not in owners[host]:
                    owners[host].append(r["name"])
    assert all(len(o) == 1 for o in owners.values()), owners
    assert not [h for h in owners if "*" in h]


def test_private_zones_are_exactly_the_private_names_and_live_in_the_vpc(two_services):
    zones = [z for z in two_services.by_type("aws:route53/zone:Zone") if z["inputs"].get("vpcs")]
    assert sorted(z["inputs"]["name"] for z in zones) == [f"analytics-private.{ZONE}", f"logs-private.{ZONE}"]
    (vpc,) = two_services.by_type("aws:ec2/vpc:Vpc")
    from tests.conftest import mock_id

    assert all(z["inputs"]["vpcs"] == [{"vpcId": mock_id(vpc), "vpcRegion": "us-west-2"}] for z in zones)
    # The alias points at the NLB the load balancer controller created under the private name.
    records = two_services.by_type("aws:route53/record:Record")
    assert {r["inputs"]["aliases"][0]["zoneId"] for r in records} == {"Z18D5FSROUN65G"}


def test_external_dns_values_are_valid_for_the_pinned_chart_and_become_its_flags():
    values = platform.external_dns_values(ZONE, "Z0123456789ABCDEFGHIJ", "dev", "us-west-2", "arn:aws:iam::1:role/x")
    schema = json.loads((CHART / "values.schema.json").read_text())
    jsonschema.validate(values, schema)
    chart_values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert set(values) - {"env"} <= set(chart_values), set(values) - set(chart_values)
    template = Path(CHART / "templates" / "deployment.yaml").read_text()
    assert "--label-filter={{ .Values.labelFilter }}" in template
    assert values["labelFilter"] == f"{ingress.DNS_SCOPE_LABEL}=public"


def test_peered_vpc_of_another_account_gets_the_private_zones_through_its_role():
    peer = {
        "name": "apps",
        "cidr": "10.20.0.0/16",
        "vpcId": "vpc-0123456789abcdef0",
        "accountId": "210987654321",
        "accepterRoleArn": "arn:aws:iam::210987654321:role/byoc-peering",
        "peerRouteTableIds": ["rtb-0aaaaaaaaaaaaaaaa"],
        "privateDns": True,
    }
    result = run_offline({"services": json.dumps([{"name": "analytics"}]), "peerings": json.dumps([peer])})
    (auth,) = result.by_type("aws:route53/vpcAssociationAuthorization:VpcAssociationAuthorization")
    (assoc,) = result.by_type("aws:route53/zoneAssociation:ZoneAssociation")
    assert auth["inputs"]["vpcId"] == assoc["inputs"]["vpcId"] == "vpc-0123456789abcdef0"
    assert auth["urn"] in assoc["dependencies"]
    provider = next(r for r in result.resources if r["name"].endswith("apps-accepter-provider"))
    assert assoc["provider"].startswith(provider["urn"]) and not auth["provider"].startswith(provider["urn"])


def test_private_dns_for_another_account_without_a_role_is_refused():
    from components.settings import ConfigError, parse
    from tests.conftest import raw_config

    peer = {"name": "apps", "cidr": "10.20.0.0/16", "vpcId": "vpc-0123456789abcdef0", "accountId": "210987654321"}
    with pytest.raises(ConfigError) as err:
        parse(raw_config({"peerings": json.dumps([{**peer, "privateDns": True}])}), "dev")
    (line,) = err.value.problems
    assert line.startswith("clickhouse-byoc:peerings[0].privateDns: true: needs accepterRoleArn")
