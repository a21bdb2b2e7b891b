"""Every supported day-2 change of the dev stack, planned as a user would plan it.

For each case of `tests/day2_cases.py` the dev stack (`Pulumi.dev.yaml`) is synthesized before and
after the change (one synth per distinct configuration, cached for the module), the pair is given to
`python -m tools.plan --json` as resources files, and the printed plan must match the case's rows
exactly: each change's action, type and name, stateful / disruptive / blocked flags, and the exit
code (0, or 3 when something is blocked). What is disruptive for the ClickHouse installations comes
from the Altinity operator's own restart rules, vendored with its chart (checked below).
"""

from __future__ import annotations

import itertools
import json
import re
import time
from typing import Any

import pytest

from tests import day2_cases as day2
from tests import references as ref
from tests.conftest import run_offline
from tools import plan
from tools.stackconfig import load_stack

_SYNTHS: dict[str, list[dict[str, Any]]] = {}
SYNTH_CPU_SECONDS: list[float] = []
"""CPU seconds of each synth this module ran (one per distinct configuration)."""


def synth(overrides: dict[str, Any]) -> list[dict[str, Any]]:
    """The dev stack's records with `overrides` (short keys) over its configuration."""
    values = day2.config(overrides)
    key = json.dumps(values, sort_keys=True)
    if key not in _SYNTHS:
        dev = load_stack("dev")
        raw = {**dev.raw, **{f"clickhouse-byoc:{k}": v for k, v in values.items()}}
        started = time.process_time()
        secret = dev.secret_keys | day2.secret_keys(overrides)
        _SYNTHS[key] = run_offline(raw, stack="dev", secret_keys=secret).resources
        SYNTH_CPU_SECONDS.append(time.process_time() - started)
    return _SYNTHS[key]


def _plan_json(case: day2.Case, tmp_path, capsys) -> tuple[int, dict[str, Any]]:
    base = synth(dict(case.before))
    if case.deployed_by is not None:
        base = day2.EARLIER_REVISIONS[case.deployed_by](base)
    (tmp_path / "base.json").write_text(json.dumps(base))
    (tmp_path / "now.json").write_text(json.dumps(synth(dict(case.after))))
    code = plan.main(
        ["--base-resources", str(tmp_path / "base.json"), "--resources", str(tmp_path / "now.json"), "--json"]
    )
    return code, json.loads(capsys.readouterr().out)


def _describe(change: dict[str, Any], blocked: set[str]) -> str:
    flags = "".join(
        flag for flag, on in (("S", change["stateful"]), ("D", change["disruptive"]), ("B", change["urn"] in blocked))
        if on
    )  # fmt: skip
    return f"{change['action']} {change['type']} {day2.short_name(change['urn'])} {flags}".rstrip()


def mismatches(case: day2.Case, result: dict[str, Any]) -> list[str]:
    """Where the plan differs from the case's rows (empty when it matches)."""
    rows = case.rows
    blocked = set(result["blocked"])
    counts = [0] * len(rows)
    problems = []
    for change in result["changes"]:
        index = next((i for i, row in enumerate(rows) if row.matches(change)), None)
        if index is None:
            problems.append(f"unexpected: {_describe(change, blocked)}")
            continue
        row = rows[index]
        counts[index] += 1
        flags = (change["stateful"], change["disruptive"], change["urn"] in blocked)
        if flags != (row.stateful, row.disruptive, row.blocked):
            problems.append(f"flags differ from row {index + 1}: {_describe(change, blocked)}")
    for index, (row, n) in enumerate(zip(rows, counts, strict=True)):
        if (n < row.count) if row.at_least else (n != row.count):
            problems.append(f"row {index + 1} ({row.action} {row.type} {row.name}) matched {n}, expected {row.count}")
    for pattern, text in case.reasons:
        found = [c for c in result["changes"] if re.fullmatch(pattern, day2.short_name(c["urn"]))]
        if not found or not all(any(text in r for r in c["reasons"]) for c in found):
            problems.append(f"no reason containing {text!r} on {pattern}")
    return problems


