"""The IAM components under the mocks: roles, names, attachments, secrets, the review export."""

from __future__ import annotations

import json

import pytest

from components.iam import AddonRoles, AddonRolesArgs
from components.k8s_conventions import SERVICE_ACCOUNTS
from components.naming import Names
from tests.conftest import run_offline
from tools import iam_export
from tools.stackconfig import StackConfig

ROLE = "aws:iam/role:Role"
INLINE = "aws:iam/rolePolicy:RolePolicy"
POLICY = "aws:iam/policy:Policy"
ATTACH = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
NAMES = Names("t", "123456789012")
OIDC_HOST = "oidc.eks.us-west-2.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
OIDC_ARN = f"arn:aws:iam::123456789012:oidc-provider/{OIDC_HOST}"
ZONE = "arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ"
QUEUE = "arn:aws:sqs:us-west-2:426924874929:byoc-state"
BILLING = "arn:aws:s3:::clickhouse-byoc-billing"
FULL = {
    "clickhouseCloud": json.dumps(
        {"externalId": "byoc-test-3f9a2c71", "stateQueueArn": QUEUE, "billingBucketArn": BILLING}
    ),
    "bootstrap": json.dumps({"kms": True}),
    "troubleshootingAccess": json.dumps({"until": "2099-01-01T00:00:00Z"}),
}


def addon_args(**over) -> AddonRolesArgs:
    values = {
        "names": NAMES,
        "oidc_provider_arn": OIDC_ARN,
        "oidc_issuer": OIDC_HOST,
        "zone_arn": ZONE,
        "cluster_name": NAMES.cluster,
        "vpc_arn": "arn:aws:ec2:us-west-2:123456789012:vpc/vpc-0123456789abcdef0",
        "data_bucket_arn": f"arn:aws:s3:::{NAMES.bucket('data')}",
        "backup_bucket_arn": f"arn:aws:s3:::{NAMES.bucket('backup')}",
        "monitoring_bucket_arn": f"arn:aws:s3:::{NAMES.bucket('monitoring')}",
        "kms_key_arn": "arn:aws:kms:us-west-2:123456789012:key/0000-1111",
        "state_queue_arn": QUEUE,
        "billing_bucket_arn": BILLING,
        "billing_prefix": "123456789012/t",
        "clickhouse_services": ("analytics",),
    }
    return AddonRolesArgs(**{**values, **over})


def run_addons(**over):
    captured: dict[str, str] = {}

    def program():
        roles = AddonRoles("ClickHouse-cloud-t-addons", addon_args(**over))
        roles.role_arns.apply(captured.update)

    return run_offline(program=program), captured


@pytest.fixture(scope="module")
def addons():
    return run_addons()


@pytest.fixture(scope="module")
def stack():
    return run_offline(FULL, stack="prod")


def roles_by_name(result) -> dict[str, dict]:
    return {r["inputs"]["name"]: r for r in result.by_type(ROLE)}


def test_every_service_account_gets_its_role(addons):
    result, arns = addons
    roles = roles_by_name(result)
    for purpose, (namespace, account) in SERVICE_ACCOUNTS.items():
        role = roles[f"ClickHouse-cloud-t-{purpose}"]
        trust = json.loads(role["inputs"]["assumeRolePolicy"])
        cond = trust["Statement"][0]["Condition"]["StringEquals"]
        assert cond[f"{OIDC_HOST}:sub"] == f"system:serviceaccount:{namespace}:{account}"
        assert cond[f"{OIDC_HOST}:aud"] == "sts.amazonaws.com"
        assert trust["Statement"][0]["Principal"] == {"Federated": OIDC_ARN}
        assert arns[purpose] == f"arn:aws:iam::123456789012:role/ClickHouse-cloud-t-{purpose}"
    server = json.loads(roles["ClickHouse-cloud-t-clickhouse-analytics"]["inputs"]["assumeRolePolicy"])
    assert server["Statement"][0]["Condition"]["StringEquals"][f"{OIDC_HOST}:sub"] == (
        "system:serviceaccount:clickhouse:clickhouse-analytics"
    )


def test_inline_policies_are_the_documents(addons):
    result, _ = addons
    inline = {r["inputs"]["role"]: json.loads(r["inputs"]["policy"]) for r in result.by_type(INLINE)}
    dns = inline["ClickHouse-cloud-t-external-dns"]["Statement"][0]
    assert dns["Action"] == ["route53:ChangeResourceRecordSets"] and dns["Resource"] == [ZONE]
    ebs = {s["Sid"]: s for s in inline["ClickHouse-cloud-t-ebs-csi"]["Statement"]}
    assert ebs["GrantsForEbsOnly"]["Resource"] == ["arn:aws:kms:us-west-2:123456789012:key/0000-1111"]
    assert inline["ClickHouse-cloud-t-state-exporter"]["Statement"][0]["Resource"] == [QUEUE]
    assert inline["ClickHouse-cloud-t-billing-scraper"]["Statement"][0]["Resource"] == [f"{BILLING}/123456789012/t/*"]
    server = {s["Sid"]: s for s in inline["ClickHouse-cloud-t-clickhouse-analytics"]["Statement"]}
    assert server["ClickHouseReadWriteObjects"]["Resource"][0].endswith("-data-123456789012/analytics/*")
    assert "ClickHouse-cloud-t-vpc-cni" not in inline


def test_cni_policy_is_on_aws_node_role_only(addons, stack):
    result, _ = addons
    (cni,) = [r for r in result.by_type(ATTACH) if r["inputs"]["policyArn"].endswith("AmazonEKS_CNI_Policy")]
    assert cni["inputs"]["role"] == "ClickHouse-cloud-t-vpc-cni"
    worker = [r["inputs"]["policyArn"] for r in stack.by_type(ATTACH) if r["inputs"]["role"].endswith("-k8s-worker")]
    assert sorted(worker) == [
        "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
        "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    ]
    plane = [r["inputs"]["policyArn"] for r in stack.by_type(ATTACH) if r["inputs"]["role"].endswith("-control-plane")]
    assert plane == ["arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"]


def test_optional_vendor_roles_absent_without_config():
    result, arns = run_addons(state_queue_arn=None, billing_bucket_arn=None, clickhouse_services=(), kms_key_arn=None)
    assert set(arns) == set(SERVICE_ACCOUNTS) - {"state-exporter", "billing-scraper"}
    ebs = next(r for r in result.by_type(INLINE) if r["inputs"]["role"].endswith("-ebs-csi"))
    assert "kms:" not in ebs["inputs"]["policy"]


def test_stack_roles_names_and_vendor_trust(stack):
    roles = roles_by_name(stack)
    assert set(roles) == {
        "ClickHouse-cloud-prod-management",
        "ClickHouse-cloud-prod-data-plane-mgmt",
        "ClickHouse-cloud-prod-troubleshooting",
        "ClickHouse-cloud-prod-k8s-control-plane",
        "ClickHouse-cloud-prod-k8s-worker",
        # The workloads' IRSA roles, created by the EKS layer once the OIDC provider exists.
        *(f"ClickHouse-cloud-prod-{purpose}" for purpose in SERVICE_ACCOUNTS),
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


def test_every_program_role_carries_the_purpose_tag_the_guardrail_keys_on(addons, stack):
    roles = [*addons[0].by_type(ROLE), *stack.by_type(ROLE)]
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
