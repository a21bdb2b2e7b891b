"""What the program's own system pods request, and how many of each run at most: the one table the
layers' chart values and specs set and the capacity check (components/settings/capacity.py) counts
against the system nodes and every node.

Requests the program leaves to a chart or an EKS add-on are not here: the capacity check lists them
with their sources. tests/test_charts.py compares the rendered charts' pods with what the capacity
check counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Container:
    """One container's resources."""

    cpu: str
    """CPU request (a Kubernetes quantity)."""
    memory: str
    """Memory request (a Kubernetes quantity)."""
    memory_limit: str | None = None
    """Memory limit; None: none."""

    def resources(self) -> dict[str, Any]:
        """The container's `resources`, as the Kubernetes API and the charts take it."""
        out: dict[str, Any] = {"requests": {"cpu": self.cpu, "memory": self.memory}}
        if self.memory_limit is not None:
            out["limits"] = {"memory": self.memory_limit}
        return out


@dataclass(frozen=True)
class Pods:
    """A workload the program sizes."""

    replicas: int
    """At most this many pods: the fixed count or the autoscaler's maximum (a DaemonSet: 1, per node)."""
    containers: tuple[Container, ...] = ()
    """The containers whose requests the program sets; the pod's others request nothing (their
    chart's default)."""


# -- on the system nodes ------------------------------------------------------------------------

ISTIOD = Pods(5, (Container("500m", "2Gi"),))
"""istiod (components/ingress.py istiod_values): `autoscaleMax` 5."""
GATEWAY = Pods(9, (Container("250m", "256Mi", "1Gi"),))
"""Each Istio gateway, public and private (components/ingress.py gateway_values): `maxReplicas` 9."""
KEEPER = Pods(3, (Container("250m", "1Gi", "2Gi"),))
"""The shared ClickHouse Keeper, one replica per zone (components/clickhouse_specs.py keeper_spec)."""
CLICKHOUSE_OPERATOR = Pods(1, (Container("100m", "256Mi", "512Mi"),))
"""The Altinity operator (components/clickhouse_specs.py operator_values); its metrics exporter: the
chart's default."""
LOAD_BALANCER_CONTROLLER = Pods(2)
"""The AWS Load Balancer Controller (components/platform.py): `replicaCount` 2, the chart's requests."""
METRICS_SERVER = Pods(2, (Container("100m", "200Mi", "400Mi"),))
"""metrics-server (components/metrics_server.py)."""

# -- the observability layer, on the system nodes -------------------------------------------------

PROMETHEUS = Pods(2, (Container("500m", "2Gi", "4Gi"), Container("50m", "128Mi", "512Mi")))
"""Prometheus and its Thanos sidecar (components/observability/metrics.py); the config reloader:
the chart's default."""
ALERTMANAGER = Pods(3, (Container("50m", "128Mi", "256Mi"),))
"""AlertManager (components/observability/metrics.py)."""
PROMETHEUS_OPERATOR = Pods(1, (Container("100m", "128Mi", "256Mi"),))
"""The Prometheus operator (components/observability/metrics.py)."""
KUBE_STATE_METRICS = Pods(1, (Container("50m", "128Mi", "256Mi"),))
"""kube-state-metrics (components/observability/metrics.py)."""
GRAFANA = Pods(1, (Container("100m", "256Mi", "512Mi"),))
"""Grafana (components/observability/metrics.py); its sidecars: the chart's default."""
THANOS_QUERY = Pods(2, (Container("100m", "256Mi", "1Gi"),))
"""Thanos query (components/observability/metrics.py thanos_objects)."""
THANOS_STORE = Pods(2, (Container("100m", "512Mi", "2Gi"),))
"""The Thanos store gateway (components/observability/metrics.py thanos_objects)."""
THANOS_COMPACT = Pods(1, (Container("100m", "512Mi", "2Gi"),))
"""The Thanos compactor (components/observability/metrics.py thanos_objects)."""
FALCOSIDEKICK = Pods(2, (Container("50m", "64Mi", "128Mi"),))
"""Falcosidekick (components/observability/security.py falco_values)."""
TAILSCALE_OPERATOR = Pods(1, (Container("50m", "64Mi", "256Mi"),))
"""The Tailscale operator, while troubleshooting access uses it (components/observability/tailscale.py)."""

# -- the observability layer, on every node ------------------------------------------------------

NODE_EXPORTER = Pods(1, (Container("50m", "64Mi", "128Mi"),))
"""node-exporter (components/observability/metrics.py)."""
FALCO = Pods(1, (Container("100m", "512Mi", "1Gi"),))
"""Falco (components/observability/security.py falco_values); falcoctl: the chart's default."""
FLUENT_BIT = Pods(1, (Container("50m", "64Mi", "256Mi"),))
"""Fluent Bit, with LogHouse (components/observability/logs.py fluent_bit_values)."""
