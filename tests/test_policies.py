"""The policy pack: a compliant and a non-compliant record set per rule, the runner, the dev stack."""

from __future__ import annotations

import contextlib
import copy
import io
import json
import subprocess
import sys
import textwrap
import types

import pytest

from components import naming
from policies import rules
from tests import (
    test_policies_audit,
    test_policies_compute,
    test_policies_eks,
    test_policies_iam,
    test_policies_ingress,
    test_policies_naming,
    test_policies_s3,
)
from tests.conftest import ROOT
from tests.policy_records import (
    ACCOUNT,
    BUCKET_NAME,
    allow,
    bucket,
    doc,
    eks_component,
    provider,
    public_access_block,
    record,
    results,
    role,
    role_policy,
    vendor_trust,
    violations,
)
from tools import policy_check

FAMILIES = (
    test_policies_naming,
    test_policies_eks,
    test_policies_s3,
    test_policies_iam,
    test_policies_compute,
    test_policies_ingress,
    test_policies_audit,
)


def test_every_rule_has_cases_and_the_issue_rules_exist():
    cases = [c for family in FAMILIES for c in family.CASES]
    assert {c[0] for c in cases} == {r.name for r in rules.RULES}
    assert len({(c[0], c[1]) for c in cases}) == len(cases)
    assert [r.name for r in rules.RULES] == [
        "clickhouse-cloud-name-prefix",
        "required-tags",
        "eks-endpoint-restricted",
        "eks-secrets-encryption",
        "eks-control-plane-logging",
        "s3-no-public-access",
        "s3-encryption",
        "s3-tls-only",
        "s3-data-retained",
        "iam-no-admin-wildcards",
        "iam-irsa-trust-scoped",
        "iam-external-id",
        "iam-permissions-boundary",
        "imdsv2-required",
        "ingress-ip-allowlist",
        "no-world-ingress",
        "vpc-flow-logs",
        "s3-access-logging",
    ]


def test_policies_are_sdk_policies_with_kebab_names_descriptions_and_levels():
    from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy

    built = rules.policies()
    assert len({p.name for p in built}) == len(built) == len(rules.RULES)
    for policy in built:
        assert isinstance(policy, (ResourceValidationPolicy, StackValidationPolicy))
        assert policy.name.replace("-", "").isalnum() and policy.name == policy.name.lower()
        assert policy.description.endswith(".") and policy.remediation_steps
        # The audit rules are advisory: a stack may switch audit off explicitly (docs/policies.md).
        advisory = policy.name in ("vpc-flow-logs", "s3-access-logging")
        assert policy.enforcement_level == (EnforcementLevel.ADVISORY if advisory else EnforcementLevel.MANDATORY)
    stack = {p.name for p in built if isinstance(p, StackValidationPolicy)}
    assert stack == {
        "s3-no-public-access",
        "s3-encryption",
        "s3-tls-only",
        "iam-no-admin-wildcards",
        "no-world-ingress",
        "vpc-flow-logs",
        "s3-access-logging",
    }


def test_pack_constants_match_the_program():
    assert rules.PREFIX == naming.PREFIX
    from components import iam

    assert rules.core.ROLE_PURPOSE_TAG == iam.PURPOSE_TAG and rules.core.BOOTSTRAP_PROFILE_TAG == iam.PROFILE_TAG
    assert rules.BYOC_TAG == naming.BYOC_TAG and rules.DEPLOYMENT_TAG == naming.DEPLOYMENT_TAG
    from tools.mocks import SECRET

    assert rules.SECRET == SECRET
    names = naming.Names("acme-production-eu1", ACCOUNT)
    for what in ("ingress", "ingress-private"):
        lb = names.load_balancer(what)
        assert rules.prefixed(lb, rules.PREFIX, False) and len(lb) <= rules.ELB_NAME_MAX
    assert rules.prefixed(names.bucket("data"), rules.PREFIX, True)
    assert not rules.prefixed(names.bucket("data"), rules.PREFIX, False)


def test_a_permissions_boundary_may_cap_with_service_wildcards():
    cap = doc(allow(["elasticloadbalancing:*", "autoscaling:Describe*"]))
    boundary = record("aws:iam/policy:Policy", "b", {"name": "ClickHouse-cloud-t-boundary", "policy": cap})
    arn = f"arn:aws:iam::{ACCOUNT}:policy/ClickHouse-cloud-t-boundary"
    bounded = role(permissionsBoundary=arn)
    creator = role_policy(
        allow(
            "iam:CreateRole",
            "arn:aws:iam::1:role/ClickHouse-cloud-t-*",
            Condition={"StringEquals": {"iam:PermissionsBoundary": arn}},
        )
    )
    assert violations([boundary, bounded], "iam-no-admin-wildcards") == []
    assert violations([boundary, creator], "iam-no-admin-wildcards") == []
    # Unreferenced, the same document grants: a violation. A boundary allowing '*' bounds nothing.
    assert violations([boundary], "iam-no-admin-wildcards") == [
        "policy statement 0 allows elasticloadbalancing:* on '*': list the actions and scope Resource to ARNs"
    ]
    everything = record(
        "aws:iam/policy:Policy", "b", {"name": "ClickHouse-cloud-t-boundary", "policy": doc(allow("*"))}
    )
    assert violations([everything, bounded], "iam-no-admin-wildcards") == [
        "policy statement 0 allows * on '*': list the actions and scope Resource to ARNs"
    ]


