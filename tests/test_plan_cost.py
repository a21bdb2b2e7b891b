"""The change plan's cost delta: `tools.cost`'s monthly estimate of the base and of now, by layer,
in text, Markdown (the pull-request comment) and JSON. The pairs are day-2 cases of the dev stack
(the same synths `tests/test_day2_plan.py` runs)."""

from __future__ import annotations

import json

import pytest

from tests import day2_cases as day2
from tests.test_day2_plan import synth
from tools import cost, plan
from tools.plan import costdiff

PRICES = cost.load_prices()
HOURS = PRICES["hours_per_month"]
EC2 = PRICES["regions"]["us-west-2"]["ec2"]


def test_adding_a_service_adds_its_layer_and_nothing_else(tmp_path, capsys):
    base = synth({})
    now = synth({"services": day2.services(day2.ANALYTICS, {"name": "events"})})
    delta = costdiff.compare(base, now)
    assert delta.before == cost.estimate(base, PRICES).by_layer()
    assert delta.after == cost.estimate(now, PRICES).by_layer()
    changed = {name: round(after - before, 2) for name, before, after in delta.layers() if before != after}
    # The service's nodes, root and data volumes; its private hosted zone (Route 53, per zone).
    zone = PRICES["global"]["route53_zone_month"]
    assert set(changed) == {"service:events", "private_endpoint"} and changed["private_endpoint"] == zone
    events = [i for i in cost.estimate(now, PRICES).items if i.layer == "service:events"]
    assert changed["service:events"] == round(sum(i.monthly for i in events), 2) > 0
    assert delta.delta == cost.delta(cost.estimate(base, PRICES), cost.estimate(now, PRICES))
    assert abs(delta.delta - sum(changed.values())) < 0.011

    (tmp_path / "base.json").write_text(json.dumps(base))
    (tmp_path / "now.json").write_text(json.dumps(now))
    files = ["--base-resources", str(tmp_path / "base.json"), "--resources", str(tmp_path / "now.json")]
    assert plan.main([*files, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)["cost"]
    assert doc["currency"] == "USD" and doc["monthly_delta"] == delta.delta
    assert doc["monthly_before"] == delta.total_before and doc["monthly_after"] == delta.total_after
    (events_row,) = [row for row in doc["by_layer"] if row["layer"] == "service:events"]
    assert events_row["before"] == 0 and events_row["delta"] == changed["service:events"]
    assert plan.main(files) == 0
    text = capsys.readouterr().out
    assert (
        f"Cost (USD/month, estimate): {delta.total_before:,.2f} -> {delta.total_after:,.2f} (+{delta.delta:,.2f})"
        in text
    )
    assert plan.main([*files, "--markdown"]) == 0
    md = capsys.readouterr().out
    assert f"| service:events | 0.00 | {delta.after['service:events']:,.2f} | +{changed['service:events']:,.2f} |" in md
    assert f"{delta.total_before:,.2f} → {delta.total_after:,.2f}" in md


@pytest.mark.parametrize(
    ("change", "layer", "old", "new", "nodes"),
    [
        # The dev service's two server pods, one node each.
        ({"clickhouseNodes": {"instanceType": "r6i.8xlarge", "maxSize": 5}}, "service:analytics", "r6i.4xlarge", "r6i.8xlarge", 2),
        # Three system nodes, one per zone.
        ({"systemNodeGroup": {"instanceType": "m5.2xlarge", "size": 3}}, "cluster", "m5.xlarge", "m5.2xlarge", 3),
    ],
)  # fmt: skip
def test_an_instance_type_change_prices_the_nodes_at_the_new_type(change, layer, old, new, nodes):
    delta = costdiff.compare(synth({}), synth(change))
    changed = {name: round(after - before, 2) for name, before, after in delta.layers() if before != after}
    assert changed == {layer: round(nodes * (EC2[new] - EC2[old]) * HOURS, 2)}
    assert delta.delta == changed[layer]


def test_a_side_the_price_table_cannot_price_says_why_instead_of_a_number():
    records = synth({})
    moved = json.loads(json.dumps(records))
    for r in moved:
        if r["type"] == "pulumi:providers:aws":
            r["inputs"]["region"] = "ap-nowhere-1"
    delta = costdiff.compare(records, moved)
    assert delta.unpriced and "ap-nowhere-1" in delta.unpriced
    assert delta.as_json() == {"currency": "USD", "unpriced": delta.unpriced}
    assert costdiff.render_text(delta).startswith("Cost: not estimated (region ap-nowhere-1")
