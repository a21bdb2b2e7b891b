"""No tool prints a traceback for a stack file, whatever it holds.

Every offline tool reads stack files through tools.stackconfig (one reader, the Pulumi CLI's
rules). A file the CLI refuses is one line naming the file; a file the CLI accepts with a value the
program refuses is one line naming the key; either way exit 2. The fleet reports a bad stack and
still plans the others; the wizard leaves a bad stack out of its clash checks with a warning.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tools import bootstrap_template, cost, fleet, new_stack, plan, preflight, stackconfig, stackyaml, synth

DEV = (ROOT / "Pulumi.dev.yaml").read_text()
ACCOUNT_LINE = '  clickhouse-byoc:accountId: "123456789012"\n'
assert ACCOUNT_LINE in DEV

# Files the Pulumi CLI refuses: (name, content, a word of the one line).
REFUSED: list[tuple[str, str | bytes, str]] = [
    ("unclosed flow list", "config:\n  clickhouse-byoc:ipAllowList: [203.0.113.0/24\n", "not find expected"),
    ("tab indent", DEV.replace("  clickhouse-byoc:deploymentId", "\tclickhouse-byoc:deploymentId"), "tab"),
    ("duplicate key", DEV + "  clickhouse-byoc:deploymentId: other\n", "already defined"),
    ("same key spelled twice", DEV + "  deploymentId: other\n", "same key"),
    ("config is a list", "config:\n  - aws:region\n", "must be a map"),
    ("config is text", "config: us-west-2\n", "must be a map"),
    ("the file is a list", "- config\n", "must be a map"),
    ("binary", bytes(range(256)), "UTF-8"),
    ("not UTF-8", b"config:\n  aws:region: us-west-\xff2\n", "UTF-8"),
    ("null byte", "config:\n  aws:region: us-west-2\x00\n", "UTF-8"),
    ("infinity", DEV + "  clickhouse-byoc:extra: {weight: .inf}\n", "unsupported value"),
    ("recursive alias", "config:\n  clickhouse-byoc:peerings: &p [*p]\n", "contains itself"),
    ("unknown alias", "config:\n  clickhouse-byoc:peerings: *p\n", "unknown anchor"),
    ("key of three parts", "config:\n  a:b:c: 1\n", "namespace:name"),
    ("null key", "config:\n  ~: 1\n", "null"),
    ("int key", "config:\n  12: 1\n", "not text"),
    ("bad explicit tag", "config:\n  clickhouse-byoc:podCidr: !!int 10.0.0.0\n", "cannot decode"),
    ("query in a flow map", DEV + "  clickhouse-byoc:alerting2: {url: https://x.example/a?b=c}\n", "quote"),
    ("deep nesting", "config:\n  a: " + "[" * 300 + "]" * 300 + "\n", "nested more than"),
]

# Files the CLI accepts whose value the program refuses: (name, the dev stack changed, the key's line).
REFUSED_VALUES: list[tuple[str, str, str]] = [
    (
        "account id with a leading 0, unquoted (the CLI passes 12345678901)",
        DEV.replace(ACCOUNT_LINE, "  clickhouse-byoc:accountId: 012345678901\n"),
        "clickhouse-byoc:accountId: 12345678901: not a 12-digit AWS account id",
    ),
    (
        "huge int account id",
        DEV.replace(ACCOUNT_LINE, "  clickhouse-byoc:accountId: 99999999999999999999\n"),
        "clickhouse-byoc:accountId: 100000000000000000000: not a 12-digit AWS account id",
    ),
    (
        "timestamp account id",
        DEV.replace(ACCOUNT_LINE, "  clickhouse-byoc:accountId: 2026-12-11\n"),
        "clickhouse-byoc:accountId: 2026-12-11 00:00:00 +0000 UTC: not a 12-digit AWS account id",
    ),
    (
        "secure with a list in it",
        DEV.replace(
            "    externalId:\n      secure: v1:Jq3kX0m1Yb8tWcQe:5m0cPzYlVdS8nH2wq4e9R1xT7uKfA3bG6jNs0LvM\n",
            "    externalId: {secure: [v1, v2]}\n",
        ),
        'clickhouse-byoc:clickhouseCloud.externalId: {"secure": ["v1", "v2"]}: not a string',
    ),
    (
        "an alias to a map where a list belongs",
        "base: &b {cidr: 203.0.113.0/24}\n"
        + DEV.replace("  clickhouse-byoc:ipAllowList:\n    - 203.0.113.0/24\n", "")
        + "  clickhouse-byoc:ipAllowList: *b\n",
        "Stack 'odd' with configuration key 'ipAllowList' must be of type 'array<string>'",
    ),
    (
        "no at the top of a declared boolean (pulumi preview refuses it)",
        DEV + "  clickhouse-byoc:dataProtection: no\n",
        "Stack 'odd' with configuration key 'dataProtection' must be of type 'boolean'",
    ),
]


def stack_file(tmp_path: Path, content: str | bytes) -> Path:
    path = tmp_path / "Pulumi.odd.yaml"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass"))
    return path


def run_tool(tool: str, path: Path, tmp_path: Path, capsys) -> tuple[int, list[str]]:
    args = ["--config-file", str(path)]
    code = {
        "synth": lambda: synth.main([*args, "--out", str(tmp_path / "out"), "--no-policy-check"]),
        "plan": lambda: plan.main([*args, "--base-resources", str(tmp_path / "none.json")]),
        "cost": lambda: cost.main(args),
        "preflight": lambda: preflight.main(args),
        "bootstrap_template": lambda: bootstrap_template.main(args),
    }[tool]()
    err = capsys.readouterr().err
    assert "Traceback" not in err
    # synth's note on the encrypted values it replaced is not a problem line.
    return code, [line for line in err.splitlines() if not (line.startswith("synth: ") and "encrypted value" in line)]


TOOLS = ["synth", "plan", "cost", "preflight", "bootstrap_template"]


@pytest.mark.parametrize("tool", TOOLS)
@pytest.mark.parametrize("name, content, word", REFUSED, ids=[r[0] for r in REFUSED])
def test_a_file_the_cli_refuses_is_exit_2_and_one_line_naming_the_file(tmp_path, capsys, tool, name, content, word):
    path = stack_file(tmp_path, content)
    code, lines = run_tool(tool, path, tmp_path, capsys)
    assert code == 2, lines
    (line,) = lines
    assert line.startswith(str(path)) and word in line, line


@pytest.mark.parametrize("tool", TOOLS)
@pytest.mark.parametrize("name, content, line", REFUSED_VALUES, ids=[r[0] for r in REFUSED_VALUES])
def test_a_value_the_program_refuses_is_exit_2_and_one_line_naming_the_key(tmp_path, capsys, tool, name, content, line):
    code, lines = run_tool(tool, stack_file(tmp_path, content), tmp_path, capsys)
    assert code == 2, lines
    assert len(lines) == 1 and lines[0].startswith(line), lines


def test_the_issues_examples_read_as_the_cli_reads_them(tmp_path):
    """An unquoted `until`, a null podCidr (the documented "none"), `22:30` and a nested `no`: what
    the CLI passes, and what the program makes of it."""
    import datetime

    from components.settings import ConfigError, parse

    text = DEV + (
        "  clickhouse-byoc:troubleshootingAccess: {until: 2026-12-11T18:00:00Z}\n"
        "  clickhouse-byoc:podCidr:\n"
        "  clickhouse-byoc:maintenanceWindow: {day: Sunday, start: 22:30, durationHours: 4, timezone: UTC}\n"
    )
    cfg = stackconfig.load(stack_file(tmp_path, text))
    assert cfg.raw["clickhouse-byoc:troubleshootingAccess"] == '{"until":"2026-12-11 18:00:00 +0000 UTC"}'
    assert cfg.raw["clickhouse-byoc:podCidr"] == ""
    assert json.loads(cfg.raw["clickhouse-byoc:maintenanceWindow"])["start"] == "22:30"
    now = datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC)
    settings = parse(cfg.raw, cfg.stack, frozenset({"clickhouseCloud", "alerting"}), now=now)
    assert settings.iam.troubleshooting_until == "2026-12-11T18:00:00Z"
    assert settings.network.pod_cidr is None
    assert settings.maintenance_window is not None

    nested_no = DEV.replace("    createZone: true\n", "    createZone: no\n")
    cfg = stackconfig.load(stack_file(tmp_path, nested_no))
    with pytest.raises(ConfigError) as exc:
        parse(cfg.raw, cfg.stack, frozenset({"clickhouseCloud", "alerting"}), now=now)
    assert exc.value.problems == ["clickhouse-byoc:dns.createZone: no: not true or false; set it as one"]


# --- The fleet and the wizard ------------------------------------------------------------------


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    shutil.copy(ROOT / "Pulumi.dev.yaml", tmp_path / "Pulumi.dev.yaml")
    (tmp_path / "Pulumi.broken.yaml").write_text(DEV.replace("  clickhouse-byoc:deploymentId: dev\n", "") + "\t\n")
    (tmp_path / "Pulumi.dup.yaml").write_text(DEV + "  clickhouse-byoc:deploymentId: dup\n")
    return tmp_path


def test_fleet_dry_run_reports_each_bad_stack_and_plans_the_others(repo):
    def planner(stack: str, base: str | None) -> fleet.Plan:
        assert stack == "dev", f"{stack} should not be planned"
        return fleet.Plan(())

    out, err = io.StringIO(), io.StringIO()
    code = fleet.main(
        ["up", "--dry-run", "--json", "--now", "2026-07-07T09:00:00Z"], planner=planner, root=repo, out=out, err=err
    )
    docs = {d["stack"]: d for d in json.loads(out.getvalue())}
    assert code == 1 and "Traceback" not in err.getvalue()
    assert docs["dev"]["decision"] != "error" and docs["dev"]["account"] == "123456789012"
    assert docs["dup"]["decision"] == "error" and "already defined" in docs["dup"]["reason"]
    assert docs["broken"]["decision"] == "error" and "Pulumi.broken.yaml" in docs["broken"]["reason"]
    # Each problem once on stderr, one line, naming its stack.
    lines = err.getvalue().splitlines()
    for stack in ("dup", "broken"):
        assert [x for x in lines if x.startswith(f"{stack}: ")] == [f"{stack}: {p}" for p in docs[stack]["problems"]]


def test_the_wizard_leaves_a_bad_stack_out_of_its_clash_checks_with_one_warning(repo):
    out = io.StringIO()
    stacks = new_stack.existing_stacks(repo, out.write)
    assert [s.stack for s in stacks] == ["dev"]
    warnings = out.getvalue().splitlines()
    assert len(warnings) == 2 and all(w.startswith("warning: ") for w in warnings)
    assert any("Pulumi.dup.yaml" in w and "already defined" in w for w in warnings)


def test_the_wizard_quotes_what_the_cli_would_read_as_a_number(tmp_path):
    answers = new_stack.Answers(
        stack="zero", account="012345678901", region="us-west-2", deployment_id="zero", vpc_cidr="10.8.0.0/22",
        zones=["us-west-2a", "us-west-2b", "us-west-2c"], zone_name="byoc.acme.example", service="0o17",
    )  # fmt: skip
    text = new_stack.render(answers)
    assert "'012345678901'" in text and "'0o17'" in text
    values = stackyaml.read_stack(stack_file(tmp_path, text), "clickhouse-byoc")
    assert values["clickhouse-byoc:accountId"].text == "012345678901"
    assert json.loads(values["clickhouse-byoc:services"].text) == [{"name": "0o17"}]
