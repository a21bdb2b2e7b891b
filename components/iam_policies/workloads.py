"""Workload (IRSA) permission documents: the EKS add-ons, the vendor's agents, ClickHouse and Thanos.

Add-on policies follow the upstream policies of the pinned controller versions (vendored under
`tests/upstream/iam/`, compared by `tests/test_iam_parity.py`), narrowed where the deployment knows
more (its zone, its cluster name, its VPC, its buckets).
"""

from __future__ import annotations

from components.iam_policies.common import LBC_TAG, Doc, document, statement


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
