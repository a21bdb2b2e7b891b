"""Audit stack rules (policies/rules/audit.py). One compliant and one non-compliant record set per case."""

from __future__ import annotations

from typing import Any

import pytest

from tests.policy_records import BUCKET_NAME, BUCKET_URN, assert_case, bucket, check_cases, record, results

VPC_URN = "urn:pulumi:t::clickhouse-byoc::aws:ec2/vpc:Vpc::ClickHouse-cloud-t-vpc"
LOGS = "clickhouse-cloud-t-audit-logs-123456789012"


def vpc() -> dict[str, Any]:
    return record("aws:ec2/vpc:Vpc", "ClickHouse-cloud-t-vpc", {"cidrBlock": "10.0.0.0/22"}, urn=VPC_URN)


def flow_log(linked: bool = True, **inputs: Any) -> dict[str, Any]:
    """A flow log of the VPC (its vpcId depends on it), or of something else."""
    deps = (VPC_URN,) if linked else ()
    values = {"vpcId": "vpc-0123456789abcdef0", "trafficType": "ALL", "logDestinationType": "s3", **inputs}
    return record("aws:ec2/flowLog:FlowLog", "ClickHouse-cloud-t-flow-log", values, deps=deps)


def bucket_logging(target: str = LOGS, **inputs: Any) -> dict[str, Any]:
    values = {"bucket": BUCKET_NAME, "targetBucket": target, "targetPrefix": "s3-access/data/", **inputs}
    return record(
        "aws:s3/bucketLogging:BucketLogging", "ClickHouse-cloud-t-data-access-logs", values, deps=(BUCKET_URN,)
    )


def log_bucket() -> dict[str, Any]:
    return record(
        "aws:s3/bucket:Bucket",
        "ClickHouse-cloud-t-audit-bucket",
        {"bucket": LOGS, "tags": {"clickhouse-byoc/bucket-purpose": "audit-logs"}},
        protect=True,
        retain=True,
    )


CASES: list[tuple[str, str, list[dict[str, Any]], list[dict[str, Any]], str]] = [
    ("vpc-flow-logs", "none", [vpc(), flow_log()], [vpc()], "has no flow log"),
    (
        "vpc-flow-logs",
        "subnet-only",
        [vpc(), flow_log()],
        [vpc(), flow_log(linked=False, vpcId=None, subnetId="subnet-0123")],
        "has no flow log",
    ),
    (
        "s3-access-logging",
        "none",
        [bucket(), bucket_logging(), log_bucket()],
        [bucket(), log_bucket()],
        "no server access logging",
    ),
    (
        "s3-access-logging",
        "target-is-exempt",
        [bucket(), bucket_logging(), log_bucket()],
        [bucket(), bucket_logging(target="someone-elses-bucket"), log_bucket()],
        f"bucket '{LOGS}' has no server access logging",
    ),
]


@pytest.mark.parametrize(("rule", "good", "bad", "fragment"), check_cases(CASES))
def test_rule_passes_compliant_and_flags_non_compliant_records(rule, good, bad, fragment):
    assert_case(rule, good, bad, fragment)


def test_the_audit_rules_are_advisory_so_an_explicit_opt_out_never_fails_a_preview():
    found = results([vpc(), bucket()], "vpc-flow-logs") + results([vpc(), bucket()], "s3-access-logging")
    assert found and {r.level for r in found} == {"advisory"}
    # An organization that requires audit makes them mandatory through the pack's config.
    strict = {"vpc-flow-logs": "mandatory", "s3-access-logging": {"enforcementLevel": "mandatory"}}
    assert {r.level for r in results([vpc(), bucket()], "vpc-flow-logs", strict)} == {"mandatory"}
