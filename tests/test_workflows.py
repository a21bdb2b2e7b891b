"""The CI workflows teams copy: clean under zizmor, valid against GitHub's workflow schema, actions
pinned to commit SHAs, least permissions, OIDC credentials, matrices generated from the stack files."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
FILES = ("preview.yml", "deploy.yml", "drift.yml")
BIN = Path(sys.executable).parent
# The release tags' commits, read from each action's repository (git rev-list -n1 <tag>).
PINS = {
    "actions/checkout": ("3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
    "actions/setup-python": ("5fda3b95a4ea91299a34e894583c3862153e4b97", "v7.0.0"),
    "actions/upload-artifact": ("bbbca2ddaa5d8feaa63e36b76fdaad77386f024f", "v7.0.0"),
    "aws-actions/configure-aws-credentials": ("e6de054238d6b7531b4efff3b6587d9aade6a06c", "v6.2.3"),
    "pulumi/actions": ("8e5e406f4007fca908480587cb9893c07090f58d", "v7.0.0"),
}


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


@pytest.fixture(scope="module")
def drift() -> dict[str, Any]:
    return load("drift.yml")


def step(job: dict[str, Any], action: str, **match: Any) -> dict[str, Any]:
    found = [s for s in job["steps"] if str(s.get("uses", "")).startswith(action + "@")]
    found = [s for s in found if all(s.get(k) == v for k, v in match.items())] if match else found
    (one,) = found
    return one


def named(job: dict[str, Any], name: str) -> dict[str, Any]:
    (one,) = [s for s in job["steps"] if s.get("name") == name]
    return one


def runs(job: dict[str, Any]) -> str:
    return "\n".join(s.get("run", "") for s in job["steps"])


def all_jobs():
    for name in FILES:
        for job_name, job in load(name)["jobs"].items():
            yield name, job_name, job


# --- Outside tools: zizmor and the workflow schema -----------------------------------------------


def test_zizmor_finds_nothing_even_pedantic():
    done = subprocess.run(
        [
            str(BIN / "zizmor"),
            "--offline",
            "--persona",
            "pedantic",
            "--no-progress",
            *[str(WORKFLOWS / f) for f in FILES],
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No findings to report" in done.stdout + done.stderr


def test_workflows_are_valid_against_the_github_workflow_schema():
    done = subprocess.run(
        [
            str(BIN / "check-jsonschema"),
            "--builtin-schema",
            "vendor.github-workflows",
            *[str(WORKFLOWS / f) for f in FILES],
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_zizmor_would_catch_an_unpinned_action_and_a_persisted_token(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v5\n"
    )
    done = subprocess.run(
        [str(BIN / "zizmor"), "--offline", "--no-progress", str(bad)], capture_output=True, text=True, check=False
    )
    assert done.returncode != 0
    assert "unpinned-uses" in done.stdout and "artipacked" in done.stdout


# --- Pins, credentials, permissions --------------------------------------------------------------


@pytest.mark.parametrize("name", FILES)
def test_every_action_is_pinned_to_its_release_commit_with_the_version_in_a_comment(name):
    lines = [line.strip() for line in (WORKFLOWS / name).read_text().splitlines() if "uses:" in line]
    assert lines
    for line in lines:
        match = re.fullmatch(r"(?:- )?uses: ([\w.-]+/[\w.-]+)@([0-9a-f]{40}) # (v\d+\.\d+\.\d+)", line)
        assert match, line
        assert PINS[match.group(1)] == (match.group(2), match.group(3)), line


def test_every_checkout_drops_its_token_and_no_job_writes_contents():
    for name, job_name, job in all_jobs():
        for s in job["steps"]:
            if str(s.get("uses", "")).startswith("actions/checkout@"):
                assert s["with"]["persist-credentials"] is False, (name, job_name)
        assert job.get("permissions", {}).get("contents", "read") == "read", (name, job_name)
        assert "write-all" not in str(job.get("permissions", ""))


@pytest.mark.parametrize("name", FILES)
def test_default_permissions_are_read_only(name):
    assert load(name)["permissions"] == {"contents": "read"}


def test_every_run_block_is_valid_bash():
    for name, job_name, job in all_jobs():
        for s in job["steps"]:
            if "run" in s:
                done = subprocess.run(["bash", "-n", "-c", s["run"]], capture_output=True, text=True, check=False)
                assert done.returncode == 0, (name, job_name, s.get("name"), done.stderr)


def test_no_expression_is_expanded_inside_a_run_block():
    # Values reach scripts through env: a stack name or ref in ${{ }} inside `run` is template injection.
    for name, job_name, job in all_jobs():
        for s in job["steps"]:
            assert "${{" not in s.get("run", ""), (name, job_name, s.get("name"))


# --- Matrices from the stack files ---------------------------------------------------------------


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq (on GitHub's runners) is not installed here")
def test_the_stack_list_job_lists_every_stack_file(preview, drift, tmp_path):
    for name in ("acme-prod", "dev", "globex.eu"):
        (tmp_path / f"Pulumi.{name}.yaml").write_text("config: {}\n")
    (tmp_path / "Pulumi.yaml").write_text("name: x\n")
    (tmp_path / "Pulumi.bad$(id).yaml").write_text("config: {}\n")  # never reaches a matrix
    out = tmp_path / "github_output"
    script = named(preview["jobs"]["stacks"], "Stack files")["run"]
    assert script == named(drift["jobs"]["stacks"], "Stack files")["run"]
    env = {**os.environ, "GITHUB_OUTPUT": str(out)}
    subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, env=env, check=True, capture_output=True)
    assert out.read_text().strip() == 'stacks=["acme-prod","dev","globex.eu"]'


def _program_copy(dest: Path) -> None:
    """The program and its tools as in this checkout (uncommitted changes included), no stack file."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "--", "__main__.py", "Pulumi.yaml", "components", "tools"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in listed:
        if (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq (on GitHub's runners) is not installed here")
def test_the_deploy_plan_step_deploys_a_stack_the_push_adds_as_a_first_deploy(deploy, tmp_path):
    # A repository whose push adds Pulumi.acme.yaml (the dev stack under another name, with a
    # maintenance window). The deploy plan job's script, as GitHub runs it, plans the new stack
    # against the push's previous commit, where its file does not exist: a first deploy, which runs
    # at once.
    repo = tmp_path / "repo"
    repo.mkdir()
    _program_copy(repo)
    (repo / "venv").symlink_to(BIN.parent)
    (repo / ".gitignore").write_text("venv\n")

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
            cwd=repo,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip()

    git("init", "-q")
    git("add", "-A")
    git("commit", "-qm", "the program")
    before = git("rev-parse", "HEAD")
    window = '  clickhouse-byoc:maintenanceWindow:\n    day: Tuesday\n    start: "01:00"\n    durationHours: 4\n'
    window += "    timezone: America/Los_Angeles\n"
    stack = (ROOT / "Pulumi.dev.yaml").read_text().replace("deploymentId: dev", "deploymentId: acme") + window
    (repo / "Pulumi.acme.yaml").write_text(stack)
    git("add", "Pulumi.acme.yaml")
    git("commit", "-qm", "add the acme stack")

    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "gh").write_text("#!/bin/sh\n# no deployment recorded yet\nexit 0\n")
    (fake / "gh").chmod(0o755)
    out, summary = tmp_path / "github_output", tmp_path / "summary.md"
    env = {
        **os.environ,
        "PATH": f"{fake}:{os.environ['PATH']}",
        "GH_TOKEN": "unused",
        "REPO": "owner/repo",
        "BEFORE": before,
        "SECURITY_FIX": "",
        "GITHUB_OUTPUT": str(out),
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    script = named(deploy["jobs"]["plan"], "Plan every stack file")["run"]
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    outputs = dict(line.split("=", 1) for line in out.read_text().splitlines())
    assert outputs == {"run": f'[{{"stack":"acme","base":"{before}"}}]', "unplanned": "", "refused": ""}
    (decision,) = json.loads((repo / "dry-run-acme.json").read_text())
    assert decision["decision"] == "run" and decision["reason"].startswith("first deploy:")
    assert decision["window"] and "| acme | run | first deploy:" in summary.read_text()


def test_preview_matrix_is_the_stack_list(preview):
    job = preview["jobs"]["preview"]
    assert job["needs"] == ["stacks", "check"]
    assert job["strategy"]["matrix"]["stack"] == "${{ fromJSON(needs.stacks.outputs.stacks) }}"
    assert preview["jobs"]["stacks"]["outputs"]["stacks"] == "${{ steps.list.outputs.stacks }}"


def test_deploy_matrix_is_what_the_plan_job_says_may_run_now(deploy):
    plan = deploy["jobs"]["plan"]
    assert plan["permissions"] == {"contents": "read", "deployments": "read"}
    script = named(plan, "Plan every stack file")["run"]
    assert "for file in Pulumi.*.yaml" in script and "tools.fleet" in script and "--dry-run --json" in script
    assert (
        "--security-fix" in script
        and "inputs.security-fix" in named(plan, "Plan every stack file")["env"]["SECURITY_FIX"]
    )
    assert named(plan, "Stacks that could not be planned")["if"] == "steps.plan.outputs.unplanned != ''"
    job = deploy["jobs"]["deploy"]
    # The other stacks deploy even when one could not be planned; never after failed tests.
    assert "!cancelled()" in job["if"] and "needs.check.result == 'success'" in job["if"]
    assert job["strategy"]["matrix"]["include"] == "${{ fromJSON(needs.plan.outputs.run) }}"
    assert job["env"] == {"STACK": "${{ matrix.stack }}", "BASE": "${{ matrix.base }}"}


# --- What each workflow does ---------------------------------------------------------------------


def test_preview_runs_on_pull_requests_only(preview):
    assert set(preview["on"]) == {"pull_request"}


def test_preview_check_job_runs_tests_and_policy_check_without_secrets(preview):
    check = preview["jobs"]["check"]
    text = yaml.safe_dump(check)
    assert "secrets." not in text and "id-token" not in text and "permissions" not in check
    assert "./tools/check.sh" in runs(check)
    assert "python -m tools.synth --config-file" in runs(check) and "--no-policy-check" not in runs(check)
    assert "if" not in check  # forks too


def test_preview_job_plans_without_credentials_then_previews_with_oidc(preview):
    job = preview["jobs"]["preview"]
    assert "if" not in job or "head.repo" not in job["if"]  # forks get the plan
    assert job["permissions"] == {"contents": "read", "id-token": "write", "pull-requests": "write"}
    assert job["environment"] == "preview-${{ matrix.stack }}"
    plan = named(job, "Change plan (offline, no credentials)")
    assert 'python -m tools.plan --stack "$STACK" --base "$BASE_SHA" --markdown' in plan["run"]
    assert "GITHUB_STEP_SUMMARY" in plan["run"] and "secrets." not in yaml.safe_dump(plan)
    comment = named(job, "Comment the plan on the pull request")
    assert comment["if"] == "env.SAME_REPO == 'true'"
    assert "issues/$PR/comments" in comment["run"]
    creds = step(job, "aws-actions/configure-aws-credentials")
    pulumi = step(job, "pulumi/actions")
    order = job["steps"]
    assert order.index(plan) < order.index(creds) < order.index(pulumi)
    assert creds["if"] == pulumi["if"] == "env.SAME_REPO == 'true'"
    assert job["env"]["SAME_REPO"] == "${{ github.event.pull_request.head.repo.full_name == github.repository }}"
    assert (
        creds["with"]["role-to-assume"] == "${{ vars.AWS_PREVIEW_ROLE_ARN }}"
        and "aws-access-key-id" not in creds["with"]
    )
    assert pulumi["with"]["command"] == "preview" and pulumi["with"]["policyPacks"] == "policies"
    assert pulumi["with"]["comment-on-pr"] is True and "matrix.stack" in pulumi["with"]["stack-name"]
    verdict = named(job, "Plan verdict")
    assert order.index(verdict) == len(order) - 1 and verdict["if"] == "steps.plan.outputs.exit != '0'"


def test_deploy_runs_the_fleet_runner_behind_an_environment_one_run_per_stack(deploy):
    assert set(deploy["on"]) == {"push", "schedule", "workflow_dispatch"}
    assert deploy["on"]["push"] == {"branches": ["main"]}
    assert deploy["on"]["workflow_dispatch"]["inputs"]["security-fix"]["type"] == "boolean"
    job = deploy["jobs"]["deploy"]
    assert job["needs"] == ["plan", "check"]
    assert job["environment"] == "${{ matrix.stack }}"
    assert job["concurrency"] == {"group": "pulumi-stack-${{ matrix.stack }}", "cancel-in-progress": False}
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    assert (
        step(job, "aws-actions/configure-aws-credentials")["with"]["role-to-assume"]
        == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
    )
    assert "with" not in step(job, "pulumi/actions")  # installs the CLI only
    script = runs(job)
    assert "python -m tools.fleet" in script and 'up --stacks "$STACK"' in script
    assert '--base "$BASE"' in script and "--security-fix" in script
    assert "./tools/check.sh" in runs(deploy["jobs"]["check"])


def test_drift_refreshes_read_only_on_a_schedule(drift):
    assert "schedule" in drift["on"] and "workflow_dispatch" in drift["on"]
    job = drift["jobs"]["drift"]
    assert job["environment"] == "preview-${{ matrix.stack }}"
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    assert (
        step(job, "aws-actions/configure-aws-credentials")["with"]["role-to-assume"]
        == "${{ vars.AWS_PREVIEW_ROLE_ARN }}"
    )
    assert 'refresh --preview-only --stacks "$STACK"' in runs(job)
    assert "GITHUB_STEP_SUMMARY" in runs(job)


def test_preview_and_deploy_assume_different_roles(preview, deploy):
    role = step(preview["jobs"]["preview"], "aws-actions/configure-aws-credentials")["with"]["role-to-assume"]
    deploy_role = step(deploy["jobs"]["deploy"], "aws-actions/configure-aws-credentials")["with"]["role-to-assume"]
    assert "PREVIEW" in role and "DEPLOY" in deploy_role


def test_docs_document_every_variable_and_secret_the_workflows_read():
    section = (ROOT / "docs" / "continuous-delivery.md").read_text()
    names = set()
    for name in FILES:
        names |= set(re.findall(r"\b(?:vars|secrets)\.([A-Z_]+)", (WORKFLOWS / name).read_text()))
    assert names
    for name in sorted(names):
        assert f"`{name}`" in section, name


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq (on GitHub's runners) is not installed here")
def test_deploy_refuses_a_stack_without_its_required_secret_with_an_error_on_the_file(deploy, tmp_path):
    # The wizard's file committed before `pulumi config set --secret clickhouseCloud.externalId`.
    # The plan step runs as written, in a fresh copy of the repository holding only that stack, with
    # a `gh` that finds no deployment; the fleet refuses the stack before planning it.
    from tests.repo_copy import working_copy

    repo = working_copy(tmp_path / "repo")
    (repo / "venv").symlink_to(ROOT / "venv")
    text = (repo / "Pulumi.dev.yaml").read_text()
    start, end = text.index("  clickhouse-byoc:clickhouseCloud:"), text.index("  clickhouse-byoc:bootstrap:")
    (repo / "Pulumi.acme.yaml").write_text(text[:start] + text[end:])
    (repo / "Pulumi.dev.yaml").unlink()
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "gh").write_text("#!/bin/sh\nexit 0\n")
    (fake / "gh").chmod(0o755)
    output, summary = tmp_path / "output", tmp_path / "summary"
    env = {
        **os.environ,
        "PATH": f"{fake}:{os.environ['PATH']}",
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GH_TOKEN": "x",
        "REPO": "acme/byoc",
        "BEFORE": "",
        "SECURITY_FIX": "",
    }
    plan = named(deploy["jobs"]["plan"], "Plan every stack file")
    shell = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"]
    done = subprocess.run([*shell, plan["run"]], cwd=repo, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    (annotation,) = [line for line in done.stdout.splitlines() if line.startswith("::")]
    assert annotation == (
        "::error file=Pulumi.acme.yaml,title=acme cannot be deployed yet::clickhouseCloud.externalId not set in "
        "Pulumi.acme.yaml: `pulumi up` would refuse the stack; set it (`pulumi stack init acme` once, then "
        "`pulumi config set --stack acme --path --secret clickhouseCloud.externalId`, which asks for the value) "
        "and commit the file"
    )
    assert output.read_text().splitlines() == ["run=[]", "unplanned=", "refused=acme"]
    assert "| acme | refused | clickhouseCloud.externalId not set" in summary.read_text()
    # The run ends red, naming the stack; nothing was planned, nothing deploys.
    step = named(deploy["jobs"]["plan"], "Stacks refused for a missing secret")
    assert step["if"] == "steps.plan.outputs.refused != ''"
    done = subprocess.run([*shell, step["run"]], env={**env, "REFUSED": "acme"}, capture_output=True, text=True)
    assert done.returncode == 1 and done.stdout.startswith(
        "::error::not deployed until their required secrets are set: acme"
    )
