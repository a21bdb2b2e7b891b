"""Every IAM document the program grants, as pure functions returning plain dicts.

Pulumi resources (`components/iam.py`), the tests (parliament, condition checks), the review export
(`tools/iam_export.py`) and the CloudFormation template (`tools/bootstrap_template.py`) all build
their documents here, so what a reviewer reads is exactly what is deployed. Arguments are plain
strings: callers holding Outputs use `Output.apply`.

Every statement carries a `Sid` saying what it is for. Add-on policies follow the upstream
least-privilege versions (the add-ons' own docs, terraform-aws-modules
`iam-role-for-service-accounts`), tightened where the deployment knows more (its zone, its cluster
name, its buckets).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from components.naming import BYOC_TAG

VERSION = "2012-10-17"
Doc = dict[str, Any]

# AWS managed policies attached by ARN (the AWS-maintained versions follow new EKS features).
EKS_CLUSTER_POLICY = "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"
EKS_WORKER_POLICY = "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"
ECR_READ_ONLY_POLICY = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"
# On the aws-node IRSA role, not the node role: pods on the node then cannot use it (EKS best practices).
EKS_CNI_POLICY = "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"

BYOC_REQUEST_TAG = f"aws:RequestTag/{BYOC_TAG}"
BYOC_RESOURCE_TAG = f"aws:ResourceTag/{BYOC_TAG}"
LBC_TAG = "elbv2.k8s.aws/cluster"
# Every role this program creates carries it; the bootstrap role may not change roles that do.
PURPOSE_TAG = "clickhouse-byoc/purpose"
MODES = ("full", "operate", "revoked")
VENDOR_SESSION_SECONDS = 3600


def statement(
    sid: str, actions: list[str], resources: list[str] | str, condition: dict | None = None, effect: str = "Allow"
) -> Doc:
    """One statement; `Sid` first so the exported JSON reads top-down."""
    out: Doc = {"Sid": sid, "Effect": effect, "Action": sorted(actions)}
    out["Resource"] = resources if isinstance(resources, str) else list(resources)
    if condition:
        out["Condition"] = condition
    return out


def document(*statements: Doc) -> Doc:
    return {"Version": VERSION, "Statement": list(statements)}


# -- trust documents ---------------------------------------------------------------------------


def irsa_trust(oidc_provider_arn: str, oidc_issuer: str, namespace: str, service_account: str) -> Doc:
    """Only this namespace/service account of this cluster, and only for STS, may assume the role."""
    issuer = oidc_issuer.removeprefix("https://")
    return document(
        {
            "Sid": "ServiceAccountWebIdentity",
            "Effect": "Allow",
            "Principal": {"Federated": oidc_provider_arn},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {
                    f"{issuer}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                    f"{issuer}:aud": "sts.amazonaws.com",
                }
            },
        }
    )


def service_trust(service: str) -> Doc:
    """An AWS service (eks.amazonaws.com, ec2.amazonaws.com) may assume the role."""
    sid = "".join(part.capitalize() for part in service.split(".")[0].split("-")) + "ServiceAssumesRole"
    return document(
        {"Sid": sid, "Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"},
    )


def vendor_trust(vendor_account_id: str, external_id: str, principal_arn_pattern: str, until: str | None = None) -> Doc:
    """The vendor's control plane, with the customer's external id, from its controller roles only.

    `until` (ISO-8601 UTC) adds `DateLessThan aws:CurrentTime`: no new session after that instant.
    """
    condition: Doc = {
        "StringEquals": {"sts:ExternalId": external_id},
        "StringLike": {"aws:PrincipalArn": principal_arn_pattern},
    }
    if until:
        condition["DateLessThan"] = {"aws:CurrentTime": until}
    return document(
        {
            "Sid": "VendorControlPlaneAssumesRole" if not until else "VendorAssumesRoleUntilExpiry",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{vendor_account_id}:root"},
            "Action": "sts:AssumeRole",
            "Condition": condition,
        }
    )


# -- add-on (IRSA) permission documents --------------------------------------------------------


def external_dns_policy(zone_arn: str) -> Doc:
    return document(
        statement("ChangeRecordsInDeploymentZone", ["route53:ChangeResourceRecordSets"], [zone_arn]),
        statement(
            "ListZonesAndRecords",
            ["route53:ListHostedZones", "route53:ListResourceRecordSets", "route53:ListTagsForResource"],
            "*",
        ),
    )


def cert_manager_policy(zone_arn: str) -> Doc:
    return document(
        statement("ReadChangeStatus", ["route53:GetChange"], ["arn:aws:route53:::change/*"]),
        statement(
            "Dns01RecordsInDeploymentZone",
            ["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets"],
            [zone_arn],
        ),
        statement("FindZoneByName", ["route53:ListHostedZonesByName"], "*"),
    )


def ebs_csi_policy(kms_key_arn: str | None) -> Doc:
    """The EBS CSI driver: volumes and snapshots it creates are tagged, and only those it deletes."""
    volume_and_snapshot = ["arn:aws:ec2:*:*:volume/*", "arn:aws:ec2:*:*:snapshot/*"]
    statements = [
        statement(
            "DescribeAndAttach",
            [
                "ec2:AttachVolume",
                "ec2:CreateSnapshot",
                "ec2:DescribeAvailabilityZones",
                "ec2:DescribeInstances",
                "ec2:DescribeSnapshots",
                "ec2:DescribeTags",
                "ec2:DescribeVolumes",
                "ec2:DescribeVolumesModifications",
                "ec2:DetachVolume",
                "ec2:ModifyVolume",
            ],
            "*",
        ),
        statement(
            "TagOnCreate",
            ["ec2:CreateTags"],
            volume_and_snapshot,
            {"StringEquals": {"ec2:CreateAction": ["CreateVolume", "CreateSnapshot"]}},
        ),
        statement("UntagDriverVolumes", ["ec2:DeleteTags"], volume_and_snapshot),
        statement(
            "CreateVolumesTaggedForCluster",
            ["ec2:CreateVolume"],
            "*",
            {"StringLike": {"aws:RequestTag/ebs.csi.aws.com/cluster": "true"}},
        ),
        statement(
            "CreateVolumesNamedByDriver",
            ["ec2:CreateVolume"],
            "*",
            {"StringLike": {"aws:RequestTag/CSIVolumeName": "*"}},
        ),
        statement(
            "DeleteVolumesTaggedForCluster",
            ["ec2:DeleteVolume"],
            "*",
            {"StringLike": {"ec2:ResourceTag/ebs.csi.aws.com/cluster": "true"}},
        ),
        statement(
            "DeleteVolumesNamedByDriver",
            ["ec2:DeleteVolume"],
            "*",
            {"StringLike": {"ec2:ResourceTag/CSIVolumeName": "*"}},
        ),
        statement(
            "DeleteSnapshotsTaggedForCluster",
            ["ec2:DeleteSnapshot"],
            "*",
            {"StringLike": {"ec2:ResourceTag/ebs.csi.aws.com/cluster": "true"}},
        ),
        statement(
            "DeleteSnapshotsNamedByDriver",
            ["ec2:DeleteSnapshot"],
            "*",
            {"StringLike": {"ec2:ResourceTag/CSIVolumeSnapshotName": "*"}},
        ),
    ]
    if kms_key_arn:
        statements += [
            statement(
                "GrantsForEbsOnly",
                ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
                [kms_key_arn],
                {"Bool": {"kms:GrantIsForAWSResource": "true"}},
            ),
            statement(
                "UseVolumeKey",
                ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
                [kms_key_arn],
            ),
        ]
    return document(*statements)


def cluster_autoscaler_policy(cluster_name: str) -> Doc:
    return document(
        statement(
            "DescribeGroupsAndInstanceTypes",
            [
                "autoscaling:DescribeAutoScalingGroups",
                "autoscaling:DescribeAutoScalingInstances",
                "autoscaling:DescribeLaunchConfigurations",
                "autoscaling:DescribeScalingActivities",
                "autoscaling:DescribeTags",
                "ec2:DescribeImages",
                "ec2:DescribeInstanceTypes",
                "ec2:DescribeLaunchTemplateVersions",
                "ec2:GetInstanceTypesFromInstanceRequirements",
                "eks:DescribeNodegroup",
            ],
            "*",
        ),
        statement(
            "ScaleOnlyThisClustersGroups",
            ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
            "*",
            {"StringEquals": {f"autoscaling:ResourceTag/k8s.io/cluster-autoscaler/{cluster_name}": "owned"}},
        ),
    )


def load_balancer_controller_policy(cluster_name: str) -> Doc:
    """The upstream controller policy; its tag conditions also pin the tag value to this cluster.

    Follows the controller's `docs/install/iam_policy.json` of the v2.8+ line (listener attributes,
    trust stores, capacity reservations), without the opt-in IPAM pool actions.
    """
    owned = {"StringEquals": {f"aws:ResourceTag/{LBC_TAG}": cluster_name}}
    requested = {"StringEquals": {f"aws:RequestTag/{LBC_TAG}": cluster_name}}
    lb_arns = [
        "arn:aws:elasticloadbalancing:*:*:targetgroup/*/*",
        "arn:aws:elasticloadbalancing:*:*:loadbalancer/net/*/*",
        "arn:aws:elasticloadbalancing:*:*:loadbalancer/app/*/*",
    ]
    return document(
        statement(
            "ElbServiceLinkedRole",
            ["iam:CreateServiceLinkedRole"],
            "*",
            {"StringEquals": {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}},
        ),
        statement(
            "Describe",
            [
                "ec2:DescribeAccountAttributes",
                "ec2:DescribeAddresses",
                "ec2:DescribeAvailabilityZones",
                "ec2:DescribeCoipPools",
                "ec2:DescribeInstances",
                "ec2:DescribeInternetGateways",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeRouteTables",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSubnets",
                "ec2:DescribeTags",
                "ec2:DescribeVpcPeeringConnections",
                "ec2:DescribeVpcs",
                "ec2:GetCoipPoolUsage",
                "ec2:GetSecurityGroupsForVpc",
                "elasticloadbalancing:DescribeCapacityReservation",
                "elasticloadbalancing:DescribeListenerAttributes",
                "elasticloadbalancing:DescribeListenerCertificates",
                "elasticloadbalancing:DescribeListeners",
                "elasticloadbalancing:DescribeLoadBalancerAttributes",
                "elasticloadbalancing:DescribeLoadBalancers",
                "elasticloadbalancing:DescribeRules",
                "elasticloadbalancing:DescribeSSLPolicies",
                "elasticloadbalancing:DescribeTags",
                "elasticloadbalancing:DescribeTargetGroupAttributes",
                "elasticloadbalancing:DescribeTargetGroups",
                "elasticloadbalancing:DescribeTargetHealth",
                "elasticloadbalancing:DescribeTrustStores",
            ],
            "*",
        ),
        statement(
            "CertificatesWafShield",
            [
                "acm:DescribeCertificate",
                "acm:ListCertificates",
                "cognito-idp:DescribeUserPoolClient",
                "iam:GetServerCertificate",
                "iam:ListServerCertificates",
                "shield:CreateProtection",
                "shield:DeleteProtection",
                "shield:DescribeProtection",
                "shield:GetSubscriptionState",
                "waf-regional:AssociateWebACL",
                "waf-regional:DisassociateWebACL",
                "waf-regional:GetWebACL",
                "waf-regional:GetWebACLForResource",
                "wafv2:AssociateWebACL",
                "wafv2:DisassociateWebACL",
                "wafv2:GetWebACL",
                "wafv2:GetWebACLForResource",
            ],
            "*",
        ),
        statement("CreateSecurityGroups", ["ec2:CreateSecurityGroup"], "*"),
        statement(
            "TagSecurityGroupsOnCreate",
            ["ec2:CreateTags"],
            ["arn:aws:ec2:*:*:security-group/*"],
            {"StringEquals": {"ec2:CreateAction": "CreateSecurityGroup", f"aws:RequestTag/{LBC_TAG}": cluster_name}},
        ),
        statement(
            "RetagOwnedSecurityGroups",
            ["ec2:CreateTags", "ec2:DeleteTags"],
            ["arn:aws:ec2:*:*:security-group/*"],
            {"Null": {f"aws:RequestTag/{LBC_TAG}": "true"}, **owned},
        ),
        statement(
            "ManageOwnedSecurityGroups",
            ["ec2:AuthorizeSecurityGroupIngress", "ec2:DeleteSecurityGroup", "ec2:RevokeSecurityGroupIngress"],
            "*",
            owned,
        ),
        statement(
            "CreateTaggedLoadBalancers",
            ["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"],
            "*",
            requested,
        ),
        statement(
            "ManageListenersAndRules",
            [
                "elasticloadbalancing:CreateListener",
                "elasticloadbalancing:CreateRule",
                "elasticloadbalancing:DeleteListener",
                "elasticloadbalancing:DeleteRule",
            ],
            "*",
        ),
        statement(
            "RetagOwnedLoadBalancers",
            ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
            lb_arns,
            {"Null": {f"aws:RequestTag/{LBC_TAG}": "true"}, **owned},
        ),
        statement(
            "TagListenersAndRules",
            ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
            [
                "arn:aws:elasticloadbalancing:*:*:listener/net/*/*/*",
                "arn:aws:elasticloadbalancing:*:*:listener/app/*/*/*",
                "arn:aws:elasticloadbalancing:*:*:listener-rule/net/*/*/*",
                "arn:aws:elasticloadbalancing:*:*:listener-rule/app/*/*/*",
            ],
        ),
        statement(
            "ManageOwnedLoadBalancers",
            [
                "elasticloadbalancing:DeleteLoadBalancer",
                "elasticloadbalancing:DeleteTargetGroup",
                "elasticloadbalancing:ModifyCapacityReservation",
                "elasticloadbalancing:ModifyListenerAttributes",
                "elasticloadbalancing:ModifyLoadBalancerAttributes",
                "elasticloadbalancing:ModifyTargetGroup",
                "elasticloadbalancing:ModifyTargetGroupAttributes",
                "elasticloadbalancing:SetIpAddressType",
                "elasticloadbalancing:SetSecurityGroups",
                "elasticloadbalancing:SetSubnets",
            ],
            "*",
            owned,
        ),
        statement(
            "TagOnCreate",
            ["elasticloadbalancing:AddTags"],
            lb_arns,
            {
                "StringEquals": {
                    "elasticloadbalancing:CreateAction": ["CreateTargetGroup", "CreateLoadBalancer"],
                    f"aws:RequestTag/{LBC_TAG}": cluster_name,
                }
            },
        ),
        statement(
            "RegisterTargets",
            ["elasticloadbalancing:DeregisterTargets", "elasticloadbalancing:RegisterTargets"],
            ["arn:aws:elasticloadbalancing:*:*:targetgroup/*/*"],
        ),
        statement(
            "ModifyListenersAndRules",
            [
                "elasticloadbalancing:AddListenerCertificates",
                "elasticloadbalancing:ModifyListener",
                "elasticloadbalancing:ModifyRule",
                "elasticloadbalancing:RemoveListenerCertificates",
                "elasticloadbalancing:SetWebAcl",
            ],
            "*",
        ),
    )


def state_exporter_policy(queue_arn: str) -> Doc:
    return document(statement("SendStateToVendorQueue", ["sqs:SendMessage"], [queue_arn]))


def billing_scraper_policy(bucket_arn: str, prefix: str) -> Doc:
    """Write-only, under this deployment's prefix of the vendor's bucket."""
    prefix = prefix.strip("/")
    objects = f"{bucket_arn}/{prefix}/*" if prefix else f"{bucket_arn}/*"
    return document(statement("WriteBillingRecords", ["s3:PutObject"], [objects]))


def _bucket_rw(sid: str, bucket_arns: list[str], prefix: str | None) -> list[Doc]:
    prefix = (prefix or "").strip("/")
    objects = [f"{arn}/{prefix}/*" if prefix else f"{arn}/*" for arn in bucket_arns]
    list_condition = {"StringLike": {"s3:prefix": [f"{prefix}/*", prefix]}} if prefix else None
    return [
        statement(f"{sid}LocateBuckets", ["s3:GetBucketLocation"], bucket_arns),
        statement(f"{sid}ListBuckets", ["s3:ListBucket"], bucket_arns, list_condition),
        statement(
            f"{sid}ReadWriteObjects",
            [
                "s3:AbortMultipartUpload",
                "s3:DeleteObject",
                "s3:GetObject",
                "s3:ListMultipartUploadParts",
                "s3:PutObject",
            ],
            objects,
        ),
    ]


def clickhouse_server_policy(data_bucket_arn: str, backup_bucket_arn: str, prefix: str | None) -> Doc:
    """ClickHouse servers: object storage and backups, under `prefix` when given."""
    return document(*_bucket_rw("ClickHouse", [data_bucket_arn, backup_bucket_arn], prefix))


def thanos_policy(monitoring_bucket_arn: str) -> Doc:
    return document(*_bucket_rw("Thanos", [monitoring_bucket_arn], None))


# -- vendor access: bootstrap, boundary, data-plane-mgmt, troubleshooting ----------------------


@dataclass(frozen=True)
class BootstrapScope:
    """Everything the bootstrap role's documents are scoped to, as plain strings."""

    account_id: str
    """The customer account."""
    region: str
    """The deployment's region."""
    prefix: str
    """`ClickHouse-cloud-<id>`: the name prefix of every resource of the deployment."""
    cluster_name: str
    """The EKS cluster name."""
    zone_arn: str
    """The deployment's Route 53 hosted zone."""
    bucket_arns: tuple[str, ...]
    """The deployment's S3 buckets (data, backup, monitoring)."""
    role_arn: str
    """The bootstrap role itself (never modifiable by itself)."""
    protected_role_arns: tuple[str, ...]
    """Roles the program manages that the vendor must not change (vendor roles)."""

    def role(self, suffix: str) -> str:
        return f"arn:aws:iam::{self.account_id}:role/{self.prefix}-{suffix}"

    def policy(self, suffix: str) -> str:
        return f"arn:aws:iam::{self.account_id}:policy/{self.prefix}-{suffix}"

    @property
    def boundary_arn(self) -> str:
        return self.policy("boundary")

    @property
    def cluster_arn(self) -> str:
        return f"arn:aws:eks:{self.region}:{self.account_id}:cluster/{self.cluster_name}"


