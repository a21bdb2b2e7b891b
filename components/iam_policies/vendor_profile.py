"""The `clickhouse-cloud` profile of the bootstrap role: what ClickHouse's published AWS onboarding grants.

For customers whose infrastructure the vendor's own BYOC controller builds (`bootstrap.only: true`
with this profile replaces the vendor's CloudFormation onboarding with a reviewed Pulumi stack).
The documents mirror `modules/aws/main.tf` of `ClickHouse/byoc-gcp-onboarding` (vendored as
`tests/upstream/iam/clickhouse-byoc-onboarding-aws.json`, compared both ways by
`tests/test_iam_profiles.py`): the vendor's scoping (`clickhouse-byoc=true` tags, `clickhouse-cloud-*`
names, bucket name patterns of the vendor's buckets, Pod Identity `iam:PassRole` by role-name
pattern) and no permissions boundary (the vendor's controller sets none). It gives up this
program's per-deployment isolation: see docs/iam.md.
"""

from __future__ import annotations

from typing import Any

from components.iam_policies.common import BootstrapAccess, Doc, document

# ClickHouse's production BYOC account, owner of the keys its controller may use for EKS secrets
# encryption (`byoc_account_map.production` of the module).
VENDOR_KEY_ACCOUNT = "381492293576"
# Policy suffix -> the module variable that attaches it ("always": unconditionally).
TOGGLES = {"iam-write": "iam_write", "kms": "kms", "vpc-write": "vpc_write"}


def _sid(actions: list[str], n: int) -> str:
    service, verb = actions[0].split(":")
    head = "".join(p.capitalize() for p in service.split("-")) + verb.replace("*", "All")
    return f"{head}{n}"


