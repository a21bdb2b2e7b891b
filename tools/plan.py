"""Offline change plan: what `pulumi up` would create, update, replace, delete or forget.

    venv/bin/python -m tools.plan --stack dev                  # base: the merge base with main
    venv/bin/python -m tools.plan --stack dev --base v1.2.0 --json
    venv/bin/python -m tools.plan --config-file Pulumi.acme.yaml --base-resources old/resources.json
    venv/bin/python -m tools.plan --stack dev --first-deploy   # modeled critical path of a fresh deploy

Synthesizes the stack at a base (a git ref, synthesized by that revision's own `tools.synth` in a
temporary copy, or a resources.json file) and now (in this process), pairs resources by URN (or by
an `aliases` entry naming the base URN) and classifies each change with the providers' own
replace-on-change inputs, vendored in `tools/data/replace-on-change.json` with their sources.
A changed secret input shows as `[secret changed]`; an input naming a replaced resource's id or
ARN as a knock-on of that replace. A base without the stack (its file absent at the ref, or an
empty resources.json) is a first deploy. The monthly cost estimate before and after, by layer,
ends the plan.

Exit codes: 0 plan printed; 2 invalid configuration (one line per problem, as the synth); 3 a
stateful resource would be replaced or deleted (or a change Kubernetes rejects) and not every
such URN was allowed with `--allow URN`; 1 anything else (a base that cannot be synthesized).
See docs/change-plan.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from components import awaits
from components.settings import ConfigError
from tools import costdiff, knockon, plan_compat, plan_secrets, projectconfig, stackconfig

TABLE_FILE = Path(__file__).resolve().parent / "data" / "replace-on-change.json"
EXIT_CONFIG = 2
EXIT_BLOCKED = 3
EXIT_FAILURE = 1
ACTIONS = ("create", "update", "replace", "delete", "forget")
SECRET = plan_secrets.SECRET  # how the synth records a secret input (tools/mocks.py)

# Resources whose loss loses data or identity: the network the cluster and its load balancers live
# in, the cluster (its etcd holds every Kubernetes object), buckets, keys (data encrypted with a
# deleted key is unreadable), the DNS zone (delegations point at its name servers), volumes and
# claims, the ClickHouse and Keeper installations, and generated credentials.
STATEFUL_TYPES = frozenset(
    {
        "aws:ec2/vpc:Vpc",
        "aws:ec2/subnet:Subnet",
        "aws:ec2/vpcIpv4CidrBlockAssociation:VpcIpv4CidrBlockAssociation",
        "eks:index:Cluster",
        "aws:eks/cluster:Cluster",
        "aws:s3/bucket:Bucket",
        "aws:kms/key:Key",
        "aws:route53/zone:Zone",
        "aws:ebs/volume:Volume",
        "kubernetes:core/v1:PersistentVolume",
        "kubernetes:core/v1:PersistentVolumeClaim",
        "kubernetes:clickhouse.altinity.com/v1:ClickHouseInstallation",
        "kubernetes:clickhouse-keeper.altinity.com/v1:ClickHouseKeeperInstallation",
        "random:index/randomPassword:RandomPassword",
    }
)

CHI = "kubernetes:clickhouse.altinity.com/v1:ClickHouseInstallation"
CHK = "kubernetes:clickhouse-keeper.altinity.com/v1:ClickHouseKeeperInstallation"
CERTIFICATE = "kubernetes:cert-manager.io/v1:Certificate"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
EKS_CLUSTER = "eks:index:Cluster"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
OPERATOR_CHART = "altinity-clickhouse-operator"
ROLLS = "the node group rolls"

# Modeled seconds per type and action, from AWS and Kubernetes behaviour (see docs/change-plan.md
# for the reasoning). Types not listed take DEFAULT_SECONDS; a replace takes create + delete.
DEFAULT_SECONDS = {"create": 2, "update": 2, "delete": 2, "forget": 0}
SECONDS: dict[str, dict[str, int]] = {
    # EKS control plane: 8-12 min to ACTIVE; a version upgrade 20-30 min; config updates 2-5 min.
    EKS_CLUSTER: {"create": 600, "update": 300, "upgrade": 1500, "delete": 600},
    # Managed node group: an EC2 launch, bootstrap and Ready in 2-4 min; a roll replaces nodes one
    # at a time (maxUnavailable 1), about 5 min per node including drain.
    NODE_GROUP: {"create": 180, "update": 30, "roll": 300, "delete": 300},
    # Managed add-ons whose pods need nodes (CoreDNS, EBS CSI controller) reach ACTIVE once those
    # run; DaemonSet-only add-ons (ADDON_SECONDS) are ACTIVE without nodes. An update rolls them.
    "aws:eks/addon:Addon": {"create": 90, "update": 60, "delete": 30},
    # A NAT gateway takes 1-2 min to become available and about 1 min to delete.
    "aws:ec2/natGateway:NatGateway": {"create": 120, "update": 5, "delete": 60},
    "aws:ec2/vpcEndpoint:VpcEndpoint": {"create": 10, "update": 5, "delete": 10},
    "aws:ec2/vpc:Vpc": {"create": 5, "update": 3, "delete": 10},
    "aws:ec2/internetGateway:InternetGateway": {"create": 3, "update": 3, "delete": 10},
    # IAM is eventually consistent: the provider waits about 10 s for a new role to propagate.
    "aws:iam/role:Role": {"create": 10, "update": 3, "delete": 5},
    "aws:kms/key:Key": {"create": 5, "update": 3, "delete": 2},
    # A hosted zone reaches INSYNC in 30-60 s.
    "aws:route53/zone:Zone": {"create": 45, "update": 5, "delete": 30},
    "aws:s3/bucket:Bucket": {"create": 3, "update": 3, "delete": 3},
    # Helm releases wait for their workloads to become ready (chart-specific, below).
    "kubernetes:helm.sh/v3:Release": {"create": 60, "update": 60, "delete": 20},
    # `pulumi up` waits for the operator to complete an installation and for cert-manager to issue
    # a certificate (components/awaits.py): create and update come from that model, per record.
    CHI: {"delete": 30},
    CHK: {"delete": 30},
    CERTIFICATE: {"delete": 2},
    "random:index/randomPassword:RandomPassword": {"create": 0, "update": 0, "delete": 0},
}
ADDON_SECONDS = {"vpc-cni": 45, "kube-proxy": 45, "eks-pod-identity-agent": 45}
# Helm charts whose readiness takes notably longer or shorter than the default minute.
CHART_SECONDS = {
    "base": 10,
    "istiod": 60,
    "gateway": 90,
    "cert-manager": 60,
    "aws-load-balancer-controller": 45,
    "cluster-autoscaler": 30,
    "external-dns": 30,
    "altinity-clickhouse-operator": 45,
}


@dataclass
class Change:
    """One resource's planned change."""

    urn: str
    type: str
    action: str
    stateful: bool = False
    disruptive: bool = False
    reasons: list[str] = field(default_factory=list)
    blocked: bool = False
    allowable: bool = True
    """False for a change Kubernetes rejects: --allow cannot make it work."""
    seconds: int = 0
    paths: list[str] = field(default_factory=list)
    """The changed input paths of an update (dotted)."""

    def as_json(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "action": self.action,
            "stateful": self.stateful,
            "disruptive": self.disruptive,
            "reasons": self.reasons,
        }


