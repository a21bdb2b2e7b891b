"""clickhouse-byoc: one ClickHouse BYOC installation per (AWS account, region) stack.

Reads the settings once, then wires each layer's outputs into the next layer's args.
"""

import pulumi

from components import audit as audit_layer
from components import settings as config
from components import wiring
from components.audit import AuditLog
from components.cluster import ByocCluster, ByocClusterArgs
from components.dns import ByocDns, ByocDnsArgs
from components.iam import BootstrapRole, ClusterRoles, ClusterRolesArgs, bucket_arn
from components.keys import ByocKeys, ByocKeysArgs
from components.network import ByocVpc, ByocVpcArgs
from components.observability.layer import Observability, TroubleshootingTailscale, TroubleshootingTailscaleArgs
from components.peering import VpcPeerings, VpcPeeringsArgs
from components.platform import ClusterPlatform, ClusterPlatformArgs
from components.private_endpoint import PeerDns, PrivateEndpoint, PrivateEndpointArgs
from components.providers import aws_provider, enabled_regions, resolve_zones
from components.readiness import ClusterReadiness
from components.services import ByocServices, ByocServicesArgs
from components.storage import ByocBuckets, ByocBucketsArgs
from components.vendor_alerts import VendorAccessAlerts
from components.workload_roles import WorkloadRoles, WorkloadRolesArgs, former_address

settings = config.load()
for warning in settings.warnings:
    pulumi.log.warn(warning)
names = settings.names
ranges = settings.network.ranges

aws = aws_provider(names.aws("aws"), settings.region, settings.account_id, settings.default_tags)
on_aws = pulumi.ResourceOptions(providers=[aws])


def audit() -> AuditLog | None:
    """The log bucket, audit key and trail, and the alerts on every vendor role assumption."""
    log_args = wiring.audit_log_args(settings)
    log = AuditLog(names.aws("audit"), log_args, opts=on_aws) if log_args else None
    regions = enabled_regions(aws) if settings.vendor_access_alerts.enabled else ()
    alert_args = wiring.vendor_access_args(settings, regions, log.key_arn if log else None)
    if alert_args is not None:
        alerts = VendorAccessAlerts(names.aws("vendor-access-alerts"), alert_args, opts=on_aws)
        # Subscribe more endpoints (a SIEM's queue, a chat integration) to this topic.
        pulumi.export("vendor_access_topic_arn", alerts.topic_arn)
    if log is not None and log.bucket_name is not None:
        pulumi.export("audit_log_bucket", log.bucket_name)
    return log


if settings.iam.only:
    # bootstrap.only: the bootstrap role and its boundary, nothing else; the vendor's controller
    # builds the infrastructure (docs/iam.md, "A bootstrap-only stack").
    bootstrap = BootstrapRole(names.aws("bootstrap"), wiring.bootstrap_role_args(settings, zone_arn=None), opts=on_aws)
    audit()
    pulumi.export("deployment_id", settings.deployment_id)
    pulumi.export("bootstrap_role_arn", bootstrap.role_arn)
    pulumi.export("boundary_policy_arn", bootstrap.boundary_policy_arn)