def moved_ids(case: day2.Case, result: dict[str, Any]) -> list[str]:
    """Resources whose id (as the synth's mocks fabricate it) differs between base and now although
    the plan does not replace them (empty when ids are stable)."""
    from tools.mocks import ByocMocks

    mocks = ByocMocks()
    replaced = {c["urn"] for c in result["changes"] if c["action"] == "replace"}
    base = {r["urn"]: r for r in synth(dict(case.before))}
    return [
        day2.short_name(r["urn"])
        for r in synth(dict(case.after))
        if r["urn"] in base
        and r["urn"] not in replaced
        and mocks.outputs_of(r)[0] != mocks.outputs_of(base[r["urn"]])[0]
    ]


@pytest.mark.parametrize("case", day2.CASES, ids=lambda c: c.id)
def test_the_plan_of_each_day2_change(case, tmp_path, capsys):
    code, result = _plan_json(case, tmp_path, capsys)
    assert mismatches(case, result) == []
    assert code == case.exit_code
    assert (code == 3) == bool(result["blocked"])
    # What is not replaced keeps its id, so nothing downstream changes for want of a replace.
    assert moved_ids(case, result) == []


def test_the_table_checks_what_it_claims(tmp_path, capsys):
    # A plan that differs from the rows in a flag, a count or an unlisted change is reported.
    (case,) = [c for c in day2.CASES if c.id == "clickhouse-node-type"]
    _, result = _plan_json(case, tmp_path, capsys)
    tampered = json.loads(json.dumps(result))
    tampered["changes"][-1]["disruptive"] = not tampered["changes"][-1]["disruptive"]
    assert any(p.startswith("flags differ") for p in mismatches(case, tampered))
    fewer = dict(result, changes=result["changes"][:-1])
    assert any("matched 2, expected 3" in p for p in mismatches(case, fewer))
    extra = dict(result, changes=[*result["changes"], {**result["changes"][0], "action": "delete"}])
    assert any(p.startswith("unexpected: delete") for p in mismatches(case, extra))


def test_the_table_has_the_changes_the_docs_promise():
    ids = [c.id for c in day2.CASES]
    assert len(ids) == len(set(ids)) >= 15
    # Every case changes something: the two configurations differ, or an earlier revision of the
    # program deployed the stack.
    for case in day2.CASES:
        assert day2.config(case.before) != day2.config(case.after) or case.deployed_by, case.id


def test_the_operator_restarts_servers_for_config_files_and_settings():
    # The cache size lives in config.d/storage.xml and the MySQL port in the server settings: the
    # Altinity operator's restart rules (its chart's default configuration, vendored) restart
    # ClickHouse for both, which is why those cases are disruptive. The program keeps those rules.
    values = ref.load_yaml(ref.ALTINITY / "values.yaml")
    policy = values["configs"]["files"]["config.yaml"]["clickhouse"]["configurationRestartPolicy"]
    (default,) = [r for r in policy["rules"] if r["version"] == "*"]
    rules = {k: v for rule in default["rules"] for k, v in rule.items()}
    assert rules["files/config.d/*.xml"] == "yes" and rules["settings/*"] == "yes"
    assert "settings/mysql_port" not in rules
    dev = synth({})
    (operator,) = [r for r in dev if r["type"] == plan.HELM_RELEASE and r["inputs"]["chart"] == plan.OPERATOR_CHART]
    assert "configurationRestartPolicy" not in json.dumps(operator["inputs"].get("values", {}))
    (chi,) = [r for r in dev if r["type"] == plan.CHI]
    assert "config.d/storage.xml" in chi["inputs"]["spec"]["configuration"]["files"]


def test_docs_day2_table_is_generated_from_the_cases():
    assert day2.doc_section(day2.DOC.read_text()) == day2.render_table(), "run: python -m tests.day2_cases"


def test_the_readme_links_the_day2_reference():
    readme = (day2.ROOT / "README.md").read_text()
    assert "[docs/day-2.md](docs/day-2.md)" in readme


