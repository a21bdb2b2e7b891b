"""VPC peering: one connection per `peerings[]` entry, requested from the BYOC VPC.

Per peering, in the customer account: the requester `VpcPeeringConnection`, a route to the peer's
range in every private route table of the BYOC VPC (the security group rules from that range are
the private endpoint's, components/network.py). When the entry names a role in the peer account
(`accepterRoleArn`), a second AWS provider assumes it and does the accepter's part: accepts the
connection (with DNS resolution of the BYOC VPC's private names), routes the BYOC VPC's range to it
in each of `peerRouteTableIds`, and the requester side then enables DNS resolution too. Without the
role, `manual_steps` lists what the peer account's owner does by hand, with the real ids.

Every resource of a peering is named after the peering, so removing an entry removes exactly its
connection, routes and rules; nothing here is stateful.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.naming import Names

TYPE = "clickhouse-byoc:peering:VpcPeerings"


@dataclass(frozen=True)
class PeeringSpec:
    """One peer VPC, as an entry of `peerings` configures it (parsed and validated by
    components/settings/network.py)."""

    name: str
    """Unique lowercase name: resource names and the `Name` tag."""
    cidr: str
    """The peer VPC's range; it overlaps neither the BYOC ranges nor other peers."""
    vpc_id: str
    """The peer VPC."""
    account_id: str | None = None
    """The peer's AWS account, when it is not the customer account."""
    region: str | None = None
    """The peer's region, when it is not the deployment's (`aws:region`)."""
    accepter_role_arn: str | None = None
    """A role in the peer account to assume: accepts the connection and routes back. None: manual steps."""
    peer_route_table_ids: tuple[str, ...] = ()
    """Route tables of the peer VPC that get a route to the BYOC VPC (with `accepter_role_arn`)."""
    private_dns: bool = False
    """Associate the services' private hosted zones with the peer VPC (`<service>-private.<zone>`,
    components/private_endpoint.py)."""


@dataclass(frozen=True)
class VpcPeeringsArgs:
    """Inputs of the peering layer."""

    names: Names
    """Naming for the deployment."""
    region: str
    """The deployment's region."""
    account_id: str
    """The customer account."""
    vpc_id: pulumi.Input[str]
    """The BYOC VPC (requester)."""
    vpc_cidr: str
    """The BYOC VPC's range: what the peer routes back."""
    private_route_table_ids: pulumi.Input[list[str]]
    """The BYOC VPC's private route tables (one per zone)."""
    route_table_count: int
    """How many there are (routes are resources: their number is known before deploy)."""
    peerings: tuple[PeeringSpec, ...] = ()
    """The peer VPCs."""
    default_tags: dict[str, str] | None = None
    """Tags the peer account's resources get (the accepter provider's default tags)."""


def auto_accepted(peer: PeeringSpec, account_id: str, region: str) -> bool:
    """Same account and region: the requester can accept its own request."""
    return peer.account_id in (None, account_id) and peer.region in (None, region)


def accepter_automated(peer: PeeringSpec, account_id: str, region: str) -> bool:
    """Whether this program activates the connection (assumed role, or auto-accept)."""
    return peer.accepter_role_arn is not None or auto_accepted(peer, account_id, region)


def manual_steps(peer: PeeringSpec, pcx_id: str, vpc_cidr: str, account_id: str, region: str) -> list[str]:
    """What the peer account's owner does by hand (the reference's three steps), with the real ids."""
    peer_account = peer.account_id or account_id
    peer_region = peer.region or region
    steps = []
    if not auto_accepted(peer, account_id, region):
        steps.append(
            f"1. In account {peer_account} ({peer_region}), accept {pcx_id}: VPC > Peering connections > Accept "
            f"request, or `aws ec2 accept-vpc-peering-connection --vpc-peering-connection-id {pcx_id} "
            f"--region {peer_region}`; then allow DNS resolution from the BYOC VPC: `aws ec2 "
            f"modify-vpc-peering-connection-options --vpc-peering-connection-id {pcx_id} "
            f"--accepter-peering-connection-options AllowDnsResolutionFromRemoteVpc=true --region {peer_region}`."
        )
    steps.append(
        f"2. In each route table of {peer.vpc_id} whose subnets reach ClickHouse, add a route: destination "
        f"{vpc_cidr}, target {pcx_id} (`aws ec2 create-route --route-table-id <rtb-...> --destination-cidr-block "
        f"{vpc_cidr} --vpc-peering-connection-id {pcx_id} --region {peer_region}`)."
    )
    steps.append(
        f"3. Let the clients' security groups and network ACLs in {peer.vpc_id} send TCP 8443 and 9440 (and each "
        f"service's MySQL port) to {vpc_cidr}; the BYOC side already accepts {peer.cidr} on those ports."
    )
    return steps


