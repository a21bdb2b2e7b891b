"""The diff: pairs the base's and now's records by URN (or by an `aliases` entry naming the base
URN), compares their inputs (secrets by digest), and turns each difference into a Change, a
replace carried on to what consumes the replaced resource; then classifies each change and models
the plan's duration."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from tools.plan import knockon
from tools.plan import secret_inputs as plan_secrets
from tools.plan.changes import ACTIONS, STATEFUL_TYPES, Change, Plan, is_component
from tools.plan.classify import classify_change, load_table, matches, replace_note, shrinks
from tools.plan.model import first_deploy, modeled_seconds

SECRET = plan_secrets.SECRET  # how the synth records a secret input (tools/mocks.py)
_short = plan_secrets.short


def _changed_paths(old: Any, new: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    """Leaf paths (dotted, list indices dropped) where two input trees differ."""
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[tuple[str, Any, Any]] = []
        for key in sorted(set(old) | set(new), key=str):
            sub = f"{path}.{key}" if path else str(key)
            if key not in old:
                out.append((sub, None, new[key]))
            elif key not in new:
                out.append((sub, old[key], None))
            else:
                out += _changed_paths(old[key], new[key], sub)
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        out = []
        for o, n in zip(old, new, strict=True):
            out += _changed_paths(o, n, path)
        return out
    return [] if old == new else [(path, old, new)]


def _aliases(record: Mapping[str, Any]) -> list[str]:
    return [a for a in record.get("aliases") or [] if isinstance(a, str)]


def _leaf_paths_containing(inputs: Any, markers: Iterable[str], known: set[str], path: str = "") -> list[str]:
    if isinstance(inputs, dict):
        out = []
        for k, v in inputs.items():
            out += _leaf_paths_containing(v, markers, known, f"{path}.{k}" if path else str(k))
        return out
    if isinstance(inputs, list):
        out = []
        for v in inputs:
            out += _leaf_paths_containing(v, markers, known, path)
        return out
    if inputs == SECRET and path not in known:
        # A secret input without digests on both sides cannot be compared offline: assume it
        # carries the dependency's outputs. (With them, the diff already saw whether it changed.)
        return [path]
    if isinstance(inputs, str) and any(m in inputs for m in markers):
        return [path]
    return []


def _change_text(path: str, old: Any, new: Any) -> str:
    """One changed input: `path: old -> new`, a secret as `[secret changed]` with no value."""
    if plan_secrets.is_secret(old) or plan_secrets.is_secret(new):
        return f"{path}: {plan_secrets.CHANGED}"
    return f"{path}: {_short(old)} -> {_short(new)}"


def diff(
    base: list[dict[str, Any]],
    now: list[dict[str, Any]],
    table: Mapping[str, Any] | None = None,
    allow: Iterable[str] = (),
) -> Plan:
    """The plan to go from the `base` records to the `now` records."""
    table = table if table is not None else load_table()
    allowed = set(allow)
    base_by_urn = {r["urn"]: r for r in base}
    aws_provider = next((r["inputs"] for r in now if r["type"] == "pulumi:providers:aws"), {})
    base_aws = next((r["inputs"] for r in base if r["type"] == "pulumi:providers:aws"), aws_provider)

    pairs: dict[str, str] = {}  # now urn -> base urn
    for r in now:
        if r["urn"] in base_by_urn:
            pairs[r["urn"]] = r["urn"]
    taken = set(pairs.values())
    for r in now:
        if r["urn"] in pairs:
            continue
        for alias in _aliases(r):
            if alias in base_by_urn and alias not in taken:
                pairs[r["urn"]] = alias
                taken.add(alias)
                break
    base_to_now = {b: n for n, b in pairs.items()}

    changes: dict[str, Change] = {}
    renamed: list[tuple[str, str]] = []
    changed_paths: dict[str, list[tuple[str, Any, Any]]] = {}
    for r in now:
        typ = r["type"]
        stateful = typ in STATEFUL_TYPES
        if r["urn"] not in pairs:
            changes[r["urn"]] = Change(r["urn"], typ, "create", stateful, False, ["new resource"])
            continue
        old = base_by_urn[pairs[r["urn"]]]
        reasons: list[str] = []
        if pairs[r["urn"]] != r["urn"]:
            reasons.append(f"renamed from {pairs[r['urn']]} (aliased: same resource)")
        if is_component(r):
            if reasons:
                renamed.append((pairs[r["urn"]], r["urn"]))
            continue
        entry = table.get(typ, {})
        paths = _changed_paths(*plan_secrets.comparable(old, r))
        changed_paths[r["urn"]] = paths
        old_provider = base_to_now.get(old.get("provider") or "", old.get("provider"))
        replace_reasons = []
        if old["type"] != typ:
            replace_reasons.append(f"type changed from {old['type']}")
        if (old_provider or None) != (r.get("provider") or None):
            replace_reasons.append(f"provider changed from {old.get('provider')}")
        rejected: list[str] = []
        for path, was, new in paths:
            hit = matches(path, entry.get("replaceOnChange", []))
            if hit:
                replace_reasons.append(f"{_change_text(path, was, new)} ({replace_note(entry, typ, hit)})")
            elif matches(path, entry.get("rejectedOnUpdate", [])):
                rejected.append(
                    f"{path}: {_short(was)} -> {_short(new)}: immutable in Kubernetes, the API server rejects the "
                    "update; create a new object under a new name instead"
                )
        rejected += shrinks(typ, old.get("inputs") or {}, r.get("inputs") or {}, table)
        if replace_reasons:
            action = "replace"
            reasons += replace_reasons
        elif paths or rejected:
            action = "update"
            reasons += [_change_text(p, o, n) for p, o, n in paths][:20]
        else:
            if reasons:
                renamed.append((pairs[r["urn"]], r["urn"]))
            continue
        change = Change(r["urn"], typ, action, stateful, False, reasons, paths=[p for p, _, _ in paths])
        if rejected:
            change.reasons = rejected + change.reasons
            change.blocked = True
            change.allowable = False
        changes[r["urn"]] = change

    # A replaced resource's outputs are unknown until it exists again: a dependent that consumes
    # them in a replace-on-change input is replaced too (what `pulumi preview` shows).
    now_by_urn = {r["urn"]: r for r in now}
    queue = [u for u, c in changes.items() if c.action == "replace"]
    while queue:
        urn = queue.pop()
        replaced = now_by_urn[urn]
        markers = knockon.markers(replaced, aws_provider)
        for r in now:
            if urn not in (r.get("dependencies") or []) and r.get("provider") != urn:
                continue
            if r["urn"] not in pairs or is_component(r):
                continue
            current = changes.get(r["urn"])
            if current is not None and current.action == "replace":
                continue
            entry = table.get(r["type"], {})
            known = plan_secrets.digested_on_both(base_by_urn.get(pairs[r["urn"]]), r)
            hits = [
                p
                for p in _leaf_paths_containing(r.get("inputs") or {}, markers, known)
                if matches(p, entry.get("replaceOnChange", []))
            ]
            if r.get("provider") == urn:
                hits.append("provider")
            if not hits:
                continue
            reason = f"{', '.join(sorted(set(hits)))}: unknown until {replaced['name']} is replaced (replace-on-change)"
            if current is None:
                current = Change(r["urn"], r["type"], "replace", r["type"] in STATEFUL_TYPES, False, [reason])
                changes[r["urn"]] = current
            else:
                current.action = "replace"
                current.reasons.insert(0, reason)
            queue.append(r["urn"])

    _explain_knock_ons(changes, changed_paths, base_by_urn, pairs, now_by_urn, table, base_aws, aws_provider)

    for b in base:
        if b["urn"] in taken:
            continue
        action = "forget" if b.get("retainOnDelete") else "delete"
        reasons = (
            ["retainOnDelete: Pulumi forgets it and the cloud resource stays"]
            if action == "forget"
            else ["no longer declared"]
        )
        if b.get("protect"):
            # The engine refuses to delete a protected resource before it looks at retainOnDelete
            # (pulumi/pulumi pkg/resource/deploy/step.go, DeleteStep.Apply): a forget stops too.
            reasons.append("protected: pulumi up stops until it is unprotected (pulumi state unprotect)")
        changes[b["urn"]] = Change(b["urn"], b["type"], action, b["type"] in STATEFUL_TYPES, False, reasons)

    for change in changes.values():
        classify_change(change, changed_paths.get(change.urn, []), base_by_urn, pairs)

    blocked = sorted(c.urn for c in changes.values() if c.blocked and (c.urn not in allowed or not c.allowable))
    ordered = sorted(changes.values(), key=lambda c: (ACTIONS.index(c.action), c.type, c.urn))
    seconds = modeled_seconds(now, base, {c.urn: c for c in ordered})
    return Plan(ordered, blocked, seconds, sorted(renamed))


def _explain_knock_ons(
    changes: dict[str, Change],
    changed_paths: Mapping[str, list[tuple[str, Any, Any]]],
    base_by_urn: Mapping[str, Mapping[str, Any]],
    pairs: Mapping[str, str],
    now_by_urn: Mapping[str, Mapping[str, Any]],
    table: Mapping[str, Any],
    base_aws: Mapping[str, Any],
    now_aws: Mapping[str, Any],
) -> None:
    """Says which changed inputs are knock-ons of a replace: they name the replaced resource's id or
    ARN (or, for a secret, are computed from a replaced dependency), which a real `pulumi up` only
    knows once the new resource exists."""
    replaced_urns = [u for u, c in changes.items() if c.action == "replace" and u in pairs]
    replacements = knockon.replaced(((base_by_urn[pairs[u]], now_by_urn[u]) for u in replaced_urns), base_aws, now_aws)
    if not replacements:
        return
    names = {r.urn: r.name for r in replacements}
    for urn, change in changes.items():
        if change.action not in ("update", "replace"):
            continue
        entry = table.get(change.type, {})
        deps = [d for d in (now_by_urn[urn].get("dependencies") or []) if d in names]
        for path, old, new in changed_paths.get(urn, []):
            if plan_secrets.is_secret(old) or plan_secrets.is_secret(new):
                who = names[deps[0]] if deps else None
            else:
                found = knockon.source(replacements, old, new)
                who = found.name if found and found.urn != urn else None
            if who is None:
                continue
            hit = matches(path, entry.get("replaceOnChange", []))
            text = knockon.reason(path, who, replace_note(entry, change.type, hit) if hit else None)
            prefix = f"{path}: "
            change.reasons = [text if r.startswith(prefix) else r for r in change.reasons]


def first_deploy_plan(now: list[dict[str, Any]]) -> Plan:
    """The plan of a stack with nothing deployed: every resource a create, timed by the first-deploy
    model (the critical path of creating everything)."""
    plan = diff([], now)
    plan.first_deploy = True
    plan.modeled_seconds = first_deploy(now)[0]
    return plan
