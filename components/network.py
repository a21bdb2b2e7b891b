"""The customer BYOC VPC: subnets per zone, internet and NAT egress, the S3 gateway endpoint.

Creates the VPC (DNS support and hostnames on), an internet gateway, one public and one private
subnet per zone (plus one pod subnet per zone on a secondary range when a pod range is set), NAT
gateways with Elastic IPs, route tables, an S3 gateway endpoint on every private route table, and
takes over the VPC's default security group to strip all of its rules. With listener ports given,
also the private NLB's frontend security group: one ingress rule per source range and port (the VPC,
its pod range, each peered VPC), so a removed peering takes exactly its own rules with it.

With `audit.flowLogs`, a flow log of all the VPC's traffic goes to the audit log bucket (a resource
of its own: turning it on or off never touches the VPC).

Under `dataProtection` the VPC, its secondary range and the subnets are protected: a CIDR or zone
change that would replace them stops the run instead (the plan tool refuses it first).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.cidr import SubnetPlan
from components.naming import Names, zone_suffix

TYPE = "clickhouse-byoc:network:ByocVpc"
ELB_ROLE_TAG = "kubernetes.io/role/elb"
INTERNAL_ELB_ROLE_TAG = "kubernetes.io/role/internal-elb"
SUBNET_ROLE_TAG = "clickhouse-byoc/subnet-role"


@dataclass(frozen=True)
class ByocVpcArgs:
    """Inputs of the BYOC VPC."""

    names: Names
    """Naming for the deployment (Name tags)."""
    plan: SubnetPlan
    """The validated subnet plan (see components.cidr.plan_subnets)."""
    availability_zones: tuple[str, ...]
    """The three zones, in plan order."""
    nat_gateways: str
    """`one-per-az` (a NAT gateway in each zone) or `single` (one, in the first zone)."""
    region: str
    """The region, for the S3 endpoint's service name."""
    data_protection: bool = True
    """Protect the VPC, its secondary range and its subnets against replacement and deletion."""
    private_endpoint_sources: tuple[tuple[str, str], ...] = ()
    """(key, CIDR) of every range allowed to reach the private NLB: `vpc`, `pods`, `peer-<name>`."""
    private_endpoint_ports: tuple[int, ...] = ()
    """The private NLB's client ports (8443, 9440, each MySQL service's port); empty: no security group."""
    flow_log_destination: pulumi.Input[str] | None = None
    """S3 ARN (bucket and folder) receiving the VPC's flow logs; None: no flow log."""


def endpoint_sources(
    vpc_cidr: str, pod_cidr: str | None, peers: Iterable[tuple[str, str]]
) -> tuple[tuple[str, str], ...]:
    """(key, CIDR) of every range the private NLB admits: the VPC, its pod range, each peer (name, CIDR)."""
    sources = [("vpc", vpc_cidr)] + ([("pods", pod_cidr)] if pod_cidr else [])
    return tuple(sources + [(f"peer-{name}", block) for name, block in peers])


def endpoint_rules(sources: tuple[tuple[str, str], ...], ports: tuple[int, ...]) -> list[tuple[str, str, int]]:
    """(rule key, CIDR, port) of every ingress rule of the private NLB's security group."""
    return [(f"{key}-{port}", cidr, port) for key, cidr in sources for port in ports]


def endpoint_egress_rules(vpc_cidr: str, pod_cidr: str | None) -> list[tuple[str, str]]:
    """(key, CIDR) of its egress rules: to the gateway pods, in the VPC or the pod range."""
    return [("vpc", vpc_cidr)] + ([("pods", pod_cidr)] if pod_cidr else [])


def nat_zone_indexes(mode: str) -> list[int]:
    """Which zones get a NAT gateway."""
    return [0, 1, 2] if mode == "one-per-az" else [0]


def nat_for_zone(mode: str, zone: int) -> int:
    """Index (into `nat_zone_indexes`) of the NAT gateway a zone's private subnets route through."""
    return zone if mode == "one-per-az" else 0


