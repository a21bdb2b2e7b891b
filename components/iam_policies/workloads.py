"""Workload (IRSA) permission documents: the EKS add-ons, the vendor's agents, ClickHouse and Thanos.

Add-on policies follow the upstream policies of the pinned controller versions (vendored under
`tests/upstream/iam/`, compared by `tests/test_iam_parity.py`), narrowed where the deployment knows
more (its zone, its cluster name, its VPC, its buckets).
"""

from __future__ import annotations

from components.iam_policies.common import (
    DEPLOYMENT_REQUEST_TAG,
    DEPLOYMENT_RESOURCE_TAG,
    LBC_TAG,
    Doc,
    document,
    statement,
)


def external_dns_policy(zone_arn: str) -> Doc:
    """Upstream (external-dns `docs/tutorials/aws.md`), record changes narrowed to the deployment's zone."""
    return document(
        statement("ChangeRecordsInDeploymentZone", ["route53:ChangeResourceRecordSets"], [zone_arn]),
        statement(
            "ListZonesAndRecords",
            [
                "route53:ListHostedZones",
                "route53:ListResourceRecordSets",
                "route53:ListTagsForResource",
                "route53:ListTagsForResources",
            ],
            "*",
        ),
    )


def cert_manager_policy(zone_arn: str) -> Doc:
    """Upstream (cert-manager's Route 53 DNS01 docs): TXT records only, narrowed to the deployment's zone."""
    return document(
        statement("ReadChangeStatus", ["route53:GetChange"], ["arn:aws:route53:::change/*"]),
        statement(
            "Dns01TxtRecordsInDeploymentZone",
            ["route53:ChangeResourceRecordSets"],
            [zone_arn],
            {"ForAllValues:StringEquals": {"route53:ChangeResourceRecordSetsRecordTypes": ["TXT"]}},
        ),
        statement("ListDeploymentZoneRecords", ["route53:ListResourceRecordSets"], [zone_arn]),
        statement("FindZoneByName", ["route53:ListHostedZonesByName"], "*"),
    )


def vpc_cni_policy(vpc_arn: str, deployment_id: str) -> Doc:
    """Upstream (amazon-vpc-cni-k8s `docs/iam-policy.md`, IPv4: `AmazonEKS_CNI_Policy`), narrowed to
    this deployment's VPC and nodes.

    Upstream grants every network-interface write on `*`: any interface, instance and security
    group in the account. The plugin only works on interfaces of its own VPC (it creates them in
    the node's subnets; its clean-up of leaked interfaces filters by `vpc-id`), on its own node,
    with its VPC's security groups. So interface writes require this VPC (`ec2:Vpc`), instance
    writes this deployment's tag (the node launch templates put it on every instance). Upstream's
    own scope-down (same page) keys on the plugin's cluster tag instead, which the nodes' primary
    interfaces (made by EC2 at launch) lack and which its unconditioned `CreateTags` lets anyone
    put on any interface.
    """
    interfaces, instances = "arn:aws:ec2:*:*:network-interface/*", "arn:aws:ec2:*:*:instance/*"
    # The plugin tags interfaces with its own keys; never with another deployment's tag.
    in_vpc = {"StringEqualsIfExists": {"ec2:Vpc": vpc_arn, DEPLOYMENT_REQUEST_TAG: deployment_id}}
    return document(
        statement(
            "Describe",
            [
                "ec2:DescribeInstanceTypes",
                "ec2:DescribeInstances",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeSubnets",
                "ec2:DescribeTags",
            ],
            "*",
        ),
        # Every interface, subnet and security group has `ec2:Vpc`: it must be this VPC. A new
        # interface (CreateNetworkInterface) and an instance have none: the subnet decides the
        # first, `OnlyDeploymentNodes` the second.
        statement(
            "InterfacesInDeploymentVpc",
            [
                "ec2:AssignPrivateIpAddresses",
                "ec2:AttachNetworkInterface",
                "ec2:CreateNetworkInterface",
                "ec2:DeleteNetworkInterface",
                "ec2:DetachNetworkInterface",
                "ec2:ModifyNetworkInterfaceAttribute",
                "ec2:UnassignPrivateIpAddresses",
            ],
            [interfaces, instances, "arn:aws:ec2:*:*:subnet/*", "arn:aws:ec2:*:*:security-group/*"],
            in_vpc,
        ),
        statement("TagInterfacesInDeploymentVpc", ["ec2:CreateTags"], [interfaces], in_vpc),
        statement(
            "OnlyDeploymentNodes",
            ["ec2:AttachNetworkInterface", "ec2:DetachNetworkInterface", "ec2:ModifyNetworkInterfaceAttribute"],
            [instances],
            {"StringNotEquals": {DEPLOYMENT_RESOURCE_TAG: deployment_id}},
            effect="Deny",
        ),
    )


