"""Every bootstrap mode and profile, and a bootstrap-only stack, synthesize with 0 mandatory policy
violations; `revoked` leaves the vendor nothing; CMEK reaches the service roles, the nodes' root
volumes and the key policy."""

from __future__ import annotations

import json

import pytest

from components import iam_policies as docs
from components.keys import autoscaling_service_role, key_policy
from tests.conftest import run_offline
from tests.iam_eval import ALLOW, IMPLICIT, decide
from tools import policy_check

ACCOUNT = "123456789012"


def run(**bootstrap):
    extra = bootstrap.pop("config", {})
    return run_offline({"bootstrap": json.dumps(bootstrap), **extra})


def mandatory(result) -> list[str]:
    return [r.line() for r in policy_check.run(result.resources) if r.level == "mandatory" and r.checked]


def of_type(result, typ: str) -> list[dict]:
    return [r for r in result.resources if r["type"] == typ]


def names(result, typ: str) -> set[str]:
    return {r["inputs"].get("name") for r in of_type(result, typ)}


@pytest.fixture(scope="module")
def revoked():
    return run(mode="revoked")


def test_revoked_passes_the_pack_and_leaves_the_vendor_nothing(revoked):
    """Finding 5: the synth used to exit 1 (the unreferenced boundary read as an admin wildcard),
    and the data-plane-mgmt role kept edit rights in four namespaces through its access entry."""
    assert mandatory(revoked) == []
    roles = names(revoked, "aws:iam/role:Role")
    assert "ClickHouse-cloud-test-management" in roles
    assert not {"ClickHouse-cloud-test-data-plane-mgmt", "ClickHouse-cloud-test-troubleshooting"} & roles
    (cluster,) = of_type(revoked, "eks:index:Cluster")
    assert cluster["inputs"].get("accessEntries") in (None, {})
    (policy,) = [p for p in of_type(revoked, "aws:iam/policy:Policy") if "management" in p["inputs"]["name"]]
    assert json.loads(policy["inputs"]["policy"])["Statement"] == [
        {"Sid": "DenyEverything", "Effect": "Deny", "Action": ["*"], "Resource": "*"}
    ]
    # The boundary stays (going back is one config change), recognized as a boundary by the pack.
    assert "ClickHouse-cloud-test-boundary" in names(revoked, "aws:iam/policy:Policy")


def test_revoked_with_troubleshooting_configured_creates_no_troubleshooting_role():
    result = run(mode="revoked", config={"troubleshootingAccess": '{"until": "2099-01-01T00:00:00Z"}'})
    assert "ClickHouse-cloud-test-troubleshooting" not in names(result, "aws:iam/role:Role")
    assert mandatory(result) == []


def test_operate_with_cmek_passes_the_pack_and_uses_the_key_everywhere():
    result = run(mode="operate", config={"kms": '{"customerManagedKey": true}'})
    assert mandatory(result) == []
    # Finding 4: root volumes use the data key (launch template), the EBS CSI driver tags for the deployment.
    for lt in of_type(result, "aws:ec2/launchTemplate:LaunchTemplate"):
        (mapping,) = lt["inputs"]["blockDeviceMappings"]
        assert mapping["ebs"]["kmsKeyId"].startswith("arn:aws:kms:")
        assert mapping["ebs"]["encrypted"] == "true"
    (data_key,) = [k for k in of_type(result, "aws:kms/key:Key") if "data" in k["inputs"]["description"]]
    policy = json.loads(data_key["inputs"]["policy"])
    sids = {s["Sid"] for s in policy["Statement"]}
    assert {"AutoScalingEncryptsNodeVolumes", "AutoScalingGrantsForAwsResources"} <= sids
    (addon,) = [a for a in of_type(result, "aws:eks/addon:Addon") if a["inputs"]["addonName"] == "aws-ebs-csi-driver"]
    config = json.loads(addon["inputs"]["configurationValues"])
    assert config["controller"]["extraVolumeTags"]["clickhouse-byoc/deployment"] == "test"
    # The service roles and Thanos can use the key, through S3 only.
    inline = {
        r["inputs"]["role"]: json.loads(r["inputs"]["policy"]) for r in of_type(result, "aws:iam/rolePolicy:RolePolicy")
    }
    for role in ("ClickHouse-cloud-test-thanos",):
        sids = {s["Sid"] for s in inline[role]["Statement"]}
        assert "ThanosUseDataKeyThroughS3" in sids


