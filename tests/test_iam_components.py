"""The IAM components under the mocks: vendor and EKS service roles, secrets, the review export.

Workload (IRSA) roles: tests/test_workload_roles.py."""

from __future__ import annotations

import json

import pytest

from components.k8s_conventions import SERVICE_ACCOUNTS
from tests.conftest import run_offline
from tools import iam_export
from tools.stackconfig import StackConfig

ROLE = "aws:iam/role:Role"
INLINE = "aws:iam/rolePolicy:RolePolicy"
POLICY = "aws:iam/policy:Policy"
ATTACH = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
QUEUE = "arn:aws:sqs:us-west-2:426924874929:byoc-state"
BILLING = "arn:aws:s3:::clickhouse-byoc-billing"
FULL = {
    "clickhouseCloud": json.dumps(
        {"externalId": "byoc-test-3f9a2c71", "stateQueueArn": QUEUE, "billingBucketArn": BILLING}
    ),
    "bootstrap": json.dumps({"kms": True}),
    "troubleshootingAccess": json.dumps({"until": "2099-01-01T00:00:00Z"}),
}


@pytest.fixture(scope="module")
def stack():
    return run_offline(FULL, stack="prod")


def roles_by_name(result) -> dict[str, dict]:
    return {r["inputs"]["name"]: r for r in result.by_type(ROLE)}