@dataclass(frozen=True)
class BootstrapAccess:
    """What the customer lets the bootstrap role do (config `bootstrap`)."""

    mode: str = "full"
    """`full` (set-up), `operate` (day 2) or `revoked` (nothing)."""
    vpc_write: bool = True
    """EC2/VPC create, modify and delete of tagged resources."""
    iam_write: bool = True
    """IAM roles and policies, always under the permissions boundary."""
    kms: bool = False
    """KMS keys tagged for the deployment."""


def _tagged_request() -> Doc:
    return {"StringEquals": {BYOC_REQUEST_TAG: "true"}}


def _tagged_resource() -> Doc:
    return {"StringEquals": {BYOC_RESOURCE_TAG: "true"}}


EC2_CREATE = [
    "ec2:AllocateAddress",
    "ec2:CreateInternetGateway",
    "ec2:CreateLaunchTemplate",
    "ec2:CreateNatGateway",
    "ec2:CreateRouteTable",
    "ec2:CreateSecurityGroup",
    "ec2:CreateSubnet",
    "ec2:CreateVpc",
    "ec2:CreateVpcEndpoint",
]
EC2_MODIFY = [
    "ec2:AssociateRouteTable",
    "ec2:AssociateVpcCidrBlock",
    "ec2:AttachInternetGateway",
    "ec2:AuthorizeSecurityGroupEgress",
    "ec2:AuthorizeSecurityGroupIngress",
    "ec2:CreateLaunchTemplateVersion",
    "ec2:CreateRoute",
    "ec2:CreateTags",
    "ec2:ModifyLaunchTemplate",
    "ec2:ModifySubnetAttribute",
    "ec2:ModifyVpcAttribute",
    "ec2:ModifyVpcEndpoint",
    "ec2:ReplaceRoute",
    "ec2:RevokeSecurityGroupEgress",
    "ec2:RevokeSecurityGroupIngress",
]
EC2_DELETE = [
    "ec2:DeleteInternetGateway",
    "ec2:DeleteLaunchTemplate",
    "ec2:DeleteNatGateway",
    "ec2:DeleteRoute",
    "ec2:DeleteRouteTable",
    "ec2:DeleteSecurityGroup",
    "ec2:DeleteSubnet",
    "ec2:DeleteVpc",
    "ec2:DeleteVpcEndpoints",
    "ec2:DetachInternetGateway",
    "ec2:DisassociateRouteTable",
    "ec2:DisassociateVpcCidrBlock",
    "ec2:ReleaseAddress",
]
EKS_OPERATE = [
    "eks:TagResource",
    "eks:UpdateAddon",
    "eks:UpdateClusterVersion",
    "eks:UpdateNodegroupConfig",
    "eks:UpdateNodegroupVersion",
]
EKS_SETUP = [
    "eks:CreateAddon",
    "eks:CreateNodegroup",
    "eks:CreatePodIdentityAssociation",
    "eks:DeleteAddon",
    "eks:DeleteNodegroup",
    "eks:DeletePodIdentityAssociation",
    "eks:UntagResource",
    "eks:UpdateClusterConfig",
    "eks:UpdatePodIdentityAssociation",
]
IAM_BOUNDED = [
    "iam:AttachRolePolicy",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
]
# IAM writes denied on the program-managed vendor roles and on the boundary and bootstrap policies.
IAM_GUARDED_ROLE_ACTIONS = [
    "iam:AttachRolePolicy",
    "iam:CreateRole",
    "iam:DeleteRole",
    "iam:DeleteRolePermissionsBoundary",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
    "iam:TagRole",
    "iam:UntagRole",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateRole",
]
IAM_GUARDED_POLICY_ACTIONS = [
    "iam:CreatePolicy",
    "iam:CreatePolicyVersion",
    "iam:DeletePolicy",
    "iam:DeletePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:TagPolicy",
    "iam:UntagPolicy",
]
# Service-linked roles EKS, managed node groups and load balancers create on first use.
SERVICE_LINKED = [
    "autoscaling.amazonaws.com",
    "eks-nodegroup.amazonaws.com",
    "eks.amazonaws.com",
    "elasticloadbalancing.amazonaws.com",
]


