"""Requests evaluated against the documents: what the vendor can and cannot do, per mode."""

from __future__ import annotations

import json

import pytest

from components import iam_policies as docs
from tests.conftest import ROOT
from tests.iam_eval import ALLOW, DENY, IMPLICIT, Resource, decide, decide_request, statement_applies
from tests.iam_fixtures import NAMES, OIDC_ARN, OIDC_HOST, PATTERN, SCOPE, VENDOR, ZONE

ACCOUNT = "123456789012"
TAGGED = {"aws:RequestTag/clickhouse-byoc": "true", "aws:RequestTag/clickhouse-byoc/deployment": "dev"}
OWNED = {"aws:ResourceTag/clickhouse-byoc/deployment": "dev"}
BOUNDED = {"iam:PermissionsBoundary": SCOPE.boundary_arn}
# Roles the vendor creates live under the deployment's IAM path.
NEW_ROLE = SCOPE.vendor_role("ClickHouse-cloud-dev-vendor-made")
EC2 = f"arn:aws:ec2:us-west-2:{ACCOUNT}:"
TAGGED_OTHER = "aws:RequestTag/clickhouse-byoc/deployment"


def bootstrap(**access) -> list[dict]:
    return list(docs.bootstrap_policies(SCOPE, docs.BootstrapAccess(**access)).values())


@pytest.fixture(scope="module")
def full():
    return bootstrap()


@pytest.fixture(scope="module")
def operate():
    return bootstrap(mode="operate")


def test_create_role_only_with_the_boundary_and_the_tag(full):
    assert decide(full, "iam:CreateRole", NEW_ROLE, {**BOUNDED, **TAGGED}) == ALLOW
    assert decide(full, "iam:CreateRole", NEW_ROLE, TAGGED) == DENY
    other = {"iam:PermissionsBoundary": f"arn:aws:iam::{ACCOUNT}:policy/AdministratorAccess", **TAGGED}
    assert decide(full, "iam:CreateRole", NEW_ROLE, other) == DENY
    assert decide(full, "iam:CreateRole", NEW_ROLE, BOUNDED) == IMPLICIT
    outside = f"arn:aws:iam::{ACCOUNT}:role/Admin"
    assert decide(full, "iam:CreateRole", outside, {**BOUNDED, **TAGGED}) == IMPLICIT
    # Outside the path, even with the deployment's name prefix: a name prefix is no isolation.
    assert decide(full, "iam:CreateRole", SCOPE.role("vendor-made"), {**BOUNDED, **TAGGED}) == IMPLICIT
    assert decide(full, "iam:CreateRole", NEW_ROLE, {**BOUNDED, **TAGGED, TAGGED_OTHER: "acme"}) == IMPLICIT


def test_policies_change_only_on_bounded_roles(full):
    admin = "arn:aws:iam::aws:policy/AdministratorAccess"
    assert decide(full, "iam:AttachRolePolicy", NEW_ROLE, {**BOUNDED, "iam:PolicyARN": admin}) == ALLOW
    assert decide(full, "iam:AttachRolePolicy", NEW_ROLE, {"iam:PolicyARN": admin}) == IMPLICIT
    assert decide(full, "iam:PutRolePolicy", NEW_ROLE, {}) == IMPLICIT


def test_boundary_cannot_be_removed_replaced_or_edited(full, operate):
    for documents in (full, operate):
        assert decide(documents, "iam:DeleteRolePermissionsBoundary", NEW_ROLE, BOUNDED) == DENY
        other = {"iam:PermissionsBoundary": f"arn:aws:iam::{ACCOUNT}:policy/ClickHouse-cloud-dev-wide"}
        assert decide(documents, "iam:PutRolePermissionsBoundary", NEW_ROLE, other) == DENY
        for action in ("iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicy"):
            assert decide(documents, action, SCOPE.boundary_arn) == DENY
            assert decide(documents, action, SCOPE.policy("management-iam")) == DENY


def test_program_managed_roles_are_out_of_reach(full):
    tagged_role = {**BOUNDED, "aws:ResourceTag/clickhouse-byoc/purpose": "ebs-csi"}
    for action in ("iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:DeleteRole", "iam:UpdateAssumeRolePolicy"):
        assert decide(full, action, SCOPE.role("ebs-csi"), tagged_role) == DENY
        assert decide(full, action, SCOPE.role_arn, tagged_role) == DENY
    assert decide(full, "iam:CreateRole", SCOPE.role("troubleshooting"), {**BOUNDED, **TAGGED}) == DENY


