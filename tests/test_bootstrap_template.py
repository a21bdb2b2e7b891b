"""The CloudFormation template of the bootstrap role: same documents, NoEcho external id, cfn-lint clean."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml
from cfnlint.api import lint

from components import iam_policies as docs
from components.iam import bootstrap_scope
from components.settings import parse
from components.wiring import bootstrap_role_args
from tests.conftest import ROOT, raw_config
from tools import bootstrap_template


def settings_for(**values):
    return parse(raw_config(values), "prod")


@pytest.fixture(scope="module")
def dev_template() -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "tools.bootstrap_template", "--stack", "dev"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_cfn_lint_passes(dev_template):
    matches = lint(dev_template, regions=["us-west-2"])
    # Errors and warnings fail; informational I3042 (partition written as `aws`) is the only one accepted.
    assert [str(m) for m in matches if m.rule.id[0] in "EW"] == []
    assert {m.rule.id for m in matches} <= {"I3042"}
    # The linter is live: a role without its trust policy is an error.
    broken = '{"Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {}}}}'
    assert any(m.rule.id.startswith("E") for m in lint(broken, regions=["us-west-2"]))


def test_external_id_is_a_no_echo_parameter(dev_template):
    doc = yaml.safe_load(dev_template)
    param = doc["Parameters"]["ExternalId"]
    assert param["NoEcho"] is True and param["MinLength"] == 2 and param["MaxLength"] == 1224
    trust = doc["Resources"]["ManagementRole"]["Properties"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Condition"]["StringEquals"] == {"sts:ExternalId": {"Fn::Sub": "${ExternalId}"}}
    assert "offline-synth-placeholder" not in dev_template


def test_documents_are_the_programs():
    settings = settings_for(bootstrap='{"mode": "operate", "kms": true}')
    tpl = bootstrap_template.template(settings)
    zone = "arn:aws:route53:::hostedzone/${HostedZoneId}"
    args = bootstrap_role_args(settings, zone, external_id="${ExternalId}")
    expected = docs.bootstrap_policies(bootstrap_scope(args, zone), args.spec.access)
    resources = tpl["Resources"]
    for suffix, doc in expected.items():
        res = resources[bootstrap_template._logical(suffix)]["Properties"]
        assert res["ManagedPolicyName"] == f"ClickHouse-cloud-prod-management-{suffix}"
        # Only the zone reference differs: it is substituted by CloudFormation.
        assert json.dumps(res["PolicyDocument"]).replace('{"Fn::Sub": "' + zone + '"}', '"' + zone + '"') == (
            json.dumps(doc)
        )
    role = resources["ManagementRole"]["Properties"]
    assert role["RoleName"] == "ClickHouse-cloud-prod-management"
    assert role["ManagedPolicyArns"] == [{"Ref": bootstrap_template._logical(s)} for s in expected]
    assert tpl["Parameters"]["HostedZoneId"]["Default"] == "Z0123456789ABCDEFGHIJ"
    assert resources["PermissionsBoundary"]["Properties"]["ManagedPolicyName"] == "ClickHouse-cloud-prod-boundary"


def test_revoked_template_denies_everything():
    tpl = bootstrap_template.template(settings_for(bootstrap='{"mode": "revoked"}'))
    policies = [k for k, v in tpl["Resources"].items() if k.startswith("ManagementPolicy")]
    assert policies == ["ManagementPolicyRevoked"]
    doc = tpl["Resources"]["ManagementPolicyRevoked"]["Properties"]["PolicyDocument"]
    assert doc["Statement"] == [{"Sid": "DenyEverything", "Effect": "Deny", "Action": ["*"], "Resource": "*"}]


def test_invalid_config_exits_2(tmp_path):
    stack = tmp_path / "Pulumi.bad.yaml"
    stack.write_text(yaml.safe_dump({"config": {"aws:region": "us-west-2", "clickhouse-byoc:accountId": "1"}}))
    assert bootstrap_template.main(["--config-file", str(stack)]) == 2


@pytest.mark.parametrize("mode", ["full", "operate", "revoked"])
def test_clickhouse_cloud_profile_template_is_the_vendors_documents_and_lints(mode):
    settings = settings_for(bootstrap=json.dumps({"profile": "clickhouse-cloud", "mode": mode}))
    tpl = bootstrap_template.template(settings)
    resources = tpl["Resources"]
    # The vendor's onboarding sets no boundary and scopes no zone.
    assert "PermissionsBoundary" not in resources and "HostedZoneId" not in tpl["Parameters"]
    args = bootstrap_role_args(settings, "arn:aws:route53:::hostedzone/Z1", external_id="${ExternalId}")
    expected = docs.bootstrap_policies(bootstrap_scope(args, "arn:aws:route53:::hostedzone/Z1"), args.spec.access)
    for suffix, doc in expected.items():
        assert resources[bootstrap_template._logical(suffix)]["Properties"]["PolicyDocument"] == doc
    if mode == "full":
        assert {"ManagementPolicyIamWrite", "ManagementPolicyVpcWrite", "ManagementPolicyEc2"} <= set(resources)
    tags = {t["Key"]: t["Value"] for t in resources["ManagementRole"]["Properties"]["Tags"]}
    assert tags["clickhouse-byoc/bootstrap-profile"] == "clickhouse-cloud"
    if mode == "full":  # cfn-lint takes seconds; the other modes differ only in the policy list
        matches = lint(bootstrap_template.render(tpl), regions=["us-west-2"])
        assert [str(m) for m in matches if m.rule.id[0] in "EW"] == []
