"""IMDSv2 (policies/rules/compute.py). One compliant and one non-compliant record set per case."""

from __future__ import annotations

from typing import Any

import pytest

from tests.policy_records import (
    assert_case,
    check_cases,
    launch_template,
    node_group,
)

CASES: list[tuple[str, str, list[dict[str, Any]], list[dict[str, Any]], str]] = [
    ("imdsv2-required", "tokens", [launch_template()], [launch_template(httpTokens="optional")], "IMDSv1 is allowed"),
    (
        "imdsv2-required",
        "hop-limit",
        [launch_template(), launch_template(httpEndpoint="disabled", httpTokens="optional")],
        [launch_template(httpPutResponseHopLimit=2)],
        "httpPutResponseHopLimit is 2",
    ),
    (
        "imdsv2-required",
        "node-group",
        [node_group()],
        [node_group(launchTemplate=None)],
        "EKS's default launch template",
    ),
]


@pytest.mark.parametrize(("rule", "good", "bad", "fragment"), check_cases(CASES))
def test_rule_passes_compliant_and_flags_non_compliant_records(rule, good, bad, fragment):
    assert_case(rule, good, bad, fragment)
