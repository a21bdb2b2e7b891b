"""Settings validation: every rejection names the key, the value and the fix; all problems at once."""

from __future__ import annotations

import json

import pytest

from components import settings
from components.settings import ConfigError, parse
from tests.conftest import raw_config


def problems_for(values: dict[str, str], stack: str = "dev", base: bool = True, secret=frozenset()) -> list[str]:
    with pytest.raises(ConfigError) as err:
        parse(raw_config(values, base=base), stack, secret)
    return err.value.problems


def test_defaults_applied():
    s = parse(raw_config(), "dev")
    assert s.region == "us-west-2"
    assert s.account_id == "123456789012"
    assert s.deployment_id == "dev"
    assert s.vpc_cidr == "10.0.0.0/22"
    assert s.pod_cidr is None
    assert s.nat_gateways == "one-per-az"
    assert s.availability_zones is None
    assert s.peerings == ()
    assert s.warnings == ()
    assert s.dns.zone_name == "byoc.example.com" and s.dns.hosted_zone_id == "Z0123456789ABCDEFGHIJ"
    assert s.dns.create_zone is False
    assert s.default_tags == {"clickhouse-byoc": "true", "clickhouse-byoc/deployment": "dev", "managed-by": "pulumi"}


def test_full_valid_config():
    s = parse(
        raw_config(
            {
                "deploymentId": "acme-prod",
                "availabilityZones": json.dumps(["us-west-2a", "us-west-2b", "us-west-2d"]),
                "vpcCidr": "10.20.0.0/16",
                "podCidr": "100.64.0.0/16",
                "natGateways": "single",
                "peerings": json.dumps(
                    [
                        {
                            "name": "apps",
                            "cidr": "10.30.0.0/16",
                            "vpcId": "vpc-0a1b2c3d4e5f67890",
                            "accountId": "210987654321",
                        }
                    ]
                ),
                "tags": json.dumps({"team": "data", "env": "prod"}),
                "dns": json.dumps({"zoneName": "Byoc.Acme.io.", "createZone": "true"}),
            }
        ),
        "prod",
    )
    assert s.deployment_id == "acme-prod"
    assert s.availability_zones == ("us-west-2a", "us-west-2b", "us-west-2d")
    assert s.pod_cidr == "100.64.0.0/16"
    assert s.nat_gateways == "single"
    assert s.peerings[0].name == "apps" and s.peerings[0].account_id == "210987654321"
    assert s.default_tags["team"] == "data" and s.default_tags["clickhouse-byoc"] == "true"
    assert s.dns.zone_name == "byoc.acme.io" and s.dns.create_zone


