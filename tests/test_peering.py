"""VPC peering: the requester connection, routes and rules; the accepter side through an assumed role,
or the manual steps with the real ids; removal takes exactly a peering's own resources."""

from __future__ import annotations

import json

from components import peering
from tests.conftest import raw_config, run_offline

PEER = {"name": "apps", "cidr": "10.20.0.0/16", "vpcId": "vpc-0123456789abcdef0", "accountId": "210987654321"}
ROLE = "arn:aws:iam::210987654321:role/byoc-peering"
TABLES = ["rtb-0aaaaaaaaaaaaaaaa", "rtb-0bbbbbbbbbbbbbbbb"]
SERVICES = {"services": json.dumps([{"name": "analytics", "mysqlInterface": True}])}


def stack(*peers: dict, **values: str):
    return run_offline({"peerings": json.dumps(list(peers)), **{**SERVICES, **values}})


def of_type(result, typ: str) -> list[dict]:
    return result.by_type(typ)


def test_automated_accepter_accepts_routes_back_and_enables_dns_on_both_sides():
    result = stack({**PEER, "accepterRoleArn": ROLE, "peerRouteTableIds": TABLES, "region": "us-east-1"})
    (pcx,) = of_type(result, "aws:ec2/vpcPeeringConnection:VpcPeeringConnection")
    assert pcx["inputs"]["peerVpcId"] == "vpc-0123456789abcdef0"
    assert pcx["inputs"]["peerOwnerId"] == "210987654321" and pcx["inputs"]["peerRegion"] == "us-east-1"
    assert "autoAccept" not in pcx["inputs"]

    providers = [r for r in result.resources if r["type"] == "pulumi:providers:aws" and "accepter" in r["name"]]
    (provider,) = providers
    assert provider["inputs"]["assumeRoles"][0]["roleArn"] == ROLE
    assert provider["inputs"]["allowedAccountIds"] == ["210987654321"]
    assert provider["inputs"]["region"] == "us-east-1"

    (accepter,) = of_type(result, "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter")
    assert accepter["provider"].startswith(provider["urn"])
    assert accepter["inputs"]["autoAccept"] is True
    assert accepter["inputs"]["accepter"] == {"allowRemoteVpcDnsResolution": True}

    routes = of_type(result, "aws:ec2/route:Route")
    back = [r for r in routes if r["provider"] and r["provider"].startswith(provider["urn"])]
    assert sorted(r["inputs"]["routeTableId"] for r in back) == TABLES
    assert {r["inputs"]["destinationCidrBlock"] for r in back} == {"10.0.0.0/22"}
    assert all(accepter["urn"] in r["dependencies"] for r in back)
    to_peer = [r for r in routes if r["inputs"].get("destinationCidrBlock") == "10.20.0.0/16" and r not in back]
    private_tables = {r["inputs"]["routeTableId"] for r in routes if r["inputs"].get("natGatewayId")}
    assert len(to_peer) == 3 and {r["inputs"]["routeTableId"] for r in to_peer} == private_tables

    (options,) = of_type(result, "aws:ec2/peeringConnectionOptions:PeeringConnectionOptions")
    assert options["inputs"]["requester"] == {"allowRemoteVpcDnsResolution": True}
    assert accepter["urn"] in options["dependencies"]


