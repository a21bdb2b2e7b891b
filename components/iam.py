"""The IAM layer: every role the program creates, with documents from `components.iam_policies`.

- `BootstrapRole`: the role the vendor's BYOC controller assumes for day-2 operations, its
  permissions boundary, and the vendor's two other roles: `data-plane-mgmt` (Kubernetes access
  through an EKS access entry) and, while `troubleshootingAccess.until` is in the future,
  `troubleshooting` (read-only).
- `ClusterRoles`: the EKS control-plane and worker-node roles, passed to the cluster explicitly.

Workload roles (IRSA) live in `components.workload_roles`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components import iam_policies as docs
from components import storage
from components.k8s_conventions import SERVICE_ACCOUNTS
from components.naming import Names

CLUSTER_ROLES_TYPE = "clickhouse-byoc:iam:ClusterRoles"
BOOTSTRAP_TYPE = "clickhouse-byoc:iam:BootstrapRole"

# Vendor sessions last one hour: short-lived credentials, re-assumed as needed.
SESSION_SECONDS = 3600
PURPOSE_TAG = docs.PURPOSE_TAG
# The bootstrap role's profile, on the role and its policies: the policy pack reads it.
PROFILE_TAG = "clickhouse-byoc/bootstrap-profile"


def to_json(doc: dict[str, Any]) -> str:
    """The policy text sent to IAM (stable key order, so previews show no spurious diffs)."""
    return json.dumps(doc, indent=2)


def bucket_arn(names: Names, what: str) -> str:
    """The ARN of one of the deployment's buckets (`data`, `backup`, `monitoring`)."""
    return storage.bucket_arn(names.bucket(what))


def _child(parent: pulumi.Resource) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(parent=parent)


# -- EKS service roles -----------------------------------------------------------------------


@dataclass(frozen=True)
class ClusterRolesArgs:
    """Inputs of the EKS control-plane and worker roles."""

    names: Names
    """Naming for the deployment."""


