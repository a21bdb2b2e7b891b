"""Audit: the log bucket, the audit key and the trail (the customer's alerts when the vendor assumes one
of its roles: components/vendor_alerts.py).

`AuditLog`: the log bucket the program owns (`clickhouse-cloud-<id>-audit-logs-<account>`): private,
  TLS only, versioned, SSE-S3 (S3 server access logging delivers only into SSE-S3 buckets), protected
  and retained like the data buckets, every log expiring after its configured days. Its policy lets
  exactly the configured writers in, each under its own prefix and tied to its source by
  `aws:SourceAccount`/`aws:SourceArn`: S3 server access logging (`s3-access/<bucket>/`), VPC flow
  logs through the log delivery service (`vpc-flow-logs/`), and the trail (`cloudtrail/`); it denies
  the vendor's roles everything. The audit KMS key (rotated, retained) encrypts the trail's log files
  and the alert topic. The trail (`audit.trail.mode: create`) is multi-Region with global service
  events and log file validation: EventBridge receives CloudTrail's API events only from a Region
  where a trail logs.
The documents (bucket policy, lifecycle, key policy) are plain functions.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.naming import BUCKET_PURPOSE_TAG, Names
from components.storage import (
    ABORT_MULTIPART_DAYS,
    ACCESS_LOG_PREFIX,
    DATA_PROTECTION_TAG,
    NONCURRENT_VERSION_DAYS,
    PURPOSES,
    access_log_prefix,
    bucket_arn,
)

LOGS_TYPE = "clickhouse-byoc:audit:AuditLog"

LOG_BUCKET_PURPOSE = "audit-logs"
FLOW_LOG_PREFIX = "vpc-flow-logs/"
TRAIL_PREFIX = "cloudtrail"
# The vendor's roles (components/iam.py): the bootstrap role is named by `bootstrap.roleName`.
VENDOR_ROLE_SUFFIXES = ("data-plane-mgmt", "troubleshooting")


# -- the log bucket -------------------------------------------------------------------------------


def flow_log_destination(log_bucket: str) -> str:
    """The flow log's S3 destination: the log bucket's folder (files land under `.../AWSLogs/<account>/`)."""
    return f"{bucket_arn(log_bucket)}/{FLOW_LOG_PREFIX}"


def vendor_role_arns(account_id: str, names: Names, bootstrap_role_name: str) -> tuple[str, ...]:
    """The roles the vendor assumes: the bootstrap role, data-plane-mgmt and troubleshooting (whether
    or not the troubleshooting window is open, so opening it changes no rule)."""
    roles = (bootstrap_role_name, *(names.aws(s) for s in VENDOR_ROLE_SUFFIXES))
    return tuple(f"arn:aws:iam::{account_id}:role/{role}" for role in roles)


def trail_arn(region: str, account_id: str, trail: str) -> str:
    return f"arn:aws:cloudtrail:{region}:{account_id}:trail/{trail}"


def log_bucket_policy(
    bucket: str,
    account_id: str,
    region: str,
    *,
    access_log_sources: Mapping[str, str],
    flow_logs: bool,
    trail: str | None,
    vendor_roles: Sequence[str],
) -> dict:
    """TLS only; the vendor's roles denied; each configured log writer allowed under its own prefix.

    `access_log_sources`: purpose -> source bucket. The statements are AWS's own (S3 user guide,
    "Enabling Amazon S3 server access logging"; VPC user guide, "Publish flow logs to Amazon S3";
    CloudTrail user guide, "Amazon S3 bucket policy for CloudTrail"), each with `aws:SourceAccount`
    or `aws:SourceArn` against the confused deputy.
    """
    arn = bucket_arn(bucket)
    statements: list[dict] = [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [arn, f"{arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            # The record of the vendor's actions is out of the vendor's reach, whatever its IAM grants.
            "Sid": "DenyTheVendorRoles",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [arn, f"{arn}/*"],
            "Condition": {"ArnLike": {"aws:PrincipalArn": sorted(vendor_roles)}},
        },
    ]
    for purpose, source in sorted(access_log_sources.items()):
        statements.append(
            {
                "Sid": f"S3ServerAccessLogs{purpose.capitalize()}",
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"{arn}/{access_log_prefix(purpose)}*",
                "Condition": {
                    "ArnLike": {"aws:SourceArn": bucket_arn(source)},
                    "StringEquals": {"aws:SourceAccount": account_id},
                },
            }
        )
    delivery = {
        "StringEquals": {"aws:SourceAccount": account_id},
        "ArnLike": {"aws:SourceArn": f"arn:aws:logs:{region}:{account_id}:*"},
    }
    if flow_logs:
        statements += [
            {
                "Sid": "AWSLogDeliveryWrite",
                "Effect": "Allow",
                "Principal": {"Service": "delivery.logs.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"{arn}/{FLOW_LOG_PREFIX}AWSLogs/{account_id}/*",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account_id, "s3:x-amz-acl": "bucket-owner-full-control"},
                    "ArnLike": delivery["ArnLike"],
                },
            },
            {
                "Sid": "AWSLogDeliveryAclCheck",
                "Effect": "Allow",
                "Principal": {"Service": "delivery.logs.amazonaws.com"},
                "Action": ["s3:GetBucketAcl", "s3:ListBucket"],
                "Resource": arn,
                "Condition": delivery,
            },
        ]
    if trail is not None:
        source = {"aws:SourceArn": trail_arn(region, account_id, trail)}
        statements += [
            {
                "Sid": "AWSCloudTrailAclCheck",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:GetBucketAcl",
                "Resource": arn,
                "Condition": {"StringEquals": source},
            },
            {
                "Sid": "AWSCloudTrailWrite",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"{arn}/{TRAIL_PREFIX}/AWSLogs/{account_id}/*",
                "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", **source}},
            },
        ]
    return {"Version": "2012-10-17", "Statement": statements}


def log_lifecycle_rules(log_days: int, flow_log_days: int) -> list[dict]:
    """Every log expires after its days; versions a deletion leaves behind go after the usual 30."""
    expiring = (
        ("expire-access-logs", ACCESS_LOG_PREFIX, log_days),
        ("expire-flow-logs", FLOW_LOG_PREFIX, flow_log_days),
        ("expire-trail-logs", f"{TRAIL_PREFIX}/", log_days),
    )
    rules: list[dict] = [
        {
            "id": "abort-incomplete-multipart-uploads",
            "status": "Enabled",
            "filter": {},
            "abort_incomplete_multipart_upload": {"days_after_initiation": ABORT_MULTIPART_DAYS},
        }
    ]
    rules += [
        {"id": rule_id, "status": "Enabled", "filter": {"prefix": prefix}, "expiration": {"days": days}}
        for rule_id, prefix, days in expiring
    ]
    rules += [
        {
            "id": "expire-noncurrent-versions",
            "status": "Enabled",
            "filter": {},
            "noncurrent_version_expiration": {"noncurrent_days": NONCURRENT_VERSION_DAYS},
        },
        {
            "id": "remove-expired-delete-markers",
            "status": "Enabled",
            "filter": {},
            "expiration": {"expired_object_delete_marker": True},
        },
    ]
    return rules


def audit_key_policy(
    account_id: str, region: str, *, trail: str | None, alert_rule_arn: str | None, vendor_roles: Sequence[str]
) -> dict:
    """The account administers the key through IAM; CloudTrail encrypts the trail's files and
    EventBridge the alert topic's messages, each for its own source only (CloudTrail user guide,
    "Configure AWS KMS key policies for CloudTrail"; SNS developer guide, "Enable compatibility between
    event sources from AWS services and encrypted topics"); the vendor's roles may do nothing with it."""
    statements: list[dict] = [
        {
            "Sid": "AccountAdministersTheKeyThroughIam",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
            "Action": "kms:*",
            "Resource": "*",
        },
        {
            "Sid": "DenyTheVendorRoles",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "kms:*",
            "Resource": "*",
            "Condition": {"ArnLike": {"aws:PrincipalArn": sorted(vendor_roles)}},
        },
    ]
    if trail is not None:
        source = {"aws:SourceArn": trail_arn(region, account_id, trail)}
        statements += [
            {
                "Sid": "CloudTrailEncryptsTheTrailLogs",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:GenerateDataKey*",
                "Resource": "*",
                "Condition": {
                    "StringLike": {
                        "kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{account_id}:trail/*"
                    },
                    "StringEquals": source,
                },
            },
            {
                "Sid": "CloudTrailDescribesTheKey",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:DescribeKey",
                "Resource": "*",
                "Condition": {"StringEquals": source},
            },
        ]
    if alert_rule_arn is not None:
        statements.append(
            {
                "Sid": "EventBridgePublishesToTheAlertTopic",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "ArnLike": {"aws:SourceArn": alert_rule_arn},
                },
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


# -- components -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditSpec:
    """What the deployment records for audit (key `audit`; parsed and validated by
    components/settings/audit.py)."""

    flow_logs: bool
    """VPC flow logs of all traffic into the log bucket (`audit.flowLogs.enabled`)."""
    flow_log_retention_days: int
    """Days the log bucket keeps flow logs (`audit.flowLogs.retentionDays`, default logRetentionDays)."""
    access_logs: bool
    """S3 server access logs of the data, backup and monitoring buckets (`audit.accessLogs.enabled`)."""
    log_retention_days: int
    """Days the log bucket keeps access logs and the trail's logs (`audit.logRetentionDays`)."""
    trail_mode: str
    """`create` a multi-Region trail into the log bucket, `reuse` the account's, or `none`."""
    trail_name: str | None
    """With `reuse`: the existing trail's name or ARN."""

    @property
    def log_bucket(self) -> bool:
        """Whether anything writes into the program's log bucket."""
        return self.flow_logs or self.access_logs or self.trail_mode == "create"


@dataclass(frozen=True)
class AuditLogArgs:
    """Inputs of the log bucket, the audit key and the trail."""

    names: Names
    """Naming for the deployment."""
    account_id: str
    """The customer account."""
    region: str
    """The stack's Region: the bucket's, the key's and the trail's home."""
    vendor_roles: tuple[str, ...]
    """ARNs of the vendor's roles, denied the bucket and the key."""
    spec: AuditSpec
    """What to record, and for how long."""
    cluster: bool = True
    """The stack builds the VPC and the buckets; false (a bootstrap-only stack): no flow or access logs."""
    alert_rule_arn: str | None = None
    """The stack Region's vendor-access rule, allowed to use the key for the topic; None: no alerts."""
    data_protection: bool = True
    """Protect the bucket and key; retain the bucket (the key is always retained)."""

    @property
    def flow_logs(self) -> bool:
        """Let VPC flow log delivery write (`vpc-flow-logs/`)."""
        return self.spec.flow_logs and self.cluster

    @property
    def access_logs(self) -> bool:
        """Let S3 server access logging write (`s3-access/<bucket>/`)."""
        return self.spec.access_logs and self.cluster

    @property
    def access_log_sources(self) -> dict[str, str]:
        """purpose -> bucket whose server access logs the log bucket receives."""
        return {purpose: self.names.bucket(purpose) for purpose in PURPOSES} if self.access_logs else {}

    @property
    def trail(self) -> bool:
        """Create the multi-Region trail (`cloudtrail/`)."""
        return self.spec.trail_mode == "create"

    @property
    def key(self) -> bool:
        """Create the audit KMS key (the trail or the alert topic uses it)."""
        return self.trail or self.alert_rule_arn is not None

    @property
    def bucket(self) -> bool:
        """Create the log bucket (something writes into it)."""
        return self.flow_logs or self.access_logs or self.trail

    @property
    def needed(self) -> bool:
        """Whether the layer creates anything at all."""
        return self.bucket or self.key


class AuditLog(pulumi.ComponentResource):
    """The log bucket, the audit key and the trail."""

    bucket_name: pulumi.Output[str] | None
    """The log bucket's name, resolved once its policy is in place (writers depend on it)."""
    key_arn: pulumi.Output[str] | None
    trail_arn: pulumi.Output[str] | None

    def __init__(self, name: str, args: AuditLogArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(LOGS_TYPE, name, None, opts)
        names, keep = args.names, args.data_protection
        trail_name = names.aws("trail") if args.trail else None
        self.bucket_name = self.key_arn = self.trail_arn = None

        if args.key:
            key = aws.kms.Key(
                f"{name}-key",
                description=f"{names.aws('audit')}: the trail's log files and the vendor access alert topic",
                enable_key_rotation=True,
                deletion_window_in_days=30,
                policy=json.dumps(
                    audit_key_policy(
                        args.account_id,
                        args.region,
                        trail=trail_name,
                        alert_rule_arn=args.alert_rule_arn,
                        vendor_roles=args.vendor_roles,
                    )
                ),
                tags={"Name": names.aws("audit")},
                opts=pulumi.ResourceOptions(parent=self, protect=keep, retain_on_delete=True),
            )
            aws.kms.Alias(
                f"{name}-key-alias",
                name=f"alias/{names.aws('audit')}",
                target_key_id=key.key_id,
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.key_arn = key.arn

        if args.bucket:
            bucket_name = names.bucket(LOG_BUCKET_PURPOSE)
            tags = {"Name": bucket_name, BUCKET_PURPOSE_TAG: LOG_BUCKET_PURPOSE}
            if not keep:
                tags[DATA_PROTECTION_TAG] = "disabled"
            bucket = aws.s3.Bucket(
                f"{name}-bucket",
                bucket=bucket_name,
                force_destroy=not keep,
                tags=tags,
                opts=pulumi.ResourceOptions(parent=self, protect=keep, retain_on_delete=keep),
            )
            on_bucket = pulumi.ResourceOptions(parent=self, depends_on=[bucket])
            block = aws.s3.BucketPublicAccessBlock(
                f"{name}-bucket-public-access",
                bucket=bucket.id,
                block_public_acls=True,
                block_public_policy=True,
                ignore_public_acls=True,
                restrict_public_buckets=True,
                opts=on_bucket,
            )
            aws.s3.BucketOwnershipControls(
                f"{name}-bucket-ownership",
                bucket=bucket.id,
                rule={"object_ownership": "BucketOwnerEnforced"},
                opts=on_bucket,
            )
            # Server access logging delivers only into buckets whose default encryption is SSE-S3.
            aws.s3.BucketServerSideEncryptionConfiguration(
                f"{name}-bucket-encryption",
                bucket=bucket.id,
                rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
                opts=on_bucket,
            )
            aws.s3.BucketVersioning(
                f"{name}-bucket-versioning",
                bucket=bucket.id,
                versioning_configuration={"status": "Enabled"},
                opts=on_bucket,
            )
            aws.s3.BucketLifecycleConfiguration(
                f"{name}-bucket-lifecycle",
                bucket=bucket.id,
                rules=log_lifecycle_rules(args.spec.log_retention_days, args.spec.flow_log_retention_days),
                opts=on_bucket,
            )
            policy = aws.s3.BucketPolicy(
                f"{name}-bucket-policy",
                bucket=bucket.id,
                policy=json.dumps(
                    log_bucket_policy(
                        bucket_name,
                        args.account_id,
                        args.region,
                        access_log_sources=args.access_log_sources,
                        flow_logs=args.flow_logs,
                        trail=trail_name,
                        vendor_roles=args.vendor_roles,
                    )
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[bucket, block]),
            )
            # Read through the policy: whoever writes logs here waits until it is allowed to (a
            # flow log created first would make the log delivery service write its own policy).
            self.bucket_name = policy.bucket

            if trail_name is not None:
                trail = aws.cloudtrail.Trail(
                    f"{name}-trail",
                    name=trail_name,
                    s3_bucket_name=self.bucket_name,
                    s3_key_prefix=TRAIL_PREFIX,
                    is_multi_region_trail=True,
                    include_global_service_events=True,
                    enable_log_file_validation=True,
                    enable_logging=True,
                    kms_key_id=self.key_arn,
                    tags={"Name": trail_name},
                    opts=pulumi.ResourceOptions(parent=self),
                )
                self.trail_arn = trail.arn
        self.register_outputs({"bucket_name": self.bucket_name, "key_arn": self.key_arn, "trail_arn": self.trail_arn})
