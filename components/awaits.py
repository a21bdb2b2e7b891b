"""What `pulumi up` waits for on the cluster, and for how long: the one deploy-time model.

pulumi-kubernetes does not wait for a custom resource unless it carries `pulumi.com/waitFor`
(provider/pkg/metadata/overrides.go, `ReadyCondition`: without it the object counts as ready once
the API server stored it). The program therefore annotates what operators build after the apply:

- each ClickHouseInstallation and the ClickHouseKeeperInstallation, until the Altinity operator
  reports the reconcile of *this* spec complete: `status.status` is `Completed` and the completed
  normalized copy it keeps (`status.normalizedCompleted`) carries this spec's `spec.taskID`;
- each cert-manager Certificate, until its `Ready` condition is `True` for its generation.

Why the task id: the operator exposes no `observedGeneration`, so right after an update the status
still says `Completed` for the previous spec. `spec.taskID` (a hash of the rest of the spec, set
here) is the operator's own handle on one reconcile (release-0.25.6: `normalizeTaskID` keeps a
given id, `MakeActionPlan` counts a changed explicit id as a change); the operator copies the
normalized spec into `status.normalizedCompleted` only when that reconcile completes
(`finalizeReconcileAndMarkCompleted`), never when it aborts. `status.taskIDsCompleted` would do for
installations, but the Keeper controller fills `status.taskID` with "" (`FillStatus` in
`type_chk.go`), so both use `normalizedCompleted`.

`pulumi.com/timeoutSeconds` bounds each wait. It is sized from the same phases that give
`tools.plan` its modeled durations (typical seconds there, bounds here), so the plan and the
timeouts cannot drift apart. docs/clickhouse.md ("When `pulumi up` returns") explains both.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

WAIT_FOR = "pulumi.com/waitFor"
TIMEOUT = "pulumi.com/timeoutSeconds"
SKIP_AWAIT = "pulumi.com/skipAwait"
# The operator copies an installation's annotations onto every object it makes, pod templates
# included (release-0.25.6 `annotator.go`, `AnnotatePodTemplate`), unless its configuration
# excludes them: a changed pod template annotation rolls every pod.
OPERATOR_EXCLUDED_ANNOTATIONS = (WAIT_FOR, TIMEOUT)
# An id the operator would take for one it generated itself starts with `auto-` (`types.Id`).
TASK_ID_PREFIX = "byoc-"


@dataclass(frozen=True)
class Phase:
    """One step between applying an object and its operator reporting it done."""

    what: str
    typical: int
    """Seconds it usually takes: what the change plan models."""
    bound: int
    """Seconds a healthy run stays under: what the await timeouts add up."""


OPERATOR_PICKUP = Phase(
    "the operator sees the new generation, normalizes it, writes ConfigMaps, Services, StatefulSets", 10, 60
)
NODE_FROM_ZERO = Phase(
    "the cluster autoscaler sees the pending pod (10 s scan) and its group launches, boots and joins a node", 190, 600
)
SERVER_IMAGE = Phase("the new node pulls the clickhouse-server image", 30, 180)
SERVER_START = Phase("ClickHouse starts and passes its readiness probe", 20, 120)
SERVER_ROLL = Phase(
    "the operator restarts one existing server: out of the cluster, queries drained, restart, ready, back in", 90, 300
)
KEEPER_IMAGE = Phase("a system node pulls the clickhouse-keeper image", 20, 180)
KEEPER_START = Phase("the Keeper members start and elect a leader (quorum 2 of 3)", 40, 240)
KEEPER_ROLL = Phase("the operator restarts one Keeper member; the other two keep the quorum", 60, 300)
OPERATOR_FINISH = Phase(
    "the operator adds the hosts to the cluster, creates tables on new replicas, records Completed", 30, 120
)
CERTIFICATE = Phase(
    "cert-manager proves the zone to Let's Encrypt (DNS01: Route 53 TXT record in sync, propagation check, "
    "ACME validation) and stores the certificate",
    90,
    600,
)
METADATA = Phase("an annotation or label edit: no new generation, the operator does nothing", 2, 60)

# How long the operator waits for one StatefulSet it created or updated to become ready
# (`reconcile.statefulSet.update.timeout`, 300 s by default): a first pod on a node from zero
# needs the node, the image and the start.
STATEFULSET_READY_TIMEOUT = NODE_FROM_ZERO.bound + SERVER_IMAGE.bound + SERVER_START.bound


def _hosts(spec: Mapping[str, Any]) -> int:
    """Servers (or Keeper members) an installation spec asks for."""
    total = 0
    for cluster in (spec.get("configuration") or {}).get("clusters") or []:
        layout = cluster.get("layout") or {}
        total += int(layout.get("shardsCount", 1)) * int(layout.get("replicasCount", 1))
    return max(total, 1)


def _stopped(spec: Mapping[str, Any]) -> bool:
    return str(spec.get("stop", "no")).lower() in ("yes", "true", "1", "on")


def task_id(spec: Mapping[str, Any]) -> str:
    """The operator task of this spec: a hash of everything in it but the task id itself."""
    body = {k: v for k, v in spec.items() if k != "taskID"}
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    return TASK_ID_PREFIX + digest[:16]


def with_task_id(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The spec with its own task id, so the operator's status names the reconcile of this spec."""
    return {**spec, "taskID": task_id(spec)}


