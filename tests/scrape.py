"""Which pods and ports Prometheus scrapes, as the real consumers decide it (pure functions).

- prometheus-operator v0.93 (the version kube-prometheus-stack 88.5.3 pins), `pkg/prometheus/
  promcfg.go` at `release-0.93`: a PodMonitor endpoint keeps the pod's declared container ports
  whose name is its `port` (regex `keep` on `__meta_kubernetes_pod_container_port_name`), else
  whose number is its `portNumber` (`__meta_kubernetes_pod_container_port_number`); a
  ServiceMonitor endpoint keeps the Service's endpoint port named `port`. Prometheus' pod
  discovery makes one target per *declared* container port: an undeclared port is never a target.
  The PodMonitor CRD (vendored with the chart) says the same of `portNumber`.
- the Altinity operator 0.25.6 (`tests/upstream/altinity-clickhouse-operator-0.25.6/`): the pods of
  a ClickHouseInstallation / ClickHouseKeeperInstallation are the pod template's, with the
  operator's named ports ensured on the application container and its `.../chi` / `.../chk`
  label.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

UPSTREAM = Path(__file__).resolve().parent / "upstream"
OPERATOR_PORTS = UPSTREAM / "altinity-clickhouse-operator-0.25.6" / "container-ports.yaml"
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet"}
# The operator's kinds and the role of their pods in container-ports.yaml.
OPERATOR_KINDS = {"ClickHouseInstallation": "server", "ClickHouseKeeperInstallation": "keeper"}


@dataclass(frozen=True)
class Pod:
    """A pod as Prometheus' pod discovery sees it: where, its labels, its declared ports."""

    source: str
    namespace: str
    labels: dict[str, str]
    ports: tuple[tuple[str, str | None, int], ...]
    """(container, port name or None, container port) of every declared container port."""


@dataclass
class Objects:
    """The pods and Services of a set of Kubernetes objects."""

    pods: list[Pod] = field(default_factory=list)
    services: list[dict[str, Any]] = field(default_factory=list)


@functools.cache
def operator_ports() -> dict[str, Any]:
    return yaml.safe_load(OPERATOR_PORTS.read_text())


