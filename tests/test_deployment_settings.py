"""Deployment settings: aws:region, accountId, deploymentId, tags."""

from __future__ import annotations

import json

import pytest

from components.settings import parse
from tests.conftest import raw_config
from tests.settings_cases import SECRET_CLOUD, assert_one_problem, problems_for

# (config, key named in the problem, words of the problem)
BAD = [
    ({"aws:region": None}, "aws:region", "required"),
    ({"aws:region": "Oregon"}, "aws:region", "not a region of the aws partition"),
    ({"accountId": None}, "clickhouse-byoc:accountId", "required"),
    ({"accountId": "12345"}, "clickhouse-byoc:accountId", "12-digit"),
    ({"deploymentId": "Prod"}, "clickhouse-byoc:deploymentId", "lowercase"),
    ({"deploymentId": "ab"}, "clickhouse-byoc:deploymentId", "3-20"),
    ({"deploymentId": "a" * 21}, "clickhouse-byoc:deploymentId", "3-20"),
    ({"deploymentId": "-abc"}, "clickhouse-byoc:deploymentId", "starting and ending"),
    ({"tags": "team=data"}, "clickhouse-byoc:tags", "not a map"),
    ({"tags": '{"aws:owner": "x"}'}, "clickhouse-byoc:tags.aws:owner", "reserved"),
    ({"tags": '{"clickhouse-byoc": "false"}'}, "clickhouse-byoc:tags.clickhouse-byoc", "mandatory"),
    ({"tags": '{"team": ["a"]}'}, "clickhouse-byoc:tags.team", "strings"),
]


@pytest.mark.parametrize(("values", "key", "words"), BAD, ids=[f"{b[1]}-{i}" for i, b in enumerate(BAD)])
def test_rejections_name_key_value_and_fix(values, key, words):
    assert_one_problem(values, key, words)


def test_deployment_id_derived_from_stack():
    assert parse(raw_config(), "Acme_Prod.us-west-2").deployment_id == "acme-prod-us-west-2"
    assert parse(raw_config(), "prod").deployment_id == "prod"


def test_underivable_deployment_id_is_reported():
    lines = problems_for({}, stack="x")
    assert lines[0].startswith("clickhouse-byoc:deploymentId: (not set): cannot be derived from stack name 'x'")


def test_control_characters_are_escaped_so_each_problem_stays_one_line():
    lines = problems_for({"tags": json.dumps({"team\nx": "a\tb"})})
    assert lines == [
        "clickhouse-byoc:tags.team\\nx: a\\tb: invalid tag key; use 1-128 letters, digits, spaces and _.:/=+-@"
    ]


def test_a_long_stack_name_needs_an_explicit_id_naming_a_unique_one_and_the_legacy_one():
    # acme-prod-eu-central-1 and -2 would share the first 20 characters; a deployed stack must not
    # be renamed by a derivation rule either, so the id is asked for, with both choices spelled out.
    assert problems_for({}, stack="acme-prod-eu-central-1") == [
        "clickhouse-byoc:deploymentId: (not set): required for stack name 'acme-prod-eu-central-1' (22 characters, "
        "longer than a deployment id); a new stack: `pulumi config set deploymentId acme-prod-eu-4bf4a9` (unique to "
        "this stack name); a stack deployed by an earlier version, which used the first 20 characters: "
        "`pulumi config set deploymentId acme-prod-eu-central` keeps its resources"
    ]
    two = problems_for({}, stack="acme-prod-eu-central-2")
    assert "deploymentId acme-prod-eu-54723f" in two[0]


def test_a_stack_name_of_20_characters_is_the_id_and_a_set_id_is_not_questioned():
    s = parse(raw_config(), "acme-prod-us-west-22", SECRET_CLOUD)
    assert (s.deployment_id, s.warnings) == ("acme-prod-us-west-22", ())
    pinned = parse(raw_config({"deploymentId": "acme-prod-eu-4bf4a9"}), "acme-prod-eu-central-1", SECRET_CLOUD)
    assert (pinned.deployment_id, pinned.warnings) == ("acme-prod-eu-4bf4a9", ())


ONLY_AWS = (
    "in the {partition} partition, and only the aws partition is supported (every ARN the program writes is "
    "arn:aws:...); use a region of the aws partition, such as us-west-2"
)


@pytest.mark.parametrize(
    ("region", "partition"),
    [
        ("us-gov-west-1", "aws-us-gov"),
        ("cn-north-1", "aws-cn"),
        ("cn-northwest-1", "aws-cn"),
        ("us-iso-east-1", "aws-iso"),
        ("us-isob-east-1", "aws-iso-b"),
    ],
)
def test_regions_outside_the_aws_partition_are_refused(region, partition):
    assert problems_for({"aws:region": region}) == [f"aws:region: {region}: {ONLY_AWS.format(partition=partition)}"]


def test_aws_partition_regions_are_accepted():
    for region in ("us-east-1", "eu-central-1", "ap-southeast-4", "ca-west-1"):
        assert parse(raw_config({"aws:region": region}), "dev").region == region