def _statements() -> dict[str, list[Doc]]:
    counter = iter(range(1, 1000))

    def st(actions: list[str], resources: list[str], cond: dict[str, Any] | None = None) -> Doc:
        out: Doc = {"Sid": _sid(actions, next(counter)), "Effect": "Allow", "Action": list(actions)}
        out["Resource"] = list(resources)
        if cond:
            out["Condition"] = cond
        return out

    # The module grants these twice on security groups: tagged for the deployment, or owned by an
    # EKS cluster named clickhouse-cloud-*.
    security_group_writes = [
        "ec2:AuthorizeSecurityGroupEgress",
        "ec2:AuthorizeSecurityGroupIngress",
        "ec2:RevokeSecurityGroupEgress",
        "ec2:RevokeSecurityGroupIngress",
        "ec2:DeleteSecurityGroup",
        "ec2:ModifySecurityGroupRules",
    ]

    def eq(key: str, *values: str) -> Doc:
        return {"StringEquals": {key: list(values)}}

    def RT() -> Doc:  # the module's request-tag condition
        return eq("aws:RequestTag/clickhouse-byoc", "true")

    def RS() -> Doc:  # the module's resource-tag condition
        return eq("aws:ResourceTag/clickhouse-byoc", "true")

    raw = {
        "base": ("always", [st(["sts:GetCallerIdentity"], ["*"])]),
        "iam-base": (
            "always",
            [
                st(["iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions"], ["arn:aws:iam::*:policy/*"]),
                st(
                    [
                        "iam:GetRole",
                        "iam:ListRolePolicies",
                        "iam:ListInstanceProfilesForRole",
                        "iam:GetRolePolicy",
                        "iam:ListAttachedRolePolicies",
                        "iam:SimulatePrincipalPolicy",
                    ],
                    ["arn:aws:iam::*:role/*"],
                ),
                st(
                    ["iam:PassRole"],
                    ["arn:aws:iam::*:role/*-k8s-control-plane"],
                    eq("iam:PassedToService", "eks.amazonaws.com"),
                ),
                st(
                    ["iam:PassRole"],
                    [
                        "arn:aws:iam::*:role/*-load-balancer-controller",
                        "arn:aws:iam::*:role/*-cluster-autoscaler",
                        "arn:aws:iam::*:role/*-clickhouse-*",
                        "arn:aws:iam::*:role/clickhouse/*",
                        "arn:aws:iam::*:role/*-CH-S3-Role",
                        "arn:aws:iam::*:role/*-state-exporter",
                        "arn:aws:iam::*:role/*-thanos",
                        "arn:aws:iam::*:role/*-ebs-csi-driver",
                        "arn:aws:iam::*:role/*-karpenter-controller",
                    ],
                    eq("iam:PassedToService", "pods.eks.amazonaws.com"),
                ),
                st(
                    ["iam:PassRole"],
                    ["arn:aws:iam::*:role/*-k8s-worker"],
                    eq("iam:PassedToService", "ec2.amazonaws.com", "eks.amazonaws.com"),
                ),
                st(
                    ["iam:PassRole"],
                    ["arn:aws:iam::*:role/*-karpenter-node"],
                    eq("iam:PassedToService", "ec2.amazonaws.com"),
                ),
                st(
                    ["iam:CreateServiceLinkedRole"],
                    ["arn:aws:iam::*:role/*"],
                    eq(
                        "iam:AWSServiceName",
                        "eks.amazonaws.com",
                        "eks-nodegroup.amazonaws.com",
                        "vpc-lattice.amazonaws.com",
                    ),
                ),
                st(["iam:GetOpenIDConnectProvider"], ["arn:aws:iam::*:oidc-provider/*"]),
                st(
                    [
                        "iam:TagOpenIDConnectProvider",
                        "iam:UntagOpenIDConnectProvider",
                        "iam:UpdateOpenIDConnectProviderThumbprint",
                        "iam:DeleteOpenIDConnectProvider",
                    ],
                    ["arn:aws:iam::*:oidc-provider/*"],
                    RS(),
                ),
                st(
                    ["iam:CreateOpenIDConnectProvider", "iam:TagOpenIDConnectProvider"],
                    ["arn:aws:iam::*:oidc-provider/*"],
                    RT(),
                ),
                st(["iam:ListInstanceProfilesForRole"], ["arn:aws:iam::*:instance-profile/*"], RS()),
                st(["iam:GetInstanceProfile", "iam:ListInstanceProfiles"], ["*"]),
            ],
        ),
        "iam-write": (
            "include_iam_write_permissions",
            [
                st(["iam:CreatePolicy", "iam:TagPolicy"], ["arn:aws:iam::*:policy/*"], RT()),
                st(
                    ["iam:DeletePolicy", "iam:UntagPolicy", "iam:CreatePolicyVersion", "iam:DeletePolicyVersion"],
                    ["arn:aws:iam::*:policy/*"],
                    RS(),
                ),
                st(["iam:CreateRole", "iam:TagRole"], ["arn:aws:iam::*:role/*"], RT()),
                st(
                    [
                        "iam:AttachRolePolicy",
                        "iam:DetachRolePolicy",
                        "iam:UpdateRole",
                        "iam:UpdateRoleDescription",
                        "iam:DeleteRole",
                        "iam:UpdateAssumeRolePolicy",
                        "iam:TagRole",
                        "iam:UntagRole",
                        "iam:PutRolePolicy",
                        "iam:DeleteRolePolicy",
                    ],
                    ["arn:aws:iam::*:role/*"],
                    RS(),
                ),
                st(["iam:RemoveRoleFromInstanceProfile"], ["arn:aws:iam::*:instance-profile/*"]),
                st(
                    ["iam:CreateInstanceProfile", "iam:TagInstanceProfile"], ["arn:aws:iam::*:instance-profile/*"], RT()
                ),
                st(
                    ["iam:AddRoleToInstanceProfile", "iam:DeleteInstanceProfile", "iam:UntagInstanceProfile"],
                    ["arn:aws:iam::*:instance-profile/*"],
                    RS(),
                ),
            ],
        ),
        "s3": (
            "always",
            [
                st(
                    [
                        "s3:GetBucketAcl",
                        "s3:GetBucketCors",
                        "s3:GetBucketLogging",
                        "s3:GetBucketObjectLockConfiguration",
                        "s3:GetBucketPolicy",
                        "s3:GetReplicationConfiguration",
                        "s3:GetEncryptionConfiguration",
                        "s3:GetBucketRequestPayment",
                        "s3:GetBucketTagging",
                        "s3:GetBucketVersioning",
                        "s3:GetBucketWebsite",
                        "s3:GetBucketOwnershipControls",
                        "s3:GetBucketPublicAccessBlock",
                        "s3:GetAccelerateConfiguration",
                        "s3:PutBucketTagging",
                        "s3:PutLifecycleConfiguration",
                        "s3:PutBucketOwnershipControls",
                        "s3:PutBucketPublicAccessBlock",
                        "s3:PutEncryptionConfiguration",
                        "s3:GetMetricsConfiguration",
                        "s3:PutMetricsConfiguration",
                        "s3:CreateBucket",
                        "s3:ListBucket",
                        "s3:GetLifecycleConfiguration",
                    ],
                    [
                        "arn:aws:s3:::*.*.aws.clickhouse.cloud-shared",
                        "arn:aws:s3:::*.*.aws.clickhouse.cloud-backup",
                        "arn:aws:s3:::*.*.aws.clickhouse.cloud-monitoring",
                    ],
                ),
            ],
        ),
        "eks": (
            "always",
            [
                st(
                    [
                        "eks:CreateAddon",
                        "eks:CreateCluster",
                        "eks:DeleteCluster",
                        "eks:DeleteAddon",
                        "eks:DeleteNodegroup",
                        "eks:CreateNodegroup",
                        "eks:UpdateAddon",
                        "eks:UpdateNodegroupVersion",
                        "eks:UpdateNodegroupConfig",
                        "eks:UpdateClusterConfig",
                        "eks:UpdateClusterVersion",
                        "eks:AssociateEncryptionConfig",
                        "eks:CreatePodIdentityAssociation",
                        "eks:TagResource",
                        "eks:UntagResource",
                    ],
                    [
                        "arn:aws:eks:*:*:cluster/clickhouse-cloud-*",
                        "arn:aws:eks:*:*:addon/clickhouse-cloud-*",
                        "arn:aws:eks:*:*:nodegroup/clickhouse-cloud-*",
                    ],
                ),
                st(
                    [
                        "eks:DeletePodIdentityAssociation",
                        "eks:UpdatePodIdentityAssociation",
                        "eks:TagResource",
                        "eks:UntagResource",
                    ],
                    ["arn:aws:eks:*:*:podidentityassociation/clickhouse-cloud-*/*"],
                ),
                st(["eks:List*", "eks:Describe*"], ["*"]),
            ],
        ),
        "kms": (
            "include_kms_permissions",
            [
                st(["kms:DescribeKey", "kms:CreateGrant"], [f"arn:aws:kms:*:{VENDOR_KEY_ACCOUNT}:key/*"]),
            ],
        ),
        "ec2": (
            "always",
            [
                st(
                    [
                        "ec2:Describe*",
                        "ec2:Get*",
                        "ec2:RunInstances",
                        "ec2:ModifyInstanceAttribute",
                        "ec2:ModifyNetworkInterfaceAttribute",
                        "elasticloadbalancing:Describe*",
                        "autoscaling:DescribeAutoScalingGroups",
                        "autoscaling:DescribeScalingActivities",
                    ],
                    ["*"],
                ),
                st(["ec2:CreateTags", "ec2:DeleteTags"], ["*"], RS()),
                st(["ec2:CreateTags"], ["*"], RT()),
                st(["ec2:ModifyVolumeAttribute"], ["arn:aws:ec2:*:*:volume/*"]),
                st(
                    security_group_writes,
                    ["arn:aws:ec2:*:*:security-group/*"],
                    RS(),
                ),
                st(
                    security_group_writes,
                    ["arn:aws:ec2:*:*:security-group/*"],
                    {"StringLike": {"aws:ResourceTag/aws:eks:cluster-name": ["clickhouse-cloud-*"]}},
                ),
                st(
                    [
                        "ec2:AuthorizeSecurityGroupEgress",
                        "ec2:AuthorizeSecurityGroupIngress",
                        "ec2:ModifySecurityGroupRules",
                    ],
                    ["arn:aws:ec2:*:*:security-group-rule/*"],
                ),
                st(["ec2:CreateSecurityGroup"], ["arn:aws:ec2:*:*:vpc/*"], RS()),
                st(["ec2:CreateSecurityGroup"], ["arn:aws:ec2:*:*:security-group/*"], RT()),
                st(
                    [
                        "ec2:CreateLaunchTemplate",
                        "ec2:CreateLaunchTemplateVersion",
                        "ec2:ModifyLaunchTemplate",
                        "ec2:DeleteLaunchTemplate",
                    ],
                    ["arn:aws:ec2:*:*:launch-template/*"],
                ),
                st(["ec2:AllocateAddress"], ["arn:aws:ec2:*:*:elastic-ip/*"], RT()),
                st(["ec2:ReleaseAddress"], ["arn:aws:ec2:*:*:elastic-ip/*"], RS()),
                st(
                    ["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface"],
                    ["arn:aws:ec2:*:*:network-interface/*"],
                ),
                st(
                    ["ec2:CreateNetworkInterface"],
                    ["arn:aws:ec2:*:*:subnet/*", "arn:aws:ec2:*:*:security-group/*"],
                    RS(),
                ),
            ],
        ),
        "vpc-write": (
            "include_vpc_write_permissions",
            [
                st(["ec2:CreateVpc"], ["arn:aws:ec2:*:*:vpc/*"], RT()),
                st(
                    ["ec2:DeleteVpc", "ec2:ModifyVpcAttribute", "ec2:CreateSubnet", "ec2:CreateRouteTable"],
                    ["arn:aws:ec2:*:*:vpc/*"],
                    RS(),
                ),
                st(["ec2:CreateSubnet"], ["arn:aws:ec2:*:*:subnet/*"], RT()),
                st(["ec2:DeleteSubnet", "ec2:ModifySubnetAttribute"], ["arn:aws:ec2:*:*:subnet/*"], RS()),
                st(["ec2:CreateNatGateway"], ["arn:aws:ec2:*:*:natgateway/*"], RT()),
                st(["ec2:CreateNatGateway"], ["arn:aws:ec2:*:*:subnet/*", "arn:aws:ec2:*:*:elastic-ip/*"], RS()),
                st(["ec2:DeleteNatGateway"], ["arn:aws:ec2:*:*:natgateway/*"], RS()),
                st(["ec2:CreateInternetGateway"], ["arn:aws:ec2:*:*:internet-gateway/*"], RT()),
                st(["ec2:DeleteInternetGateway"], ["arn:aws:ec2:*:*:internet-gateway/*"], RS()),
                st(
                    ["ec2:AssociateAddress", "ec2:DisassociateAddress"],
                    [
                        "arn:aws:ec2:*:*:elastic-ip/*",
                        "arn:aws:ec2:*:*:instance/*",
                        "arn:aws:ec2:*:*:network-interface/*",
                    ],
                    RS(),
                ),
                st(
                    ["ec2:AttachInternetGateway", "ec2:DetachInternetGateway"],
                    ["arn:aws:ec2:*:*:internet-gateway/*", "arn:aws:ec2:*:*:vpc/*"],
                    RS(),
                ),
                st(["ec2:CreateRouteTable"], ["arn:aws:ec2:*:*:route-table/*"], RT()),
                st(
                    ["ec2:CreateRoute", "ec2:DeleteRoute", "ec2:DeleteRouteTable"],
                    ["arn:aws:ec2:*:*:route-table/*"],
                    RS(),
                ),
                st(["ec2:AssociateRouteTable", "ec2:DisassociateRouteTable"], ["arn:aws:ec2:*:*:*/*"], RS()),
                st(["ec2:CreateVpcEndpoint"], ["arn:aws:ec2:*:*:vpc-endpoint/*"], RT()),
                st(
                    ["ec2:CreateVpcEndpoint"],
                    [
                        "arn:aws:ec2:*:*:vpc/*",
                        "arn:aws:ec2:*:*:subnet/*",
                        "arn:aws:ec2:*:*:security-group/*",
                        "arn:aws:ec2:*:*:route-table/*",
                    ],
                    RS(),
                ),
                st(
                    ["ec2:ModifyVpcEndpoint"],
                    [
                        "arn:aws:ec2:*:*:subnet/*",
                        "arn:aws:ec2:*:*:security-group/*",
                        "arn:aws:ec2:*:*:route-table/*",
                        "arn:aws:ec2:*:*:vpc-endpoint/*",
                    ],
                    RS(),
                ),
                st(["ec2:DeleteVpcEndpoints"], ["arn:aws:ec2:*:*:vpc-endpoint/*"], RS()),
            ],
        ),
        "privatelink": (
            "always",
            [
                st(["ec2:CreateVpcEndpointServiceConfiguration"], ["arn:aws:ec2:*:*:vpc-endpoint-service/*"], RT()),
                st(
                    [
                        "ec2:DeleteVpcEndpointServiceConfigurations",
                        "ec2:ModifyVpcEndpointServiceConfiguration",
                        "ec2:ModifyVpcEndpointServicePermissions",
                        "ec2:StartVpcEndpointServicePrivateDnsVerification",
                    ],
                    ["arn:aws:ec2:*:*:vpc-endpoint-service/*"],
                    RS(),
                ),
            ],
        ),
        "lattice": (
            "always",
            [
                st(
                    [
                        "vpc-lattice:GetResourceGateway",
                        "vpc-lattice:GetResourceConfiguration",
                        "vpc-lattice:GetResourcePolicy",
                        "vpc-lattice:ListResourceGateways",
                        "vpc-lattice:ListResourceConfigurations",
                        "vpc-lattice:ListTagsForResource",
                    ],
                    ["*"],
                ),
                st(["vpc-lattice:CreateResourceGateway", "vpc-lattice:CreateResourceConfiguration"], ["*"], RT()),
                st(
                    [
                        "vpc-lattice:UpdateResourceGateway",
                        "vpc-lattice:DeleteResourceGateway",
                        "vpc-lattice:UpdateResourceConfiguration",
                        "vpc-lattice:DeleteResourceConfiguration",
                        "vpc-lattice:PutResourcePolicy",
                        "vpc-lattice:DeleteResourcePolicy",
                        "vpc-lattice:TagResource",
                        "vpc-lattice:UntagResource",
                    ],
                    ["*"],
                    RS(),
                ),
                st(["ram:CreateResourceShare"], ["*"], RT()),
                st(
                    [
                        "ram:GetResourceShares",
                        "ram:GetResourceShareAssociations",
                        "ram:ListResources",
                        "ram:ListPrincipals",
                        "ram:ListResourceSharePermissions",
                        "ram:GetPermission",
                        "ram:ListPermissions",
                        "ram:ListPermissionVersions",
                    ],
                    ["*"],
                ),
                st(
                    [
                        "ram:UpdateResourceShare",
                        "ram:DeleteResourceShare",
                        "ram:AssociateResourceShare",
                        "ram:DisassociateResourceShare",
                        "ram:AssociateResourceSharePermission",
                        "ram:DisassociateResourceSharePermission",
                        "ram:TagResource",
                        "ram:UntagResource",
                    ],
                    ["*"],
                    RS(),
                ),
            ],
        ),
        "cloudwatch": (
            "always",
            [
                st(["logs:Get*", "logs:Describe*", "logs:List*"], ["*"]),
                st(["logs:CreateLogGroup"], ["arn:aws:logs:*:*:log-group:*"], RT()),
                st(
                    ["logs:Tag*", "logs:Untag*", "logs:PutRetentionPolicy"],
                    ["arn:aws:logs:*:*:log-group:/aws/eks/clickhouse-cloud-*"],
                ),
            ],
        ),
    }
    return {suffix: statements for suffix, (_, statements) in raw.items()}


