"""The StatefulSets the Altinity operator (0.25.6) makes of a ClickHouseInstallation or a
ClickHouseKeeperInstallation: one per host, from the host's pod template, with what the operator
adds (tests/upstream/operator-statefulsets/, with its SOURCES.md). Scanners and checks of the pods
that really run judge these, not the custom resources."""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).resolve().parent / "upstream" / "operator-statefulsets" / "statefulsets.yaml"
KINDS = {"ClickHouseInstallation": "chi", "ClickHouseKeeperInstallation": "chk"}


@functools.cache
def _rules() -> dict[str, Any]:
    return yaml.safe_load(DATA.read_text())


def _fill(text: str, **values: str) -> str:
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def _ensure_port(container: dict[str, Any], port: dict[str, Any]) -> None:
    ports = container.setdefault("ports", [])
    for existing in ports:
        if existing.get("name") == port["name"]:
            existing["containerPort"] = port["containerPort"]
            return
    ports.append(dict(port))


def _clusters(obj: dict[str, Any]) -> list[tuple[str, int, int]]:
    """(cluster, shards, replicas) of an installation."""
    out = []
    for cluster in obj["spec"]["configuration"]["clusters"]:
        layout = cluster.get("layout") or {}
        out.append((cluster["name"], int(layout.get("shardsCount", 1)), int(layout.get("replicasCount", 1))))
    return out


def statefulsets(obj: dict[str, Any]) -> list[dict[str, Any]]:
    """Every StatefulSet the operator creates for an installation (default templates only: the
    program names one pod template and one data claim template in `spec.defaults.templates`)."""
    kind = KINDS[obj["kind"]]
    rules, common = _rules()[kind], _rules()["statefulset"]
    spec, meta = obj["spec"], obj["metadata"]
    defaults = spec["defaults"]["templates"]
    (template,) = [t for t in spec["templates"]["podTemplates"] if t["name"] == defaults["podTemplate"]]
    (claim,) = [
        c for c in spec["templates"]["volumeClaimTemplates"] if c["name"] == defaults["dataVolumeClaimTemplate"]
    ]
    out = []
    for cluster, shards, replicas in _clusters(obj):
        for shard in range(shards):
            for replica in range(replicas):
                names = {"cr": meta["name"], "cluster": cluster, "host": f"{shard}-{replica}"}
                name = _fill(common["name"][kind], **names)
                pod = copy.deepcopy(template["spec"])
                pod.setdefault("terminationGracePeriodSeconds", common["terminationGracePeriodSeconds"])
                (app,) = [c for c in pod["containers"] if c["name"] == rules["app_container"]]
                for port in rules["ports"]:
                    _ensure_port(app, port)
                for probe in ("livenessProbe", "readinessProbe"):
                    app.setdefault(probe, copy.deepcopy(rules[probe]))
                if not app.get("command"):
                    app["env"] = [*(app.get("env") or []), *copy.deepcopy(rules["env"])]
                volumes = pod.setdefault("volumes", [])
                for cm in rules["config_maps"]:
                    cm_name = _fill(cm["name"], **names)
                    volumes.append({"name": cm_name, "configMap": {"name": cm_name, "defaultMode": 0o644}})
                    for container in pod["containers"]:
                        container.setdefault("volumeMounts", []).append({"name": cm_name, "mountPath": cm["mountPath"]})
                for container in pod["containers"]:
                    container.setdefault("volumeMounts", []).append(
                        {"name": claim["name"], "mountPath": rules["data_mount"]}
                    )
                pod["hostAliases"] = [
                    {"ip": a["ip"], "hostnames": [_fill(h, statefulset=name) for h in a["hostnames"]]}
                    for a in common["hostAliases"]
                ] + list(pod.get("hostAliases") or [])
                labels = {**(template.get("metadata") or {}).get("labels", {}), f"{kind}-host": name}
                out.append(
                    {
                        "apiVersion": "apps/v1",
                        "kind": "StatefulSet",
                        "metadata": {"name": name, "namespace": meta["namespace"], "labels": {f"{kind}-host": name}},
                        "spec": {
                            "replicas": common["replicas"],
                            "serviceName": name,
                            "selector": {"matchLabels": {f"{kind}-host": name}},
                            "podManagementPolicy": common["podManagementPolicy"],
                            "updateStrategy": dict(common["updateStrategy"]),
                            "template": {"metadata": {"labels": labels}, "spec": pod},
                            "volumeClaimTemplates": [{"metadata": {"name": claim["name"]}, "spec": claim["spec"]}],
                        },
                    }
                )
    return out
