"""The EKS cluster: control plane, node groups, managed add-ons and the Kubernetes provider.

Creates the `ClickHouse-cloud-<id>` cluster with pulumi-eks (API authentication with access
entries, private endpoint always on, public endpoint only from listed CIDRs, secrets envelope
encryption, control-plane logs, an OIDC provider for IRSA), then in order: the vpc-cni managed
add-on (its own IRSA role, prefix delegation, and custom networking onto the pod subnets when
there are any), one system node group per zone (fixed size), one ClickHouse node group per zone
(scales from zero), and the kube-proxy, coredns and EBS CSI add-ons.

Day 2 (docs/day-2.md): the instance type lives in each group's launch template, so a type change
is a new template version that EKS rolls node by node (surge first, PodDisruptionBudgets
honoured) instead of a replaced node group; a `kubernetesVersion` bump updates the control plane,
then every node group's `version`, then the add-ons pinned for the new minor in
components.versions (kube-proxy after the nodes: it must never be newer than the kubelets).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks
import pulumi_kubernetes as k8s

from components import iam_policies as docs
from components.k8s_conventions import (
    CLICKHOUSE_NAMESPACE,
    CLICKHOUSE_NODE_LABELS,
    CLICKHOUSE_TAINT,
    DATA_PLANE_GROUP,
    ISTIO_NAMESPACE,
    PRIVATE_GATEWAY_NAMESPACE,
    PUBLIC_GATEWAY_NAMESPACE,
    SERVICE_ACCOUNTS,
    SYSTEM_NODE_LABELS,
    SYSTEM_TAINT,
    ZONE_TOPOLOGY_KEY,
)
from components.naming import Names, mandatory_tags, zone_suffix
from components.versions import eks_addon_version
from components.workload_roles import IrsaRole, IrsaRoleArgs, former_parent_urn

TYPE = "clickhouse-byoc:cluster:ByocCluster"
LOG_TYPES = ("api", "audit", "authenticator")
AMI_TYPE = "AL2023_x86_64_STANDARD"
ROOT_DEVICE = "/dev/xvda"
SYSTEM_ROOT_GIB = 50
CLICKHOUSE_ROOT_GIB = 100
ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
EDIT_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"
VIEW_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
# Where the vendor's control plane reconciles objects (ClickHouse installations, Istio routing).
DATA_PLANE_NAMESPACES = (CLICKHOUSE_NAMESPACE, ISTIO_NAMESPACE, PUBLIC_GATEWAY_NAMESPACE, PRIVATE_GATEWAY_NAMESPACE)


# -- pure builders ------------------------------------------------------------------------------


def eks_taint(taint: dict[str, str]) -> dict[str, str]:
    """A Kubernetes taint in the EKS API's spelling (`NoSchedule` -> `NO_SCHEDULE`)."""
    effect = {"NoSchedule": "NO_SCHEDULE", "NoExecute": "NO_EXECUTE", "PreferNoSchedule": "PREFER_NO_SCHEDULE"}
    return {"key": taint["key"], "value": taint["value"], "effect": effect[taint["effect"]]}


def autoscaler_tags(cluster_name: str, labels: dict[str, str], taint: dict[str, str], zone: str) -> dict[str, str]:
    """Tags the cluster autoscaler discovers a group by and reads to build a node from zero."""
    prefix = "k8s.io/cluster-autoscaler/node-template"
    tags = {
        "k8s.io/cluster-autoscaler/enabled": "true",
        f"k8s.io/cluster-autoscaler/{cluster_name}": "owned",
        f"{prefix}/label/{ZONE_TOPOLOGY_KEY}": zone,
        f"{prefix}/taint/{taint['key']}": f"{taint['value']}:{taint['effect']}",
    }
    tags.update({f"{prefix}/label/{k}": v for k, v in labels.items()})
    return tags


