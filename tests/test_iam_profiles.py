"""`bootstrap.profile: clickhouse-cloud` grants what ClickHouse's published AWS onboarding grants.

The reference is the vendored transcription of `modules/aws/main.tf` of
`ClickHouse/byoc-gcp-onboarding` (tests/upstream/iam/SOURCES.md). The comparison is both ways,
statement by statement (Sids aside): the profile grants nothing the module does not, and all it
does, with each of the module's toggles attaching the same policies.
"""

from __future__ import annotations

import json

import pytest

from components import iam_policies as docs
from components.settings import parse
from tests.conftest import ROOT, raw_config, run_offline
from tests.iam_eval import ALLOW, decide
from tests.iam_fixtures import SCOPE
from tools import iam_export

REFERENCE = json.loads((ROOT / "tests" / "upstream" / "iam" / "clickhouse-byoc-onboarding-aws.json").read_text())
# The module's policy names -> this profile's policy suffixes.
SUFFIX = {
    "BasePolicy": "base",
    "ClickHouse-IAM-Base-Policy": "iam-base",
    "ClickHouse-IAM-Extended-Policy": "iam-write",
    "ClickHouse-S3-Policy": "s3",
    "ClickHouse-EKS-Policy": "eks",
    "KMSPolicy": "kms",
    "ClickHouse-EC2-Policy": "ec2",
    "ClickHouse-VPCWrite-Policy": "vpc-write",
    "ClickHouse-VPCPrivateLink-Policy": "privatelink",
    "ClickHouse-VPCLattice-Policy": "lattice",
    "ClickHouse-CloudWatch-Policy": "cloudwatch",
}
TOGGLE = {
    "include_iam_write_permissions": "iam_write",
    "include_vpc_write_permissions": "vpc_write",
    "include_kms_permissions": "kms",
}


def normalized(doc: dict) -> list[str]:
    out = []
    for st in doc["Statement"]:
        st = {k: v for k, v in st.items() if k != "Sid"}
        st["Action"] = sorted(st["Action"] if isinstance(st["Action"], list) else [st["Action"]])
        out.append(json.dumps(st, sort_keys=True))
    return sorted(out)


def access(**toggles) -> docs.BootstrapAccess:
    return docs.BootstrapAccess(profile="clickhouse-cloud", **toggles)


@pytest.mark.parametrize("toggles", [{}, {"iam_write": False}, {"vpc_write": False}, {"kms": True}])
def test_profile_is_the_vendors_module_both_ways(toggles):
    ours = docs.bootstrap_policies(SCOPE, access(**toggles))
    settings = {"iam_write": True, "vpc_write": True, "kms": False, **toggles}
    expected = {
        SUFFIX[name]: p["document"]
        for name, p in REFERENCE["policies"].items()
        if p["attached"] in ("always", "inline") or settings[TOGGLE[p["attached"]]]
    }
    assert set(ours) == set(expected)
    for suffix, doc in expected.items():
        assert normalized(ours[suffix]) == normalized(doc), suffix


def test_profile_keeps_pod_identity_pass_role_and_no_boundary_requirement():
    ours = list(docs.bootstrap_policies(SCOPE, access()).values())
    thanos = "arn:aws:iam::123456789012:role/acme-thanos"
    pods = {"iam:PassedToService": "pods.eks.amazonaws.com"}
    assert decide(ours, "iam:PassRole", thanos, pods) == ALLOW
    assert decide(ours, "iam:PassRole", thanos, {"iam:PassedToService": "ec2.amazonaws.com"}) != ALLOW
    # The vendor's controller sets no boundary: creating a role needs only the tag.
    role = "arn:aws:iam::123456789012:role/anything"
    assert decide(ours, "iam:CreateRole", role, {"aws:RequestTag/clickhouse-byoc": "true"}) == ALLOW


def test_operate_takes_the_set_up_actions_away_and_revoked_everything():
    operate = list(docs.bootstrap_policies(SCOPE, access(mode="operate")).values())
    tagged = {"aws:RequestTag/clickhouse-byoc": "true"}
    assert decide(operate, "ec2:CreateVpc", "arn:aws:ec2:us-west-2:123456789012:vpc/vpc-1", tagged) == "Deny"
    assert (
        decide(operate, "eks:UpdateNodegroupConfig", "arn:aws:eks:us-west-2:1:nodegroup/clickhouse-cloud-x/a/b")
        == ALLOW
    )
    revoked = docs.bootstrap_policies(SCOPE, access(mode="revoked"))
    assert list(revoked) == ["revoked"]


def test_iam_export_follows_the_profile():
    values = {"bootstrap": '{"profile": "clickhouse-cloud"}'}
    files = iam_export.documents(run_offline(values).resources, parse(raw_config(values), "test"))
    assert "ClickHouse-cloud-test-management-vpc-write.json" in files
    assert "ClickHouse-cloud-test-management-iam.json" not in files  # the scoped profile's
    attached = files["ClickHouse-cloud-test-management.attached.json"]
    assert len(attached) == len(docs.bootstrap_policy_names(access()))
