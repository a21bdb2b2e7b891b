"""The CI workflows teams copy: least permissions, OIDC credentials, the policy pack, one stack at a time."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.conftest import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
STACKS = sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in ROOT.glob("Pulumi.*.yaml"))


def load(name: str) -> dict[str, Any]:
    doc = yaml.safe_load((WORKFLOWS / name).read_text())
    doc["on"] = doc.pop(True, doc.get("on"))  # YAML 1.1 reads the key `on` as true
    return doc


@pytest.fixture(scope="module")
def preview() -> dict[str, Any]:
    return load("preview.yml")


@pytest.fixture(scope="module")
def deploy() -> dict[str, Any]:
    return load("deploy.yml")


def step(job: dict[str, Any], action: str) -> dict[str, Any]:
    (found,) = [s for s in job["steps"] if str(s.get("uses", "")).startswith(action + "@")]
    return found


def uses(job: dict[str, Any]) -> list[str]:
    return [s["uses"] for s in job["steps"] if "uses" in s]


def test_preview_runs_on_pull_requests_with_read_only_default_permissions(preview):
    assert "pull_request" in preview["on"] and "pull_request_target" not in preview["on"]
    assert preview["permissions"] == {"contents": "read"}


def test_preview_check_job_runs_tests_and_policy_check_without_secrets(preview):
    check = preview["jobs"]["check"]
    text = yaml.safe_dump(check)
    assert "secrets." not in text and "id-token" not in text and "permissions" not in check
    runs = "\n".join(s.get("run", "") for s in check["steps"])
    assert "./tools/check.sh" in runs
    assert "python -m tools.synth --config-file" in runs and "--no-policy-check" not in runs
    assert "if" not in check  # forks too


def test_preview_job_uses_oidc_and_the_policy_pack_per_stack(preview):
    job = preview["jobs"]["preview"]
    assert job["needs"] == "check"
    assert "head.repo.full_name == github.repository" in job["if"]
    assert job["permissions"] == {"contents": "read", "id-token": "write", "pull-requests": "write"}
    assert job["strategy"]["matrix"]["stack"] == STACKS
    creds = step(job, "aws-actions/configure-aws-credentials")
    assert creds["uses"].endswith("@v6")
    assert creds["with"]["role-to-assume"] and "aws-access-key-id" not in creds["with"]
    pulumi = step(job, "pulumi/actions")
    assert pulumi["uses"] == "pulumi/actions@v7"
    assert pulumi["with"]["command"] == "preview"
    assert pulumi["with"]["policyPacks"] == "policies"
    assert pulumi["with"]["comment-on-pr"] is True
    assert "matrix.stack" in pulumi["with"]["stack-name"]
    assert uses(job).index(creds["uses"]) < uses(job).index(pulumi["uses"])


def test_deploy_runs_up_on_main_behind_an_environment_one_run_per_stack(deploy):
    assert deploy["on"] == {"push": {"branches": ["main"]}}
    assert deploy["permissions"] == {"contents": "read"}
    job = deploy["jobs"]["deploy"]
    assert job["needs"] == "check"
    assert job["environment"] == "${{ matrix.stack }}"
    assert job["concurrency"] == {"group": "pulumi-stack-${{ matrix.stack }}", "cancel-in-progress": False}
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    assert job["strategy"]["matrix"]["stack"] == STACKS
    assert step(job, "aws-actions/configure-aws-credentials")["uses"].endswith("@v6")
    pulumi = step(job, "pulumi/actions")
    assert pulumi["uses"] == "pulumi/actions@v7"
    assert pulumi["with"]["command"] == "up" and pulumi["with"]["policyPacks"] == "policies"
    runs = "\n".join(s.get("run", "") for s in deploy["jobs"]["check"]["steps"])
    assert "./tools/check.sh" in runs


def test_preview_and_deploy_assume_different_roles(preview, deploy):
    role = step(preview["jobs"]["preview"], "aws-actions/configure-aws-credentials")["with"]["role-to-assume"]
    deploy_role = step(deploy["jobs"]["deploy"], "aws-actions/configure-aws-credentials")["with"]["role-to-assume"]
    assert "PREVIEW" in role and "DEPLOY" in deploy_role
    assert preview["jobs"]["preview"]["environment"] == "preview-${{ matrix.stack }}"


def test_readme_documents_every_variable_and_secret_the_workflows_read():
    import re

    section = (ROOT / "docs" / "continuous-delivery.md").read_text()
    names = set()
    for name in ("preview.yml", "deploy.yml"):
        names |= set(re.findall(r"\b(?:vars|secrets)\.([A-Z_]+)", (WORKFLOWS / name).read_text()))
    assert names
    for name in sorted(names):
        assert f"`{name}`" in section, name
