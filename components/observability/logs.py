"""Logs stay inside the VPC.

Without LogHouse, container logs stay where the kubelet writes them (`/var/log/pods` on the node's
encrypted root volume) and the kubelet rotates them (10 MiB x 5 files per container, EKS' default):
nothing to install. With `logs.logHouse: true`, a Fluent Bit DaemonSet tails every container's log
on every node, adds the pod's namespace, name, container and node, and inserts the lines over
ClickHouse's HTTP interface into `loghouse.container_logs` of the service named for it. The writer
user may only insert into that table; the table drops lines after `LOGHOUSE_TTL_DAYS`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from components.pod_requests import FLUENT_BIT

DATABASE = "loghouse"
TABLE = f"{DATABASE}.container_logs"
USER = "loghouse_writer"
PASSWORD_KEY = "password_sha256_hex"
# The Secret in the log agent's namespace with the writer's password (env CLICKHOUSE_PASSWORD).
AGENT_SECRET = "loghouse-writer"
NAMESPACE = "logging"
# The Helm release (and so the `app.kubernetes.io/instance` label of its pods).
RELEASE = "fluent-bit"
# ClickHouse's HTTP port, where Fluent Bit posts (the `clickhouse-<service>` Service's `http` port).
CLICKHOUSE_PORT = 8123
LOGHOUSE_TTL_DAYS = 30


def statements() -> list[str]:
    """The LogHouse schema (startup scripts of the LogHouse service)."""
    return [
        f"CREATE DATABASE IF NOT EXISTS {DATABASE}",
        f"CREATE TABLE IF NOT EXISTS {TABLE} ("
        "date DateTime64(3), k8s_namespace_name LowCardinality(String), k8s_pod_name String,"
        " k8s_container_name LowCardinality(String), k8s_host LowCardinality(String),"
        " stream LowCardinality(String), log String"
        # An explicit Keeper path: every replica runs this statement on its own, and a path derived
        # from the table's UUID would differ per replica (no replication).
        ") ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/loghouse/container_logs', '{replica}')"
        " PARTITION BY toDate(date)"
        " ORDER BY (k8s_namespace_name, k8s_pod_name, date)"
        f" TTL toDateTime(date) + INTERVAL {LOGHOUSE_TTL_DAYS} DAY",
    ]


GRANTS = (f"GRANT INSERT ON {TABLE} TO {USER}",)


def writer_password_secret_name(service: str) -> str:
    """The Secret next to the installation holding the writer's password hash."""
    return f"clickhouse-{service}-loghouse-writer"


def user_settings(service: str, networks: Sequence[str]) -> dict[str, Any]:
    """The writer user in the LogHouse service's `users`."""
    return {
        f"{USER}/k8s_secret_password_sha256_hex": f"{writer_password_secret_name(service)}/{PASSWORD_KEY}",
        f"{USER}/networks/ip": list(networks),
        f"{USER}/profile": "default",
        f"{USER}/quota": "default",
        f"{USER}/grants/query": [g.replace(f" TO {USER}", "") for g in GRANTS],
    }


def insert_uri() -> str:
    """The HTTP path Fluent Bit posts to: an INSERT reading JSON lines, unknown keys skipped."""
    query = f"INSERT INTO {TABLE} FORMAT JSONEachRow"
    return f"/?query={quote(query)}&input_format_skip_unknown_fields=1&date_time_input_format=best_effort"


def fluent_bit_values(clickhouse_host: str, clickhouse_port: int = CLICKHOUSE_PORT) -> dict[str, Any]:
    """Values of the fluent-bit chart: a DaemonSet on every node tailing container logs into LogHouse."""
    inputs = """[INPUT]
    Name tail
    Path /var/log/containers/*.log
    multiline.parser cri
    Tag kube.*
    Mem_Buf_Limit 16MB
    Skip_Long_Lines On
    DB /var/fluent-bit/state/tail.db
"""
    filters = """[FILTER]
    Name kubernetes
    Match kube.*
    Merge_Log Off
    Keep_Log On
    Labels Off
    Annotations Off

[FILTER]
    Name nest
    Match kube.*
    Operation lift
    Nested_under kubernetes
    Add_prefix k8s_
"""
    outputs = f"""[OUTPUT]
    Name http
    Match kube.*
    Host {clickhouse_host}
    Port {clickhouse_port}
    URI {insert_uri()}
    Format json_lines
    Json_date_key date
    Json_date_format iso8601
    Header X-ClickHouse-User {USER}
    Header X-ClickHouse-Key ${{CLICKHOUSE_PASSWORD}}
    Retry_Limit 10
"""
    return {
        "kind": "DaemonSet",
        "tolerations": [{"operator": "Exists"}],
        "resources": FLUENT_BIT.containers[0].resources(),
        "env": [
            {
                "name": "CLICKHOUSE_PASSWORD",
                "valueFrom": {"secretKeyRef": {"name": AGENT_SECRET, "key": "password"}},
            }
        ],
        "extraVolumes": [{"name": "state", "hostPath": {"path": "/var/fluent-bit/state", "type": "DirectoryOrCreate"}}],
        "extraVolumeMounts": [{"name": "state", "mountPath": "/var/fluent-bit/state"}],
        "serviceMonitor": {"enabled": True},
        "config": {"inputs": inputs, "filters": filters, "outputs": outputs},
    }
