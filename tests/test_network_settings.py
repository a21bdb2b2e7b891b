"""Network settings: vpcCidr, podCidr, availabilityZones, natGateways, peerings."""

from __future__ import annotations

import json

import pytest

from components.cidr import InternalRanges
from components.peering import PeeringSpec
from components.settings import parse
from tests.conftest import raw_config
from tests.settings_cases import SECRET_CLOUD, assert_one_problem, problems_for

# (config, key named in the problem, words of the problem)
PEER = {"name": "apps", "cidr": "10.1.0.0/16", "vpcId": "vpc-0123456789abcdef0", "accountId": "210987654321"}
ROLE = {"accepterRoleArn": "arn:aws:iam::210987654321:role/byoc-peering"}
TABLES = {"peerRouteTableIds": ["rtb-0123456789abcdef0", "rtb-0123456789abcdef1"]}

BAD = [
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
    ({"peerings": '{"name": "x"}'}, "clickhouse-byoc:peerings", "not a list"),
    (
        {"peerings": '[{"name": "a", "cidr": "10.0.1.0/24", "vpcId": "vpc-0123456789abcdef0"}]'},
        "clickhouse-byoc:peerings[0].cidr",
        "overlaps vpcCidr",
    ),
    (
        {
            "podCidr": "100.64.0.0/16",
            "peerings": '[{"name": "a", "cidr": "100.64.0.0/20", "vpcId": "vpc-0123456789abcdef0"}]',
        },
        "clickhouse-byoc:peerings[0].cidr",
        "overlaps podCidr",
    ),
    (
        {
            "peerings": '[{"name": "a", "cidr": "10.1.0.0/16", "vpcId": "vpc-0123456789abcdef0"}, {"name": "b", "cidr": "10.1.128.0/17", "vpcId": "vpc-0fedcba9876543210"}]'
        },
        "clickhouse-byoc:peerings[1].cidr",
        "overlaps peerings[0]",
    ),
    (
        {
            "peerings": '[{"name": "a", "cidr": "10.1.0.0/16", "vpcId": "vpc-0123456789abcdef0"}, {"name": "a", "cidr": "10.2.0.0/16", "vpcId": "vpc-0fedcba9876543210"}]'
        },
        "clickhouse-byoc:peerings[1].name",
        "duplicate",
    ),
    (
        {"peerings": '[{"cidr": "10.1.0.0/16", "vpcId": "vpc-0123456789abcdef0"}]'},
        "clickhouse-byoc:peerings[0].name",
        "missing or invalid",
    ),
    (
        {"peerings": '[{"name": "a", "cidr": "10.1.0.0/33", "vpcId": "vpc-0123456789abcdef0"}]'},
        "clickhouse-byoc:peerings[0].cidr",
        "not an IPv4 CIDR",
    ),
    (
        {"peerings": '[{"name": "a", "cidr": "10.1.0.0/16", "vpcId": "vpc-1"}]'},
        "clickhouse-byoc:peerings[0].vpcId",
        "VPC id",
    ),
    (
        {"peerings": '[{"name": "a", "cidr": "10.1.0.0/16", "owner": "x", "vpcId": "vpc-0123456789abcdef0"}]'},
        "clickhouse-byoc:peerings[0].owner",
        "unknown key",
    ),
    ({"peerings": '[{"name": "a", "cidr": "10.1.0.0/16"}]'}, "clickhouse-byoc:peerings[0].vpcId", "missing"),
    (
        {"peerings": json.dumps([{**PEER, "accepterRoleArn": "arn:aws:iam::210987654321:user/x", **TABLES}])},
        "clickhouse-byoc:peerings[0].accepterRoleArn",
        "not an IAM role ARN",
    ),
    (
        {"peerings": json.dumps([{**PEER, "accountId": "111111111111", **ROLE, **TABLES}])},
        "clickhouse-byoc:peerings[0].accepterRoleArn",
        "not the peer's accountId 111111111111",
    ),
    ({"peerings": json.dumps([{**PEER, **ROLE}])}, "clickhouse-byoc:peerings[0].peerRouteTableIds", "required with"),
    (
        {"peerings": json.dumps([{**PEER, **TABLES}])},
        "clickhouse-byoc:peerings[0].peerRouteTableIds",
        "needs accepterRoleArn",
    ),
    (
        {"peerings": json.dumps([{**PEER, **ROLE, "peerRouteTableIds": ["rtb-1"]}])},
        "clickhouse-byoc:peerings[0].peerRouteTableIds",
        "not a list of route table ids",
    ),
    (
        {"peerings": json.dumps([{**PEER, "privateDns": "maybe"}])},
        "clickhouse-byoc:peerings[0].privateDns",
        "not true or false",
    ),
]