def test_security_group_rules_from_the_peer_for_the_private_ports():
    result = stack(PEER)
    rules = of_type(result, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    from_peer = sorted(r["inputs"]["fromPort"] for r in rules if r["inputs"]["cidrIpv4"] == "10.20.0.0/16")
    assert from_peer == [8443, 9440, 13337]  # analytics' MySQL port, derived from its name
    assert all(r["inputs"]["fromPort"] == r["inputs"]["toPort"] for r in rules)
    assert not [r for r in rules if r["inputs"]["fromPort"] == 15021]
    (sg,) = of_type(result, "aws:ec2/securityGroup:SecurityGroup")
    gateway = next(r for r in of_type(result, "kubernetes:helm.sh/v3:Release") if r["name"].endswith("gateway-private"))
    annotations = gateway["inputs"]["values"]["service"]["annotations"]
    assert annotations["service.beta.kubernetes.io/aws-load-balancer-security-groups"].startswith("sg-")
    assert all(
        r["inputs"]["securityGroupId"] == annotations["service.beta.kubernetes.io/aws-load-balancer-security-groups"]
        for r in rules
    )
    assert sg["inputs"]["name"] == "ClickHouse-cloud-test-private-endpoint"


def test_without_the_role_nothing_runs_in_the_peer_account_and_the_steps_name_the_real_ids():
    result = stack(PEER)
    assert not of_type(result, "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter")
    # Options need an active connection: none until the peer accepts.
    assert not of_type(result, "aws:ec2/peeringConnectionOptions:PeeringConnectionOptions")
    spec = peering.PeeringSpec("apps", "10.20.0.0/16", "vpc-0123456789abcdef0", "210987654321")
    steps = peering.manual_steps(spec, "pcx-0f00", "10.0.0.0/22", "123456789012", "us-west-2")
    assert len(steps) == 3
    assert "account 210987654321" in steps[0] and "--vpc-peering-connection-id pcx-0f00" in steps[0]
    assert "destination 10.0.0.0/22, target pcx-0f00" in steps[1] and "vpc-0123456789abcdef0" in steps[1]
    assert "8443 and 9440" in steps[2] and "10.20.0.0/16" in steps[2]


def test_manual_steps_come_from_the_connection_the_stack_creates():
    captured: list[list[str]] = []

    def program():
        import pulumi

        from components.naming import Names

        p = peering.VpcPeerings(
            "p",
            peering.VpcPeeringsArgs(
                names=Names("test", "123456789012"),
                region="us-west-2",
                account_id="123456789012",
                vpc_id="vpc-0ffffffffffffffff",
                vpc_cidr="10.0.0.0/22",
                private_route_table_ids=["rtb-1", "rtb-2", "rtb-3"],
                route_table_count=3,
                peerings=(peering.PeeringSpec("apps", "10.20.0.0/16", "vpc-0123456789abcdef0", "210987654321"),),
            ),
        )
        p.manual["apps"].apply(captured.append)
        pulumi.export("ok", True)

    result = run_offline(program=program)
    (pcx,) = result.by_type("aws:ec2/vpcPeeringConnection:VpcPeeringConnection")
    from tests.conftest import mock_id

    (steps,) = captured
    assert f"--vpc-peering-connection-id {mock_id(pcx)}" in steps[0]


def test_same_account_same_region_is_accepted_by_the_requester():
    result = stack({"name": "apps", "cidr": "10.20.0.0/16", "vpcId": "vpc-0123456789abcdef0"})
    (pcx,) = of_type(result, "aws:ec2/vpcPeeringConnection:VpcPeeringConnection")
    assert pcx["inputs"]["autoAccept"] is True and "peerOwnerId" not in pcx["inputs"]
    (options,) = of_type(result, "aws:ec2/peeringConnectionOptions:PeeringConnectionOptions")
    assert options["inputs"]["accepter"] == {"allowRemoteVpcDnsResolution": True}
    spec = peering.PeeringSpec("apps", "10.20.0.0/16", "vpc-0123456789abcdef0")
    assert len(peering.manual_steps(spec, "pcx-1", "10.0.0.0/22", "123456789012", "us-west-2")) == 2


def test_removing_a_peering_removes_exactly_its_own_resources_none_stateful():
    other = {"name": "bi", "cidr": "10.30.0.0/16", "vpcId": "vpc-0123456789abcdef1"}
    both = stack({**PEER, "accepterRoleArn": ROLE, "peerRouteTableIds": TABLES}, other)
    one = stack(other)
    before, after = {r["urn"]: r for r in both.resources}, {r["urn"]: r for r in one.resources}
    removed = [before[u] for u in before.keys() - after.keys()]
    assert not after.keys() - before.keys()
    assert removed and all("apps" in r["name"] for r in removed)
    kinds = {r["type"] for r in removed}
    assert kinds <= {
        "aws:ec2/vpcPeeringConnection:VpcPeeringConnection",
        "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter",
        "aws:ec2/peeringConnectionOptions:PeeringConnectionOptions",
        "aws:ec2/route:Route",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "pulumi:providers:aws",
    }
    assert sum(r["type"] == "aws:ec2/route:Route" for r in removed) == 3 + len(TABLES)
    assert sum(r["type"].endswith("SecurityGroupIngressRule") for r in removed) == 3
    # What stays keeps its inputs, but for the private gateway's source ranges.
    changed = {u for u in after if after[u]["inputs"] != before[u]["inputs"]}
    assert {before[u]["name"] for u in changed} == {"ClickHouse-cloud-test-ingress-gateway-private"}


def test_overlapping_peerings_stay_refused():
    from components.settings import ConfigError, parse

    clash = [PEER, {**PEER, "name": "other", "cidr": "10.20.128.0/17", "vpcId": "vpc-0fedcba9876543210"}]
    try:
        parse(raw_config({"peerings": json.dumps(clash)}), "dev")
    except ConfigError as err:
        assert err.problems == [
            "clickhouse-byoc:peerings[1].cidr: 10.20.128.0/17: overlaps peerings[0] (10.20.0.0/16); peered ranges "
            "must not overlap: pick a disjoint range"
        ]
    else:
        raise AssertionError("overlap accepted")


def test_the_change_plan_knows_every_type_of_peering_private_link_and_restore():
    from tools import plan

    result = stack(
        {**PEER, "accepterRoleArn": ROLE, "peerRouteTableIds": TABLES, "privateDns": True},
        services=json.dumps([{"name": "analytics"}, {"name": "copy", "restoreFrom": {"service": "analytics"}}]),
        privateLink=json.dumps({"enabled": True, "allowedPrincipals": ["arn:aws:iam::210987654321:root"]}),
    )
    table = plan.load_table()
    types = {r["type"] for r in result.resources}
    assert {"aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter", "kubernetes:batch/v1:Job"} <= types
    assert plan.uncovered_types(result.resources, table) == set()