@dataclass
class Plan:
    """The changes between two sets of records, what blocks them, and the modeled duration."""

    changes: list[Change]
    blocked: list[str]
    modeled_seconds: int
    renamed: list[tuple[str, str]] = field(default_factory=list)
    """(base URN, new URN) of resources renamed through `aliases` with no other change: Pulumi
    shows them as unchanged, so they are not in `changes`."""
    first_deploy: bool = False
    """Nothing is deployed at the base: every resource is created, the duration is the first-deploy
    model."""
    cost: costdiff.CostDelta | None = None
    """The monthly estimate before and after, by layer."""

    def as_json(self) -> dict[str, Any]:
        doc = {
            "changes": [c.as_json() for c in self.changes],
            "blocked": self.blocked,
            "modeled_seconds": self.modeled_seconds,
            "first_deploy": self.first_deploy,
        }
        if self.cost is not None:
            doc["cost"] = self.cost.as_json()
        return doc


# -- the vendored table -------------------------------------------------------------------------


def load_table(path: Path = TABLE_FILE) -> dict[str, dict[str, Any]]:
    """Per resource type: replaceOnChange, rejectedOnUpdate and noShrink input paths."""
    return json.loads(path.read_text())["types"]


def is_component(record: Mapping[str, Any]) -> bool:
    """This project's own component resources (and the stack): never diffed, only created/deleted."""
    typ = record["type"]
    return typ == "pulumi:pulumi:Stack" or (typ.startswith("clickhouse-byoc:") and not record.get("custom", True))


