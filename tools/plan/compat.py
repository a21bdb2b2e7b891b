"""Bases synthesized before the mocks derived ids from the inputs that force a replacement.

Until then the synth's mocks derived every fabricated id and ARN from a resource's type and name
alone. A base synthesized by such a revision (its records have no `secretDigests`) differs from now
in every fabricated id of a resource with replace-forcing inputs, and through them in every input
naming one: compared as it is, a stack deployed from such a revision would plan as replacing its
subnets, cluster and more, and the fleet would never deploy it again. `upgrade` rewrites such a
base's fabricated ids and ARNs as today's mocks make them from the same inputs, so the plan shows
only what really changed. Nothing else in the records changes; secret inputs stay `[secret]` with
no digest (they compare as before).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from typing import Any

LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"


def is_legacy(records: Sequence[Mapping[str, Any]]) -> bool:
    """Records of a synth from before the digests and input-derived ids."""
    return bool(records) and not any("secretDigests" in r for r in records)


def _pairs(old: Any, new: Any, inputs: Mapping[str, Any], top: bool = True) -> list[tuple[Any, Any]]:
    """Fabricated output leaves (not echoed inputs) of the same path on both sides."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in old.keys() & new.keys():
            if top and key in inputs:
                continue
            out += _pairs(old[key], new[key], inputs, False)
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [p for o, n in zip(old, new, strict=True) for p in _pairs(o, n, inputs, False)]
    return [(old, new)]


def _substitute(value: Any, pattern: re.Pattern[str] | None, mapping: Mapping[str, str]) -> Any:
    if pattern is None:
        return value
    if isinstance(value, str):
        return pattern.sub(lambda m: mapping[m.group(0)], value)
    if isinstance(value, dict):
        return {k: _substitute(v, pattern, mapping) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, pattern, mapping) for v in value]
    return value


def upgrade(records: Sequence[Mapping[str, Any]], aws_provider: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A legacy base with its fabricated ids as today's mocks make them (see the module docstring);
    any other set of records unchanged."""
    if not is_legacy(records):
        return [dict(r) for r in records]
    from tools.mocks import ByocMocks, id_seed

    accounts = aws_provider.get("allowedAccountIds") or ["123456789012"]
    mocks = ByocMocks(account_id=str(accounts[0]), region=aws_provider.get("region") or "us-west-2")

    def fabricate(record: Mapping[str, Any], inputs: dict[str, Any], seed: str) -> tuple[Any, Any]:
        try:
            return mocks._fabricate(record["type"], record["name"], copy.deepcopy(inputs), seed)
        except Exception:  # a type the mocks cannot fabricate: nothing to rewrite
            return None, {}

    legacy = [fabricate(r, r.get("inputs") or {}, f"{r['type']}::{r['name']}") for r in records]
    mapping: dict[str, str] = {}
    current = [dict(r, inputs=copy.deepcopy(r.get("inputs") or {})) for r in records]
    for _ in range(64):  # the depth of the id chain (VPC, subnet, NAT gateway, route, ...) at most
        found: dict[str, str] = {}
        fresh = []
        for record, (old_id, old_out) in zip(current, legacy, strict=True):
            inputs = record["inputs"]
            new_id, new_out = fabricate(record, inputs, id_seed(record["type"], record["name"], inputs, {}))
            fresh.append(new_out)
            for old, new in [(old_id, new_id), *_pairs(old_out, new_out, inputs)]:
                if isinstance(old, str) and isinstance(new, str) and old != new and len(old) >= 8:
                    found[old] = new
        if found == mapping:
            break
        mapping = found
        keys = sorted(mapping, key=len, reverse=True)
        pattern = re.compile("|".join(re.escape(k) for k in keys)) if keys else None
        current = [dict(r, inputs=_substitute(r.get("inputs") or {}, pattern, mapping)) for r in records]
    _follow_template_versions(current, legacy, fresh)
    return current


def _follow_template_versions(
    records: list[dict[str, Any]], legacy: Sequence[tuple[Any, Any]], fresh: Sequence[Any]
) -> None:
    """A launch template's version is a number derived from its data: where the data names a
    rewritten id, the node groups following the template get its new version too."""
    versions: dict[str, tuple[Any, Any]] = {}
    for record, (_, old_out), new_out in zip(records, legacy, fresh, strict=True):
        if record["type"] == LAUNCH_TEMPLATE and old_out and new_out:
            versions[str(new_out.get("arn", "")).rsplit("/", 1)[-1]] = (
                old_out.get("latestVersion"),
                new_out.get("latestVersion"),
            )
    for record in records:
        template = (record["inputs"] or {}).get("launchTemplate") if record["type"] == NODE_GROUP else None
        if not isinstance(template, dict) or template.get("id") not in versions:
            continue
        old, new = versions[template["id"]]
        if old != new and str(template.get("version")) == str(old):
            template["version"] = str(new) if isinstance(template.get("version"), str) else new