class ByocVpc(pulumi.ComponentResource):
    """The dedicated customer BYOC VPC."""

    vpc_id: pulumi.Output[str]
    cidr_block: pulumi.Output[str]
    public_subnet_ids: pulumi.Output[list[str]]
    private_subnet_ids: pulumi.Output[list[str]]
    pod_subnet_ids: pulumi.Output[list[str]]
    private_route_table_ids: pulumi.Output[list[str]]

    def __init__(self, name: str, args: ByocVpcArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE, name, None, opts)
        plan, names, zones = args.plan, args.names, args.availability_zones
        child = pulumi.ResourceOptions(parent=self)
        kept = pulumi.ResourceOptions(parent=self, protect=args.data_protection)

        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=plan.vpc_cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags={"Name": names.aws("vpc")},
            opts=kept,
        )

        # Adopting the default security group removes every rule it has: nothing can use it by
        # accident to open traffic.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=vpc.id,
            ingress=[],
            egress=[],
            tags={"Name": names.aws("default-sg-unused")},
            opts=child,
        )

        igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, tags={"Name": names.aws("igw")}, opts=child)

        # Replacing a subnet in place would collide with its own CIDR: delete first, and let AWS
        # refuse while anything still runs in it.
        subnet_opts = pulumi.ResourceOptions(parent=self, delete_before_replace=True, protect=args.data_protection)

        def tier(kind: str, cidrs: tuple[str, ...], tags: dict[str, str], opts: pulumi.ResourceOptions, **extra):
            return [
                aws.ec2.Subnet(
                    f"{name}-{kind}-{i}",
                    vpc_id=vpc.id,
                    cidr_block=block,
                    availability_zone=zones[i],
                    tags={"Name": names.aws(f"{kind}-{zone_suffix(zones[i])}"), **tags, SUBNET_ROLE_TAG: kind},
                    opts=opts,
                    **extra,
                )
                for i, block in enumerate(cidrs)
            ]

        public = tier("public", plan.public.cidrs, {ELB_ROLE_TAG: "1"}, subnet_opts, map_public_ip_on_launch=False)
        private = tier("private", plan.private.cidrs, {INTERNAL_ELB_ROLE_TAG: "1"}, subnet_opts)
        pods: list[aws.ec2.Subnet] = []
        if plan.pods is not None:
            secondary = aws.ec2.VpcIpv4CidrBlockAssociation(
                f"{name}-pod-cidr", vpc_id=vpc.id, cidr_block=plan.pod_cidr, opts=kept
            )
            after_secondary = pulumi.ResourceOptions.merge(subnet_opts, pulumi.ResourceOptions(depends_on=[secondary]))
            pods = tier("pods", plan.pods.cidrs, {}, after_secondary)

        public_rt = aws.ec2.RouteTable(
            f"{name}-public-rt", vpc_id=vpc.id, tags={"Name": names.aws("public")}, opts=child
        )
        aws.ec2.Route(
            f"{name}-public-default",
            route_table_id=public_rt.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=igw.id,
            opts=child,
        )
        for i, subnet in enumerate(public):
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{i}-rta",
                subnet_id=subnet.id,
                route_table_id=public_rt.id,
                opts=child,
            )

        nats = []
        for i in nat_zone_indexes(args.nat_gateways):
            eip = aws.ec2.Eip(
                f"{name}-nat-{i}-eip",
                domain="vpc",
                tags={"Name": names.aws(f"nat-{zone_suffix(zones[i])}")},
                opts=child,
            )
            nats.append(
                aws.ec2.NatGateway(
                    f"{name}-nat-{i}",
                    allocation_id=eip.id,
                    subnet_id=public[i].id,
                    connectivity_type="public",
                    tags={"Name": names.aws(f"nat-{zone_suffix(zones[i])}")},
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
                )
            )

        # One private route table per zone whatever the NAT mode, so switching modes changes a
        # route, never a table or an association.
        private_rts = []
        for i, subnet in enumerate(private):
            rt = aws.ec2.RouteTable(
                f"{name}-private-{i}-rt",
                vpc_id=vpc.id,
                tags={"Name": names.aws(f"private-{zone_suffix(zones[i])}")},
                opts=child,
            )
            aws.ec2.Route(
                f"{name}-private-{i}-default",
                route_table_id=rt.id,
                destination_cidr_block="0.0.0.0/0",
                nat_gateway_id=nats[nat_for_zone(args.nat_gateways, i)].id,
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{i}-rta",
                subnet_id=subnet.id,
                route_table_id=rt.id,
                opts=child,
            )
            private_rts.append(rt)
        for i, subnet in enumerate(pods):
            aws.ec2.RouteTableAssociation(
                f"{name}-pods-{i}-rta",
                subnet_id=subnet.id,
                route_table_id=private_rts[i].id,
                opts=child,
            )

        # ClickHouse reads S3 heavily; through the gateway endpoint that traffic is free and stays
        # off the NAT gateways, which bill per GB.
        aws.ec2.VpcEndpoint(
            f"{name}-s3",
            vpc_id=vpc.id,
            service_name=f"com.amazonaws.{args.region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[rt.id for rt in private_rts],
            tags={"Name": names.aws("s3")},
            opts=child,
        )

        if args.flow_log_destination is not None:
            # Every accepted and rejected flow of every interface in the VPC, in AWS's default format,
            # as plain-text files the log delivery service writes every 10 minutes.
            aws.ec2.FlowLog(
                f"{name}-flow-log",
                vpc_id=vpc.id,
                traffic_type="ALL",
                log_destination_type="s3",
                log_destination=args.flow_log_destination,
                max_aggregation_interval=600,
                destination_options={
                    "file_format": "plain-text",
                    "hive_compatible_partitions": False,
                    "per_hour_partition": False,
                },
                tags={"Name": names.aws("flow-log")},
                opts=child,
            )

        self.private_endpoint_sg_id: pulumi.Output[str] | None = None
        if args.private_endpoint_ports:
            # Owned here, not by the load balancer controller: the rules are explicit resources
            # (one per range and port; no health or status port), and the NLB only names the group.
            sg = aws.ec2.SecurityGroup(
                f"{name}-private-endpoint-sg",
                name=names.aws("private-endpoint"),
                description="Private ClickHouse endpoint (internal NLB): clients from the VPC and peers",
                vpc_id=vpc.id,
                tags={"Name": names.aws("private-endpoint")},
                opts=child,
            )
            for key, block, port in endpoint_rules(args.private_endpoint_sources, args.private_endpoint_ports):
                aws.vpc.SecurityGroupIngressRule(
                    f"{name}-private-endpoint-{key}",
                    security_group_id=sg.id,
                    cidr_ipv4=block,
                    ip_protocol="tcp",
                    from_port=port,
                    to_port=port,
                    description=f"{key.rsplit('-', 1)[0]} to port {port}",
                    opts=child,
                )
            # The NLB reaches its targets, the gateway pods (their side is the controller's backend rule).
            for key, block in endpoint_egress_rules(plan.vpc_cidr, plan.pod_cidr):
                aws.vpc.SecurityGroupEgressRule(
                    f"{name}-private-endpoint-egress-{key}",
                    security_group_id=sg.id,
                    cidr_ipv4=block,
                    ip_protocol="tcp",
                    from_port=1,
                    to_port=65535,
                    description=f"to the gateway pods ({key})",
                    opts=child,
                )
            self.private_endpoint_sg_id = sg.id

        self.vpc_id = vpc.id
        self.cidr_block = vpc.cidr_block
        self.availability_zones = list(zones)
        self.public_subnet_ids = pulumi.Output.all(*[s.id for s in public])
        self.private_subnet_ids = pulumi.Output.all(*[s.id for s in private])
        self.pod_subnet_ids = pulumi.Output.all(*[s.id for s in pods]) if pods else pulumi.Output.from_input([])
        self.private_route_table_ids = pulumi.Output.all(*[rt.id for rt in private_rts])
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "cidr_block": self.cidr_block,
                "public_subnet_ids": self.public_subnet_ids,
                "private_subnet_ids": self.private_subnet_ids,
                "pod_subnet_ids": self.pod_subnet_ids,
                "private_route_table_ids": self.private_route_table_ids,
            }
        )