def test_pass_role_only_to_the_named_service(full, operate):
    plane = SCOPE.role("k8s-control-plane")
    assert decide(full, "iam:PassRole", plane, {"iam:PassedToService": "eks.amazonaws.com"}) == ALLOW
    assert decide(full, "iam:PassRole", plane, {"iam:PassedToService": "lambda.amazonaws.com"}) == IMPLICIT
    assert decide(full, "iam:PassRole", SCOPE.role_arn, {"iam:PassedToService": "eks.amazonaws.com"}) == IMPLICIT
    assert decide(operate, "iam:PassRole", plane, {"iam:PassedToService": "eks.amazonaws.com"}) == IMPLICIT


def test_vpc_lifecycle_in_full_not_in_operate(full, operate):
    vpc = f"{EC2}vpc/vpc-0123456789abcdef0"
    assert decide(full, "ec2:CreateVpc", vpc, TAGGED) == ALLOW
    assert decide(full, "ec2:CreateVpc", vpc, {"aws:RequestTag/clickhouse-byoc": "true"}) == IMPLICIT
    assert decide(full, "ec2:DeleteVpc", vpc, {"aws:ResourceTag/clickhouse-byoc": "true"}) == IMPLICIT
    assert decide(full, "ec2:CreateVpc", vpc, {}) == IMPLICIT
    assert decide(full, "ec2:DeleteVpc", vpc, OWNED) == ALLOW
    assert decide(full, "ec2:DeleteVpc", vpc, {}) == IMPLICIT
    assert decide(operate, "ec2:CreateVpc", vpc, TAGGED) == IMPLICIT
    assert decide(operate, "ec2:DeleteVpc", vpc, OWNED) == IMPLICIT
    sg = f"{EC2}security-group/sg-0123456789abcdef0"
    assert decide(operate, "ec2:AuthorizeSecurityGroupIngress", sg, OWNED) == ALLOW
    assert decide(operate, "ec2:AuthorizeSecurityGroupIngress", sg, {}) == IMPLICIT
    assert decide(operate, "ec2:DescribeVpcs", "*") == ALLOW


def test_cluster_lifecycle_in_full_not_in_operate(full, operate):
    cluster = SCOPE.cluster_arn
    assert decide(full, "eks:DeleteCluster", cluster) == ALLOW
    assert decide(operate, "eks:DeleteCluster", cluster) == IMPLICIT
    assert decide(full, "eks:CreateCluster", "*", TAGGED) == ALLOW
    assert decide(full, "eks:CreateCluster", "*", {**TAGGED, TAGGED_OTHER: "dev-prod"}) == IMPLICIT
    assert decide(operate, "eks:CreateCluster", "*", TAGGED) == IMPLICIT
    other = f"arn:aws:eks:us-west-2:{ACCOUNT}:cluster/someone-elses"
    assert decide(full, "eks:DeleteCluster", other) == IMPLICIT
    nodegroup = f"arn:aws:eks:us-west-2:{ACCOUNT}:nodegroup/{NAMES.cluster}/system/uuid"
    assert decide(operate, "eks:UpdateNodegroupConfig", nodegroup) == ALLOW
    assert decide(operate, "eks:DeleteNodegroup", nodegroup) == IMPLICIT
    assert decide(operate, "eks:UpdateNodegroupConfig", nodegroup.replace(NAMES.cluster, "other")) == IMPLICIT


def test_dns_and_buckets_only_the_deployments(full):
    assert decide(full, "route53:ChangeResourceRecordSets", ZONE) == ALLOW
    assert decide(full, "route53:ChangeResourceRecordSets", "arn:aws:route53:::hostedzone/ZOTHER") == IMPLICIT
    data = f"arn:aws:s3:::{NAMES.bucket('data')}"
    assert decide(full, "s3:PutBucketVersioning", data) == ALLOW
    assert decide(full, "s3:PutBucketVersioning", "arn:aws:s3:::someone-elses") == IMPLICIT
    assert decide(full, "s3:GetObject", f"{data}/table/part") == IMPLICIT
    assert decide(full, "s3:PutLifecycleConfiguration", data) == IMPLICIT
    assert decide(full, "s3:PutBucketPolicy", data) == IMPLICIT


