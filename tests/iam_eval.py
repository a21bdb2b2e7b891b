"""A small IAM policy evaluator for tests: does a set of documents allow one request?

It implements the parts of IAM's evaluation logic the program's documents and the vendored upstream
policies use: Action/Resource wildcards (and NotAction/NotResource), explicit Deny over Allow, and
the condition operators StringEquals, StringNotEquals, StringEqualsIgnoreCase, StringNotEqualsIgnoreCase,
StringLike, StringNotLike, ArnEquals, ArnNotEquals, ArnLike, ArnNotLike, Null, Bool, DateLessThan and
DateGreaterThan, with the `ForAnyValue:`/`ForAllValues:` set qualifiers and
`...IfExists`. Absent keys follow IAM: only `...Not...` operators, `Null: true`, `...IfExists` and
`ForAllValues:` match an absent key. A context value may be a list (a multi-valued key such as
`aws:TagKeys` or `route53:ChangeResourceRecordSetsRecordTypes`).

Condition key names are not case-sensitive, tag keys in `aws:ResourceTag/<k>` and
`aws:RequestTag/<k>` included: the policy key `aws:ResourceTag/TagKey1` matches a resource tag
named `tagkey1`. Where a resource carries two tags whose keys differ only by case (EC2 allows it),
AWS says the key matches both and only one value matches, with no rule for which: the evaluator
lets any of them match, the caller's best case. `Null` asks whether a key is absent, and a tag
whose value is the empty string counts as null. These readings are the IAM user guide's, vendored
with examples in `tests/upstream/iam-docs/` and checked by `tests/test_iam_evaluation.py`.

`decide` evaluates one action on one resource; `decide_request` evaluates a request that AWS
authorizes against several resources at once (EC2 `CreateSubnet` is authorized on the new subnet,
with the request's tags, and on the existing VPC, with the VPC's own tags): it is allowed only when
every resource is.
"""

from __future__ import annotations

import datetime
import functools
import re
from dataclasses import dataclass, field
from typing import Any

ALLOW, DENY, IMPLICIT = "Allow", "Deny", "ImplicitDeny"


def _list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


