"""IAM rules (policies/rules/iam.py). One compliant and one non-compliant record set per case."""

from __future__ import annotations

from typing import Any

import pytest

from tests.policy_records import (
    ACCOUNT,
    VENDOR,
    allow,
    assert_case,
    check_cases,
    doc,
    irsa_trust,
    record,
    role,
    role_policy,
    vendor_trust,
)

BOUNDARY_ARN = f"arn:aws:iam::{ACCOUNT}:policy/ClickHouse-cloud-t-boundary"
VENDOR_PROFILE = {"clickhouse-byoc/purpose": "management", "clickhouse-byoc/bootstrap-profile": "clickhouse-cloud"}


def managed(name: str, *statements: dict[str, Any], tags: dict[str, str] | None = None) -> dict[str, Any]:
    return record("aws:iam/policy:Policy", name, {"name": name, "policy": doc(*statements), "tags": tags or {}})


def attachment(policy: str) -> dict[str, Any]:
    arn = f"arn:aws:iam::{ACCOUNT}:policy/{policy}"
    return record("aws:iam/rolePolicyAttachment:RolePolicyAttachment", f"{policy}-att", {"role": "r", "policyArn": arn})


CASES: list[tuple[str, str, list[dict[str, Any]], list[dict[str, Any]], str]] = [
    # The boundary is recognized by what it is (mode revoked references it from nowhere), unless attached.
    (
        "iam-no-admin-wildcards",
        "declared-boundary",
        [
            managed(
                "ClickHouse-cloud-t-boundary",
                allow("elasticloadbalancing:*"),
                tags={"clickhouse-byoc/purpose": "boundary"},
            )
        ],
        [
            managed(
                "ClickHouse-cloud-t-boundary",
                allow("elasticloadbalancing:*"),
                tags={"clickhouse-byoc/purpose": "boundary"},
            ),
            attachment("ClickHouse-cloud-t-boundary"),
        ],
        "allows elasticloadbalancing:* on '*'",
    ),
    # The clickhouse-cloud profile opts the bootstrap role's policies out of the boundary requirement, and only them.
    (
        "iam-permissions-boundary",
        "vendor-profile",
        [
            managed(
                "ClickHouse-cloud-t-management-iam-write",
                allow("iam:CreateRole", "arn:aws:iam::*:role/*"),
                tags=VENDOR_PROFILE,
            )
        ],
        [
            managed(
                "ClickHouse-cloud-t-management-iam-write",
                allow("iam:CreateRole", "arn:aws:iam::*:role/*"),
                tags={**VENDOR_PROFILE, "clickhouse-byoc/purpose": "thanos"},
            )
        ],
        "without an iam:PermissionsBoundary condition",
    ),
    (
        "iam-no-admin-wildcards",
        "star",
        [role_policy(allow("eks:DescribeCluster", "arn:aws:eks:us-west-2:1:cluster/ClickHouse-cloud-*"))],
        [role_policy(allow("*"))],
        "allows * on '*'",
    ),
    (
        "iam-no-admin-wildcards",
        "service-star",
        [role_policy(allow("ec2:Describe*"))],
        [role_policy(allow(["route53:*", "ec2:Describe*"]))],
        "allows route53:* on '*'",
    ),
    (
        "iam-no-admin-wildcards",
        "passrole",
        [role_policy(allow("iam:PassRole", "arn:aws:iam::1:role/ClickHouse-cloud-t-*"))],
        [role_policy(allow("iam:PassRole"))],
        "iam:PassRole on '*'",
    ),
    (
        "iam-no-admin-wildcards",
        "not-action",
        [role_policy(allow("s3:ListAllMyBuckets"))],
        [role_policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})],
        "allows everything but",
    ),
    (
        "iam-no-admin-wildcards",
        "managed-admin",
        [
            record(
                "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                "a",
                {"role": "r", "policyArn": "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"},
            )
        ],
        [
            record(
                "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                "a",
                {"role": "r", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
            )
        ],
        "AdministratorAccess",
    ),
    (
        "iam-no-admin-wildcards",
        "inline-on-role",
        [role(inlinePolicies=[{"name": "p", "policy": doc(allow("sqs:SendMessage", "arn:aws:sqs:us-west-2:1:q"))}])],
        [role(inlinePolicies=[{"name": "p", "policy": doc(allow("sqs:*"))}])],
        "inlinePolicies[0] p statement 0 allows sqs:*",
    ),
    (
        "iam-irsa-trust-scoped",
        "sub-wildcard",
        [role()],
        [role(trust=irsa_trust(sub="system:serviceaccount:external-dns:*", op="StringLike"))],
        "does not pin the service account",
    ),
    (
        "iam-irsa-trust-scoped",
        "aud-missing",
        [role()],
        [role(trust=irsa_trust(aud=False))],
        "does not pin the audience",
    ),
    (
        "iam-external-id",
        "vendor",
        [role(name="ClickHouse-cloud-t-management", trust=vendor_trust())],
        [role(name="ClickHouse-cloud-t-management", trust=vendor_trust(external_id=None))],
        f"account(s) {VENDOR}",
    ),
    (
        "iam-external-id",
        "own-account-needs-none",
        [role(name="ClickHouse-cloud-t-x", trust=vendor_trust(account=ACCOUNT, external_id=None))],
        [role(name="ClickHouse-cloud-t-x", trust=vendor_trust(external_id="*"))],
        "without sts:ExternalId",
    ),
    (
        "iam-permissions-boundary",
        "create-role",
        [
            role_policy(
                allow(
                    "iam:CreateRole",
                    "arn:aws:iam::1:role/ClickHouse-cloud-*",
                    Condition={
                        "StringEquals": {"iam:PermissionsBoundary": "arn:aws:iam::1:policy/ClickHouse-cloud-t-boundary"}
                    },
                )
            )
        ],
        [role_policy(allow("iam:CreateRole", "arn:aws:iam::1:role/ClickHouse-cloud-*"))],
        "allows iam:CreateRole without an iam:PermissionsBoundary condition",
    ),
    (
        "iam-permissions-boundary",
        "if-exists-and-wildcard",
        [role_policy(allow("iam:GetRole", "arn:aws:iam::1:role/ClickHouse-cloud-*"))],
        [
            role_policy(
                allow(
                    "iam:*Role*",
                    "arn:aws:iam::1:role/ClickHouse-cloud-*",
                    Condition={"StringEqualsIfExists": {"iam:PermissionsBoundary": "arn:aws:iam::1:policy/b"}},
                )
            )
        ],
        "iam:CreateRole, iam:PutRolePermissionsBoundary, iam:DeleteRolePermissionsBoundary",
    ),
]


@pytest.mark.parametrize(("rule", "good", "bad", "fragment"), check_cases(CASES))
def test_rule_passes_compliant_and_flags_non_compliant_records(rule, good, bad, fragment):
    assert_case(rule, good, bad, fragment)
