"""The new-stack wizard: non-interactive flags, a scripted interactive run, and each refusal."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
import yaml

from components.settings import parse
from tests.conftest import ROOT
from tools import new_stack, stackconfig, stackyaml

ACCOUNT = "123456789012"  # Pulumi.dev.yaml's account: deploymentId dev, vpcCidr 10.0.0.0/22


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path)
    shutil.copy(ROOT / "Pulumi.dev.yaml", tmp_path)
    # Another account's stack with a peering: its VPC may overlap ours, its peering may not.
    other = {
        "aws:region": "eu-west-1",
        "clickhouse-byoc:accountId": "210987654321",
        "clickhouse-byoc:deploymentId": "globex",
        "clickhouse-byoc:vpcCidr": "10.0.4.0/22",
        "clickhouse-byoc:peerings": [{"name": "warehouse", "cidr": "10.0.8.0/21"}],
    }
    (tmp_path / "Pulumi.globex.yaml").write_text(yaml.safe_dump({"config": other}))
    return tmp_path


FLAGS = ["--non-interactive", "--stack", "acme-prod", "--account", ACCOUNT, "--region", "us-east-1",
         "--deployment-id", "acme-prod", "--zone-name", "byoc.acme.example"]  # fmt: skip


def wizard(repo: Path, argv: list[str], answers: list[str] | None = None) -> tuple[int, str]:
    out = io.StringIO()
    feed = iter(answers or [])

    def read(prompt: str) -> str:
        out.write(prompt)
        try:
            return next(feed)
        except StopIteration:
            raise EOFError from None

    return new_stack.main(argv, read=read, out=out, root=repo), out.getvalue()


def written(repo: Path, stack: str) -> dict:
    """The written file's config as the Pulumi CLI reads it (objects decoded)."""
    values = stackyaml.read_stack(repo / f"Pulumi.{stack}.yaml", "clickhouse-byoc")
    return {k: json.loads(v.text) if v.object else v.text for k, v in values.items()}


def test_non_interactive_writes_a_valid_stack_with_secure_defaults(repo):
    code, out = wizard(repo, FLAGS)
    assert code == 0, out
    assert "synth: " in out and "policy check: 0 mandatory" in out and "wrote Pulumi.acme-prod.yaml" in out
    config = written(repo, "acme-prod")
    # 10.0.0.0/22 is dev's (same account); 10.0.4.0/22 belongs to another account: free for us,
    # but 10.0.8.0/21 is a peering in the repository.
    assert config["clickhouse-byoc:vpcCidr"] == "10.0.4.0/22"
    assert config["clickhouse-byoc:availabilityZones"] == ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert config["clickhouse-byoc:dns"] == {"zoneName": "byoc.acme.example", "createZone": True}
    assert config["clickhouse-byoc:clusterEndpoint"] == {"public": False}  # no API CIDR given: private only
    assert config["clickhouse-byoc:publicEndpoint"] == {"enabled": False}  # no client CIDR: no public endpoint
    assert "externalId" not in json.dumps(config)  # the secret is never written in clear
    assert "--secret clickhouseCloud.externalId" in (repo / "Pulumi.acme-prod.yaml").read_text()
    # The file is what the program accepts once the external id is set.
    cfg = stackconfig.load(repo / "Pulumi.acme-prod.yaml", project_file=repo / "Pulumi.yaml")
    raw = {**cfg.raw, "clickhouse-byoc:clickhouseCloud": '{"externalId": "byoc-test-3f9a2c71"}'}
    settings = parse(raw, "acme-prod")
    assert settings.region == "us-east-1" and settings.deployment_id == "acme-prod"


def test_proposal_skips_the_accounts_ranges_and_every_peering(repo):
    stacks = new_stack.existing_stacks(repo)
    assert new_stack.propose_vpc_cidr(ACCOUNT, stacks) == "10.0.4.0/22"
    # For globex's account its own VPC (10.0.4.0/22) and the peering (10.0.8.0/21) are taken.
    assert new_stack.propose_vpc_cidr("210987654321", stacks) == "10.0.0.0/22"
    (repo / "Pulumi.dev.yaml").unlink()
    assert new_stack.propose_vpc_cidr("210987654321", new_stack.existing_stacks(repo)) == "10.0.0.0/22"


@pytest.mark.parametrize(
    ("deployment_id", "message"),
    [
        ("dev", "is the id of stack dev (dev) in account 123456789012"),
        ("de", "not a deployment id"),  # too short to be an id at all
        ("dev-eu", "starts with the id of stack dev (dev)"),
    ],
)
def test_deployment_id_clashing_with_another_stack_of_the_account_is_refused(repo, deployment_id, message):
    code, out = wizard(repo, [*FLAGS, "--deployment-id", deployment_id])
    assert code == 2 and message in out
    assert not (repo / "Pulumi.acme-prod.yaml").exists()


def test_deployment_id_that_is_a_prefix_of_another_is_refused():
    stacks = [new_stack.Existing("acme-eu", ACCOUNT, "acme-eu", (), ())]
    problem = new_stack.deployment_id_problem("acme", ACCOUNT, stacks)
    assert problem and problem.startswith("is a prefix of the id of stack acme-eu (acme-eu)")
    assert new_stack.deployment_id_problem("acme", "999999999999", stacks) is None  # another account


def test_the_same_id_in_another_account_is_fine(repo):
    stacks = new_stack.existing_stacks(repo)
    assert new_stack.deployment_id_problem("globex", ACCOUNT, stacks) is None
    assert new_stack.deployment_id_problem("globex", "210987654321", stacks).startswith("is the id of stack globex")