# (config, key named in the problem, words of the problem)
BAD = [
    ({"aws:region": None}, "aws:region", "required"),
    ({"aws:region": "Oregon"}, "aws:region", "not an AWS region"),
    ({"accountId": None}, "clickhouse-byoc:accountId", "required"),
    ({"accountId": "12345"}, "clickhouse-byoc:accountId", "12-digit"),
    ({"deploymentId": "Prod"}, "clickhouse-byoc:deploymentId", "lowercase"),
    ({"deploymentId": "ab"}, "clickhouse-byoc:deploymentId", "3-20"),
    ({"deploymentId": "a" * 21}, "clickhouse-byoc:deploymentId", "3-20"),
    ({"deploymentId": "-abc"}, "clickhouse-byoc:deploymentId", "starting and ending"),
    ({"availabilityZones": '["us-west-2a","us-west-2b"]'}, "clickhouse-byoc:availabilityZones", "exactly 3"),
    (
        {"availabilityZones": '["us-west-2a","us-west-2a","us-west-2b"]'},
        "clickhouse-byoc:availabilityZones",
        "distinct",
    ),
    (
        {"availabilityZones": '["us-east-1a","us-west-2a","us-west-2b"]'},
        "clickhouse-byoc:availabilityZones",
        "not a zone of us-west-2",
    ),
    ({"availabilityZones": "us-west-2a"}, "clickhouse-byoc:availabilityZones", "not a list"),
    ({"vpcCidr": "10.0.0.0/25"}, "clickhouse-byoc:vpcCidr", "smaller than /23"),
    ({"vpcCidr": "10.0.0.0/12"}, "clickhouse-byoc:vpcCidr", "larger than /16"),
    ({"vpcCidr": "8.8.0.0/16"}, "clickhouse-byoc:vpcCidr", "RFC 1918"),
    ({"vpcCidr": "10.0.0.1/22"}, "clickhouse-byoc:vpcCidr", "host bits"),
    ({"vpcCidr": "ten"}, "clickhouse-byoc:vpcCidr", "not an IPv4 CIDR"),
    ({"podCidr": "10.1.0.0/16"}, "clickhouse-byoc:podCidr", "100.64.0.0/10"),
    ({"podCidr": "100.64.0.0/22"}, "clickhouse-byoc:podCidr", "/16-/20"),
    ({"natGateways": "two"}, "clickhouse-byoc:natGateways", "one-per-az"),
    ({"tags": "team=data"}, "clickhouse-byoc:tags", "not a map"),
    ({"tags": '{"aws:owner": "x"}'}, "clickhouse-byoc:tags.aws:owner", "reserved"),
    ({"tags": '{"clickhouse-byoc": "false"}'}, "clickhouse-byoc:tags.clickhouse-byoc", "mandatory"),
    ({"tags": '{"team": ["a"]}'}, "clickhouse-byoc:tags.team", "strings"),
    ({"peerings": '{"name": "x"}'}, "clickhouse-byoc:peerings", "not a list"),
    ({"peerings": '[{"name": "a", "cidr": "10.0.1.0/24"}]'}, "clickhouse-byoc:peerings[0].cidr", "overlaps vpcCidr"),
    (
        {"podCidr": "100.64.0.0/16", "peerings": '[{"name": "a", "cidr": "100.64.0.0/20"}]'},
        "clickhouse-byoc:peerings[0].cidr",
        "overlaps podCidr",
    ),
    (
        {"peerings": '[{"name": "a", "cidr": "10.1.0.0/16"}, {"name": "b", "cidr": "10.1.128.0/17"}]'},
        "clickhouse-byoc:peerings[1].cidr",
        "overlaps peerings[0]",
    ),
    (
        {"peerings": '[{"name": "a", "cidr": "10.1.0.0/16"}, {"name": "a", "cidr": "10.2.0.0/16"}]'},
        "clickhouse-byoc:peerings[1].name",
        "duplicate",
    ),
    ({"peerings": '[{"cidr": "10.1.0.0/16"}]'}, "clickhouse-byoc:peerings[0].name", "missing or invalid"),
    ({"peerings": '[{"name": "a", "cidr": "10.1.0.0/33"}]'}, "clickhouse-byoc:peerings[0].cidr", "not an IPv4 CIDR"),
    (
        {"peerings": '[{"name": "a", "cidr": "10.1.0.0/16", "vpcId": "vpc-1"}]'},
        "clickhouse-byoc:peerings[0].vpcId",
        "VPC id",
    ),
    (
        {"peerings": '[{"name": "a", "cidr": "10.1.0.0/16", "owner": "x"}]'},
        "clickhouse-byoc:peerings[0].owner",
        "unknown key",
    ),
    ({"vpcCdir": "10.0.0.0/22"}, "clickhouse-byoc:vpcCdir", "did you mean vpcCidr"),
    ({"kubernetesVersion": "1.20"}, "clickhouse-byoc:kubernetesVersion", "not a Kubernetes minor"),
    (
        {"clusterEndpoint": '{"publicCidrs": []}'},
        "clickhouse-byoc:clusterEndpoint.publicCidrs",
        "empty while clusterEndpoint.public is true",
    ),
    (
        {"clusterEndpoint": '{"publicCidrs": ["0.0.0.0/0"]}'},
        "clickhouse-byoc:clusterEndpoint.publicCidrs[0]",
        "whole internet",
    ),
    (
        {"clusterEndpoint": '{"publicCidrs": ["1.2.3.4"]}'},
        "clickhouse-byoc:clusterEndpoint.publicCidrs[0]",
        "not an IPv4 CIDR",
    ),
    (
        {"clusterEndpoint": '{"public": "maybe", "publicCidrs": ["203.0.113.0/24"]}'},
        "clickhouse-byoc:clusterEndpoint.public",
        "not true or false",
    ),
    ({"systemNodeGroup": '{"size": 4}'}, "clickhouse-byoc:systemNodeGroup.size", "multiple of 3"),
    (
        {"systemNodeGroup": '{"instanceType": "big"}'},
        "clickhouse-byoc:systemNodeGroup.instanceType",
        "not an EC2 instance type",
    ),
    ({"clickhouseNodes": '{"maxSize": 0}'}, "clickhouse-byoc:clickhouseNodes.maxSize", "out of range; set 1-100"),
    ({"clickhouseNodes": '{"maxSize": "lots"}'}, "clickhouse-byoc:clickhouseNodes.maxSize", "not a whole number"),
    ({"kms": '{"customerManagedKey": 1}'}, "clickhouse-byoc:kms.customerManagedKey", "not true or false"),
    ({"dataProtection": "no"}, "clickhouse-byoc:dataProtection", "not true or false"),
    ({"dns": "byoc.example.com"}, "clickhouse-byoc:dns", "not a map"),
    ({"dns": '{"hostedZoneId": "Z0123456789ABCDEFGHIJ"}'}, "clickhouse-byoc:dns.zoneName", "required"),
    ({"dns": '{"zoneName": "Not A Zone", "createZone": true}'}, "clickhouse-byoc:dns.zoneName", "not a DNS zone name"),
    ({"dns": '{"zoneName": "byoc.example.com"}'}, "clickhouse-byoc:dns.hostedZoneId", "required unless dns.createZone"),
    (
        {"dns": '{"zoneName": "byoc.example.com", "hostedZoneId": "zone-1"}'},
        "clickhouse-byoc:dns.hostedZoneId",
        "not a Route 53",
    ),
    (
        {"dns": '{"zoneName": "byoc.example.com", "hostedZoneId": "Z0123456789", "createZone": true}'},
        "clickhouse-byoc:dns.createZone",
        "conflicts",
    ),
    (
        {"dns": '{"zoneName": "byoc.example.com", "createZone": "yes"}'},
        "clickhouse-byoc:dns.createZone",
        "not true or false",
    ),
    (
        {"dns": '{"zoneName": "byoc.example.com", "createZone": true, "zoneNmae": "x"}'},
        "clickhouse-byoc:dns.zoneNmae",
        "did you mean zoneName",
    ),
]