def ebs_csi_policy(kms_key_arn: str | None, deployment_id: str) -> Doc:
    """Upstream (the driver's `docs/example-iam-policy.json`), narrowed to this deployment's volumes.

    The driver tags what it creates with the deployment tag (`controller.extraVolumeTags`, set by
    the EKS layer), so every change requires it; instances always carry it (node launch templates).
    A volume or snapshot without it (one from before the tag existed) is no deployment's as far as
    IAM can tell, so it is out of reach: docs/iam.md has the one-time step that tags a running
    deployment's older volumes and snapshots. No `ec2:CopyVolumes`: its source volume is authorized
    without its tags (the service authorization reference lists only request keys for it), so no
    condition could keep it to this deployment's volumes, and the program never clones a volume.
    A new volume has no resource tags yet, so listing `volume/*` next to snapshots never lets a
    create skip its request tags.
    """
    volumes, snapshots = "arn:aws:ec2:*:*:volume/*", "arn:aws:ec2:*:*:snapshot/*"
    instances = "arn:aws:ec2:*:*:instance/*"
    ours = {"StringEquals": {DEPLOYMENT_RESOURCE_TAG: deployment_id}}
    requested = {DEPLOYMENT_REQUEST_TAG: deployment_id}
    statements = [
        statement(
            "Describe",
            [
                "ec2:DescribeAvailabilityZones",
                "ec2:DescribeInstanceTypes",
                "ec2:DescribeInstances",
                "ec2:DescribeSnapshots",
                "ec2:DescribeTags",
                "ec2:DescribeVolumeStatus",
                "ec2:DescribeVolumes",
                "ec2:DescribeVolumesModifications",
            ],
            "*",
        ),
        statement(
            "ChangeDeploymentVolumes",
            ["ec2:AttachVolume", "ec2:DetachVolume", "ec2:ModifyVolume"],
            [volumes, instances],
            ours,
        ),
        # Authorized on the volume (its tags) and the new snapshot (none yet: request tags below).
        statement("SnapshotDeploymentVolumes", ["ec2:CreateSnapshot"], [volumes, snapshots], ours),
        statement(
            "RestoreDeploymentSnapshots",
            ["ec2:CreateVolume", "ec2:EnableFastSnapshotRestores"],
            [snapshots, volumes],
            ours,
        ),
        statement(
            "TagOnCreate",
            ["ec2:CreateTags"],
            [volumes, snapshots],
            {"StringEquals": {"ec2:CreateAction": ["CreateSnapshot", "CreateVolume"]}},
        ),
        statement("UntagDeploymentVolumes", ["ec2:DeleteTags"], [volumes, snapshots], ours),
        statement(
            "CreateVolumesTaggedForCluster",
            ["ec2:CreateVolume"],
            [volumes],
            {"StringLike": {"aws:RequestTag/ebs.csi.aws.com/cluster": "true"}, "StringEquals": requested},
        ),
        statement(
            "CreateVolumesNamedByDriver",
            ["ec2:CreateVolume"],
            [volumes],
            {"StringLike": {"aws:RequestTag/CSIVolumeName": "*"}, "StringEquals": requested},
        ),
        statement("DeleteDeploymentVolumes", ["ec2:DeleteVolume"], [volumes], ours),
        statement(
            "SnapshotsTaggedForCluster",
            ["ec2:CreateSnapshot"],
            [snapshots, volumes],
            {"StringLike": {"aws:RequestTag/ebs.csi.aws.com/cluster": "true"}, "StringEquals": requested},
        ),
        statement(
            "SnapshotsNamedByDriver",
            ["ec2:CreateSnapshot"],
            [snapshots, volumes],
            {"StringLike": {"aws:RequestTag/CSIVolumeSnapshotName": "*"}, "StringEquals": requested},
        ),
        statement("DeleteDeploymentSnapshots", ["ec2:DeleteSnapshot", "ec2:LockSnapshot"], [snapshots], ours),
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


def load_balancer_controller_policy(cluster_name: str, vpc_arn: str, load_balancer_names: tuple[str, ...]) -> Doc:
    """The upstream controller policy of the pinned version (`docs/install/iam_policy.json`, v2.14.0).

    Narrowed to this deployment wherever upstream's `*` or tag-presence condition would reach
    another deployment's resources: tag conditions pin `elbv2.k8s.aws/cluster` to this cluster,
    security-group rules to this VPC (`ec2:Vpc`: the controller adds the NLB-to-pod rules to the
    cluster's node security group, which has no controller tag), listeners and rules to this
    deployment's load balancers (their names are fixed, `names.load_balancer`), target
    registration to this cluster's target groups. The WAF and Shield write actions are left out
    (the deployment's load balancers are NLBs) and the controller's WAF, WAFv2 and Shield add-ons
    are turned off to match (components.platform); `tests/test_iam_parity.py` lists every deviation.
    """
    owned = {"StringEquals": {f"aws:ResourceTag/{LBC_TAG}": cluster_name}}
    requested = {"StringEquals": {f"aws:RequestTag/{LBC_TAG}": cluster_name}}
    in_vpc = {"StringEquals": {"ec2:Vpc": vpc_arn}}
    lb_arns = [
        "arn:aws:elasticloadbalancing:*:*:targetgroup/*/*",
        "arn:aws:elasticloadbalancing:*:*:loadbalancer/net/*/*",
        "arn:aws:elasticloadbalancing:*:*:loadbalancer/app/*/*",
    ]
    elb = "arn:aws:elasticloadbalancing:*:*"
    own_lbs = [f"{elb}:loadbalancer/{kind}/{n}/*" for n in load_balancer_names for kind in ("net", "app")]
    own_listeners = [f"{elb}:listener/{kind}/{n}/*/*" for n in load_balancer_names for kind in ("net", "app")]
    own_rules = [f"{elb}:listener-rule/{kind}/{n}/*/*/*" for n in load_balancer_names for kind in ("net", "app")]
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
                "ec2:DescribeIpamPools",
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
            "CertificatesWafShieldRead",
            [
                "acm:DescribeCertificate",
                "acm:ListCertificates",
                "cognito-idp:DescribeUserPoolClient",
                "iam:GetServerCertificate",
                "iam:ListServerCertificates",
                "shield:DescribeProtection",
                "shield:GetSubscriptionState",
                "waf-regional:GetWebACL",
                "waf-regional:GetWebACLForResource",
                "wafv2:GetWebACL",
                "wafv2:GetWebACLForResource",
            ],
            "*",
        ),
        statement(
            "NodeRulesInDeploymentVpc",
            ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"],
            ["arn:aws:ec2:*:*:security-group/*"],
            in_vpc,
        ),
        # Authorized on the VPC and on the new group: the VPC is what must be this deployment's.
        statement(
            "CreateSecurityGroupsInDeploymentVpc",
            ["ec2:CreateSecurityGroup"],
            [vpc_arn, "arn:aws:ec2:*:*:security-group/*"],
        ),
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
            "ManageListenersAndRulesOfDeploymentLoadBalancers",
            [
                "elasticloadbalancing:CreateListener",
                "elasticloadbalancing:CreateRule",
                "elasticloadbalancing:DeleteListener",
                "elasticloadbalancing:DeleteRule",
            ],
            [*own_lbs, *own_listeners, *own_rules],
        ),
        statement(
            "RetagOwnedLoadBalancers",
            ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
            lb_arns,
            {"Null": {f"aws:RequestTag/{LBC_TAG}": "true"}, **owned},
        ),
        statement(
            "TagListenersAndRulesOfDeploymentLoadBalancers",
            ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
            [*own_listeners, *own_rules],
        ),
        statement(
            "ManageOwnedLoadBalancers",
            [
                "elasticloadbalancing:DeleteLoadBalancer",
                "elasticloadbalancing:DeleteTargetGroup",
                "elasticloadbalancing:ModifyCapacityReservation",
                "elasticloadbalancing:ModifyIpPools",
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
            "RegisterTargetsOfOwnedGroups",
            ["elasticloadbalancing:DeregisterTargets", "elasticloadbalancing:RegisterTargets"],
            ["arn:aws:elasticloadbalancing:*:*:targetgroup/*/*"],
            owned,
        ),
        statement(
            "ModifyListenersAndRulesOfDeploymentLoadBalancers",
            [
                "elasticloadbalancing:AddListenerCertificates",
                "elasticloadbalancing:ModifyListener",
                "elasticloadbalancing:ModifyRule",
                "elasticloadbalancing:RemoveListenerCertificates",
                "elasticloadbalancing:SetRulePriorities",
            ],
            [*own_lbs, *own_listeners, *own_rules],
        ),
    )


