"""A small IAM policy evaluator for tests: does a set of documents allow one request?

It implements the parts of IAM's evaluation logic the program's documents use: Action/Resource
wildcards, explicit Deny over Allow, and the condition operators StringEquals, StringNotEquals,
StringLike, Null, Bool and DateLessThan with IAM's semantics for absent keys (only `...Not...`
operators and `Null: true` match an absent key). Enough to assert "this request is denied" as a
property of the documents instead of reading their conditions.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

ALLOW, DENY, IMPLICIT = "Allow", "Deny", "ImplicitDeny"


def _list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _glob(pattern: str, value: str, ignore_case: bool = False) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.IGNORECASE if ignore_case else 0) is not None


def _instant(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _condition_holds(operator: str, key: str, expected: list, context: dict[str, str]) -> bool:
    present = key in context
    value = context.get(key)
    if operator == "Null":
        return (not present) == (str(expected[0]).lower() == "true")
    if operator == "StringNotEquals":
        return not present or value not in expected
    if not present:
        return False
    if operator == "StringEquals":
        return value in expected
    if operator == "StringLike":
        return any(_glob(e, value) for e in expected)
    if operator == "Bool":
        return str(value).lower() == str(expected[0]).lower()
    if operator == "DateLessThan":
        return _instant(value) < _instant(expected[0])
    raise NotImplementedError(operator)


def _statement_applies(st: dict, action: str, resource: str | None, context: dict, principal: str | None) -> bool:
    if not any(_glob(a, action, ignore_case=True) for a in _list(st["Action"])):
        return False
    if resource is not None and "Resource" in st and not any(_glob(r, resource) for r in _list(st["Resource"])):
        return False
    if principal is not None and "Principal" in st:
        allowed = _list(st["Principal"].get("AWS", [])) + _list(st["Principal"].get("Federated", []))
        account = principal.split(":")[4] if principal.startswith("arn:") else None
        if not any(p == principal or (p.endswith(":root") and p.split(":")[4] == account) for p in allowed):
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
    context: dict[str, str] | None = None,
    principal: str | None = None,
) -> str:
    """ALLOW, DENY (an explicit deny matched) or IMPLICIT (nothing allowed it)."""
    context = context or {}
    result = IMPLICIT
    for doc in documents:
        for st in doc["Statement"]:
            if _statement_applies(st, action, resource, context, principal):
                if st["Effect"] == "Deny":
                    return DENY
                result = ALLOW
    return result
