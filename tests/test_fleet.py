"""The fleet runner: scheduling against maintenance windows, and runs through a fake Automation API."""

from __future__ import annotations

import io
import json
import shutil
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from components import maintenance_window as mw
from tests.conftest import ROOT
from tools import fleet

WINDOW = {"day": "Tuesday", "start": "01:00", "durationHours": 4, "timezone": "America/Los_Angeles"}
# Tuesday 7 July 2026: the window is 08:00-12:00 UTC (PDT). Monday 6 July 10:00 UTC is outside.
INSIDE, OUTSIDE = "2026-07-07T09:00:00Z", "2026-07-06T10:00:00Z"
VPC = "urn:pulumi:s::clickhouse-byoc::clickhouse-byoc:network:ByocVpc$aws:ec2/vpc:Vpc::v"
NODES = "urn:pulumi:s::clickhouse-byoc::eks:index:ManagedNodeGroup::ch-a"
TAGS = "urn:pulumi:s::clickhouse-byoc::aws:s3/bucket:Bucket::data"


def change(urn: str, disruptive: bool, action: str = "update", stateful: bool = False) -> fleet.PlannedChange:
    return fleet.PlannedChange(urn, urn.split("::")[2], action, stateful, disruptive, ("because",))


def los_angeles() -> mw.MaintenanceWindow:
    window, _ = mw.parse(WINDOW)
    assert window
    return window


# --- decide: pure scheduling ---------------------------------------------------------------------


def test_disruptive_change_waits_for_the_window_and_names_its_next_start():
    plan = fleet.Plan((change(NODES, True),))
    d = fleet.decide("acme", plan, los_angeles(), fleet.parse_now(OUTSIDE))
    assert (d.decision, d.disruptive) == ("defer", True)
    assert d.next_window_start == "2026-07-07T01:00:00-07:00"
    assert "outside the window" in d.reason


def test_disruptive_change_runs_inside_the_window():
    d = fleet.decide("acme", fleet.Plan((change(NODES, True),)), los_angeles(), fleet.parse_now(INSIDE))
    assert (d.decision, d.disruptive, d.targets) == ("run", True, ())
    assert "until 2026-07-07T05:00:00-07:00" in d.reason
    assert d.next_window_start == "2026-07-14T01:00:00-07:00"


def test_winter_window_is_an_hour_later_in_utc():
    plan = fleet.Plan((change(NODES, True),))
    # 08:30 UTC on a December Tuesday is 00:30 PST: not yet open (opens 09:00 UTC).
    assert fleet.decide("acme", plan, los_angeles(), fleet.parse_now("2026-12-08T08:30:00Z")).decision == "defer"
    assert fleet.decide("acme", plan, los_angeles(), fleet.parse_now("2026-12-08T09:00:00Z")).decision == "run"


def test_non_disruptive_changes_run_any_time():
    d = fleet.decide("acme", fleet.Plan((change(TAGS, False),)), los_angeles(), fleet.parse_now(OUTSIDE))
    assert (d.decision, d.disruptive, d.targets) == ("run", False, ())


def test_outside_the_window_only_the_non_disruptive_part_runs_by_target():
    plan = fleet.Plan((change(NODES, True), change(TAGS, False)))
    d = fleet.decide("acme", plan, los_angeles(), fleet.parse_now(OUTSIDE))
    assert (d.decision, d.disruptive, d.targets) == ("run", False, (TAGS,))
    assert "1 disruptive change deferred" in d.reason and d.next_window_start == "2026-07-07T01:00:00-07:00"


def test_a_stack_without_a_window_takes_every_change_any_time():
    d = fleet.decide("acme", fleet.Plan((change(NODES, True),)), None, fleet.parse_now(OUTSIDE))
    assert (d.decision, d.disruptive, d.next_window_start) == ("run", True, None)


def test_security_fix_runs_outside_the_window_and_says_so():
    d = fleet.decide("acme", fleet.Plan((change(NODES, True),)), los_angeles(), fleet.parse_now(OUTSIDE), True)
    assert (d.decision, d.security_fix) == ("run", True)
    assert d.reason.startswith("SECURITY FIX") and "OUTSIDE the window" in d.reason
    assert d.as_json()["security_fix"] is True