def _network_statements(access: BootstrapAccess) -> list[Doc]:
    out = [statement("Ec2Describe", ["ec2:Describe*"], "*")]
    if not access.vpc_write:
        return out
    if access.mode == "full":
        out += [
            statement("Ec2CreateOnlyTagged", EC2_CREATE, "*", _tagged_request()),
            statement(
                "Ec2TagOnCreate",
                ["ec2:CreateTags"],
                "*",
                {"StringEquals": {"ec2:CreateAction": [a.split(":")[1] for a in EC2_CREATE], BYOC_REQUEST_TAG: "true"}},
            ),
        ]
    out.append(statement("Ec2ModifyOnlyTagged", EC2_MODIFY, "*", _tagged_resource()))
    if access.mode == "full":
        out.append(statement("Ec2DeleteOnlyTagged", EC2_DELETE, "*", _tagged_resource()))
    return out


def _eks_statements(scope: BootstrapScope, access: BootstrapAccess) -> list[Doc]:
    account, region, cluster = scope.account_id, scope.region, scope.cluster_name
    children = [
        f"arn:aws:eks:{region}:{account}:nodegroup/{cluster}/*/*",
        f"arn:aws:eks:{region}:{account}:addon/{cluster}/*/*",
        f"arn:aws:eks:{region}:{account}:podidentityassociation/{cluster}/*",
    ]
    out = [
        statement("EksListDescribe", ["eks:Describe*", "eks:List*"], "*"),
        statement("EksOperateDeploymentCluster", EKS_OPERATE, [scope.cluster_arn, *children]),
    ]
    if access.mode == "full":
        out += [
            statement("EksSetUpDeploymentCluster", EKS_SETUP, [scope.cluster_arn, *children]),
            # CreateCluster takes no resource ARN: the request tag is what scopes it.
            statement("EksCreateOnlyTaggedClusters", ["eks:CreateCluster"], "*", _tagged_request()),
            statement("EksDeleteDeploymentCluster", ["eks:DeleteCluster"], [scope.cluster_arn]),
            statement(
                "PassControlPlaneRoleToEks",
                ["iam:PassRole"],
                [scope.role("k8s-control-plane")],
                {"StringEquals": {"iam:PassedToService": "eks.amazonaws.com"}},
            ),
            statement(
                "PassWorkerRoleToNodeGroups",
                ["iam:PassRole"],
                [scope.role("k8s-worker")],
                {"StringEquals": {"iam:PassedToService": ["ec2.amazonaws.com", "eks.amazonaws.com"]}},
            ),
        ]
    return out