def vpc_cni_configuration(custom_networking: bool) -> dict:
    """vpc-cni settings: prefix delegation (16 IPs per ENI slot), ENIConfig-per-zone custom
    networking when pods get their own subnets, and the network policy agent, which enforces the
    ClickHouse namespace's NetworkPolicies (without it they are accepted and ignored)."""
    env = {"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "1"}
    if custom_networking:
        env.update({"AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": "true", "ENI_CONFIG_LABEL_DEF": ZONE_TOPOLOGY_KEY})
    return {"env": env, "enableNetworkPolicy": "true"}


def critical_addon_configuration() -> dict:
    """coredns and the EBS CSI controller run on the system nodes, which only they and their
    peers tolerate."""
    toleration = {"key": SYSTEM_TAINT["key"], "operator": "Exists", "effect": SYSTEM_TAINT["effect"]}
    return {"tolerations": [toleration], "nodeSelector": dict(SYSTEM_NODE_LABELS)}


def ebs_csi_configuration(volume_tags: dict[str, str] | None = None) -> dict:
    """The controller on system nodes; the node daemonset everywhere (it must run where volumes
    attach, ClickHouse nodes included). `volume_tags` go on every volume and snapshot the driver
    creates (`extraVolumeTags`): the deployment tag its IAM role's changes are scoped to."""
    controller = critical_addon_configuration()
    if volume_tags:
        controller["extraVolumeTags"] = dict(volume_tags)
    return {"controller": controller, "node": {"tolerateAllTaints": True}}


def launch_template_args(
    names: Names,
    group: str,
    root_gib: int,
    tags: dict[str, str],
    kms_key_arn: pulumi.Input[str] | None = None,
    *,
    instance_type: str | None = None,
) -> dict:
    """IMDSv2 only with a hop limit of 1 (pods cannot reach the node's credentials), an encrypted
    gp3 root volume (with the data key when `kms_key_arn` is given: CMEK), the group's instance
    type, and the mandatory tags on the instances and volumes the group launches.

    The instance type is here, not in the node group's `instanceTypes`: that input is
    replace-on-change (ForceNew in terraform-provider-aws internal/service/eks/node_group.go),
    while a new template version is an in-place `UpdateNodegroupVersion`, which EKS rolls node by
    node. `tags` must not carry the user's `tags`: any change here is a new template version that
    rolls every node (docs/day-2.md).
    """
    ebs: dict = {
        "volume_size": root_gib,
        "volume_type": "gp3",
        "encrypted": "true",
        "delete_on_termination": "true",
    }
    if kms_key_arn is not None:
        ebs["kms_key_id"] = kms_key_arn
    args = {
        "name": names.aws(group),
        "description": f"{names.aws(group)} nodes: IMDSv2 only, encrypted gp3 root volume",
        "update_default_version": True,
        "metadata_options": {
            "http_endpoint": "enabled",
            "http_tokens": "required",
            "http_put_response_hop_limit": 1,
            "instance_metadata_tags": "disabled",
        },
        "block_device_mappings": [
            {
                "device_name": ROOT_DEVICE,
                "ebs": ebs,
            }
        ],
        "tag_specifications": [
            {"resource_type": kind, "tags": {**tags, "Name": names.aws(group)}} for kind in ("instance", "volume")
        ],
    }
    if instance_type is not None:
        args["instance_type"] = instance_type
    return args


def node_group_sizes(group: str, nodes_per_zone_min: int, nodes_per_zone_max: int) -> dict[str, int]:
    """`scalingConfig` of one zone's group: EKS requires min <= desired <= max on every update.

    System groups are fixed-size (desired = min = max, all owned by the program), so any
    `systemNodeGroup.size` change is one valid update. ClickHouse groups start at desired = min = 0
    and the autoscaler owns desired afterwards (ignored on updates); min stays 0, so only a max
    below the running node count can be refused, and the plan tool flags that.
    """
    if group == "system":
        return {"min_size": nodes_per_zone_min, "max_size": nodes_per_zone_min, "desired_size": nodes_per_zone_min}
    return {"min_size": 0, "max_size": nodes_per_zone_max, "desired_size": 0}


def protect_control_plane(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
    """Protects the EKS control plane inside the pulumi-eks component, and nothing else there.

    Protecting the whole component would protect its other children too: the vendor's access
    entries, which a `troubleshootingAccess` window must be able to remove.
    """
    if args.type_ != "aws:eks/cluster:Cluster":
        return None
    return pulumi.ResourceTransformResult(
        props=args.props, opts=pulumi.ResourceOptions.merge(args.opts, pulumi.ResourceOptions(protect=True))
    )


def access_entries(
    data_plane_mgmt_role_arn: pulumi.Input[str] | None, troubleshooting_role_arn: pulumi.Input[str] | None
) -> dict[str, eks.AccessEntryArgs]:
    """The vendor's roles: namespaced edit for data-plane-mgmt, cluster-wide view for troubleshooting.

    The deploying principal is not listed: pulumi-eks always creates the cluster with EKS's
    creator bootstrap, which makes the deploying principal cluster admin; a second entry for it
    would be rejected by EKS as a duplicate.
    """
    entries: dict[str, eks.AccessEntryArgs] = {}
    if data_plane_mgmt_role_arn is not None:
        entries["data-plane-mgmt"] = eks.AccessEntryArgs(
            principal_arn=data_plane_mgmt_role_arn,
            type=eks.AccessEntryType.STANDARD,
            # Bound to the reconciled custom resources by components.access.DataPlaneAccess.
            kubernetes_groups=[DATA_PLANE_GROUP],
            access_policies={
                "edit": eks.AccessPolicyAssociationArgs(
                    policy_arn=EDIT_POLICY,
                    access_scope={"type": "namespace", "namespaces": list(DATA_PLANE_NAMESPACES)},
                )
            },
        )
    if troubleshooting_role_arn is not None:
        entries["troubleshooting"] = eks.AccessEntryArgs(
            principal_arn=troubleshooting_role_arn,
            type=eks.AccessEntryType.STANDARD,
            access_policies={
                "view": eks.AccessPolicyAssociationArgs(policy_arn=VIEW_POLICY, access_scope={"type": "cluster"})
            },
        )
    return entries


def managed_addon_policies(
    volume_key_arn: pulumi.Input[str] | None, deployment_id: str, vpc_arn: pulumi.Input[str]
) -> dict[str, tuple[pulumi.Input[dict] | None, tuple[str, ...]]]:
    """purpose -> (inline policy, managed policy ARNs) of the managed add-ons' IRSA roles.

    Both inline: AWS's managed `AmazonEKS_CNI_Policy` reaches every network interface and
    instance in the account, other deployments' included (docs/iam.md).
    """
    ebs_csi = pulumi.Output.from_input(volume_key_arn).apply(lambda key: docs.ebs_csi_policy(key, deployment_id))
    vpc_cni = pulumi.Output.from_input(vpc_arn).apply(lambda vpc: docs.vpc_cni_policy(vpc, deployment_id))
    return {"vpc-cni": (vpc_cni, ()), "ebs-csi": (ebs_csi, ())}


# -- the component ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClusterSpec:
    """What the user chooses about the cluster: version, API endpoint, node groups, protection
    (parsed and validated by components/settings/cluster.py)."""

    kubernetes_version: str
    """The EKS Kubernetes minor, e.g. `1.35` (`kubernetesVersion`)."""
    endpoint_public: bool
    """Whether the API endpoint is also public, from `public_cidrs` only (it is always private)."""
    public_cidrs: tuple[str, ...]
    """The CIDRs the public API endpoint accepts (`clusterEndpoint.publicCidrs`)."""
    system_instance_type: str
    """Instance type of the system node groups."""
    system_nodes_per_zone: int
    """System nodes in each zone (`systemNodeGroup.size` / 3, fixed size)."""
    clickhouse_instance_type: str
    """Instance type of the ClickHouse node groups."""
    clickhouse_max_per_zone: int
    """Most ClickHouse nodes per zone (the groups scale from zero)."""
    data_protection: bool
    """`dataProtection`: deletion protection on the cluster; the other layers protect and retain their
    stateful resources (buckets, keys, zone, log bucket) on the same switch."""


@dataclass(frozen=True)
class ByocClusterArgs:
    """Inputs of the EKS layer."""

    names: Names
    """Naming for the deployment."""
    spec: ClusterSpec
    """Version, endpoint and node group choices."""
    region: str
    """The region (kubeconfig, add-on configuration)."""
    availability_zones: tuple[str, ...]
    """The three zones, in subnet order."""
    vpc_id: pulumi.Input[str]
    """The BYOC VPC."""
    private_subnet_ids: pulumi.Input[Sequence[str]]
    """Private subnets, one per zone, in zone order: control plane ENIs and nodes."""
    pod_subnet_ids: pulumi.Input[Sequence[str]] | None
    """Pod subnets per zone on the secondary range, or None without a pod range."""
    cluster_role: aws.iam.Role
    """The `...-k8s-control-plane` role the EKS service assumes."""
    node_role_arn: pulumi.Input[str]
    """The `...-k8s-worker` role of every node group."""
    secrets_key_arn: pulumi.Input[str]
    """KMS key for Kubernetes secrets envelope encryption."""
    volume_key_arn: pulumi.Input[str] | None = None
    """Customer-managed key the EBS CSI driver may use (CMEK), if any."""
    data_plane_mgmt_role_arn: pulumi.Input[str] | None = None
    """The vendor's data-plane-mgmt role: namespaced edit."""
    troubleshooting_role_arn: pulumi.Input[str] | None = None
    """The time-boxed troubleshooting role: view only."""
    node_tags: dict[str, str] | None = None
    """Tags for instances and volumes the node groups launch (default tags do not reach them)."""


class ByocCluster(pulumi.ComponentResource):
    """The BYOC EKS cluster and its nodes."""

    cluster_name: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    oidc_provider_arn: pulumi.Output[str]
    oidc_issuer: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    node_group_names: list[pulumi.Output[str]]
    k8s_provider: k8s.Provider
    system_node_groups: list[aws.eks.NodeGroup]
    """The system groups (one per zone): what the platform's and Istio's pods wait for."""
    ebs_csi: aws.eks.Addon
    """The EBS CSI add-on: what volumes (Keeper's, ClickHouse's) wait for."""

    def __init__(self, name: str, args: ByocClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE, name, None, opts)
        names, s = args.names, args.spec
        child = pulumi.ResourceOptions(parent=self)

        cluster = eks.Cluster(
            f"{name}-eks",
            name=names.cluster,
            version=s.kubernetes_version,
            vpc_id=args.vpc_id,
            private_subnet_ids=args.private_subnet_ids,
            node_associate_public_ip_address=False,
            service_role=args.cluster_role,
            skip_default_node_group=True,
            skip_default_security_groups=True,
            create_instance_role=False,
            authentication_mode=eks.AuthenticationMode.API,
            access_entries=access_entries(args.data_plane_mgmt_role_arn, args.troubleshooting_role_arn),
            endpoint_private_access=True,
            endpoint_public_access=s.endpoint_public,
            public_access_cidrs=list(s.public_cidrs) if s.endpoint_public else None,
            encryption_config_key_arn=args.secrets_key_arn,
            enabled_cluster_log_types=list(LOG_TYPES),
            create_oidc_provider=True,
            # The add-ons below are created by this component, with IRSA roles and in the order
            # that lets them become healthy.
            use_default_vpc_cni=True,
            kube_proxy_addon_options=eks.KubeProxyAddonOptionsArgs(enabled=False),
            # The EKS default, stated because the nodes rely on it: the self-managed kube-proxy
            # EKS installs serves the first nodes until the managed add-on adopts it.
            bootstrap_self_managed_addons=True,
            coredns_addon_options=eks.CoreDnsAddonOptionsArgs(enabled=False),
            # Same switch as the buckets: a protected deployment cannot lose its cluster by accident.
            deletion_protection=s.data_protection,
            tags={"Name": names.cluster},
            # The control plane is protected with the rest of the state under `dataProtection` (a
            # replaced cluster loses every volume binding, secret and identity on it).
            opts=pulumi.ResourceOptions(parent=self, transforms=[protect_control_plane] if s.data_protection else None),
        )
        # Derived from the cluster, so everything using the name waits for the cluster.
        self.cluster_name = pulumi.Output.all(cluster.urn, names.cluster).apply(lambda a: a[1])
        self.kubeconfig = pulumi.Output.secret(cluster.kubeconfig_json)
        self.endpoint = cluster.kubeconfig_json.apply(lambda k: json.loads(k)["clusters"][0]["cluster"]["server"])
        self.oidc_provider_arn = cluster.oidc_provider_arn
        self.oidc_issuer = cluster.oidc_issuer

        self.k8s_provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=self.kubeconfig,
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[cluster]),
        )

        # The roles of this layer's own managed add-ons (every other workload role is the
        # workload_roles layer's). They were children of an `<name>-irsa` component that now is
        # that layer: the alias keeps their addresses.
        former_parent = former_parent_urn(self, name)
        roles: dict[str, IrsaRole] = {}
        vpc_arn = pulumi.Output.from_input(args.vpc_id).apply(
            lambda vpc: f"arn:aws:ec2:{args.region}:{names.account_id}:vpc/{vpc}"
        )
        policies = managed_addon_policies(args.volume_key_arn, names.deployment_id, vpc_arn)
        for purpose, (policy, managed) in policies.items():
            namespace, account = SERVICE_ACCOUNTS[purpose]
            roles[purpose] = IrsaRole(
                f"{name}-irsa-{purpose}",
                IrsaRoleArgs(
                    names=names,
                    purpose=purpose,
                    oidc_provider_arn=cluster.oidc_provider_arn,
                    oidc_issuer=cluster.oidc_issuer,
                    namespace=namespace,
                    service_account=account,
                    policy=policy,
                    managed_policy_arns=managed,
                ),
                opts=pulumi.ResourceOptions(parent=self, aliases=[pulumi.Alias(parent=former_parent)]),
            )

        def addon(addon_name: str, depends_on: list[pulumi.Resource], **kwargs) -> aws.eks.Addon:
            # Pinned per minor (components.versions); nothing is resolved at deploy time.
            return aws.eks.Addon(
                f"{name}-{addon_name}",
                cluster_name=self.cluster_name,
                addon_name=addon_name,
                addon_version=eks_addon_version(addon_name, s.kubernetes_version),
                # Adopt what EKS bootstrapped; keep our configuration on upgrades.
                resolve_conflicts_on_create="OVERWRITE",
                resolve_conflicts_on_update="OVERWRITE",
                opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on),
                **kwargs,
            )

        custom_networking = args.pod_subnet_ids is not None
        vpc_cni = addon(
            "vpc-cni",
            [cluster],
            service_account_role_arn=roles["vpc-cni"].role_arn,
            configuration_values=json.dumps(vpc_cni_configuration(custom_networking)),
        )
        # kube-proxy is created after the nodes (below): on a version bump it must not be newer
        # than the kubelets. Nodes still get one from the start: EKS installs a self-managed
        # kube-proxy of the cluster's version on every new cluster (bootstrapSelfManagedAddons),
        # which the managed add-on adopts (resolve_conflicts_on_create=OVERWRITE).
        before_nodes: list[pulumi.Resource] = [vpc_cni]
        if custom_networking:
            pod_subnets = pulumi.Output.from_input(args.pod_subnet_ids)
            for i, zone in enumerate(args.availability_zones):
                before_nodes.append(
                    k8s.apiextensions.CustomResource(
                        f"{name}-eniconfig-{zone_suffix(zone)}",
                        api_version="crd.k8s.amazonaws.com/v1alpha1",
                        kind="ENIConfig",
                        metadata={"name": zone},
                        spec={
                            "subnet": pod_subnets.apply(lambda ids, i=i: ids[i]),
                            "securityGroups": [cluster.cluster_security_group_id],
                        },
                        opts=pulumi.ResourceOptions(parent=self, provider=self.k8s_provider, depends_on=[vpc_cni]),
                    )
                )

        private_subnets = pulumi.Output.from_input(args.private_subnet_ids)
        node_tags = dict(args.node_tags or {})
        node_groups: list[aws.eks.NodeGroup] = []
        self.node_group_names = []
        self.system_node_groups = []
        for group, labels, taint, root_gib, instance_type, sizes in (
            ("system", SYSTEM_NODE_LABELS, SYSTEM_TAINT, SYSTEM_ROOT_GIB, s.system_instance_type,
             node_group_sizes("system", s.system_nodes_per_zone, s.system_nodes_per_zone)),
            ("clickhouse", CLICKHOUSE_NODE_LABELS, CLICKHOUSE_TAINT, CLICKHOUSE_ROOT_GIB, s.clickhouse_instance_type,
             node_group_sizes("clickhouse", 0, s.clickhouse_max_per_zone)),
        ):  # fmt: skip
            template = aws.ec2.LaunchTemplate(
                f"{name}-{group}-lt",
                **launch_template_args(
                    names, group, root_gib, node_tags, args.volume_key_arn, instance_type=instance_type
                ),
                opts=child,
            )
            # The autoscaler owns a scaling group's desired size once the group exists; a
            # fixed-size group's sizes are all the program's.
            ignore = ["scalingConfig.desiredSize"] if sizes["min_size"] != sizes["max_size"] else []
            # One group per zone: a group bound to one subnet can only place nodes in that zone,
            # so the system nodes are spread one per zone and the autoscaler can grow exactly the
            # zone where a pending pod's volume lives.
            for i, zone in enumerate(args.availability_zones):
                group_name = names.aws(f"{group}-{zone_suffix(zone)}")
                node_group = aws.eks.NodeGroup(
                    f"{name}-{group}-{zone_suffix(zone)}",
                    cluster_name=self.cluster_name,
                    node_group_name=group_name,
                    node_role_arn=args.node_role_arn,
                    subnet_ids=[private_subnets.apply(lambda ids, i=i: ids[i])],
                    ami_type=AMI_TYPE,
                    capacity_type="ON_DEMAND",
                    # The EKS-optimized AMI of this minor: a bump rolls the group after the
                    # control plane (it depends on the cluster).
                    version=s.kubernetes_version,
                    scaling_config=sizes,
                    # One node of a zone at a time: EKS surges a new node first, then drains the
                    # old one honouring PodDisruptionBudgets.
                    update_config={"max_unavailable": 1},
                    labels=dict(labels),
                    taints=[eks_taint(taint)],
                    launch_template={"id": template.id, "version": template.latest_version.apply(str)},
                    tags={"Name": group_name, **autoscaler_tags(names.cluster, labels, taint, zone)},
                    opts=pulumi.ResourceOptions(parent=self, depends_on=before_nodes, ignore_changes=ignore),
                )
                node_groups.append(node_group)
                if group == "system":
                    self.system_node_groups.append(node_group)
                self.node_group_names.append(node_group.node_group_name)
                if sizes["min_size"] == 0:
                    self._tag_auto_scaling_group(f"{name}-{group}-{zone_suffix(zone)}", node_group, labels, taint, zone)

        # After every node group: on a bump, the nodes run the new kubelet before these move.
        addon("kube-proxy", node_groups)
        addon("coredns", node_groups, configuration_values=json.dumps(critical_addon_configuration()))
        self.ebs_csi = addon(
            "aws-ebs-csi-driver",
            node_groups,
            service_account_role_arn=roles["ebs-csi"].role_arn,
            configuration_values=json.dumps(ebs_csi_configuration(mandatory_tags(names.deployment_id))),
        )
        self.cluster_security_group_id = cluster.cluster_security_group_id

        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "endpoint": self.endpoint,
                "oidc_provider_arn": self.oidc_provider_arn,
                "oidc_issuer": self.oidc_issuer,
                "kubeconfig": self.kubeconfig,
                "node_group_names": self.node_group_names,
            }
        )

    def _tag_auto_scaling_group(
        self, name: str, node_group: aws.eks.NodeGroup, labels: dict[str, str], taint: dict[str, str], zone: str
    ) -> None:
        """Copies the node-template tags onto the group's Auto Scaling group.

        EKS does not copy node group tags to the Auto Scaling group, and the autoscaler reads the
        group's tags to build a node when it has none to look at (scale from zero); it also asks
        EKS for the labels and taints, but the tags do not depend on that API call succeeding.
        """
        asg_name = node_group.resources.apply(lambda r: r[0].autoscaling_groups[0].name)
        template = {k: v for k, v in autoscaler_tags("", labels, taint, zone).items() if "/node-template/" in k}
        for i, (key, value) in enumerate(sorted(template.items())):
            aws.autoscaling.Tag(
                f"{name}-asg-tag-{i}",
                autoscaling_group_name=asg_name,
                tag={"key": key, "value": value, "propagate_at_launch": False},
                opts=pulumi.ResourceOptions(parent=self),
            )