def test_blocked_plan_is_skipped_and_no_changes_is_skipped():
    blocked = fleet.Plan((change(VPC, True, "replace", True),), blocked=(VPC,))
    d = fleet.decide("acme", blocked, None, fleet.parse_now(INSIDE), security_fix=True)
    assert (d.decision, d.blocked) == ("skip", True) and VPC in d.reason
    assert fleet.decide("acme", fleet.Plan(()), None, fleet.parse_now(INSIDE)).reason == "no changes"


def test_parse_plan_reads_the_plan_contract_and_rejects_other_shapes():
    doc = {
        "changes": [{"urn": NODES, "type": "eks:index:ManagedNodeGroup", "action": "update", "stateful": False,
                     "disruptive": True, "reasons": ["instanceType"]}],
        "blocked": [],
        "modeled_seconds": 420,
    }  # fmt: skip
    plan = fleet.parse_plan(doc)
    assert plan.disruptive[0].urn == NODES and plan.modeled_seconds == 420
    with pytest.raises(fleet.PlanError):
        fleet.parse_plan({"changes": [{"urn": NODES}]})


# --- main: a repository of stack files, a fake plan and a fake Automation API ------------------


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    stacks = {
        "acme-prod": {"aws:region": "us-west-2", "clickhouse-byoc:accountId": "111111111111",
                      "clickhouse-byoc:maintenanceWindow": WINDOW},
        "beta-prod": {"aws:region": "eu-central-1", "clickhouse-byoc:accountId": "222222222222",
                      "clickhouse-byoc:maintenanceWindow": {**WINDOW, "timezone": "Europe/Berlin", "day": "Monday"}},
        "gamma": {"aws:region": "us-east-1", "clickhouse-byoc:accountId": "333333333333"},
    }  # fmt: skip
    for name, config in stacks.items():
        (tmp_path / f"Pulumi.{name}.yaml").write_text(json.dumps({"config": {**config, **EXTERNAL_ID}}))
    return tmp_path


# What `pulumi config set --path --secret clickhouseCloud.externalId` writes (a ciphertext).
EXTERNAL_ID = {"clickhouse-byoc:clickhouseCloud": {"externalId": {"secure": "v1:c2FsdA==:Y2lwaGVydGV4dA=="}}}


class FakeWorkspace:
    """Records calls; fails the stacks it is told to; reports the given change counts."""

    def __init__(self, fail=(), changes=None):
        self.calls: list[tuple[str, str, bool, tuple[str, ...]]] = []
        self.fail, self.changes = set(fail), changes or {}
        self.lock = threading.Lock()
        self.active = self.peak = 0
        self.gate = threading.Barrier(2, timeout=5)

    def run(self, stack, command, on_output, preview_only=False, targets=()):
        with self.lock:
            self.calls.append((stack, command, preview_only, tuple(targets)))
            self.active += 1
            self.peak = max(self.peak, self.active)
        try:
            on_output(f"{command} {stack}: Resources: 3 unchanged")
            if stack in self.fail:
                raise RuntimeError(f"error: {stack}: AccessDenied")
            return fleet.Outcome(self.changes.get(stack, {}))
        finally:
            with self.lock:
                self.active -= 1


def planner(plans: dict[str, fleet.Plan]):
    def plan(stack: str, base: str | None) -> fleet.Plan:
        if stack not in plans:
            # As subprocess_planner raises it for tools.plan's exit 2: the problems, one line each.
            problems = ["clickhouse-byoc:vpcCidr: 10.0.0.0/8: too large; ...", "clickhouse-byoc:natGateways: x: bad"]
            raise fleet.PlanError("configuration error:\n" + "\n".join(problems), problems)
        return plans[stack]

    return plan


def run(repo: Path, argv: list[str], **kw) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = fleet.main([*argv, "--log-dir", str(repo / "logs")], root=repo, out=out, err=err, **kw)
    return code, out.getvalue(), err.getvalue()


PLANS = {
    "acme-prod": fleet.Plan((change(NODES, True),)),
    "beta-prod": fleet.Plan((change(NODES, True), change(TAGS, False))),
    "gamma": fleet.Plan((change(NODES, True),)),
}