@pytest.mark.parametrize(
    ("cidr", "message"),
    [
        ("10.0.0.0/16", "overlaps stack dev's vpcCidr 10.0.0.0/22"),
        ("10.0.12.0/22", "overlaps stack globex's peering warehouse 10.0.8.0/21"),
        ("10.0.0.0/25", "smaller than /23"),
    ],
)
def test_vpc_cidr_overlapping_the_account_or_a_peering_is_refused_naming_the_conflict(repo, cidr, message):
    code, out = wizard(repo, [*FLAGS, "--vpc-cidr", cidr])
    assert code == 2 and f"--vpc-cidr: {cidr}: " in out and message in out
    assert not (repo / "Pulumi.acme-prod.yaml").exists()


def test_unsupported_region_bad_zones_and_existing_file_are_refused(repo):
    code, out = wizard(repo, [*FLAGS, "--region", "mars-north-1"])
    assert code == 2 and "--region: mars-north-1: not a supported region" in out
    code, out = wizard(repo, [*FLAGS, "--zones", "us-east-1a", "us-east-1a", "us-west-2c"])
    assert code == 2 and "give exactly 3 distinct zones of us-east-1" in out
    code, out = wizard(repo, [*FLAGS, "--stack", "dev"])
    assert code == 2 and "Pulumi.dev.yaml exists already" in out


def test_settings_validation_runs_before_writing(repo):
    # 0.0.0.0/0 for the API is something only the program's settings refuse (it needs an explicit opt-in).
    code, out = wizard(repo, [*FLAGS, "--api-cidr", "0.0.0.0/0"])
    assert code == 2 and "clickhouse-byoc:clusterEndpoint.publicCidrs[0]: 0.0.0.0/0: opens the Kubernetes API" in out
    assert not (repo / "Pulumi.acme-prod.yaml").exists()


def test_scripted_interactive_run_asks_again_until_valid_and_offers_defaults(repo):
    answers = [
        "acme-prod",  # stack
        "1234",  # account: refused, asked again
        ACCOUNT,
        "",  # region: default us-west-2
        "dev",  # deployment id: dev's, refused
        "",  # default derived from the stack name: acme-prod
        "10.0.0.0/22",  # dev's range: refused
        "",  # the proposal
        "",  # zones: default
        "byoc.acme.example",
        "Z0123456789ABCDEFGHIJ",  # an existing zone
        "198.51.100.0/24",  # API
        "203.0.113.0/24, 192.0.2.0/24",  # clients
        "analytics",
    ]
    code, out = wizard(repo, [], answers)
    assert code == 0, out
    assert "1234: not a 12-digit AWS account id" in out
    assert "dev: is the id of stack dev" in out
    assert "Deployment id [acme-prod]: " in out and "VPC CIDR [10.0.4.0/22]: " in out
    assert "10.0.0.0/22: overlaps stack dev's vpcCidr" in out
    config = written(repo, "acme-prod")
    assert config["aws:region"] == "us-west-2" and config["clickhouse-byoc:deploymentId"] == "acme-prod"
    assert config["clickhouse-byoc:availabilityZones"] == ["us-west-2a", "us-west-2b", "us-west-2c"]
    assert config["clickhouse-byoc:dns"] == {"zoneName": "byoc.acme.example", "hostedZoneId": "Z0123456789ABCDEFGHIJ"}
    assert config["clickhouse-byoc:ipAllowList"] == ["203.0.113.0/24", "192.0.2.0/24"]
    assert config["clickhouse-byoc:services"] == [{"name": "analytics"}]


def test_interactive_run_ended_early_writes_nothing(repo):
    code, out = wizard(repo, [], ["acme-prod"])
    assert code == 2 and "nothing written" in out
    assert not (repo / "Pulumi.acme-prod.yaml").exists()


def test_flags_given_without_non_interactive_are_the_proposed_answers(repo):
    # Before, flags without --non-interactive were silently ignored and every question asked blank.
    answers = ["", "", "", "", "", "", "byoc.acme.example", "", "", "", ""]
    code, out = wizard(repo, ["--stack", "acme-prod", "--account", ACCOUNT, "--region", "eu-west-1"], answers)
    assert code == 0, out
    assert (
        "Stack name [acme-prod]: " in out and f"AWS account id [{ACCOUNT}]: " in out and "Region [eu-west-1]: " in out
    )
    config = written(repo, "acme-prod")
    assert config["aws:region"] == "eu-west-1" and config["clickhouse-byoc:accountId"] == ACCOUNT


def test_the_next_steps_are_commands_to_paste_from_the_repository_root(repo):
    code, out = wizard(repo, FLAGS)
    assert code == 0, out
    steps = out.split("next, from the repository root:\n", 1)[1].split("\nthen ", 1)[0].splitlines()
    assert [s.split("#")[0].strip() for s in steps] == [
        "venv/bin/python -m tools.preflight --stack acme-prod",
        "venv/bin/python -m tools.cost --stack acme-prod",
        "venv/bin/python -m tools.plan --stack acme-prod --first-deploy",
        "pulumi stack init acme-prod",
        "pulumi config set --stack acme-prod --path --secret clickhouseCloud.externalId",
        "pulumi config set --stack acme-prod --path --secret alerting.vendorWebhook",
    ]
    assert "<" not in out.split("next, from", 1)[1]  # no <placeholder> the shell reads as a redirect
