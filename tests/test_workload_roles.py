"""Workload roles (IRSA) under the mocks: one role per service account, trusted through the OIDC provider.

Two components create IRSA roles: `WorkloadRoles` (every workload but the EKS layer's managed
add-ons) and `ByocCluster` (vpc-cni, EBS CSI driver). `run_irsa_roles` builds both sets, so the
assertions cover every service account of `SERVICE_ACCOUNTS`.
"""

from __future__ import annotations

import json

import pytest

from components.cluster import managed_addon_policies
from components.iam import VendorExports
from components.k8s_conventions import SERVICE_ACCOUNTS
from components.naming import Names
from components.workload_roles import (
    IrsaRole,
    IrsaRoleArgs,
    WorkloadRoles,
    WorkloadRolesArgs,
)
from tests.conftest import run_offline

ROLE = "aws:iam/role:Role"
INLINE = "aws:iam/rolePolicy:RolePolicy"
ATTACH = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
NAMES = Names("t", "123456789012")
OIDC_HOST = "oidc.eks.us-west-2.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
OIDC_ARN = f"arn:aws:iam::123456789012:oidc-provider/{OIDC_HOST}"
ZONE = "arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ"
QUEUE = "arn:aws:sqs:us-west-2:426924874929:byoc-state"
BILLING = "arn:aws:s3:::clickhouse-byoc-billing"
KMS = "arn:aws:kms:us-west-2:123456789012:key/0000-1111"
VPC = "arn:aws:ec2:us-west-2:123456789012:vpc/vpc-0123456789abcdef0"


def workload_args(**over) -> WorkloadRolesArgs:
    values = {
        "names": NAMES,
        "oidc_provider_arn": OIDC_ARN,
        "oidc_issuer": OIDC_HOST,
        "zone_arn": ZONE,
        "cluster_name": NAMES.cluster,
        "vpc_arn": VPC,
        "data_bucket_arn": f"arn:aws:s3:::{NAMES.bucket('data')}",
        "backup_bucket_arn": f"arn:aws:s3:::{NAMES.bucket('backup')}",
        "monitoring_bucket_arn": f"arn:aws:s3:::{NAMES.bucket('monitoring')}",
        "vendor_exports": VendorExports(
            state_queue_arn=QUEUE, billing_bucket_arn=BILLING, billing_prefix="123456789012/t"
        ),
        "clickhouse_services": ("analytics",),
        "kms_key_arn": KMS,
    }
    return WorkloadRolesArgs(**{**values, **over})


def run_irsa_roles(volume_key_arn: str | None = KMS, **over):
    """WorkloadRoles plus the EKS layer's managed add-on roles; returns (result, purpose -> ARN,
    service -> ARN)."""
    arns: dict[str, str] = {}
    service_arns: dict[str, str] = {}

    def program():
        roles = WorkloadRoles("ClickHouse-cloud-t-workload-roles", workload_args(**over))
        roles.role_arns.apply(arns.update)
        for service, arn in roles.service_role_arns.items():
            arn.apply(lambda a, s=service: service_arns.__setitem__(s, a))
        for purpose, (policy, managed) in managed_addon_policies(volume_key_arn, NAMES.deployment_id, VPC).items():
            namespace, account = SERVICE_ACCOUNTS[purpose]
            role = IrsaRole(
                f"ClickHouse-cloud-t-cluster-irsa-{purpose}",
                IrsaRoleArgs(NAMES, purpose, OIDC_ARN, OIDC_HOST, namespace, account, policy, managed),
            )
            role.role_arn.apply(lambda a, p=purpose: arns.__setitem__(p, a))

    return run_offline(program=program), arns, service_arns


@pytest.fixture(scope="module")
def irsa():
    return run_irsa_roles()


def roles_by_name(result) -> dict[str, dict]:
    return {r["inputs"]["name"]: r for r in result.by_type(ROLE)}


def test_every_service_account_gets_its_role(irsa):
    result, arns, _ = irsa
    roles = roles_by_name(result)
    for purpose, (namespace, account) in SERVICE_ACCOUNTS.items():
        role = roles[f"ClickHouse-cloud-t-{purpose}"]
        trust = json.loads(role["inputs"]["assumeRolePolicy"])
        cond = trust["Statement"][0]["Condition"]["StringEquals"]
        assert cond[f"{OIDC_HOST}:sub"] == f"system:serviceaccount:{namespace}:{account}"
        assert cond[f"{OIDC_HOST}:aud"] == "sts.amazonaws.com"
        assert trust["Statement"][0]["Principal"] == {"Federated": OIDC_ARN}
        assert arns[purpose] == f"arn:aws:iam::123456789012:role/ClickHouse-cloud-t-{purpose}"
    server = json.loads(roles["ClickHouse-cloud-t-clickhouse-analytics"]["inputs"]["assumeRolePolicy"])
    assert server["Statement"][0]["Condition"]["StringEquals"][f"{OIDC_HOST}:sub"] == (
        "system:serviceaccount:clickhouse:clickhouse-analytics"
    )