def _iam_statements(scope: BootstrapScope, access: BootstrapAccess) -> list[Doc]:
    roles, policies = [scope.role("*")], [scope.policy("*")]
    bounded = {"StringEquals": {"iam:PermissionsBoundary": scope.boundary_arn}}
    out = [
        statement(
            "IamReadDeploymentRolesAndPolicies",
            [
                "iam:GetPolicy",
                "iam:GetPolicyVersion",
                "iam:GetRole",
                "iam:GetRolePolicy",
                "iam:ListAttachedRolePolicies",
                "iam:ListPolicyVersions",
                "iam:ListRolePolicies",
                "iam:ListRoleTags",
            ],
            [*roles, *policies],
        ),
    ]
    if not access.iam_write:
        return out
    if access.mode == "full":
        out += [
            statement(
                "CreateRolesOnlyWithBoundaryAndTag",
                ["iam:CreateRole"],
                roles,
                {"StringEquals": {"iam:PermissionsBoundary": scope.boundary_arn, BYOC_REQUEST_TAG: "true"}},
            ),
            statement("TagRolesWithByocTag", ["iam:TagRole"], roles, _tagged_request()),
            statement("DeleteTaggedRoles", ["iam:DeleteRole"], roles, _tagged_resource()),
            statement("CreatePoliciesOnlyTagged", ["iam:CreatePolicy", "iam:TagPolicy"], policies, _tagged_request()),
            statement(
                "ServiceLinkedRolesForEksAndElb",
                ["iam:CreateServiceLinkedRole"],
                "*",
                {"StringEquals": {"iam:AWSServiceName": SERVICE_LINKED}},
            ),
        ]
    out += [
        statement("ChangePoliciesOfBoundedRolesOnly", IAM_BOUNDED, roles, bounded),
        statement(
            "VersionDeploymentPolicies",
            ["iam:CreatePolicyVersion", "iam:DeletePolicyVersion"]
            + (["iam:DeletePolicy"] if access.mode == "full" else []),
            policies,
        ),
    ]
    return out


