"""S3, as stack rules (a bucket and the resources that configure it): no public access, encryption,
TLS only, data retained.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from .core import (
    DATA_PROTECTION_TAG,
    PURPOSE_TAG,
    CannotRead,
    Finding,
    action_matches,
    as_list,
    document,
    get,
    guarded,
    rule,
    statements,
    tags_of,
)

# -- S3 (stack rules: a bucket and the resources that configure it) --------------------------------

_BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
_PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
_ACCOUNT_PUBLIC_ACCESS_BLOCK = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"
_SSE = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
_BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
_BUCKET_ACLS = ("aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2")
_PAB_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
_PUBLIC_ACLS = ("public-read", "public-read-write", "authenticated-read")
SSE_ALGORITHMS = ("AES256", "aws:kms", "aws:kms:dsse")


def bucket_name(r: Any) -> str:
    return get(r.props, "bucket") or r.name


def configures(child: Any, bucket: Any) -> bool:
    """Whether `child` configures `bucket`: its `bucket` input names it, or (unknown in a preview)
    the input depends on it."""
    deps = getattr(child, "property_dependencies", {}) or {}
    if any(getattr(d, "urn", None) == bucket.urn for d in deps.get("bucket", [])):
        return True
    try:
        value = get(child.props, "bucket")
    except (UnknownValueError, CannotRead):
        return any(getattr(d, "urn", None) == bucket.urn for d in getattr(child, "dependencies", []) or [])
    return value is not None and value == bucket_name(bucket)


def for_each_bucket(
    resources: list[Any], check: Callable[[Any, list[Any]], Iterable[str]], types: Sequence[str]
) -> Iterator[Finding]:
    """Runs `check(bucket, configuring resources of `types`)` for every bucket of the stack."""
    others = [r for r in resources if r.resource_type in types]
    for bucket in (r for r in resources if r.resource_type in _BUCKETS):
        yield from guarded(bucket, lambda b=bucket: check(b, [o for o in others if configures(o, b)]))


@rule(
    "s3-no-public-access",
    scope="stack",
    description="Every bucket has a public access block with all four settings on, and no public ACL.",
    fix="Create an aws.s3.BucketPublicAccessBlock for the bucket with blockPublicAcls, blockPublicPolicy, "
    "ignorePublicAcls and restrictPublicBuckets all true; drop public ACLs.",
)
def s3_no_public_access(resources: list[Any], config: Mapping[str, Any]) -> Iterator[Finding]:
    account_blocks = [
        r
        for r in resources
        if r.resource_type == _ACCOUNT_PUBLIC_ACCESS_BLOCK and all(get(r.props, f) is True for f in _PAB_FLAGS)
    ]

    def check(bucket: Any, linked: list[Any]) -> Iterator[str]:
        acl = get(bucket.props, "acl")
        acls = [acl] + [get(o.props, "acl") for o in linked if o.resource_type in _BUCKET_ACLS]
        for value in acls:
            if value in _PUBLIC_ACLS:
                yield f"bucket {bucket_name(bucket)!r} has the public ACL {value!r}: use the default private ACL"
        if account_blocks:
            return
        blocks = [o for o in linked if o.resource_type == _PUBLIC_ACCESS_BLOCK]
        if not blocks:
            yield (
                f"bucket {bucket_name(bucket)!r} has no public access block: create an "
                f"aws.s3.BucketPublicAccessBlock with all four settings true"
            )
        for block in blocks:
            off = [f for f in _PAB_FLAGS if get(block.props, f) is not True]
            if off:
                yield f"the public access block of {bucket_name(bucket)!r} leaves {', '.join(off)} off: set them true"

    yield from for_each_bucket(resources, check, (_PUBLIC_ACCESS_BLOCK, *_BUCKET_ACLS))


@rule(
    "s3-encryption",
    scope="stack",
    description="Every bucket has default server-side encryption (AES256 or aws:kms).",
    fix="Create an aws.s3.BucketServerSideEncryptionConfiguration for the bucket with "
    "applyServerSideEncryptionByDefault.sseAlgorithm 'aws:kms' (or 'AES256').",
)
def s3_encryption(resources: list[Any], config: Mapping[str, Any]) -> Iterator[Finding]:
    def check(bucket: Any, linked: list[Any]) -> Iterator[str]:
        rules = [rule for o in linked for rule in as_list(get(o.props, "rules"))]
        rules += as_list(get(bucket.props, "serverSideEncryptionConfiguration", "rule"))
        algorithms = [get(r, "applyServerSideEncryptionByDefault", "sseAlgorithm") for r in rules]
        if not any(a in SSE_ALGORITHMS for a in algorithms):
            yield (
                f"bucket {bucket_name(bucket)!r} has no default encryption: create an "
                f"aws.s3.BucketServerSideEncryptionConfiguration with sseAlgorithm 'aws:kms' or 'AES256'"
            )

    yield from for_each_bucket(resources, check, _SSE)


def denies_insecure_transport(doc: Mapping[str, Any] | None) -> bool:
    for _, st in statements(doc):
        if st.get("Effect") != "Deny":
            continue
        principal = st.get("Principal")
        everyone = principal == "*" or (isinstance(principal, Mapping) and "*" in as_list(principal.get("AWS")))
        if not everyone or not action_matches(as_list(st.get("Action")), "s3:GetObject"):
            continue
        bool_block = get(st, "Condition", "Bool", default={})
        values = [str(v).lower() for v in as_list(get(bool_block, "aws:SecureTransport"))]
        if values == ["false"]:
            return True
    return False


@rule(
    "s3-tls-only",
    scope="stack",
    description="Every bucket's policy denies requests that do not use TLS (aws:SecureTransport = false).",
    fix="Attach an aws.s3.BucketPolicy with a Deny of s3:* to Principal '*' on the bucket and its objects "
    "when Bool aws:SecureTransport is 'false'.",
)
def s3_tls_only(resources: list[Any], config: Mapping[str, Any]) -> Iterator[Finding]:
    def check(bucket: Any, linked: list[Any]) -> Iterator[str]:
        docs = [document(get(o.props, "policy"), "policy") for o in linked]
        docs.append(document(get(bucket.props, "policy"), "policy"))
        if not any(denies_insecure_transport(d) for d in docs):
            yield (
                f"bucket {bucket_name(bucket)!r} accepts plain HTTP: attach a bucket policy that denies s3:* "
                f"to '*' when aws:SecureTransport is 'false'"
            )

    yield from for_each_bucket(resources, check, (_BUCKET_POLICY,))


@rule(
    "s3-data-retained",
    description=(
        "Data and backup buckets are protected and retained on delete (and not force-destroyed), unless "
        "the stack opted out of data protection."
    ),
    fix="Create data/backup buckets with ResourceOptions(protect=True, retain_on_delete=True) and "
    "force_destroy False; opting out is explicit config, which tags the bucket "
    "clickhouse-byoc/data-protection=disabled.",
)
def s3_data_retained(r: Any, config: Mapping[str, Any]) -> Iterator[str]:
    if r.resource_type not in _BUCKETS:
        return
    tags = tags_of(r)
    if tags.get(PURPOSE_TAG) not in ("data", "backup") or tags.get(DATA_PROTECTION_TAG) == "disabled":
        return
    name = bucket_name(r)
    if not r.opts.protect:
        yield f"{tags.get(PURPOSE_TAG)} bucket {name!r} is not protected: create it with protect=True"
    # pulumi-policy 1.21 does not pass retainOnDelete to packs; the offline runner does.
    if getattr(r.opts, "retain_on_delete", True) is not True:
        yield f"{tags.get(PURPOSE_TAG)} bucket {name!r} would be deleted with the stack: set retain_on_delete=True"
    if get(r.props, "forceDestroy") is True:
        yield f"{tags.get(PURPOSE_TAG)} bucket {name!r} has forceDestroy: a delete erases its objects; set it false"
