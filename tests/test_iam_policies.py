"""The IAM documents themselves: trust conditions, scoping, modes, the boundary, the time-box."""

from __future__ import annotations

import json
import re

import pytest

from components import iam_policies as docs
from components.iam import BootstrapRoleArgs, bootstrap_scope
from components.naming import Names

NAMES = Names("dev", "123456789012")
ZONE = "arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ"
BUCKETS = tuple(f"arn:aws:s3:::{NAMES.bucket(w)}" for w in ("data", "backup", "monitoring"))
OIDC_HOST = "oidc.eks.us-west-2.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
OIDC_ARN = f"arn:aws:iam::123456789012:oidc-provider/{OIDC_HOST}"
VENDOR = "426924874929"
PATTERN = f"arn:aws:iam::{VENDOR}:role/*-CrossplaneWorkloadRole"


def args(**access) -> BootstrapRoleArgs:
    return BootstrapRoleArgs(
        names=NAMES,
        region="us-west-2",
        account_id="123456789012",
        cluster_name=NAMES.cluster,
        zone_arn=ZONE,
        data_bucket_arn=BUCKETS[0],
        backup_bucket_arn=BUCKETS[1],
        monitoring_bucket_arn=BUCKETS[2],
        vendor_account_id=VENDOR,
        external_id="ext-1234",
        principal_arn_pattern=PATTERN,
        role_name=NAMES.aws("management"),
        access=docs.BootstrapAccess(**access),
    )


SCOPE = bootstrap_scope(args(), ZONE)


def policies(**access) -> dict[str, dict]:
    return docs.bootstrap_policies(SCOPE, docs.BootstrapAccess(**access))


def allowed_actions(*documents: dict) -> set[str]:
    return {a for d in documents for s in d["Statement"] if s["Effect"] == "Allow" for a in _list(s["Action"])}


def _list(value) -> list:
    return value if isinstance(value, list) else [value]


def statements(doc: dict) -> dict[str, dict]:
    return {s["Sid"]: s for s in doc["Statement"]}


# -- trust -------------------------------------------------------------------------------------


def test_irsa_trust_is_exact():
    doc = docs.irsa_trust(OIDC_ARN, OIDC_HOST, "kube-system", "ebs-csi-controller-sa")
    (st,) = doc["Statement"]
    assert st["Principal"] == {"Federated": OIDC_ARN}
    assert st["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert st["Condition"] == {
        "StringEquals": {
            f"{OIDC_HOST}:sub": "system:serviceaccount:kube-system:ebs-csi-controller-sa",
            f"{OIDC_HOST}:aud": "sts.amazonaws.com",
        }
    }


def test_irsa_trust_strips_a_scheme_given_by_mistake():
    assert docs.irsa_trust(OIDC_ARN, f"https://{OIDC_HOST}", "a", "b") == docs.irsa_trust(OIDC_ARN, OIDC_HOST, "a", "b")


def test_vendor_trust_is_exact():
    (st,) = docs.vendor_trust(VENDOR, "ext-1234", PATTERN)["Statement"]
    assert st["Principal"] == {"AWS": f"arn:aws:iam::{VENDOR}:root"}
    assert st["Action"] == "sts:AssumeRole"
    assert st["Condition"] == {
        "StringEquals": {"sts:ExternalId": "ext-1234"},
        "StringLike": {"aws:PrincipalArn": PATTERN},
    }


def test_time_box_is_date_less_than_current_time():
    (st,) = docs.vendor_trust(VENDOR, "x1", PATTERN, until="2030-01-01T00:00:00Z")["Statement"]
    assert st["Condition"]["DateLessThan"] == {"aws:CurrentTime": "2030-01-01T00:00:00Z"}
    assert st["Condition"]["StringEquals"] == {"sts:ExternalId": "x1"}
    # Sessions opened before expiry stop working at expiry too: every statement carries the condition.
    ts = docs.troubleshooting_policy("123456789012", "us-west-2", NAMES.cluster, "2030-01-01T00:00:00Z")
    for st in ts["Statement"]:
        assert st["Condition"] == {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}