def test_buckets_link_by_dependency_when_the_bucket_input_is_unknown():
    # In a preview the `bucket` input of a new bucket's configuration is unknown; the dependency links it.
    from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

    block = public_access_block()
    block["inputs"]["bucket"] = UNKNOWN_STRING_VALUE
    assert violations([bucket(), block], "s3-no-public-access") == []
    block["dependencies"] = []
    assert violations([bucket(), block], "s3-no-public-access") == [
        f"bucket {BUCKET_NAME!r} has no public access block: create an aws.s3.BucketPublicAccessBlock with all four settings true"
    ]


def test_secret_documents_are_advisory_cannot_check_notes_not_violations():
    secret_role = role(trust="[secret]")
    found = results([secret_role], "iam-irsa-trust-scoped")
    assert [(r.level, r.checked) for r in found] == [("advisory", False)]
    assert found[0].message == "cannot check: assumeRolePolicy is a secret, which cannot be read offline"
    assert policy_check.report([provider(), secret_role, role_policy(allow("*"))], out=_Sink()) == 1
    assert policy_check.report([provider(), secret_role], out=_Sink()) == 0


def test_cannot_check_notes_are_one_summary_unless_verbose():
    import io

    records = [provider(), role(trust="[secret]"), role(name="ClickHouse-cloud-t-cert-manager", trust="[secret]")]
    quiet, loud = io.StringIO(), io.StringIO()
    assert policy_check.report(records, out=quiet) == 0
    assert policy_check.report(records, out=loud, verbose=True) == 0
    (line,) = quiet.getvalue().splitlines()  # one line: the summary, with what was not checked
    assert line.startswith("policy check: 0 mandatory and 0 advisory violation(s), ")
    notes = [r for r in policy_check.run(records) if not r.checked]
    rules = sorted({r.rule for r in notes})
    assert len(notes) >= 2 and all(f"{rule} x" in line for rule in rules)
    assert line.endswith("assumeRolePolicy is a secret, which cannot be read offline; --verbose lists them)")
    listed = loud.getvalue().splitlines()
    assert len(listed) == len(notes) + 1 and all(": cannot check: " in x for x in listed[:-1])
    assert "--verbose" not in listed[-1]


def test_unknown_values_in_a_preview_are_advisory_through_the_sdk():
    # pulumi-policy reports an UnknownValueError as an advisory "can't run policy" diagnostic.
    from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

    unknown = role(trust=UNKNOWN_STRING_VALUE)
    (found,) = results([unknown], "iam-external-id")
    assert not found.checked and "can't be known during preview" in found.message


def test_external_id_needs_the_stack_account():
    records = [provider(accounts=False), role(name="ClickHouse-cloud-t-m", trust=vendor_trust())]
    found = [r for r in policy_check.run(records) if r.rule == "iam-external-id"]
    assert [r.checked for r in found] == [False] and "allowedAccountIds" in found[0].message
    config = {"iam-external-id": {"accountId": ACCOUNT}}
    bad = [provider(accounts=False), role(name="ClickHouse-cloud-t-m", trust=vendor_trust(external_id=None))]
    assert [r.message[:40] for r in policy_check.run(bad, config) if r.rule == "iam-external-id"] == [
        "assumeRolePolicy statement 0 lets accoun"
    ]


def test_config_overrides_levels_and_properties():
    bad = [eks_component(enabledClusterLogTypes=["api"])]
    assert [r.level for r in results(bad, "eks-control-plane-logging", {"eks-control-plane-logging": "advisory"})] == [
        "advisory"
    ]
    assert results(bad, "eks-control-plane-logging", {"all": "disabled"}) == []
    relaxed = {"eks-control-plane-logging": {"enforcementLevel": "mandatory", "requiredLogTypes": ["api"]}}
    assert results(bad, "eks-control-plane-logging", relaxed) == []
    with pytest.raises(policy_check.ConfigProblem, match="unknown rule"):
        policy_check.resolve({"s3-public": "advisory"})
    with pytest.raises(policy_check.ConfigProblem, match="not an enforcement level"):
        policy_check.resolve({"s3-tls-only": "warn"})
    with pytest.raises(policy_check.ConfigProblem, match="unknown propert"):
        policy_check.resolve({"s3-tls-only": {"enforcementLevel": "advisory", "strict": True}})


class _Sink:
    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


# -- the dev stack and the command line ------------------------------------------------------------