def uncovered_types(records: Iterable[Mapping[str, Any]], table: Mapping[str, Any]) -> set[str]:
    """Types the records use that the table does not describe (components excepted)."""
    return {r["type"] for r in records if r["type"] not in table and not is_component(r)}


# -- input diffs ----------------------------------------------------------------------------------


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


def _matches(path: str, listed: Iterable[str]) -> str | None:
    """The listed input path a changed path falls under (or that falls under it)."""
    for item in listed:
        if path == item or path.startswith(item + ".") or item.startswith(path + "."):
            return item
    return None


_short = plan_secrets.short


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


# -- the diff -------------------------------------------------------------------------------------


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
            hit = _matches(path, entry.get("replaceOnChange", []))
            if hit:
                replace_reasons.append(f"{_change_text(path, was, new)} ({_replace_note(entry, typ, hit)})")
            elif _matches(path, entry.get("rejectedOnUpdate", [])):
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
                if _matches(p, entry.get("replaceOnChange", []))
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
        _classify(change, changed_paths.get(change.urn, []), base_by_urn, pairs)

    blocked = sorted(c.urn for c in changes.values() if c.blocked and (c.urn not in allowed or not c.allowable))
    ordered = sorted(changes.values(), key=lambda c: (ACTIONS.index(c.action), c.type, c.urn))
    seconds = modeled_seconds(now, base, {c.urn: c for c in ordered})
    return Plan(ordered, blocked, seconds, sorted(renamed))


def _replace_note(entry: Mapping[str, Any], typ: str, hit: str) -> str:
    return f"replace-on-change: {entry.get('source')} {entry.get('tf') or typ} {hit}"


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
            hit = _matches(path, entry.get("replaceOnChange", []))
            text = knockon.reason(path, who, _replace_note(entry, change.type, hit) if hit else None)
            prefix = f"{path}: "
            change.reasons = [text if r.startswith(prefix) else r for r in change.reasons]


