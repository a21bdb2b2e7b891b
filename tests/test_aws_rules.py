"""Checks that use AWS's own data: the regions of the aws partition and the EBS volume sizes, from
botocore (components/data/aws.json, kept equal to the installed botocore here), and the aws
partition for every ARN key."""

from __future__ import annotations

import json

import pytest

from components.settings import aws
from tests.settings_cases import problems_for
from tools import vendor_aws_data


def test_the_vendored_data_is_what_the_installed_botocore_says():
    assert json.loads(aws.DATA.read_text()) == vendor_aws_data.build()


def test_the_data_knows_the_regions_and_the_gp3_limit():
    assert {"us-west-2", "us-east-1", "eu-central-1", "ap-southeast-7", "mx-central-1"} <= set(aws.regions())
    assert "us-gov-west-1" not in aws.regions() and aws.partition_of_region("cn-north-1") == "aws-cn"
    assert aws.volume_size_gib("gp3") == (1, 65536)


PARTITION_FIX = (
    "only the aws partition is supported (every ARN the program writes is arn:aws:...); use a region of the aws "
    "partition, such as us-west-2"
)


@pytest.mark.parametrize(
    ("region", "line"),
    [
        (
            "us-weast-2",
            "aws:region: us-weast-2: not a region of the aws partition (botocore 1.44.8 endpoint data, "
            "components/data/aws.json); did you mean us-west-2?",
        ),
        (
            "eu-centrale-1",
            "aws:region: eu-centrale-1: not a region of the aws partition (botocore 1.44.8 endpoint data, "
            "components/data/aws.json); did you mean eu-central-1?",
        ),
        (
            "us-west-9",
            "aws:region: us-west-9: not a region of the aws partition (botocore 1.44.8 endpoint data, "
            "components/data/aws.json); did you mean us-west-2?",
        ),
        (
            "Oregon",
            "aws:region: Oregon: not a region of the aws partition (botocore 1.44.8 endpoint data, "
            "components/data/aws.json); use a region such as us-west-2",
        ),
        ("us-gov-west-1", f"aws:region: us-gov-west-1: in the aws-us-gov partition, and {PARTITION_FIX}"),
        ("cn-north-1", f"aws:region: cn-north-1: in the aws-cn partition, and {PARTITION_FIX}"),
        ("eusc-de-east-1", f"aws:region: eusc-de-east-1: in the aws-eusc partition, and {PARTITION_FIX}"),
        ("us-isob-east-1", f"aws:region: us-isob-east-1: in the aws-iso-b partition, and {PARTITION_FIX}"),
    ],
)
def test_a_region_aws_does_not_have_is_refused(region, line):
    assert problems_for({"aws:region": region}) == [line]


@pytest.mark.parametrize("region", ["us-west-2", "eu-central-1", "ap-southeast-7", "il-central-1", "mx-central-1"])
def test_every_region_of_the_aws_partition_is_accepted(region):
    assert not any(line.startswith("aws:region") for line in _problems_or_none({"aws:region": region}))


def _problems_or_none(values):
    from components.settings import ConfigError, parse
    from tests.conftest import raw_config

    try:
        parse(raw_config(values), "dev")
    except ConfigError as err:
        return err.problems
    return []


def peering(**fields) -> str:
    return json.dumps([{"name": "apps", "cidr": "10.20.0.0/16", "vpcId": "vpc-0123456789abcdef0", **fields}])


def test_a_peer_region_aws_does_not_have_is_refused():
    assert problems_for({"peerings": peering(region="us-weast-2")}) == [
        "clickhouse-byoc:peerings[0].region: us-weast-2: not a region of the aws partition (botocore 1.44.8 endpoint "
        "data, components/data/aws.json); did you mean us-west-2?"
    ]


ARN_FIX = (
    "partition, and only the aws partition is supported (the program's policies and providers name arn:aws:...); "
    "use an arn:aws: ARN of an account in the aws partition"
)


@pytest.mark.parametrize(
    ("values", "key", "arn"),
    [
        (
            {
                "peerings": peering(
                    accountId="210987654321",
                    accepterRoleArn="arn:aws-cn:iam::210987654321:role/p",
                    peerRouteTableIds=["rtb-0a1b2c3d4e5f67890"],
                )
            },
            "peerings[0].accepterRoleArn",
            "arn:aws-cn:iam::210987654321:role/p",
        ),
        (
            {"privateLink": '{"enabled": true, "allowedPrincipals": ["arn:aws-us-gov:iam::210987654321:root"]}'},
            "privateLink.allowedPrincipals[0]",
            "arn:aws-us-gov:iam::210987654321:root",
        ),
        (
            {
                "clickhouseCloud": json.dumps(
                    {"externalId": "byoc-test-3f9a2c71", "principalArnPattern": "arn:aws-cn:iam::426924874929:role/*"}
                )
            },
            "clickhouseCloud.principalArnPattern",
            "arn:aws-cn:iam::426924874929:role/*",
        ),
        (
            {
                "clickhouseCloud": json.dumps(
                    {
                        "externalId": "byoc-test-3f9a2c71",
                        "stateQueueArn": "arn:aws-us-gov:sqs:us-gov-west-1:426924874929:state",
                    }
                )
            },
            "clickhouseCloud.stateQueueArn",
            "arn:aws-us-gov:sqs:us-gov-west-1:426924874929:state",
        ),
        (
            {
                "clickhouseCloud": json.dumps(
                    {"externalId": "byoc-test-3f9a2c71", "billingBucketArn": "arn:aws-cn:s3:::vendor-billing"}
                )
            },
            "clickhouseCloud.billingBucketArn",
            "arn:aws-cn:s3:::vendor-billing",
        ),
    ],
)
def test_an_arn_of_another_partition_is_refused_on_every_arn_key(values, key, arn):
    partition = arn.split(":")[1]
    assert problems_for(values) == [f"clickhouse-byoc:{key}: {arn}: an ARN of the {partition} {ARN_FIX}"]


