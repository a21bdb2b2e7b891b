"""The built-in Grafana dashboards: memory, query rate and I/O per ClickHouse service and server.

Grafana's dashboard sidecar loads every ConfigMap labelled `grafana_dashboard: "1"`; the data
source is Thanos query (`uid: thanos`), so the panels reach back as far as the retention.
"""

from __future__ import annotations

import json
from typing import Any

from components.observability import metrics

_BY = "by (namespace, pod)"
PANELS: dict[str, list[tuple[str, str, str]]] = {
    # dashboard -> (panel title, PromQL, unit)
    "memory": [
        ("Memory tracked by ClickHouse", f"sum {_BY} (ClickHouseMetrics_MemoryTracking)", "bytes"),
        ("Resident memory", f"sum {_BY} (ClickHouseAsyncMetrics_MemoryResident)", "bytes"),
        (
            "Container working set",
            f'sum {_BY} (container_memory_working_set_bytes{{namespace="clickhouse",container="clickhouse"}})',
            "bytes",
        ),
    ],
    "query-rate": [
        ("Queries per second", f"sum {_BY} (rate(ClickHouseProfileEvents_Query[5m]))", "reqps"),
        ("SELECT queries per second", f"sum {_BY} (rate(ClickHouseProfileEvents_SelectQuery[5m]))", "reqps"),
        ("INSERT queries per second", f"sum {_BY} (rate(ClickHouseProfileEvents_InsertQuery[5m]))", "reqps"),
        ("Failed queries per second", f"sum {_BY} (rate(ClickHouseProfileEvents_FailedQuery[5m]))", "reqps"),
        ("Queries running", f"sum {_BY} (ClickHouseMetrics_Query)", "short"),
    ],
    "io": [
        ("S3 read", f"sum {_BY} (rate(ClickHouseProfileEvents_ReadBufferFromS3Bytes[5m]))", "Bps"),
        ("S3 written", f"sum {_BY} (rate(ClickHouseProfileEvents_WriteBufferFromS3Bytes[5m]))", "Bps"),
        ("Local disk read", f"sum {_BY} (rate(ClickHouseProfileEvents_OSReadBytes[5m]))", "Bps"),
        ("Local disk written", f"sum {_BY} (rate(ClickHouseProfileEvents_OSWriteBytes[5m]))", "Bps"),
        ("Cache hits", f"sum {_BY} (rate(ClickHouseProfileEvents_CachedReadBufferReadFromCacheBytes[5m]))", "Bps"),
    ],
}
TITLES = {"memory": "ClickHouse: memory", "query-rate": "ClickHouse: query rate", "io": "ClickHouse: I/O"}


def dashboard(key: str) -> dict[str, Any]:
    """One dashboard: a time series panel per query, two per row."""
    panels = []
    for i, (title, expr, unit) in enumerate(PANELS[key]):
        panels.append(
            {
                "id": i + 1,
                "type": "timeseries",
                "title": title,
                "datasource": {"type": "prometheus", "uid": "thanos"},
                "gridPos": {"h": 8, "w": 12, "x": 12 * (i % 2), "y": 8 * (i // 2)},
                "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
                "targets": [{"refId": "A", "expr": expr, "legendFormat": "{{pod}}"}],
            }
        )
    return {
        "uid": f"clickhouse-byoc-{key}",
        "title": TITLES[key],
        "tags": ["clickhouse-byoc"],
        "timezone": "utc",
        "schemaVersion": 39,
        "time": {"from": "now-6h", "to": "now"},
        "refresh": "1m",
        "panels": panels,
    }


def dashboard_config_maps() -> list[dict[str, Any]]:
    """The dashboards as ConfigMaps the Grafana sidecar picks up."""
    return [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": f"dashboard-clickhouse-{key}",
                "namespace": metrics.NAMESPACE,
                "labels": {"grafana_dashboard": "1"},
            },
            "data": {f"clickhouse-{key}.json": json.dumps(dashboard(key), indent=1, sort_keys=True)},
        }
        for key in PANELS
    ]