@functools.cache
def _compiled(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(regex, re.IGNORECASE if ignore_case else 0)


def _glob(pattern: str, value: str, ignore_case: bool = False) -> bool:
    return _compiled(pattern, ignore_case).fullmatch(value) is not None


def _instant(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _single(operator: str, value: str, expected: list[str]) -> bool:
    """One context value against the condition's values (any of them matches)."""
    if operator == "StringEquals" or operator == "ArnEquals":
        return value in expected
    if operator == "StringEqualsIgnoreCase":
        return value.lower() in [e.lower() for e in expected]
    if operator in ("StringLike", "ArnLike"):
        return any(_glob(e, value) for e in expected)
    if operator == "Bool":
        return str(value).lower() == str(expected[0]).lower()
    if operator == "DateLessThan":
        return _instant(value) < _instant(expected[0])
    if operator == "DateGreaterThan":
        return _instant(value) > _instant(expected[0])
    raise NotImplementedError(operator)


_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


def folded(context: dict[str, Any]) -> dict[str, list[str]]:
    """The context by lowercase key name; values of keys that differ only by case are pooled."""
    out: dict[str, list[str]] = {}
    for key, value in context.items():
        out.setdefault(key.lower(), []).extend(str(v) for v in _list(value))
    return out


def _condition_holds(operator: str, key: str, expected: list, context: dict[str, list[str]]) -> bool:
    qualifier = ""
    if ":" in operator:
        qualifier, operator = operator.split(":", 1)
    if_exists = operator.endswith("IfExists")
    operator = operator.removesuffix("IfExists")
    present = key.lower() in context
    values = context.get(key.lower(), [])
    if operator == "Null":
        null = not present or all(v == "" for v in values)
        return null == (str(expected[0]).lower() == "true")
    if not present:
        return if_exists or operator in _NEGATED or qualifier == "ForAllValues"
    base = _NEGATED.get(operator, operator)

    def test(value: str) -> bool:
        hit = _single(base, value, expected)
        return not hit if operator in _NEGATED else hit

    if qualifier == "ForAllValues":
        return all(test(v) for v in values)
    if qualifier == "ForAnyValue":
        return any(test(v) for v in values)
    if operator in _NEGATED:
        return all(test(v) for v in values)
    return any(test(v) for v in values)


def _matches_action(st: dict, action: str) -> bool:
    if "NotAction" in st:
        return not any(_glob(a, action, ignore_case=True) for a in _list(st["NotAction"]))
    return any(_glob(a, action, ignore_case=True) for a in _list(st["Action"]))


def _matches_resource(st: dict, resource: str | None) -> bool:
    if resource is None:
        return True
    if "NotResource" in st:
        return not any(_glob(r, resource) for r in _list(st["NotResource"]))
    if "Resource" not in st:
        return True
    return any(_glob(r, resource) for r in _list(st["Resource"]))


def statement_applies(
    st: dict, action: str, resource: str | None, context: dict | None = None, principal: str | None = None
) -> bool:
    return _applies(st, action, resource, folded(context or {}), principal)


def _applies(st: dict, action: str, resource: str | None, context: dict[str, list[str]], principal: str | None) -> bool:
    if not _matches_action(st, action) or not _matches_resource(st, resource):
        return False
    if principal is not None and "Principal" in st:
        named = st["Principal"]
        kinds = ("AWS", "Federated", "Service")
        allowed = ["*"] if named == "*" else [p for kind in kinds for p in _list(named.get(kind, []))]
        account = principal.split(":")[4] if principal.startswith("arn:") else None
        if not any(p in ("*", principal) or (p.endswith(":root") and p.split(":")[4] == account) for p in allowed):
            return False
    for operator, pairs in (st.get("Condition") or {}).items():
        for key, expected in pairs.items():
            if not _condition_holds(operator, key, [str(e) for e in _list(expected)], context):
                return False
    return True


def decide(
    documents: list[dict],
    action: str,
    resource: str | None = None,
    context: dict[str, Any] | None = None,
    principal: str | None = None,
) -> str:
    """ALLOW, DENY (an explicit deny matched) or IMPLICIT (nothing allowed it)."""
    result = IMPLICIT
    keys = folded(context or {})
    for doc in documents:
        for st in doc["Statement"]:
            if _applies(st, action, resource, keys, principal):
                if st["Effect"] == "Deny":
                    return DENY
                result = ALLOW
    return result


@dataclass(frozen=True)
class Resource:
    """One resource AWS authorizes a request against: its ARN and the context keys it brings."""

    arn: str
    tags: dict[str, str] = field(default_factory=dict)
    """Its own tags: `aws:ResourceTag/<k>` and the service's `<service>:ResourceTag/<k>`."""
    keys: dict[str, Any] = field(default_factory=dict)
    """Other keys of this resource (`ec2:Vpc`, `iam:PermissionsBoundary`, ...)."""

    def context(self) -> dict[str, Any]:
        parts = self.arn.split(":")
        service = parts[2] if len(parts) > 2 else ""
        out: dict[str, Any] = {}
        for k, v in self.tags.items():
            out[f"aws:ResourceTag/{k}"] = v
            if service:
                out[f"{service}:ResourceTag/{k}"] = v
        return {**out, **self.keys}


def decide_request(
    documents: list[dict],
    action: str,
    resources: list[Resource],
    request: dict[str, Any] | None = None,
    created: tuple[str, ...] = (),
) -> str:
    """A request authorized against every resource it touches; each carries its own context.

    `request` holds the request's keys (`aws:RequestTag/...`, `aws:TagKeys`, `iam:PassedToService`,
    ...). Request tags describe the resources being created (ARNs in `created`), so IAM evaluates
    them only there; an existing parent is authorized with its own tags.
    """
    request = request or {}
    results = []
    for r in resources:
        keys = dict(request)
        if created and r.arn not in created:
            keys = {k: v for k, v in keys.items() if not k.startswith("aws:RequestTag/") and k != "aws:TagKeys"}
        results.append(decide(documents, action, r.arn, {**keys, **r.context()}))
    if DENY in results:
        return DENY
    return ALLOW if results and all(r == ALLOW for r in results) else IMPLICIT