def test_revoked_denies_everything():
    revoked = bootstrap(mode="revoked")
    for action, resource in (
        ("ec2:DescribeVpcs", "*"),
        ("eks:DescribeCluster", SCOPE.cluster_arn),
        ("s3:ListBucket", "*"),
    ):
        assert decide(revoked, action, resource) == DENY


def test_boundary_caps_created_roles():
    boundary = [docs.boundary_policy(SCOPE)]
    assert decide(boundary, "iam:CreateRole", NEW_ROLE) == DENY
    assert decide(boundary, "iam:PassRole", NEW_ROLE) == DENY
    assert decide(boundary, "sts:AssumeRole", NEW_ROLE) == IMPLICIT
    assert decide(boundary, "s3:GetObject", "arn:aws:s3:::someone-elses/key") == IMPLICIT
    assert decide(boundary, "route53:ChangeResourceRecordSets", ZONE) == ALLOW
    assert decide(boundary, "iam:CreateServiceLinkedRole", "*", {"iam:AWSServiceName": "eks.amazonaws.com"}) == ALLOW
    assert decide(boundary, "iam:CreateServiceLinkedRole", "*", {"iam:AWSServiceName": "ssm.amazonaws.com"}) == IMPLICIT


def test_vendor_trust():
    trust = [docs.vendor_trust(VENDOR, "ext-1234", PATTERN)]
    workload = f"arn:aws:iam::{VENDOR}:role/prod-CrossplaneWorkloadRole"
    ok = {"sts:ExternalId": "ext-1234", "aws:PrincipalArn": workload}
    assert decide(trust, "sts:AssumeRole", None, ok, principal=workload) == ALLOW
    assert decide(trust, "sts:AssumeRole", None, {**ok, "sts:ExternalId": "guess"}, principal=workload) == IMPLICIT
    assert decide(trust, "sts:AssumeRole", None, {"aws:PrincipalArn": workload}, principal=workload) == IMPLICIT
    other = f"arn:aws:iam::{VENDOR}:role/intern"
    assert decide(trust, "sts:AssumeRole", None, {**ok, "aws:PrincipalArn": other}, principal=other) == IMPLICIT
    stranger = "arn:aws:iam::999999999999:role/prod-CrossplaneWorkloadRole"
    assert decide(trust, "sts:AssumeRole", None, {**ok, "aws:PrincipalArn": stranger}, principal=stranger) == IMPLICIT


def test_time_box_ends_access():
    until = "2030-01-01T00:00:00Z"
    trust = [docs.vendor_trust(VENDOR, "ext-1234", PATTERN, until)]
    workload = f"arn:aws:iam::{VENDOR}:role/prod-CrossplaneWorkloadRole"
    ctx = {"sts:ExternalId": "ext-1234", "aws:PrincipalArn": workload}
    before, after = {"aws:CurrentTime": "2029-12-31T23:59:59Z"}, {"aws:CurrentTime": "2030-01-01T00:00:00Z"}
    assert decide(trust, "sts:AssumeRole", None, {**ctx, **before}, principal=workload) == ALLOW
    assert decide(trust, "sts:AssumeRole", None, {**ctx, **after}, principal=workload) == IMPLICIT
    perms = [docs.troubleshooting_policy(ACCOUNT, "us-west-2", NAMES.cluster, until)]
    assert decide(perms, "eks:DescribeCluster", SCOPE.cluster_arn, before) == ALLOW
    assert decide(perms, "eks:DescribeCluster", SCOPE.cluster_arn, after) == IMPLICIT
    assert decide(perms, "eks:UpdateNodegroupConfig", SCOPE.cluster_arn, before) == IMPLICIT


def test_irsa_trust_only_the_service_account():
    trust = [docs.irsa_trust(OIDC_ARN, OIDC_HOST, "kube-system", "ebs-csi-controller-sa")]
    sub, aud = f"{OIDC_HOST}:sub", f"{OIDC_HOST}:aud"
    good = {sub: "system:serviceaccount:kube-system:ebs-csi-controller-sa", aud: "sts.amazonaws.com"}
    act = "sts:AssumeRoleWithWebIdentity"
    assert decide(trust, act, None, good, principal=OIDC_ARN) == ALLOW
    assert decide(trust, act, None, {**good, sub: "system:serviceaccount:default:ebs-csi-controller-sa"}) == IMPLICIT
    assert decide(trust, act, None, {**good, aud: "other"}) == IMPLICIT
    assert decide(trust, "sts:AssumeRole", None, good) == IMPLICIT


