"""parliament (the IAM linter) over every document the program creates: nothing MEDIUM or higher.

The documents come from real runs under the mocks (the stack with every option on, and the add-on
roles with fake OIDC values) plus every bootstrap mode and toggle, so a document the program can
create is linted. parliament 1.6.4 lints identity policies: a trust policy is linted as the role's
resource policy (with the role as its `Resource`, which IAM implies).
"""

from __future__ import annotations

import itertools
import json
import re
import time
import typing

import pytest
from parliament import analyze_policy_string, enhance_finding

from components import iam_policies as docs
from tests.iam_fixtures import SCOPE
from tests.test_iam_components import FULL
from tests.test_workload_roles import run_irsa_roles

HIGH = ("MEDIUM", "HIGH", "CRITICAL")

# Findings that are gaps in parliament's bundled AWS definitions, not problems: (issue, detail, why).
DATABASE_GAPS = [
    (
        "UNKNOWN_CONDITION_FOR_ACTION",
        re.compile(r"^Unknown condition elasticloadbalancing:CreateAction for action elasticloadbalancing:AddTags$"),
        "AWS added elasticloadbalancing:CreateAction (tag-on-create) after parliament's definitions; the upstream "
        "load balancer controller policy uses it so AddTags works only while creating",
    ),
    (
        "UNKNOWN_CONDITION_FOR_ACTION",
        re.compile(
            r"^Unknown condition oidc\.eks\.[a-z0-9-]+\.amazonaws\.com/id/[0-9A-F]{32}:(sub|aud) "
            r"for action sts:AssumeRoleWithWebIdentity$"
        ),
        "web identity condition keys are named after the OIDC provider (`<issuer>:sub`, `<issuer>:aud`); "
        "parliament knows only fixed key names",
    ),
    (
        "UNKNOWN_ACTION",
        re.compile(r"^Unknown action (ec2:CopyVolumes|elasticloadbalancing:ModifyIpPools)$"),
        "actions newer than parliament's definitions, granted by the pinned upstream policies (EBS CSI driver "
        "v1.64.0, load balancer controller v2.14.0)",
    ),
    (
        "UNKNOWN_FEDERATION_SOURCE",
        re.compile(r"^arn:aws:iam::\d{12}:oidc-provider/oidc\.eks\.[a-z0-9-]+\.amazonaws\.com/id/[0-9A-F]{32}$"),
        "parliament knows only SAML and public web identity providers; an EKS cluster's OIDC provider is how "
        "IRSA works (the pattern here is exact)",
    ),
]
# Findings in the `clickhouse-cloud` profile, which mirrors the vendor's published onboarding module as
# it is (tests/upstream/iam/): (issue, detail, why). Only documents of that profile may have them.
VENDOR_PROFILE_FINDINGS = [
    (
        "RESOURCE_MISMATCH",
        re.compile(
            r"^\[\{'action': 'ec2:|^\[\{'action': 'eks:CreateCluster'|^\[\{'action': 'iam:ListInstanceProfilesForRole'"
        ),
        "the module grants creates on their parent resources (vpc, subnet, elastic-ip), which AWS authorizes "
        "but parliament's definitions predate; and eks:CreateCluster / iam:ListInstanceProfilesForRole on ARNs",
    ),
    (
        "RESOURCE_POLICY_PRIVILEGE_ESCALATION",
        re.compile(r"^Possible resource policy privilege escalation on arn:aws:s3:::\*\.\*\.aws\.clickhouse\.cloud-"),
        "the module lets the vendor set lifecycle rules on its buckets; the scoped profile does not (docs/iam.md)",
    ),
]
# LOW findings we accept, with the reason. Every entry must still occur (no stale exceptions).
ACCEPTED_LOW = {
    "RESOURCE_STAR": "Describe/List actions and creates that take no resource ARN; every mutating one carries a "
    "tag, service or time condition (asserted in test_iam_policies_*)",
    "MISMATCHED_TYPE_BUT_USABLE": "iam:PermissionsBoundary is a String key compared with the boundary policy ARN, "
    "as in AWS's own examples",
}


