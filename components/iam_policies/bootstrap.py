"""The vendor's bootstrap role (by mode and toggles) and the permissions boundary of the roles it creates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from components.iam_policies.common import (
    BYOC_REQUEST_TAG,
    PURPOSE_TAG,
    Doc,
    document,
    statement,
    tagged_request,
    tagged_resource,
)

Mode = Literal["full", "operate", "revoked"]
"""`bootstrap.mode`: set-up, day 2, or nothing."""


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

    mode: Mode = "full"
    """`full` (set-up), `operate` (day 2) or `revoked` (nothing)."""
    vpc_write: bool = True
    """EC2/VPC create, modify and delete of tagged resources."""
    iam_write: bool = True
    """IAM roles and policies, always under the permissions boundary."""
    kms: bool = False
    """KMS keys tagged for the deployment."""

    def __post_init__(self) -> None:
        # Settings validate the configured mode; this guards direct callers (tools, tests).
        if self.mode not in get_args(Mode):
            raise ValueError(f"unknown bootstrap mode {self.mode!r}; use one of {', '.join(get_args(Mode))}")


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
            statement("Ec2CreateOnlyTagged", EC2_CREATE, "*", tagged_request()),
            statement(
                "Ec2TagOnCreate",
                ["ec2:CreateTags"],
                "*",
                {"StringEquals": {"ec2:CreateAction": [a.split(":")[1] for a in EC2_CREATE], BYOC_REQUEST_TAG: "true"}},
            ),
        ]
    out.append(statement("Ec2ModifyOnlyTagged", EC2_MODIFY, "*", tagged_resource()))
    if access.mode == "full":
        out.append(statement("Ec2DeleteOnlyTagged", EC2_DELETE, "*", tagged_resource()))
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
            statement("EksCreateOnlyTaggedClusters", ["eks:CreateCluster"], "*", tagged_request()),
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
            statement("TagRolesWithByocTag", ["iam:TagRole"], roles, tagged_request()),
            statement("DeleteTaggedRoles", ["iam:DeleteRole"], roles, tagged_resource()),
            statement("CreatePoliciesOnlyTagged", ["iam:CreatePolicy", "iam:TagPolicy"], policies, tagged_request()),
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
            tagged = tagged_request()
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
                tagged_resource(),
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
                {"Bool": {"kms:GrantIsForAWSResource": "true"}, **tagged_resource()},
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
            tagged_resource(),
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
