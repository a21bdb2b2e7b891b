"""IAM: no admin wildcards, scoped IRSA trust, external id on cross-account trust, permissions boundaries."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from .core import (
    BOOTSTRAP_PROFILE_TAG,
    ROLE_PURPOSE_TAG,
    VENDOR_PROFILE,
    CannotRead,
    Finding,
    action_matches,
    as_list,
    decoded,
    document,
    get,
    grants,
    guarded,
    provider_props,
    rule,
    statements,
    tags_of,
)

# -- IAM -------------------------------------------------------------------------------------------

_ROLE = "aws:iam/role:Role"
_POLICY_TYPES = (
    "aws:iam/policy:Policy",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/groupPolicy:GroupPolicy",
)
_ATTACHMENTS = (
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/policyAttachment:PolicyAttachment",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
)
ADMIN_MANAGED_POLICIES = ("AdministratorAccess", "PowerUserAccess", "IAMFullAccess")
# re.ASCII: with IGNORECASE alone, [a-z] also matches the Kelvin sign and a few other letters.
_SERVICE_WILDCARD = re.compile(r"^[a-z0-9-]+:\*\Z", re.IGNORECASE | re.ASCII)
BOUNDARY_ACTIONS = ("iam:CreateRole", "iam:PutRolePermissionsBoundary", "iam:DeleteRolePermissionsBoundary")


def permission_documents(r: Any) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(where, document) of every permission policy a resource defines."""
    if r.resource_type in _POLICY_TYPES:
        doc = document(get(r.props, "policy"), "policy")
        if doc is not None:
            yield "policy", doc
    elif r.resource_type == _ROLE:
        for i, inline in enumerate(as_list(get(r.props, "inlinePolicies"))):
            where = f"inlinePolicies[{i}] {get(inline, 'name', default='')}".strip()
            doc = document(get(inline, "policy"), where)
            if doc is not None:
                yield where, doc


def wide_resource(st: Mapping[str, Any]) -> bool:
    return "NotResource" in st or "*" in as_list(st.get("Resource"))


def boundary_policy_names(resources: list[Any]) -> set[str]:
    """Names of the managed policies that are permissions boundaries: a role's `permissionsBoundary`,
    the value of an `iam:PermissionsBoundary` condition, or a policy that says it is one (tag
    `clickhouse-byoc/purpose=boundary`) and that no principal of the stack has attached: whether a
    role references it (mode `revoked` references none) does not change what it is."""
    arns: list[Any] = []
    attached: set[str] = set()
    declared: set[str] = set()
    for r in resources:
        try:
            if r.resource_type in _ATTACHMENTS:
                arn = get(r.props, "policyArn", default="")
                attached.add(arn.rsplit("/", 1)[-1] if isinstance(arn, str) else "")
            if r.resource_type == "aws:iam/policy:Policy" and get(tags_of(r), ROLE_PURPOSE_TAG) == "boundary":
                declared.add(get(r.props, "name"))
        except (UnknownValueError, CannotRead):
            attached.add("")  # an attachment we cannot read might be any policy
    for r in resources:
        try:
            if r.resource_type == _ROLE:
                arns.append(get(r.props, "permissionsBoundary"))
            for _, doc in permission_documents(r):
                for _, st in statements(doc):
                    arns += condition_values(st, "StringEquals", "iam:PermissionsBoundary") or []
                    arns += condition_values(st, "ArnEquals", "iam:PermissionsBoundary") or []
                    arns += condition_values(st, "StringNotEquals", "iam:PermissionsBoundary") or []
        except (UnknownValueError, CannotRead):
            continue
    referenced = {a.rsplit("/", 1)[-1] for a in arns if isinstance(a, str) and ":policy/" in a}
    unreadable = "" in attached
    return referenced | {n for n in declared if isinstance(n, str) and n not in attached and not unreadable}


