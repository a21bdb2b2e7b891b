"""Trust documents and the vendor's read-only roles (components/iam_policies/trust.py, vendor.py)."""

from __future__ import annotations

import re

from components import iam_policies as docs
from tests.iam_fixtures import (
    NAMES,
    OIDC_ARN,
    OIDC_HOST,
    PATTERN,
    VENDOR,
    allowed_actions,
)


def test_irsa_trust_is_exact():
    doc = docs.irsa_trust(OIDC_ARN, OIDC_HOST, "kube-system", "ebs-csi-controller-sa")
    (st,) = doc["Statement"]
    assert st["Principal"] == {"Federated": OIDC_ARN}
    assert st["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert st["Condition"] == {
        "StringEquals": {
            f"{OIDC_HOST}:sub": "system:serviceaccount:kube-system:ebs-csi-controller-sa",
            f"{OIDC_HOST}:aud": "sts.amazonaws.com",
        }
    }


def test_irsa_trust_strips_a_scheme_given_by_mistake():
    assert docs.irsa_trust(OIDC_ARN, f"https://{OIDC_HOST}", "a", "b") == docs.irsa_trust(OIDC_ARN, OIDC_HOST, "a", "b")


def test_vendor_trust_is_exact():
    (st,) = docs.vendor_trust(VENDOR, "ext-1234", PATTERN)["Statement"]
    assert st["Principal"] == {"AWS": f"arn:aws:iam::{VENDOR}:root"}
    assert st["Action"] == "sts:AssumeRole"
    assert st["Condition"] == {
        "StringEquals": {"sts:ExternalId": "ext-1234"},
        "StringLike": {"aws:PrincipalArn": PATTERN},
    }


def test_time_box_is_date_less_than_current_time():
    (st,) = docs.vendor_trust(VENDOR, "x1", PATTERN, until="2030-01-01T00:00:00Z")["Statement"]
    assert st["Condition"]["DateLessThan"] == {"aws:CurrentTime": "2030-01-01T00:00:00Z"}
    assert st["Condition"]["StringEquals"] == {"sts:ExternalId": "x1"}
    # Sessions opened before expiry stop working at expiry too: every statement carries the condition.
    ts = docs.troubleshooting_policy("123456789012", "us-west-2", NAMES.cluster, "2030-01-01T00:00:00Z")
    for st in ts["Statement"]:
        assert st["Condition"] == {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}


def test_troubleshooting_is_read_only():
    ts = docs.troubleshooting_policy("123456789012", "us-west-2", NAMES.cluster, "2030-01-01T00:00:00Z")
    verbs = {a.split(":")[1] for a in allowed_actions(ts)}
    assert all(re.match(r"^(Describe|List|Get|Filter|StartQuery|StopQuery)", v) for v in verbs), verbs


def test_service_trusts():
    (st,) = docs.service_trust("eks.amazonaws.com")["Statement"]
    assert st["Principal"] == {"Service": "eks.amazonaws.com"} and st["Action"] == "sts:AssumeRole"
