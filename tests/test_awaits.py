"""`pulumi up` returns when things work: every ClickHouseInstallation, the Keeper installation and
every Certificate carries a `pulumi.com/waitFor` the provider accepts, on fields the vendored CRDs
have, that holds only once the operator (or cert-manager) has finished *this* spec, with a
`pulumi.com/timeoutSeconds` from the deploy model (components/awaits.py) that tools.plan also uses.

The provider's rules and the operator's status transitions are recorded in `tests/upstream/awaits/`
(see its SOURCES.md); the CRDs are the vendored charts'.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from components import awaits, clickhouse_specs
from tests import references as ref
from tests import waitfor
from tests.conftest import run_offline
from tools import plan

UPSTREAM = Path(__file__).resolve().parent / "upstream" / "awaits"
PROVIDER = json.loads((UPSTREAM / "pulumi-kubernetes.json").read_text())
OPERATOR = json.loads((UPSTREAM / "altinity-operator-status.json").read_text())
# The configuration tests/test_waits.py synthesizes (one shared run): two services, one with MySQL.
SERVICES = [{"name": "analytics", "mysqlInterface": True}, {"name": "logs"}]
RELEASE = "kubernetes:helm.sh/v3:Release"


@pytest.fixture(scope="module")
def records():
    return run_offline({"services": json.dumps(SERVICES)}, stack="prod").resources


def by_type(records, typ: str) -> list[dict[str, Any]]:
    return [r for r in records if r["type"] == typ]


def annotations(record) -> dict[str, str]:
    return record["inputs"]["metadata"].get("annotations") or {}


def crd_root(crd: dict[str, Any]) -> dict[str, Any]:
    (version,) = [v for v in crd["spec"]["versions"] if v.get("storage")]
    return version["schema"]["openAPIV3Schema"]


@pytest.fixture(scope="module")
def certificate_crd(records):
    # cert-manager's CRD as its release (the vendored chart, the program's values) installs it.
    (release,) = [r for r in by_type(records, RELEASE) if r["inputs"]["chart"] == "cert-manager"]
    (crd,) = [
        o
        for o in ref.render_release(release["inputs"])
        if o["kind"] == "CustomResourceDefinition" and o["metadata"]["name"] == "certificates.cert-manager.io"
    ]
    return crd


# -- the provider's rules, replayed ---------------------------------------------------------------


@pytest.mark.parametrize("case", PROVIDER["parse_cases"], ids=lambda c: c["expr"] or "empty")
def test_the_checker_parses_jsonpaths_as_the_provider_does(case):
    if "error" in case:
        with pytest.raises(waitfor.WaitForError, match=None) as caught:
            waitfor.parse_jsonpath(case["expr"])
        assert case["error"] in str(caught.value)
    else:
        parsed = waitfor.parse_jsonpath(case["expr"])
        assert (parsed.path, parsed.value) == (case["path"], case["value"])


@pytest.mark.parametrize("case", PROVIDER["ready_condition_cases"], ids=lambda c: c["waitFor"])
def test_the_checker_splits_annotations_as_the_provider_does(case):
    if "error" in case:
        with pytest.raises(waitfor.WaitForError) as caught:
            waitfor.expressions(case["waitFor"])
        assert case["error"] in str(caught.value)
    else:
        assert waitfor.expressions(case["waitFor"]) == case["conditions"]


@pytest.mark.parametrize("case", PROVIDER["timeout_cases"])
def test_the_checker_reads_timeouts_as_the_provider_does(case):
    assert waitfor.timeout_seconds(case["annotation"], case["custom_timeout"]) == case["seconds"]


# -- what the program asks the provider to wait for -----------------------------------------------


def test_every_installation_keeper_and_certificate_is_awaited(records):
    chis, chks, certs = (by_type(records, t) for t in (plan.CHI, plan.CHK, plan.CERTIFICATE))
    # Certificates: the two gateways' wildcards and analytics' MySQL certificate.
    assert (len(chis), len(chks), len(certs)) == (2, 1, 3)
    for record in [*chis, *chks, *certs]:
        notes = annotations(record)
        assert awaits.WAIT_FOR in notes and awaits.SKIP_AWAIT not in notes, record["name"]
        exprs = waitfor.expressions(notes[awaits.WAIT_FOR])
        seconds = waitfor.timeout_seconds(notes.get(awaits.TIMEOUT))
        # Parsed by the provider (an integer), and longer than its 10-minute default would be for
        # an installation: nodes from zero alone may take that long.
        assert seconds is not None and seconds > 0, record["name"]
        if record["type"] == plan.CERTIFICATE:
            assert exprs == ["condition=Ready"] and seconds == awaits.CERTIFICATE.bound
            continue
        spec = record["inputs"]["spec"]
        assert exprs == [
            "jsonpath={.status.status}=Completed",
            f"jsonpath={{.status.normalizedCompleted.spec.taskID}}={spec['taskID']}",
        ]
        assert spec["taskID"] == awaits.task_id(spec)
        expected = (awaits.installation_timeout if record["type"] == plan.CHI else awaits.keeper_timeout)(spec)
        assert seconds == expected > PROVIDER["default_timeout_seconds"]


@pytest.mark.parametrize(
    ("crd_path", "typ"),
    [(ref.CHI_CRD, plan.CHI), (ref.CHK_CRD, plan.CHK)],
    ids=["ClickHouseInstallation", "ClickHouseKeeperInstallation"],
)
def test_installation_waits_name_fields_of_the_vendored_crd(records, crd_path, typ):
    root = crd_root(ref.load_yaml(crd_path))
    # `status.normalizedCompleted` is left open in the CRD; the operator keeps there the normalized
    # installation itself (`NormalizedCRCompleted *ClickHouseInstallation`): the CRD's own root.
    opaque = {"$.status.normalizedCompleted": root}
    (record, *_) = by_type(records, typ)
    for expr in waitfor.expressions(annotations(record)[awaits.WAIT_FOR]):
        parsed = waitfor.parse_jsonpath(expr)
        field = waitfor.schema_at(root, parsed.segments, opaque)
        assert field.get("type") == "string", expr
    # The task id the wait names is a field of the spec the API server keeps (not pruned).
    assert waitfor.schema_at(root, ("spec", "taskID")).get("type") == "string"
    with pytest.raises(AssertionError, match="not a field of the CRD"):
        waitfor.schema_at(root, waitfor.parse_jsonpath("jsonpath={.status.observedGeneration}=1").segments, opaque)


def test_certificate_wait_names_a_condition_the_crd_declares(records, certificate_crd):
    root = crd_root(certificate_crd)
    conditions = waitfor.schema_at(root, ("status", "conditions", "*"))
    for record in by_type(records, plan.CERTIFICATE):
        (expr,) = waitfor.expressions(annotations(record)[awaits.WAIT_FOR])
        cond = waitfor.parse_condition(expr)
        assert f"`{cond.type}`" in conditions["properties"]["type"]["description"]
        assert cond.status in conditions["properties"]["status"]["enum"]
        # cert-manager records the generation each condition saw: a stale Ready does not count.
        assert "observedGeneration" in conditions["properties"]


# -- what the waits mean, over the operator's recorded status ------------------------------------


def _phase(status: dict[str, Any], current: str, previous: str, generation: int = 2) -> dict[str, Any]:
    text = json.dumps(status).replace("<current>", current).replace("<previous>", previous)
    return {"metadata": {"generation": generation}, "status": json.loads(text)}


def test_an_installation_is_done_only_when_the_operator_completed_this_spec(records):
    (chi, *_) = by_type(records, plan.CHI)
    wait = annotations(chi)[awaits.WAIT_FOR]
    current = chi["inputs"]["spec"]["taskID"]
    previous = awaits.task_id({**chi["inputs"]["spec"], "stop": "yes"})
    assert previous != current
    seen = [waitfor.all_satisfied(_phase(p["status"], current, previous), wait) for p in OPERATOR["reconcile"]]
    assert seen == [p["done"] for p in OPERATOR["reconcile"]] == [False, False, False, True]
    # `status.status` alone would pass on the previous reconcile's Completed right after an update.
    assert waitfor.satisfied(
        _phase(OPERATOR["reconcile"][0]["status"], current, previous), waitfor.expressions(wait)[0]
    )


def test_keeper_waits_on_the_normalized_task_because_its_status_task_ids_are_empty(records):
    (chk,) = by_type(records, plan.CHK)
    wait = annotations(chk)[awaits.WAIT_FOR]
    current = chk["inputs"]["spec"]["taskID"]
    keeper_id = OPERATOR["keeper_status_task_id"]
    for phase in OPERATOR["reconcile"]:
        status = copy.deepcopy(phase["status"])
        for key in ("taskID", "taskIDsStarted", "taskIDsCompleted"):
            if key in status:
                status[key] = keeper_id if key == "taskID" else [keeper_id for _ in status[key]]
        obj = _phase(status, current, "byoc-0000000000000000")
        assert waitfor.all_satisfied(obj, wait) is phase["done"], phase["phase"]
        # The list the installations could use never names the Keeper's task.
        assert not waitfor.satisfied(obj, f"jsonpath={{.status.taskIDsCompleted[0]}}={current}")


def test_a_certificate_is_done_when_ready_for_its_generation():
    wait = awaits.certificate_annotations()[awaits.WAIT_FOR]

    def cert(status: str, observed: int) -> dict[str, Any]:
        condition = {"type": "Ready", "status": status, "observedGeneration": observed}
        return {"metadata": {"generation": 2}, "status": {"conditions": [condition]}}

    assert waitfor.all_satisfied(cert("True", 2), wait)
    assert not waitfor.all_satisfied(cert("False", 2), wait)
    assert not waitfor.all_satisfied(cert("True", 1), wait)
    assert not waitfor.all_satisfied({"metadata": {"generation": 1}, "status": {}}, wait)


# -- the task id ------------------------------------------------------------------------------------


def test_the_task_id_names_the_spec_and_is_never_taken_for_a_generated_one(records):
    (chi, *_) = by_type(records, plan.CHI)
    spec = chi["inputs"]["spec"]
    tid = awaits.task_id(spec)
    assert tid.startswith(awaits.TASK_ID_PREFIX) and not tid.startswith(OPERATOR["auto_task_id_prefix"])
    # The provider splits an expression at `=`: the id must hold none.
    assert "=" not in tid and waitfor.parse_jsonpath(f"jsonpath={{.x}}={tid}").value == tid
    assert awaits.task_id({**spec, "taskID": "anything"}) == tid
    assert awaits.task_id(json.loads(json.dumps(spec))) == tid
    for change in ({"stop": "yes"}, {"configuration": {**spec["configuration"], "settings": {}}}):
        assert awaits.task_id({**spec, **change}) != tid


# -- timeouts and modeled durations: one model ----------------------------------------------------


def test_timeouts_cover_the_modeled_worst_case_and_the_plan_models_minutes(records):
    (chi, *_) = by_type(records, plan.CHI)
    (chk,) = by_type(records, plan.CHK)
    spec = chi["inputs"]["spec"]
    # A new service on nodes scaled up from zero: minutes, in the plan and in the first deploy.
    modeled = plan._duration(chi, "create")
    assert modeled == awaits.installation_seconds(spec, awaits.CREATE) >= 180 + 30
    assert modeled >= awaits.NODE_FROM_ZERO.typical + awaits.SERVER_IMAGE.typical + awaits.SERVER_START.typical
    assert plan._duration(chk, "create") == awaits.keeper_seconds(chk["inputs"]["spec"], awaits.CREATE) >= 60
    # The timeout is the sum of the bounds of the same phases, and outlasts the operator's own wait
    # for a StatefulSet (else `pulumi up` would give up while the operator still waits).
    timeout = int(annotations(chi)[awaits.TIMEOUT])
    assert timeout >= awaits.OPERATOR_PICKUP.bound + awaits.STATEFULSET_READY_TIMEOUT + awaits.OPERATOR_FINISH.bound
    assert timeout > 3 * modeled
    # The operator may go through the servers one at a time, each waited for up to its StatefulSet
    # timeout (a restart from stopped on nodes from zero): the timeout grows with them, and covers a
    # rolling restart and a create.
    bigger = json.loads(json.dumps(spec))
    bigger["configuration"]["clusters"][0]["layout"]["replicasCount"] += 2
    assert awaits.installation_timeout(bigger) == timeout + 2 * awaits.STATEFULSET_READY_TIMEOUT
    assert awaits.SERVER_ROLL.bound <= awaits.STATEFULSET_READY_TIMEOUT
    first_pod = (awaits.NODE_FROM_ZERO, awaits.SERVER_IMAGE, awaits.SERVER_START)
    assert sum(p.bound for p in first_pod) == awaits.STATEFULSET_READY_TIMEOUT
    stopped = {**spec, "stop": "yes"}
    assert awaits.installation_seconds(stopped, awaits.CREATE) < 60


def test_the_operator_reports_completed_only_when_its_statefulsets_are_ready(records):
    # Rendered by the vendored chart with the program's values, as Helm would install them.
    (release,) = [r for r in by_type(records, RELEASE) if r["inputs"]["chart"] == plan.OPERATOR_CHART]
    (files,) = [
        o
        for o in ref.render_release(release["inputs"])
        if o["kind"] == "ConfigMap" and o["metadata"]["name"] == f"{clickhouse_specs.OPERATOR_SECRET}-files"
    ]
    config = ref.load_yaml_text(files["data"]["config.yaml"])
    statefulset = config["reconcile"]["statefulSet"]
    # A StatefulSet that never becomes ready aborts the reconcile (status Aborted, `pulumi up` times
    # out) instead of being ignored and reported Completed (the chart's default `ignore`).
    assert statefulset["create"]["onFailure"] == "abort"
    assert "abort" in OPERATOR["chart_config"]["reconcile.statefulSet.create.onFailure"]
    chart_default = ref.load_yaml(ref.ALTINITY / "values.yaml")["configs"]["files"]["config.yaml"]
    assert chart_default["reconcile"]["statefulSet"]["create"]["onFailure"] == "ignore"
    # Long enough for a first pod on a node from zero; the chart's other update settings stay.
    assert statefulset["update"]["timeout"] == awaits.STATEFULSET_READY_TIMEOUT > 300
    assert {k: v for k, v in statefulset["update"].items() if k != "timeout"} == {
        k: v for k, v in chart_default["reconcile"]["statefulSet"]["update"].items() if k != "timeout"
    }
    # The await annotations never reach the pods: the operator copies the rest onto pod templates.
    assert config["annotation"]["exclude"] == [awaits.WAIT_FOR, awaits.TIMEOUT]
    assert config["watch"]["namespaces"] == ["clickhouse"]


# -- day 2: what adding the annotations does ------------------------------------------------------


def _chi_pair(records, change) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    (chi, *_) = by_type(records, plan.CHI)
    base = copy.deepcopy(chi)
    now = copy.deepcopy(chi)
    change(now["inputs"])
    return [base], [now]


@pytest.mark.parametrize(
    ("change", "disruptive", "reason"),
    [
        (lambda i: i["metadata"]["annotations"].update({awaits.TIMEOUT: "99999"}), False, "metadata only"),
        (lambda i: i["metadata"]["annotations"].update({"team": "data"}), True, "copied onto the pod templates"),
        (lambda i: i["metadata"]["labels"].update({"team": "data"}), True, "copied onto the pod templates"),
        (lambda i: i["spec"].update(taskID="byoc-0123456789abcdef"), False, "spec.taskID only"),
    ],
    ids=["await-annotation", "other-annotation", "label", "task-id"],
)
def test_the_plan_says_which_installation_metadata_rolls_pods(records, change, disruptive, reason):
    base, now = _chi_pair(records, change)
    (result,) = plan.diff(base, now, table={}).changes
    assert result.action == "update" and result.disruptive is disruptive
    assert any(reason in r for r in result.reasons), result.reasons
    # No new generation for metadata: the operator does nothing and `pulumi up` waits seconds.
    if reason == "metadata only":
        assert plan.diff(base, now, table={}).modeled_seconds == awaits.METADATA.typical


def test_the_docs_state_the_models_figures():
    # docs/clickhouse.md's table quotes the model for a service of 2 servers and the shared Keeper.
    doc = (Path(__file__).resolve().parent.parent / "docs" / "clickhouse.md").read_text()
    two = {"configuration": {"clusters": [{"layout": {"shardsCount": 1, "replicasCount": 2}}]}}
    keeper = {"configuration": {"clusters": [{"layout": {"replicasCount": clickhouse_specs.KEEPER_REPLICAS}}]}}
    for figure in (
        f"created: {awaits.installation_seconds(two, awaits.CREATE)} s",
        f"{awaits.installation_timeout(two)} s (33 min) for 2 servers",
        f"created: {awaits.keeper_seconds(keeper, awaits.CREATE)} s",
        f"{awaits.keeper_timeout(keeper)} s (21 min)",
        f"| {awaits.CERTIFICATE.typical} s (DNS01",
        f"| {awaits.CERTIFICATE.bound} s |",
        f"`reconcile.statefulSet.update.timeout: {awaits.STATEFULSET_READY_TIMEOUT}`",
    ):
        assert figure in doc, figure
