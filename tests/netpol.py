"""Kubernetes NetworkPolicy semantics, and the cluster the program builds, as pods and Services.

`admits(cluster, client, server, port)` answers whether the NetworkPolicies of a cluster let a
client pod open a connection to a server pod's port, the way the API (networking.k8s.io/v1) defines
it and network policy agents enforce it:

- A pod is isolated for ingress (egress) when a policy of its namespace selects it with `Ingress`
  (`Egress`) among its `policyTypes` (absent: `Ingress`, plus `Egress` when it has egress rules).
  A pod no policy isolates accepts (sends) everything.
- An isolated pod accepts a connection when one rule of one selecting policy matches both peer and
  port; rules only add. A connection needs the client's egress and the server's ingress.
- A peer with a `podSelector` alone means pods of the policy's own namespace; a
  `namespaceSelector` alone every pod of the namespaces it selects (by their labels, which always
  include `kubernetes.io/metadata.name`); both: those pods of those namespaces. An empty or absent
  `from`/`to` matches every peer, an empty or absent `ports` every port. `ipBlock` names addresses
  outside the cluster and never matches a pod here (pod addresses are not stable).
- A port is a number (with `endPort`, a range) or the name of one of the server pod's container
  ports; `protocol` defaults to TCP.

`Cluster.build` turns a synth run and the objects of its rendered releases into pods, Services and
namespaces, including the pods operators create from custom resources (ClickHouse and Keeper
installations, Prometheus and Alertmanager), as `tests/upstream/network/operators.json` records them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
CLUSTER_DOMAIN = "svc.cluster.local"
OPERATORS = json.loads((Path(__file__).parent / "upstream" / "network" / "operators.json").read_text())
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet", "CronJob"}


@dataclass(frozen=True)
class Port:
    name: str | None
    number: int
    protocol: str = "TCP"


@dataclass(eq=False)
class Pod:
    """One pod of a workload or custom resource (replicas look alike: one stands for all, except
    the pods of an operator's installation, one per host)."""

    owner: str
    """`Kind namespace/name` of what creates it, and the host for an installation's pods."""
    namespace: str
    labels: dict[str, str]
    ports: tuple[Port, ...] = ()
    spec: dict[str, Any] = field(default_factory=dict)
    """The pod spec (containers, env, args), as far as the workload gives it."""
    source: dict[str, Any] = field(default_factory=dict)
    """The object the pod comes from."""

    def port(self, name_or_number: str | int, protocol: str = "TCP") -> int | None:
        """The number of a declared port (by name), or the number itself if declared."""
        for p in self.ports:
            if p.protocol == protocol and (p.name == name_or_number or p.number == name_or_number):
                return p.number
        return None

    def __repr__(self) -> str:
        return self.owner


@dataclass
class Service:
    name: str
    namespace: str
    selector: dict[str, str] | None
    ports: list[dict[str, Any]]


# -- selectors and the policy evaluator -------------------------------------------------------------


def selects(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """A LabelSelector against labels: an empty selector selects everything."""
    if selector is None:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
        if op not in ("In", "NotIn", "Exists", "DoesNotExist"):
            raise ValueError(f"unknown selector operator {op}")
    return True


def _policy_types(spec: Mapping[str, Any]) -> list[str]:
    if spec.get("policyTypes"):
        return list(spec["policyTypes"])
    return ["Ingress", *(["Egress"] if "egress" in spec else [])]


@dataclass
class Cluster:
    """Namespaces (with labels), pods, Services, NetworkPolicies and every object they come from."""

    namespaces: dict[str, dict[str, str]] = field(default_factory=dict)
    pods: list[Pod] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)
    policies: list[dict[str, Any]] = field(default_factory=list)
    objects: list[dict[str, Any]] = field(default_factory=list)

    def namespace_labels(self, namespace: str) -> dict[str, str]:
        return {**self.namespaces.get(namespace, {}), NAMESPACE_NAME_LABEL: namespace}

    def _peer_matches(self, peer: Mapping[str, Any], policy_namespace: str, other: Pod) -> bool:
        if "ipBlock" in peer:
            return False
        ns_selector, pod_selector = peer.get("namespaceSelector"), peer.get("podSelector")
        if ns_selector is None:
            ns_ok = other.namespace == policy_namespace
        else:
            ns_ok = selects(ns_selector, self.namespace_labels(other.namespace))
        return ns_ok and (pod_selector is None or selects(pod_selector, other.labels))

    @staticmethod
    def _port_matches(ports: list[Mapping[str, Any]] | None, server: Pod, port: int, protocol: str) -> bool:
        if not ports:
            return True
        for entry in ports:
            if entry.get("protocol", "TCP") != protocol:
                continue
            if "port" not in entry:
                return True
            wanted = entry["port"]
            if isinstance(wanted, str):
                if any(p.name == wanted and p.protocol == protocol and p.number == port for p in server.ports):
                    return True
            elif wanted <= port <= entry.get("endPort", wanted):
                return True
        return False

    def _direction_admits(self, pod: Pod, peer: Pod, server: Pod, port: int, protocol: str, kind: str) -> bool:
        selecting = [
            p
            for p in self.policies
            if p["metadata"]["namespace"] == pod.namespace
            and kind in _policy_types(p["spec"])
            and selects(p["spec"].get("podSelector", {}), pod.labels)
        ]
        if not selecting:
            return True
        peers_key = "from" if kind == "Ingress" else "to"
        for policy in selecting:
            for rule in policy["spec"].get(kind.lower()) or []:
                peers = rule.get(peers_key)
                if peers and not any(self._peer_matches(p, policy["metadata"]["namespace"], peer) for p in peers):
                    continue
                if self._port_matches(rule.get("ports"), server, port, protocol):
                    return True
        return False

    def admits(self, client: Pod, server: Pod, port: int, protocol: str = "TCP") -> bool:
        """Whether the policies let `client` connect to `server` on `port`."""
        return self._direction_admits(client, server, server, port, protocol, "Egress") and self._direction_admits(
            server, client, server, port, protocol, "Ingress"
        )

    # -- lookups ------------------------------------------------------------------------------------

    def pods_of(self, namespace: str | None, selector: Mapping[str, Any] | None) -> list[Pod]:
        return [p for p in self.pods if (namespace is None or p.namespace == namespace) and selects(selector, p.labels)]

    def service(self, host: str, client_namespace: str) -> Service:
        """The Service a DNS name names (`svc`, `svc.ns`, `svc.ns.svc`, `svc.ns.svc.cluster.local`)."""
        host = host.removesuffix(".").removesuffix("." + CLUSTER_DOMAIN).removesuffix(".svc")
        name, _, namespace = host.partition(".")
        namespace = namespace or client_namespace
        for svc in self.services:
            if (svc.name, svc.namespace) == (name, namespace):
                return svc
        raise LookupError(f"no Service {name} in namespace {namespace}")

    def service_targets(self, svc: Service, port: int | str) -> list[tuple[Pod, int]]:
        """The pods behind a Service's port (by number or name) and the container port each gets."""
        matches = [p for p in svc.ports if p.get("port") == port or p.get("name") == port]
        if not matches:
            raise LookupError(f"Service {svc.namespace}/{svc.name} has no port {port}")
        (entry,) = matches
        target = entry.get("targetPort", entry["port"])
        protocol = entry.get("protocol", "TCP")
        out = []
        for pod in self.pods_of(svc.namespace, {"matchLabels": svc.selector} if svc.selector else None):
            number = pod.port(target, protocol) if isinstance(target, str) else target
            if number is not None:
                out.append((pod, number))
        return out

    # -- building -----------------------------------------------------------------------------------

    @classmethod
    def build(cls, created: Iterable[dict[str, Any]], rendered: Mapping[str, tuple[str, list[dict[str, Any]]]]):
        """From the program's own Kubernetes objects and each release's (namespace, rendered objects)."""
        cluster = cls()
        for namespace, objects in rendered.values():
            for obj in objects:
                obj = {**obj, "metadata": {**obj.get("metadata", {})}}
                obj["metadata"].setdefault("namespace", namespace)
                cluster.objects.append(obj)
        cluster.objects += list(created)
        for obj in cluster.objects:
            kind, meta = obj["kind"], obj.get("metadata", {})
            namespace = meta.get("namespace", "")
            if kind == "Namespace":
                cluster.namespaces.setdefault(meta["name"], {}).update(meta.get("labels") or {})
            elif kind == "NetworkPolicy":
                cluster.policies.append(obj)
            elif kind == "Service":
                spec = obj["spec"]
                cluster.services.append(Service(meta["name"], namespace, spec.get("selector"), spec.get("ports", [])))
            elif kind in WORKLOAD_KINDS:
                cluster.pods.append(_workload_pod(obj))
            elif kind == "ClickHouseInstallation":
                cluster._installation(obj, "ClickHouseInstallation")
            elif kind == "ClickHouseKeeperInstallation":
                cluster._installation(obj, "ClickHouseKeeperInstallation")
            elif kind in ("Prometheus", "Alertmanager"):
                cluster.pods.append(_prometheus_operator_pod(obj))
        return cluster

    def _installation(self, obj: dict[str, Any], kind: str) -> None:
        """The pods (one per host) and the custom-resource Service the Altinity operator creates."""
        model = OPERATORS["altinity-clickhouse-operator"][kind]
        meta, spec = obj["metadata"], obj["spec"]
        namespace, name = meta["namespace"], meta["name"]
        defaults = spec.get("defaults", {}).get("templates", {})
        templates = spec.get("templates", {})
        pod_template = next(
            (t for t in templates.get("podTemplates", []) if t["name"] == defaults.get("podTemplate")), {}
        )
        settings = spec.get("configuration", {}).get("settings", {})
        ports = {
            Port(p["name"], int(settings.get(p["setting"], p["containerPort"])), p["protocol"])
            for p in model["container_ports"]
        }
        for container in pod_template.get("spec", {}).get("containers", []):
            ports |= {
                Port(p.get("name"), p["containerPort"], p.get("protocol", "TCP")) for p in container.get("ports", [])
            }
        for cluster in spec.get("configuration", {}).get("clusters", []):
            layout = cluster.get("layout", {})
            for shard in range(int(layout.get("shardsCount", 1))):
                for replica in range(int(layout.get("replicasCount", 1))):
                    scope = {"namespace": namespace, "name": name, "cluster": cluster["name"]}
                    labels = {
                        k: v.format(**scope, shard=shard, replica=replica) for k, v in model["pod_labels"].items()
                    }
                    labels.update(meta.get("labels") or {})
                    labels.update(pod_template.get("metadata", {}).get("labels") or {})
                    self.pods.append(
                        Pod(
                            f"{kind} {namespace}/{name} {cluster['name']}-{shard}-{replica}",
                            namespace,
                            labels,
                            tuple(sorted(ports, key=lambda p: (p.number, p.protocol))),
                            pod_template.get("spec", {}),
                            obj,
                        )
                    )
        selector = {k: v.format(namespace=namespace, name=name) for k, v in model["cr_service_selector"].items()}
        wanted = defaults.get("serviceTemplate")
        service_templates = [t for t in templates.get("serviceTemplates", []) if t["name"] == wanted]
        if not service_templates:
            self.services.append(
                Service(model["cr_service_name"].format(name=name), namespace, selector, model["cr_service_ports"])
            )
        for template in service_templates:
            service_name = template.get("generateName", template["name"]).replace(model["cr_service_macro"], name)
            self.services.append(Service(service_name, namespace, selector, template["spec"].get("ports", [])))


def _workload_pod(obj: dict[str, Any]) -> Pod:
    spec = obj["spec"]
    if obj["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    template = spec["template"]
    pod_spec = template.get("spec", {})
    ports = tuple(
        Port(p.get("name"), p["containerPort"], p.get("protocol", "TCP"))
        for c in pod_spec.get("containers") or []
        for p in c.get("ports") or []
    )
    meta = obj["metadata"]
    return Pod(
        f"{obj['kind']} {meta['namespace']}/{meta['name']}",
        meta["namespace"],
        dict(template.get("metadata", {}).get("labels") or {}),
        ports,
        pod_spec,
        obj,
    )


def _prometheus_operator_pod(obj: dict[str, Any]) -> Pod:
    """A Prometheus or Alertmanager pod as prometheus-operator makes it."""
    model = OPERATORS["prometheus-operator"][obj["kind"]]
    meta, spec = obj["metadata"], obj["spec"]
    labels = dict((spec.get("podMetadata") or {}).get("labels") or {})
    labels.update({k: v.format(name=meta["name"]) for k, v in model["pod_labels"].items()})
    port_name = spec.get("portName", "web")
    ports = [
        Port(p["name"].format(portName=port_name), p["containerPort"], p["protocol"])
        for p in model["container_ports"]
        if not (p.get("unless") and spec.get(p["unless"]))
    ]
    if obj["kind"] == "Prometheus" and spec.get("thanos") is not None:
        ports += [Port(p["name"], p["containerPort"], p["protocol"]) for p in model["thanos_sidecar_ports"]]
    return Pod(f"{obj['kind']} {meta['namespace']}/{meta['name']}", meta["namespace"], labels, tuple(ports), spec, obj)