class VpcPeerings(pulumi.ComponentResource):
    """The peering connections of the BYOC VPC, their routes and (when automated) the accepter side."""

    connection_ids: dict[str, pulumi.Output[str]]
    peer_providers: dict[str, aws.Provider]
    manual: dict[str, pulumi.Output[list[str]]]

    def __init__(self, name: str, args: VpcPeeringsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.connection_ids, self.peer_providers, self.manual = {}, {}, {}
        route_tables = pulumi.Output.from_input(args.private_route_table_ids)
        for peer in args.peerings:
            key = f"{name}-{peer.name}"
            same = auto_accepted(peer, args.account_id, args.region)
            pcx = aws.ec2.VpcPeeringConnection(
                key,
                vpc_id=args.vpc_id,
                peer_vpc_id=peer.vpc_id,
                peer_owner_id=peer.account_id if peer.account_id not in (None, args.account_id) else None,
                peer_region=peer.region if peer.region not in (None, args.region) else None,
                auto_accept=True if same else None,
                tags={"Name": args.names.aws(f"peering-{peer.name}")},
                opts=child,
            )
            self.connection_ids[peer.name] = pcx.id
            for i in range(args.route_table_count):
                aws.ec2.Route(
                    f"{key}-route-{i}",
                    route_table_id=route_tables.apply(lambda ids, i=i: ids[i]),
                    destination_cidr_block=peer.cidr,
                    vpc_peering_connection_id=pcx.id,
                    opts=child,
                )
            active: list[pulumi.Resource] = [pcx]
            if peer.accepter_role_arn is not None:
                provider = aws.Provider(
                    f"{key}-accepter-provider",
                    region=peer.region or args.region,
                    assume_roles=[
                        aws.ProviderAssumeRoleArgs(
                            role_arn=peer.accepter_role_arn, session_name=args.names.aws(f"peering-{peer.name}")
                        )
                    ],
                    allowed_account_ids=[peer.account_id or args.account_id],
                    default_tags=aws.ProviderDefaultTagsArgs(tags=dict(args.default_tags or {})),
                    opts=child,
                )
                self.peer_providers[peer.name] = provider
                on_peer = pulumi.ResourceOptions(parent=self, provider=provider)
                accepter = aws.ec2.VpcPeeringConnectionAccepter(
                    f"{key}-accepter",
                    vpc_peering_connection_id=pcx.id,
                    auto_accept=True,
                    accepter={"allow_remote_vpc_dns_resolution": True},
                    tags={"Name": args.names.aws(f"peering-{peer.name}")},
                    opts=on_peer,
                )
                active = [accepter]
                for table in peer.peer_route_table_ids:
                    aws.ec2.Route(
                        f"{key}-peer-route-{table}",
                        route_table_id=table,
                        destination_cidr_block=args.vpc_cidr,
                        vpc_peering_connection_id=pcx.id,
                        opts=pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[accepter]),
                    )
            if accepter_automated(peer, args.account_id, args.region):
                # Options can only be set on an active connection.
                aws.ec2.PeeringConnectionOptions(
                    f"{key}-options",
                    vpc_peering_connection_id=pcx.id,
                    requester={"allow_remote_vpc_dns_resolution": True},
                    accepter={"allow_remote_vpc_dns_resolution": True} if same else None,
                    opts=pulumi.ResourceOptions(parent=self, depends_on=active),
                )
            if peer.accepter_role_arn is None:
                self.manual[peer.name] = pcx.id.apply(
                    lambda pcx_id, peer=peer: manual_steps(peer, pcx_id, args.vpc_cidr, args.account_id, args.region)
                )
        self.register_outputs({"connection_ids": self.connection_ids})

    @property
    def outputs(self) -> dict[str, Any]:
        """Per peering: the connection id, and the manual steps when the accepter side is not automated."""
        return {
            peer: {"connection_id": pcx, **({"manual_steps": self.manual[peer]} if peer in self.manual else {})}
            for peer, pcx in self.connection_ids.items()
        }