# Set-up actions `operate` takes away from this profile (one explicit deny; the module has no
# day-2 mode of its own).
OPERATE_DENIED = [
    "ec2:AllocateAddress",
    "ec2:CreateInternetGateway",
    "ec2:CreateNatGateway",
    "ec2:CreateSubnet",
    "ec2:CreateVpc",
    "ec2:CreateVpcEndpoint",
    "ec2:DeleteInternetGateway",
    "ec2:DeleteNatGateway",
    "ec2:DeleteSubnet",
    "ec2:DeleteVpc",
    "ec2:DeleteVpcEndpoints",
    "ec2:ReleaseAddress",
    "ec2:RunInstances",
    "eks:CreateCluster",
    "eks:CreateNodegroup",
    "eks:DeleteCluster",
    "eks:DeleteNodegroup",
    "iam:CreatePolicy",
    "iam:CreateRole",
    "iam:DeletePolicy",
    "iam:DeleteRole",
    "iam:PassRole",
    "s3:CreateBucket",
]


def vendor_policy_names(access: BootstrapAccess) -> tuple[str, ...]:
    names = [s for s in _statements() if s not in TOGGLES or getattr(access, TOGGLES[s])]
    if access.mode == "operate":
        names.append("operate")
    return tuple(names)


def vendor_policies(access: BootstrapAccess) -> dict[str, Doc]:
    """The profile's documents by policy suffix; `operate` adds one deny of the set-up actions."""
    statements = _statements()
    out = {name: document(*statements[name]) for name in vendor_policy_names(access) if name != "operate"}
    if access.mode == "operate":
        out["operate"] = document(
            {"Sid": "DenySetUpActionsInOperate", "Effect": "Deny", "Action": OPERATE_DENIED, "Resource": "*"}
        )
    return out
