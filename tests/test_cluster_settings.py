"""Cluster settings: Kubernetes version, API endpoint, node groups, keys, data protection."""

from __future__ import annotations

import json

import pytest

from components.cluster import ClusterSpec
from components.settings import ConfigError, parse
from tests.conftest import raw_config
from tests.settings_cases import assert_one_problem

# (config, key named in the problem, words of the problem)
BAD = [
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
]


@pytest.mark.parametrize(("values", "key", "words"), BAD, ids=[f"{b[1]}-{i}" for i, b in enumerate(BAD)])
def test_rejections_name_key_value_and_fix(values, key, words):
    assert_one_problem(values, key, words)


def test_cluster_settings_defaults_and_choices():
    s = parse(raw_config(), "dev")
    c = s.cluster
    # Parsed straight into the EKS layer's own spec: no second definition to copy it into.
    assert type(c) is ClusterSpec
    assert c.kubernetes_version == "1.35"
    assert c.endpoint_public and c.public_cidrs == ("203.0.113.0/24",)
    assert (c.system_instance_type, c.system_nodes_per_zone) == ("m5.xlarge", 1)
    assert (c.clickhouse_instance_type, c.clickhouse_max_per_zone) == ("r6i.4xlarge", 5)
    assert s.customer_managed_key is False and c.data_protection is True
    assert parse(raw_config({"kms": '{"customerManagedKey": true}'}), "dev").customer_managed_key is True
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


UNKNOWN_TYPE = (
    "not an instance type this program knows the capacity of; use an x86_64 type of the m5, m5a, m6a, m6i, m7a, "
    "m7i, r5, r5a, r6a, r6i, r7a, r7i families (components/data/instance_types.json)"
)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("clickhouseNodes", "m8i.4xlarge"),  # a family the data does not hold
        ("clickhouseNodes", "r7g.4xlarge"),  # Graviton: the nodes run the x86_64 AMI
        ("systemNodeGroup", "t3.medium"),
    ],
)
def test_instance_types_without_capacity_data_are_refused(key, value):
    with pytest.raises(ConfigError) as err:
        parse(raw_config({key: json.dumps({"instanceType": value})}), "dev")
    assert err.value.problems == [f"clickhouse-byoc:{key}.instanceType: {value}: {UNKNOWN_TYPE}"]


def test_supported_instance_types_are_accepted():
    s = parse(
        raw_config(
            {"clickhouseNodes": '{"instanceType": "r7i.8xlarge"}', "systemNodeGroup": '{"instanceType": "m6i.xlarge"}'}
        ),
        "dev",
    )
    assert (s.cluster.clickhouse_instance_type, s.cluster.system_instance_type) == ("r7i.8xlarge", "m6i.xlarge")