@pytest.mark.parametrize(("values", "key", "words"), BAD, ids=[f"{b[1]}-{i}" for i, b in enumerate(BAD)])
def test_rejections_name_key_value_and_fix(values, key, words):
    base = {k: v for k, v in values.items() if v is not None}
    raw = raw_config(base)
    for k, v in values.items():
        if v is None:
            raw.pop(k if ":" in k else f"clickhouse-byoc:{k}", None)
    with pytest.raises(ConfigError) as err:
        parse(raw, "dev")
    lines = err.value.problems
    assert len(lines) == 1, lines
    line = lines[0]
    assert line.startswith(f"{key}: "), line
    assert words in line, line
    # problem; fix
    assert ";" in line


def test_every_problem_reported_at_once():
    lines = problems_for({"accountId": "x", "vpcCidr": "10.0.0.0/25", "natGateways": "many", "typo": "1"})
    keys = sorted(line.split(": ")[0] for line in lines)
    assert keys == [
        "clickhouse-byoc:accountId",
        "clickhouse-byoc:natGateways",
        "clickhouse-byoc:typo",
        "clickhouse-byoc:vpcCidr",
    ]
    err = ConfigError(lines)
    assert str(err).splitlines()[0] == "4 configuration problems:"


def test_secret_values_are_not_echoed():
    lines = problems_for({"mystery": "hunter2"}, secret=frozenset({"mystery"}))
    assert lines == [
        "clickhouse-byoc:mystery: [secret]: unknown key; see the configuration table in docs/configuration.md "
        "(remove it with `pulumi config rm mystery`)"
    ]