def _classify(
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


# -- durations ------------------------------------------------------------------------------------


def _reconcile_kind(change: Change | None) -> str:
    """How the operator reconciles an installation update (components/awaits.py)."""
    if change is None:
        return awaits.CREATE
    if change.disruptive:
        return awaits.ROLL
    if any(p.endswith(("layout.replicasCount", "layout.shardsCount")) for p in change.paths):
        return awaits.GROW
    return awaits.RECONCILE


def _awaited_seconds(record: Mapping[str, Any], action: str, change: Change | None) -> int | None:
    """Modeled seconds of what `pulumi up` waits for (components/awaits.py); None: not awaited."""
    typ = record["type"]
    if typ not in (CHI, CHK, CERTIFICATE):
        return None
    spec = (record.get("inputs") or {}).get("spec") or {}
    if action == "update" and change is not None and not any(p.startswith("spec.") for p in change.paths):
        # Metadata only: no new generation, nothing to reconcile or reissue.
        return awaits.METADATA.typical
    if typ in (CHI, CHK) and action in ("create", "update"):
        how = awaits.CREATE if action == "create" else _reconcile_kind(change)
        return (awaits.installation_seconds if typ == CHI else awaits.keeper_seconds)(spec, how)
    if typ == CERTIFICATE and action in ("create", "update"):
        return awaits.CERTIFICATE.typical
    return None


def _duration(record: Mapping[str, Any], action: str, change: Change | None = None) -> int:
    typ = record["type"]
    if record.get("custom") is False and typ != EKS_CLUSTER:
        return 0
    awaited = _awaited_seconds(record, action, change)
    if awaited is not None:
        return awaited
    table = SECONDS.get(typ, DEFAULT_SECONDS)
    if typ == "aws:eks/addon:Addon" and action == "create":
        return ADDON_SECONDS.get(record.get("inputs", {}).get("addonName", ""), table[action])
    if typ == "kubernetes:helm.sh/v3:Release" and action in ("create", "update"):
        return CHART_SECONDS.get(record.get("inputs", {}).get("chart", ""), table[action])
    if action == "replace":
        return _duration(record, "create") + _duration(record, "delete")
    if action == "update" and change is not None:
        if typ == EKS_CLUSTER and any(r.startswith("version:") for r in change.reasons):
            return table["upgrade"]
        if typ == NODE_GROUP and any(ROLLS in r for r in change.reasons):
            size = (record.get("inputs", {}).get("scalingConfig") or {}).get("desiredSize") or 1
            return table["roll"] * max(int(size), 1)
    return table.get(action, DEFAULT_SECONDS.get(action, 2))


def critical_path(records: list[dict[str, Any]], seconds: Mapping[str, int]) -> tuple[int, list[tuple[str, int]]]:
    """The longest chain of waits (dependencies, providers and parents) and its total seconds.

    A resource starts when its parent has started and everything it depends on has finished; a
    dependency on a component waits for all of that component's descendants."""
    by_urn = {r["urn"]: r for r in records}
    children: dict[str, list[str]] = {}
    for r in records:
        if r.get("parent") in by_urn:
            children.setdefault(r["parent"], []).append(r["urn"])
    finish: dict[str, tuple[int, str | None]] = {}
    start: dict[str, tuple[int, str | None]] = {}

    def waits_for(urn: str) -> list[str]:
        r = by_urn[urn]
        deps = list(r.get("dependencies") or [])
        if r.get("provider"):
            deps.append(r["provider"])
        return [d for d in deps if d in by_urn]

    def start_of(urn: str, trail: frozenset[str]) -> tuple[int, str | None]:
        if urn in start:
            return start[urn]
        best: tuple[int, str | None] = (0, None)
        for dep in waits_for(urn):
            if dep in trail:
                continue
            t = finish_of(dep, trail | {urn})
            if t[0] > best[0]:
                best = (t[0], dep)
        parent = by_urn[urn].get("parent")
        if parent in by_urn and parent not in trail:
            t = start_of(parent, trail | {urn})
            if t[0] > best[0]:
                best = (t[0], t[1])
        start[urn] = best
        return best

    def finish_of(urn: str, trail: frozenset[str]) -> tuple[int, str | None]:
        if urn in finish:
            return finish[urn]
        s = start_of(urn, trail)
        end = (s[0] + seconds.get(urn, 0), urn)
        r = by_urn[urn]
        if r.get("custom") is False and r["type"] != EKS_CLUSTER:
            for child in children.get(urn, []):
                if child in trail:
                    continue
                t = finish_of(child, trail | {urn})
                if t[0] > end[0]:
                    end = t
        finish[urn] = end
        return end

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10000))
    last = max(records, key=lambda r: finish_of(r["urn"], frozenset())[0], default=None)
    if last is None:
        return 0, []
    total, tail = finish_of(last["urn"], frozenset())
    chain: list[tuple[str, int]] = []
    seen: set[str] = set()
    urn: str | None = tail
    while urn and urn not in seen:
        seen.add(urn)
        if seconds.get(urn, 0):
            chain.append((urn, seconds[urn]))
        urn = start.get(urn, (0, None))[1]
        while urn and seconds.get(urn, 0) == 0 and urn in by_urn and by_urn[urn].get("custom") is False:
            nxt = start.get(urn, (0, None))[1]
            if nxt == urn or nxt in seen:
                break
            seen.add(urn)
            urn = nxt
    return total, list(reversed(chain))


def modeled_seconds(now: list[dict[str, Any]], base: list[dict[str, Any]], changes: Mapping[str, Change]) -> int:
    """The critical path of the changes: unchanged resources take no time, changes run in parallel
    where their dependencies allow."""
    records = list(now) + [b for b in base if b["urn"] in changes and changes[b["urn"]].action in ("delete", "forget")]
    seconds = {}
    for r in records:
        change = changes.get(r["urn"])
        if change is not None:
            seconds[r["urn"]] = _duration(r, change.action, change)
    return critical_path(records, seconds)[0]


def first_deploy(records: list[dict[str, Any]]) -> tuple[int, list[tuple[str, int]]]:
    """The modeled critical path of creating every resource from nothing."""
    return critical_path(records, {r["urn"]: _duration(r, "create") for r in records})


# -- rendering ------------------------------------------------------------------------------------

_SYMBOL = {"create": "+", "update": "~", "replace": "+-", "delete": "-", "forget": "-~"}