def test_dry_run_json_one_object_per_stack_with_decision_and_next_window(repo):
    code, out, _ = run(repo, ["up", "--dry-run", "--json", "--now", OUTSIDE], planner=planner(PLANS))
    assert code == 0
    docs = {d["stack"]: d for d in json.loads(out)}
    assert {k: docs["acme-prod"][k] for k in ("decision", "disruptive", "next_window_start")} == {
        "decision": "defer", "disruptive": True, "next_window_start": "2026-07-07T01:00:00-07:00"}  # fmt: skip
    # Berlin, Monday 01:00 CEST: Monday 6 July 10:00 UTC is 12:00 there, past the 01:00-05:00 window.
    assert docs["beta-prod"]["decision"] == "run" and docs["beta-prod"]["targets"] == [TAGS]
    assert docs["beta-prod"]["next_window_start"] == "2026-07-13T01:00:00+02:00"
    assert docs["gamma"] == docs["gamma"] | {"decision": "run", "disruptive": True, "next_window_start": None}
    assert docs["gamma"]["account"] == "333333333333" and docs["gamma"]["region"] == "us-east-1"
    assert set(docs["acme-prod"]) >= {"stack", "decision", "disruptive", "reason", "next_window_start"}


def test_dry_run_text_says_where_and_when_and_runs_nothing(repo):
    ws = FakeWorkspace()
    code, out, _ = run(repo, ["up", "--dry-run", "--now", OUTSIDE], planner=planner(PLANS), workspace=ws)
    assert code == 0 and ws.calls == []
    line = next(x for x in out.splitlines() if x.startswith("acme-prod"))
    assert "111111111111/us-west-2" in line and "defer" in line and "2026-07-07T01:00:00-07:00" in line


def test_dry_run_exits_1_when_a_stack_cannot_be_planned(repo):
    plans = {k: v for k, v in PLANS.items() if k != "gamma"}
    code, out, err = run(repo, ["up", "--dry-run", "--json", "--now", OUTSIDE], planner=planner(plans))
    assert code == 1
    assert {d["stack"]: d["decision"] for d in json.loads(out)}["gamma"] == "error"
    assert "gamma: plan failed in " in err and "gamma: clickhouse-byoc:vpcCidr: 10.0.0.0/8: too large" in err
    gamma = {d["stack"]: d for d in json.loads(out)}["gamma"]
    assert gamma["problems"] == [
        "clickhouse-byoc:vpcCidr: 10.0.0.0/8: too large; ...",
        "clickhouse-byoc:natGateways: x: bad",
    ]
    assert "\n" not in gamma["reason"]  # one line in the deploy workflow's summary table


def test_a_config_error_is_printed_once_one_line_per_problem(repo):
    plans = {k: v for k, v in PLANS.items() if k != "gamma"}
    for argv in (["up", "--dry-run", "--now", OUTSIDE], ["up", "--now", INSIDE]):
        code, out, err = run(repo, argv, planner=planner(plans), workspace=FakeWorkspace())
        assert code == 1
        text = out + err
        assert text.count("vpcCidr") == 1 and text.count("natGateways") == 1, text
        # Every line that names the problem names its stack; the table's gamma row is one line.
        assert [x for x in err.splitlines() if "vpcCidr" in x] == [
            "gamma: clickhouse-byoc:vpcCidr: 10.0.0.0/8: too large; ..."
        ]
        (row,) = [x for x in out.splitlines() if x.startswith("gamma ")]
        assert " error " in row
    code, out, _ = run(repo, ["up", "--dry-run", "--now", OUTSIDE], planner=planner(plans))
    assert "error   2 problems, listed below" in out


def test_planning_shows_progress_per_stack_with_elapsed_seconds(repo):
    ticks = iter(range(0, 1000, 2))
    code, _, err = run(
        repo,
        ["up", "--dry-run", "--json", "--now", OUTSIDE, "--stacks", "acme-prod", "gamma"],
        planner=planner(PLANS),
        clock=lambda: float(next(ticks)),
    )
    assert code == 0
    assert err.splitlines() == [
        "acme-prod: plan started",
        "acme-prod: plan done in 2.0s: defer",
        "gamma: plan started",
        "gamma: plan done in 2.0s: run",
    ]


def _without_external_id(repo: Path, stack: str) -> None:
    path = repo / f"Pulumi.{stack}.yaml"
    doc = json.loads(path.read_text())
    del doc["config"]["clickhouse-byoc:clickhouseCloud"]
    path.write_text(json.dumps(doc))


