"""The cluster platform: default storage, load balancers, DNS, certificates and autoscaling.

On the EKS cluster, through its Kubernetes provider: the StorageClass `gp3-encrypted` (encrypted,
`WaitForFirstConsumer`, expandable, `Retain`; the default class) and, with a customer-managed key,
`gp3-encrypted-cmk-<key hash>` (the same with the key, and the default instead), and Helm releases
of the AWS Load Balancer Controller, external-dns, cert-manager (with Let's Encrypt production and staging
ClusterIssuers solving DNS01 through Route 53), the cluster autoscaler and metrics-server (the
resource metrics API the HPAs of istiod and the gateways scale on). Every release runs on the
system nodes; those that call AWS use their own IRSA role through their service account's annotation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components import helm, pod_security, versions
from components.k8s_conventions import (
    ISSUER_PRODUCTION,
    ISSUER_STAGING,
    ROLE_ARN_ANNOTATION,
    SERVICE_ACCOUNTS,
    storage_class_name,
    system_placement,
)
from components.metrics_server import metrics_server_values
from components.naming import Names
from components.pod_requests import LOAD_BALANCER_CONTROLLER

TYPE = "clickhouse-byoc:platform:ClusterPlatform"
ACME_SERVERS = {
    ISSUER_PRODUCTION: "https://acme-v02.api.letsencrypt.org/directory",
    ISSUER_STAGING: "https://acme-staging-v02.api.letsencrypt.org/directory",
}


# -- pure builders ------------------------------------------------------------------------------


DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"


def storage_class(kms_key_arn: str | None = None, default: bool = True) -> dict[str, Any]:
    """A StorageClass of the platform: a deleted claim keeps its volume (`Retain`), volumes are
    created in the zone of the pod that first uses them, and can grow.

    Named after its key (k8s_conventions.storage_class_name): Kubernetes refuses any update of a
    class's `parameters`, so each key has a class of its own. `default` sets the default-class
    annotation (`"true"`/`"false"`; annotations may change); without a key only: the customer-key
    class is marked default by default_class_patch, so that forgetting it also unmarks it."""
    # The EBS CSI driver ignores a bare `fsType` (deprecated; aws-ebs-csi-driver v1.64.0
    # docs/parameters.md, pkg/driver/controller.go): the file system goes in the CSI-prefixed key.
    parameters = {"type": "gp3", "encrypted": "true", "csi.storage.k8s.io/fstype": "ext4"}
    metadata: dict[str, Any] = {"name": storage_class_name(kms_key_arn)}
    if kms_key_arn is None:
        metadata["annotations"] = {DEFAULT_CLASS_ANNOTATION: "true" if default else "false"}
    else:
        parameters["kmsKeyId"] = kms_key_arn
    return {
        "metadata": metadata,
        "provisioner": "ebs.csi.aws.com",
        "parameters": parameters,
        "reclaim_policy": "Retain",
        "volume_binding_mode": "WaitForFirstConsumer",
        "allow_volume_expansion": True,
    }


def default_class_patch(class_name: str) -> dict[str, Any]:
    """The server-side-apply patch that marks one class the default: its field manager alone owns
    the annotation, so deleting the patch removes it again and the class itself stays (pulumi-kubernetes'
    server-side apply guide: deleting a Patch resource undoes the patched changes)."""
    return {"metadata": {"name": class_name, "annotations": {DEFAULT_CLASS_ANNOTATION: "true"}}}


def _service_account(purpose: str, role_arn: str) -> dict[str, Any]:
    return {"create": True, "name": SERVICE_ACCOUNTS[purpose][1], "annotations": {ROLE_ARN_ANNOTATION: role_arn}}


def load_balancer_controller_values(cluster_name: str, region: str, vpc_id: str, role_arn: str) -> dict[str, Any]:
    # Region and VPC are given because pods cannot reach the instance metadata (hop limit 1).
    # Without the service mutator webhook the controller only manages Services that ask for it
    # (`aws-load-balancer-type: external`), never silently takes over other LoadBalancer Services.
    # WAF Classic, WAFv2 and Shield default to on at v2.14.0 (`pkg/config/addons_config.go`) while
    # their write permissions are left out of the controller's role (iam_policies.workloads): the
    # features are turned off so that the flags and the role agree. They act on ALBs only (the
    # gateways are NLBs); an ALB annotated for WAF or Shield would otherwise fail its reconcile on
    # a denied call, and Shield on asks for the account's subscription on every deploy.
    return {
        "clusterName": cluster_name,
        "region": region,
        "vpcId": vpc_id,
        "replicaCount": LOAD_BALANCER_CONTROLLER.replicas,
        "serviceAccount": _service_account("load-balancer-controller", role_arn),
        "enableServiceMutatorWebhook": False,
        "enableWaf": False,
        "enableWafv2": False,
        "enableShield": False,
        "podDisruptionBudget": {"maxUnavailable": 1},
        **system_placement(),
    }


# The label the services layer puts on each VirtualService (components.ingress.DNS_SCOPE_LABEL):
# the public external-dns publishes only the routes of the public gateway.
PUBLIC_DNS_SCOPE = "clickhouse-byoc/dns-scope=public"


def external_dns_values(zone_name: str, zone_id: str, owner_id: str, region: str, role_arn: str) -> dict[str, Any]:
    """external-dns for the public zone only: the public gateway's VirtualServices, nothing else.

    One source (`istio-virtualservice`, filtered by label) so a hostname comes from one route and
    one gateway: the Gateways' own hosts and LoadBalancer Services are not sources, and the private
    gateway's names (private hosted zones, components/private_endpoint.py) never reach the public zone.
    upsert-only: external-dns never deletes a record, so a misconfigured source cannot wipe the zone.
    """
    return {
        "provider": {"name": "aws"},
        "env": [{"name": "AWS_DEFAULT_REGION", "value": region}],
        "domainFilters": [zone_name],
        "extraArgs": [f"--zone-id-filter={zone_id}", "--aws-zone-type=public"],
        "txtOwnerId": owner_id,
        "policy": "upsert-only",
        "registry": "txt",
        "sources": ["istio-virtualservice"],
        "labelFilter": PUBLIC_DNS_SCOPE,
        "serviceAccount": _service_account("external-dns", role_arn),
        **system_placement(),
    }


# Public resolvers for cert-manager's DNS01 self-check: inside the VPC the private hosted zone
# `<service>-private.<zone>` answers for `_acme-challenge.<service>-private.<zone>` (and has no such
# record), so a check through the VPC resolver would never see the TXT record Let's Encrypt reads from
# the public zone; the MySQL certificates name the private hosts (docs/dns.md).
DNS01_CHECK_NAMESERVERS = ("1.1.1.1:53", "8.8.8.8:53")


def cert_manager_values(role_arn: str) -> dict[str, Any]:
    placement = system_placement()
    return {
        "crds": {"enabled": True, "keep": True},
        "extraArgs": [
            "--dns01-recursive-nameservers-only=true",
            f"--dns01-recursive-nameservers={','.join(DNS01_CHECK_NAMESERVERS)}",
            # A deleted Certificate (a service's MySQL interface turned off) takes its Secret, the
            # private key, with it.
            "--enable-certificate-owner-ref=true",
        ],
        "serviceAccount": _service_account("cert-manager", role_arn),
        # The projected IRSA token must be readable by the controller's non-root user.
        "securityContext": {"fsGroup": 1001},
        **placement,
        "webhook": dict(placement),
        "cainjector": dict(placement),
        "startupapicheck": dict(placement),
    }


def cluster_autoscaler_values(cluster_name: str, region: str, kubernetes_version: str, role_arn: str) -> dict[str, Any]:
    return {
        "cloudProvider": "aws",
        "awsRegion": region,
        "autoDiscovery": {
            "clusterName": cluster_name,
            "tags": ["k8s.io/cluster-autoscaler/enabled", f"k8s.io/cluster-autoscaler/{cluster_name}"],
        },
        # The autoscaler's minor must match the cluster's; the chart's default may be newer.
        "image": {"tag": versions.cluster_autoscaler_image_tag(kubernetes_version)},
        "extraArgs": {
            "balance-similar-node-groups": True,
            "expander": "least-waste",
            # The per-zone groups differ only by zone: balance them regardless of that label.
            "balancing-ignore-label": "topology.kubernetes.io/zone",
            "skip-nodes-with-local-storage": False,
        },
        "rbac": {"create": True, "serviceAccount": _service_account("cluster-autoscaler", role_arn)},
        "podDisruptionBudget": {"maxUnavailable": 1},
        # Not root (the chart runs it as root by default; its values suggest this user), RuntimeDefault
        # seccomp, no capability, read-only root: the autoscaler only calls the Kubernetes and AWS APIs.
        "securityContext": pod_security.pod_security_context(65534, volumes=False),
        "containerSecurityContext": pod_security.container_security_context(),
        **system_placement(),
    }


def cluster_issuer(issuer: str, region: str, zone_name: str, zone_id: str) -> dict[str, Any]:
    """A Let's Encrypt ClusterIssuer proving control of the zone with DNS01 records in Route 53
    (cert-manager's own IRSA credentials)."""
    return {
        "apiVersion": "cert-manager.io/v1",
        "kind": "ClusterIssuer",
        "metadata": {"name": issuer},
        "spec": {
            "acme": {
                "server": ACME_SERVERS[issuer],
                "privateKeySecretRef": {"name": f"{issuer}-account-key"},
                "solvers": [
                    {
                        "selector": {"dnsZones": [zone_name]},
                        "dns01": {"route53": {"region": region, "hostedZoneID": zone_id}},
                    }
                ],
            }
        },
    }


# -- the component ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClusterPlatformArgs:
    """Inputs of the platform layer."""

    names: Names
    """Naming for the deployment (also external-dns' TXT owner id)."""
    region: str
    """The region."""
    kubernetes_version: str
    """The cluster's minor (autoscaler image)."""
    cluster_name: pulumi.Input[str]
    """The EKS cluster."""
    vpc_id: pulumi.Input[str]
    """The BYOC VPC (load balancer controller)."""
    role_arns: pulumi.Input[dict[str, str]]
    """IRSA role ARN per purpose (components.workload_roles.WorkloadRoles.role_arns)."""
    zone_name: str
    """The deployment's DNS zone."""
    zone_id: pulumi.Input[str]
    """Its Route 53 id."""
    volume_key_arn: pulumi.Input[str] | None = None
    """Customer-managed key for volumes, if any."""
    system_nodes: tuple[pulumi.Resource, ...] = ()
    """The system node groups: every release's pods run there and Helm waits for them."""


class ClusterPlatform(pulumi.ComponentResource):
    """Storage, load balancing, DNS, certificates and autoscaling on the cluster."""

    load_balancing: list[pulumi.Resource]
    """The AWS Load Balancer Controller release: what a LoadBalancer Service waits for."""
    certificates: list[pulumi.Resource]
    """cert-manager and its ClusterIssuers: what a Certificate waits for."""
    storage: list[pulumi.Resource]
    """The StorageClasses and the default mark (with the cluster's EBS CSI add-on: what a volume waits for)."""
    storage_class: pulumi.Output[str]
    """The class new volumes come from (the default class): what claim templates name."""

    def __init__(self, name: str, args: ClusterPlatformArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE, name, None, opts)
        names = args.names
        child = pulumi.ResourceOptions(parent=self)
        # Helm waits for each chart's pods, which run on the system nodes; nothing here needs the
        # EBS CSI add-on (no release has a volume), and the StorageClass is only an object.
        on_nodes = pulumi.ResourceOptions(parent=self, depends_on=list(args.system_nodes))

        role_arns = pulumi.Output.from_input(args.role_arns)

        def role(purpose: str) -> pulumi.Output[str]:
            return role_arns.apply(lambda arns: arns[purpose])

        cluster_name = pulumi.Output.from_input(args.cluster_name)
        lbc_role = role("load-balancer-controller")
        dns_role = role("external-dns")
        cert_role = role("cert-manager")
        scaler_role = role("cluster-autoscaler")

        # `gp3-encrypted` is always declared and never forgotten: its volumes keep naming it, and
        # toggling the key back off must not create it again (pulumi-kubernetes creates
        # client-side: an object left in the cluster fails the create with AlreadyExists). Only
        # its default-class annotation follows the key.
        cmk = args.volume_key_arn is not None
        aws_managed = storage_class(default=not cmk)
        retained = pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(retain_on_delete=True))
        aws_class = k8s.storage.v1.StorageClass(f"{name}-storage-class", **aws_managed, opts=retained)
        storage: list[pulumi.Resource] = [aws_class]
        self.storage_class: pulumi.Output[str] = pulumi.Output.from_input(aws_managed["metadata"]["name"])
        if cmk:
            # The customer-key class exists while the key is on, named after the key. Turning the key
            # off forgets it (retained: its volumes name it, and growing them reads its
            # `allowVolumeExpansion`); a later key gets a class of another name. The default mark is a
            # separate patch, deleted (so removed from the class) when the class is forgotten.
            sc = pulumi.Output.from_input(args.volume_key_arn).apply(storage_class)
            cmk_class = k8s.storage.v1.StorageClass(
                f"{name}-storage-class-cmk",
                metadata=sc["metadata"],
                provisioner=sc["provisioner"],
                parameters=sc["parameters"],
                reclaim_policy=sc["reclaim_policy"],
                volume_binding_mode=sc["volume_binding_mode"],
                allow_volume_expansion=sc["allow_volume_expansion"],
                opts=retained,
            )
            self.storage_class = sc["metadata"]["name"]
            default_mark = k8s.storage.v1.StorageClassPatch(
                f"{name}-storage-class-cmk-default",
                metadata=self.storage_class.apply(lambda n: default_class_patch(n)["metadata"]),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[cmk_class]),
            )
            storage += [cmk_class, default_mark]

        def release(key: str, pin: versions.ChartPin, namespace: str, values: pulumi.Input[dict]):
            return helm.release(
                f"{name}-{key}",
                pin,
                name=pin.chart,
                namespace=namespace,
                values=values,
                opts=on_nodes,
                create_namespace=namespace != "kube-system",
                max_history=10,
            )

        region = args.region
        lbc = release(
            "aws-load-balancer-controller",
            versions.AWS_LOAD_BALANCER_CONTROLLER_CHART,
            SERVICE_ACCOUNTS["load-balancer-controller"][0],
            pulumi.Output.all(cluster_name, args.vpc_id, lbc_role).apply(
                lambda a: load_balancer_controller_values(a[0], region, a[1], a[2])
            ),
        )
        release(
            "external-dns",
            versions.EXTERNAL_DNS_CHART,
            SERVICE_ACCOUNTS["external-dns"][0],
            pulumi.Output.all(args.zone_id, dns_role).apply(
                lambda a: external_dns_values(args.zone_name, a[0], names.deployment_id, region, a[1])
            ),
        )
        issuers = []
        cert_manager = release(
            "cert-manager",
            versions.CERT_MANAGER_CHART,
            SERVICE_ACCOUNTS["cert-manager"][0],
            cert_role.apply(cert_manager_values),
        )
        autoscaler = release(
            "cluster-autoscaler",
            versions.CLUSTER_AUTOSCALER_CHART,
            SERVICE_ACCOUNTS["cluster-autoscaler"][0],
            pulumi.Output.all(cluster_name, scaler_role).apply(
                lambda a: cluster_autoscaler_values(a[0], region, args.kubernetes_version, a[1])
            ),
        )
        release("metrics-server", versions.METRICS_SERVER_CHART, "kube-system", metrics_server_values())
        zone_id = pulumi.Output.from_input(args.zone_id)
        for issuer in (ISSUER_PRODUCTION, ISSUER_STAGING):
            spec = zone_id.apply(lambda z, issuer=issuer: cluster_issuer(issuer, region, args.zone_name, z)["spec"])
            issuer_resource = k8s.apiextensions.CustomResource(
                f"{name}-{issuer}",
                api_version="cert-manager.io/v1",
                kind="ClusterIssuer",
                metadata={"name": issuer},
                spec=spec,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[cert_manager]),
            )
            issuers.append(issuer_resource)
        # external-dns is needed by nothing at deploy time: it publishes names once VirtualServices
        # exist. The autoscaler adds the ClickHouse nodes an installation's pods wait for, and
        # `pulumi up` waits for the installation to complete (components/awaits.py).
        self.node_scaling = [autoscaler]
        self.load_balancing = [lbc]
        self.certificates = [cert_manager, *issuers]
        self.storage = storage
        self.register_outputs({"storage_class": self.storage_class})
