"""The data, backup and monitoring S3 buckets: private, encrypted, TLS-only, retained.

Each bucket blocks all public access, enforces bucket-owner object ownership, encrypts by default
(SSE-S3, or SSE-KMS with the customer key), denies any request not made over TLS, and is created
with `protect` and `retain_on_delete` so `pulumi destroy` never deletes customer data unless the
stack sets `dataProtection: false`. Data and backup buckets are versioned; noncurrent versions
expire after a while so deleted data does not cost forever. With `audit.accessLogs` each bucket's
S3 server access logs go to the audit log bucket (components/audit.py), under `s3-access/<purpose>/`:
a separate `BucketLogging` resource, so turning it on or off never touches the bucket itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.naming import BUCKET_PURPOSE_TAG, Names

TYPE = "clickhouse-byoc:storage:ByocBuckets"
PURPOSES = ("data", "backup", "monitoring")
VERSIONED = ("data", "backup")
NONCURRENT_VERSION_DAYS = 30
ABORT_MULTIPART_DAYS = 7
DATA_PROTECTION_TAG = "clickhouse-byoc/data-protection"
ACCESS_LOG_PREFIX = "s3-access/"


def access_log_prefix(purpose: str) -> str:
    """Where one bucket's server access logs go in the audit log bucket."""
    return f"{ACCESS_LOG_PREFIX}{purpose}/"


def bucket_arn(bucket: str) -> str:
    return f"arn:aws:s3:::{bucket}"


def tls_only_policy(bucket: str) -> dict:
    """Denies every request to the bucket or its objects that is not made over TLS."""
    arn = bucket_arn(bucket)
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [arn, f"{arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }


def encryption_rule(kms_key_arn: pulumi.Input[str] | None) -> dict:
    """Default encryption: SSE-KMS with the customer key (bucket keys cut KMS calls), else SSE-S3."""
    if kms_key_arn is None:
        return {"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}
    return {
        "apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms", "kms_master_key_id": kms_key_arn},
        "bucket_key_enabled": True,
    }


def lifecycle_rules(purpose: str, backup_expiry_days: dict[str, int] | None = None) -> list[dict]:
    """The bucket's lifecycle; the backup bucket expires each service's backups under its own prefix
    (components/backup.py decides how long, so no incremental outlives its full base)."""
    rules: list[dict] = [
        {
            "id": "abort-incomplete-multipart-uploads",
            "status": "Enabled",
            "filter": {},
            "abort_incomplete_multipart_upload": {"days_after_initiation": ABORT_MULTIPART_DAYS},
        }
    ]
    if purpose in VERSIONED:
        rules.append(
            {
                "id": "expire-noncurrent-versions",
                "status": "Enabled",
                "filter": {},
                "noncurrent_version_expiration": {"noncurrent_days": NONCURRENT_VERSION_DAYS},
            }
        )
    if purpose == "backup":
        for service, days in sorted((backup_expiry_days or {}).items()):
            rules.append(
                {
                    "id": f"expire-backups-{service}",
                    "status": "Enabled",
                    "filter": {"prefix": f"{service}/"},
                    "expiration": {"days": days},
                }
            )
        # Once their noncurrent versions are gone, the delete markers expiry left behind go too.
        rules.append(
            {
                "id": "remove-expired-delete-markers",
                "status": "Enabled",
                "filter": {},
                "expiration": {"expired_object_delete_marker": True},
            }
        )
    return rules


@dataclass(frozen=True)
class ByocBucketsArgs:
    """Inputs of the storage layer."""

    names: Names
    """Naming for the deployment (lowercase, account-unique bucket names)."""
    data_protection: bool
    """Protect and retain the buckets (true), or let destroy delete them with their data (false)."""
    kms_key_arn: pulumi.Input[str] | None = None
    """The customer-managed key for SSE-KMS; None uses SSE-S3."""
    backup_expiry_days: dict[str, int] | None = None
    """Per service: days its backups stay current in the backup bucket (components.backup.lifecycle_days)."""
    access_log_bucket: pulumi.Input[str] | None = None
    """The audit log bucket receiving the buckets' server access logs; None: no access logging."""


class ByocBuckets(pulumi.ComponentResource):
    """The deployment's three buckets."""

    bucket_names: dict[str, str]
    bucket_arns: dict[str, str]

    def __init__(self, name: str, args: ByocBucketsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE, name, None, opts)
        self.bucket_names = {p: args.names.bucket(p) for p in PURPOSES}
        self.bucket_arns = {p: bucket_arn(b) for p, b in self.bucket_names.items()}
        keep = args.data_protection
        for purpose, bucket_name in self.bucket_names.items():
            tags = {"Name": bucket_name, BUCKET_PURPOSE_TAG: purpose}
            if not keep:
                tags[DATA_PROTECTION_TAG] = "disabled"
            bucket = aws.s3.Bucket(
                f"{name}-{purpose}",
                bucket=bucket_name,
                # Only an explicit opt-out lets destroy empty the bucket; otherwise a non-empty
                # bucket can never be deleted by this program.
                force_destroy=not keep,
                tags=tags,
                opts=pulumi.ResourceOptions(parent=self, protect=keep, retain_on_delete=keep),
            )
            on_bucket = pulumi.ResourceOptions(parent=self, depends_on=[bucket])
            block = aws.s3.BucketPublicAccessBlock(
                f"{name}-{purpose}-public-access",
                bucket=bucket.id,
                block_public_acls=True,
                block_public_policy=True,
                ignore_public_acls=True,
                restrict_public_buckets=True,
                opts=on_bucket,
            )
            aws.s3.BucketOwnershipControls(
                f"{name}-{purpose}-ownership",
                bucket=bucket.id,
                rule={"object_ownership": "BucketOwnerEnforced"},
                opts=on_bucket,
            )
            aws.s3.BucketServerSideEncryptionConfiguration(
                f"{name}-{purpose}-encryption",
                bucket=bucket.id,
                rules=[encryption_rule(args.kms_key_arn)],
                opts=on_bucket,
            )
            # After the public access block, so the policy can never be applied to an open bucket.
            aws.s3.BucketPolicy(
                f"{name}-{purpose}-tls-only",
                bucket=bucket.id,
                policy=json.dumps(tls_only_policy(bucket_name)),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[bucket, block]),
            )
            if purpose in VERSIONED:
                aws.s3.BucketVersioning(
                    f"{name}-{purpose}-versioning",
                    bucket=bucket.id,
                    versioning_configuration={"status": "Enabled"},
                    opts=on_bucket,
                )
            aws.s3.BucketLifecycleConfiguration(
                f"{name}-{purpose}-lifecycle",
                bucket=bucket.id,
                rules=lifecycle_rules(purpose, args.backup_expiry_days),
                opts=on_bucket,
            )
            if args.access_log_bucket is not None:
                # Date-partitioned keys (`<prefix><account>/<region>/<bucket>/YYYY/MM/DD/...`) keep a
                # day's logs together for Athena and for the lifecycle's expiry.
                aws.s3.BucketLogging(
                    f"{name}-{purpose}-access-logs",
                    bucket=bucket.id,
                    target_bucket=args.access_log_bucket,
                    target_prefix=access_log_prefix(purpose),
                    target_object_key_format={"partitioned_prefix": {"partition_date_source": "EventTime"}},
                    opts=on_bucket,
                )
        self.register_outputs({"bucket_names": self.bucket_names, "bucket_arns": self.bucket_arns})
