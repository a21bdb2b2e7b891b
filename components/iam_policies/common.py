"""Building blocks shared by every IAM document: statements, documents, tags, AWS managed policies, and
what the customer lets the bootstrap role do (both of its profiles read it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, get_args

from components.naming import BYOC_TAG, DEPLOYMENT_TAG

VERSION = "2012-10-17"
Doc = dict[str, Any]

# AWS managed policies attached by ARN (the AWS-maintained versions follow new EKS features).
EKS_CLUSTER_POLICY = "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"
EKS_WORKER_POLICY = "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"
ECR_READ_ONLY_POLICY = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"

BYOC_REQUEST_TAG = f"aws:RequestTag/{BYOC_TAG}"
BYOC_RESOURCE_TAG = f"aws:ResourceTag/{BYOC_TAG}"
# Every resource of one deployment carries `clickhouse-byoc/deployment=<id>` (provider default tags,
# node launch templates, the EBS CSI driver's extra tags): the tag that tells two deployments apart.
DEPLOYMENT_REQUEST_TAG = f"aws:RequestTag/{DEPLOYMENT_TAG}"
DEPLOYMENT_RESOURCE_TAG = f"aws:ResourceTag/{DEPLOYMENT_TAG}"
LBC_TAG = "elbv2.k8s.aws/cluster"
# Every role this program creates carries it; the bootstrap role may not change roles that do.
PURPOSE_TAG = "clickhouse-byoc/purpose"


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


def tagged_request(deployment_id: str) -> Doc:
    """A create request tagged for this deployment (the `clickhouse-byoc` and deployment tags)."""
    return {"StringEquals": {BYOC_REQUEST_TAG: "true", DEPLOYMENT_REQUEST_TAG: deployment_id}}


def tagged_resource(deployment_id: str) -> Doc:
    """An existing resource of this deployment: `clickhouse-byoc=true` alone is every deployment's."""
    return {"StringEquals": {DEPLOYMENT_RESOURCE_TAG: deployment_id}}


# -- the bootstrap role's access (config `bootstrap`) ----------------------------------------------

Mode = Literal["full", "operate", "revoked"]
"""`bootstrap.mode`: set-up, day 2, or nothing."""
Profile = Literal["scoped", "clickhouse-cloud"]
"""`bootstrap.profile`: this program's scoping, or the vendor's published one."""


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
    profile: Profile = "scoped"
    """`scoped` (this program's least privilege, under the boundary) or `clickhouse-cloud` (what
    ClickHouse's published AWS onboarding grants, for infrastructure the vendor's controller builds)."""

    def __post_init__(self) -> None:
        # Settings validate the configured values; this guards direct callers (tools, tests).
        if self.mode not in get_args(Mode):
            raise ValueError(f"unknown bootstrap mode {self.mode!r}; use one of {', '.join(get_args(Mode))}")
        if self.profile not in get_args(Profile):
            raise ValueError(f"unknown bootstrap profile {self.profile!r}; use one of {', '.join(get_args(Profile))}")
