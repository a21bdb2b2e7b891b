"""The permissions boundary of every role the bootstrap role creates."""

from __future__ import annotations

from components.iam_policies.bootstrap import SERVICE_LINKED, BootstrapScope
from components.iam_policies.common import (
    DEPLOYMENT_REQUEST_TAG,
    LBC_TAG,
    Doc,
    document,
    statement,
    tagged_resource,
)

# Wildcards are fine here: a boundary grants nothing by itself, and the tag condition scopes them.
ELB_CHANGE = [
    "elasticloadbalancing:AddTags",
    "elasticloadbalancing:Delete*",
    "elasticloadbalancing:DeregisterTargets",
    "elasticloadbalancing:Modify*",
    "elasticloadbalancing:RegisterTargets",
    "elasticloadbalancing:RemoveTags",
    "elasticloadbalancing:Set*",
]
# Changes to existing EC2 resources (volumes, snapshots, security groups), and the existing parents
# of the creates below. No network interfaces: pod networking is the program's own vpc-cni role.
EC2_BOUNDED_CHANGE = [
    "ec2:AttachVolume",
    "ec2:AuthorizeSecurityGroupIngress",
    "ec2:CreateSecurityGroup",
    "ec2:CreateSnapshot",
    "ec2:CreateTags",
    "ec2:CreateVolume",
    "ec2:DeleteSecurityGroup",
    "ec2:DeleteSnapshot",
    "ec2:DeleteTags",
    "ec2:DeleteVolume",
    "ec2:DetachVolume",
    "ec2:ModifyVolume",
    "ec2:RevokeSecurityGroupIngress",
]
EC2_BOUNDED_CREATE = ["ec2:CreateSecurityGroup", "ec2:CreateSnapshot", "ec2:CreateVolume"]


def boundary_policy(scope: BootstrapScope, state_queue_arn: str | None = None) -> Doc:
    """The ceiling of every role the bootstrap role creates: the add-ons' and EKS's needs on this
    deployment's resources only, no IAM.

    Every change is conditioned on this deployment: EC2 on its deployment tag (or, for the EKS
    cluster security group, its cluster name tag), load balancers and target groups on the
    controller's cluster tag (no listeners: the program's own controller role manages those),
    scaling on the autoscaler's cluster tag, records on its zone, objects on its buckets. A role
    under this boundary can never create or change IAM principals or policies, so the controller
    cannot mint a role stronger than itself.
    """
    buckets = list(scope.bucket_arns)
    deployment, cluster = scope.deployment_id, scope.cluster_name
    lb_cluster = LBC_TAG
    statements = [
        statement(
            "ReadAndLookups",
            [
                "autoscaling:Describe*",
                "ec2:Describe*",
                "ec2:GetInstanceTypesFromInstanceRequirements",
                "ec2:GetSecurityGroupsForVpc",
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:GetAuthorizationToken",
                "ecr:GetDownloadUrlForLayer",
                "eks:Describe*",
                "eks:List*",
                "elasticloadbalancing:Describe*",
                "route53:GetChange",
                "route53:ListHostedZones",
                "route53:ListHostedZonesByName",
            ],
            "*",
        ),
        statement("Ec2ChangeDeploymentResources", EC2_BOUNDED_CHANGE, "*", tagged_resource(deployment)),
        statement(
            "Ec2CreateForDeployment",
            EC2_BOUNDED_CREATE,
            [scope.ec2(k) for k in ("security-group", "snapshot", "volume")],
            {"StringEquals": {DEPLOYMENT_REQUEST_TAG: deployment}},
        ),
        statement(
            "Ec2TagOnCreate",
            ["ec2:CreateTags"],
            "*",
            {
                "StringEquals": {
                    "ec2:CreateAction": [a.split(":")[1] for a in EC2_BOUNDED_CREATE],
                    DEPLOYMENT_REQUEST_TAG: deployment,
                }
            },
        ),
        statement(
            "ClusterSecurityGroupRules",
            ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"],
            [scope.ec2("security-group")],
            {"StringEquals": {"aws:ResourceTag/aws:eks:cluster-name": cluster}},
        ),
        statement(
            "LoadBalancersOfCluster",
            ["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"],
            "*",
            {"StringEquals": {f"aws:RequestTag/{lb_cluster}": cluster}},
        ),
        statement(
            "TagLoadBalancersOnCreate",
            ["elasticloadbalancing:AddTags"],
            "*",
            {
                "StringEquals": {
                    f"aws:RequestTag/{lb_cluster}": cluster,
                    "elasticloadbalancing:CreateAction": ["CreateLoadBalancer", "CreateTargetGroup"],
                }
            },
        ),
        statement(
            "ChangeLoadBalancersOfCluster",
            ELB_CHANGE,
            "*",
            {"StringEquals": {f"aws:ResourceTag/{lb_cluster}": cluster}},
        ),
        statement(
            "ScaleClusterGroups",
            ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
            "*",
            {"StringEquals": {f"autoscaling:ResourceTag/k8s.io/cluster-autoscaler/{cluster}": "owned"}},
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
            "DeploymentKeysForAwsServicesOnly",
            ["kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*"],
            [f"arn:aws:kms:{scope.region}:{scope.account_id}:key/*"],
            tagged_resource(deployment),
        ),
        statement(
            "ClusterLogs",
            ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:PutRetentionPolicy"],
            [f"arn:aws:logs:{scope.region}:{scope.account_id}:log-group:/aws/eks/{cluster}/*"],
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
