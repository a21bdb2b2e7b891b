"""Ingress rules (policies/rules/ingress.py). One compliant and one non-compliant record set per case."""

from __future__ import annotations

from typing import Any

import pytest

from policies import rules
from tests.policy_records import (
    assert_case,
    check_cases,
    gateway,
    record,
    service,
    sg_rule,
)

CASES: list[tuple[str, str, list[dict[str, Any]], list[dict[str, Any]], str]] = [
    (
        "ingress-ip-allowlist",
        "public",
        [gateway(), gateway(namespace="istio-ingress-private", ranges=[])],
        [gateway(ranges=[])],
        "accepts every address",
    ),
    (
        "ingress-ip-allowlist",
        "opt-out",
        [gateway(ranges=[], **{rules.ALLOW_ANY_SOURCE: "true"})],
        [gateway(ranges=["0.0.0.0/0"])],
        "contains ['0.0.0.0/0']",
    ),
    (
        "ingress-ip-allowlist",
        "service",
        [service(namespace="clickhouse", ranges=[]), service(ranges=["198.51.100.0/24"])],
        [service(namespace="clickhouse", ranges=[], **{rules.LB_SCHEME_ANNOTATION: "internet-facing"})],
        "accepts every address",
    ),
    (
        "no-world-ingress",
        "listener-port",
        [gateway(), sg_rule("0.0.0.0/0", 8443), sg_rule("10.0.0.0/22", 22)],
        [gateway(), sg_rule("0.0.0.0/0", 22)],
        "opens ports 22-22 to 0.0.0.0/0",
    ),
    (
        "no-world-ingress",
        "no-allowlist",
        [sg_rule("10.0.0.0/16", 8443)],
        [gateway(ranges=[]), sg_rule("0.0.0.0/0", 8443)],
        "(none: no allow-listed public gateway)",
    ),
    (
        "no-world-ingress",
        "ipv6-all",
        [sg_rule("10.0.0.0/16", 443, protocol="-1")],
        [gateway(), sg_rule("::/0", 443, protocol="-1")],
        "opens all ports to ::/0",
    ),
    (
        "no-world-ingress",
        "inline",
        [
            record(
                "aws:ec2/securityGroup:SecurityGroup",
                "ClickHouse-cloud-t-sg",
                {
                    "name": "ClickHouse-cloud-t-sg",
                    "ingress": [{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["10.0.0.0/8"]}],
                },
            )
        ],
        [
            record(
                "aws:ec2/securityGroup:SecurityGroup",
                "ClickHouse-cloud-t-sg",
                {
                    "name": "ClickHouse-cloud-t-sg",
                    "ingress": [{"protocol": "tcp", "fromPort": 0, "toPort": 65535, "cidrBlocks": ["0.0.0.0/0"]}],
                },
            )
        ],
        "ingress[0] opens all ports",
    ),
]


@pytest.mark.parametrize(("rule", "good", "bad", "fragment"), check_cases(CASES))
def test_rule_passes_compliant_and_flags_non_compliant_records(rule, good, bad, fragment):
    assert_case(rule, good, bad, fragment)
