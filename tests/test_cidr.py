"""The CIDR planner: exact layouts, and properties over every valid input."""

from __future__ import annotations

import ipaddress

from hypothesis import given
from hypothesis import strategies as st

from components.cidr import InternalRanges, plan_subnets, pod_cidr_problem, render_layout_table, vpc_cidr_problem


def test_default_22_layout():
    plan = plan_subnets("10.0.0.0/22")
    assert plan.private.cidrs == ("10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24")
    assert plan.public.cidrs == ("10.0.3.0/26", "10.0.3.64/26", "10.0.3.128/26")
    assert plan.spare == "10.0.3.192/26"
    assert plan.pods is None
    assert plan.capacity() == {
        "public": {"prefix": 26, "per_subnet": 59, "total": 177},
        "private": {"prefix": 24, "per_subnet": 251, "total": 753},
    }


def test_16_and_23_layouts():
    big = plan_subnets("172.16.0.0/16")
    assert big.private.cidrs[0] == "172.16.0.0/18" and big.public.cidrs[2] == "172.16.224.0/20"
    small = plan_subnets("192.168.10.0/23")
    assert small.private.cidrs == ("192.168.10.0/25", "192.168.10.128/25", "192.168.11.0/25")
    assert small.public.cidrs == ("192.168.11.128/27", "192.168.11.160/27", "192.168.11.192/27")
    # An NLB needs at least a /27 with 8 free addresses per subnet.
    assert small.public.usable_per_subnet == 27


def test_pod_range_split_per_zone_and_primary_unchanged():
    without = plan_subnets("10.0.0.0/22")
    with_pods = plan_subnets("10.0.0.0/22", "100.64.0.0/16")
    assert with_pods.pods.cidrs == ("100.64.0.0/18", "100.64.64.0/18", "100.64.128.0/18")
    assert with_pods.private == without.private and with_pods.public == without.public
    assert with_pods.capacity()["pod"] == {"prefix": 18, "per_subnet": 16379, "total": 49137}


VPC_BASES = st.sampled_from(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"])


@st.composite
def vpc_ranges(draw):
    base = ipaddress.ip_network(draw(VPC_BASES))
    prefix = draw(st.integers(min_value=max(16, base.prefixlen), max_value=23))
    count = 2 ** (prefix - base.prefixlen)
    index = draw(st.integers(min_value=0, max_value=count - 1))
    return str(_nth(base, prefix, index))


def _nth(base, prefix, index):
    size = 2 ** (32 - prefix)
    return ipaddress.ip_network((int(base.network_address) + index * size, prefix))


@st.composite
def pod_ranges(draw):
    prefix = draw(st.integers(min_value=16, max_value=20))
    index = draw(st.integers(min_value=0, max_value=2 ** (prefix - 10) - 1))
    return str(_nth(ipaddress.ip_network("100.64.0.0/10"), prefix, index))


@given(vpc=vpc_ranges(), pods=st.one_of(st.none(), pod_ranges()))
def test_every_valid_input_gives_disjoint_subnets_inside_their_ranges(vpc, pods):
    assert vpc_cidr_problem(vpc) is None
    assert pods is None or pod_cidr_problem(pods) is None
    plan = plan_subnets(vpc, pods)
    vpc_net = ipaddress.ip_network(vpc)
    nets = []
    for tier in plan.tiers():
        assert len(tier.cidrs) == 3
        sizes = {ipaddress.ip_network(c).prefixlen for c in tier.cidrs}
        assert len(sizes) == 1, "equal size per tier"
        outer = ipaddress.ip_network(pods) if tier.name == "pod" else vpc_net
        for c in tier.cidrs:
            net = ipaddress.ip_network(c)
            assert net.subnet_of(outer)
            nets.append(net)
    for i, a in enumerate(nets):
        for b in nets[i + 1 :]:
            assert not a.overlaps(b)
    assert plan.private.usable_per_subnet > plan.public.usable_per_subnet
    # Deterministic, and the pod range never moves a primary subnet.
    assert plan_subnets(vpc, pods) == plan
    assert plan_subnets(vpc).private == plan.private and plan_subnets(vpc).public == plan.public


def test_readme_table_lists_each_size():
    table = render_layout_table(["10.0.0.0/16", "10.0.0.0/23"], "100.64.0.0/16")
    lines = table.splitlines()
    assert len(lines) == 2 + 4
    assert "| `10.0.0.0/23` | none | 3 x /25 (123 usable each) | 3 x /27 (27 usable each) | - | 369 |" in lines


def test_internal_ranges_with_a_pod_range_and_peers():
    ranges = InternalRanges("10.0.0.0/22", "100.64.0.0/16", ("10.20.0.0/16", "172.16.0.0/20"))
    assert ranges.has_pod_range
    assert ranges.cluster == ("10.0.0.0/22", "100.64.0.0/16")
    assert ranges.private_sources == ("10.0.0.0/22", "100.64.0.0/16", "10.20.0.0/16", "172.16.0.0/20")
    assert ranges.subnet_plan().pods is not None
    assert ranges.subnet_plan().pods.cidrs[0] == "100.64.0.0/18"


def test_internal_ranges_without_a_pod_range():
    ranges = InternalRanges("10.0.0.0/22")
    assert not ranges.has_pod_range
    assert ranges.cluster == ranges.private_sources == ("10.0.0.0/22",)
    assert ranges.subnet_plan().pods is None
