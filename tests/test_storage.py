"""Buckets and keys under the mocks: private, encrypted, TLS-only, versioned, protected."""

from __future__ import annotations

import json

import pytest

from components.keys import ByocKeys, ByocKeysArgs
from components.naming import Names
from components.storage import ByocBuckets, ByocBucketsArgs, tls_only_policy
from tests.conftest import run_offline

NAMES = Names("t", "123456789012")
NAME = "ClickHouse-cloud-t-storage"


def build(data_protection=True, cmek=False):
    def program():
        keys = ByocKeys("ClickHouse-cloud-t-keys", ByocKeysArgs(NAMES, "123456789012", cmek))
        ByocBuckets(NAME, ByocBucketsArgs(NAMES, data_protection, keys.data_key_arn))

    return run_offline(program=program)


@pytest.fixture(scope="module")
def protected():
    return build()


def _for(result, typ, purpose):
    return result.one(typ, f"{NAME}-{purpose}")


def test_bucket_names_tags_and_protection(protected):
    buckets = protected.by_type("aws:s3/bucket:Bucket")
    assert sorted(b["inputs"]["bucket"] for b in buckets) == [
        "clickhouse-cloud-t-backup-123456789012",
        "clickhouse-cloud-t-data-123456789012",
        "clickhouse-cloud-t-monitoring-123456789012",
    ]
    for b in buckets:
        assert b["protect"] is True and b["retainOnDelete"] is True
        assert b["inputs"]["forceDestroy"] is False
        assert b["inputs"]["tags"]["clickhouse-byoc/bucket-purpose"] in ("data", "backup", "monitoring")
        assert "clickhouse-byoc/data-protection" not in b["inputs"]["tags"]


def test_opt_out_makes_buckets_deletable_and_says_so():
    result = build(data_protection=False)
    for b in result.by_type("aws:s3/bucket:Bucket"):
        assert b["protect"] is False and b["retainOnDelete"] is False
        assert b["inputs"]["forceDestroy"] is True
        assert b["inputs"]["tags"]["clickhouse-byoc/data-protection"] == "disabled"


def test_public_access_blocked_and_owner_enforced(protected):
    for purpose in ("data", "backup", "monitoring"):
        block = protected.one(
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", f"{NAME}-{purpose}-public-access"
        )
        flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
        assert all(block["inputs"][f] is True for f in flags)
        assert block["inputs"]["bucket"] == f"clickhouse-cloud-t-{purpose}-123456789012"
        own = protected.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls", f"{NAME}-{purpose}-ownership")
        assert own["inputs"]["rule"]["objectOwnership"] == "BucketOwnerEnforced"


def test_default_encryption_sse_s3_or_customer_key(protected):
    enc = protected.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        f"{NAME}-data-encryption",
    )
    assert enc["inputs"]["rules"][0]["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    cmek = build(cmek=True)
    enc = cmek.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        f"{NAME}-data-encryption",
    )
    rule = enc["inputs"]["rules"][0]
    assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"
    assert rule["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"].startswith(
        "arn:aws:kms:us-west-2:123456789012:key/"
    )
    assert rule["bucketKeyEnabled"] is True
    (alias,) = [a for a in cmek.by_type("aws:kms/alias:Alias") if a["inputs"]["name"].endswith("-data")]
    assert alias["inputs"]["name"] == "alias/ClickHouse-cloud-t-data"


def test_tls_only_policy_denies_insecure_transport(protected):
    policy = json.loads(
        protected.one("aws:s3/bucketPolicy:BucketPolicy", f"{NAME}-backup-tls-only")["inputs"]["policy"]
    )
    assert policy == tls_only_policy("clickhouse-cloud-t-backup-123456789012")
    (stmt,) = policy["Statement"]
    assert stmt["Effect"] == "Deny" and stmt["Principal"] == "*"
    assert stmt["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert stmt["Resource"] == [
        "arn:aws:s3:::clickhouse-cloud-t-backup-123456789012",
        "arn:aws:s3:::clickhouse-cloud-t-backup-123456789012/*",
    ]


def test_versioning_and_noncurrent_expiry_on_data_and_backup_only(protected):
    versioned = {
        r["name"].removeprefix(f"{NAME}-") for r in protected.by_type("aws:s3/bucketVersioning:BucketVersioning")
    }
    assert versioned == {"data-versioning", "backup-versioning"}
    data = protected.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", f"{NAME}-data-lifecycle")
    rules = {r["id"]: r for r in data["inputs"]["rules"]}
    assert rules["expire-noncurrent-versions"]["noncurrentVersionExpiration"]["noncurrentDays"] == 30
    monitoring = protected.one(
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", f"{NAME}-monitoring-lifecycle"
    )
    assert [r["id"] for r in monitoring["inputs"]["rules"]] == ["abort-incomplete-multipart-uploads"]


def test_keys_rotate_and_are_aliased(protected):
    keys = protected.by_type("aws:kms/key:Key")
    assert len(keys) == 1  # the EKS secrets key; no data key without CMEK
    key = keys[0]["inputs"]
    assert key["enableKeyRotation"] is True and key["deletionWindowInDays"] == 30
    policy = json.loads(key["policy"])
    assert policy["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
    assert protected.by_type("aws:kms/alias:Alias")[0]["inputs"]["name"] == "alias/ClickHouse-cloud-t-secrets"