class ClusterRoles(pulumi.ComponentResource):
    """`...-k8s-control-plane` (assumed by EKS) and `...-k8s-worker` (assumed by the nodes).

    The worker role has no CNI policy: aws-node gets it through its own IRSA role, so other pods
    on the node cannot use it.
    """

    cluster_role_arn: pulumi.Output[str]
    cluster_role_name: pulumi.Output[str]
    node_role_arn: pulumi.Output[str]
    node_role_name: pulumi.Output[str]

    def __init__(self, name: str, args: ClusterRolesArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(CLUSTER_ROLES_TYPE, name, None, opts)
        cluster = self._role(
            f"{name}-control-plane",
            args.names,
            "k8s-control-plane",
            "eks.amazonaws.com",
            "EKS control plane",
            (docs.EKS_CLUSTER_POLICY,),
        )
        node = self._role(
            f"{name}-worker",
            args.names,
            "k8s-worker",
            "ec2.amazonaws.com",
            "EKS worker nodes",
            (docs.EKS_WORKER_POLICY, docs.ECR_READ_ONLY_POLICY),
        )
        # pulumi-eks takes the control-plane role as a resource, not an ARN.
        self.cluster_role = cluster
        self.cluster_role_arn, self.cluster_role_name = cluster.arn, cluster.name
        self.node_role_arn, self.node_role_name = node.arn, node.name
        self.register_outputs(
            {
                "cluster_role_arn": self.cluster_role_arn,
                "cluster_role_name": self.cluster_role_name,
                "node_role_arn": self.node_role_arn,
                "node_role_name": self.node_role_name,
            }
        )

    def _role(
        self, name: str, names: Names, purpose: str, service: str, what: str, managed: tuple[str, ...]
    ) -> aws.iam.Role:
        role = aws.iam.Role(
            name,
            name=names.aws(purpose),
            description=what,
            assume_role_policy=to_json(docs.service_trust(service)),
            tags={PURPOSE_TAG: purpose},
            opts=_child(self),
        )
        for arn in managed:
            aws.iam.RolePolicyAttachment(
                f"{name}-{arn.rsplit('/', 1)[-1]}", role=role.name, policy_arn=arn, opts=_child(self)
            )
        return role


# -- vendor access ---------------------------------------------------------------------------


@dataclass(frozen=True)
class VendorExports:
    """Where the vendor's exporters write (keys `clickhouseCloud.stateQueueArn`, `billingBucketArn`,
    `billingPrefix`): each configured target gets its workload role (components/workload_roles.py)."""

    state_queue_arn: str | None
    """The vendor's SQS queue the state exporter writes to (also allowed under the boundary), or None
    (no state exporter role)."""
    billing_bucket_arn: str | None
    """The vendor's S3 bucket the billing scraper writes to, or None (no billing scraper role)."""
    billing_prefix: str
    """Key prefix under the billing bucket (`<accountId>/<deploymentId>` by default)."""


@dataclass(frozen=True)
class VendorAccessSpec:
    """The vendor's access as the customer configures it: trust, the bootstrap role's scope and
    toggles, the vendor's data exports, the troubleshooting window (keys `clickhouseCloud`,
    `bootstrap`, `troubleshootingAccess`; parsed and validated by components/settings/iam.py)."""

    vendor_account_id: str
    """The vendor control-plane account the trust policies name."""
    external_id: str
    """`sts:ExternalId` the vendor must present (a secret when `clickhouseCloud` is)."""
    external_id_secret: bool
    """Whether the external id was configured as a secret (it then reaches resources as one)."""
    principal_arn_pattern: str
    """`aws:PrincipalArn` StringLike pattern: the vendor roles allowed to assume."""
    exports: VendorExports
    """Where the vendor's exporters write."""
    role_name: str
    """The bootstrap role's name (`bootstrap.roleName`)."""
    access: docs.BootstrapAccess
    """What the bootstrap role may do: mode, toggles and profile (`bootstrap`)."""
    only: bool
    """`bootstrap.only`: the bootstrap role and its boundary, not the vendor's other roles (the vendor's
    controller builds the rest)."""
    troubleshooting_until: str | None
    """ISO-8601 UTC instant (`YYYY-MM-DDTHH:MM:SSZ`) the troubleshooting role expires; None: no such role."""


@dataclass(frozen=True)
class BootstrapRoleArgs:
    """Inputs of the vendor's roles: trust, scope and what the customer allows."""

    names: Names
    """Naming for the deployment."""
    region: str
    """The deployment's region."""
    account_id: str
    """The customer account."""
    cluster_name: str
    """The EKS cluster name (`names.cluster`)."""
    zone_arn: pulumi.Input[str]
    """The deployment's hosted zone: the only zone whose records the vendor may change."""
    data_bucket_arn: str
    """`arn:aws:s3:::` + `names.bucket("data")`."""
    backup_bucket_arn: str
    """`arn:aws:s3:::` + `names.bucket("backup")`."""
    monitoring_bucket_arn: str
    """`arn:aws:s3:::` + `names.bucket("monitoring")`."""
    spec: VendorAccessSpec
    """The vendor's access as configured."""
    external_id: pulumi.Input[str] | None = None
    """Replaces `spec.external_id` (the CloudFormation template passes a parameter); None: the
    configured one, a secret when configured as one."""

    def external_id_input(self) -> pulumi.Input[str]:
        """The `sts:ExternalId` the trust policies name."""
        if self.external_id is not None:
            return self.external_id
        spec = self.spec
        return pulumi.Output.secret(spec.external_id) if spec.external_id_secret else spec.external_id


def vendor_role_names(names: Names) -> tuple[str, ...]:
    """Program-managed roles the bootstrap role may never change (it can create its own, bounded)."""
    fixed = ("data-plane-mgmt", "troubleshooting", "k8s-control-plane", "k8s-worker", *SERVICE_ACCOUNTS)
    return tuple(names.aws(suffix) for suffix in fixed)


def bootstrap_scope(args: BootstrapRoleArgs, zone_arn: str) -> docs.BootstrapScope:
    """The plain-string scope of the bootstrap documents (shared with the CloudFormation template)."""
    arn = f"arn:aws:iam::{args.account_id}:role/"
    return docs.BootstrapScope(
        account_id=args.account_id,
        region=args.region,
        prefix=args.names.aws(""),
        cluster_name=args.cluster_name,
        zone_arn=zone_arn,
        bucket_arns=(args.data_bucket_arn, args.backup_bucket_arn, args.monitoring_bucket_arn),
        role_arn=arn + args.spec.role_name,
        protected_role_arns=tuple(arn + n for n in vendor_role_names(args.names)),
        deployment_id=args.names.deployment_id,
    )


class BootstrapRole(pulumi.ComponentResource):
    """The vendor controller's role, its permissions boundary, and the vendor's other two roles (not
    in mode `revoked`, not in a bootstrap-only stack)."""

    role_arn: pulumi.Output[str]
    role_name: pulumi.Output[str]
    boundary_policy_arn: pulumi.Output[str]
    policy_arns: dict[str, pulumi.Output[str]]
    data_plane_mgmt_role_arn: pulumi.Output[str] | None
    troubleshooting_role_arn: pulumi.Output[str] | None

    def __init__(self, name: str, args: BootstrapRoleArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(BOOTSTRAP_TYPE, name, None, opts)
        names, spec = args.names, args.spec
        external_id = args.external_id_input()
        zone = pulumi.Output.from_input(args.zone_arn)
        scope = zone.apply(lambda z: bootstrap_scope(args, z))

        def vendor_trust(until: str | None = None) -> pulumi.Output[str]:
            return pulumi.Output.from_input(external_id).apply(
                lambda ext: to_json(docs.vendor_trust(spec.vendor_account_id, ext, spec.principal_arn_pattern, until))
            )

        # Created in both profiles: the clickhouse-cloud profile requires no boundary (the vendor's
        # controller sets none), but roles created under the scoped profile may carry it, and IAM
        # refuses to delete a policy in use as a boundary; so switching profiles never deletes it.
        boundary = aws.iam.Policy(
            f"{name}-boundary",
            name=names.aws("boundary"),
            description="Permissions boundary of every role the ClickHouse BYOC controller creates",
            policy=scope.apply(lambda s: to_json(docs.boundary_policy(s, spec.exports.state_queue_arn))),
            tags={PURPOSE_TAG: "boundary"},
            opts=_child(self),
        )
        role = aws.iam.Role(
            f"{name}-role",
            name=spec.role_name,
            description=f"ClickHouse BYOC controller ({spec.access.mode}, {spec.access.profile})",
            assume_role_policy=vendor_trust(),
            max_session_duration=SESSION_SECONDS,
            tags={PURPOSE_TAG: "management", PROFILE_TAG: spec.access.profile},
            opts=_child(self),
        )
        self.policy_arns = {}
        for suffix in docs.bootstrap_policy_names(spec.access):
            policy = aws.iam.Policy(
                f"{name}-{suffix}",
                name=names.aws(f"management-{suffix}"),
                description=f"ClickHouse BYOC controller: {suffix}",
                policy=scope.apply(lambda s, k=suffix: to_json(docs.bootstrap_policies(s, spec.access)[k])),
                tags={PURPOSE_TAG: "management", PROFILE_TAG: spec.access.profile},
                opts=_child(self),
            )
            aws.iam.RolePolicyAttachment(
                f"{name}-{suffix}-attachment", role=role.name, policy_arn=policy.arn, opts=_child(self)
            )
            self.policy_arns[suffix] = policy.arn

        # `revoked` leaves the vendor nothing: no Kubernetes access (the access entry follows this
        # role), no troubleshooting, only the bootstrap role's trust and its deny-all policy. A
        # bootstrap-only stack has no cluster for those roles to reach.
        self.data_plane_mgmt_role_arn = None
        self.troubleshooting_role_arn = None
        others = spec.access.mode != "revoked" and not spec.only
        if others:
            cluster_arn = f"arn:aws:eks:{args.region}:{args.account_id}:cluster/{args.cluster_name}"
            data_plane = aws.iam.Role(
                f"{name}-data-plane-mgmt",
                name=names.aws("data-plane-mgmt"),
                description="ClickHouse BYOC control plane: Kubernetes objects through an EKS access entry",
                assume_role_policy=vendor_trust(),
                max_session_duration=SESSION_SECONDS,
                tags={PURPOSE_TAG: "data-plane-mgmt"},
                opts=_child(self),
            )
            aws.iam.RolePolicy(
                f"{name}-data-plane-mgmt-policy",
                name="data-plane-mgmt",
                role=data_plane.name,
                policy=to_json(docs.data_plane_mgmt_policy(cluster_arn)),
                opts=_child(self),
            )
            self.data_plane_mgmt_role_arn = data_plane.arn
        if spec.troubleshooting_until and others:
            until = spec.troubleshooting_until
            troubleshooting = aws.iam.Role(
                f"{name}-troubleshooting",
                name=names.aws("troubleshooting"),
                description=f"ClickHouse BYOC engineers, read-only, until {until}",
                assume_role_policy=vendor_trust(until),
                max_session_duration=SESSION_SECONDS,
                tags={PURPOSE_TAG: "troubleshooting", "clickhouse-byoc/access-until": until},
                opts=_child(self),
            )
            aws.iam.RolePolicy(
                f"{name}-troubleshooting-policy",
                name="troubleshooting",
                role=troubleshooting.name,
                policy=to_json(docs.troubleshooting_policy(args.account_id, args.region, args.cluster_name, until)),
                opts=_child(self),
            )
            self.troubleshooting_role_arn = troubleshooting.arn

        self.role_arn, self.role_name = role.arn, role.name
        self.boundary_policy_arn = boundary.arn
        self.register_outputs(
            {
                "role_arn": self.role_arn,
                "boundary_policy_arn": self.boundary_policy_arn,
                "data_plane_mgmt_role_arn": self.data_plane_mgmt_role_arn,
                "troubleshooting_role_arn": self.troubleshooting_role_arn,
            }
        )