def _from_records(result) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for r in result.resources:
        inputs = r["inputs"]
        if r["type"] == "aws:iam/role:Role":
            trust = json.loads(inputs["assumeRolePolicy"])
            role_arn = f"arn:aws:iam::123456789012:role/{inputs['name']}"
            for st in trust["Statement"]:
                st["Resource"] = role_arn
            out[f"{inputs['name']}.trust"] = trust
        elif r["type"] == "aws:iam/rolePolicy:RolePolicy":
            out[f"{inputs['role']}.{inputs['name']}"] = json.loads(inputs["policy"])
        elif r["type"] == "aws:iam/policy:Policy":
            out[inputs["name"]] = json.loads(inputs["policy"])
    return out


@pytest.fixture(scope="module")
def documents() -> dict[str, dict]:
    from tests.conftest import run_offline

    found = _from_records(run_offline(FULL, stack="prod"))
    found.update(_from_records(run_irsa_roles()[0]))
    for profile, mode, vpc, iam, kms in itertools.product(
        typing.get_args(docs.Profile), typing.get_args(docs.Mode), *[(True, False)] * 3
    ):
        access = docs.BootstrapAccess(mode=mode, vpc_write=vpc, iam_write=iam, kms=kms, profile=profile)
        for suffix, doc in docs.bootstrap_policies(SCOPE, access).items():
            found[f"bootstrap-{profile}-{mode}-vpc{vpc}-iam{iam}-kms{kms}-{suffix}"] = doc
    return found


@pytest.fixture(scope="module")
def findings(documents) -> list[tuple[str, str, str, str]]:
    started = time.perf_counter()
    out = []
    for name, doc in documents.items():
        for f in analyze_policy_string(json.dumps(doc)).findings:
            f = enhance_finding(f)  # sets the severity from parliament's config
            out.append((name, f.severity, f.issue, str(f.detail)))
    # parliament is quick (about 1 ms per document); keep it that way.
    assert time.perf_counter() - started < 10
    return out


def _gap(issue: str, detail: str, name: str = "") -> bool:
    known = DATABASE_GAPS + (VENDOR_PROFILE_FINDINGS if name.startswith("bootstrap-clickhouse-cloud-") else [])
    return any(issue == gap_issue and pattern.match(detail) for gap_issue, pattern, _ in known)


def test_every_program_document_is_linted(documents):
    names = set(documents)
    for expected in (
        "ClickHouse-cloud-prod-management.trust",
        "ClickHouse-cloud-prod-troubleshooting.troubleshooting",
        "ClickHouse-cloud-prod-boundary",
        "ClickHouse-cloud-prod-management-storage",
        "ClickHouse-cloud-t-load-balancer-controller.load-balancer-controller",
        "ClickHouse-cloud-t-vpc-cni.trust",
        "ClickHouse-cloud-prod-k8s-worker.trust",
    ):
        assert expected in names
    assert len(names) > 100


def test_no_finding_medium_or_higher(findings):
    serious = [f for f in findings if f[1] in HIGH and not _gap(f[2], f[3], f[0])]
    assert serious == []


def test_low_findings_are_the_accepted_ones(findings):
    low = {f[2] for f in findings if f[1] not in HIGH and not _gap(f[2], f[3], f[0])}
    assert low == set(ACCEPTED_LOW), low


def test_database_gaps_are_real_and_narrow(findings):
    for issue, pattern, reason in DATABASE_GAPS + VENDOR_PROFILE_FINDINGS:
        assert reason
        assert any(f[2] == issue and pattern.match(f[3]) for f in findings), (issue, pattern.pattern)


def test_parliament_catches_what_we_guard_against():
    """The linter is live: a lifecycle grant without object delete is flagged, as we rely on."""
    bad = docs.document(docs.statement("Bad", ["s3:PutLifecycleConfiguration"], ["arn:aws:s3:::b"]))
    found = {(f.issue, f.severity) for f in map(enhance_finding, analyze_policy_string(json.dumps(bad)).findings)}
    assert ("RESOURCE_POLICY_PRIVILEGE_ESCALATION", "MEDIUM") in found