def _storage_statements(scope: BootstrapScope, access: BootstrapAccess) -> list[Doc]:
    buckets = list(scope.bucket_arns)
    out = [
        statement(
            "S3ReadDeploymentBucketSettings",
            [
                "s3:GetBucketLocation",
                "s3:GetBucketOwnershipControls",
                "s3:GetBucketPolicy",
                "s3:GetBucketPublicAccessBlock",
                "s3:GetBucketTagging",
                "s3:GetBucketVersioning",
                "s3:GetEncryptionConfiguration",
                "s3:GetLifecycleConfiguration",
            ],
            buckets,
        ),
        statement(
            "S3ConfigureDeploymentBuckets",
            # No s3:PutLifecycleConfiguration: an expiry rule would delete ClickHouse data without
            # s3:DeleteObject. Lifecycle rules are the program's (Pulumi's) to set.
            ["s3:PutBucketTagging"]
            + (
                [
                    "s3:CreateBucket",
                    "s3:DeleteBucket",
                    "s3:PutBucketOwnershipControls",
                    "s3:PutBucketPublicAccessBlock",
                    "s3:PutBucketVersioning",
                    "s3:PutEncryptionConfiguration",
                ]
                if access.mode == "full"
                else []
            ),
            buckets,
        ),
        statement(
            "Route53RecordsInDeploymentZone",
            ["route53:ChangeResourceRecordSets", "route53:GetHostedZone", "route53:ListResourceRecordSets"],
            [scope.zone_arn],
        ),
        statement("Route53ReadChanges", ["route53:GetChange"], ["arn:aws:route53:::change/*"]),
        statement("Route53ListZones", ["route53:ListHostedZones", "route53:ListHostedZonesByName"], "*"),
    ]
    if access.kms:
        keys = [f"arn:aws:kms:{scope.region}:{scope.account_id}:key/*"]
        if access.mode == "full":
            tagged = _tagged_request()
            out.append(statement("KmsCreateOnlyTaggedKeys", ["kms:CreateKey", "kms:TagResource"], "*", tagged))
        out += [
            statement(
                "KmsManageTaggedKeys",
                [
                    "kms:DescribeKey",
                    "kms:EnableKeyRotation",
                    "kms:GetKeyPolicy",
                    "kms:GetKeyRotationStatus",
                    "kms:ListResourceTags",
                ]
                + (["kms:ScheduleKeyDeletion"] if access.mode == "full" else []),
                keys,
                _tagged_resource(),
            ),
            # Alias actions authorize on both the alias and the key it points to.
            statement(
                "KmsAliasesOfDeployment",
                ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"],
                [f"arn:aws:kms:{scope.region}:{scope.account_id}:alias/{scope.prefix}-*", *keys],
            ),
            statement(
                "KmsGrantsForAwsServicesOnly",
                ["kms:CreateGrant"],
                keys,
                {"Bool": {"kms:GrantIsForAWSResource": "true"}, **_tagged_resource()},
            ),
        ]
    return out


