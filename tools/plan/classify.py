"""Classification of a change: what the providers replace (the vendored replace-on-change table,
`tools/data/replace-on-change.json`), what Kubernetes refuses (immutable fields, shrinking volumes),
what is stateful, and what disrupts running workloads (restarts, rolls, drains)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from components import awaits
from tools.plan.changes import (
    CERTIFICATE,
    CHI,
    CHK,
    EKS_CLUSTER,
    HELM_RELEASE,
    NODE_GROUP,
    OPERATOR_CHART,
    ROLLS,
    Change,
    is_component,
)
from tools.plan.secret_inputs import short as _short

TABLE_FILE = Path(__file__).resolve().parent.parent / "data" / "replace-on-change.json"


# -- the vendored table -------------------------------------------------------------------------


def load_table(path: Path = TABLE_FILE) -> dict[str, dict[str, Any]]:
    """Per resource type: replaceOnChange, rejectedOnUpdate and noShrink input paths."""
    return json.loads(path.read_text())["types"]


def uncovered_types(records: Iterable[Mapping[str, Any]], table: Mapping[str, Any]) -> set[str]:
    """Types the records use that the table does not describe (components excepted)."""
    return {r["type"] for r in records if r["type"] not in table and not is_component(r)}


def matches(path: str, listed: Iterable[str]) -> str | None:
    """The listed input path a changed path falls under (or that falls under it)."""
    for item in listed:
        if path == item or path.startswith(item + ".") or item.startswith(path + "."):
            return item
    return None


_UNITS = {
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
}


def quantity_bytes(text: Any) -> float | None:
    """A Kubernetes storage quantity (`50Gi`, `100G`, `1073741824`) in bytes; None if unparsable."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        return float(text)
    if not isinstance(text, str):
        return None
    for unit in sorted(_UNITS, key=len, reverse=True):
        if text.endswith(unit):
            with contextlib.suppress(ValueError):
                return float(text[: -len(unit)]) * _UNITS[unit]
            return None
    with contextlib.suppress(ValueError):
        return float(text)
    return None


def _storage_requests(inputs: Any, dotted: str) -> dict[str, Any]:
    """Values at a dotted path (lists traversed), keyed by the names of the list items on the way."""
    found: dict[str, Any] = {}

    def walk(node: Any, parts: list[str], key: str) -> None:
        if not parts:
            found[key] = node
            return
        if isinstance(node, list):
            for i, item in enumerate(node):
                name = item.get("name", str(i)) if isinstance(item, dict) else str(i)
                walk(item, parts, f"{key}[{name}]")
            return
        if isinstance(node, dict) and parts[0] in node:
            walk(node[parts[0]], parts[1:], f"{key}.{parts[0]}" if key else parts[0])

    walk(inputs, dotted.split("."), "")
    return found


def shrinks(typ: str, old: Mapping[str, Any], new: Mapping[str, Any], table: Mapping[str, Any]) -> list[str]:
    """Storage requests that would get smaller: Kubernetes cannot shrink a volume."""
    out = []
    for dotted in table.get(typ, {}).get("noShrink", []):
        before = _storage_requests(old, dotted)
        after = _storage_requests(new, dotted)
        for key, value in after.items():
            was = quantity_bytes(before.get(key))
            now = quantity_bytes(value)
            if was is not None and now is not None and now < was:
                out.append(
                    f"{key}: {before[key]} -> {value}: Kubernetes cannot shrink a volume; keep {before[key]} "
                    "or larger (a smaller cache needs a new service)"
                )
    return out


def replace_note(entry: Mapping[str, Any], typ: str, hit: str) -> str:
    return f"replace-on-change: {entry.get('source')} {entry.get('tf') or typ} {hit}"


# -- disruption -----------------------------------------------------------------------------------


