"""metrics-server: the resource metrics API the HorizontalPodAutoscalers of istiod and the gateways
read. Part of the platform layer: the HPAs need it whether or not the observability layer is on."""

from __future__ import annotations

from typing import Any

from components import k8s_conventions as conv
from components.pod_requests import METRICS_SERVER

NAMESPACE = "kube-system"


def metrics_server_values() -> dict[str, Any]:
    """Two replicas on the system nodes, spread over zones, with a disruption budget: an HPA with
    no metrics API freezes at its current size."""
    placement = conv.system_placement()
    labels = {"app.kubernetes.io/name": "metrics-server"}
    return {
        "replicas": METRICS_SERVER.replicas,
        "nodeSelector": placement["nodeSelector"],
        "tolerations": placement["tolerations"],
        "podDisruptionBudget": {"enabled": True, "maxUnavailable": 1},
        "topologySpreadConstraints": [
            {
                "maxSkew": 1,
                "topologyKey": conv.ZONE_TOPOLOGY_KEY,
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": labels},
            }
        ],
        "resources": METRICS_SERVER.containers[0].resources(),
    }