def test_the_peering_case_routes_every_private_route_table_and_opens_the_endpoint_ports():
    # The plan names the peering's resources; what they carry: a route to the peer's range through
    # the connection in each zone's private route table (none in the public one), and ingress from
    # that range on the private endpoint's security group for 8443 and 9440 only.
    (case,) = [c for c in day2.CASES if c.id == "peering"]
    (peer,) = case.after["peerings"]
    now = {day2.short_name(r["urn"]): r for r in synth(dict(case.after))}
    private_tables = {now[f"network-private-{i}-default"]["inputs"]["routeTableId"] for i in range(3)}
    assert len(private_tables) == 3
    assert now["network-public-default"]["inputs"]["routeTableId"] not in private_tables
    connection = now["peering-corp"]["inputs"]
    assert connection["peerVpcId"] == peer["vpcId"] and connection["autoAccept"] is True
    routes = [r["inputs"] for n, r in now.items() if n.startswith("peering-corp-route-")]
    assert {r["routeTableId"] for r in routes} == private_tables and len(routes) == 3
    assert all(r["destinationCidrBlock"] == peer["cidr"] for r in routes)
    assert len({r["vpcPeeringConnectionId"] for r in routes}) == 1
    assert routes[0]["vpcPeeringConnectionId"] == now["peering-corp-options"]["inputs"]["vpcPeeringConnectionId"]
    rules = [r["inputs"] for n, r in now.items() if "-peer-corp-" in n]
    assert sorted((r["fromPort"], r["toPort"], r["cidrIpv4"], r["ipProtocol"]) for r in rules) == [
        (8443, 8443, peer["cidr"], "tcp"),
        (9440, 9440, peer["cidr"], "tcp"),
    ]
    endpoint_sg = {now[f"network-private-endpoint-vpc-{p}"]["inputs"]["securityGroupId"] for p in (8443, 9440)}
    assert {r["securityGroupId"] for r in rules} == endpoint_sg
    assert not any(r["protect"] for n, r in now.items() if n.startswith("peering-corp"))


def test_a_mysql_port_stays_while_other_services_come_and_go(tmp_path, capsys):
    # analytics' MySQL port (13337, derived from its name) while a service with its own MySQL port is
    # added before it in the list, then removed again. Each step is planned: nothing of analytics'
    # MySQL path changes, and the gateways keep its listener on the same port.
    alone = {"services": day2.analytics(mysqlInterface=True)}  # the mysql-interface case's synth
    steps = [
        alone,
        {
            "services": day2.services(
                {"name": "events", "mysqlInterface": True}, {**day2.ANALYTICS, "mysqlInterface": True}
            )
        },
        alone,
    ]
    untouched = re.compile(
        r"ch-analytics(-.*)?|network-private-endpoint-vpc-13337|workload-roles-clickhouse-analytics.*"
    )
    for before, after in itertools.pairwise(steps):
        (tmp_path / "base.json").write_text(json.dumps(synth(before)))
        (tmp_path / "now.json").write_text(json.dumps(synth(after)))
        code = plan.main(
            ["--base-resources", str(tmp_path / "base.json"), "--resources", str(tmp_path / "now.json"), "--json"]
        )
        result = json.loads(capsys.readouterr().out)
        # Only the removed service's state is held back (it needs `--allow`, as any removal does).
        assert code == (3 if result["blocked"] else 0)
        assert all("events" in day2.short_name(urn) for urn in result["blocked"])
        names = [day2.short_name(c["urn"]) for c in result["changes"]]
        assert not [n for n in names if untouched.fullmatch(n)], names
        # The other service's port is what comes and goes on the gateways and the security group.
        assert any(n.startswith("network-private-endpoint-vpc-") for n in names)
        for records in (synth(before), synth(after)):
            gateways = [r for r in records if r["type"] == plan.HELM_RELEASE and r["inputs"]["chart"] == "gateway"]
            assert len(gateways) == 2
            for gateway in gateways:
                ports = {p["name"]: p["port"] for p in gateway["inputs"]["values"]["service"]["ports"]}
                assert ports["tcp-mysql-analytics"] == 13337