@rule(
    "iam-no-admin-wildcards",
    scope="stack",
    description="No policy allows '*' or '<service>:*' on every resource, iam:PassRole on '*', or attaches "
    "an administrator managed policy (a permissions boundary may allow '<service>:*': it grants nothing).",
    fix="List the actions the workload needs and scope Resource to its ARNs (names with the "
    "ClickHouse-cloud prefix); scope iam:PassRole to the role ARNs and add iam:PassedToService.",
)
def iam_no_admin_wildcards(resources: list[Any], config: Mapping[str, Any]) -> Iterator[Finding]:
    boundaries = boundary_policy_names(resources)

    def check(r: Any) -> Iterator[str]:
        if r.resource_type in _ATTACHMENTS:
            arn = get(r.props, "policyArn", default="")
            if isinstance(arn, str) and arn.split("/")[-1] in ADMIN_MANAGED_POLICIES and ":aws:policy/" in arn:
                yield f"attaches the managed policy {arn}: grant a least-privilege policy instead"
            return
        # A boundary only caps what a role's own policies grant; a service wildcard there is a cap.
        boundary = r.resource_type == "aws:iam/policy:Policy" and get(r.props, "name") in boundaries
        for where, doc in permission_documents(r):
            for label, st in statements(doc):
                if st.get("Effect") != "Allow" or not wide_resource(st):
                    continue
                at = f"{where} {label}"
                if "NotAction" in st:
                    yield f"{at} allows everything but {as_list(st.get('NotAction'))} on '*': list the actions instead"
                    continue
                actions = [a for a in as_list(st.get("Action")) if isinstance(a, str)]
                wild = [a for a in actions if a == "*" or (not boundary and _SERVICE_WILDCARD.match(a))]
                if wild:
                    yield f"{at} allows {', '.join(wild)} on '*': list the actions and scope Resource to ARNs"
                elif not boundary and action_matches(actions, "iam:PassRole"):
                    yield (
                        f"{at} allows iam:PassRole on '*': scope it to role ARNs and condition it on "
                        f"iam:PassedToService"
                    )

    types = (*_ATTACHMENTS, *_POLICY_TYPES, _ROLE)
    for r in resources:
        if r.resource_type in types:
            yield from guarded(r, lambda r=r: check(r))


def web_identity_issuers(st: Mapping[str, Any]) -> list[str] | None:
    """OIDC issuer hosts of a statement's Federated principal; None when it has none."""
    principal = st.get("Principal")
    if not isinstance(principal, Mapping) or "Federated" not in principal:
        return None
    hosts = []
    for arn in as_list(principal.get("Federated")):
        if isinstance(arn, str) and "oidc-provider/" in arn:
            hosts.append(arn.split("oidc-provider/", 1)[1])
    return hosts


def condition_values(st: Mapping[str, Any], operator: str, key: str) -> list[Any] | None:
    block = get(st, "Condition", operator, default={})
    for k, v in block.items():
        if k.lower() == key.lower():
            return as_list(v)
    return None


@rule(
    "iam-irsa-trust-scoped",
    description="Every IRSA trust (sts:AssumeRoleWithWebIdentity) requires the exact service account "
    "(StringEquals on <issuer>:sub) and audience sts.amazonaws.com (<issuer>:aud).",
    fix="Trust with StringEquals {'<issuer>:sub': 'system:serviceaccount:<ns>:<sa>', "
    "'<issuer>:aud': 'sts.amazonaws.com'}; never StringLike or wildcards.",
)
def iam_irsa_trust_scoped(r: Any, config: Mapping[str, Any]) -> Iterator[str]:
    if r.resource_type != _ROLE:
        return
    doc = document(get(r.props, "assumeRolePolicy"), "assumeRolePolicy")
    for label, st in statements(doc):
        if not grants(st, "sts:AssumeRoleWithWebIdentity"):
            continue
        hosts = web_identity_issuers(st)
        if hosts is None:
            continue
        for host in hosts:  # a non-OIDC federation (SAML, Cognito) is not IRSA
            sub = condition_values(st, "StringEquals", f"{host}:sub")
            aud = condition_values(st, "StringEquals", f"{host}:aud")
            if not sub or any(not isinstance(v, str) or "*" in v or "?" in v or not v for v in sub):
                yield (
                    f"assumeRolePolicy {label} does not pin the service account: add StringEquals "
                    f"'{host}:sub' = 'system:serviceaccount:<namespace>:<name>' (no wildcards, no StringLike)"
                )
            if aud != ["sts.amazonaws.com"]:
                yield (
                    f"assumeRolePolicy {label} does not pin the audience: add StringEquals "
                    f"'{host}:aud' = 'sts.amazonaws.com'"
                )


