"""AWS quotas the configuration is checked against (key `awsQuotas`): the security groups' rules.

Two groups take one inbound rule per source range and port, so their size follows the configuration:
- the public NLB's, which the AWS Load Balancer Controller writes from the public gateway's Service
  (every Service port, the status port 15021 and each service's MySQL port included, times every
  `ipAllowList` range:
  components.ingress.controller_security_group_rules);
- the private endpoint's, which the network layer owns (the VPC, the pod range and every peering,
  times the client ports, MySQL ports included: components.network.endpoint_rules).

AWS refuses a rule over the quota "Inbound or outbound rules per security group" (Amazon VPC quotas,
L-0EA8095F: 60 by default, adjustable, counted separately for IPv4 and IPv6 and for inbound and
outbound; times "Security groups per network interface", at least 1, at most 1,000). The controller
would then retry forever and the NLB never finish; the network layer's `pulumi up` would fail
halfway. So a configuration over the quota is refused here, before anything is created.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from components import ingress, network
from components.naming import Names
from components.services import ServicesSpec
from components.settings.network import NetworkSettings
from components.settings.reader import Problems, read_object

DEFAULTS: dict[str, Any] = {"awsQuotas": {"rulesPerSecurityGroup": 60}}
OBJECT_FIELDS: dict[str, dict[str, type]] = {"awsQuotas": {"rulesPerSecurityGroup": int}}
REQUIRED: tuple[str, ...] = ()
OPTIONAL: tuple[str, ...] = ()

QUOTA = 'AWS quota "Inbound or outbound rules per security group" (L-0EA8095F)'
QUOTA_KEY = "awsQuotas.rulesPerSecurityGroup"
# The quota times "Security groups per network interface" (1 at least) may not exceed 1,000.
MAX_RULES_PER_SECURITY_GROUP = 1000
RAISE = f"or raise the quota in Service Quotas and set {QUOTA_KEY} to the new value"


@dataclass(frozen=True)
class AwsQuotas:
    """The account's AWS quotas the configuration must fit (key `awsQuotas`)."""

    rules_per_security_group: int = DEFAULTS["awsQuotas"]["rulesPerSecurityGroup"]
    """Inbound (and, separately, outbound) rules per security group, per IP family."""


def parse(raw: Mapping[str, str], p: Problems) -> AwsQuotas:
    fields = read_object(raw, "awsQuotas", OBJECT_FIELDS["awsQuotas"], DEFAULTS["awsQuotas"], p)
    rules = fields["rulesPerSecurityGroup"]
    if not isinstance(rules, int) or not 1 <= rules <= MAX_RULES_PER_SECURITY_GROUP:
        p.add(
            QUOTA_KEY,
            rules,
            f"out of range; set your account's value of the {QUOTA}: 1-{MAX_RULES_PER_SECURITY_GROUP} "
            "(default 60; times the security groups per network interface it may not exceed 1,000)",
        )
        return AwsQuotas()
    return AwsQuotas(rules)


def largest_family(rules: Iterable[tuple[str, ...]]) -> int:
    """The rules that count against the quota: IPv4 and IPv6 rules are counted separately."""
    counts = Counter(rule[0] for rule in rules)
    return max(counts.values(), default=0)


def public_group_rules(clickhouse: ServicesSpec, names: Names) -> list[tuple[str, str, int | str, str]]:
    """The inbound rules of the public NLB's security group (none without a public gateway)."""
    if not clickhouse.public_gateway:
        return []
    return ingress.public_gateway_rules(
        names, clickhouse.ip_allow_list, clickhouse.allow_any_source, clickhouse.mysql_ports
    )


def private_group_rules(clickhouse: ServicesSpec, net: NetworkSettings) -> list[tuple[str, str, int]]:
    """The inbound rules of the private endpoint's security group."""
    sources = net.private_endpoint_sources
    return network.endpoint_rules(sources, ingress.private_endpoint_ports(clickhouse.mysql_ports))


def _ports(ports: tuple[int, ...] | list[int], mysql: int) -> str:
    listed = ", ".join(map(str, ports))
    if not mysql:
        return listed
    return f"{listed}: {mysql} of them the MySQL port{'s' if mysql > 1 else ''} of services with mysqlInterface"


def check(quotas: AwsQuotas, clickhouse: ServicesSpec, net: NetworkSettings, names: Names, p: Problems) -> None:
    """One line per security group whose rules the configuration puts over the quota."""
    limit, mysql = quotas.rules_per_security_group, len(clickhouse.mysql_ports)
    # Every MySQL port is one more rule per range in both groups.
    fewer = " or expose fewer services over MySQL (services[].mysqlInterface)," if mysql else ""
    public = largest_family(public_group_rules(clickhouse, names))
    if public > limit:
        ports = [port["port"] for port in ingress.gateway_ports(clickhouse.mysql_ports)]
        ranges = len(clickhouse.ip_allow_list)
        p.add(
            "ipAllowList",
            f"{ranges} CIDRs",
            f"the public load balancer's security group needs {max(ranges, 1)} ranges x {len(ports)} ports "
            f"({_ports(ports, mysql)}) = {public} inbound rules, over the {QUOTA} of {limit} ({QUOTA_KEY}); "
            f"list at most {limit // len(ports)} ranges (merge neighbours),{fewer} {RAISE}",
        )
    # Its egress rules (to the VPC and the pod range) are fewer than its inbound ones.
    private = len(private_group_rules(clickhouse, net))
    if private > limit:
        ports = ingress.private_endpoint_ports(clickhouse.mysql_ports)
        internal = "the VPC, the pod range" if net.pod_cidr else "the VPC"
        sources = private // len(ports)
        room = max(limit // len(ports) - (sources - len(net.peerings)), 0)
        p.add(
            "peerings",
            f"{len(net.peerings)} peerings",
            f"the private endpoint's security group needs {sources} ranges ({internal} and {len(net.peerings)} "
            f"peerings) x {len(ports)} ports ({_ports(ports, mysql)}) = {private} inbound rules, over the {QUOTA} "
            f"of {limit} ({QUOTA_KEY}); peer at most {room} VPCs,{fewer} {RAISE}",
        )