@pytest.mark.parametrize(("values", "key", "words"), BAD, ids=[f"{b[1]}-{i}" for i, b in enumerate(BAD)])
def test_rejections_name_key_value_and_fix(values, key, words):
    assert_one_problem(values, key, words)


def test_small_vpc_warns_unless_pod_cidr():
    # A /23's private subnets hold one ClickHouse node a zone under prefix delegation (the subnet check).
    s = parse(raw_config({"vpcCidr": "10.0.0.0/23", "clickhouseNodes": '{"maxSize": 1}'}), "dev", SECRET_CLOUD)
    assert len(s.warnings) == 1
    assert s.warnings[0].startswith("clickhouse-byoc:vpcCidr: 10.0.0.0/23: a /23 leaves 369 usable private IPs")
    assert "about 30 ClickHouse server pods" in s.warnings[0]
    assert parse(raw_config({"vpcCidr": "10.0.0.0/23", "podCidr": "100.64.0.0/16"}), "dev", SECRET_CLOUD).warnings == ()
    assert parse(raw_config({"vpcCidr": "10.0.0.0/22"}), "dev", SECRET_CLOUD).warnings == ()


def test_a_peer_outside_the_aws_partition_is_refused():
    peer = '[{"name": "gov", "cidr": "10.1.0.0/16", "region": "us-gov-east-1", "vpcId": "vpc-0123456789abcdef0"}]'
    assert problems_for({"peerings": peer}) == [
        "clickhouse-byoc:peerings[0].region: us-gov-east-1: in the aws-us-gov partition, and only the aws partition "
        "is supported (every ARN the program writes is arn:aws:...); use a region of the aws partition, such as "
        "us-west-2"
    ]
    other = '[{"name": "eu", "cidr": "10.1.0.0/16", "region": "eu-west-1", "vpcId": "vpc-0123456789abcdef0"}]'
    assert parse(raw_config({"peerings": other}), "dev").network.peerings[0].region == "eu-west-1"


def test_peering_with_accepter_role_and_route_tables():
    raw = raw_config({"peerings": json.dumps([{**PEER, **ROLE, **TABLES, "privateDns": True}])})
    network = parse(raw, "dev").network
    (peer,) = network.peerings
    # Parsed straight into the peering layer's own spec: no second definition to copy it into.
    assert type(peer) is PeeringSpec
    assert network.ranges == InternalRanges("10.0.0.0/22", None, ("10.1.0.0/16",))
    assert network.private_endpoint_sources == (("vpc", "10.0.0.0/22"), ("peer-apps", "10.1.0.0/16"))
    assert peer.accepter_role_arn == "arn:aws:iam::210987654321:role/byoc-peering"
    assert peer.peer_route_table_ids == ("rtb-0123456789abcdef0", "rtb-0123456789abcdef1")
    assert peer.private_dns is True and peer.vpc_id == "vpc-0123456789abcdef0"


def test_peering_without_accepter_role_is_manual():
    (peer,) = parse(raw_config({"peerings": json.dumps([PEER])}), "dev").network.peerings
    assert peer.accepter_role_arn is None and peer.peer_route_table_ids == () and peer.private_dns is False