_ACCOUNT_IN_ARN = re.compile(r"^arn:[a-z-]+:(?:iam|sts)::(\d{12}):", re.ASCII)


def principal_account(principal: str) -> str | None:
    """The account of an AWS principal ('*' for anyone), None when not an account principal."""
    if principal == "*":
        return "*"
    if re.fullmatch(r"\d{12}", principal, re.ASCII):
        return principal
    match = _ACCOUNT_IN_ARN.match(principal)
    return match.group(1) if match else None


def stack_accounts(r: Any, config: Mapping[str, Any]) -> set[str]:
    accounts = {str(a) for a in as_list(decoded(get(provider_props(r), "allowedAccountIds")))}
    if config.get("accountId"):
        accounts.add(str(config["accountId"]))
    return accounts


@rule(
    "iam-external-id",
    description="Every role an AWS principal of another account (the vendor) can assume requires sts:ExternalId.",
    fix="Add Condition StringEquals {'sts:ExternalId': '<the external id the vendor gave you>'} to the "
    "trust statement.",
    config={
        "accountId": {
            "type": "string",
            "default": "",
            "description": "The stack's account, when the provider does not set allowedAccountIds.",
        }
    },
)
def iam_external_id(r: Any, config: Mapping[str, Any]) -> Iterator[str]:
    if r.resource_type != _ROLE:
        return
    doc = document(get(r.props, "assumeRolePolicy"), "assumeRolePolicy")
    for label, st in statements(doc):
        if not grants(st, "sts:AssumeRole"):
            continue
        principal = st.get("Principal")
        aws = ["*"] if principal == "*" else as_list(principal.get("AWS")) if isinstance(principal, Mapping) else []
        accounts = {principal_account(p) for p in aws if isinstance(p, str)} - {None}
        if not accounts:
            continue
        own = stack_accounts(r, config)
        if not own:
            raise CannotRead("the stack's account is unknown: set allowedAccountIds on the provider")
        foreign = sorted(a for a in accounts if a not in own)
        external = condition_values(st, "StringEquals", "sts:ExternalId")
        if foreign and (not external or any(not v or v == "*" for v in external)):
            yield (
                f"assumeRolePolicy {label} lets account(s) {', '.join(foreign)} assume the role without "
                f"sts:ExternalId: add Condition StringEquals 'sts:ExternalId'"
            )


def boundary_condition(st: Mapping[str, Any]) -> bool:
    for operator, block in (st.get("Condition") or {}).items():
        if operator.endswith("IfExists") or operator == "Null" or not isinstance(block, Mapping):
            continue
        for key, values in block.items():
            if key.lower() == "iam:permissionsboundary" and all(v and v != "*" for v in as_list(values)):
                return True
    return False


@rule(
    "iam-permissions-boundary",
    description="Every policy that lets a principal create roles (or change their boundary) requires an "
    "iam:PermissionsBoundary condition, so roles the controller creates stay bounded.",
    fix="Add Condition StringEquals {'iam:PermissionsBoundary': '<boundary policy ARN>'} to statements "
    "allowing iam:CreateRole or iam:PutRolePermissionsBoundary; never allow iam:DeleteRolePermissionsBoundary.",
)
def iam_permissions_boundary(r: Any, config: Mapping[str, Any]) -> Iterator[str]:
    # The clickhouse-cloud bootstrap profile mirrors the vendor's published onboarding, whose
    # controller sets no boundary: an explicit opt-out on the bootstrap role's policies only.
    tags = tags_of(r)
    if get(tags, ROLE_PURPOSE_TAG) == "management" and get(tags, BOOTSTRAP_PROFILE_TAG) == VENDOR_PROFILE:
        return
    for where, doc in permission_documents(r):
        for label, st in statements(doc):
            granted = [a for a in BOUNDARY_ACTIONS if grants(st, a)]
            if granted and not boundary_condition(st):
                yield (
                    f"{where} {label} allows {', '.join(granted)} without an iam:PermissionsBoundary "
                    f"condition: add StringEquals 'iam:PermissionsBoundary' = the boundary policy ARN"
                )