def test_a_stack_without_its_required_secret_is_refused_not_planned(repo):
    # The wizard's file committed before `pulumi config set --secret clickhouseCloud.externalId`:
    # `pulumi up` would refuse it, so the fleet refuses it by name instead of planning it.
    _without_external_id(repo, "gamma")
    planned = []

    def plan(stack, base):
        planned.append(stack)
        return PLANS[stack]

    code, out, err = run(repo, ["up", "--dry-run", "--json", "--now", OUTSIDE], planner=plan)
    assert code == 1 and "gamma" not in planned and planned
    gamma = {d["stack"]: d for d in json.loads(out)}["gamma"]
    assert gamma["decision"] == "refused" and gamma["missing_secrets"] == ["clickhouseCloud.externalId"]
    assert gamma["reason"] == (
        "clickhouseCloud.externalId not set in Pulumi.gamma.yaml: `pulumi up` would refuse the stack; set it "
        "(`pulumi stack init gamma` once, then `pulumi config set --stack gamma --path --secret "
        "clickhouseCloud.externalId`, which asks for the value) and commit the file"
    )
    assert err.count("gamma: refused: clickhouseCloud.externalId not set") == 1
    ws = FakeWorkspace()
    code, out, _ = run(repo, ["up", "--now", INSIDE], planner=plan, workspace=ws)
    assert code == 1 and "gamma" not in [c[0] for c in ws.calls]
    assert {line.split()[0]: line.split()[1] for line in out.splitlines()[2:]}["gamma"] == "refused"
    # A drift report reads state and the cloud, not the program: it still runs.
    code, _, _ = run(repo, ["refresh", "--preview-only", "--stacks", "gamma"], workspace=FakeWorkspace())
    assert code == 0


def test_a_bad_maintenance_window_is_a_config_error_of_that_stack(repo):
    (repo / "Pulumi.gamma.yaml").write_text(
        json.dumps(
            {
                "config": {
                    "clickhouse-byoc:accountId": "333333333333",
                    "clickhouse-byoc:maintenanceWindow": {**WINDOW, "timezone": "PDT"},
                    **EXTERNAL_ID,
                }
            }
        )
    )
    code, _, err = run(repo, ["up", "--dry-run", "--now", OUTSIDE], planner=planner(PLANS))
    assert code == 1
    assert "clickhouse-byoc:maintenanceWindow.timezone: PDT: not an IANA time zone name" in err


def test_up_runs_what_may_run_defers_the_rest_and_writes_one_log_per_stack(repo):
    ws = FakeWorkspace(changes={"beta-prod": {"update": 1}, "gamma": {"update": 1, "create": 2}})
    code, out, err = run(repo, ["up", "--now", OUTSIDE, "--parallel", "2"], planner=planner(PLANS), workspace=ws)
    assert code == 5  # disruptive changes wait: not everything is deployed
    assert sorted(ws.calls) == [("beta-prod", "up", False, (TAGS,)), ("gamma", "up", False, ())]
    rows = {line.split()[0]: line.split()[1] for line in out.splitlines()[2:]}
    assert rows == {"acme-prod": "deferred", "beta-prod": "partial", "gamma": "ok"}
    assert "2 create, 1 update" in out
    assert "up gamma: Resources: 3 unchanged" in (repo / "logs" / "gamma.log").read_text()
    assert not (repo / "logs" / "acme-prod.log").exists()
    assert "gamma: up started" in err  # the progress display


def test_up_with_everything_applied_exits_0(repo):
    ws = FakeWorkspace()
    code, out, _ = run(
        repo, ["up", "--now", INSIDE, "--stacks", "acme-prod", "gamma"], planner=planner(PLANS), workspace=ws
    )
    assert code == 0 and sorted(c[0] for c in ws.calls) == ["acme-prod", "gamma"]
    no_changes = {s: fleet.Plan(()) for s in PLANS}
    code, out, _ = run(repo, ["up", "--now", OUTSIDE], planner=planner(no_changes), workspace=FakeWorkspace())
    assert code == 0 and "unchanged" in out


def test_security_fix_runs_every_stack_and_is_loud(repo):
    ws = FakeWorkspace()
    code, _, err = run(repo, ["up", "--now", OUTSIDE, "--security-fix"], planner=planner(PLANS), workspace=ws)
    assert code == 0
    assert sorted(c[0] for c in ws.calls) == ["acme-prod", "beta-prod", "gamma"]
    assert "!" * 78 in err and "SECURITY FIX: acme-prod" in err


