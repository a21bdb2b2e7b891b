"""Cost estimate: the dev stack's figure follows from the price table's arithmetic, item by item."""

from __future__ import annotations

import copy
import dataclasses
import json

import pytest

from tests.conftest import ROOT, run_offline
from tools import cost, stackconfig, synth

TABLE = cost.load_prices()
HOURS = 730


@pytest.fixture(scope="module")
def dev() -> list[dict]:
    return synth.synthesize(stackconfig.load_stack("dev")).resources


def test_price_table_states_date_source_month_and_regions():
    assert TABLE["hours_per_month"] == HOURS and TABLE["currency"] == "USD"
    assert TABLE["as_of"] and "AWS" in TABLE["source"] and TABLE["notes"]["not_included"]
    assert {"us-east-1", "us-west-2", "eu-west-1", "eu-central-1"} <= set(TABLE["regions"])
    for prices in TABLE["regions"].values():
        assert {"m5.xlarge", "r6i.4xlarge"} <= set(prices["ec2"])  # the program's default node types


def test_dev_stack_figure_is_the_price_tables_arithmetic(dev):
    """Pulumi.dev.yaml: us-west-2, 3 NAT gateways, 3 x m5.xlarge system nodes (50 GiB roots), Keeper
    3 x 20 GiB, one service `analytics` with 1 shard x 2 replicas on r6i.4xlarge (100 GiB roots) and
    70 GiB data volumes, two NLBs (one internet-facing), a created zone, one KMS key."""
    us = TABLE["regions"]["us-west-2"]
    g = TABLE["global"]
    hourly = (
        g["eks_cluster_hour"]
        + 3 * us["ec2"]["m5.xlarge"]
        + 3 * us["nat_gateway_hour"]
        + 3 * g["public_ipv4_hour"]  # the NAT gateways' Elastic IPs
        + 2 * us["nlb_hour"]
        + 3 * g["public_ipv4_hour"]  # the internet-facing NLB, one address per zone
        + 2 * us["ec2"]["r6i.4xlarge"]
    )
    gib = 3 * 50 + 3 * 20 + 2 * 70 + 2 * 100
    expected = HOURS * hourly + gib * us["ebs_gp3_gb_month"] + g["kms_key_month"] + g["route53_zone_month"]
    est = cost.estimate(dev, TABLE)
    assert est.region == "us-west-2"
    assert est.monthly_total == pytest.approx(expected, abs=0.01)
    assert est.monthly_total == pytest.approx(2163.96, abs=0.01)  # the figure docs/cost.md quotes
    assert est.by_layer()["service:analytics"] == pytest.approx(HOURS * 2 * 1.008 + 0.08 * (2 * 70 + 2 * 100), abs=0.01)
    assert est.idle_baseline == pytest.approx(est.monthly_total - est.by_layer()["service:analytics"], abs=0.01)


def test_more_shards_and_replicas_cost_one_node_each(dev):
    def service_total(shards: int, replicas: int) -> float:
        result = run_offline({"services": json.dumps([{"name": "big", "shards": shards, "replicas": replicas}])})
        return cost.estimate(result.resources, TABLE).by_layer()["service:big"]

    one = service_total(1, 1)
    assert service_total(2, 3) == pytest.approx(6 * one, abs=0.01)


def test_a_stopped_service_keeps_its_volumes_and_no_nodes():
    result = run_offline({"services": json.dumps([{"name": "idle", "stopped": True}])})
    items = [i for i in cost.estimate(result.resources, TABLE).items if i.layer == "service:idle"]
    assert not any("r6i" in i.what for i in items)
    assert sum(i.monthly for i in items) > 0  # volumes are kept, and billed


def test_single_nat_gateway_and_no_public_endpoint_are_cheaper(dev):
    base = cost.estimate(dev, TABLE).by_layer()
    result = run_offline({"natGateways": "single", "publicEndpoint": '{"enabled": false}'})
    layers = cost.estimate(result.resources, TABLE).by_layer()
    assert layers["network"] == pytest.approx(HOURS * (0.045 + 0.005), abs=0.01)
    assert layers["ingress"] == pytest.approx(HOURS * 0.0225, abs=0.01)
    assert layers["network"] < base["network"]


def test_extended_support_versions_cost_six_times_the_control_plane(dev):
    from components import versions

    if not versions.KUBERNETES_EXTENDED_SUPPORT:
        pytest.skip("no Kubernetes version in extended support is pinned")
    records = copy.deepcopy(dev)
    cluster = next(r for r in records if r["type"] == cost.CLUSTER)
    cluster["inputs"]["version"] = sorted(versions.KUBERNETES_EXTENDED_SUPPORT)[0]
    item = next(i for i in cost.estimate(records, TABLE).items if i.urn == cluster["urn"])
    assert item.monthly == pytest.approx(HOURS * 0.60)


def test_json_output_and_unpriced_region(dev, tmp_path, capsys):
    path = tmp_path / "resources.json"
    path.write_text(json.dumps(dev))
    assert cost.main(["--resources", str(path), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["currency"] == "USD" and doc["monthly_total"] == pytest.approx(2163.96, abs=0.01)
    assert {"layer", "urn", "what", "monthly"} == set(doc["items"][0])
    assert sum(i["monthly"] for i in doc["items"]) == pytest.approx(doc["monthly_total"], abs=0.05)
    assert cost.main(["--resources", str(path), "--region", "ap-south-2"]) == 2
    assert "ap-south-2 is not in the price table" in capsys.readouterr().err


def test_delta_is_after_minus_before(dev):
    before = cost.estimate(dev, TABLE)
    cfg = stackconfig.load_stack("dev")
    single = dataclasses.replace(cfg, raw={**cfg.raw, "clickhouse-byoc:natGateways": "single"})
    after = cost.estimate(synth.synthesize(single).resources, TABLE)
    assert cost.delta(before, after) == pytest.approx(-2 * HOURS * (0.045 + 0.005), abs=0.01)


def test_docs_quote_the_dev_figure(dev):
    est = cost.estimate(dev, TABLE)
    for path in (ROOT / "docs" / "cost.md", ROOT / "README.md"):
        text = path.read_text()
        assert f"{est.monthly_total:,.2f}" in text and f"{est.idle_baseline:,.2f}" in text, path