else:
    zones, zone_problem = resolve_zones(settings.region, settings.network.availability_zones, aws)
    if zone_problem:
        raise config.ConfigError([zone_problem])
    audit_log = audit()
    audit_bucket = audit_log.bucket_name if audit_log else None

    network = ByocVpc(
        names.aws("network"),
        ByocVpcArgs(
            names=names,
            plan=ranges.subnet_plan(),
            availability_zones=zones,
            nat_gateways=settings.network.nat_gateways,
            region=settings.region,
            data_protection=settings.cluster.data_protection,
            private_endpoint_sources=settings.network.private_endpoint_sources,
            private_endpoint_ports=settings.clickhouse.private_endpoint_ports,
            flow_log_destination=(
                audit_bucket.apply(audit_layer.flow_log_destination)
                if audit_bucket is not None and settings.audit.flow_logs
                else None
            ),
        ),
        opts=on_aws,
    )

    peerings = VpcPeerings(
        names.aws("peering"),
        VpcPeeringsArgs(
            names=names,
            region=settings.region,
            account_id=settings.account_id,
            vpc_id=network.vpc_id,
            vpc_cidr=settings.network.vpc_cidr,
            private_route_table_ids=network.private_route_table_ids,
            route_table_count=len(zones),
            peerings=settings.network.peerings,
            default_tags=settings.default_tags,
        ),
        opts=on_aws,
    )

    dns = ByocDns(
        names.aws("dns"),
        ByocDnsArgs(
            names=names,
            zone=settings.dns,
            data_protection=settings.cluster.data_protection,
        ),
        opts=on_aws,
    )

    bootstrap = BootstrapRole(names.aws("bootstrap"), wiring.bootstrap_role_args(settings, dns.zone_arn), opts=on_aws)
    cluster_roles = ClusterRoles(names.aws("cluster-roles"), ClusterRolesArgs(names=names), opts=on_aws)

    keys = ByocKeys(
        names.aws("keys"),
        ByocKeysArgs(
            names=names,
            account_id=settings.account_id,
            customer_managed_key=settings.customer_managed_key,
            data_protection=settings.cluster.data_protection,
        ),
        opts=on_aws,
    )
    buckets = ByocBuckets(
        names.aws("storage"),
        ByocBucketsArgs(
            names=names,
            data_protection=settings.cluster.data_protection,
            kms_key_arn=keys.data_key_arn,
            backup_expiry_days=settings.clickhouse.backup_expiry_days,
            access_log_bucket=audit_bucket if settings.audit.access_logs else None,
        ),
        opts=on_aws,
    )

    cluster_name = names.aws("cluster")
    cluster = ByocCluster(
        cluster_name,
        ByocClusterArgs(
            names=names,
            spec=settings.cluster,
            region=settings.region,
            availability_zones=zones,
            vpc_id=network.vpc_id,
            private_subnet_ids=network.private_subnet_ids,
            pod_subnet_ids=network.pod_subnet_ids if ranges.has_pod_range else None,
            cluster_role=cluster_roles.cluster_role,
            node_role_arn=cluster_roles.node_role_arn,
            secrets_key_arn=keys.secrets_key_arn,
            volume_key_arn=keys.data_key_arn,
            data_plane_mgmt_role_arn=bootstrap.data_plane_mgmt_role_arn,
            troubleshooting_role_arn=bootstrap.troubleshooting_role_arn,
            # Only the mandatory tags reach the launch templates: a `tags` edit must not roll nodes.
            node_tags=names.tags({}),
        ),
        opts=pulumi.ResourceOptions(providers=[aws], depends_on=[cluster_roles]),
    )
    on_cluster = pulumi.ResourceOptions(providers=[aws, cluster.k8s_provider])

    workload_roles = WorkloadRoles(
        names.aws("workload-roles"),
        WorkloadRolesArgs(
            names=names,
            oidc_provider_arn=cluster.oidc_provider_arn,
            oidc_issuer=cluster.oidc_issuer,
            zone_arn=dns.zone_arn,
            cluster_name=names.cluster,
            vpc_arn=network.vpc_id.apply(lambda vpc: f"arn:aws:ec2:{settings.region}:{settings.account_id}:vpc/{vpc}"),
            data_bucket_arn=bucket_arn(names, "data"),
            backup_bucket_arn=bucket_arn(names, "backup"),
            monitoring_bucket_arn=bucket_arn(names, "monitoring"),
            vendor_exports=settings.iam.exports,
            clickhouse_services=tuple(s.name for s in settings.clickhouse.services),
            restore_sources=settings.clickhouse.restore_sources,
            kms_key_arn=keys.data_key_arn,
        ),
        opts=pulumi.ResourceOptions(providers=[aws], aliases=[former_address(cluster, cluster_name)]),
    )

    platform = ClusterPlatform(
        names.aws("platform"),
        ClusterPlatformArgs(
            names=names,
            region=settings.region,
            kubernetes_version=settings.cluster.kubernetes_version,
            cluster_name=cluster.cluster_name,
            vpc_id=network.vpc_id,
            role_arns=workload_roles.role_arns,
            zone_name=settings.dns.zone_name,
            zone_id=dns.zone_id,
            volume_key_arn=keys.data_key_arn,
            system_nodes=tuple(cluster.system_node_groups),
        ),
        opts=on_cluster,
    )
    # What objects on the cluster wait for, by capability: each waits only for what it needs.
    ready = ClusterReadiness(
        system_nodes=tuple(cluster.system_node_groups),
        load_balancing=tuple(platform.load_balancing),
        certificates=tuple(platform.certificates),
        storage=(cluster.ebs_csi, *platform.storage),
        node_scaling=tuple(platform.node_scaling),
    )

    ch = settings.clickhouse
    services = ByocServices(
        names.aws("services"),
        ByocServicesArgs(
            names=names,
            region=settings.region,
            zone_name=settings.dns.zone_name,
            ranges=ranges,
            spec=ch,
            service_role_arns=workload_roles.service_role_arns,
            data_bucket=buckets.bucket_names["data"],
            backup_bucket=buckets.bucket_names["backup"],
            private_security_group=network.private_endpoint_sg_id,
            private_link=settings.private_link.enabled,
            ready=ready,
            storage_class=platform.storage_class,
            log_house_service=settings.observability.log_house_service,
        ),
        opts=pulumi.ResourceOptions(providers=[cluster.k8s_provider]),
    )
    observability_args = wiring.observability_args(
        settings,
        monitoring_bucket=buckets.bucket_names["monitoring"],
        thanos_role_arn=workload_roles.role_arns.apply(lambda arns: arns["thanos"]),
        ready=ready,
        clickhouse_namespace=services.operator.namespace,
        services=services.services,
        storage_class=platform.storage_class,
    )
    if observability_args is not None:
        observability = Observability(names.aws("observability"), observability_args, opts=on_cluster)
    if settings.observability.tailscale is not None:
        TroubleshootingTailscale(
            names.aws("troubleshooting-tailscale"),
            TroubleshootingTailscaleArgs(names, settings.observability.tailscale, ready.system_nodes),
            opts=on_cluster,
        )

    private_endpoint = PrivateEndpoint(
        names.aws("private-endpoint"),
        PrivateEndpointArgs(
            names=names,
            region=settings.region,
            zone_name=settings.dns.zone_name,
            vpc_id=network.vpc_id,
            services=tuple(s.name for s in ch.services),
            peers=tuple(
                PeerDns(p.name, p.vpc_id, p.region or settings.region, peerings.peer_providers.get(p.name))
                for p in settings.network.peerings
                if p.private_dns
            ),
            private_link=settings.private_link,
            after=(services.ingress.releases["gateway-private"],),
        ),
        opts=on_aws,
    )

    pulumi.export("deployment_id", settings.deployment_id)
    pulumi.export("availability_zones", list(zones))
    pulumi.export("vpc_id", network.vpc_id)
    pulumi.export("vpc_cidr", network.cidr_block)
    pulumi.export("public_subnet_ids", network.public_subnet_ids)
    pulumi.export("private_subnet_ids", network.private_subnet_ids)
    pulumi.export("pod_subnet_ids", network.pod_subnet_ids)
    pulumi.export("private_route_table_ids", network.private_route_table_ids)
    pulumi.export("dns_zone_id", dns.zone_id)
    pulumi.export("dns_zone_name", dns.zone_name)
    # Delegate the zone to these from its parent when the program created it.
    pulumi.export("dns_name_servers", dns.name_servers)
    # Give the vendor the bootstrap role ARN; the EKS layer maps the data-plane-mgmt role to an access entry.
    pulumi.export("bootstrap_role_arn", bootstrap.role_arn)
    pulumi.export("boundary_policy_arn", bootstrap.boundary_policy_arn)
    pulumi.export("data_plane_mgmt_role_arn", bootstrap.data_plane_mgmt_role_arn)
    pulumi.export("troubleshooting_role_arn", bootstrap.troubleshooting_role_arn)
    pulumi.export("cluster_role_arn", cluster_roles.cluster_role_arn)
    pulumi.export("node_role_arn", cluster_roles.node_role_arn)
    pulumi.export("cluster_name", cluster.cluster_name)
    pulumi.export("cluster_endpoint", cluster.endpoint)
    pulumi.export("oidc_provider_arn", cluster.oidc_provider_arn)
    pulumi.export("oidc_issuer", cluster.oidc_issuer)
    pulumi.export("kubeconfig", cluster.kubeconfig)
    pulumi.export("node_group_names", cluster.node_group_names)
    pulumi.export("bucket_names", buckets.bucket_names)
    # Per service: public and private hostnames, ports, user, password (secret), the /metrics_all
    # endpoint with its scraping user and password (secret), and its MySQL endpoints when it has one.
    pulumi.export("services", services.outputs)
    # Per peering: the connection id, and the steps left to do in the peer account when not automated.
    pulumi.export("peerings", peerings.outputs)
    pulumi.export("private_zone_ids", private_endpoint.private_zone_ids)
    if private_endpoint.endpoint_service_name is not None:
        # Give consumers this name to create their interface endpoint (docs/private-link.md).
        pulumi.export("private_link_service_name", private_endpoint.endpoint_service_name)
    if observability_args is not None and observability_args.spec.grafana:
        # Grafana's `admin` password (reach Grafana with kubectl port-forward: docs/observability.md).
        pulumi.export("grafana_admin_password", observability.grafana_password)