def test_any_failed_or_blocked_stack_makes_the_exit_status_non_zero(repo):
    ws = FakeWorkspace(fail={"gamma"})
    code, out, err = run(repo, ["up", "--now", INSIDE], planner=planner(PLANS), workspace=ws)
    assert code == 1
    assert {line.split()[0]: line.split()[1] for line in out.splitlines()[2:]}["gamma"] == "failed"
    assert "AccessDenied" in err and "AccessDenied" in (repo / "logs" / "gamma.log").read_text()

    blocked = {**PLANS, "gamma": fleet.Plan((change(VPC, True, "replace", True),), blocked=(VPC,))}
    ws = FakeWorkspace()
    code, out, _ = run(repo, ["up", "--now", INSIDE], planner=planner(blocked), workspace=ws)
    assert code == 1 and "gamma" not in [c[0] for c in ws.calls]
    assert {line.split()[0]: line.split()[1] for line in out.splitlines()[2:]}["gamma"] == "blocked"


def test_refresh_preview_only_reports_drift_with_exit_4_and_a_markdown_summary(repo):
    ws = FakeWorkspace(changes={"acme-prod": {"update": 2}})
    md = repo / "summary.md"
    code, out, _ = run(repo, ["refresh", "--preview-only", "--summary-markdown", str(md)], workspace=ws)
    assert code == 4
    assert all(c[1:3] == ("refresh", True) for c in ws.calls) and len(ws.calls) == 3
    assert "| acme-prod | drift | 2 update |" in md.read_text()
    assert {line.split()[0]: line.split()[1] for line in out.splitlines()[2:]}["gamma"] == "ok"


def test_preview_ignores_windows_and_the_plan(repo):
    ws = FakeWorkspace()

    def no_plan(stack, base):
        raise AssertionError("preview needs no plan")

    code, _, _ = run(
        repo, ["preview", "--stacks", "acme-prod", "gamma", "--now", OUTSIDE], workspace=ws, planner=no_plan
    )
    assert code == 0 and sorted(c[0] for c in ws.calls) == ["acme-prod", "gamma"]


def test_parallel_runs_n_stacks_at_once(repo):
    class Gated(FakeWorkspace):
        def run(self, stack, command, on_output, preview_only=False, targets=()):
            if stack != "gamma":
                self.gate.wait()  # both first stacks must be running at the same time
            return super().run(stack, command, on_output, preview_only, targets)

    ws = Gated()
    code, _, _ = run(repo, ["preview", "--parallel", "2"], workspace=ws)
    assert code == 0 and len(ws.calls) == 3


def test_usage_errors(repo):
    assert run(repo, ["up", "--stacks", "nope"])[0] == 2
    assert run(repo, ["up", "--now", "2026-07-07T09:00"])[0] == 2  # no offset
    assert run(repo, ["preview", "--preview-only"])[0] == 2


def test_subprocess_planner_calls_tools_plan_and_reads_exit_3_as_blocked(tmp_path):
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "__init__.py").write_text("")
    doc = {"changes": [{"urn": VPC, "type": "aws:ec2/vpc:Vpc", "action": "replace", "stateful": True,
                        "disruptive": True, "reasons": ["cidrBlock"]}], "blocked": [VPC], "modeled_seconds": 1}  # fmt: skip
    (tmp_path / "tools" / "plan.py").write_text(
        textwrap.dedent(f"""
        import json, sys
        args = sys.argv[1:]
        assert args[:3] == ["--stack", "acme", "--json"], args
        if args[3:] != ["--base", "origin/main"]:
            print("clickhouse-byoc:vpcCidr: x: bad; fix", file=sys.stderr)
            sys.exit(2)
        print(json.dumps({doc!r}))
        sys.exit(3)
        """)
    )
    plan = fleet.subprocess_planner(tmp_path, sys.executable)
    assert plan("acme", "origin/main").blocked == (VPC,)
    with pytest.raises(fleet.PlanError, match="configuration error"):
        plan("acme", None)


def test_stack_names_are_the_stack_files():
    assert "dev" in fleet.stack_names(ROOT)
    assert fleet.read_stack("dev").account == "123456789012"


def test_progress_on_a_terminal_redraws_one_status_line(repo):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    err = Terminal()
    code = fleet.main(
        ["preview", "--stacks", "gamma", "--log-dir", str(repo / "logs")], workspace=FakeWorkspace(), root=repo,
        out=io.StringIO(), err=err,
    )  # fmt: skip
    assert code == 0
    text = err.getvalue()
    assert "\r\x1b[2K[0/1 done] running: gamma" in text and "gamma: ok" in text
