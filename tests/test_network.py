"""ByocVpc under the mocks: subnets, routes, NAT, the S3 endpoint, tags and the default SG."""

from __future__ import annotations

import pulumi
import pytest

from components.cidr import plan_subnets
from components.naming import Names
from components.network import ByocVpc, ByocVpcArgs, nat_for_zone, nat_zone_indexes
from tests.conftest import run_offline
from tools.mocks import ByocMocks

ZONES = ("us-west-2a", "us-west-2b", "us-west-2c")
NAME = "ClickHouse-cloud-t-network"


def build(nat="one-per-az", pod_cidr=None, vpc_cidr="10.0.0.0/22"):
    def program():
        ByocVpc(
            NAME,
            ByocVpcArgs(
                names=Names("t", "123456789012"),
                plan=plan_subnets(vpc_cidr, pod_cidr),
                availability_zones=ZONES,
                nat_gateways=nat,
                region="us-west-2",
            ),
        )

    return run_offline(program=program)


def by_name(result, typ):
    return {r["name"].removeprefix(NAME + "-"): r for r in result.by_type(typ)}


def test_vpc_has_dns_and_the_planned_range():
    vpc = build().one("aws:ec2/vpc:Vpc", f"{NAME}-vpc")
    assert vpc["inputs"]["cidrBlock"] == "10.0.0.0/22"
    assert vpc["inputs"]["enableDnsSupport"] is True
    assert vpc["inputs"]["enableDnsHostnames"] is True
    assert vpc["inputs"]["tags"]["Name"] == "ClickHouse-cloud-t-vpc"


def test_subnets_cidrs_zones_and_elb_tags():
    subnets = by_name(build(), "aws:ec2/subnet:Subnet")
    assert sorted(subnets) == ["private-0", "private-1", "private-2", "public-0", "public-1", "public-2"]
    for i, zone in enumerate(ZONES):
        pub, priv = subnets[f"public-{i}"]["inputs"], subnets[f"private-{i}"]["inputs"]
        assert pub["availabilityZone"] == zone and priv["availabilityZone"] == zone
        assert pub["tags"]["kubernetes.io/role/elb"] == "1" and "kubernetes.io/role/internal-elb" not in pub["tags"]
        assert priv["tags"]["kubernetes.io/role/internal-elb"] == "1" and "kubernetes.io/role/elb" not in priv["tags"]
        assert pub["mapPublicIpOnLaunch"] is False
    assert [subnets[f"private-{i}"]["inputs"]["cidrBlock"] for i in range(3)] == [
        "10.0.0.0/24",
        "10.0.1.0/24",
        "10.0.2.0/24",
    ]
    assert subnets["public-1"]["inputs"]["cidrBlock"] == "10.0.3.64/26"


@pytest.mark.parametrize("mode", ["one-per-az", "single"])
def test_private_routes_go_to_the_right_nat(mode):
    result = build(nat=mode)
    nats = by_name(result, "aws:ec2/natGateway:NatGateway")
    eips = by_name(result, "aws:ec2/eip:Eip")
    subnets = by_name(result, "aws:ec2/subnet:Subnet")
    routes = by_name(result, "aws:ec2/route:Route")
    assert len(nats) == len(nat_zone_indexes(mode)) == len(eips)
    # Each NAT gateway sits in the public subnet of its zone, with its own Elastic IP.
    for i in nat_zone_indexes(mode):
        nat = nats[f"nat-{i}"]
        assert nat["inputs"]["subnetId"] == _id_of(result, subnets[f"public-{i}"])
        assert eips[f"nat-{i}-eip"]["inputs"]["domain"] == "vpc"
    for zone in range(3):
        route = routes[f"private-{zone}-default"]["inputs"]
        assert route["destinationCidrBlock"] == "0.0.0.0/0"
        expected = nats[f"nat-{nat_zone_indexes(mode)[nat_for_zone(mode, zone)]}"]
        assert route["natGatewayId"] == _id_of(result, expected)
    public = routes["public-default"]["inputs"]
    assert public["gatewayId"].startswith("igw-") and public["destinationCidrBlock"] == "0.0.0.0/0"


def _id_of(result, record):
    # The mocks derive ids from type and name, so recompute the id a dependent saw.
    args = pulumi.runtime.MockResourceArgs(record["type"], record["name"], record["inputs"], "", "", True)
    return ByocMocks().new_resource(args)[0]


def test_s3_gateway_endpoint_on_every_private_route_table():
    result = build()
    endpoint = result.one("aws:ec2/vpcEndpoint:VpcEndpoint", f"{NAME}-s3")["inputs"]
    assert endpoint["serviceName"] == "com.amazonaws.us-west-2.s3"
    assert endpoint["vpcEndpointType"] == "Gateway"
    tables = by_name(result, "aws:ec2/routeTable:RouteTable")
    private_ids = sorted(_id_of(result, tables[f"private-{i}-rt"]) for i in range(3))
    assert sorted(endpoint["routeTableIds"]) == private_ids
    assert _id_of(result, tables["public-rt"]) not in endpoint["routeTableIds"]


def test_default_security_group_is_stripped():
    sg = build().one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", f"{NAME}-default-sg")["inputs"]
    assert sg.get("ingress", []) == [] and sg.get("egress", []) == []


def test_every_subnet_is_associated_with_its_zone_table():
    result = build(pod_cidr="100.64.0.0/16")
    assocs = by_name(result, "aws:ec2/routeTableAssociation:RouteTableAssociation")
    subnets = by_name(result, "aws:ec2/subnet:Subnet")
    tables = by_name(result, "aws:ec2/routeTable:RouteTable")
    for zone in range(3):
        for tier in ("private", "pods"):
            assoc = assocs[f"{tier}-{zone}-rta"]["inputs"]
            assert assoc["subnetId"] == _id_of(result, subnets[f"{tier}-{zone}"])
            assert assoc["routeTableId"] == _id_of(result, tables[f"private-{zone}-rt"])
        assert assocs[f"public-{zone}-rta"]["inputs"]["routeTableId"] == _id_of(result, tables["public-rt"])


def test_pod_subnets_on_the_secondary_range():
    result = build(pod_cidr="100.64.0.0/16")
    assoc = result.one("aws:ec2/vpcIpv4CidrBlockAssociation:VpcIpv4CidrBlockAssociation", f"{NAME}-pod-cidr")
    assert assoc["inputs"]["cidrBlock"] == "100.64.0.0/16"
    pods = by_name(result, "aws:ec2/subnet:Subnet")
    assert [pods[f"pods-{i}"]["inputs"]["cidrBlock"] for i in range(3)] == [
        "100.64.0.0/18",
        "100.64.64.0/18",
        "100.64.128.0/18",
    ]
    # Created only after the range is associated with the VPC.
    assert all(assoc["urn"] in pods[f"pods-{i}"]["dependencies"] for i in range(3))
    assert all(pods[f"pods-{i}"]["inputs"]["tags"]["clickhouse-byoc/subnet-role"] == "pods" for i in range(3))


def test_no_pod_subnets_without_pod_range():
    result = build()
    assert result.by_type("aws:ec2/vpcIpv4CidrBlockAssociation:VpcIpv4CidrBlockAssociation") == []
    assert not [n for n in by_name(result, "aws:ec2/subnet:Subnet") if n.startswith("pods")]


def test_children_are_parented_to_the_component():
    result = build()
    component = result.one("clickhouse-byoc:network:ByocVpc", NAME)
    children = [r for r in result.resources if r["custom"]]
    assert children and all(r["parent"] == component["urn"] for r in children)
