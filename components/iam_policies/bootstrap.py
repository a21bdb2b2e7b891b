"""The vendor's bootstrap role, by mode, toggles and profile (the boundary of the roles it creates: `boundary`)."""

from __future__ import annotations

from dataclasses import dataclass

from components.iam_policies.common import (
    DEPLOYMENT_RESOURCE_TAG,
    PURPOSE_TAG,
    BootstrapAccess,
    Doc,
    document,
    statement,
    tagged_request,
    tagged_resource,
)
from components.iam_policies.vendor_profile import vendor_policies, vendor_policy_names


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
    deployment_id: str
    """The deployment id: the value of the `clickhouse-byoc/deployment` tag of its resources."""

    @property
    def iam_path(self) -> str:
        """`/clickhouse-byoc/<id>/`: the IAM path of every role and policy the vendor creates.

        A path ends with `/`, so `role/clickhouse-byoc/acme/*` never matches deployment
        `acme-prod`'s roles, which a name prefix (`ClickHouse-cloud-acme-*`) would.
        """
        return f"/clickhouse-byoc/{self.deployment_id}/"

    def vendor_role(self, name: str = "*") -> str:
        """A role the vendor creates, under the deployment's path."""
        return f"arn:aws:iam::{self.account_id}:role{self.iam_path}{name}"

    def vendor_policy(self, name: str = "*") -> str:
        """A policy the vendor creates, under the deployment's path."""
        return f"arn:aws:iam::{self.account_id}:policy{self.iam_path}{name}"

    def ec2(self, kind: str) -> str:
        # Snapshot ARNs carry no account (`arn:aws:ec2:<region>::snapshot/snap-...`).
        account = "" if kind == "snapshot" else self.account_id
        return f"arn:aws:ec2:{self.region}:{account}:{kind}/*"

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


