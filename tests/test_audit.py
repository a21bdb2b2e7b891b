"""Audit: the log bucket (its policy judged request by request), the flow log, bucket access logging,
the trail and the audit key, as the dev stack and its variants register them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components import audit, storage
from tests import day2_cases as day2
from tests.conftest import run_offline
from tests.iam_eval import ALLOW, DENY, IMPLICIT, decide
from tools import stackconfig, synth

ACCOUNT, REGION = "123456789012", "us-west-2"
LOGS = "clickhouse-cloud-dev-audit-logs-123456789012"
LOGS_ARN = f"arn:aws:s3:::{LOGS}"
VENDOR = (
    f"arn:aws:iam::{ACCOUNT}:role/ClickHouse-cloud-dev-management",
    f"arn:aws:iam::{ACCOUNT}:role/ClickHouse-cloud-dev-data-plane-mgmt",
)
SOURCES = {p: f"clickhouse-cloud-dev-{p}-{ACCOUNT}" for p in storage.PURPOSES}
TRAIL = "ClickHouse-cloud-dev-trail"


def policy(**kw: Any) -> dict:
    args = {"access_log_sources": SOURCES, "flow_logs": True, "trail": TRAIL, "vendor_roles": VENDOR, **kw}
    return audit.log_bucket_policy(LOGS, ACCOUNT, REGION, **args)


def ctx(**keys: str) -> dict[str, str]:
    return {"aws:SecureTransport": "true", **keys}


# -- the log bucket's policy, request by request -------------------------------------------------------


def test_each_bucket_writes_its_access_logs_under_its_own_prefix_only():
    doc = [policy()]
    data = ctx(**{"aws:SourceArn": f"arn:aws:s3:::{SOURCES['data']}", "aws:SourceAccount": ACCOUNT})
    logging = "logging.s3.amazonaws.com"
    assert (
        decide(doc, "s3:PutObject", f"{LOGS_ARN}/s3-access/data/{ACCOUNT}/us-west-2/x/2026/12/06/log", data, logging)
        == ALLOW
    )
    # Only the logging service: another service with the same context is not allowed.
    assert (
        decide(doc, "s3:PutObject", f"{LOGS_ARN}/s3-access/data/log", data, "delivery.logs.amazonaws.com") == IMPLICIT
    )
    # Not into another bucket's prefix, not from another account, not over plain HTTP.
    assert decide(doc, "s3:PutObject", f"{LOGS_ARN}/s3-access/backup/log", data) == IMPLICIT
    other = {**data, "aws:SourceAccount": "210987654321"}
    assert decide(doc, "s3:PutObject", f"{LOGS_ARN}/s3-access/data/log", other) == IMPLICIT
    plain = {**data, "aws:SecureTransport": "false"}
    assert decide(doc, "s3:PutObject", f"{LOGS_ARN}/s3-access/data/log", plain) == DENY
    (st,) = [s for s in policy()["Statement"] if s["Sid"] == "S3ServerAccessLogsData"]
    assert st["Principal"] == {"Service": "logging.s3.amazonaws.com"}


def test_flow_log_delivery_and_the_trail_write_where_aws_documents_and_nowhere_else():
    doc = [policy()]
    delivery = ctx(
        **{
            "aws:SourceAccount": ACCOUNT,
            "aws:SourceArn": f"arn:aws:logs:{REGION}:{ACCOUNT}:*",
            "s3:x-amz-acl": "bucket-owner-full-control",
        }
    )
    flow_key = f"{LOGS_ARN}/vpc-flow-logs/AWSLogs/{ACCOUNT}/vpcflowlogs/us-west-2/2026/12/06/f.log.gz"
    assert decide(doc, "s3:PutObject", flow_key, delivery) == ALLOW
    assert decide(doc, "s3:GetBucketAcl", LOGS_ARN, delivery) == ALLOW
    assert decide(doc, "s3:PutObject", f"{LOGS_ARN}/cloudtrail/AWSLogs/{ACCOUNT}/x", delivery) == IMPLICIT
    trail = ctx(
        **{
            "aws:SourceArn": f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/{TRAIL}",
            "s3:x-amz-acl": "bucket-owner-full-control",
        }
    )
    trail_key = f"{LOGS_ARN}/cloudtrail/AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2026/12/06/x.json.gz"
    assert decide(doc, "s3:PutObject", trail_key, trail) == ALLOW
    another = {**trail, "aws:SourceArn": f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/other"}
    assert decide(doc, "s3:PutObject", trail_key, another) == IMPLICIT
    # Switched off, a writer's statements are gone.
    assert decide([policy(flow_logs=False)], "s3:PutObject", flow_key, delivery) == IMPLICIT
    assert decide([policy(trail=None)], "s3:PutObject", trail_key, trail) == IMPLICIT


def test_the_vendor_roles_are_denied_the_log_bucket_and_the_audit_key():
    doc = [policy()]
    for role in VENDOR:
        vendor = ctx(**{"aws:PrincipalArn": role})
        for action, resource in (
            ("s3:GetObject", f"{LOGS_ARN}/cloudtrail/x"),
            ("s3:DeleteObject", f"{LOGS_ARN}/cloudtrail/x"),
            ("s3:PutBucketPolicy", LOGS_ARN),
            ("s3:PutLifecycleConfiguration", LOGS_ARN),
        ):
            assert decide(doc, action, resource, vendor) == DENY, (role, action)
    key = audit.audit_key_policy(ACCOUNT, REGION, trail=TRAIL, alert_rule_arn=None, vendor_roles=VENDOR)
    for action in ("kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:PutKeyPolicy", "kms:Decrypt"):
        assert decide([key], action, "*", {"aws:PrincipalArn": VENDOR[0]}) == DENY, action
    # The account's own administrators are not.
    admin = {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/security-admin"}
    assert decide([key], "kms:Decrypt", "*", admin) == ALLOW


def test_the_key_lets_cloudtrail_encrypt_only_for_this_trail():
    key = audit.audit_key_policy(ACCOUNT, REGION, trail=TRAIL, alert_rule_arn=None, vendor_roles=VENDOR)
    trail_arn = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/{TRAIL}"
    ours = {"aws:SourceArn": trail_arn, "kms:EncryptionContext:aws:cloudtrail:arn": trail_arn}
    cloudtrail = "cloudtrail.amazonaws.com"
    assert decide([key], "kms:GenerateDataKey", "*", ours, principal=cloudtrail) == ALLOW
    other = {**ours, "aws:SourceArn": f"arn:aws:cloudtrail:{REGION}:210987654321:trail/x"}
    assert decide([key], "kms:GenerateDataKey", "*", other, principal=cloudtrail) == IMPLICIT
    assert decide([key], "kms:Decrypt", "*", ours, principal=cloudtrail) == IMPLICIT
    no_trail = audit.audit_key_policy(ACCOUNT, REGION, trail=None, alert_rule_arn=None, vendor_roles=VENDOR)
    assert decide([no_trail], "kms:GenerateDataKey", "*", ours, principal=cloudtrail) == IMPLICIT
    # EventBridge may use it for the alert topic, for this deployment's rule only.
    rule = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/ClickHouse-cloud-dev-vendor-access"
    alerts = audit.audit_key_policy(ACCOUNT, REGION, trail=None, alert_rule_arn=rule, vendor_roles=VENDOR)
    events = {"aws:SourceArn": rule, "aws:SourceAccount": ACCOUNT}
    assert decide([alerts], "kms:GenerateDataKey", "*", events, principal="events.amazonaws.com") == ALLOW
    elsewhere = {**events, "aws:SourceArn": rule.replace("vendor-access", "other")}
    assert decide([alerts], "kms:GenerateDataKey", "*", elsewhere, principal="events.amazonaws.com") == IMPLICIT


def test_every_log_expires_and_deleted_versions_go():
    rules = {r["id"]: r for r in audit.log_lifecycle_rules(365, 90)}
    assert rules["expire-access-logs"]["filter"] == {"prefix": "s3-access/"}
    assert rules["expire-flow-logs"] == {
        "id": "expire-flow-logs",
        "status": "Enabled",
        "filter": {"prefix": "vpc-flow-logs/"},
        "expiration": {"days": 90},
    }
    assert rules["expire-trail-logs"]["expiration"] == {"days": 365}
    assert rules["expire-noncurrent-versions"]["noncurrent_version_expiration"] == {"noncurrent_days": 30}
    # Each writer's prefix is under a rule that expires it.
    prefixes = [r["filter"].get("prefix") for r in rules.values() if "days" in r.get("expiration", {})]
    for key in (storage.access_log_prefix("data"), audit.FLOW_LOG_PREFIX, f"{audit.TRAIL_PREFIX}/AWSLogs/"):
        assert any(key.startswith(p) for p in prefixes), key


# -- what the stacks register -------------------------------------------------------------------------


def _by_name(records: list[dict]) -> dict[str, dict]:
    return {r["name"].split("-", 3)[-1]: r for r in records}


@pytest.fixture(scope="module")
def dev() -> dict[str, dict]:
    return _by_name(synth.synthesize(stackconfig.load_stack("dev")).resources)


def _dev_with(overrides: dict) -> dict[str, dict]:
    from tests.test_day2_plan import synth as dev_synth  # the day-2 cases' run of the same configuration

    return _by_name(dev_synth(overrides))


def test_the_log_bucket_is_kept_like_the_data_buckets(dev):
    bucket = dev["audit-bucket"]
    assert bucket["inputs"]["bucket"] == LOGS
    assert (bucket["protect"], bucket["retainOnDelete"], bucket["inputs"]["forceDestroy"]) == (True, True, False)
    assert bucket["inputs"]["tags"]["clickhouse-byoc/bucket-purpose"] == "audit-logs"
    (rule,) = dev["audit-bucket-encryption"]["inputs"]["rules"]
    # S3 server access logging delivers only into SSE-S3 buckets (S3 user guide).
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    assert dev["audit-bucket-versioning"]["inputs"]["versioningConfiguration"] == {"status": "Enabled"}
    block = dev["audit-bucket-public-access"]["inputs"]
    assert all(block[f] for f in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))
    statements = {s["Sid"] for s in json.loads(dev["audit-bucket-policy"]["inputs"]["policy"])["Statement"]}
    assert {"S3ServerAccessLogsData", "AWSLogDeliveryWrite", "AWSCloudTrailWrite", "DenyTheVendorRoles"} <= statements
    key = dev["audit-key"]
    assert (key["protect"], key["retainOnDelete"], key["inputs"]["enableKeyRotation"]) == (True, True, True)


def test_the_flow_log_captures_everything_into_the_log_bucket_after_its_policy(dev):
    flow = dev["network-flow-log"]
    assert flow["inputs"]["vpcId"] == dev["network-vpc"]["inputs"].get("id", flow["inputs"]["vpcId"])
    assert flow["inputs"]["trafficType"] == "ALL" and flow["inputs"]["logDestinationType"] == "s3"
    assert flow["inputs"]["logDestination"] == f"{LOGS_ARN}/vpc-flow-logs/"
    assert dev["audit-bucket-policy"]["urn"] in flow["dependencies"]
    assert dev["network-vpc"]["urn"] in flow["dependencies"]
    # The VPC itself carries nothing of it.
    assert "flowLog" not in json.dumps(dev["network-vpc"]["inputs"])


def test_each_bucket_logs_into_its_prefix_after_the_policy(dev):
    for purpose in storage.PURPOSES:
        logging = dev[f"storage-{purpose}-access-logs"]
        assert logging["inputs"]["bucket"] == SOURCES[purpose]
        assert logging["inputs"]["targetBucket"] == LOGS
        assert logging["inputs"]["targetPrefix"] == f"s3-access/{purpose}/"
        assert dev["audit-bucket-policy"]["urn"] in logging["dependencies"]
        # Logging is its own resource: the bucket has no logging input that could replace it.
        assert "logging" not in dev[f"storage-{purpose}"]["inputs"]


def test_the_trail_covers_every_region_with_validation_and_the_audit_key(dev):
    trail = dev["audit-trail"]["inputs"]
    assert trail["name"] == TRAIL and trail["s3BucketName"] == LOGS and trail["s3KeyPrefix"] == "cloudtrail"
    assert trail["isMultiRegionTrail"] and trail["includeGlobalServiceEvents"] and trail["enableLogFileValidation"]
    assert trail["kmsKeyId"].startswith(f"arn:aws:kms:{REGION}:{ACCOUNT}:key/")
    assert dev["audit-bucket-policy"]["urn"] in dev["audit-trail"]["dependencies"]


def test_everything_off_registers_nothing_of_it_and_leaves_vpc_and_buckets_as_they_were(dev):
    off = _dev_with(day2.AUDIT_OFF)
    assert not [n for n in off if n.startswith(("audit", "vendor-access"))]
    assert not [
        r for r in off.values() if r["type"] in ("aws:ec2/flowLog:FlowLog", "aws:s3/bucketLogging:BucketLogging")
    ]
    # Switching audit on or off changes nothing of the VPC or the buckets themselves.
    for name in ("network-vpc", "storage-data", "storage-backup", "storage-monitoring", "storage-data-tls-only"):
        assert off[name]["inputs"] == dev[name]["inputs"], name


def test_reusing_a_trail_creates_none_and_keeps_the_bucket_for_the_other_logs():
    s = run_offline({"audit": '{"trail": {"mode": "reuse", "name": "org-trail"}}'}).resources
    by_name = _by_name(s)
    assert not [r for r in s if r["type"] == "aws:cloudtrail/trail:Trail"]
    sids = {st["Sid"] for st in json.loads(by_name["audit-bucket-policy"]["inputs"]["policy"])["Statement"]}
    assert "AWSCloudTrailWrite" not in sids and "AWSLogDeliveryWrite" in sids
    key = {st["Sid"] for st in json.loads(by_name["audit-key"]["inputs"]["policy"])["Statement"]}
    assert "CloudTrailEncryptsTheTrailLogs" not in key and "EventBridgePublishesToTheAlertTopic" in key


def test_a_bootstrap_only_stack_gets_the_trail_and_the_alerts_but_no_network_logs():
    raw = {
        "bootstrap": '{"only": true}',
        "dns": '{"zoneName": "byoc.example.com", "hostedZoneId": "Z0123456789ABCDEFGHIJ"}',
    }
    records = run_offline(raw).resources
    types = {r["type"] for r in records}
    assert "aws:cloudtrail/trail:Trail" in types and "aws:sns/topic:Topic" in types
    assert "aws:ec2/flowLog:FlowLog" not in types and "aws:s3/bucketLogging:BucketLogging" not in types
    policy = next(r for r in records if r["name"].endswith("audit-bucket-policy"))
    sids = {s["Sid"] for s in json.loads(policy["inputs"]["policy"])["Statement"]}
    assert not any(s.startswith(("S3ServerAccessLogs", "AWSLogDelivery")) for s in sids)
    from tools import policy_check

    assert not [r.line() for r in policy_check.run(records) if r.level == "mandatory" and r.checked]


def test_the_scoped_bootstrap_role_cannot_change_the_roles_the_alerts_use():
    from tests import iam_fixtures as fx

    documents = list(fx.policies(mode="full", iam_write=True).values())
    for role in ("vendor-access-forward", "vendor-access-webhook"):
        arn = f"arn:aws:iam::{ACCOUNT}:role/ClickHouse-cloud-dev-{role}"
        tagged = {"aws:ResourceTag/clickhouse-byoc/purpose": role, "aws:ResourceTag/clickhouse-byoc": "true"}
        for action in ("iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:DeleteRole"):
            assert decide(documents, action, arn, tagged) == DENY, (role, action)
