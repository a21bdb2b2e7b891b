"""Deployment settings: aws:region, accountId, deploymentId, tags."""

from __future__ import annotations

import json

import pytest

from components.settings import parse
from tests.conftest import raw_config
from tests.settings_cases import assert_one_problem, problems_for

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
