"""Workload identities: one IAM role per Kubernetes service account, trusted through the cluster's OIDC provider.

- `IrsaRole`: a role only one service account of one cluster can assume (`sts:AssumeRoleWithWebIdentity`).
- `WorkloadRoles`: the roles of the platform add-ons (load balancer controller, external-dns,
  cert-manager, cluster autoscaler), Thanos, the vendor's optional state exporter and billing
  scraper, and one role per ClickHouse service (`clickhouse-<service>`, its own prefix in the
  data and backup buckets). Created by `__main__.py` once the cluster's OIDC provider exists; the
  platform and services layers get the ARNs from it. The EKS layer keeps the roles of its own
  managed add-ons (vpc-cni, EBS CSI driver).

Until this layer existed the roles were children of the EKS component (`AddonRoles`, named
`<cluster>-irsa`); `former_address` gives the alias that keeps their addresses, so an existing
stack updates them in place (IAM role names are fixed: a replacement would clash on the name).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import iam_policies as docs
from components.iam import VendorExports, to_json
from components.k8s_conventions import SERVICE_ACCOUNTS, clickhouse_service_account
from components.naming import ROLE_PURPOSE_TAG, Names

IRSA_TYPE = "clickhouse-byoc:iam:IrsaRole"
TYPE = "clickhouse-byoc:workload_roles:WorkloadRoles"
# The token and name suffix the roles' parent had as a child of the EKS component.
FORMER_TYPE = "clickhouse-byoc:iam:AddonRoles"
FORMER_SUFFIX = "irsa"

# Workload sessions last one hour: short-lived credentials, re-assumed as needed.
SESSION_SECONDS = 3600


def former_parent_urn(cluster: pulumi.Resource, cluster_resource_name: str) -> pulumi.Output[str]:
    """The URN the roles' parent had under the EKS component (`<cluster>-irsa`, `AddonRoles`)."""
    return pulumi.create_urn(f"{cluster_resource_name}-{FORMER_SUFFIX}", FORMER_TYPE, parent=cluster)


def former_address(cluster: pulumi.Resource, cluster_resource_name: str) -> pulumi.Alias:
    """The alias of `WorkloadRoles` that keeps its roles' addresses from before it was a layer."""
    return pulumi.Alias(name=f"{cluster_resource_name}-{FORMER_SUFFIX}", type_=FORMER_TYPE, parent=cluster)


@dataclass(frozen=True)
class IrsaRoleArgs:
    """Inputs of one IAM role for one Kubernetes service account."""

    names: Names
    """Naming for the deployment."""
    purpose: str
    """The role name suffix: the role is `ClickHouse-cloud-<id>-<purpose>`."""
    oidc_provider_arn: pulumi.Input[str]
    """The cluster's IAM OIDC provider."""
    oidc_issuer: pulumi.Input[str]
    """The cluster's OIDC issuer URL without `https://` (the condition key prefix)."""
    namespace: str
    """The service account's namespace."""
    service_account: str
    """The service account's name."""
    policy: pulumi.Input[dict] | None
    """The role's one inline policy document, or None."""
    managed_policy_arns: tuple[str, ...] = ()
    """AWS managed policies to attach (none today: AWS's reach across the account, see docs/iam.md)."""


