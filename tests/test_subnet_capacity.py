"""Pod addresses under prefix delegation: the /28 blocks each zone's nodes take of its pod subnet, by
the VPC CNI's own table (tests/upstream/vpc-cni) and the VPC's reserved addresses (tests/upstream/aws-docs)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from components import cluster
from components.settings import capacity, subnets
from tests.settings_cases import problems_for

UPSTREAM = Path(__file__).parent / "upstream"


def cni_table() -> list[dict[str, str]]:
    """The rows of amazon-vpc-cni-k8s' prefix table that use WARM_PREFIX_TARGET alone."""
    lines = (UPSTREAM / "vpc-cni/prefix-and-ip-target-v1.21.0.md").read_text().splitlines()
    header = next(line for line in lines if line.startswith("| Instance type"))
    names = [c.strip().strip("`") for c in header.strip("|").split("|")]
    rows = []
    for line in lines:
        cells = [c.strip() for c in line.strip("|").split("|")]
        if re.match(r"^\| [a-z0-9]+\.[a-z0-9]+ ", line) and len(cells) == len(names):
            rows.append(dict(zip(names, cells, strict=True)))
    return [r for r in rows if r["WARM_PREFIX_TARGET"] != "-"]


def test_prefixes_per_node_follow_the_vpc_cnis_table():
    rows = cni_table()
    assert len(rows) == 8
    for row in rows:
        warm, pods = int(row["WARM_PREFIX_TARGET"]), int(row["Pods"])
        assert subnets.blocks_per_node(pods, warm) == int(row["Attached Prefixes"]), row


def test_the_warm_prefix_target_is_what_the_program_configures():
    assert subnets.warm_prefix_target() == int(cluster.vpc_cni_configuration(False)["env"]["WARM_PREFIX_TARGET"]) == 1
    assert cluster.vpc_cni_configuration(True)["env"]["ENABLE_PREFIX_DELEGATION"] == "true"


def test_pods_on_the_hosts_network_are_what_their_charts_say():
    """node-exporter runs on the host's network (its chart's default), Fluent Bit and Falco do not,
    and the program overrides neither."""
    node_exporter = UPSTREAM / "charts/kube-prometheus-stack-88.5.3/charts/prometheus-node-exporter/values.yaml"
    assert yaml.safe_load(node_exporter.read_text())["hostNetwork"] is True
    fluent_bit = UPSTREAM / "charts/fluent-bit-0.58.1/values.yaml"
    assert yaml.safe_load(fluent_bit.read_text())["hostNetwork"] is False
    falco = UPSTREAM / "charts/falco-9.1.0/templates"
    assert not any("hostNetwork" in f.read_text() for f in falco.glob("*.yaml") if "securitycontext" not in f.name)
    flags = {w.name: w.host_network for w in capacity.DAEMONSETS + capacity.OBSERVABILITY_DAEMONSETS}
    flags[capacity.LOGHOUSE_DAEMONSET.name] = capacity.LOGHOUSE_DAEMONSET.host_network
    assert flags == {
        "aws-node": True,
        "kube-proxy": True,
        "ebs-csi-node": False,
        "node-exporter": True,
        "falco": False,
        "fluent-bit": False,
    }
    sources = Path(capacity.__file__).parent.parent
    assert not [f for f in sources.rglob("*.py") if re.search(r"[\"']hostNetwork[\"']\s*:", f.read_text())]


def test_the_reserved_addresses_take_the_first_and_last_block():
    text = (UPSTREAM / "aws-docs/subnet-reserved-addresses.md").read_text()
    assert "The first four IP addresses and the last IP address in each subnet CIDR block" in text
    assert subnets.RESERVED_BLOCKS == 2 and subnets.FREE_IN_RESERVED_BLOCKS == 27


FIX_POD_CIDR = "or set podCidr (pods then take their addresses from pod subnets in 100.64.0.0/10)"


def line(max_size, subnet, need, free, most, system="1 system node (3 each)", where="private", fix=FIX_POD_CIDR):
    return (
        f"clickhouse-byoc:clickhouseNodes.maxSize: {max_size}: under prefix delegation each node takes "
        f"ceil(pods/16) + 1 /28 blocks of its zone's {where} subnet ({subnet}, WARM_PREFIX_TARGET 1): {max_size} "
        f"ClickHouse nodes (2 each) and {system} need {need}, and it has {free} free; set clickhouseNodes.maxSize "
        f"to at most {most}, {fix}"
    )


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        # The case: 32 nodes a zone in a /24 private subnet (the default /22 VPC).
        ({"clickhouseNodes": '{"maxSize": 32}'}, line(32, "10.0.0.0/24", 67, 13, 5)),
        ({"clickhouseNodes": '{"maxSize": 6}'}, line(6, "10.0.0.0/24", 15, 14, 5)),
        (
            {"clickhouseNodes": '{"maxSize": 5}', "systemNodeGroup": '{"size": 9}'},
            line(5, "10.0.0.0/24", 16, 14, 4, system="3 system nodes (2 each)"),
        ),
        ({"vpcCidr": "10.0.0.0/23", "clickhouseNodes": '{"maxSize": 2}'}, line(2, "10.0.0.0/25", 7, 6, 1)),
        ({"vpcCidr": "10.0.0.0/20", "clickhouseNodes": '{"maxSize": 32}'}, line(32, "10.0.0.0/22", 67, 61, 29)),
        (
            {"podCidr": "100.64.0.0/20", "clickhouseNodes": '{"maxSize": 100}'},
            line(100, "100.64.0.0/22", 203, 57, 29, where="pod", fix="or a larger podCidr"),
        ),
    ],
)
def test_more_nodes_than_the_pod_subnet_can_address_are_refused(values, expected):
    assert problems_for(values) == [expected]


@pytest.mark.parametrize(
    "values",
    [
        {},  # the defaults: 5 ClickHouse nodes and 1 system node a zone in a /24 take 13 of its 14 blocks
        {"clickhouseNodes": '{"maxSize": 32}', "podCidr": "100.64.0.0/16"},
        {"clickhouseNodes": '{"maxSize": 29}', "vpcCidr": "10.0.0.0/20"},
        {"vpcCidr": "10.0.0.0/23", "clickhouseNodes": '{"maxSize": 1}'},
        {"clickhouseNodes": '{"maxSize": 100}', "podCidr": "100.64.0.0/16"},
    ],
)
def test_nodes_the_pod_subnet_can_address_are_accepted(values):
    from components.settings import ConfigError, parse
    from tests.conftest import raw_config

    try:
        parse(raw_config(values), "dev")
    except ConfigError as err:
        pytest.fail("\n".join(err.problems))


def test_a_node_holds_one_server_of_each_running_service_and_the_system_nodes_the_jobs():
    from components.settings import parse
    from tests.conftest import raw_config

    services = '[{"name": "a"}, {"name": "b", "restoreFrom": {"service": "a"}}, {"name": "c", "stopped": true}]'
    s = parse(raw_config({"services": services}), "dev")
    per_node, on_clickhouse, system = capacity.address_pods(s.clickhouse, s.observability)
    # ebs-csi-node and Falco take an address; aws-node, kube-proxy and node-exporter use the host's.
    assert per_node == 2
    assert on_clickhouse == 2 + 2
    workloads = sum(w.replicas for w in capacity.system_workloads(s.clickhouse, s.observability))
    assert system == workloads + 2 + 1  # two backup CronJobs' pods, one restore Job's