def _guardrail_statements(scope: BootstrapScope) -> list[Doc]:
    return [
        statement(
            "DenyBoundaryRemoval",
            ["iam:DeleteRolePermissionsBoundary"],
            "*",
            effect="Deny",
        ),
        statement(
            "DenyAnyOtherBoundary",
            ["iam:CreateRole", "iam:PutRolePermissionsBoundary"],
            "*",
            {"StringNotEquals": {"iam:PermissionsBoundary": scope.boundary_arn}},
            effect="Deny",
        ),
        statement(
            "DenyChangingBoundaryAndOwnPolicies",
            IAM_GUARDED_POLICY_ACTIONS,
            [scope.boundary_arn, scope.policy("management-*")],
            effect="Deny",
        ),
        statement(
            "DenyChangingVendorRoles",
            IAM_GUARDED_ROLE_ACTIONS,
            sorted({scope.role_arn, *scope.protected_role_arns}),
            effect="Deny",
        ),
        statement(
            "DenyChangingProgramManagedRoles",
            [a for a in IAM_GUARDED_ROLE_ACTIONS if a != "iam:CreateRole"],
            [scope.role("*")],
            {"Null": {f"aws:ResourceTag/{PURPOSE_TAG}": "false"}},
            effect="Deny",
        ),
    ]