# Create action -> (the resource types it creates, the existing parents it is also authorized on).
# AWS authorizes a create against every resource it touches; the request's tags exist only on the
# new resource, so the parents need their own (resource tag) statement.
EC2_CREATES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "ec2:AllocateAddress": (("elastic-ip",), ()),
    "ec2:CreateInternetGateway": (("internet-gateway",), ()),
    "ec2:CreateLaunchTemplate": (("launch-template",), ()),
    "ec2:CreateNatGateway": (("natgateway",), ("subnet", "elastic-ip")),
    "ec2:CreateRouteTable": (("route-table",), ("vpc",)),
    "ec2:CreateSecurityGroup": (("security-group",), ("vpc",)),
    "ec2:CreateSubnet": (("subnet",), ("vpc",)),
    "ec2:CreateVpc": (("vpc",), ()),
    "ec2:CreateVpcEndpoint": (("vpc-endpoint",), ("vpc", "subnet", "security-group", "route-table")),
}
EC2_CREATE = sorted(EC2_CREATES)
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
IAM_READ = [
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    "iam:GetRole",
    "iam:GetRolePolicy",
    "iam:ListAttachedRolePolicies",
    "iam:ListPolicyVersions",
    "iam:ListRolePolicies",
    "iam:ListRoleTags",
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
SCOPED_POLICIES = ("network", "eks", "iam", "storage", "guardrails")


def _network_statements(scope: BootstrapScope, access: BootstrapAccess) -> list[Doc]:
    deployment = scope.deployment_id
    out = [statement("Ec2Describe", ["ec2:Describe*"], "*")]
    if not access.vpc_write:
        return out
    if access.mode == "full":
        # Both statements list every resource type of the creates: request tags exist only on the
        # new resource and resource tags only on existing ones, so each statement admits one side.
        kinds = [scope.ec2(k) for k in sorted({k for c, p in EC2_CREATES.values() for k in (*c, *p)})]
        out += [
            statement("Ec2CreateOnlyTagged", EC2_CREATE, kinds, tagged_request(deployment)),
            statement(
                "Ec2CreateInDeploymentParents",
                [a for a, (_, p) in EC2_CREATES.items() if p],
                kinds,
                tagged_resource(deployment),
            ),
            statement(
                "Ec2TagOnCreate",
                ["ec2:CreateTags"],
                "*",
                {
                    "StringEquals": {
                        "ec2:CreateAction": [a.split(":")[1] for a in EC2_CREATE],
                        **tagged_request(deployment)["StringEquals"],
                    }
                },
            ),
        ]
    out.append(statement("Ec2ModifyDeploymentResources", EC2_MODIFY, "*", tagged_resource(deployment)))
    if access.mode == "full":
        out.append(statement("Ec2DeleteDeploymentResources", EC2_DELETE, "*", tagged_resource(deployment)))
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
            statement("EksCreateOnlyTaggedClusters", ["eks:CreateCluster"], "*", tagged_request(scope.deployment_id)),
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
    roles, policies = [scope.vendor_role()], [scope.vendor_policy()]
    bounded = {"StringEquals": {"iam:PermissionsBoundary": scope.boundary_arn}}
    deployment = scope.deployment_id
    own = [
        scope.role_arn,
        *scope.protected_role_arns,
        scope.boundary_arn,
        *(scope.policy(f"management-{p}") for p in SCOPED_POLICIES),
    ]
    out = [statement("IamReadDeploymentRolesAndPolicies", IAM_READ, [*roles, *policies, *sorted(set(own))])]
    if not access.iam_write:
        return out
    if access.mode == "full":
        out += [
            statement(
                "CreateRolesOnlyWithBoundaryAndTag",
                ["iam:CreateRole"],
                roles,
                {
                    "StringEquals": {
                        "iam:PermissionsBoundary": scope.boundary_arn,
                        **tagged_request(deployment)["StringEquals"],
                    }
                },
            ),
            statement("TagRolesWithByocTag", ["iam:TagRole"], roles, tagged_request(deployment)),
            statement("DeleteTaggedRoles", ["iam:DeleteRole"], roles, tagged_resource(deployment)),
            statement(
                "CreatePoliciesOnlyTagged", ["iam:CreatePolicy", "iam:TagPolicy"], policies, tagged_request(deployment)
            ),
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
    deployment = scope.deployment_id
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
        # No kms:CreateKey: a key created with tags needs kms:TagResource on a key that has none yet,
        # which IAM cannot tell from any untagged key in the account; with it, the role could tag a
        # key of no deployment as this one's and schedule its deletion. The program creates the
        # deployment's keys (`kms.customerManagedKey`), tagged.
        keys = [f"arn:aws:kms:{scope.region}:{scope.account_id}:key/*"]
        ours = tagged_resource(deployment)
        out += [
            statement(
                "KmsManageDeploymentKeys",
                [
                    "kms:DescribeKey",
                    "kms:EnableKeyRotation",
                    "kms:GetKeyPolicy",
                    "kms:GetKeyRotationStatus",
                    "kms:ListResourceTags",
                ]
                + (["kms:ScheduleKeyDeletion"] if access.mode == "full" else []),
                keys,
                ours,
            ),
            # Alias actions are authorized on the alias and on each key it names: the program's
            # aliases by exact name and the vendor's under `alias/<prefix>/` (aliases carry no
            # tags, hence IfExists), and only keys with this deployment's tag (the deny: an untagged
            # key would pass IfExists).
            statement(
                "KmsAliasesOfDeployment",
                ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"],
                [
                    f"arn:aws:kms:{scope.region}:{scope.account_id}:alias/{scope.prefix}-data",
                    f"arn:aws:kms:{scope.region}:{scope.account_id}:alias/{scope.prefix}-secrets",
                    f"arn:aws:kms:{scope.region}:{scope.account_id}:alias/{scope.prefix}/*",
                    *keys,
                ],
                {"StringEqualsIfExists": {DEPLOYMENT_RESOURCE_TAG: deployment}},
            ),
            statement(
                "KmsAliasesOnlyForDeploymentKeys",
                ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"],
                keys,
                {"StringNotEquals": {DEPLOYMENT_RESOURCE_TAG: deployment}},
                effect="Deny",
            ),
            statement(
                "KmsGrantsForAwsServicesOnly",
                ["kms:CreateGrant"],
                keys,
                {"Bool": {"kms:GrantIsForAWSResource": "true"}, **ours},
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
            "*",
            {"Null": {f"aws:ResourceTag/{PURPOSE_TAG}": "false"}},
            effect="Deny",
        ),
    ]


def bootstrap_policy_names(access: BootstrapAccess) -> tuple[str, ...]:
    """The suffixes `bootstrap_policies` returns for this access (they do not depend on the scope)."""
    if access.mode == "revoked":
        return ("revoked",)
    if access.profile == "clickhouse-cloud":
        return vendor_policy_names(access)
    return SCOPED_POLICIES


def bootstrap_policies(scope: BootstrapScope, access: BootstrapAccess) -> dict[str, Doc]:
    """The bootstrap role's permission documents, by policy suffix (`management-<suffix>`).

    Split by area so each stays well under the 6,144-character managed policy limit. `revoked`
    returns one explicit deny of everything: the role keeps its trust and can do nothing.
    """
    if access.mode == "revoked":
        return {"revoked": document(statement("DenyEverything", ["*"], "*", effect="Deny"))}
    if access.profile == "clickhouse-cloud":
        return vendor_policies(access)
    return {
        "network": document(*_network_statements(scope, access)),
        "eks": document(*_eks_statements(scope, access)),
        "iam": document(*_iam_statements(scope, access)),
        "storage": document(*_storage_statements(scope, access)),
        "guardrails": document(*_guardrail_statements(scope)),
    }
