"""The observability tests' view of the chart harness (`tests/references.py`): render one vendored
chart with given values, and validate objects strictly (built-in kinds against the Kubernetes
schemas, custom resources against the CRDs the vendored charts install)."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from components import versions
from tests import references as ref


def render(name: str, version: str, values: dict[str, Any], release: str, namespace: str) -> list[dict[str, Any]]:
    """Every object the chart installs with these values (its CRDs left out)."""
    inputs = {"chart": name, "version": version, "name": release, "namespace": namespace, "values": values}
    return [o for o in ref.render_release(inputs) if o["kind"] != "CustomResourceDefinition"]


@functools.cache
def _crds() -> ref.CrdIndex:
    """The CRDs of the charts that bring them (the Prometheus operator's, Tailscale's)."""
    crds = []
    for pin in (versions.KUBE_PROMETHEUS_STACK_CHART, versions.TAILSCALE_OPERATOR_CHART):
        inputs = {"chart": pin.chart, "version": pin.version, "name": pin.chart, "namespace": "x", "values": {}}
        crds += [o for o in ref.render_release(inputs) if o["kind"] == "CustomResourceDefinition"]
    return ref.CrdIndex(crds)


def validate_all(objects: Iterable[dict[str, Any]]) -> list[str]:
    """Every problem of every object, one line each (empty: all valid)."""
    problems = []
    for obj in objects:
        crds = _crds()
        errors = crds.errors(obj) if crds.knows(obj["apiVersion"], obj["kind"]) else ref.builtin_errors(obj)
        problems += [f"{obj['kind']}/{obj.get('metadata', {}).get('name')}: {e}" for e in errors]
    return problems


POD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet"}


def pod_specs(objects: Iterable[dict[str, Any]]) -> list[tuple[str, str, dict[str, Any]]]:
    """(kind, name, pod spec) of every workload."""
    return [
        (o["kind"], o["metadata"]["name"], o["spec"]["template"]["spec"]) for o in objects if o.get("kind") in POD_KINDS
    ]