def bootstrap_policy_names(access: BootstrapAccess) -> tuple[str, ...]:
    """The suffixes `bootstrap_policies` returns for this access (they do not depend on the scope)."""
    if access.mode not in MODES:
        raise ValueError(f"unknown bootstrap mode {access.mode!r}; use one of {', '.join(MODES)}")
    return ("revoked",) if access.mode == "revoked" else ("network", "eks", "iam", "storage", "guardrails")


def bootstrap_policies(scope: BootstrapScope, access: BootstrapAccess) -> dict[str, Doc]:
    """The bootstrap role's permission documents, by policy suffix (`management-<suffix>`).

    Split by area so each stays well under the 6,144-character managed policy limit. `revoked`
    returns one explicit deny of everything: the role keeps its trust and can do nothing.
    """
    if bootstrap_policy_names(access) == ("revoked",):
        return {"revoked": document(statement("DenyEverything", ["*"], "*", effect="Deny"))}
    return {
        "network": document(*_network_statements(access)),
        "eks": document(*_eks_statements(scope, access)),
        "iam": document(*_iam_statements(scope, access)),
        "storage": document(*_storage_statements(scope, access)),
        "guardrails": document(*_guardrail_statements(scope)),
    }


def boundary_policy(scope: BootstrapScope, state_queue_arn: str | None = None) -> Doc:
    """The ceiling of every role the bootstrap role creates: the add-ons' and EKS's needs, no IAM.

    A role under this boundary can never create or change IAM principals or policies, so the
    controller cannot mint a role stronger than itself.
    """
    buckets = list(scope.bucket_arns)
    statements = [
        statement(
            "Ec2ForEksNodesCniAndVolumes",
            [
                "ec2:AssignPrivateIpAddresses",
                "ec2:AttachNetworkInterface",
                "ec2:AttachVolume",
                "ec2:AuthorizeSecurityGroupIngress",
                "ec2:CreateNetworkInterface",
                "ec2:CreateNetworkInterfacePermission",
                "ec2:CreateSecurityGroup",
                "ec2:CreateSnapshot",
                "ec2:CreateTags",
                "ec2:CreateVolume",
                "ec2:DeleteNetworkInterface",
                "ec2:DeleteSecurityGroup",
                "ec2:DeleteSnapshot",
                "ec2:DeleteTags",
                "ec2:DeleteVolume",
                "ec2:Describe*",
                "ec2:DetachNetworkInterface",
                "ec2:DetachVolume",
                "ec2:GetInstanceTypesFromInstanceRequirements",
                "ec2:ModifyNetworkInterfaceAttribute",
                "ec2:ModifyVolume",
                "ec2:RevokeSecurityGroupIngress",
                "ec2:UnassignPrivateIpAddresses",
            ],
            "*",
        ),
        statement(
            "LoadBalancersAndScaling",
            [
                "autoscaling:Describe*",
                "autoscaling:SetDesiredCapacity",
                "autoscaling:TerminateInstanceInAutoScalingGroup",
                "elasticloadbalancing:*",
            ],
            "*",
        ),
        statement(
            "ClusterAndImagesRead",
            [
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:GetAuthorizationToken",
                "ecr:GetDownloadUrlForLayer",
                "eks:Describe*",
                "eks:List*",
            ],
            "*",
        ),
        statement(
            "ServiceLinkedRolesOnly",
            ["iam:CreateServiceLinkedRole"],
            "*",
            {"StringEquals": {"iam:AWSServiceName": SERVICE_LINKED}},
        ),
        statement(
            "DeploymentZoneRecords",
            ["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets"],
            [scope.zone_arn],
        ),
        statement(
            "Route53Lookups",
            ["route53:GetChange", "route53:ListHostedZones", "route53:ListHostedZonesByName"],
            "*",
        ),
        statement(
            "DeploymentBucketsOnly",
            [
                "s3:AbortMultipartUpload",
                "s3:DeleteObject",
                "s3:GetBucketLocation",
                "s3:GetObject",
                "s3:ListBucket",
                "s3:ListMultipartUploadParts",
                "s3:PutObject",
            ],
            [*buckets, *(f"{b}/*" for b in buckets)],
        ),
        statement(
            "TaggedKeysForAwsServicesOnly",
            ["kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*"],
            [f"arn:aws:kms:{scope.region}:{scope.account_id}:key/*"],
            _tagged_resource(),
        ),
        statement(
            "ClusterLogs",
            ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:PutRetentionPolicy"],
            [f"arn:aws:logs:{scope.region}:{scope.account_id}:log-group:/aws/eks/{scope.cluster_name}/*"],
        ),
    ]
    if state_queue_arn:
        statements.append(statement("VendorStateQueue", ["sqs:SendMessage"], [state_queue_arn]))
    statements.append(
        statement(
            "DenyIamAndStsEscalation",
            [
                "iam:AddUserToGroup",
                "iam:AttachGroupPolicy",
                "iam:AttachRolePolicy",
                "iam:AttachUserPolicy",
                "iam:CreateAccessKey",
                "iam:CreateLoginProfile",
                "iam:CreatePolicy",
                "iam:CreatePolicyVersion",
                "iam:CreateRole",
                "iam:CreateUser",
                "iam:DeleteRolePermissionsBoundary",
                "iam:PassRole",
                "iam:PutGroupPolicy",
                "iam:PutRolePermissionsBoundary",
                "iam:PutRolePolicy",
                "iam:PutUserPolicy",
                "iam:SetDefaultPolicyVersion",
                "iam:UpdateAssumeRolePolicy",
            ],
            "*",
            effect="Deny",
        )
    )
    return document(*statements)


