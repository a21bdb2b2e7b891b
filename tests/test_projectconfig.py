"""The Pulumi CLI's project-config rules, reproduced offline (tools/projectconfig.py).

Each test names the pulumi/pulumi source and rule it reproduces (read at
1b5949891b3cefcb9974752b24a5ecef0acc86c8) and checks both the accepted and the refused case.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from tests.conftest import ROOT
from tools import projectconfig, stackconfig, stackyaml
from tools.projectconfig import ProjectConfigError, check_project, check_stack, declarations

P = "clickhouse-byoc"
PH = "offline-synth-placeholder"


def _stack_error(decls, config, stack="dev"):
    with pytest.raises(ProjectConfigError) as err:
        check_stack(P, stack, declarations(P, decls), config, PH)
    assert len(err.value.problems) == 1
    return err.value.problems[0]


def _project_error(decls):
    with pytest.raises(ProjectConfigError) as err:
        check_project(P, declarations(P, decls))
    return err.value.problems[0]


def test_declared_key_without_default_or_value_is_required():
    # pkg/workspace/config.go mergeConfig: !foundOnStack && !hasValue && !hasDefault && namespace == project.
    decls = {"deploymentId": {"type": "string"}}
    assert _stack_error(decls, {}).startswith("Stack 'dev' is missing configuration value 'deploymentId'")
    assert check_stack(P, "dev", declarations(P, decls), {f"{P}:deploymentId": "dev"}, PH)[f"{P}:deploymentId"] == "dev"
    # A default (even "") or a value makes the key optional and is applied when the stack lacks it.
    merged = check_stack(P, "dev", declarations(P, {"podCidr": {"type": "string", "default": ""}}), {}, PH)
    assert merged[f"{P}:podCidr"] == ""


def test_missing_keys_are_reported_together_sorted():
    # pkg/workspace/config.go missingStackConfigurationKeysError + formatMissingKeys.
    decls = {"podCidr": {"type": "string"}, "availabilityZones": {"type": "array", "items": {"type": "string"}}}
    assert _stack_error(decls, {}).startswith(
        "Stack 'dev' is missing configuration values 'availabilityZones' and 'podCidr'"
    )
    three = {"c": {}, "a": {}, "b": {}}
    assert _stack_error(three, {}).startswith("Stack 'dev' is missing configuration values 'a', 'b' and 'c'")


def test_keys_of_another_namespace_are_never_required():
    # config.go mergeConfig: only key.Namespace() == projectName can be missing; project.go
    # Project.Validate: such keys need a `value` and may not declare a type or default.
    merged = check_stack(P, "dev", declarations(P, {"aws:region": "us-west-2"}), {}, PH)
    assert merged["aws:region"] == "us-west-2"
    assert _project_error({"aws:region": {"type": "string", "value": "x"}}) == (
        "Configuration key 'aws:region' is not namespaced by the project and should not define a type"
    )
    assert "Did you mean to use the 'value' attribute" in _project_error({"aws:region": {"default": "us-west-2"}})
    assert _project_error({"aws:region": {"description": "d"}}) == (
        "Configuration key 'aws:region' is namespaced and must provide an attribute 'value'"
    )


def test_shorthand_project_value_is_a_default():
    # project.go RewriteShorthandConfigValues: `key: value` is a default for project keys, a value otherwise.
    assert declarations(P, {"vpcCidr": "10.0.0.0/22", "aws:region": "us-west-2"}) == {
        "vpcCidr": {"default": "10.0.0.0/22"},
        "aws:region": {"value": "us-west-2"},
    }


def test_default_and_value_together_are_refused():
    # project.go Project.Validate: "cannot have both a 'default' and 'value' attribute".
    assert _project_error({"x": {"default": 1, "value": 2}}) == (
        "project config 'x' cannot have both a 'default' and 'value' attribute"
    )
    check_project(P, declarations(P, {"x": {"value": 2}}))


def test_array_needs_items():
    # project.go Project.Validate: an explicitly typed array declares its items' type.
    assert _project_error({"zones": {"type": "array", "default": []}}) == (
        "The configuration key 'zones' declares an array but does not specify the underlying type via the 'items' attribute"
    )
    check_project(P, declarations(P, {"zones": {"type": "array", "items": {"type": "string"}, "default": []}}))


def test_default_must_match_its_type():
    # project.go Project.Validate + ValidateConfigValue + InferFullTypeName.
    assert _project_error({"zones": {"type": "array", "items": {"type": "string"}, "default": [1]}}) == (
        "The default value specified for configuration key 'zones' is not of the expected type 'array<string>'"
    )
    assert "'integer'" in _project_error({"size": {"type": "integer", "default": "three"}})
    check_project(P, declarations(P, {"size": {"type": "integer", "default": "3"}}))


def test_declaration_attributes_and_types_follow_the_project_schema():
    # project.json $defs.configTypeDeclaration (additionalProperties false) and simpleConfigType enum.
    assert "additionalProperties 'defualt' not allowed" in _project_error({"x": {"type": "string", "defualt": "a"}})
    assert "#/config/x/type" in _project_error({"x": {"type": "map"}})
    check_project(P, declarations(P, {"x": {"type": "object", "default": {}}}))


def test_stack_values_must_match_declared_types():
    # config.go validateStackConfigValue: "must be of type"; scalars arrive as strings (config.Value),
    # so an integer key accepts "3" and a boolean key "true"; lists and maps are objects.
    decls = {
        "size": {"type": "integer", "default": 3},
        "on": {"type": "boolean", "default": True},
        "zones": {"type": "array", "items": {"type": "string"}, "default": []},
    }
    check_stack(P, "dev", declarations(P, decls), {f"{P}:size": 6, f"{P}:on": False, f"{P}:zones": ["a"]}, PH)
    assert _stack_error(decls, {f"{P}:size": "six"}).startswith(
        "Stack 'dev' with configuration key 'size' must be of type 'integer'"
    )
    assert _stack_error(decls, {f"{P}:on": "yes"}).startswith(
        "Stack 'dev' with configuration key 'on' must be of type 'boolean'"
    )
    assert _stack_error(decls, {f"{P}:zones": "us-west-2a"}).startswith(
        "Stack 'dev' with configuration key 'zones' must be of type 'array<string>'"
    )
    assert _stack_error(decls, {f"{P}:zones": [1, 2]}).startswith("Stack 'dev' with configuration key 'zones'")


def test_secret_keys_must_be_encrypted():
    # config.go validateStackConfigValue: "must be encrypted as it's secret".
    decls = {"token": {"type": "string", "secret": True}}
    assert _stack_error(decls, {f"{P}:token": "plain"}).startswith(
        "Stack 'dev' with configuration key 'token' must be encrypted as it's secret"
    )
    check_stack(P, "dev", declarations(P, decls), {f"{P}:token": {"secure": "v1:AAAA"}}, PH)


def test_this_projects_file_passes_the_project_rules():
    doc = stackyaml.read_project(ROOT / "Pulumi.yaml")  # as the Pulumi CLI reads it
    check_project(doc["name"], declarations(doc["name"], doc["config"]))
    assert all(
        d.get("default") is not None or d.get("value") is not None
        for k, d in declarations(doc["name"], doc["config"]).items()
        if k != "accountId"
    )


def _synth(tmp_path, stack_file):
    return subprocess.run(
        [sys.executable, "-m", "tools.synth", "--config-file", str(stack_file), "--out", str(tmp_path / "out")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("content", ["- a\n- b\n", "just text\n", "config:\n  - a\n", "config: [unclosed\n"])
def test_a_stack_file_that_is_not_a_map_is_one_clean_line(tmp_path, content):
    stack = tmp_path / "Pulumi.bad.yaml"
    stack.write_text(content)
    with pytest.raises((ProjectConfigError, yaml.YAMLError)):
        stackconfig.load(stack)
    proc = _synth(tmp_path, stack)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "must be a map" in proc.stderr or "cannot read the stack configuration" in proc.stderr


def test_synth_stops_where_the_cli_would(tmp_path):
    # A stack without accountId: the CLI stops before the program ("missing configuration value").
    stack = tmp_path / "Pulumi.noacct.yaml"
    stack.write_text(yaml.safe_dump({"config": {"aws:region": "us-west-2", "clickhouse-byoc:vpcCidr": "10.0.0.0/22"}}))
    proc = _synth(tmp_path, stack)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().startswith("Stack 'noacct' is missing configuration value 'accountId'")
    assert not (tmp_path / "out" / "resources.json").exists()


def test_type_name_nesting():
    assert projectconfig.type_name("array", {"type": "array", "items": {"type": "integer"}}) == "array<array<integer>>"