@pytest.fixture(scope="module")
def dev_records(tmp_path_factory):
    # The synth's own command line is tested in tests/test_stack.py; here its output file.
    from tools import stackconfig, synth

    out = tmp_path_factory.mktemp("synth")
    return synth.write(synth.synthesize(stackconfig.load_stack("dev")), out)


def _check(path, *args):
    """`python -m tools.policy_check` as a process: exit code and what it printed."""
    return subprocess.run(
        [sys.executable, "-m", "tools.policy_check", str(path), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _check_in_process(path, *args):
    """The same command's `main`, without a new interpreter (the process form is tested above)."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = policy_check.main([str(path), *args])
    return types.SimpleNamespace(returncode=code, stdout=stdout.getvalue(), stderr=stderr.getvalue())


def test_dev_stack_has_no_mandatory_violation(dev_records):
    records = json.loads(dev_records.read_text())
    found = policy_check.run(records)
    assert [r.line() for r in found if r.checked and r.level == "mandatory"] == []
    proc = _check(dev_records)
    assert proc.returncode == 0, proc.stdout
    assert "policy check: 0 mandatory and 0 advisory violation(s)" in proc.stdout


def test_runner_exits_1_on_an_unprefixed_cluster_and_a_public_bucket(dev_records, tmp_path):
    records = json.loads(dev_records.read_text())
    mutated = [
        *copy.deepcopy(records),
        provider(),
        eks_component(name="analytics"),
        bucket(protect=False),
        public_access_block(blockPublicPolicy=False),
    ]
    path = tmp_path / "resources.json"
    path.write_text(json.dumps(mutated))
    proc = _check_in_process(path)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert any(
        line.startswith("clickhouse-cloud-name-prefix [mandatory] urn:pulumi:t::clickhouse-byoc::eks:index:Cluster::")
        and "EKS cluster name 'analytics'" in line
        for line in lines
    ), lines
    assert any(line.startswith("s3-no-public-access [mandatory]") and "blockPublicPolicy" in line for line in lines)
    assert any(line.startswith("s3-data-retained [mandatory]") for line in lines)
    assert lines[-1].startswith("policy check: ") and not lines[-1].startswith("policy check: 0 mandatory")
    # The same violations as advisory do not fail the run.
    config = tmp_path / "policy-config.json"
    config.write_text(json.dumps({"all": "advisory"}))
    assert _check_in_process(path, "--config", str(config)).returncode == 0
    config.write_text(json.dumps({"no-such-rule": "advisory"}))
    bad = _check_in_process(path, "--config", str(config))
    assert bad.returncode == 2 and "unknown rule(s) no-such-rule" in bad.stderr


def test_synth_runs_the_policy_check_and_fails_on_a_violation(tmp_path):
    from tools import synth

    out = tmp_path / "out"
    calls = []
    original = policy_check.report

    def fake_report(records, config=None, out=sys.stdout, verbose=False):
        calls.append(len(records))
        return original([*records, eks_component(name="analytics")], config, out=_Sink(), verbose=verbose)

    policy_check.report = fake_report
    try:
        assert synth.main(["--stack", "dev", "--out", str(out)]) == 1
        assert synth.main(["--stack", "dev", "--out", str(out), "--no-policy-check"]) == 0
    finally:
        policy_check.report = original
    assert len(calls) == 1 and calls[0] > 10
    assert (out / "resources.json").exists()


def test_pack_main_builds_the_clickhouse_byoc_pack_from_inside_policies():
    # PolicyPack(...) serves forever: replace it, then run __main__.py the way Pulumi does (run_path of the folder).
    script = textwrap.dedent(
        """\
        import json, runpy, sys
        import pulumi_policy
        seen = {}
        def fake(name, policies, **kwargs):
            seen.update(name=name, policies=[p.name for p in policies], level=kwargs["enforcement_level"].value)
        pulumi_policy.PolicyPack = fake
        sys.path[:] = [p for p in sys.path if p not in ("", ".")]
        runpy.run_path(sys.argv[1], run_name="__main__")
        print(json.dumps(seen))
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, str(ROOT / "policies")],
        cwd=ROOT / "policies",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout)
    assert seen["name"] == "clickhouse-byoc" and seen["level"] == "mandatory"
    assert seen["policies"] == [r.name for r in rules.RULES]


def test_pack_project_file_and_requirements():
    import yaml

    project = yaml.safe_load((ROOT / "policies" / "PulumiPolicy.yaml").read_text())
    assert project["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": "venv"}}
    assert project["version"] and project["description"]
    reqs = (ROOT / "policies" / "requirements.txt").read_text()
    assert "pulumi-policy==1.21.0" in reqs


def test_readme_policies_table_lists_every_rule_with_its_level():
    table = (ROOT / "docs" / "policies.md").read_text()
    for r in rules.RULES:
        assert f"| `{r.name}` |" in table, r.name
        row = next(line for line in table.splitlines() if line.startswith(f"| `{r.name}` |"))
        assert f"| {r.level.value} |" in row, row
