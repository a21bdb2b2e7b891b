"""clickhouse-byoc: one ClickHouse BYOC installation per (AWS account, region) stack.

Reads the settings once, then wires each layer's outputs into the next layer's args.
"""

import pulumi

from components import settings as config
from components.cidr import plan_subnets
from components.dns import ByocDns, ByocDnsArgs
from components.iam import BootstrapRole, ClusterRoles, ClusterRolesArgs, bootstrap_role_args
from components.network import ByocVpc, ByocVpcArgs
from components.providers import aws_provider, resolve_zones

settings = config.load()
for warning in settings.warnings:
    pulumi.log.warn(warning)
names = settings.names

aws = aws_provider(settings)
zones = resolve_zones(settings, aws)

network = ByocVpc(
    names.aws("network"),
    ByocVpcArgs(
        names=names,
        plan=plan_subnets(settings.vpc_cidr, settings.pod_cidr),
        availability_zones=zones,
        nat_gateways=settings.nat_gateways,
        region=settings.region,
    ),
    opts=pulumi.ResourceOptions(providers=[aws]),
)

dns = ByocDns(
    names.aws("dns"),
    ByocDnsArgs(names=names, zone_name=settings.dns.zone_name, hosted_zone_id=settings.dns.hosted_zone_id),
    opts=pulumi.ResourceOptions(providers=[aws]),
)

bootstrap = BootstrapRole(
    names.aws("bootstrap"), bootstrap_role_args(settings, dns.zone_arn), opts=pulumi.ResourceOptions(providers=[aws])
)
cluster_roles = ClusterRoles(
    names.aws("cluster-roles"), ClusterRolesArgs(names=names), opts=pulumi.ResourceOptions(providers=[aws])
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
