"""The duration model: modeled seconds per resource type and action (from AWS and Kubernetes
behaviour, and components/awaits.py for what `pulumi up` waits for), and the critical path through
the records' dependencies, providers and parents."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from components import awaits
from tools.plan.changes import CERTIFICATE, CHI, CHK, EKS_CLUSTER, NODE_GROUP, ROLLS, Change

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
