"""KMS keys: the EKS secrets envelope key (always) and the customer-managed data key (CMEK, opt-in).

The source lists customer-managed keys as planned; here `kms.customerManagedKey: true` makes the
data, backup and monitoring buckets use SSE-KMS, and the default storage class and the nodes'
root volumes encrypt with this key instead of AWS-managed keys.

Keys outlive the program's use of them (docs/day-2.md): volumes, snapshots and objects encrypted
with a key are unreadable once it is gone, and turning `kms.customerManagedKey` off does not
re-encrypt them. So every key is retained on delete (a toggle or `pulumi destroy` only forgets it;
it stays in the account, enabled) and, under `dataProtection`, protected (the run that would
remove it stops instead). Aliases are neither: they hold no data, and re-enabling the data key
must be able to create its alias again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.naming import Names

TYPE = "clickhouse-byoc:kms:ByocKeys"


def autoscaling_service_role(account_id: str) -> str:
    """EC2 Auto Scaling's service-linked role: it launches the node groups' instances."""
    return f"arn:aws:iam::{account_id}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"


def key_policy(account_id: str, node_volumes: bool = False) -> dict:
    """The account administers the key through IAM: who may use it is decided by IAM policies
    (the EKS cluster role, the EBS CSI driver's IRSA role, ClickHouse's roles).

    `node_volumes` (the data key, which encrypts the nodes' root volumes): EC2 Auto Scaling's
    service-linked role launches the instances, and a service-linked role's permissions cannot be
    extended through IAM, so the key policy itself admits it (the statements AWS documents for
    "Required AWS KMS key policy for use with encrypted volumes"). The principal is matched by
    `aws:PrincipalArn`, so the key can be created before the role exists (a new account gets it
    with its first node group).
    """
    statements: list[dict] = [
        {
            "Sid": "AccountAdministersTheKeyThroughIam",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    if node_volumes:
        autoscaling = {"StringEquals": {"aws:PrincipalArn": autoscaling_service_role(account_id)}}
        statements += [
            {
                "Sid": "AutoScalingEncryptsNodeVolumes",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": [
                    "kms:Decrypt",
                    "kms:DescribeKey",
                    "kms:Encrypt",
                    "kms:GenerateDataKey*",
                    "kms:ReEncrypt*",
                ],
                "Resource": "*",
                "Condition": autoscaling,
            },
            {
                "Sid": "AutoScalingGrantsForAwsResources",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "kms:CreateGrant",
                "Resource": "*",
                "Condition": {**autoscaling, "Bool": {"kms:GrantIsForAWSResource": "true"}},
            },
        ]
    return {"Version": "2012-10-17", "Statement": statements}


@dataclass(frozen=True)
class ByocKeysArgs:
    """Inputs of the KMS layer."""

    names: Names
    """Naming for the deployment (aliases)."""
    account_id: str
    """The customer account, administrator of the keys."""
    customer_managed_key: bool
    """Also create the data key (CMEK) for buckets and volumes."""
    data_protection: bool = True
    """Protect the keys (retained on delete either way)."""


class ByocKeys(pulumi.ComponentResource):
    """The deployment's KMS keys, rotation on, with ClickHouse-cloud aliases."""

    secrets_key_arn: pulumi.Output[str]
    data_key_arn: pulumi.Output[str] | None

    def __init__(self, name: str, args: ByocKeysArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE, name, None, opts)
        purposes = {"secrets": "EKS secrets envelope encryption"}
        if args.customer_managed_key:
            purposes["data"] = "ClickHouse data: S3 buckets and EBS volumes"
        arns: dict[str, pulumi.Output[str]] = {}
        for purpose, description in purposes.items():
            # A scheduled deletion can be cancelled for 30 days: the longest window AWS allows.
            key = aws.kms.Key(
                f"{name}-{purpose}",
                description=f"{args.names.aws(purpose)}: {description}",
                enable_key_rotation=True,
                deletion_window_in_days=30,
                policy=json.dumps(key_policy(args.account_id, node_volumes=purpose == "data")),
                tags={"Name": args.names.aws(purpose)},
                opts=pulumi.ResourceOptions(parent=self, protect=args.data_protection, retain_on_delete=True),
            )
            aws.kms.Alias(
                f"{name}-{purpose}-alias",
                name=f"alias/{args.names.aws(purpose)}",
                target_key_id=key.key_id,
                opts=pulumi.ResourceOptions(parent=self),
            )
            arns[purpose] = key.arn
        self.secrets_key_arn = arns["secrets"]
        self.data_key_arn = arns.get("data")
        self.register_outputs({"secrets_key_arn": self.secrets_key_arn, "data_key_arn": self.data_key_arn})