@pytest.mark.parametrize(
    ("action", "new", "parents"),
    [
        ("ec2:CreateSubnet", "subnet", ("vpc",)),
        ("ec2:CreateRouteTable", "route-table", ("vpc",)),
        ("ec2:CreateSecurityGroup", "security-group", ("vpc",)),
        ("ec2:CreateVpcEndpoint", "vpc-endpoint", ("vpc", "subnet", "security-group", "route-table")),
        ("ec2:CreateNatGateway", "natgateway", ("subnet", "elastic-ip")),
    ],
)
def test_creates_are_authorized_on_the_new_resource_and_on_its_parents(full, action, new, parents):
    """Finding 2: AWS also authorizes these creates on the existing parents, which carry no request
    tag; with every create only under `aws:RequestTag` they were all denied."""
    created = Resource(f"{EC2}{new}/{new}-new")
    ours = {"clickhouse-byoc": "true", "clickhouse-byoc/deployment": "dev"}
    existing = [Resource(f"{EC2}{p}/{p}-0123", ours) for p in parents]
    request = {f"aws:RequestTag/{k}": v for k, v in ours.items()}
    assert decide_request(full, action, [created, *existing], request, created=(created.arn,)) == ALLOW
    # A parent of another deployment (or untagged) is refused, whatever the request's tags.
    theirs = [Resource(r.arn, {**ours, "clickhouse-byoc/deployment": "dev-prod"}) for r in existing]
    assert decide_request(full, action, [created, *theirs], request, created=(created.arn,)) == IMPLICIT
    # The statement before the split: every create under the request tag only.
    before = [docs.document(docs.statement("Ec2CreateOnlyTagged", [action], "*", {"StringEquals": TAGGED}))]
    assert decide_request(before, action, [created, *existing], request, created=(created.arn,)) == IMPLICIT


# -- the evaluator against the IAM user guide ------------------------------------------------------

SEMANTICS = json.loads((ROOT / "tests" / "upstream" / "iam-docs" / "condition-semantics.json").read_text())


def documented_examples():
    for case in SEMANTICS["cases"]:
        for i, example in enumerate(case["examples"]):
            yield pytest.param(case, example, id=f"{case['doc'].rsplit('/', 1)[-1]}-{i}")


@pytest.mark.parametrize(("case", "example"), list(documented_examples()))
def test_evaluator_follows_the_documented_condition_semantics(case, example):
    """Each documented example, through the evaluator: a statement with the example's condition
    applies exactly when the guide says it does."""
    st = {"Effect": "Allow", "Action": "ec2:DescribeVolumes", "Resource": "*", "Condition": example["condition"]}
    resource = Resource(f"{EC2}volume/vol-0123", example.get("resource_tags", {}))
    context = {**resource.context(), **example.get("context", {})}
    expected = example["applies"] if example["applies"] != "either" else example["evaluator"]
    assert statement_applies(st, "ec2:DescribeVolumes", resource.arn, context) is expected, case["quote"]


def test_the_documented_examples_cover_null_case_and_absence():
    operators = {op for case in SEMANTICS["cases"] for ex in case["examples"] for op in ex["condition"]}
    assert {"Null", "StringEquals", "StringNotLike", "StringLikeIfExists", "StringEqualsIgnoreCase"} <= operators
    assert any("ResourceTag" in k for case in SEMANTICS["cases"] for ex in case["examples"]
               for pairs in ex["condition"].values() for k in pairs)  # fmt: skip


def test_a_tag_key_in_another_case_is_the_same_key():
    """The evaluator before this change compared key names as written: a volume tagged
    `Clickhouse-BYOC/Deployment=acme-prod` read as untagged (a `Null` check held) and as not
    `acme-prod`'s; AWS reads both as the deployment tag."""
    volume = Resource(f"{EC2}volume/vol-0123", {"Clickhouse-BYOC/Deployment": "acme-prod"})
    deny_untagged = {"Effect": "Allow", "Action": "ec2:DeleteVolume", "Resource": "*",
                     "Condition": {"Null": {"aws:ResourceTag/clickhouse-byoc/deployment": "true"}}}  # fmt: skip
    theirs = {
        **deny_untagged,
        "Condition": {"StringEquals": {"aws:ResourceTag/clickhouse-byoc/deployment": "acme-prod"}},
    }
    assert not statement_applies(deny_untagged, "ec2:DeleteVolume", volume.arn, volume.context())
    assert statement_applies(theirs, "ec2:DeleteVolume", volume.arn, volume.context())
