"""The per-service `/metrics_all` endpoint: Prometheus text over HTTPS, basic auth, every replica.

What a reviewer reads in the service's ClickHouseInstallation (no statement hides in a Secret):

- `config.d/metrics_all.xml`: two startup scripts (run by every server at start, idempotent) create
  the database `byoc_metrics` and the view `byoc_metrics.custom_metrics` (`SQL SECURITY DEFINER`:
  readers need no grant on the system tables behind it), and an HTTP handler that answers
  `GET /metrics_all` with the view of every replica (`clusterAllReplicas`), labelled by hostname,
  in ClickHouse's `Prometheus` format. The default handlers stay (`<defaults/>`).
- the user `metrics_scraper` with exactly the reference's grants: `REMOTE ON *.*` (to reach the
  other replicas) and `SELECT` on the view; read-only profile; the same client networks as
  `default` (the gateways). Its password's SHA-256 is in a Secret; the password is a secret stack
  output.

The gateways' HTTPS route (8443 -> 8123) already carries every path, so `/metrics_all` needs no
route of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

DATABASE = "byoc_metrics"
VIEW = f"{DATABASE}.custom_metrics"
USER = "metrics_scraper"
PROFILE = "metrics_scraper"
PATH = "/metrics_all"
PASSWORD_KEY = "password_sha256_hex"
# The definer owns the view's access to the system tables: the operator-managed admin user.
DEFINER = "default"
# ClickHouse's own Prometheus endpoint on every server, for the in-cluster Prometheus.
INTERNAL_METRICS_PORT = 9363

GRANTS = (
    "GRANT REMOTE ON *.* TO metrics_scraper",
    f"GRANT SELECT ON {VIEW} TO metrics_scraper",
)


def password_secret_name(service: str) -> str:
    """The Secret holding the scraping user's password hash, next to the installation."""
    return f"clickhouse-{service}-metrics-scraper"


def _custom(name: str, value_sql: str, help_text: str) -> str:
    return (
        f"SELECT 'ClickHouse_CustomMetric_{name}' AS name, toFloat64(ifNull(({value_sql}), 0)) AS value,"
        f" '{help_text}' AS help, 'gauge' AS type, map('hostname', hostName()) AS labels"
    )


def view_select() -> str:
    """The view's query: one row per metric of this replica (name, value, help, type, labels)."""
    parts = [
        _custom(
            "StorageSystemTablesS3DiskBytes",
            "SELECT sum(bytes_on_disk) FROM system.parts WHERE active AND disk_name IN"
            " (SELECT name FROM system.disks WHERE object_storage_type = 'S3')",
            "Bytes of active parts on S3-backed disks.",
        ),
        _custom(
            "NumberOfBrokenDetachedParts",
            "SELECT count() FROM system.detached_parts WHERE startsWith(ifNull(reason, ''), 'broken')",
            "Detached parts ClickHouse found broken.",
        ),
        _custom(
            "LostPartCount",
            "SELECT sum(lost_part_count) FROM system.replicas",
            "Parts lost for good by replicated tables.",
        ),
        _custom("NumberOfWarnings", "SELECT count() FROM system.warnings", "Server warnings (system.warnings)."),
        "SELECT concat('ClickHouseErrorMetric_', name) AS name, toFloat64(sum(value)) AS value,"
        " 'Errors of this code since the server started.' AS help, 'counter' AS type,"
        " map('hostname', hostName()) AS labels FROM system.errors GROUP BY name",
        "SELECT 'ClickHouseErrorMetric_TotalNumberOfErrors' AS name, toFloat64(sum(value)) AS value,"
        " 'Errors of every code since the server started.' AS help, 'counter' AS type,"
        " map('hostname', hostName()) AS labels FROM system.errors",
        "SELECT concat('ClickHouseMetrics_', metric) AS name, toFloat64(value) AS value, description AS help,"
        " 'gauge' AS type, map('hostname', hostName()) AS labels FROM system.metrics",
        "SELECT concat('ClickHouseProfileEvents_', event) AS name, toFloat64(value) AS value, description AS help,"
        " 'counter' AS type, map('hostname', hostName()) AS labels FROM system.events",
        "SELECT concat('ClickHouseAsyncMetrics_', metric) AS name, toFloat64(value) AS value, description AS help,"
        " 'gauge' AS type, map('hostname', hostName()) AS labels FROM system.asynchronous_metrics",
    ]
    return "\nUNION ALL\n".join(parts)


def statements() -> list[str]:
    """The startup scripts, in order: database, then view."""
    return [
        f"CREATE DATABASE IF NOT EXISTS {DATABASE}",
        f"CREATE OR REPLACE VIEW {VIEW} DEFINER = {DEFINER} SQL SECURITY DEFINER AS\n{view_select()}",
    ]


def endpoint_query(cluster: str) -> str:
    """What `/metrics_all` runs: the view on every replica of the service's cluster, one metric's
    rows together (the format writes HELP and TYPE once per name)."""
    return (
        f"SELECT name, value, help, type, labels FROM clusterAllReplicas('{cluster}', {VIEW})"
        " ORDER BY name, labels['hostname'] FORMAT Prometheus"
    )


CONFIG_FILE = "config.d/byoc_observability.xml"


def config_xml(cluster: str, extra_statements: Sequence[str] = ()) -> str:
    """`config.d/byoc_observability.xml` of a service: the startup scripts (this endpoint's, then
    `extra_statements`, e.g. LogHouse's schema: one file, as config files do not merge lists) and
    the handler."""
    scripts = "\n".join(
        f"      <scripts>\n        <query>{escape(q)}</query>\n        <user>{DEFINER}</user>\n      </scripts>"
        for q in [*statements(), *extra_statements]
    )
    return f"""<clickhouse>
  <startup_scripts>
{scripts}
  </startup_scripts>
  <http_handlers>
    <rule>
      <url>{PATH}</url>
      <methods>GET</methods>
      <handler>
        <type>predefined_query_handler</type>
        <query>{escape(endpoint_query(cluster))}</query>
      </handler>
    </rule>
    <defaults/>
  </http_handlers>
</clickhouse>
"""


def internal_prometheus_settings() -> dict[str, str]:
    """ClickHouse's own `<prometheus>` endpoint (per server, for the in-cluster Prometheus)."""
    return {
        "prometheus/endpoint": "/metrics",
        "prometheus/port": str(INTERNAL_METRICS_PORT),
        "prometheus/metrics": "true",
        "prometheus/events": "true",
        "prometheus/asynchronous_metrics": "true",
        "prometheus/errors": "true",
    }


def user_settings(service: str, networks: Sequence[str]) -> dict[str, Any]:
    """The scraping user in the installation's `users` (Altinity's `<user>/<setting>` keys)."""
    return {
        f"{USER}/k8s_secret_password_sha256_hex": f"{password_secret_name(service)}/{PASSWORD_KEY}",
        f"{USER}/networks/ip": list(networks),
        f"{USER}/profile": PROFILE,
        f"{USER}/quota": "default",
        f"{USER}/grants/query": [g.replace(f" TO {USER}", "") for g in GRANTS],
    }


def profile_settings() -> dict[str, str]:
    """The scraping user's profile: read-only, short queries, little memory."""
    return {
        f"{PROFILE}/readonly": "1",
        f"{PROFILE}/max_execution_time": "10",
        f"{PROFILE}/max_memory_usage": str(256 * 1024 * 1024),
    }
