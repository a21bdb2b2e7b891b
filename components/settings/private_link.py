"""The PrivateLink settings: an endpoint service on the private NLB (key `privateLink`), parsed straight
into the private endpoint layer's `PrivateLinkSpec` (components/private_endpoint.py)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from components.private_endpoint import PrivateLinkSpec
from components.settings.aws import arn_partition_problem
from components.settings.reader import NS, Problems, decode_value, read_object

DEFAULTS: dict[str, Any] = {"privateLink": {"enabled": False, "allowedPrincipals": []}}
OBJECT_FIELDS: dict[str, dict[str, type]] = {"privateLink": {"enabled": bool, "allowedPrincipals": list}}
REQUIRED: tuple[str, ...] = ()
OPTIONAL: tuple[str, ...] = ()

# Who may request an endpoint: an account root, a role or a user. Never `*`: acceptance is required
# anyway, but an open service lets anyone see it and file requests.
PRINCIPAL_RE = re.compile(r"^arn:aws:iam::\d{12}:(root|role/[\w+=,.@/-]{1,512}|user/[\w+=,.@/-]{1,512})\Z", re.ASCII)


def parse(raw: Mapping[str, str], p: Problems) -> PrivateLinkSpec:
    """Listing principals is asking for the service: non-empty `allowedPrincipals` turns it on unless
    `enabled` is set. `enabled: false` with principals is refused (they would do nothing), as is
    `enabled: true` without any (nobody could connect)."""
    before = len(p.lines)
    fields = read_object(raw, "privateLink", OBJECT_FIELDS["privateLink"], DEFAULTS["privateLink"], p)
    if len(p.lines) > before:
        return PrivateLinkSpec(enabled=DEFAULTS["privateLink"]["enabled"], allowed_principals=())
    principals: list[str] = []
    for i, item in enumerate(fields["allowedPrincipals"]):
        key = f"privateLink.allowedPrincipals[{i}]"
        if problem := arn_partition_problem(item):
            p.add(key, item, problem)
        elif not (isinstance(item, str) and PRINCIPAL_RE.match(item)):
            p.add(
                key,
                item,
                "not an IAM principal ARN; use an account root, role or user, e.g. arn:aws:iam::210987654321:root",
            )
        elif item in principals:
            p.add(key, item, "listed twice; remove the duplicate")
        else:
            principals.append(item)
    given = decode_value(raw.get(f"{NS}:privateLink"))
    enabled_set = isinstance(given, dict) and "enabled" in given
    enabled = bool(fields["enabled"]) if enabled_set else bool(fields["allowedPrincipals"])
    if enabled and not fields["allowedPrincipals"]:
        p.add(
            "privateLink.allowedPrincipals",
            None,
            "empty while privateLink.enabled is true; list the accounts or roles that may connect, e.g. "
            '`pulumi config set --path "privateLink.allowedPrincipals[0]" arn:aws:iam::210987654321:root`',
        )
    elif enabled_set and not enabled and fields["allowedPrincipals"]:
        p.add(
            "privateLink.enabled",
            False,
            f"allowedPrincipals lists {len(fields['allowedPrincipals'])} principal(s), which then do nothing; "
            "remove `enabled` (listed principals turn PrivateLink on) or set it true, or remove allowedPrincipals",
        )
    return PrivateLinkSpec(enabled, tuple(principals))