def _annotation_keys(path: str, old: Any, new: Any) -> set[str]:
    """The annotation keys a changed `metadata.annotations...` path touches."""
    if path == "metadata.annotations":
        before, after = old if isinstance(old, dict) else {}, new if isinstance(new, dict) else {}
        return {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
    return {path.removeprefix("metadata.annotations.")}


def _restarts(typ: str) -> str:
    """How the operator rolls an installation's pods (its configuration in `operator_values`: one
    shard at a time, a shard's replicas one after another, each waited for until ready, and the
    roll stopped at one that is not)."""
    if typ == CHK:
        return "restarts the Keeper members, one at a time, each ready before the next"
    return "restarts the ClickHouse servers, one replica at a time, each ready before the next"


def _chi_disruptive(paths: list[tuple[str, Any, Any]], typ: str = CHI) -> list[str]:
    """A ClickHouse or Keeper spec change restarts existing pods unless it only adds replicas or
    shards or names a new task. The operator copies the installation's labels and annotations onto
    the pod templates (release-0.25.6 `annotator.go`, `labeler.go`), so those roll the pods too,
    except the annotations its configuration excludes (the program's await annotations)."""
    out = []
    for path, old, new in paths:
        growth = path.endswith(("layout.replicasCount", "layout.shardsCount", "replicasCount"))
        if growth and isinstance(old, int) and isinstance(new, int) and new > old:
            continue
        if path == "spec.taskID":
            continue
        if path.startswith("metadata.annotations"):
            copied = sorted(_annotation_keys(path, old, new) - set(awaits.OPERATOR_EXCLUDED_ANNOTATIONS))
            if copied:
                out.append(
                    f"metadata.annotations {', '.join(copied)}: copied onto the pod templates, the operator "
                    "rolls the pods at its next reconcile"
                )
            continue
        if path.startswith("metadata.labels"):
            out.append(f"{path}: copied onto the pod templates: {_restarts(typ)}")
            continue
        out.append(f"{path}: {_restarts(typ)}")
    return out


def _reconcile_notes(change: Change) -> list[str]:
    """What the operator does for an installation update that restarts nothing (not disruptive)."""
    spec = [p for p in change.paths if p.startswith("spec.")]
    if spec == ["spec.taskID"]:
        return ["spec.taskID only: the operator reconciles this spec and restarts nothing"]
    if not spec and change.paths:
        return ["metadata only: no new generation, the operator does not reconcile"]
    return []


def _node_group_disruptive(paths: list[tuple[str, Any, Any]]) -> list[str]:
    out = []
    for path, old, new in paths:
        if path in ("launchTemplate.version", "version", "releaseVersion", "amiType"):
            out.append(f"{path}: {_short(old)} -> {_short(new)}: {ROLLS} (nodes drained and replaced)")
        elif path == "scalingConfig.desiredSize" and isinstance(old, int) and isinstance(new, int) and new < old:
            # A managed node group drains the nodes it scales in: their pods (Keeper on the system
            # groups) are evicted and start again elsewhere.
            out.append(f"{path}: {old} -> {new}: nodes are drained and terminated, their pods restart elsewhere")
    return out


def _cluster_disruptive(paths: list[tuple[str, Any, Any]]) -> list[str]:
    out = []
    for path, old, new in paths:
        if path == "version":
            out.append(f"version: {old} -> {new}: control-plane upgrade (API briefly unavailable during the switch)")
        elif path.startswith(("endpointPublicAccess", "endpointPrivateAccess", "publicAccessCidrs")):
            out.append(f"{path}: endpoint access update (API briefly unavailable)")
    return out


def classify_change(
    change: Change,
    paths: list[tuple[str, Any, Any]],
    base_by_urn: Mapping[str, Mapping[str, Any]],
    pairs: Mapping[str, str],
) -> None:
    """Marks a change disruptive or blocked and adds why."""
    typ = change.type
    chart = (base_by_urn.get(pairs.get(change.urn, change.urn)) or {}).get("inputs", {}).get("chart")
    notes: list[str] = []
    if change.action in ("replace", "delete"):
        if typ in (CHI, CHK):
            notes.append("ClickHouse/Keeper pods stop while the installation is deleted")
        elif typ == NODE_GROUP:
            notes.append("the node group's nodes are drained and terminated")
        elif typ == EKS_CLUSTER:
            notes.append("the Kubernetes API and every workload go away with the cluster")
        elif change.stateful:
            notes.append("stateful: its data or identity is lost")
        if change.stateful:
            change.blocked = True
            change.reasons.append(
                "stateful resource would be " + ("replaced" if change.action == "replace" else "deleted")
            )
        # Protection and retention are state: what counts is the deployed (base) record.
        base_record = base_by_urn.get(pairs.get(change.urn, change.urn)) or {}
        if base_record.get("protect"):
            if change.action == "replace":
                change.reasons.append("protected: pulumi up stops until it is unprotected (pulumi state unprotect)")
            change.blocked = True
        if change.action == "replace" and base_record.get("retainOnDelete"):
            change.reasons.append("retainOnDelete: the old one is kept (forgotten) and a new, empty one is created")
    elif change.action == "forget" and (base_by_urn.get(change.urn) or {}).get("protect"):
        change.blocked = True
    elif change.action == "update":
        if typ in (CHI, CHK):
            notes += _chi_disruptive(paths, typ)
            if not notes:
                change.reasons += _reconcile_notes(change)
        elif typ == NODE_GROUP:
            notes += _node_group_disruptive(paths)
        elif typ == EKS_CLUSTER:
            notes += _cluster_disruptive(paths)
        elif typ == CERTIFICATE and paths and not any(p.startswith("spec.") for p, _, _ in paths):
            # cert-manager's issuing triggers compare the spec with the Secret, never annotations.
            change.reasons.append("metadata only: cert-manager does not reissue the certificate")
        elif typ == HELM_RELEASE and paths and chart == OPERATOR_CHART:
            for path, old, new in paths:
                if path == "version":
                    notes.append(
                        f"operator {old} -> {new}: the new operator reconciles every installation and may "
                        "roll ClickHouse and Keeper pods"
                    )
            if any(p.startswith("values.configs.") for p, _, _ in paths) and not notes:
                # The chart's checksum annotations restart the operator pod; on start it compares each
                # installation with the last one it completed and finds nothing to do.
                change.reasons.append("operator configuration: the operator pod restarts, installations are not rolled")
    if notes:
        change.disruptive = True
        change.reasons += notes
