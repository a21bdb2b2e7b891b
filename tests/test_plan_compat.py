"""A base synthesized before the mocks derived ids from replace-forcing inputs (every deployed
stack's last deployed revision, until it is deployed again) plans as what really changed, not as
replaced subnets and clusters."""

from __future__ import annotations

import json

from tests import day2_cases as day2
from tests.test_day2_plan import synth as day2_synth
from tools import mocks, plan
from tools import synth as synth_module
from tools.plan import compat as plan_compat
from tools.stackconfig import load_stack


class NameOnlyMocks(mocks.ByocMocks):
    """The mocks as they were: every fabricated id and ARN from the type and name alone (the same
    formulas, the seed `<type>::<name>`)."""

    def new_resource(self, args):
        return self._fabricate(args.typ, args.name, dict(args.inputs), f"{args.typ}::{args.name}")


def _legacy_dev(monkeypatch) -> list[dict]:
    dev = load_stack("dev")
    monkeypatch.setattr(synth_module, "ByocMocks", NameOnlyMocks)
    result = synth_module.synthesize(dev, fresh=True)
    monkeypatch.undo()
    # Records of that synth had no `secretDigests`.
    return [{k: v for k, v in r.items() if k != "secretDigests"} for r in result.resources]


def test_a_base_from_the_name_only_mocks_plans_as_what_really_changed(monkeypatch, tmp_path, capsys):
    legacy, now = _legacy_dev(monkeypatch), day2_synth({})
    assert plan_compat.is_legacy(legacy) and not plan_compat.is_legacy(now)
    # Compared as they are, every id derived differently looks like a replaced network and cluster.
    naive = plan.diff(legacy, now)
    assert {"aws:ec2/subnet:Subnet", "eks:index:Cluster"} <= {c.type for c in naive.changes if c.action == "replace"}
    # Rewritten, the legacy base is exactly today's records of the same program and configuration.
    aws = next(r["inputs"] for r in legacy if r["type"] == "pulumi:providers:aws")
    upgraded = {r["urn"]: r["inputs"] for r in plan_compat.upgrade(legacy, aws)}
    assert upgraded == {r["urn"]: r["inputs"] for r in now}

    (tmp_path / "legacy.json").write_text(json.dumps(legacy))
    (tmp_path / "now.json").write_text(json.dumps(now))
    files = ["--base-resources", str(tmp_path / "legacy.json"), "--resources", str(tmp_path / "now.json")]
    assert plan.main([*files, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["changes"] == []
    # A real change against a legacy base plans as it does against today's base: the zone change,
    # with its knock-ons.
    (case,) = [c for c in day2.CASES if c.id == "dns-zone-name"]
    (tmp_path / "zone.json").write_text(json.dumps(day2_synth(dict(case.after))))
    expected = plan.diff(now, day2_synth(dict(case.after))).as_json()
    assert (
        plan.main(
            ["--base-resources", str(tmp_path / "legacy.json"), "--resources", str(tmp_path / "zone.json"), "--json"]
        )
        == 3
    )
    got = json.loads(capsys.readouterr().out)
    assert got["changes"] == expected["changes"] and got["blocked"] == expected["blocked"]
