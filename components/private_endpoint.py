"""The private endpoint's AWS side: private DNS names and the PrivateLink endpoint service.

The private NLB belongs to the AWS Load Balancer Controller, which creates it from the private
gateway's Service under the fixed name `names.load_balancer("private")`. This layer looks it up by
that name once the gateway release is deployed (an invoke that depends on the release) instead of
owning it: creating the NLB here and binding it with a TargetGroupBinding would replace the NLB a
running deployment's clients and peers already use, and split one load balancer between two
owners. If the controller ever recreates the NLB, the next `pulumi up` repoints what follows.

- Private names: per service, a private hosted zone named exactly `<service>-private.<zone>`,
  associated with the BYOC VPC (and with each peered VPC that sets `privateDns`), holding one
  alias record to the private NLB. A zone per name, not one private `<zone>`: a private zone for
  the whole domain would hide the public names (and cert-manager's DNS01 records) from everything in
  the VPC. The public zone never holds a private name (external-dns only publishes the public
  gateway's routes, components/platform.py).
- PrivateLink (opt-in): a VPC endpoint service on the private NLB, acceptance required, open only
  to the listed principals; its service name is a stack output.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.ingress import private_host
from components.naming import Names

TYPE = "clickhouse-byoc:private_endpoint:PrivateEndpoint"


@dataclass(frozen=True)
class PeerDns:
    """A peered VPC that resolves the private names."""

    name: str
    """The peering's name (resource names)."""
    vpc_id: str
    """The peer VPC."""
    region: str
    """Its region."""
    provider: aws.Provider | None = None
    """The peer account's provider (another account); None: the customer account."""


@dataclass(frozen=True)
class PrivateLinkSpec:
    """A VPC endpoint service in front of the private NLB, for consumer VPCs of other accounts (key
    `privateLink`; parsed and validated by components/settings/private_link.py)."""

    enabled: bool
    """Create the endpoint service: `enabled: true`, or principals listed without `enabled`."""
    allowed_principals: tuple[str, ...]
    """IAM principals (account roots, roles, users) that may request an endpoint; each needs acceptance."""


@dataclass(frozen=True)
class PrivateEndpointArgs:
    """Inputs of the private endpoint layer."""

    names: Names
    """Naming for the deployment (the NLB's name)."""
    region: str
    """The deployment's region."""
    zone_name: str
    """The public zone: private names are `<service>-private.<zone>`."""
    vpc_id: pulumi.Input[str]
    """The BYOC VPC."""
    services: tuple[str, ...] = ()
    """Service names."""
    peers: tuple[PeerDns, ...] = ()
    """Peered VPCs that ask for the private names."""
    private_link: PrivateLinkSpec | None = None
    """The PrivateLink endpoint service and who may request an endpoint; None (or not enabled): none."""
    after: tuple[pulumi.Resource, ...] = ()
    """The private gateway's release (the NLB exists once it is deployed)."""


def private_zone_name(service: str, zone: str) -> str:
    """The private hosted zone of one service: exactly its private hostname."""
    return private_host(service, zone)


class PrivateEndpoint(pulumi.ComponentResource):
    """Private hosted zones and records per service, and the PrivateLink endpoint service."""

    load_balancer_arn: pulumi.Output[str]
    private_zone_ids: dict[str, pulumi.Output[str]]
    endpoint_service_name: pulumi.Output[str] | None

    def __init__(self, name: str, args: PrivateEndpointArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        nlb = aws.lb.get_load_balancer_output(
            name=args.names.load_balancer("private"),
            opts=pulumi.InvokeOutputOptions(parent=self, depends_on=list(args.after)),
        )
        self.load_balancer_arn = nlb.arn
        self.private_zone_ids = {}
        for service in args.services:
            host = private_zone_name(service, args.zone_name)
            zone = aws.route53.Zone(
                f"{name}-{service}-zone",
                name=host,
                comment=f"Private name of ClickHouse service {service} ({args.names.aws('')})",
                vpcs=[{"vpc_id": args.vpc_id, "vpc_region": args.region}],
                force_destroy=False,
                # Peers are associated by their own resources below.
                opts=pulumi.ResourceOptions(parent=self, ignore_changes=["vpcs"]),
            )
            self.private_zone_ids[service] = zone.zone_id
            aws.route53.Record(
                f"{name}-{service}-alias",
                zone_id=zone.zone_id,
                name=host,
                type="A",
                aliases=[{"name": nlb.dns_name, "zone_id": nlb.zone_id, "evaluate_target_health": True}],
                opts=child,
            )
            for peer in args.peers:
                key = f"{name}-{service}-{peer.name}"
                after: list[pulumi.Resource] = []
                if peer.provider is not None:
                    # Another account's VPC: the zone's owner authorizes, the VPC's owner associates.
                    after.append(
                        aws.route53.VpcAssociationAuthorization(
                            f"{key}-authorization",
                            zone_id=zone.zone_id,
                            vpc_id=peer.vpc_id,
                            vpc_region=peer.region,
                            opts=child,
                        )
                    )
                aws.route53.ZoneAssociation(
                    f"{key}-association",
                    zone_id=zone.zone_id,
                    vpc_id=peer.vpc_id,
                    vpc_region=peer.region,
                    opts=pulumi.ResourceOptions(parent=self, provider=peer.provider, depends_on=after),
                )
        self.endpoint_service_name = None
        if args.private_link is not None and args.private_link.enabled:
            service = aws.ec2.VpcEndpointService(
                f"{name}-private-link",
                acceptance_required=True,
                network_load_balancer_arns=[nlb.arn],
                supported_ip_address_types=["ipv4"],
                tags={"Name": args.names.aws("private-link")},
                opts=child,
            )
            for principal in args.private_link.allowed_principals:
                # Named by the principal, so removing one leaves the others in place.
                key = hashlib.sha256(principal.encode()).hexdigest()[:10]
                aws.ec2.VpcEndpointServiceAllowedPrinciple(
                    f"{name}-private-link-principal-{key}",
                    vpc_endpoint_service_id=service.id,
                    principal_arn=principal,
                    opts=child,
                )
            self.endpoint_service_name = service.service_name
        self.register_outputs({"private_zone_ids": self.private_zone_ids})

    @property
    def outputs(self) -> dict[str, Any]:
        return {"private_zone_ids": self.private_zone_ids, "load_balancer_arn": self.load_balancer_arn}
