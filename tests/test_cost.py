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
    70 GiB data volumes, two NLBs (one internet-facing), a created zone and the service's private
    zone, two KMS keys (the secrets key and the audit key)."""
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
    expected = HOURS * hourly + gib * us["ebs_gp3_gb_month"] + 2 * g["kms_key_month"] + 2 * g["route53_zone_month"]
    est = cost.estimate(dev, TABLE)
    assert est.region == "us-west-2"
    assert est.monthly_total == pytest.approx(expected, abs=0.01)
    assert est.monthly_total == pytest.approx(2165.46, abs=0.01)  # the figure docs/cost.md quotes
    assert est.by_layer()["service:analytics"] == pytest.approx(HOURS * 2 * 1.008 + 0.08 * (2 * 70 + 2 * 100), abs=0.01)
    assert est.idle_baseline == pytest.approx(est.monthly_total - est.by_layer()["service:analytics"], abs=0.01)


def test_each_server_pod_costs_one_node_and_a_stopped_service_only_its_volumes():
    services = [{"name": "one", "shards": 1, "replicas": 1}, {"name": "six", "shards": 2, "replicas": 3},
                {"name": "idle", "stopped": True}]  # fmt: skip
    est = cost.estimate(run_offline({"services": json.dumps(services)}).resources, TABLE)
    layers = est.by_layer()
    assert layers["service:six"] == pytest.approx(6 * layers["service:one"], abs=0.01)
    idle = [i for i in est.items if i.layer == "service:idle"]
    assert not any("r6i" in i.what for i in idle)
    # Kept volumes are billed: two 70 GiB data volumes (the default 2 replicas).
    assert sum(i.monthly for i in idle) == pytest.approx(2 * 70 * 0.08, abs=0.01)


def test_single_nat_gateway_and_no_public_endpoint_cost_less_by_the_tables_prices(dev):
    cfg = stackconfig.load_stack("dev")
    raw = {**cfg.raw, "clickhouse-byoc:natGateways": "single", "clickhouse-byoc:publicEndpoint": '{"enabled": false}'}
    after = cost.estimate(synth.synthesize(dataclasses.replace(cfg, raw=raw)).resources, TABLE)
    layers = after.by_layer()
    assert layers["network"] == pytest.approx(HOURS * (0.045 + 0.005), abs=0.01)
    assert layers["ingress"] == pytest.approx(HOURS * 0.0225, abs=0.01)
    # Two NAT gateways with their addresses, one NLB with its three addresses fewer.
    saved = 2 * HOURS * (0.045 + 0.005) + HOURS * (0.0225 + 3 * 0.005)
    assert cost.delta(cost.estimate(dev, TABLE), after) == pytest.approx(-saved, abs=0.01)


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
    assert doc["currency"] == "USD" and doc["monthly_total"] == pytest.approx(2165.46, abs=0.01)
    assert {"layer", "urn", "what", "monthly"} == set(doc["items"][0])
    assert sum(i["monthly"] for i in doc["items"]) == pytest.approx(doc["monthly_total"], abs=0.05)
    assert cost.main(["--resources", str(path), "--region", "ap-south-2"]) == 2
    assert "ap-south-2 is not in the price table" in capsys.readouterr().err


def test_docs_quote_the_dev_figure(dev):
    est = cost.estimate(dev, TABLE)
    for path in (ROOT / "docs" / "cost.md", ROOT / "README.md"):
        text = path.read_text()
        assert f"{est.monthly_total:,.2f}" in text and f"{est.idle_baseline:,.2f}" in text, path


def test_audit_costs_its_key_and_lists_the_rates_of_what_grows_with_use(dev):
    from tests import day2_cases as day2
    from tests.test_day2_plan import synth as dev_synth  # the day-2 cases' run of the same configuration

    without = cost.estimate(dev_synth(day2.AUDIT_OFF), TABLE)
    est = cost.estimate(dev, TABLE)
    # The fixed part is the audit KMS key; the trail's first copy of management events is free.
    assert cost.delta(without, est) == pytest.approx(TABLE["global"]["kms_key_month"], abs=0.001)
    assert without.usage == ()
    usage = {u.what: u.rates for u in est.usage}
    assert usage["VPC flow logs into S3"].startswith("0.25 USD per GB delivered")
    assert len([w for w in usage if w.startswith("S3 server access logs of")]) == 3
    assert "2.00 USD per 100,000 events if the account already has a trail" in usage["CloudTrail trail"]
    assert "16 cross-Region forwards of vendor role assumptions" in usage
    assert {"layer", "urn", "what", "rates"} == set(est.as_json()["usage"][0])


def test_a_webhook_adds_its_connections_secret():
    plain = cost.estimate(run_offline().resources, TABLE)
    hooked = cost.estimate(
        run_offline({"vendorAccessAlerts": '{"webhook": "https://hooks.example.com/byoc/x"}'}).resources, TABLE
    )
    assert cost.delta(plain, hooked) == pytest.approx(TABLE["global"]["secrets_manager_secret_month"], abs=0.001)
    assert any(u.what == "alert webhook (API destination)" for u in hooked.usage)
