"""The bootstrap role by mode and toggle, and the boundary (components/iam_policies/bootstrap.py)."""

from __future__ import annotations

import json
import re
import typing

import pytest

from components import iam_policies as docs
from tests.iam_fixtures import (
    BUCKETS,
    SCOPE,
    ZONE,
    allowed_actions,
    policies,
    statements,
)

# -- bootstrap role ----------------------------------------------------------------------------

CREATE_DELETE_VPC_CLUSTER_ROLE = re.compile(
    r"^(ec2:(Create|Delete)(Vpc|Subnet|InternetGateway|NatGateway|RouteTable|VpcEndpoint)\w*"
    r"|eks:(Create|Delete)Cluster|iam:(CreateRole|DeleteRole|CreateServiceLinkedRole))$"
)


def test_full_mode_can_set_up():
    actions = allowed_actions(*policies().values())
    assert {"ec2:CreateVpc", "ec2:DeleteVpc", "eks:CreateCluster", "eks:DeleteCluster", "iam:CreateRole"} <= actions


def test_operate_mode_creates_and_deletes_no_vpc_cluster_or_role():
    actions = allowed_actions(*policies(mode="operate").values())
    assert not {a for a in actions if CREATE_DELETE_VPC_CLUSTER_ROLE.match(a)}
    assert not {a for a in actions if a == "iam:PassRole" or a.startswith("s3:DeleteBucket")}
    # Day-2 work stays: node-group scaling, add-on updates, reads.
    assert {"eks:UpdateNodegroupConfig", "eks:UpdateAddon", "eks:Describe*", "ec2:Describe*"} <= actions


def test_revoked_allows_nothing_and_denies_everything():
    revoked = policies(mode="revoked")
    assert list(revoked) == ["revoked"]
    assert allowed_actions(*revoked.values()) == set()
    assert revoked["revoked"]["Statement"] == [
        {"Sid": "DenyEverything", "Effect": "Deny", "Action": ["*"], "Resource": "*"}
    ]


def test_toggles_remove_their_writes():
    no_vpc = allowed_actions(*policies(vpc_write=False).values())
    assert {a for a in no_vpc if a.startswith("ec2:")} == {"ec2:Describe*"}
    no_iam = allowed_actions(*policies(iam_write=False).values())
    assert {a for a in no_iam if a.startswith("iam:") and not a.startswith(("iam:Get", "iam:List"))} == {"iam:PassRole"}
    assert not any(a.startswith("kms:") for a in allowed_actions(*policies().values()))
    kms = {a for a in allowed_actions(*policies(kms=True).values()) if a.startswith("kms:")}
    assert {"kms:CreateAlias", "kms:CreateGrant", "kms:ScheduleKeyDeletion"} <= kms
    # No key creation: tagging a new key needs kms:TagResource on a key IAM cannot tell from an
    # untagged existing one (docs/iam.md).
    assert not {"kms:CreateKey", "kms:TagResource"} & kms


def test_every_create_needs_the_request_tag_and_every_modify_the_resource_tag():
    net = statements(policies()["network"])
    assert net["Ec2CreateOnlyTagged"]["Condition"] == {
        "StringEquals": {"aws:RequestTag/clickhouse-byoc": "true", "aws:RequestTag/clickhouse-byoc/deployment": "dev"}
    }
    # The parents a create is also authorized on carry no request tag: their own deployment tag.
    parents = net["Ec2CreateInDeploymentParents"]
    assert parents["Condition"] == {"StringEquals": {"aws:ResourceTag/clickhouse-byoc/deployment": "dev"}}
    assert {"ec2:CreateSubnet", "ec2:CreateNatGateway", "ec2:CreateVpcEndpoint"} <= set(parents["Action"])
    assert "arn:aws:ec2:us-west-2:123456789012:vpc/*" in parents["Resource"]
    # `clickhouse-byoc=true` is every deployment's tag; the deployment tag is this one's.
    for sid in ("Ec2ModifyDeploymentResources", "Ec2DeleteDeploymentResources"):
        assert net[sid]["Condition"] == {"StringEquals": {"aws:ResourceTag/clickhouse-byoc/deployment": "dev"}}
    assert net["Ec2TagOnCreate"]["Condition"]["StringEquals"]["aws:RequestTag/clickhouse-byoc/deployment"] == "dev"


def test_creating_a_role_requires_the_boundary_and_the_tag():
    iam = statements(policies()["iam"])
    create = iam["CreateRolesOnlyWithBoundaryAndTag"]
    assert create["Action"] == ["iam:CreateRole"]
    # A path ends with `/`: `role/clickhouse-byoc/dev/*` never matches deployment `dev-prod`'s roles.
    assert create["Resource"] == ["arn:aws:iam::123456789012:role/clickhouse-byoc/dev/*"]
    assert create["Condition"] == {
        "StringEquals": {
            "iam:PermissionsBoundary": "arn:aws:iam::123456789012:policy/ClickHouse-cloud-dev-boundary",
            "aws:RequestTag/clickhouse-byoc": "true",
            "aws:RequestTag/clickhouse-byoc/deployment": "dev",
        }
    }
    # Attaching or writing policies works only on roles that carry the boundary.
    bounded = iam["ChangePoliciesOfBoundedRolesOnly"]
    assert set(bounded["Action"]) == {
        "iam:AttachRolePolicy",
        "iam:DeleteRolePolicy",
        "iam:DetachRolePolicy",
        "iam:PutRolePermissionsBoundary",
        "iam:PutRolePolicy",
    }
    assert bounded["Condition"] == {"StringEquals": {"iam:PermissionsBoundary": SCOPE.boundary_arn}}


