"""Capacity: node allocatable against upstream figures, servers per node, servers per zone, system nodes."""

from __future__ import annotations

import json

import pytest

from components.settings import ConfigError, capacity, instances, parse
from tests.conftest import raw_config
from tests.settings_cases import SECRET_CLOUD

# What a r6i.4xlarge node (the default ClickHouse type) has left after the kubelet's reservations
# (110 max pods: 1465Mi kube-reserved, 110m CPU), the eviction threshold and the DaemonSets (with the
# observability layer's node-exporter and Falco: it is on by default).
ROOM = "a r6i.4xlarge node (clickhouseNodes.instanceType) has 15560m CPU and 118980Mi memory allocatable after the kubelet's reservations and the per-node system pods"


def services(*items) -> str:
    return json.dumps(list(items))


def problems(values: dict[str, str]) -> list[str]:
    with pytest.raises(ConfigError) as err:
        parse(raw_config(values), "dev", SECRET_CLOUD)
    return err.value.problems


def accepted(values: dict[str, str]):
    return parse(raw_config(values), "dev", SECRET_CLOUD)


# Karpenter's instance type reference (aws/karpenter-provider-aws v1.14.1,
# website/content/en/docs/reference/instance-types.md) lists allocatable resources computed with the
# same nodeadm formulas and ENI-based max pods (no prefix delegation): the model reproduces them.
@pytest.mark.parametrize(
    ("name", "pods", "cpu_m", "memory_mib"),
    [("m5.xlarge", 58, 3920, 14162), ("r6i.4xlarge", 234, 15890, 118312), ("r7i.48xlarge", 737, 191450, 1446437)],
)
def test_allocatable_matches_the_upstream_reference(name, pods, cpu_m, memory_mib):
    instance = instances.instance_types()[name]
    secondary_ips = instance.max_enis * (instance.ipv4_per_eni - 1) + 2
    assert secondary_ips == pods
    assert instance.allocatable(False, max_pods=pods) == instances.Resources(cpu_m, memory_mib, pods)


def test_max_pods_with_prefix_delegation_is_capped_like_managed_node_groups():
    types = instances.instance_types()
    assert types["m5.xlarge"].max_pods(custom_networking=False) == 110
    assert types["m5.xlarge"].max_pods(custom_networking=True) == 110
    assert types["r6i.8xlarge"].max_pods(custom_networking=False) == 250
    # Bare metal is not `nitro` in the data: secondary IPs, 15 ENIs * 49 + 2 = 737, capped at 250.
    assert types["r6i.metal"].max_pods(custom_networking=False) == 250
    assert types["r6i.4xlarge"].allocatable(False) == instances.Resources(15890, 119676, 110)


def test_a_server_that_fits_a_node_is_accepted():
    s = accepted({"services": services({"name": "big", "cpu": "15", "memory": "116Gi"})})
    assert s.clickhouse.services[0].cpu == "15"


def test_a_server_needing_more_cpu_than_a_node_has_is_refused():
    assert problems({"services": services({"name": "big", "cpu": "16"})}) == [
        f"clickhouse-byoc:services[0].cpu: 16: more CPU than a node can give one server: {ROOM}; "
        "use at most 15560m, or a larger clickhouseNodes.instanceType"
    ]


def test_a_server_needing_more_memory_than_a_node_has_is_refused():
    assert problems({"services": services({"name": "big", "memory": "120Gi"})}) == [
        f"clickhouse-byoc:services[0].memory: 120Gi: more memory than a node can give one server: {ROOM}; "
        "use at most 118980Mi, or a larger clickhouseNodes.instanceType"
    ]


def test_a_larger_clickhouse_type_takes_the_larger_server():
    accepted({"services": services({"name": "big", "cpu": "16"}), "clickhouseNodes": '{"instanceType": "r6i.8xlarge"}'})


MAX_SIZE_1 = {"clickhouseNodes": '{"maxSize": 1}'}
TOO_FEW = (
    "clickhouse-byoc:clickhouseNodes.maxSize: 1: too few r6i.4xlarge nodes per zone: the running services put up "
    "to 2 servers in each zone (one per node per service), which need 2 nodes; set it to at least 2, use a larger "
    "clickhouseNodes.instanceType, or run fewer shards or replicas"
)


def test_servers_of_one_service_need_a_node_each():
    # 2 shards x 3 replicas over 3 zones: 2 per zone, on 2 nodes (anti-affinity); maxSize 1 holds 1.
    assert problems({"services": services({"name": "a", "shards": 2, "replicas": 3}), **MAX_SIZE_1}) == [TOO_FEW]
    accepted({"services": services({"name": "a", "shards": 1, "replicas": 3}), **MAX_SIZE_1})
    accepted({"services": services({"name": "a", "shards": 2, "replicas": 3}), "clickhouseNodes": '{"maxSize": 2}'})


def test_servers_of_different_services_share_a_node_when_they_fit_together():
    two = {"name": "a", "cpu": "7", "replicas": 3}, {"name": "b", "cpu": "7", "replicas": 3}
    accepted({"services": services(*two), **MAX_SIZE_1})
    big = {"name": "a", "cpu": "8", "replicas": 3}, {"name": "b", "cpu": "8", "replicas": 3}
    assert problems({"services": services(*big), **MAX_SIZE_1}) == [TOO_FEW]


def test_stopped_services_hold_no_node():
    big = {"name": "a", "cpu": "8", "replicas": 3}, {"name": "b", "cpu": "8", "replicas": 3, "stopped": True}
    accepted({"services": services(*big), **MAX_SIZE_1})