def _minutes(seconds: int) -> str:
    return f"{seconds // 60}m{seconds % 60:02d}s"


def _name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def _flags(c: Change, allowed: set[str]) -> str:
    flags = []
    if c.stateful:
        flags.append("stateful")
    if c.disruptive:
        flags.append("disruptive")
    if c.blocked:
        flags.append("allowed" if c.urn in allowed and c.allowable else "BLOCKED")
    return f" [{', '.join(flags)}]" if flags else ""


def _created_by_type(plan: Plan) -> list[tuple[str, int, int]]:
    """A first deploy's creates as (type, count, stateful count), by type."""
    counts: dict[str, list[int]] = {}
    for c in plan.changes:
        entry = counts.setdefault(c.type, [0, 0])
        entry[0] += 1
        entry[1] += int(c.stateful)
    return [(t, n, s) for t, (n, s) in sorted(counts.items())]


def render_text(plan: Plan, allowed: Iterable[str] = ()) -> str:
    allowed = set(allowed)
    lines = []
    if plan.first_deploy:
        lines.append("first deploy: nothing is deployed at the base; every resource is created")
        for typ, n, stateful in _created_by_type(plan):
            lines.append(f" + create  {typ} x{n}{f' [{stateful} stateful]' if stateful else ''}")
    else:
        for c in plan.changes:
            lines.append(f"{_SYMBOL[c.action]:>2} {c.action:<7} {c.type}  {_name(c.urn)}{_flags(c, allowed)}")
            lines += [f"      {reason}" for reason in c.reasons]
    lines.append(summary_line(plan))
    if plan.cost is not None:
        lines.append(costdiff.render_text(plan.cost))
    if plan.blocked:
        lines.append(
            f"blocked ({len(plan.blocked)}): allow a stateful replace or delete with --allow URN once you "
            "accept the loss; a change Kubernetes rejects must be changed instead:"
        )
        lines += [f"  {urn}" for urn in plan.blocked]
    return "\n".join(lines)


def summary_line(plan: Plan) -> str:
    counts = {a: sum(1 for c in plan.changes if c.action == a) for a in ACTIONS}
    parts = [f"{n} {a}" for a, n in counts.items() if n]
    disruptive = sum(1 for c in plan.changes if c.disruptive)
    renamed = f"; {len(plan.renamed)} renamed through aliases (unchanged)" if plan.renamed else ""
    what = "Plan (first deploy)" if plan.first_deploy else "Plan"
    return (
        f"{what}: {', '.join(parts) or 'no changes'}; {disruptive} disruptive; "
        f"modeled {_minutes(plan.modeled_seconds)}{renamed}"
    )


def render_markdown(plan: Plan, title: str, allowed: Iterable[str] = ()) -> str:
    allowed = set(allowed)
    out = [f"### {title}", "", summary_line(plan), ""]
    if plan.blocked:
        out += [
            f"**Blocked ({len(plan.blocked)})**: a stateful resource would be replaced or deleted, or Kubernetes "
            "rejects the change. Allow each with `--allow URN` only if the loss is intended.",
            "",
        ]
    if plan.cost is not None:
        out += [costdiff.render_markdown(plan.cost)]
    if plan.first_deploy:
        out += [
            "First deploy: nothing is deployed at the base; every resource is created.",
            "",
            "| type | create | stateful |",
            "|---|---:|---:|",
        ]
        out += [f"| `{t}` | {n} | {s or ''} |" for t, n, s in _created_by_type(plan)]
    elif plan.changes:
        out += ["| action | type | name | stateful | disruptive | why |", "|---|---|---|---|---|---|"]
        for c in plan.changes:
            why = "<br>".join(r.replace("|", "\\|") for r in c.reasons[:6])
            status = " (blocked)" if c.urn in plan.blocked else ""
            out.append(
                f"| {c.action}{status} | `{c.type}` | `{_name(c.urn)}` | {'yes' if c.stateful else ''} | "
                f"{'yes' if c.disruptive else ''} | {why} |"
            )
    return "\n".join(out) + "\n"


def render_first_deploy(total: int, chain: list[tuple[str, int]]) -> str:
    lines = [f"modeled first deploy: {_minutes(total)} ({total} s) along the critical path:"]
    elapsed = 0
    for urn, secs in chain:
        elapsed += secs
        typ = urn.rsplit("::", 2)[-2].rsplit("$", 1)[-1]
        lines.append(f"  {_minutes(elapsed):>8}  +{secs:>4} s  {typ}  {_name(urn)}")
    return "\n".join(lines)


