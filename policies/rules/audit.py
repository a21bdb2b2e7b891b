"""Audit, as stack rules: every VPC has a flow log, every bucket its server access logs.

Advisory by default: the program's own settings let a stack switch audit off (`audit.flowLogs`,
`audit.accessLogs`), an explicit choice that must not fail a preview; an organization that requires
audit sets these rules to mandatory in the pack's config (docs/policies.md).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from .core import ADVISORY, CannotRead, Finding, get, guarded, rule
from .s3 import _BUCKETS, bucket_name, configures

_VPC = "aws:ec2/vpc:Vpc"
_FLOW_LOG = "aws:ec2/flowLog:FlowLog"
_BUCKET_LOGGING = ("aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2")


def _depends_on(child: Any, parent: Any, prop: str) -> bool:
    deps = getattr(child, "property_dependencies", {}) or {}
    if any(getattr(d, "urn", None) == parent.urn for d in deps.get(prop, [])):
        return True
    return any(getattr(d, "urn", None) == parent.urn for d in getattr(child, "dependencies", []) or [])


def _logs_vpc(flow_log: Any, vpc: Any) -> bool:
    """Whether `flow_log` records `vpc` as a whole (its `vpcId`, not a subnet's or an interface's)."""
    try:
        vpc_id = get(flow_log.props, "vpcId")
    except (UnknownValueError, CannotRead):
        return _depends_on(flow_log, vpc, "vpcId")
    if vpc_id is None:
        return False
    try:
        own_id = get(vpc.props, "id")
    except (UnknownValueError, CannotRead):
        own_id = None
    return vpc_id == own_id or _depends_on(flow_log, vpc, "vpcId")


@rule(
    "vpc-flow-logs",
    scope="stack",
    level=ADVISORY,
    description="Every VPC has a flow log of its own (`vpcId`), so who talked to what can be told afterwards.",
    fix="Create an aws.ec2.FlowLog with vpcId = the VPC (the program: `audit.flowLogs.enabled: true`).",
)
def vpc_flow_logs(resources: list[Any], config: Mapping[str, Any]) -> Iterator[Finding]:
    flow_logs = [r for r in resources if r.resource_type == _FLOW_LOG]

    def check(vpc: Any) -> Iterator[str]:
        if not any(_logs_vpc(f, vpc) for f in flow_logs):
            yield f"VPC {vpc.name!r} has no flow log: create an aws.ec2.FlowLog with its vpcId (audit.flowLogs)"

    for vpc in (r for r in resources if r.resource_type == _VPC):
        yield from guarded(vpc, lambda v=vpc: check(v))


@rule(
    "s3-access-logging",
    scope="stack",
    level=ADVISORY,
    description="Every bucket has S3 server access logging (a `BucketLogging` naming it), so who read or wrote "
    "its data can be told afterwards; the buckets that receive access logs are exempt (logging into "
    "themselves would loop).",
    fix="Create an aws.s3.BucketLogging for the bucket with a target bucket the stack owns (the program: "
    "`audit.accessLogs.enabled: true`).",
)
def s3_access_logging(resources: list[Any], config: Mapping[str, Any]) -> Iterator[Finding]:
    loggings = [r for r in resources if r.resource_type in _BUCKET_LOGGING]
    targets: set[str] = set()
    for logging in loggings:
        try:
            target = get(logging.props, "targetBucket")
        except (UnknownValueError, CannotRead):
            continue
        if isinstance(target, str):
            targets.add(target)

    def check(bucket: Any) -> Iterator[str]:
        name = bucket_name(bucket)
        if name in targets:
            return
        if not any(configures(logging, bucket) for logging in loggings):
            yield (
                f"bucket {name!r} has no server access logging: create an aws.s3.BucketLogging for it "
                "(audit.accessLogs)"
            )

    for bucket in (r for r in resources if r.resource_type in _BUCKETS):
        yield from guarded(bucket, lambda b=bucket: check(b))