def test_the_cluster_keeps_only_its_managed_addons_roles(irsa):
    result, _, _ = irsa
    workload = next(r for r in result.resources if r["name"] == "ClickHouse-cloud-t-workload-roles")
    children = {r["name"] for r in result.resources if r["parent"] == workload["urn"]}
    prefix = "ClickHouse-cloud-t-workload-roles-"
    assert {c.removeprefix(prefix) for c in children} == (set(SERVICE_ACCOUNTS) - {"vpc-cni", "ebs-csi"}) | {
        "clickhouse-analytics"
    }
    assert set(managed_addon_policies(None, NAMES.deployment_id, VPC)) == {"vpc-cni", "ebs-csi"}


def test_each_service_gets_the_arn_of_its_own_role(irsa):
    _, _, service_arns = irsa
    assert service_arns == {"analytics": "arn:aws:iam::123456789012:role/ClickHouse-cloud-t-clickhouse-analytics"}


def test_inline_policies_are_the_documents(irsa):
    result, _, _ = irsa
    inline = {r["inputs"]["role"]: json.loads(r["inputs"]["policy"]) for r in result.by_type(INLINE)}
    dns = inline["ClickHouse-cloud-t-external-dns"]["Statement"][0]
    assert dns["Action"] == ["route53:ChangeResourceRecordSets"] and dns["Resource"] == [ZONE]
    ebs = {s["Sid"]: s for s in inline["ClickHouse-cloud-t-ebs-csi"]["Statement"]}
    assert ebs["GrantsForEbsOnly"]["Resource"] == [KMS]
    assert inline["ClickHouse-cloud-t-state-exporter"]["Statement"][0]["Resource"] == [QUEUE]
    assert inline["ClickHouse-cloud-t-billing-scraper"]["Statement"][0]["Resource"] == [f"{BILLING}/123456789012/t/*"]
    server = {s["Sid"]: s for s in inline["ClickHouse-cloud-t-clickhouse-analytics"]["Statement"]}
    assert server["ClickHouseReadWriteObjects"]["Resource"][0].endswith("-data-123456789012/analytics/*")
    cni = {s["Sid"]: s for s in inline["ClickHouse-cloud-t-vpc-cni"]["Statement"]}
    assert cni["InterfacesInDeploymentVpc"]["Condition"] == {
        "StringEqualsIfExists": {"ec2:Vpc": VPC, "aws:RequestTag/clickhouse-byoc/deployment": "t"}
    }


def test_no_role_attaches_the_account_wide_cni_policy(irsa):
    """AWS's `AmazonEKS_CNI_Policy` reaches every interface and instance in the account: the
    aws-node role has the inline policy scoped to this VPC instead, and no managed policy."""
    result, _, _ = irsa
    assert [r["inputs"]["policyArn"] for r in result.by_type(ATTACH)] == []


def test_optional_vendor_roles_absent_without_config():
    result, arns, service_arns = run_irsa_roles(volume_key_arn=None, vendor_exports=None, clickhouse_services=())
    assert set(arns) == set(SERVICE_ACCOUNTS) - {"state-exporter", "billing-scraper"}
    assert service_arns == {}
    ebs = next(r for r in result.by_type(INLINE) if r["inputs"]["role"].endswith("-ebs-csi"))
    assert "kms:" not in ebs["inputs"]["policy"]


def test_every_workload_role_carries_the_purpose_tag_the_guardrail_keys_on(irsa):
    roles = irsa[0].by_type(ROLE)
    assert len(roles) == len(SERVICE_ACCOUNTS) + 1  # and the one ClickHouse service
    for role in roles:
        purpose = role["inputs"]["tags"]["clickhouse-byoc/purpose"]
        assert role["inputs"]["name"] == f"ClickHouse-cloud-t-{purpose}"


def test_a_role_name_longer_than_iam_allows_is_refused():
    with pytest.raises(Exception, match="longer than 64 characters"):
        run_offline(program=lambda: IrsaRole("r", IrsaRoleArgs(NAMES, "x" * 60, OIDC_ARN, OIDC_HOST, "ns", "sa", None)))