def test_troubleshooting_is_read_only():
    ts = docs.troubleshooting_policy("123456789012", "us-west-2", NAMES.cluster, "2030-01-01T00:00:00Z")
    verbs = {a.split(":")[1] for a in allowed_actions(ts)}
    assert all(re.match(r"^(Describe|List|Get|Filter|StartQuery|StopQuery)", v) for v in verbs), verbs


def test_service_trusts():
    (st,) = docs.service_trust("eks.amazonaws.com")["Statement"]
    assert st["Principal"] == {"Service": "eks.amazonaws.com"} and st["Action"] == "sts:AssumeRole"


# -- add-on policies ---------------------------------------------------------------------------


def test_route53_writes_only_on_the_zone():
    for doc in (docs.external_dns_policy(ZONE), docs.cert_manager_policy(ZONE)):
        for st in doc["Statement"]:
            if "route53:ChangeResourceRecordSets" in st["Action"]:
                assert st["Resource"] == [ZONE]
    cm = statements(docs.cert_manager_policy(ZONE))
    assert cm["ReadChangeStatus"]["Resource"] == ["arn:aws:route53:::change/*"]
    assert cm["FindZoneByName"]["Action"] == ["route53:ListHostedZonesByName"]


def test_ebs_csi_creates_and_deletes_only_tagged_volumes():
    doc = docs.ebs_csi_policy(None)
    for st in doc["Statement"]:
        if {"ec2:CreateVolume", "ec2:DeleteVolume", "ec2:DeleteSnapshot"} & set(st["Action"]):
            (cond,) = st["Condition"].values()
            (key,) = cond
            assert key.split("/", 1)[1] in ("ebs.csi.aws.com/cluster", "CSIVolumeName", "CSIVolumeSnapshotName")
    assert not any(a.startswith("kms:") for a in allowed_actions(doc))
    key = "arn:aws:kms:us-west-2:123456789012:key/0000"
    grants = statements(docs.ebs_csi_policy(key))["GrantsForEbsOnly"]
    assert grants["Resource"] == [key] and grants["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}


def test_autoscaler_scales_only_this_clusters_groups():
    st = statements(docs.cluster_autoscaler_policy("ClickHouse-cloud-dev"))["ScaleOnlyThisClustersGroups"]
    assert st["Condition"] == {
        "StringEquals": {"autoscaling:ResourceTag/k8s.io/cluster-autoscaler/ClickHouse-cloud-dev": "owned"}
    }


def test_load_balancer_controller_tag_conditions_name_the_cluster():
    doc = statements(docs.load_balancer_controller_policy("ClickHouse-cloud-dev"))
    tag = "elbv2.k8s.aws/cluster"
    assert doc["CreateTaggedLoadBalancers"]["Condition"] == {
        "StringEquals": {f"aws:RequestTag/{tag}": "ClickHouse-cloud-dev"}
    }
    for sid in ("ManageOwnedSecurityGroups", "ManageOwnedLoadBalancers"):
        assert doc[sid]["Condition"] == {"StringEquals": {f"aws:ResourceTag/{tag}": "ClickHouse-cloud-dev"}}
    for sid in ("RetagOwnedSecurityGroups", "RetagOwnedLoadBalancers"):
        assert doc[sid]["Condition"]["Null"] == {f"aws:RequestTag/{tag}": "true"}
    assert doc["TagOnCreate"]["Condition"]["StringEquals"]["elasticloadbalancing:CreateAction"] == [
        "CreateTargetGroup",
        "CreateLoadBalancer",
    ]


def test_state_exporter_and_billing_are_single_resource():
    q = "arn:aws:sqs:us-west-2:426924874929:byoc-state"
    assert docs.state_exporter_policy(q)["Statement"] == [
        {"Sid": "SendStateToVendorQueue", "Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": [q]}
    ]
    (st,) = docs.billing_scraper_policy("arn:aws:s3:::vendor-billing", "/123456789012/dev/")["Statement"]
    assert st["Action"] == ["s3:PutObject"] and st["Resource"] == ["arn:aws:s3:::vendor-billing/123456789012/dev/*"]
    (whole,) = docs.billing_scraper_policy("arn:aws:s3:::vendor-billing", "")["Statement"]
    assert whole["Resource"] == ["arn:aws:s3:::vendor-billing/*"]


def test_clickhouse_objects_under_prefix_and_buckets_only():
    doc = statements(docs.clickhouse_server_policy(BUCKETS[0], BUCKETS[1], "svc-a"))
    assert doc["ClickHouseReadWriteObjects"]["Resource"] == [f"{BUCKETS[0]}/svc-a/*", f"{BUCKETS[1]}/svc-a/*"]
    assert doc["ClickHouseListBuckets"]["Condition"] == {"StringLike": {"s3:prefix": ["svc-a/*", "svc-a"]}}
    whole = statements(docs.clickhouse_server_policy(BUCKETS[0], BUCKETS[1], None))
    assert whole["ClickHouseReadWriteObjects"]["Resource"] == [f"{BUCKETS[0]}/*", f"{BUCKETS[1]}/*"]
    assert "Condition" not in whole["ClickHouseListBuckets"]
    thanos = statements(docs.thanos_policy(BUCKETS[2]))
    assert thanos["ThanosReadWriteObjects"]["Resource"] == [f"{BUCKETS[2]}/*"]


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
    assert "kms:CreateKey" in allowed_actions(*policies(kms=True).values())


def test_every_create_needs_the_request_tag_and_every_modify_the_resource_tag():
    net = statements(policies()["network"])
    assert net["Ec2CreateOnlyTagged"]["Condition"] == {"StringEquals": {"aws:RequestTag/clickhouse-byoc": "true"}}
    for sid in ("Ec2ModifyOnlyTagged", "Ec2DeleteOnlyTagged"):
        assert net[sid]["Condition"] == {"StringEquals": {"aws:ResourceTag/clickhouse-byoc": "true"}}
    assert net["Ec2TagOnCreate"]["Condition"]["StringEquals"]["aws:RequestTag/clickhouse-byoc"] == "true"


def test_creating_a_role_requires_the_boundary_and_the_tag():
    iam = statements(policies()["iam"])
    create = iam["CreateRolesOnlyWithBoundaryAndTag"]
    assert create["Action"] == ["iam:CreateRole"]
    assert create["Resource"] == ["arn:aws:iam::123456789012:role/ClickHouse-cloud-dev-*"]
    assert create["Condition"] == {
        "StringEquals": {
            "iam:PermissionsBoundary": "arn:aws:iam::123456789012:policy/ClickHouse-cloud-dev-boundary",
            "aws:RequestTag/clickhouse-byoc": "true",
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
    assert tagged["Resource"] == ["arn:aws:iam::123456789012:role/ClickHouse-cloud-dev-*"]
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
        "StringEquals": {"aws:RequestTag/clickhouse-byoc": "true"}
    }
    assert eks["EksListDescribe"]["Action"] == ["eks:Describe*", "eks:List*"]


def test_route53_and_s3_scoped_to_the_deployment():
    st = statements(policies()["storage"])
    assert st["Route53RecordsInDeploymentZone"]["Resource"] == [ZONE]
    assert st["S3ConfigureDeploymentBuckets"]["Resource"] == list(BUCKETS)
    assert not any(a.startswith("route53:") and a.endswith("*") for a in allowed_actions(policies()["storage"]))
    # An expiry lifecycle rule could delete ClickHouse data: never granted.
    assert "s3:PutLifecycleConfiguration" not in allowed_actions(*policies(kms=True).values())


@pytest.mark.parametrize("mode", docs.MODES)
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