def test_boundary_removal_and_changes_are_denied():
    guard = statements(policies()["guardrails"])
    assert guard["DenyBoundaryRemoval"] == {
        "Sid": "DenyBoundaryRemoval",
        "Effect": "Deny",
        "Action": ["iam:DeleteRolePermissionsBoundary"],
        "Resource": "*",
    }
    other = guard["DenyAnyOtherBoundary"]
    assert other["Effect"] == "Deny" and set(other["Action"]) == {"iam:CreateRole", "iam:PutRolePermissionsBoundary"}
    # StringNotEquals also matches when the key is absent: a role created without a boundary is denied.
    assert other["Condition"] == {"StringNotEquals": {"iam:PermissionsBoundary": SCOPE.boundary_arn}}
    own = guard["DenyChangingBoundaryAndOwnPolicies"]
    assert own["Resource"] == [SCOPE.boundary_arn, "arn:aws:iam::123456789012:policy/ClickHouse-cloud-dev-management-*"]
    assert {"iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicy"} <= set(own["Action"])
    roles = guard["DenyChangingVendorRoles"]
    assert SCOPE.role_arn in roles["Resource"]
    assert "arn:aws:iam::123456789012:role/ClickHouse-cloud-dev-data-plane-mgmt" in roles["Resource"]
    assert {"iam:UpdateAssumeRolePolicy", "iam:AttachRolePolicy", "iam:PutRolePolicy"} <= set(roles["Action"])
    tagged = guard["DenyChangingProgramManagedRoles"]
    assert tagged["Resource"] == "*"
    assert tagged["Condition"] == {"Null": {"aws:ResourceTag/clickhouse-byoc/purpose": "false"}}
    assert {"iam:DeleteRole", "iam:UpdateAssumeRolePolicy", "iam:PutRolePolicy"} <= set(tagged["Action"])
    assert guard == statements(policies(mode="operate")["guardrails"])


def test_boundary_grants_no_iam_beyond_service_linked_roles():
    boundary = docs.boundary_policy(SCOPE)
    iam_allowed = {a for a in allowed_actions(boundary) if a.startswith(("iam:", "sts:"))}
    assert iam_allowed == {"iam:CreateServiceLinkedRole"}
    deny = statements(boundary)["DenyIamAndStsEscalation"]
    assert {"iam:CreateRole", "iam:PassRole", "iam:AttachRolePolicy"} <= set(deny["Action"])
    assert "sqs:SendMessage" not in allowed_actions(boundary)
    q = "arn:aws:sqs:us-west-2:426924874929:byoc-state"
    assert statements(docs.boundary_policy(SCOPE, q))["VendorStateQueue"]["Resource"] == [q]


def test_pass_role_names_each_role_and_service():
    eks = statements(policies()["eks"])
    assert eks["PassControlPlaneRoleToEks"]["Resource"] == [SCOPE.role("k8s-control-plane")]
    assert eks["PassControlPlaneRoleToEks"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": "eks.amazonaws.com"}
    }
    assert eks["PassWorkerRoleToNodeGroups"]["Resource"] == [SCOPE.role("k8s-worker")]


def test_eks_mutations_only_on_the_deployment_cluster():
    eks = statements(policies()["eks"])
    prefix = "arn:aws:eks:us-west-2:123456789012:"
    for sid in ("EksOperateDeploymentCluster", "EksSetUpDeploymentCluster", "EksDeleteDeploymentCluster"):
        for arn in eks[sid]["Resource"]:
            assert arn.startswith(prefix) and arn.split(":", 5)[5].split("/")[1] == "ClickHouse-cloud-dev", arn
    assert eks["EksCreateOnlyTaggedClusters"]["Condition"] == {
        "StringEquals": {"aws:RequestTag/clickhouse-byoc": "true", "aws:RequestTag/clickhouse-byoc/deployment": "dev"}
    }
    assert eks["EksListDescribe"]["Action"] == ["eks:Describe*", "eks:List*"]


def test_route53_and_s3_scoped_to_the_deployment():
    st = statements(policies()["storage"])
    assert st["Route53RecordsInDeploymentZone"]["Resource"] == [ZONE]
    assert st["S3ConfigureDeploymentBuckets"]["Resource"] == list(BUCKETS)
    assert not any(a.startswith("route53:") and a.endswith("*") for a in allowed_actions(policies()["storage"]))
    # An expiry lifecycle rule could delete ClickHouse data: never granted.
    assert "s3:PutLifecycleConfiguration" not in allowed_actions(*policies(kms=True).values())


@pytest.mark.parametrize("mode", typing.get_args(docs.Mode))
@pytest.mark.parametrize("kms", [False, True])
def test_documents_fit_managed_policy_limits(mode, kms):
    for name, doc in policies(mode=mode, kms=kms).items():
        text = json.dumps(doc, separators=(",", ":"))
        assert len(text) < 6144, (name, len(text))
        sids = [s["Sid"] for s in doc["Statement"]]
        assert len(sids) == len(set(sids)) and all(re.fullmatch(r"[A-Za-z0-9]+", s) for s in sids)


def test_unknown_mode_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown bootstrap mode"):
        docs.bootstrap_policy_names(docs.BootstrapAccess(mode="partial"))