def test_deployment_id_derived_from_stack():
    assert parse(raw_config(), "Acme_Prod.us-west-2").deployment_id == "acme-prod-us-west-2"
    assert parse(raw_config(), "prod").deployment_id == "prod"


def test_underivable_deployment_id_is_reported():
    lines = problems_for({}, stack="x")
    assert lines[0].startswith("clickhouse-byoc:deploymentId: (not set): cannot be derived from stack name 'x'")


def test_small_vpc_warns_unless_pod_cidr():
    s = parse(raw_config({"vpcCidr": "10.0.0.0/23"}), "dev")
    assert len(s.warnings) == 1
    assert s.warnings[0].startswith("clickhouse-byoc:vpcCidr: 10.0.0.0/23: a /23 leaves 369 usable private IPs")
    assert "about 30 ClickHouse server pods" in s.warnings[0]
    assert parse(raw_config({"vpcCidr": "10.0.0.0/23", "podCidr": "100.64.0.0/16"}), "dev").warnings == ()
    assert parse(raw_config({"vpcCidr": "10.0.0.0/22"}), "dev").warnings == ()


def test_config_error_is_a_clean_pulumi_error():
    import pulumi

    assert issubclass(ConfigError, pulumi.RunError)


def test_defaults_table_is_the_only_source():
    assert settings.DEFAULTS["vpcCidr"] == "10.0.0.0/22"
    assert {"accountId", "deploymentId", "availabilityZones", "vpcCidr", "podCidr"} <= settings.KNOWN_KEYS


def test_cluster_settings_defaults_and_choices():
    s = parse(raw_config(), "dev")
    c = s.cluster
    assert c.kubernetes_version == "1.35"
    assert c.endpoint_public and c.public_cidrs == ("203.0.113.0/24",)
    assert (c.system_instance_type, c.system_nodes_per_zone) == ("m5.xlarge", 1)
    assert (c.clickhouse_instance_type, c.clickhouse_max_per_zone) == ("r6i.4xlarge", 5)
    assert c.customer_managed_key is False and c.data_protection is True
    private = parse(raw_config({"clusterEndpoint": '{"public": false}', "systemNodeGroup": '{"size": 6}'}), "dev")
    assert not private.cluster.endpoint_public and private.cluster.public_cidrs == ()
    assert private.cluster.system_nodes_per_zone == 2
    anyone = parse(raw_config({"clusterEndpoint": '{"publicCidrs": ["0.0.0.0/0"], "allowAnyPublicCidr": true}'}), "dev")
    assert anyone.cluster.public_cidrs == ("0.0.0.0/0",)


def test_opting_out_of_data_protection_and_old_versions_warn():
    s = parse(raw_config({"dataProtection": "false", "kubernetesVersion": "1.33"}), "dev")
    assert s.cluster.data_protection is False
    assert any(w.startswith("clickhouse-byoc:dataProtection: false: pulumi destroy will delete") for w in s.warnings)
    assert any(w.startswith("clickhouse-byoc:kubernetesVersion: 1.33: past EKS standard support") for w in s.warnings)


def test_control_characters_are_escaped_so_each_problem_stays_one_line():
    lines = problems_for({"tags": json.dumps({"team\nx": "a\tb"})})
    assert lines == [
        "clickhouse-byoc:tags.team\\nx: a\\tb: invalid tag key; use 1-128 letters, digits, spaces and _.:/=+-@"
    ]
