"""Names and tags: `clickhouse-cloud-name-prefix`, `required-tags` (policies/rules/naming.py). One compliant and one non-compliant record set per case."""

from __future__ import annotations

from typing import Any

import pytest

from policies import rules
from tests.policy_records import (
    allow,
    assert_case,
    bucket,
    check_cases,
    doc,
    eks_child,
    eks_component,
    gateway,
    node_group,
    record,
    role,
    service,
    vendor_trust,
)

MANAGEMENT = {"clickhouse-byoc/purpose": "management"}

CASES: list[tuple[str, str, list[dict[str, Any]], list[dict[str, Any]], str]] = [
    # Any valid bootstrap.roleName passes, through the one exemption: an IAM role tagged as the bootstrap role.
    (
        "clickhouse-cloud-name-prefix",
        "bootstrap-role-name",
        [role(name="ClickHouseManagementRole", trust=vendor_trust(), tags=MANAGEMENT)],
        [role(name="ClickHouseManagementRole", trust=vendor_trust(), tags={"clickhouse-byoc/purpose": "thanos"})],
        "IAM role name 'ClickHouseManagementRole'",
    ),
    (
        "clickhouse-cloud-name-prefix",
        "exemption-is-for-roles-only",
        [role(name="ClickHouseManagementRole", trust=vendor_trust(), tags=MANAGEMENT)],
        [
            record(
                "aws:iam/policy:Policy",
                "p",
                {"name": "ClickHouseManagementPolicy", "policy": doc(), "tags": MANAGEMENT},
            )
        ],
        "IAM policy name 'ClickHouseManagementPolicy'",
    ),
    (
        "clickhouse-cloud-name-prefix",
        "eks-component",
        [eks_component()],
        [eks_component(name="analytics")],
        "does not start with 'ClickHouse-cloud-'",
    ),
    (
        "clickhouse-cloud-name-prefix",
        "eks-child",
        [eks_child()],
        [eks_child(name="clickhouse-cloud-t")],
        "EKS cluster name 'clickhouse-cloud-t'",
    ),
    (
        "clickhouse-cloud-name-prefix",
        "node-group",
        [node_group()],
        [node_group(nodeGroupName="system")],
        "EKS node group name 'system'",
    ),
    (
        "clickhouse-cloud-name-prefix",
        "addon",
        [
            record(
                "aws:eks/addon:Addon",
                "ClickHouse-cloud-t-vpc-cni",
                {"addonName": "vpc-cni", "clusterName": "ClickHouse-cloud-t"},
            )
        ],
        [record("aws:eks/addon:Addon", "vpc-cni", {"addonName": "vpc-cni", "clusterName": "ClickHouse-cloud-t"})],
        "the add-on's AWS name is fixed",
    ),
    ("clickhouse-cloud-name-prefix", "role", [role()], [role(name="external-dns")], "IAM role name 'external-dns'"),
    (
        "clickhouse-cloud-name-prefix",
        "policy",
        [
            record(
                "aws:iam/policy:Policy",
                "p",
                {"name": "ClickHouse-cloud-t-boundary", "policy": doc(allow("s3:GetObject", "arn:aws:s3:::b/*"))},
            )
        ],
        [
            record(
                "aws:iam/policy:Policy",
                "p",
                {"name": "byoc-boundary", "policy": doc(allow("s3:GetObject", "arn:aws:s3:::b/*"))},
            )
        ],
        "IAM policy name 'byoc-boundary'",
    ),
    (
        "clickhouse-cloud-name-prefix",
        "bucket-lowercase",
        [bucket()],
        [bucket(bucket="byoc-data-123")],
        "S3 bucket name 'byoc-data-123'",
    ),
    (
        "clickhouse-cloud-name-prefix",
        "kms-alias",
        [record("aws:kms/alias:Alias", "a", {"name": "alias/ClickHouse-cloud-t-eks", "targetKeyId": "k"})],
        [record("aws:kms/alias:Alias", "a", {"name": "alias/clickhouse-cloud-t-eks", "targetKeyId": "k"})],
        "does not start with 'alias/ClickHouse-cloud-'",
    ),
    (
        "clickhouse-cloud-name-prefix",
        "security-group",
        [
            record(
                "aws:ec2/securityGroup:SecurityGroup",
                "ClickHouse-cloud-t-nodes",
                {"name": "ClickHouse-cloud-t-nodes", "ingress": []},
            )
        ],
        [record("aws:ec2/securityGroup:SecurityGroup", "nodes", {"ingress": []})],
        "security group name 'nodes'",
    ),
    (
        "clickhouse-cloud-name-prefix",
        "gateway-nlb",
        [gateway()],
        [gateway(**{rules.LB_NAME_ANNOTATION: "k8s-istio-ingress"})],
        "load balancer name 'k8s-istio-ingress'",
    ),
    (
        "clickhouse-cloud-name-prefix",
        "gateway-nlb-too-long",
        [gateway()],
        [gateway(**{rules.LB_NAME_ANNOTATION: "ClickHouse-cloud-acme-prod-eu-ingress-private"})],
        "at most 32 characters",
    ),
    (
        "clickhouse-cloud-name-prefix",
        "service-nlb",
        [service(ranges=["198.51.100.0/24"], **{rules.LB_NAME_ANNOTATION: "ClickHouse-cloud-t-ingress"})],
        [service(ranges=["198.51.100.0/24"])],
        "has no service.beta.kubernetes.io/aws-load-balancer-name annotation",
    ),
    (
        "required-tags",
        "provider-default-tags",
        [record("aws:ec2/vpc:Vpc", "ClickHouse-cloud-t-vpc", {"cidrBlock": "10.0.0.0/22", "tags": {"Name": "v"}})],
        [
            record(
                "aws:ec2/vpc:Vpc",
                "ClickHouse-cloud-t-vpc",
                {"cidrBlock": "10.0.0.0/22", "tags": {"Name": "v"}},
                provider=None,
            )
        ],
        "missing tag(s) clickhouse-byoc=true, clickhouse-byoc/deployment=<deploymentId>",
    ),
    (
        "required-tags",
        "wrong-value",
        [record("aws:kms/key:Key", "ClickHouse-cloud-t-key", {"description": "k"})],
        [
            record(
                "aws:kms/key:Key", "ClickHouse-cloud-t-key", {"description": "k", "tags": {"clickhouse-byoc": "false"}}
            )
        ],
        "clickhouse-byoc=true",
    ),
]


@pytest.mark.parametrize(("rule", "good", "bad", "fragment"), check_cases(CASES))
def test_rule_passes_compliant_and_flags_non_compliant_records(rule, good, bad, fragment):
    assert_case(rule, good, bad, fragment)
