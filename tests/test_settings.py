"""Settings as a whole: defaults, a full config across layers, unknown keys, all problems at once, secrets.

Each layer's own rejections are in tests/test_<layer>_settings.py."""

from __future__ import annotations

import json

import pytest

from components import settings
from components.dns import ZoneSpec
from components.settings import ConfigError, parse
from tests.conftest import raw_config
from tests.settings_cases import SECRET_CLOUD, assert_one_problem, problems_for


def test_defaults_applied():
    s = parse(raw_config(), "dev", SECRET_CLOUD)
    assert s.region == "us-west-2"
    assert s.account_id == "123456789012"
    assert s.deployment_id == "dev"
    assert s.network.vpc_cidr == "10.0.0.0/22"
    assert s.network.pod_cidr is None
    assert s.network.nat_gateways == "one-per-az"
    assert s.network.availability_zones is None
    assert s.network.peerings == ()
    assert s.warnings == ()
    assert s.dns.zone_name == "byoc.example.com" and s.dns.hosted_zone_id == "Z0123456789ABCDEFGHIJ"
    assert s.dns.create_zone is False
    # Parsed straight into the DNS layer's own spec.
    assert type(s.dns) is ZoneSpec
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
    assert s.network.availability_zones == ("us-west-2a", "us-west-2b", "us-west-2d")
    assert s.network.pod_cidr == "100.64.0.0/16"
    assert s.network.nat_gateways == "single"
    assert s.network.peerings[0].name == "apps" and s.network.peerings[0].account_id == "210987654321"
    assert s.default_tags["team"] == "data" and s.default_tags["clickhouse-byoc"] == "true"
    assert s.dns.zone_name == "byoc.acme.io" and s.dns.create_zone


# (config, key named in the problem, words of the problem)
BAD = [
    ({"vpcCdir": "10.0.0.0/22"}, "clickhouse-byoc:vpcCdir", "did you mean vpcCidr"),
]


@pytest.mark.parametrize(("values", "key", "words"), BAD, ids=[f"{b[1]}-{i}" for i, b in enumerate(BAD)])
def test_rejections_name_key_value_and_fix(values, key, words):
    assert_one_problem(values, key, words)


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


def test_config_error_is_a_clean_pulumi_error():
    import pulumi

    assert issubclass(ConfigError, pulumi.RunError)


def test_defaults_table_is_the_only_source():
    assert settings.DEFAULTS["vpcCidr"] == "10.0.0.0/22"
    assert {"accountId", "deploymentId", "availabilityZones", "vpcCidr", "podCidr"} <= settings.KNOWN_KEYS
