"""S3 stack rules (policies/rules/s3.py). One compliant and one non-compliant record set per case."""

from __future__ import annotations

from typing import Any

import pytest

from policies import rules
from tests.policy_records import (
    TLS_ONLY,
    assert_case,
    bucket,
    bucket_policy,
    check_cases,
    encryption,
    public_access_block,
)

CASES: list[tuple[str, str, list[dict[str, Any]], list[dict[str, Any]], str]] = [
    ("s3-no-public-access", "block", [bucket(), public_access_block()], [bucket()], "has no public access block"),
    (
        "s3-no-public-access",
        "flag-off",
        [bucket(), public_access_block()],
        [bucket(), public_access_block(restrictPublicBuckets=False)],
        "leaves restrictPublicBuckets off",
    ),
    (
        "s3-no-public-access",
        "acl",
        [bucket(), public_access_block()],
        [bucket(acl="public-read"), public_access_block()],
        "public ACL 'public-read'",
    ),
    ("s3-encryption", "sse", [bucket(), encryption()], [bucket(), encryption("none")], "has no default encryption"),
    ("s3-encryption", "aes", [bucket(), encryption("AES256")], [bucket()], "has no default encryption"),
    (
        "s3-tls-only",
        "deny-http",
        [bucket(), bucket_policy(TLS_ONLY)],
        [bucket(), bucket_policy({**TLS_ONLY, "Effect": "Allow"})],
        "accepts plain HTTP",
    ),
    ("s3-tls-only", "no-policy", [bucket(), bucket_policy(TLS_ONLY)], [bucket()], "accepts plain HTTP"),
    ("s3-data-retained", "protect", [bucket()], [bucket(protect=False)], "is not protected"),
    ("s3-data-retained", "retain", [bucket()], [bucket(retain=False)], "set retain_on_delete=True"),
    (
        "s3-data-retained",
        "force-destroy",
        [bucket(purpose="backup")],
        [bucket(purpose="backup", forceDestroy=True)],
        "has forceDestroy",
    ),
    (
        "s3-data-retained",
        "opt-out",
        [
            bucket(protect=False, retain=False, tags={rules.DATA_PROTECTION_TAG: "disabled"}),
            bucket(purpose="monitoring", protect=False, retain=False),
        ],
        [bucket(protect=False, retain=False, tags={rules.DATA_PROTECTION_TAG: "enabled"})],
        "is not protected",
    ),
]


@pytest.mark.parametrize(("rule", "good", "bad", "fragment"), check_cases(CASES))
def test_rule_passes_compliant_and_flags_non_compliant_records(rule, good, bad, fragment):
    assert_case(rule, good, bad, fragment)