def test_the_state_queue_names_a_region_of_the_aws_partition():
    cloud = {"externalId": "byoc-test-3f9a2c71", "stateQueueArn": "arn:aws:sqs:us-weast-2:426924874929:state"}
    assert problems_for({"clickhouseCloud": json.dumps(cloud)}) == [
        "clickhouse-byoc:clickhouseCloud.stateQueueArn: arn:aws:sqs:us-weast-2:426924874929:state: names region "
        "us-weast-2, not a region of the aws partition (botocore 1.44.8 endpoint data, components/data/aws.json); "
        "did you mean us-west-2?"
    ]


@pytest.mark.parametrize(
    ("cache", "volume"),
    [("64Ti", 65556), ("65517Gi", 65537), ("100Ti", 102420)],
)
def test_a_cache_whose_volume_gp3_cannot_hold_is_refused(cache, volume):
    services = json.dumps([{"name": "analytics", "cacheSize": cache}])
    assert problems_for({"services": services}) == [
        f"clickhouse-byoc:services[0].cacheSize: {cache}: the server's volume (cacheSize + 20 GiB) would be {volume} "
        "GiB, and EBS gp3 volumes take at most 65536 GiB (EC2 CreateVolume); use at most 65516Gi"
    ]


@pytest.mark.parametrize("cache", ["20Ti", "63Ti", "65516Gi", "1Gi"])
def test_a_cache_gp3_can_hold_is_accepted(cache):
    """EC2 takes gp3 volumes up to 65,536 GiB (botocore 1.44.8's CreateVolume documentation): 20Ti fits."""
    assert _problems_or_none({"services": json.dumps([{"name": "analytics", "cacheSize": cache}])}) == []


# -- peerings: one connection per VPC pair (VPC peering guide), the accepter role in the peer's account --


def peerings(*entries) -> str:
    base = {"cidr": "10.20.0.0/16", "vpcId": "vpc-0123456789abcdef0"}
    return json.dumps([{**base, **e} for e in entries])


ROUTES = {"peerRouteTableIds": ["rtb-0a1b2c3d4e5f67890"]}


@pytest.mark.parametrize(
    ("entries", "line"),
    [
        (
            ({"name": "apps"}, {"name": "apps-2", "cidr": "10.21.0.0/16"}),
            "clickhouse-byoc:peerings[1].vpcId: vpc-0123456789abcdef0: already peered by peerings[0]; AWS allows one "
            "peering connection between two VPCs: keep one entry for this VPC",
        ),
        (
            ({"name": "apps"}, {"name": "apps-2"}),
            "clickhouse-byoc:peerings[1].vpcId: vpc-0123456789abcdef0: already peered by peerings[0]; AWS allows one "
            "peering connection between two VPCs: keep one entry for this VPC",
        ),
        (
            ({"name": "apps", "accepterRoleArn": "arn:aws:iam::210987654321:role/peering", **ROUTES},),
            "clickhouse-byoc:peerings[0].accepterRoleArn: arn:aws:iam::210987654321:role/peering: is in account "
            "210987654321, but peerings[0].accountId is not set, so the peer VPC is in accountId 123456789012; set "
            "peerings[0].accountId to the peer VPC's account, or use a role of 123456789012",
        ),
        (
            (
                {
                    "name": "apps",
                    "accountId": "210987654321",
                    "accepterRoleArn": "arn:aws:iam::111122223333:role/peering",
                    **ROUTES,
                },
            ),
            "clickhouse-byoc:peerings[0].accepterRoleArn: arn:aws:iam::111122223333:role/peering: is in account "
            "111122223333, not the peer's accountId 210987654321; use a role of the peer account",
        ),
    ],
)
def test_a_peering_aws_would_refuse_is_refused(entries, line):
    assert problems_for({"peerings": peerings(*entries)}) == [line]


@pytest.mark.parametrize(
    "entries",
    [
        ({"name": "apps"}, {"name": "data", "cidr": "10.21.0.0/16", "vpcId": "vpc-0fedcba9876543210"}),
        ({"name": "apps", "accepterRoleArn": "arn:aws:iam::123456789012:role/peering", **ROUTES},),
        (
            {
                "name": "apps",
                "accountId": "210987654321",
                "accepterRoleArn": "arn:aws:iam::210987654321:role/peering",
                **ROUTES,
            },
        ),
    ],
)
def test_peerings_aws_accepts_are_accepted(entries):
    assert _problems_or_none({"peerings": peerings(*entries)}) == []
