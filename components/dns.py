"""The deployment's DNS zone: the existing hosted zone, or one the program creates.

Service hostnames are `<service>.<zone>` (public gateway) and `<service>-private.<zone>` (private
gateway); external-dns publishes them and cert-manager proves control of the zone for TLS.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.naming import Names

TYPE = "clickhouse-byoc:dns:ByocDns"


def zone_arn(zone_id: str) -> str:
    """The ARN IAM statements scope Route 53 record changes to."""
    return f"arn:aws:route53:::hostedzone/{zone_id}"


@dataclass(frozen=True)
class ZoneSpec:
    """The deployment's DNS zone: service hostnames are `<service>.<zone_name>` (key `dns`, parsed and
    validated by components/settings/dns.py)."""

    zone_name: str
    """The zone, e.g. `byoc.example.com` (no trailing dot)."""
    hosted_zone_id: str | None
    """An existing public hosted zone for `zone_name`, or None when the program creates it."""

    @property
    def create_zone(self) -> bool:
        return self.hosted_zone_id is None


@dataclass(frozen=True)
class ByocDnsArgs:
    """Inputs of the DNS layer."""

    names: Names
    """Naming for the deployment."""
    zone: ZoneSpec
    """The zone, and the existing one to use or None to create it."""
    data_protection: bool = True
    """Protect a created zone (its delegation and records live outside this program)."""


class ByocDns(pulumi.ComponentResource):
    """The hosted zone service hostnames live in."""

    zone_id: pulumi.Output[str]
    zone_arn: pulumi.Output[str]
    zone_name: str
    name_servers: pulumi.Output[list[str]]

    def __init__(self, name: str, args: ByocDnsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE, name, None, opts)
        self.zone_name = args.zone.zone_name
        if args.zone.create_zone:
            # Never force_destroy: deleting the zone must not take records someone else added.
            zone = aws.route53.Zone(
                f"{name}-zone",
                name=args.zone.zone_name,
                comment=f"ClickHouse BYOC services of {args.names.aws('')}",
                force_destroy=False,
                opts=pulumi.ResourceOptions(parent=self, protect=args.data_protection),
            )
            self.zone_id = zone.zone_id
            self.name_servers = zone.name_servers
        else:
            self.zone_id = pulumi.Output.from_input(args.zone.hosted_zone_id)
            self.name_servers = pulumi.Output.from_input([])
        self.zone_arn = self.zone_id.apply(zone_arn)
        self.register_outputs({"zone_id": self.zone_id, "zone_arn": self.zone_arn, "name_servers": self.name_servers})