def ensure_ports(template_ports: list[dict[str, Any]], operator: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The Altinity operator's `ContainerEnsurePortByName` for each of its ports, in order: a template
    port of the same name gets the operator's number; a missing name is appended; others stay."""
    ports = [dict(p) for p in template_ports]
    for port in operator:
        same = [p for p in ports if p.get("name") == port["name"]]
        if same:
            same[0]["containerPort"] = port["containerPort"]
            same[0].pop("hostPort", None)
        else:
            ports.append({"name": port["name"], "containerPort": port["containerPort"]})
    return ports


def _declared(containers: Iterable[dict[str, Any]]) -> tuple[tuple[str, str | None, int], ...]:
    return tuple((c["name"], p.get("name"), int(p["containerPort"])) for c in containers for p in c.get("ports", []))


def operator_pod(obj: dict[str, Any]) -> Pod:
    """The pods of a ClickHouseInstallation or ClickHouseKeeperInstallation (one per host; they share
    the template): the default pod template, its app container given the operator's ports."""
    role = operator_ports()[OPERATOR_KINDS[obj["kind"]]]
    spec = obj["spec"]
    name = spec["defaults"]["templates"]["podTemplate"]
    (template,) = [t for t in spec["templates"]["podTemplates"] if t["name"] == name]
    containers = [dict(c) for c in template["spec"]["containers"]]
    app = [c for c in containers if c["name"] == role["container"]]
    if app:
        app[0]["ports"] = ensure_ports(app[0].get("ports", []), role["ports"])
    else:
        containers.append({"name": role["container"], "ports": [dict(p) for p in role["ports"]]})
    labels = {**template.get("metadata", {}).get("labels", {}), role["cr_label"]: obj["metadata"]["name"]}
    return Pod(f"{obj['kind']}/{obj['metadata']['name']}", obj["metadata"]["namespace"], labels, _declared(containers))


def collect(objects: Iterable[dict[str, Any]]) -> Objects:
    """The pods (workloads' templates, CronJobs' job templates, the operator's installations) and the
    Services of `objects` (each with its namespace set)."""
    out = Objects()
    for obj in objects:
        kind, meta = obj.get("kind"), obj.get("metadata", {})
        if kind in OPERATOR_KINDS:
            out.pods.append(operator_pod(obj))
            continue
        template = None
        if kind in WORKLOADS:
            template = obj["spec"]["template"]
        elif kind == "CronJob":
            template = obj["spec"]["jobTemplate"]["spec"]["template"]
        elif kind == "Pod":
            template = obj
        elif kind == "Service":
            out.services.append(obj)
        if template is not None:
            labels = template.get("metadata", {}).get("labels", {}) or {}
            containers = [*template["spec"].get("initContainers", []), *template["spec"]["containers"]]
            # Native sidecars (init containers that keep running) are scraped like containers.
            out.pods.append(Pod(f"{kind}/{meta.get('name')}", meta.get("namespace", ""), labels, _declared(containers)))
    return out


def selects(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    """A Kubernetes label selector (matchLabels and matchExpressions) on `labels`."""
    selector = selector or {}
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expr in selector.get("matchExpressions", []):
        key, op, values = expr["key"], expr["operator"], expr.get("values", [])
        ok = {
            "In": key in labels and labels[key] in values,
            "NotIn": key not in labels or labels[key] not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[op]
        if not ok:
            return False
    return True


def _namespaces(monitor: dict[str, Any]) -> set[str] | None:
    """The namespaces a monitor looks in (None: every namespace)."""
    selector = monitor["spec"].get("namespaceSelector") or {}
    if selector.get("any"):
        return None
    return set(selector.get("matchNames") or [monitor["metadata"]["namespace"]])


def _in(namespaces: set[str] | None, namespace: str) -> bool:
    return namespaces is None or namespace in namespaces


def pod_monitor_targets(
    monitor: dict[str, Any], endpoint: dict[str, Any], pods: Iterable[Pod]
) -> list[tuple[Pod, int]]:
    """The (pod, port) targets a PodMonitor endpoint keeps: pods in its namespaces matching its
    selector, on a declared port whose name is `port`, else whose number is `portNumber`."""
    namespaces = _namespaces(monitor)
    targets = []
    for pod in pods:
        if not (_in(namespaces, pod.namespace) and selects(monitor["spec"].get("selector"), pod.labels)):
            continue
        for _container, name, number in pod.ports:
            if endpoint.get("port"):
                keep = name == endpoint["port"]
            elif endpoint.get("portNumber"):
                keep = number == int(endpoint["portNumber"])
            else:
                keep = True
            if keep:
                targets.append((pod, number))
    return targets


def selected_pods(monitor: dict[str, Any], pods: Iterable[Pod]) -> list[Pod]:
    namespaces = _namespaces(monitor)
    return [p for p in pods if _in(namespaces, p.namespace) and selects(monitor["spec"].get("selector"), p.labels)]


def service_monitor_targets(
    monitor: dict[str, Any], endpoint: dict[str, Any], objects: Objects
) -> list[tuple[dict[str, Any], Pod, int]]:
    """The (Service, pod, port) targets of a ServiceMonitor endpoint: Services in its namespaces
    matching its selector with a port named `port`; behind each, the pods its selector matches that
    declare the port's `targetPort` (by name), or any of them for a numeric `targetPort`."""
    namespaces = _namespaces(monitor)
    targets = []
    for service in objects.services:
        meta = service["metadata"]
        if not (
            _in(namespaces, meta.get("namespace", ""))
            and selects(monitor["spec"].get("selector"), meta.get("labels", {}))
        ):
            continue
        for port in service["spec"].get("ports", []):
            if port.get("name") != endpoint.get("port"):
                continue
            target = port.get("targetPort", port["port"])
            selector = service["spec"].get("selector")
            if not selector:
                continue
            for pod in objects.pods:
                if pod.namespace != meta.get("namespace") or not selects({"matchLabels": selector}, pod.labels):
                    continue
                if isinstance(target, str):
                    targets += [(service, pod, n) for _c, name, n in pod.ports if name == target]
                else:
                    targets.append((service, pod, int(target)))
    return targets
