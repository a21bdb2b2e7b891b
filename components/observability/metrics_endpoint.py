"""The per-service `/metrics_all` endpoint: Prometheus text over HTTPS, basic auth, every replica.

What a reviewer reads in the service's ClickHouseInstallation (no statement hides in a Secret):

- `config.d/byoc_observability.xml`: two startup scripts (run by every server at start, idempotent) create
  the database `byoc_metrics` and the view `byoc_metrics.custom_metrics` (`SQL SECURITY DEFINER`:
  readers need no grant on the system tables behind it), and an HTTP handler that answers
  `GET /metrics_all` with the view of every replica (`clusterAllReplicas`), labelled by hostname,
  in ClickHouse's `Prometheus` format. The default handlers stay (`<defaults/>`). Every name is
  made a valid Prometheus name the way ClickHouse's own endpoint does it (see `sanitized_name_sql`),
  once per replica even where two source names become one; HELP text and label values are escaped
  the way Prometheus' text format reads them.
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


# Prometheus' metric-name grammar is `[a-zA-Z_:][a-zA-Z0-9_:]*`, and a scrape with one name outside
# it fails whole. ClickHouse's own endpoint (src/Server/PrometheusMetricsWriter.cpp, 25.8) makes a
# name fit by replacing every character outside `[a-zA-Z0-9_:]` with `_`, then dropping the leading
# characters that are not letters, and skips a name left empty. The view applies the same rule, so
# both endpoints name a metric alike (`jemalloc.arenas.all.pactive` ->
# `ClickHouseAsyncMetrics_jemalloc_arenas_all_pactive`).
NAME_INVALID_CHARACTERS = "[^a-zA-Z0-9_:]"
NAME_LEADING_NON_LETTERS = "^[^a-zA-Z]*"
METRICS_PREFIX = "ClickHouseMetrics_"
EVENTS_PREFIX = "ClickHouseProfileEvents_"
ASYNC_PREFIX = "ClickHouseAsyncMetrics_"
ERRORS_PREFIX = "ClickHouseErrorMetric_"
CUSTOM_PREFIX = "ClickHouse_CustomMetric_"
HOSTNAME_LABEL = "hostname"


def sanitized_name_sql(expr: str) -> str:
    """SQL: `expr` made a Prometheus metric name by ClickHouse's own rule (empty: skip it)."""
    replaced = f"replaceRegexpAll({expr}, '{NAME_INVALID_CHARACTERS}', '_')"
    return f"replaceRegexpOne({replaced}, '{NAME_LEADING_NON_LETTERS}', '')"


def help_sql(expr: str) -> str:
    r"""SQL: `expr` as HELP text. The `Prometheus` format writes HELP as it is, and the text format
    reads `\\` and `\n` there as escapes: a backslash is doubled and a line break written `\n`."""
    return rf"replaceAll(replaceAll(toValidUTF8({expr}), '\\', '\\\\'), '\n', '\\n')"


def label_value_sql(expr: str) -> str:
    r"""SQL: `expr` as a label value. The `Prometheus` format escapes `\`, `"` and line breaks the way
    the text format reads them, but writes tab, CR, backspace, form feed and NUL as `\t`, `\r`,
    `\b`, `\f`, `\0`, escapes the text format rejects: those characters become spaces first."""
    return rf"replaceRegexpAll(toValidUTF8({expr}), '[\\x00-\\x09\\x0B-\\x1F]', ' ')"


def _row(name_sql: str, value_sql: str, help_text_sql: str, kind: str, rank: int, source: str = "") -> str:
    """One source's rows: (original name, value, help, type), and `rank`, the source's precedence
    when two sources' names sanitize to the same name."""
    tail = f" FROM {source}" if source else ""
    return (
        f"SELECT {name_sql} AS original, toFloat64({value_sql}) AS value, {help_text_sql} AS help,"
        f" '{kind}' AS type, {rank} AS rank{tail}"
    )


def _custom(name: str, value_sql: str, help_text: str) -> str:
    return _row(f"'{CUSTOM_PREFIX}{name}'", f"ifNull(({value_sql}), 0)", f"'{help_text}'", "gauge", 0)


def _prefixed(prefix: str, column: str) -> str:
    """`prefix` + the sanitized name, as ClickHouse writes `system.metrics` and `system.events`
    (the name alone is sanitized; one that sanitizes to nothing is skipped)."""
    return f"if({sanitized_name_sql(column)} = '', '', concat('{prefix}', {sanitized_name_sql(column)}))"


def view_select() -> str:
    """The view's query: one row per metric of this replica (name, value, help, type, labels).

    Every name passes the sanitizer; names two sources share after it (e.g. `a.b` and `a_b`) are
    kept once, from the first source in the order below and the smallest original name, so a
    scrape never carries a duplicate series or a second HELP line."""
    sources = [
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
        _row(
            f"'{ERRORS_PREFIX}TotalNumberOfErrors'",
            "sum(value)",
            "'Errors of every code since the server started.'",
            "counter",
            1,
            "system.errors",
        ),
        _row(
            f"concat('{ERRORS_PREFIX}', name)",
            "sum(value)",
            "'Errors of this code since the server started.'",
            "counter",
            2,
            "system.errors GROUP BY name",
        ),
        _row(_prefixed(METRICS_PREFIX, "metric"), "value", "description", "gauge", 3, "system.metrics"),
        _row(_prefixed(EVENTS_PREFIX, "event"), "value", "description", "counter", 4, "system.events"),
        _row(f"concat('{ASYNC_PREFIX}', metric)", "value", "description", "gauge", 5, "system.asynchronous_metrics"),
    ]
    union = "\nUNION ALL\n".join(sources)
    # The sanitizer runs once more over every name: a no-op on the custom names and on those built
    # above, ClickHouse's rule on `ClickHouseAsyncMetrics_<name>` (the server sanitizes that one
    # whole, prefix included) and on the error codes' names.
    return (
        f"SELECT name, argMin(value, key) AS value, {help_sql('argMin(help, key)')} AS help,"
        f" argMin(type, key) AS type, map('{HOSTNAME_LABEL}', {label_value_sql('hostName()')}) AS labels\n"
        f"FROM (SELECT {sanitized_name_sql('original')} AS name, (rank, original) AS key, value, help, type FROM (\n"
        f"{union}\n))\n"
        "WHERE name != ''\nGROUP BY name"
    )


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