def completed_expressions(spec: Mapping[str, Any]) -> list[str]:
    """The `pulumi.com/waitFor` conditions of an installation: completed, for this spec's task."""
    return [
        "jsonpath={.status.status}=Completed",
        f"jsonpath={{.status.normalizedCompleted.spec.taskID}}={spec['taskID']}",
    ]


def installation_timeout(spec: Mapping[str, Any]) -> int:
    """The longest a healthy reconcile of a ClickHouseInstallation takes. The operator waits at most
    `STATEFULSET_READY_TIMEOUT` for each server's StatefulSet before it aborts, and in the worst
    healthy case goes through them one at a time, each on a node from zero (a service started again
    after its nodes scaled in: the replicas of a shard are reconciled one after another). A created
    service (its servers in parallel) or a rolling restart (`SERVER_ROLL` per server) takes less."""
    return OPERATOR_PICKUP.bound + _hosts(spec) * STATEFULSET_READY_TIMEOUT + OPERATOR_FINISH.bound


def keeper_timeout(spec: Mapping[str, Any]) -> int:
    """The longest a healthy Keeper reconcile takes: its members on the system nodes (no scale-up),
    created together, or rolled one at a time."""
    members = max(KEEPER_START.bound, _hosts(spec) * KEEPER_ROLL.bound)
    return OPERATOR_PICKUP.bound + KEEPER_IMAGE.bound + members + OPERATOR_FINISH.bound


def installation_annotations(spec: Mapping[str, Any]) -> dict[str, str]:
    """What `pulumi up` waits for on a ClickHouseInstallation (spec with its task id)."""
    return {WAIT_FOR: json.dumps(completed_expressions(spec)), TIMEOUT: str(installation_timeout(spec))}


def keeper_annotations(spec: Mapping[str, Any]) -> dict[str, str]:
    """What `pulumi up` waits for on a ClickHouseKeeperInstallation (spec with its task id)."""
    return {WAIT_FOR: json.dumps(completed_expressions(spec)), TIMEOUT: str(keeper_timeout(spec))}


def certificate_annotations() -> dict[str, str]:
    """What `pulumi up` waits for on a cert-manager Certificate: issued and valid."""
    return {WAIT_FOR: "condition=Ready", TIMEOUT: str(CERTIFICATE.bound)}


# -- modeled durations (tools.plan) ----------------------------------------------------------------

CREATE, RECONCILE, ROLL, GROW = "create", "reconcile", "roll", "grow"
"""How an installation's reconcile goes: created; re-reconciled with nothing to restart (a new task
id only); existing pods restarted one at a time; new hosts added on nodes from zero."""


def installation_seconds(spec: Mapping[str, Any], how: str) -> int:
    """Typical seconds from applying a ClickHouseInstallation until the operator reports it done."""
    base = OPERATOR_PICKUP.typical + OPERATOR_FINISH.typical
    if how == RECONCILE or _stopped(spec):
        return base
    if how == ROLL:
        return base + _hosts(spec) * SERVER_ROLL.typical
    # Created or grown: the new servers start in parallel, each on a node the autoscaler adds.
    return base + NODE_FROM_ZERO.typical + SERVER_IMAGE.typical + SERVER_START.typical


def keeper_seconds(spec: Mapping[str, Any], how: str) -> int:
    """Typical seconds from applying the ClickHouseKeeperInstallation until the operator reports it done."""
    base = OPERATOR_PICKUP.typical + OPERATOR_FINISH.typical
    if how == RECONCILE:
        return base
    if how == ROLL:
        return base + _hosts(spec) * KEEPER_ROLL.typical
    return base + KEEPER_IMAGE.typical + KEEPER_START.typical
