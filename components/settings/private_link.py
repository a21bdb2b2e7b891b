"""The PrivateLink settings: an endpoint service on the private NLB (key `privateLink`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from components.settings.reader import Problems, read_object

DEFAULTS: dict[str, Any] = {"privateLink": {"enabled": False, "allowedPrincipals": []}}
OBJECT_FIELDS: dict[str, dict[str, type]] = {"privateLink": {"enabled": bool, "allowedPrincipals": list}}
REQUIRED: tuple[str, ...] = ()
OPTIONAL: tuple[str, ...] = ()

# Who may request an endpoint: an account root, a role or a user. Never `*`: acceptance is required
# anyway, but an open service lets anyone see it and file requests.
PRINCIPAL_RE = re.compile(
    r"^arn:aws[a-z-]*:iam::\d{12}:(root|role/[\w+=,.@/-]{1,512}|user/[\w+=,.@/-]{1,512})\Z", re.ASCII
)


@dataclass(frozen=True)
class PrivateLinkSettings:
    """A VPC endpoint service in front of the private NLB, for consumer VPCs of other accounts."""

    enabled: bool = False
    """Create the endpoint service."""
    allowed_principals: tuple[str, ...] = ()
    """IAM principals (account roots, roles, users) that may request an endpoint; each needs acceptance."""


def parse(raw: Mapping[str, str], p: Problems) -> PrivateLinkSettings:
    before = len(p.lines)
    fields = read_object(raw, "privateLink", OBJECT_FIELDS["privateLink"], DEFAULTS["privateLink"], p)
    if len(p.lines) > before:
        return PrivateLinkSettings()
    principals: list[str] = []
    for i, item in enumerate(fields["allowedPrincipals"]):
        key = f"privateLink.allowedPrincipals[{i}]"
        if not (isinstance(item, str) and PRINCIPAL_RE.match(item)):
            p.add(
                key,
                item,
                "not an IAM principal ARN; use an account root, role or user, e.g. arn:aws:iam::210987654321:root",
            )
        elif item in principals:
            p.add(key, item, "listed twice; remove the duplicate")
        else:
            principals.append(item)
    if fields["enabled"] and not fields["allowedPrincipals"]:
        p.add(
            "privateLink.allowedPrincipals",
            None,
            "empty while privateLink.enabled is true; list the accounts or roles that may connect, e.g. "
            '`pulumi config set --path "privateLink.allowedPrincipals[0]" arn:aws:iam::210987654321:root`',
        )
    return PrivateLinkSettings(bool(fields["enabled"]), tuple(principals))