def state_exporter_policy(queue_arn: str) -> Doc:
    return document(statement("SendStateToVendorQueue", ["sqs:SendMessage"], [queue_arn]))


def billing_scraper_policy(bucket_arn: str, prefix: str) -> Doc:
    """Write-only, under this deployment's prefix of the vendor's bucket."""
    prefix = prefix.strip("/")
    objects = f"{bucket_arn}/{prefix}/*" if prefix else f"{bucket_arn}/*"
    return document(statement("WriteBillingRecords", ["s3:PutObject"], [objects]))


def _bucket_rw(sid: str, bucket_arns: list[str], prefix: str | None, kms_key_arn: str | None) -> list[Doc]:
    prefix = (prefix or "").strip("/")
    objects = [f"{arn}/{prefix}/*" if prefix else f"{arn}/*" for arn in bucket_arns]
    list_condition = {"StringLike": {"s3:prefix": [f"{prefix}/*", prefix]}} if prefix else None
    out = [
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
    if kms_key_arn:
        # SSE-KMS buckets (CMEK): S3 asks KMS on the caller's behalf; the key serves nothing else.
        out.append(
            statement(
                f"{sid}UseDataKeyThroughS3",
                ["kms:Decrypt", "kms:GenerateDataKey"],
                [kms_key_arn],
                {"StringLike": {"kms:ViaService": "s3.*.amazonaws.com"}},
            )
        )
    return out


def clickhouse_server_policy(
    data_bucket_arn: str, backup_bucket_arn: str, prefix: str | None, kms_key_arn: str | None = None
) -> Doc:
    """ClickHouse servers: object storage and backups, under `prefix` when given; the data key via S3."""
    return document(*_bucket_rw("ClickHouse", [data_bucket_arn, backup_bucket_arn], prefix, kms_key_arn))


def thanos_policy(monitoring_bucket_arn: str, kms_key_arn: str | None = None) -> Doc:
    """Thanos: objects of the monitoring bucket; the data key via S3 when the bucket uses it."""
    return document(*_bucket_rw("Thanos", [monitoring_bucket_arn], None, kms_key_arn))