def test_the_most_servers_a_zone_can_need_is_refused_without_a_fix_that_cannot_work():
    many = [{"name": f"s{i}", "cpu": "8", "shards": 32, "replicas": 5} for i in range(8)]
    (line,) = problems({"services": json.dumps(many), "clickhouseNodes": '{"maxSize": 100}'})
    assert line.startswith("clickhouse-byoc:clickhouseNodes.maxSize: 100: too few r6i.4xlarge nodes per zone:")
    assert line.endswith(
        "which need 432 nodes; use a larger clickhouseNodes.instanceType, or run fewer shards or replicas"
    )


SYSTEM_TOO_SMALL = (
    "clickhouse-byoc:systemNodeGroup.size: 3: too small for the system workloads at their autoscalers' maximum "
    "(10470m CPU, 26620Mi memory, 55 pods; 3 m5.large nodes hold 4800m, 15948Mi, 315 pods); set "
    "systemNodeGroup.size to at least 9, or use a larger systemNodeGroup.instanceType"
)


def test_system_workloads_must_fit_the_system_nodes():
    assert problems({"systemNodeGroup": '{"instanceType": "m5.large"}'}) == [SYSTEM_TOO_SMALL]
    # 3 system nodes a zone take more of a /22's private subnets than one (each holds a spare prefix).
    accepted({"systemNodeGroup": '{"instanceType": "m5.large", "size": 9}', "podCidr": "100.64.0.0/16"})
    accepted({"systemNodeGroup": '{"instanceType": "m5.xlarge", "size": 3}'})
    # Without the observability layer the same nodes carry less.
    accepted({"systemNodeGroup": '{"instanceType": "m5.large", "size": 6}', "observability": '{"enabled": false}'})


def test_the_observability_layer_counts_on_the_system_nodes_and_on_every_node():
    on = accepted({"logs": '{"logHouse": true}', "services": services({"name": "a"})})
    names = [w.name for w in capacity.system_workloads(on.clickhouse, on.observability)]
    assert {"prometheus", "alertmanager", "thanos-store", "grafana", "metrics-server"} <= set(names)
    assert [w.name for w in capacity.daemonsets(on.observability)][-3:] == ["node-exporter", "falco", "fluent-bit"]
    off = accepted({"observability": '{"enabled": false}'})
    assert "prometheus" not in [w.name for w in capacity.system_workloads(off.clickhouse, off.observability)]
    # metrics-server is the platform's: there either way.
    assert "metrics-server" in [w.name for w in capacity.system_workloads(off.clickhouse, off.observability)]
    assert capacity.daemonsets(off.observability) == capacity.DAEMONSETS


def test_without_the_public_gateway_the_system_nodes_carry_less():
    no_public = {"publicEndpoint": '{"enabled": false}', "ipAllowList": None}
    names = [w.name for w in capacity.system_workloads(accepted(no_public).clickhouse)]
    assert "public-gateway" not in names and "private-gateway" in names
    assert "public-gateway" in [w.name for w in capacity.system_workloads(accepted({}).clickhouse)]


def test_the_capacity_table_in_the_docs_matches_the_model():
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "docs" / "configuration.md").read_text()
    rows = re.findall(
        r"^\| `([a-z0-9.]+)`[^|]* \| (\d+) \| (\d+) GiB \| (\d+)m CPU, (\d+)Mi, (\d+) pods \|$", text, re.M
    )
    assert len(rows) == 3
    # The example error lines are the real ones.
    assert TOO_FEW in text and SYSTEM_TOO_SMALL in text
    for name, vcpu, gib, cpu_m, memory_mib, pods in rows:
        instance = instances.instance_types()[name]
        assert (instance.vcpu, instance.memory_mib) == (int(vcpu), int(gib) * 1024)
        room = capacity.per_node_room(instance, False, capacity.daemonsets(accepted({}).observability))
        assert room == instances.Resources(int(cpu_m), int(memory_mib), int(pods))


def test_the_vendoring_tool_joins_both_sources_and_keeps_only_the_offered_x86_families():
    from tools.vendor_instance_types import build

    def section(name, cpu, memory, arch="amd64", hypervisor="nitro"):
        return (
            f"### `{name}`\n#### Labels\n | Label | Value |\n |--|--|\n"
            f" |karpenter.k8s.aws/instance-cpu|{cpu}|\n |karpenter.k8s.aws/instance-hypervisor|{hypervisor}|\n"
            f" |karpenter.k8s.aws/instance-memory|{memory}|\n |kubernetes.io/arch|{arch}|\n"
            " #### Resources\n | Resource | Quantity |\n |--|--|\n |cpu|15890m|\n"
        )

    md = (
        section("r6i.4xlarge", 16, 131072) + section("r7g.4xlarge", 16, 131072, "arm64") + section("c5.xlarge", 4, 8192)
    )
    md += section("m5.large", 2, 8192)  # not in the ENI file: dropped
    jsonl = "\n".join(
        json.dumps({"instanceType": t, "defaultMaxENIs": 8, "ipv4AddressesPerInterface": 30})
        for t in ("r6i.4xlarge", "r7g.4xlarge", "c5.xlarge")
    )
    assert build(md, jsonl) == {
        "r6i.4xlarge": {"vcpu": 16, "memoryMiB": 131072, "hypervisor": "nitro", "maxEnis": 8, "ipv4PerEni": 30}
    }