class IrsaRole(pulumi.ComponentResource):
    """A role only one service account of one cluster can assume, for STS only."""

    role_arn: pulumi.Output[str]
    role_name: pulumi.Output[str]

    def __init__(self, name: str, args: IrsaRoleArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(IRSA_TYPE, name, None, opts)
        role_name = args.names.aws(args.purpose)
        if len(role_name) > 64:
            raise ValueError(f"IAM role name {role_name!r} is longer than 64 characters; shorten the purpose")
        trust = pulumi.Output.all(args.oidc_provider_arn, args.oidc_issuer).apply(
            lambda v: to_json(docs.irsa_trust(v[0], v[1], args.namespace, args.service_account))
        )
        role = aws.iam.Role(
            f"{name}-role",
            name=role_name,
            description=f"IRSA: {args.namespace}/{args.service_account}",
            assume_role_policy=trust,
            max_session_duration=SESSION_SECONDS,
            tags={ROLE_PURPOSE_TAG: args.purpose},
            opts=pulumi.ResourceOptions(parent=self),
        )
        if args.policy is not None:
            aws.iam.RolePolicy(
                f"{name}-policy",
                name=args.purpose,
                role=role.name,
                policy=pulumi.Output.from_input(args.policy).apply(to_json),
                opts=pulumi.ResourceOptions(parent=self),
            )
        for arn in args.managed_policy_arns:
            aws.iam.RolePolicyAttachment(
                f"{name}-{arn.rsplit('/', 1)[-1]}",
                role=role.name,
                policy_arn=arn,
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.role_arn = role.arn
        self.role_name = role.name
        self.register_outputs({"role_arn": self.role_arn, "role_name": self.role_name})


@dataclass(frozen=True)
class WorkloadRolesArgs:
    """Inputs of the workload roles: the cluster's OIDC provider and what the workloads touch."""

    names: Names
    """Naming for the deployment."""
    oidc_provider_arn: pulumi.Input[str]
    """The cluster's IAM OIDC provider."""
    oidc_issuer: pulumi.Input[str]
    """The cluster's OIDC issuer URL without `https://`."""
    zone_arn: pulumi.Input[str]
    """The deployment's hosted zone (external-dns, cert-manager)."""
    cluster_name: str
    """The EKS cluster name (autoscaler and load balancer controller tag conditions)."""
    vpc_arn: pulumi.Input[str]
    """The deployment's VPC (`ec2:Vpc` of the load balancer controller's security-group rules)."""
    data_bucket_arn: str
    """ClickHouse data bucket."""
    backup_bucket_arn: str
    """ClickHouse backup bucket."""
    monitoring_bucket_arn: str
    """Thanos bucket."""
    vendor_exports: VendorExports | None = None
    """Where the vendor's exporters write: a role for the state exporter and the billing scraper each
    when its target is set; None: neither."""
    clickhouse_services: tuple[str, ...] = ()
    """ClickHouse services whose servers get a role (`clickhouse-<service>`), each under its own prefix."""
    restore_sources: dict[str, str] | None = None
    """Per restoring service: the service whose backups it may read (`restoreFrom.service`)."""
    kms_key_arn: pulumi.Input[str] | None = None
    """The data key (CMEK) of the buckets, when `kms.customerManagedKey` is on: ClickHouse and
    Thanos use it through S3."""


def restore_read_statements(backup_bucket_arn: str, source: str) -> list[dict]:
    """Read-only access to another service's backups, for a service restoring one of them."""
    return [
        docs.statement(
            "RestoreListSourceBackups",
            ["s3:ListBucket"],
            [backup_bucket_arn],
            {"StringLike": {"s3:prefix": [f"{source}/*", source]}},
        ),
        docs.statement("RestoreReadSourceBackups", ["s3:GetObject"], [f"{backup_bucket_arn}/{source}/*"]),
    ]


def with_restore_source(policy: dict, backup_bucket_arn: str, source: str | None) -> dict:
    """A ClickHouse server policy, plus read access to `source`'s backups when the service restores one."""
    if source is None:
        return policy
    return {**policy, "Statement": [*policy["Statement"], *restore_read_statements(backup_bucket_arn, source)]}


def workload_policies(args: WorkloadRolesArgs) -> dict[str, tuple[pulumi.Input[dict] | None, tuple[str, ...]]]:
    """purpose -> (inline policy, managed policy ARNs) for every add-on role of this layer."""
    zone = pulumi.Output.from_input(args.zone_arn)
    key = pulumi.Output.from_input(args.kms_key_arn)
    # The gateways' NLB names (components.ingress PUBLIC/PRIVATE): the controller's listener scope.
    load_balancers = (args.names.load_balancer("public"), args.names.load_balancer("private"))
    lbc = pulumi.Output.from_input(args.vpc_arn).apply(
        lambda vpc: docs.load_balancer_controller_policy(args.cluster_name, vpc, load_balancers)
    )
    out: dict[str, tuple[pulumi.Input[dict] | None, tuple[str, ...]]] = {
        "load-balancer-controller": (lbc, ()),
        "external-dns": (zone.apply(docs.external_dns_policy), ()),
        "cert-manager": (zone.apply(docs.cert_manager_policy), ()),
        "cluster-autoscaler": (docs.cluster_autoscaler_policy(args.cluster_name), ()),
        "thanos": (key.apply(lambda k: docs.thanos_policy(args.monitoring_bucket_arn, k)), ()),
    }
    exports = args.vendor_exports
    if exports is not None and exports.state_queue_arn:
        out["state-exporter"] = (docs.state_exporter_policy(exports.state_queue_arn), ())
    if exports is not None and exports.billing_bucket_arn:
        out["billing-scraper"] = (docs.billing_scraper_policy(exports.billing_bucket_arn, exports.billing_prefix), ())
    return out


class WorkloadRoles(pulumi.ComponentResource):
    """The workloads' IRSA roles.

    `role_arns` maps purpose -> role ARN (the platform's Helm values); `service_role_arns` maps a
    ClickHouse service name -> the role its servers' service account is annotated with.
    """

    role_arns: pulumi.Output[dict[str, str]]
    service_role_arns: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: WorkloadRolesArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE, name, None, opts)
        self.roles: dict[str, IrsaRole] = {}
        specs = [
            (purpose, *SERVICE_ACCOUNTS[purpose], policy, managed)
            for purpose, (policy, managed) in workload_policies(args).items()
        ]
        for service in args.clickhouse_services:
            namespace, account = clickhouse_service_account(service)
            source = (args.restore_sources or {}).get(service)
            policy = pulumi.Output.from_input(args.kms_key_arn).apply(
                lambda k, s=service, source=source: with_restore_source(
                    docs.clickhouse_server_policy(args.data_bucket_arn, args.backup_bucket_arn, s, k),
                    args.backup_bucket_arn,
                    source,
                )
            )
            specs.append((account, namespace, account, policy, ()))
        for purpose, namespace, account, policy, managed in specs:
            self.roles[purpose] = IrsaRole(
                f"{name}-{purpose}",
                IrsaRoleArgs(
                    names=args.names,
                    purpose=purpose,
                    oidc_provider_arn=args.oidc_provider_arn,
                    oidc_issuer=args.oidc_issuer,
                    namespace=namespace,
                    service_account=account,
                    policy=policy,
                    managed_policy_arns=managed,
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.role_arns = pulumi.Output.all(**{p: r.role_arn for p, r in self.roles.items()})
        self.service_role_arns = {
            service: self.roles[clickhouse_service_account(service)[1]].role_arn for service in args.clickhouse_services
        }
        self.register_outputs({"role_arns": self.role_arns})