# -- synthesis at a base and now ----------------------------------------------------------------


class BaseError(Exception):
    """The base could not be synthesized."""


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=stackconfig.ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()


def default_base() -> str:
    """The merge base of HEAD with main (or origin/main, as in a CI checkout)."""
    for branch in ("main", "origin/main"):
        with contextlib.suppress(subprocess.CalledProcessError):
            return _git("merge-base", "HEAD", branch)
    raise BaseError("no merge base of HEAD with main or origin/main: fetch main, or pass --base REF")


def synth_at_ref(ref: str, stack: str | None, config_file: Path | None) -> list[dict[str, Any]] | None:
    """Runs the ref's own tools.synth in a temporary copy of that revision and returns its records.

    With --stack, the ref's own Pulumi.<stack>.yaml is used (the config change is part of the
    diff); a ref without that file has nothing of the stack: None, a first deploy. With
    --config-file, the same file is used on both sides."""
    with tempfile.TemporaryDirectory(prefix="byoc-plan-") as tmp:
        root = Path(tmp) / "src"
        root.mkdir()
        archive = Path(tmp) / "src.tar"
        try:
            subprocess.run(
                ["git", "archive", "--format=tar", "-o", str(archive), ref],
                cwd=stackconfig.ROOT,
                capture_output=True,
                text=True,
                check=True,
            )
        except subprocess.CalledProcessError as exc:
            raise BaseError(f"cannot read git ref {ref!r}: {exc.stderr.strip()}") from exc
        with tarfile.open(archive) as tar:
            tar.extractall(root, filter="data")
        if config_file is not None:
            source = ["--config-file", str(config_file.resolve())]
        elif (root / f"Pulumi.{stack or 'dev'}.yaml").exists():
            source = ["--stack", stack or "dev"]
        else:
            return None
        out = Path(tmp) / "out"
        command = [sys.executable, "-m", "tools.synth", *source, "--out", str(out), "--no-policy-check"]
        proc = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=600)
        if proc.returncode == EXIT_CONFIG and "unrecognized arguments: --no-policy-check" in proc.stderr:
            # A revision older than the policy check: its synth has no such flag.
            proc = subprocess.run(command[:-1], cwd=root, capture_output=True, text=True, timeout=600)
        if proc.returncode == EXIT_CONFIG:
            raise ConfigError([f"base {ref}: {line}" for line in proc.stderr.strip().splitlines()])
        if proc.returncode != 0:
            raise BaseError(f"the synth at {ref} failed (exit {proc.returncode}):\n{proc.stderr.strip()}")
        return json.loads((out / "resources.json").read_text())


def _stacks(records: list[dict[str, Any]]) -> set[str]:
    """The stack names in a set of records' URNs (`urn:pulumi:<stack>::<project>::...`)."""
    return {r["urn"].split("::", 1)[0].removeprefix("urn:pulumi:") for r in records}


def synth_now(cfg: stackconfig.StackConfig) -> list[dict[str, Any]]:
    from tools import synth

    result = synth.synthesize(cfg)
    return sorted(result.resources, key=lambda r: r["urn"])


def first_deploy_plan(now: list[dict[str, Any]]) -> Plan:
    """The plan of a stack with nothing deployed: every resource a create, timed by the first-deploy
    model (the critical path of creating everything)."""
    plan = diff([], now)
    plan.first_deploy = True
    plan.modeled_seconds = first_deploy(now)[0]
    return plan