def data_plane_mgmt_policy(cluster_arn: str) -> Doc:
    """Enough to fetch the cluster endpoint; Kubernetes rights come from the EKS access entry."""
    return document(statement("DescribeDeploymentCluster", ["eks:DescribeCluster"], [cluster_arn]))


def troubleshooting_policy(account_id: str, region: str, cluster_name: str, until: str) -> Doc:
    """Read-only, and only until `until`: sessions opened before expiry stop working at expiry too."""
    before = {"DateLessThan": {"aws:CurrentTime": until}}
    log_groups = f"arn:aws:logs:{region}:{account_id}:log-group:/aws/eks/{cluster_name}/*"
    return document(
        statement(
            "DescribeClusterNetworkAndLoadBalancers",
            [
                "ec2:DescribeInstances",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeRouteTables",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSubnets",
                "ec2:DescribeVolumes",
                "ec2:DescribeVpcs",
                "eks:DescribeAddon",
                "eks:DescribeCluster",
                "eks:DescribeNodegroup",
                "eks:DescribeUpdate",
                "eks:ListAddons",
                "eks:ListClusters",
                "eks:ListNodegroups",
                "eks:ListUpdates",
                "elasticloadbalancing:DescribeListeners",
                "elasticloadbalancing:DescribeLoadBalancers",
                "elasticloadbalancing:DescribeTargetGroups",
                "elasticloadbalancing:DescribeTargetHealth",
            ],
            "*",
            before,
        ),
        statement(
            "ReadClusterLogs",
            [
                "logs:DescribeLogStreams",
                "logs:FilterLogEvents",
                "logs:GetLogEvents",
                "logs:StartQuery",
            ],
            [log_groups, f"{log_groups}:log-stream:*"],
            before,
        ),
        statement(
            "ListLogGroupsAndQueryResults",
            ["logs:DescribeLogGroups", "logs:GetQueryResults", "logs:StopQuery"],
            "*",
            before,
        ),
    )