def test_without_cmek_root_volumes_use_the_default_key():
    result = run_offline({})
    for lt in of_type(result, "aws:ec2/launchTemplate:LaunchTemplate"):
        (mapping,) = lt["inputs"]["blockDeviceMappings"]
        assert "kmsKeyId" not in mapping["ebs"] and mapping["ebs"]["encrypted"] == "true"


def test_service_and_thanos_roles_decrypt_only_through_s3():
    key = f"arn:aws:kms:us-west-2:{ACCOUNT}:key/0000"
    bucket = "arn:aws:s3:::clickhouse-cloud-test-data-123456789012"
    for doc in (
        docs.clickhouse_server_policy(bucket, bucket.replace("data", "backup"), "analytics", key),
        docs.thanos_policy(bucket.replace("data", "monitoring"), key),
    ):
        via = {"kms:ViaService": "s3.us-west-2.amazonaws.com"}
        for action in ("kms:Decrypt", "kms:GenerateDataKey"):
            assert decide([doc], action, key, via) == ALLOW
            assert decide([doc], action, key, {}) == IMPLICIT
            assert decide([doc], action, key, {"kms:ViaService": "ec2.us-west-2.amazonaws.com"}) == IMPLICIT
        assert decide([doc], "kms:Decrypt", key.replace("0000", "1111"), via) == IMPLICIT
    # Without CMEK (SSE-S3 buckets) no KMS permission at all.
    assert not any(s["Sid"].endswith("UseDataKeyThroughS3") for s in docs.thanos_policy(bucket)["Statement"])


def test_key_policy_admits_the_auto_scaling_service_linked_role():
    full = key_policy(ACCOUNT, node_volumes=True)
    # A service-linked role's permissions cannot be extended through IAM: only statements naming it count.
    policy = {**full, "Statement": [s for s in full["Statement"] if s["Principal"] == {"AWS": "*"}]}
    slr = {"aws:PrincipalArn": autoscaling_service_role(ACCOUNT)}
    for action in (
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:ReEncryptFrom",
        "kms:GenerateDataKeyWithoutPlaintext",
        "kms:DescribeKey",
    ):
        assert decide([policy], action, "*", slr) == ALLOW
    assert decide([policy], "kms:CreateGrant", "*", {**slr, "kms:GrantIsForAWSResource": "true"}) == ALLOW
    assert decide([policy], "kms:CreateGrant", "*", slr) == IMPLICIT
    stranger = {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/someone"}
    assert decide([policy], "kms:Decrypt", "*", stranger) == IMPLICIT
    # The secrets key (EKS envelope encryption) encrypts no volumes.
    assert [s["Sid"] for s in key_policy(ACCOUNT)["Statement"]] == ["AccountAdministersTheKeyThroughIam"]


def test_clickhouse_cloud_profile_passes_the_pack_with_the_vendors_role_name():
    result = run(profile="clickhouse-cloud", roleName="ClickHouseManagementRole")
    assert mandatory(result) == []
    # The boundary stays (switching profiles never deletes a policy roles may carry as their
    # boundary), referenced by nothing, recognized by the pack for what it is.
    assert "ClickHouse-cloud-test-boundary" in names(result, "aws:iam/policy:Policy")
    assert "ClickHouseManagementRole" in names(result, "aws:iam/role:Role")
    policies = names(result, "aws:iam/policy:Policy")
    assert {"ClickHouse-cloud-test-management-eks", "ClickHouse-cloud-test-management-iam-base"} <= policies


def test_any_valid_role_name_passes_the_prefix_rule():
    """Finding 6: `bootstrap.roleName: ClickHouseManagementRole`, documented, failed the prefix rule."""
    result = run(roleName="ClickHouseManagementRole")
    assert mandatory(result) == []


@pytest.mark.parametrize("profile", ["scoped", "clickhouse-cloud"])
def test_bootstrap_only_creates_the_role_and_its_boundary(profile):
    result = run(only=True, profile=profile)
    assert mandatory(result) == []
    # Besides the audit of the vendor's sessions (the trail, the alerts: tests/test_audit.py).
    own = [r for r in result.resources if "clickhouse-byoc:audit:" not in r["urn"]]
    aws = {r["type"] for r in own if r["type"].startswith("aws:")}
    assert aws == {"aws:iam/role:Role", "aws:iam/policy:Policy", "aws:iam/rolePolicyAttachment:RolePolicyAttachment"}
    assert {r["inputs"]["name"] for r in own if r["type"] == "aws:iam/role:Role"} == {
        "ClickHouse-cloud-test-management"
    }
    assert "ClickHouse-cloud-test-boundary" in names(result, "aws:iam/policy:Policy")
    assert not [r for r in result.resources if r["type"].startswith(("kubernetes:", "eks:"))]