EPILOG = """\
exit codes:
  0  plan printed
  1  anything else (a base that cannot be synthesized, a base of another stack)
  2  invalid configuration (one line per problem), at the base or now
  3  a stateful resource would be replaced or deleted (or a change Kubernetes rejects), and not
     every such URN was allowed with --allow

A required secret the stack does not set yet (clickhouseCloud.externalId before `pulumi stack
init`) is noted in one line; the plan uses a stand-in for it.

examples:
  venv/bin/python -m tools.plan --stack acme-prod-usw2 --first-deploy
  venv/bin/python -m tools.plan --stack dev                        # base: the merge base with main
  venv/bin/python -m tools.plan --stack dev --base v1.2.0 --json
  venv/bin/python -m tools.plan --config-file Pulumi.acme.yaml --base-resources old/resources.json
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="venv/bin/python -m tools.plan",
        description=__doc__.split("\n")[0],
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--stack", default="dev", help="stack name: reads Pulumi.<stack>.yaml (default: dev)")
    source.add_argument("--config-file", type=Path, help="any stack config file instead of --stack")
    base = parser.add_mutually_exclusive_group()
    base.add_argument("--base", help="git ref to compare with (default: the merge base of HEAD and main)")
    base.add_argument("--base-resources", type=Path, help="a resources.json to compare with instead of a git ref")
    parser.add_argument(
        "--base-config-file", type=Path, help="the stack config file for the base synth (default: as for now)"
    )
    parser.add_argument("--resources", type=Path, help="a resources.json for now instead of synthesizing")
    parser.add_argument(
        "--allow", action="append", default=[], metavar="URN", help="accept this blocked URN (repeat for each)"
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print the plan as JSON")
    output.add_argument("--markdown", action="store_true", help="print the plan as a pull-request comment")
    parser.add_argument("--first-deploy", action="store_true", help="print the modeled critical path of a fresh deploy")
    args = parser.parse_args(argv)

    try:
        if args.resources:
            now = json.loads(args.resources.read_text())
        else:
            cfg = stackconfig.load(args.config_file) if args.config_file else stackconfig.load_stack(args.stack)
            cfg, still_to_set = stackconfig.offline(cfg)
            now = synth_now(cfg)
            for line in still_to_set:  # on a valid stack only: a broken one is its problems alone
                print(f"plan: note: {line}", file=sys.stderr)
    except (ConfigError, projectconfig.ProjectConfigError) as exc:
        print("\n".join(exc.problems), file=sys.stderr)
        return EXIT_CONFIG
    except (OSError, ValueError, KeyError) as exc:
        print(f"plan: cannot read the stack configuration: {' '.join(str(exc).split())}", file=sys.stderr)
        return EXIT_CONFIG

    if args.first_deploy:
        total, chain = first_deploy(now)
        if args.json:
            print(json.dumps({"modeled_seconds": total, "critical_path": [{"urn": u, "seconds": s} for u, s in chain]}))
        else:
            print(render_first_deploy(total, chain))
        return 0

    try:
        if args.base_resources:
            base_records = json.loads(args.base_resources.read_text())
            label = str(args.base_resources)
        else:
            ref = args.base or default_base()
            label = ref
            base_config = args.base_config_file or args.config_file
            base_records = synth_at_ref(ref, None if base_config else args.stack, base_config)
            if base_records is None:
                label = f"{ref}, where Pulumi.{args.stack}.yaml does not exist yet"
                base_records = []
    except ConfigError as exc:
        print("\n".join(exc.problems), file=sys.stderr)
        return EXIT_CONFIG
    except (BaseError, OSError, ValueError, subprocess.CalledProcessError) as exc:
        print(f"plan: {exc}", file=sys.stderr)
        return EXIT_FAILURE

    stacks = {label: _stacks(base_records), "now": _stacks(now)}
    if stacks[label] and stacks["now"] and stacks[label] != stacks["now"]:
        print(
            f"plan: the base is stack {', '.join(sorted(stacks[label]))} and now is stack "
            f"{', '.join(sorted(stacks['now']))}: every URN would differ; compare the same stack "
            "(the stack name comes from the file name Pulumi.<stack>.yaml)",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    if base_records:
        # A base from before ids derived from replace-forcing inputs: its ids as today's mocks make them.
        base_aws = next((r["inputs"] for r in base_records if r["type"] == "pulumi:providers:aws"), {})
        base_records = plan_compat.upgrade(base_records, base_aws)
    plan = diff(base_records, now, allow=args.allow) if base_records else first_deploy_plan(now)
    plan.cost = costdiff.compare(base_records, now)
    if args.json:
        print(json.dumps(plan.as_json(), indent=2))
    elif args.markdown:
        stack = args.config_file.name if args.config_file else f"stack {args.stack}"
        print(render_markdown(plan, f"Change plan ({stack}, base {label})", args.allow))
    else:
        print(render_text(plan, args.allow))
    return EXIT_BLOCKED if plan.blocked else 0


if __name__ == "__main__":
    from tools.synth import _close_event_loop

    code = main()
    _close_event_loop()
    sys.exit(code)
