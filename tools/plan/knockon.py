"""Knock-on changes of a replace: the inputs that name a replaced resource's id or ARN.

A replaced resource gets a new id (and ARN) in AWS, unknown until it exists again: `pulumi preview`
shows every input that names it as unknown, an update of its consumer, or a replace where the input
forces one. The synth's mocks derive ids and ARNs from the inputs that force a replacement
(tools/mocks.py), so the records show the new ones; this module tells which changed inputs are such
knock-ons, and of which replaced resource, so the plan can say why.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tools.plan import secret_inputs as plan_secrets


def _strings(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set().union(*(_strings(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_strings(v) for v in value)) if value else set()
    return set()


def markers(record: Mapping[str, Any], aws_provider: Mapping[str, Any]) -> set[str]:
    """Strings a resource's outputs contribute to its dependents' inputs: its id and what the
    synth's own mocks fabricate besides its inputs (ARNs, generated names such as a node group's
    Auto Scaling group), for the account and region of the stack's AWS provider; and its name."""
    from tools.mocks import ByocMocks

    accounts = aws_provider.get("allowedAccountIds") or ["123456789012"]
    mocks = ByocMocks(account_id=str(accounts[0]), region=aws_provider.get("region") or "us-west-2")
    try:
        rid, outputs = mocks.outputs_of(record)
    except Exception:  # a type the mocks cannot fabricate: no cascade through outputs
        return set()
    fabricated = _strings(outputs) - _strings(record.get("inputs") or {})
    found = {m for m in fabricated | {rid} if isinstance(m, str) and len(m) >= 8}
    found.update(v for v in (outputs or {}).values() if v == record["name"] and len(v) >= 12)
    return found


@dataclass(frozen=True)
class Replaced:
    """A replaced resource and the id/ARN strings the replacement changes."""

    urn: str
    name: str
    before: frozenset[str]
    """What its consumers named before (and no longer)."""
    after: frozenset[str]
    """What they name after (and did not before)."""


def replaced(
    pairs: Iterable[tuple[Mapping[str, Any], Mapping[str, Any]]],
    base_aws: Mapping[str, Any],
    now_aws: Mapping[str, Any],
) -> list[Replaced]:
    """For each replaced (base record, now record): the markers the replacement changes."""
    out = []
    for old, new in pairs:
        before, after = markers(old, base_aws), markers(new, now_aws)
        if before - after and after - before:
            out.append(Replaced(new["urn"], new["name"], frozenset(before - after), frozenset(after - before)))
    return out


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(plan_secrets.plain(value), sort_keys=True)


def source(replacements: Iterable[Replaced], old: Any, new: Any) -> Replaced | None:
    """The replaced resource whose old id or ARN the old value names and whose new one the new
    value names, or None."""
    before, after = _text(old), _text(new)
    for r in replacements:
        if any(m in before for m in r.before) and any(m in after for m in r.after):
            return r
    return None


def reason(path: str, replaced_name: str, forces_replace: str | None) -> str:
    """Why a knock-on input changes: `forces_replace` is the replace-on-change note when it does."""
    if forces_replace:
        return f"{path}: unknown until {replaced_name} is replaced ({forces_replace})"
    return f"{path}: unknown until {replaced_name} is replaced (it names its id or ARN; updated in place)"