def test_worker_and_control_plane_roles_have_only_their_managed_policies(stack):
    worker = [r["inputs"]["policyArn"] for r in stack.by_type(ATTACH) if r["inputs"]["role"].endswith("-k8s-worker")]
    assert sorted(worker) == [
        "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
        "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    ]
    plane = [r["inputs"]["policyArn"] for r in stack.by_type(ATTACH) if r["inputs"]["role"].endswith("-control-plane")]
    assert plane == ["arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"]


def test_stack_roles_names_and_vendor_trust(stack):
    roles = roles_by_name(stack)
    assert set(roles) == {
        "ClickHouse-cloud-prod-management",
        "ClickHouse-cloud-prod-data-plane-mgmt",
        "ClickHouse-cloud-prod-troubleshooting",
        "ClickHouse-cloud-prod-k8s-control-plane",
        "ClickHouse-cloud-prod-k8s-worker",
        # The IRSA roles: the EKS layer's managed add-ons' and the workload_roles layer's.
        *(f"ClickHouse-cloud-prod-{purpose}" for purpose in SERVICE_ACCOUNTS),
        # EventBridge forwards vendor role assumptions from the other Regions (components/vendor_alerts.py).
        "ClickHouse-cloud-prod-vendor-access-forward",
    }
    for name in ("management", "data-plane-mgmt"):
        trust = json.loads(roles[f"ClickHouse-cloud-prod-{name}"]["inputs"]["assumeRolePolicy"])
        assert trust["Statement"][0]["Condition"]["StringEquals"] == {"sts:ExternalId": "byoc-test-3f9a2c71"}
        assert "DateLessThan" not in trust["Statement"][0]["Condition"]
    box = json.loads(roles["ClickHouse-cloud-prod-troubleshooting"]["inputs"]["assumeRolePolicy"])
    assert box["Statement"][0]["Condition"]["DateLessThan"] == {"aws:CurrentTime": "2099-01-01T00:00:00Z"}
    assert roles["ClickHouse-cloud-prod-management"]["inputs"]["maxSessionDuration"] == 3600


def test_bootstrap_policies_attached_and_boundary_created(stack):
    policies = {r["inputs"]["name"]: r for r in stack.by_type(POLICY)}
    assert set(policies) == {
        "ClickHouse-cloud-prod-boundary",
        *(f"ClickHouse-cloud-prod-management-{s}" for s in ("network", "eks", "iam", "storage", "guardrails")),
    }
    attached = {r["inputs"]["policyArn"] for r in stack.by_type(ATTACH) if r["inputs"]["role"].endswith("-management")}
    assert attached == {
        f"arn:aws:iam::123456789012:policy/{n}" for n in policies if n != "ClickHouse-cloud-prod-boundary"
    }
    boundary = json.loads(policies["ClickHouse-cloud-prod-boundary"]["inputs"]["policy"])
    assert any(s["Sid"] == "VendorStateQueue" for s in boundary["Statement"])
    storage = json.loads(policies["ClickHouse-cloud-prod-management-storage"]["inputs"]["policy"])
    zone = next(s for s in storage["Statement"] if s["Sid"] == "Route53RecordsInDeploymentZone")
    assert zone["Resource"] == ["arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ"]


def test_revoked_mode_attaches_only_the_deny():
    result = run_offline({"bootstrap": '{"mode": "revoked"}'}, stack="prod")
    mgmt = [r for r in result.by_type(POLICY) if "-management-" in r["inputs"]["name"]]
    assert [r["inputs"]["name"] for r in mgmt] == ["ClickHouse-cloud-prod-management-revoked"]
    doc = json.loads(mgmt[0]["inputs"]["policy"])
    assert doc["Statement"] == [{"Sid": "DenyEverything", "Effect": "Deny", "Action": ["*"], "Resource": "*"}]
    assert not [r for r in result.by_type(ROLE) if r["inputs"]["name"].endswith("-troubleshooting")]


def test_secret_external_id_stays_secret_and_export_masks_it(tmp_path):
    values = {"clickhouseCloud": '{"externalId": "very-secret-id-42"}'}
    result = run_offline(values, stack="prod", secret_keys=frozenset({"clickhouse-byoc:clickhouseCloud"}))
    roles = roles_by_name(result)
    assert roles["ClickHouse-cloud-prod-management"]["inputs"]["assumeRolePolicy"] == "[secret]"
    assert roles["ClickHouse-cloud-prod-data-plane-mgmt"]["inputs"]["assumeRolePolicy"] == "[secret]"
    assert "very-secret-id-42" not in json.dumps(result.resources)

    from tests.conftest import raw_config

    cfg = StackConfig("clickhouse-byoc", "prod", raw_config(values), frozenset({"clickhouse-byoc:clickhouseCloud"}), ())
    folder = iam_export.write(result, cfg, tmp_path)
    trust = json.loads((folder / "ClickHouse-cloud-prod-management.trust.json").read_text())
    assert trust["Statement"][0]["Condition"] == {
        "StringEquals": {"sts:ExternalId": iam_export.EXTERNAL_ID_MASK},
        "StringLike": {"aws:PrincipalArn": "arn:aws:iam::426924874929:role/*-CrossplaneWorkloadRole"},
    }
    names = sorted(p.name for p in folder.iterdir())
    assert "ClickHouse-cloud-prod-boundary.json" in names
    assert "ClickHouse-cloud-prod-data-plane-mgmt.data-plane-mgmt.json" in names
    assert json.loads((folder / "ClickHouse-cloud-prod-k8s-worker.attached.json").read_text()) == [
        "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
        "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    ]
    assert not any("very-secret-id-42" in p.read_text() for p in folder.iterdir())


def test_export_rebuilds_time_boxed_trust(stack, tmp_path):
    records = json.loads(json.dumps(stack.resources))
    for r in records:
        if r["type"] == ROLE and r["inputs"]["name"].endswith("-troubleshooting"):
            r["inputs"]["assumeRolePolicy"] = "[secret]"
    from components.settings import parse
    from tests.conftest import raw_config

    files = iam_export.documents(records, parse(raw_config(FULL), "prod"))
    cond = files["ClickHouse-cloud-prod-troubleshooting.trust.json"]["Statement"][0]["Condition"]
    assert cond["DateLessThan"] == {"aws:CurrentTime": "2099-01-01T00:00:00Z"}
    assert cond["StringEquals"] == {"sts:ExternalId": iam_export.EXTERNAL_ID_MASK}


def test_every_program_role_carries_the_purpose_tag_the_guardrail_keys_on(stack):
    roles = stack.by_type(ROLE)
    assert len(roles) > 12
    for role in roles:
        purpose = role["inputs"]["tags"]["clickhouse-byoc/purpose"]
        assert role["inputs"]["name"].endswith(purpose), role["inputs"]["name"]


def test_synth_of_dev_writes_the_masked_review_export(tmp_path, capsys):
    from tools import synth

    assert synth.main(["--stack", "dev", "--out", str(tmp_path)]) == 0
    assert "IAM documents for review" in capsys.readouterr().out
    records = json.loads((tmp_path / "resources.json").read_text())
    management = next(r for r in records if r["type"] == ROLE and r["inputs"]["name"].endswith("-management"))
    assert management["inputs"]["assumeRolePolicy"] == "[secret]"  # dev's external id is a secure value
    trust = json.loads((tmp_path / "iam" / "ClickHouse-cloud-dev-management.trust.json").read_text())
    assert trust["Statement"][0]["Condition"]["StringEquals"] == {"sts:ExternalId": iam_export.EXTERNAL_ID_MASK}
    exported = {p.name for p in (tmp_path / "iam").iterdir()}
    iam_records = [r for r in records if r["type"] in (ROLE, INLINE, POLICY)]
    assert len(exported) == len(iam_records) + len(
        [r for r in records if r["type"] == ROLE]
    )  # plus one attached.json per role
