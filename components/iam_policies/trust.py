"""Trust documents: who may assume a role (IRSA service accounts, AWS services, the vendor)."""

from __future__ import annotations

from components.iam_policies.common import Doc, document


def irsa_trust(oidc_provider_arn: str, oidc_issuer: str, namespace: str, service_account: str) -> Doc:
    """Only this namespace/service account of this cluster, and only for STS, may assume the role."""
    issuer = oidc_issuer.removeprefix("https://")
    return document(
        {
            "Sid": "ServiceAccountWebIdentity",
            "Effect": "Allow",
            "Principal": {"Federated": oidc_provider_arn},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {
                    f"{issuer}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                    f"{issuer}:aud": "sts.amazonaws.com",
                }
            },
        }
    )


def service_trust(service: str) -> Doc:
    """An AWS service (eks.amazonaws.com, ec2.amazonaws.com) may assume the role."""
    sid = "".join(part.capitalize() for part in service.split(".")[0].split("-")) + "ServiceAssumesRole"
    return document(
        {"Sid": sid, "Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"},
    )


def vendor_trust(vendor_account_id: str, external_id: str, principal_arn_pattern: str, until: str | None = None) -> Doc:
    """The vendor's control plane, with the customer's external id, from its controller roles only.

    `until` (ISO-8601 UTC) adds `DateLessThan aws:CurrentTime`: no new session after that instant.
    """
    condition: Doc = {
        "StringEquals": {"sts:ExternalId": external_id},
        "StringLike": {"aws:PrincipalArn": principal_arn_pattern},
    }
    if until:
        condition["DateLessThan"] = {"aws:CurrentTime": until}
    return document(
        {
            "Sid": "VendorControlPlaneAssumesRole" if not until else "VendorAssumesRoleUntilExpiry",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{vendor_account_id}:root"},
            "Action": "sts:AssumeRole",
            "Condition": condition,
        }
    )


# -- add-on (IRSA) permission documents --------------------------------------------------------
