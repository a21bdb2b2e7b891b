"""Backups and restores of ClickHouse services: ClickHouse's native `BACKUP ... TO S3` into the backup bucket.

Each service's backups live under its own prefix, one path segment per backup:
`s3://<backup bucket>/<service>/<backup name>/`, named by the UTC start time and the kind
(`20260102T030405Z-full`, `20260103T030405Z-incr`). The servers write them with their own IRSA
role (the `<s3>` endpoint of `backup_config_xml`: environment credentials, no keys); a CronJob per
service on the system nodes only tells them to, as the `backup` user, whose grants are exactly
what that takes (`BACKUP_GRANTS`).

- Incremental: a backup is incremental on the newest full backup younger than `fullEveryDays`
  (minus an hour of slack), else it is a full one. Incrementals never chain on each other, so a
  restore needs at most two backups.
- Retention: a lifecycle rule on `<service>/` in the backup bucket expires objects after
  `retentionDays + fullEveryDays + 1` days, so every backup younger than `retentionDays` still has
  its full base. The bucket is versioned: an expired object becomes a noncurrent version, deleted
  by the bucket's noncurrent-version rule (components/storage.py) 30 days later.
- Age metrics: the CronJob only succeeds when the backup did. kube-state-metrics reports its
  `kube_cronjob_status_last_successful_time` (only once a run has succeeded), its creation time
  `kube_cronjob_created` and its `kube_cronjob_spec_suspend`. `metric_rule_group` records, per
  service whose CronJob is not suspended (backups enabled, service not stopped),
  `clickhouse_backup_last_success_timestamp_seconds{service}` and
  `clickhouse_backup_due_since_timestamp_seconds{service}` (the last success, or the CronJob's
  creation while none has succeeded) for the alerting layer.
- Restore: `services[i].restoreFrom` runs a Job in the new service once all its replicas answer,
  restores the named (or newest) backup of the source service `ON CLUSTER`, then creates a marker
  table; a rerun finds the marker and does nothing.

Every statement is built here as plain text (tests parse each with ClickHouse's own parser).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from components import k8s_conventions as conv
from components import pod_security

METRIC = "clickhouse_backup_last_success_timestamp_seconds"
DUE_METRIC = "clickhouse_backup_due_since_timestamp_seconds"
BACKUP_USER = "backup"
CLUSTER = "main"
# What `BACKUP ALL` leaves out: the system databases and our own restore marker.
MARKER_DATABASE = "_byoc"
MARKER_TABLE = "restored"
EXCLUDED_DATABASES = ("system", "INFORMATION_SCHEMA", "information_schema", MARKER_DATABASE)
# `BACKUP` on every table, `CLUSTER` for `ON CLUSTER`, `S3` and a temporary table for the `s3()`
# listing that finds the last full backup. Nothing else: no SELECT, INSERT or DDL.
BACKUP_GRANTS = (
    "GRANT BACKUP ON *.*",
    "GRANT CLUSTER ON *.*",
    "GRANT S3 ON *.*",
    "GRANT CREATE TEMPORARY TABLE ON *.*",
)
# Shell variables the scripts fill in at run time (names come from `date -u` and the listing).
NAME_VAR, BASE_VAR = "${NAME}", "${BASE}"
# The named `<s3>` endpoints of the server config (credentials per URL prefix).
S3_ENDPOINT_KEY = "byoc_backups"
S3_RESTORE_ENDPOINT_KEY = "byoc_restore_source"
# A full backup younger than `fullEveryDays` minus this serves as the base of an incremental one.
FULL_SLACK_HOURS = 1
# A backup may run this long; the next scheduled run waits (concurrencyPolicy Forbid).
BACKUP_DEADLINE_SECONDS = 23 * 3600
RESTORE_DEADLINE_SECONDS = 48 * 3600


@dataclass(frozen=True)
class BackupSpec:
    """One service's scheduled backups (`services[i].backup`, parsed by components/settings/services.py)."""

    enabled: bool
    """Run the CronJob (the backup user and the S3 endpoint exist either way; existing backups still age out)."""
    schedule: str
    """Cron schedule in UTC (five fields)."""
    retention_days: int
    """Every backup younger than this stays restorable."""
    full_every_days: int
    """A full backup when the newest full one is this old; incremental ones on it in between."""


@dataclass(frozen=True)
class RestoreSpec:
    """A backup of another service restored into a new one (`services[i].restoreFrom`)."""

    source: str
    """The service whose backups are restored (it need not exist any more; its backups do)."""
    backup: str
    """`latest`, or a backup's name as the backup job wrote it (`20260102T030405Z-full`)."""


def lifecycle_days(spec: BackupSpec) -> int:
    """How long a backup's objects stay current: a full base outlives every incremental on it."""
    return spec.retention_days + spec.full_every_days + 1


def prefix_url(bucket: str, region: str, service: str) -> str:
    """A service's backup prefix (virtual-hosted style, regional endpoint)."""
    return f"https://{bucket}.s3.{region}.amazonaws.com/{service}/"


def backup_url(bucket: str, region: str, service: str, name: str) -> str:
    """One backup: its own path segment under the service's prefix."""
    return f"{prefix_url(bucket, region, service)}{name}/"


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _listing(bucket: str, region: str, service: str) -> str:
    # `One` reads no data: one row per `.backup` metadata file, with its path.
    glob = f"{prefix_url(bucket, region, service)}*/.backup"
    return f"SELECT splitByChar('/', _path)[-2] AS name FROM s3({_quote(glob)}, 'One')"


# No backup yet is no row, not an error.
_NO_MATCH_IS_EMPTY = "SETTINGS s3_throw_on_zero_files_match = 0"


def latest_backup_sql(bucket: str, region: str, service: str) -> str:
    """The newest backup of a service (names sort by time), or no row."""
    return f"SELECT name FROM ({_listing(bucket, region, service)}) ORDER BY name DESC LIMIT 1 {_NO_MATCH_IS_EMPTY}"


def base_full_sql(bucket: str, region: str, service: str, full_every_days: int) -> str:
    """The newest full backup young enough to be the base of an incremental one, or no row."""
    hours = full_every_days * 24 - FULL_SLACK_HOURS
    return (
        f"SELECT name FROM ({_listing(bucket, region, service)}) "
        "WHERE endsWith(name, '-full') "
        f"AND parseDateTime(substring(name, 1, 16), '%Y%m%dT%H%i%sZ', 'UTC') > now() - INTERVAL {hours} HOUR "
        f"ORDER BY name DESC LIMIT 1 {_NO_MATCH_IS_EMPTY}"
    )


def _except() -> str:
    return "EXCEPT DATABASES " + ", ".join(EXCLUDED_DATABASES)


def backup_sql(bucket: str, region: str, service: str, name: str, base: str | None) -> str:
    """`BACKUP ALL` of the whole cluster into `<service>/<name>/`, incremental on `base` when given."""
    target = _quote(backup_url(bucket, region, service, name))
    sql = f"BACKUP ALL {_except()} ON CLUSTER {_quote(CLUSTER)} TO S3({target})"
    if base is not None:
        sql += f" SETTINGS base_backup = S3({_quote(backup_url(bucket, region, service, base))})"
    return sql


def restore_sql(bucket: str, region: str, source: str, name: str) -> str:
    """`RESTORE ALL` of one backup of `source` into this cluster."""
    url = backup_url(bucket, region, source, name)
    return f"RESTORE ALL {_except()} ON CLUSTER {_quote(CLUSTER)} FROM S3({_quote(url)})"


def replicas_answering_sql() -> str:
    """How many servers of the cluster answer (the restore waits for all of them)."""
    return f"SELECT count() FROM clusterAllReplicas({_quote(CLUSTER)}, system.one)"


def restored_check_sql() -> str:
    """1 once this service was restored (the marker table exists), else 0."""
    return (
        "SELECT count() FROM system.tables "
        f"WHERE database = {_quote(MARKER_DATABASE)} AND name = {_quote(MARKER_TABLE)}"
    )


def marker_sql(source: str, name: str) -> list[str]:
    """The marker a finished restore leaves: a table whose comment says what was restored."""
    return [
        f"CREATE DATABASE IF NOT EXISTS {MARKER_DATABASE} ON CLUSTER {_quote(CLUSTER)}",
        f"CREATE TABLE IF NOT EXISTS {MARKER_DATABASE}.{MARKER_TABLE} ON CLUSTER {_quote(CLUSTER)} "
        f"(source String, backup String) ENGINE = Memory COMMENT {_quote(f'restored from {source}/{name}')}",
    ]


def backup_config_xml(bucket: str, region: str, service: str, restore_source: str | None) -> str:
    """Server config: the backup prefixes the servers may write (own) and read (restore source) with
    their IRSA credentials; named `<s3>` endpoints match by URL prefix, for BACKUP and `s3()` alike."""
    entries = [(S3_ENDPOINT_KEY, prefix_url(bucket, region, service))]
    if restore_source is not None:
        entries.append((S3_RESTORE_ENDPOINT_KEY, prefix_url(bucket, region, restore_source)))
    body = "".join(
        f"""    <{key}>
      <endpoint>{url}</endpoint>
      <use_environment_credentials>true</use_environment_credentials>
    </{key}>
"""
        for key, url in entries
    )
    return f"<clickhouse>\n  <s3>\n{body}  </s3>\n</clickhouse>\n"


def backup_users(password_secret: str, networks: tuple[str, ...]) -> dict[str, Any]:
    """The `backup` user of the installation (operator `users` keys): password hash from the Secret,
    only the cluster's ranges, only `BACKUP_GRANTS`."""
    return {
        f"{BACKUP_USER}/k8s_secret_password_sha256_hex": f"{password_secret}/password_sha256_hex",
        f"{BACKUP_USER}/networks/ip": list(networks),
        f"{BACKUP_USER}/profile": "default",
        f"{BACKUP_USER}/quota": "default",
        f"{BACKUP_USER}/grants/query": list(BACKUP_GRANTS),
    }


# The client's own configuration file, from the Job's Secret: user and password never on a command
# line (where the process list shows them) nor in the environment.
CLIENT_CONFIG_KEY = "client.xml"
CLIENT_CONFIG_DIR = "/etc/clickhouse-job"
CLIENT_CONFIG = f"{CLIENT_CONFIG_DIR}/config.xml"
_CLIENT = (
    f'ch() {{ clickhouse-client --config-file {CLIENT_CONFIG} --host "$CLICKHOUSE_HOST" '
    '--receive_timeout 172800 --query "$1"; }'
)


def client_config_xml(user: str, password: str) -> str:
    """`clickhouse-client`'s configuration file (`--config-file`): the user and password it connects with."""
    return f"<config>\n  <user>{escape(user)}</user>\n  <password>{escape(password)}</password>\n</config>\n"


def backup_script(bucket: str, region: str, service: str, full_every_days: int) -> str:
    """The CronJob's script: full or incremental, fails (and the Job with it) when the backup does."""
    return "\n".join(
        [
            "set -euo pipefail",
            _CLIENT,
            'NAME="$(date -u +%Y%m%dT%H%M%SZ)"',
            f'BASE="$(ch "{base_full_sql(bucket, region, service, full_every_days)}")"',
            'if [ -z "$BASE" ]; then',
            '  NAME="$NAME-full"',
            f'  ch "{backup_sql(bucket, region, service, NAME_VAR, None)}"',
            "else",
            '  NAME="$NAME-incr"',
            f'  ch "{backup_sql(bucket, region, service, NAME_VAR, BASE_VAR)}"',
            "fi",
            'echo "backup $NAME of ' + service + ' done"',
            "",
        ]
    )


def restore_script(bucket: str, region: str, restore: RestoreSpec, servers: int) -> str:
    """The restore Job's script: waits for every server, does nothing once restored, restores, marks."""
    if restore.backup == "latest":
        pick = f'NAME="$(ch "{latest_backup_sql(bucket, region, restore.source)}")"'
    else:
        pick = f'NAME="{restore.backup}"'
    return "\n".join(
        [
            "set -euo pipefail",
            _CLIENT,
            f'until [ "$(ch "{replicas_answering_sql()}" 2>/dev/null || echo 0)" = "{servers}" ]; do',
            '  echo "waiting for all servers"; sleep 15',
            "done",
            f'if [ "$(ch "{restored_check_sql()}")" = "1" ]; then',
            '  echo "already restored; nothing to do"; exit 0',
            "fi",
            pick,
            'if [ -z "$NAME" ]; then echo "no backup of ' + restore.source + ' found"; exit 1; fi',
            f'ch "{restore_sql(bucket, region, restore.source, NAME_VAR)}"',
            *(f'ch "{sql}"' for sql in marker_sql(restore.source, NAME_VAR)),
            f'echo "restored {restore.source}/$NAME"',
            "",
        ]
    )


def script_statements(script: str) -> list[str]:
    """Every SQL statement a script runs (`ch "..."`), as written."""
    return re.findall(r'ch "([^"]+)"', script)


# The client image's user (`clickhouse`, 101:101): it reads the mounted configuration file as its group.
CLIENT_UID = 101


def _pod(image: str, script: str, host: str, config_secret: str, labels: dict[str, str]) -> dict[str, Any]:
    placement = conv.system_placement()
    return {
        "metadata": {"labels": labels},
        "spec": {
            "restartPolicy": "Never",
            # The servers do the S3 work with their own role; the job needs no AWS or Kubernetes API.
            "automountServiceAccountToken": False,
            **placement,
            "securityContext": pod_security.pod_security_context(CLIENT_UID),
            "containers": [
                {
                    "name": "client",
                    "image": image,
                    "command": ["bash", "-c", script],
                    "env": [{"name": "CLICKHOUSE_HOST", "value": host}, {"name": "HOME", "value": "/tmp"}],
                    "resources": {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"memory": "512Mi"}},
                    "securityContext": pod_security.container_security_context(),
                    "volumeMounts": [
                        {"name": "tmp", "mountPath": "/tmp"},
                        {"name": "client-config", "mountPath": CLIENT_CONFIG_DIR, "readOnly": True},
                    ],
                }
            ],
            "volumes": [
                {"name": "tmp", "emptyDir": {}},
                {
                    "name": "client-config",
                    "secret": {
                        "secretName": config_secret,
                        "items": [{"key": CLIENT_CONFIG_KEY, "path": "config.xml"}],
                        # Owner and the pod's group (fsGroup): the client's user reads it.
                        "defaultMode": 0o440,
                    },
                },
            ],
        },
    }


def cronjob_name(service: str) -> str:
    return f"backup-{service}"


def restore_job_name(service: str) -> str:
    return f"restore-{service}"


def cronjob_spec(
    spec: BackupSpec, *, image: str, script: str, host: str, config_secret: str, stopped: bool, labels: dict
) -> dict[str, Any]:
    """The backup CronJob: UTC schedule, one run at a time, suspended while disabled or stopped."""
    return {
        "schedule": spec.schedule,
        "timeZone": "Etc/UTC",
        "concurrencyPolicy": "Forbid",
        "startingDeadlineSeconds": 3600,
        "suspend": (not spec.enabled) or stopped,
        "successfulJobsHistoryLimit": 3,
        "failedJobsHistoryLimit": 3,
        "jobTemplate": {
            "metadata": {"labels": labels},
            "spec": {
                "backoffLimit": 1,
                "activeDeadlineSeconds": BACKUP_DEADLINE_SECONDS,
                "template": _pod(image, script, host, config_secret, labels),
            },
        },
    }


def restore_job_spec(*, image: str, script: str, host: str, config_secret: str, labels: dict) -> dict[str, Any]:
    """The restore Job (kept after it finishes, so it never runs again by itself)."""
    return {
        "backoffLimit": 3,
        "activeDeadlineSeconds": RESTORE_DEADLINE_SECONDS,
        "template": _pod(image, script, host, config_secret, labels),
    }


def _active_cronjobs(series: str) -> str:
    """`series` of the backup CronJobs, per CronJob, except those suspended (backups disabled, or
    the service stopped): kube-state-metrics keeps reporting a suspended CronJob's last success."""
    selector = f'{{namespace="{conv.CLICKHOUSE_NAMESPACE}", cronjob=~"{cronjob_name(".+")}"}}'
    return (
        f"(max by (namespace, cronjob) ({series}{selector}) unless on (namespace, cronjob)"
        f" (max by (namespace, cronjob) (kube_cronjob_spec_suspend{selector}) == 1))"
    )


def _per_service(expr: str) -> str:
    return f'label_replace({expr}, "service", "$1", "cronjob", "{cronjob_name("(.+)")}")'


def metric_rule_group() -> dict[str, Any]:
    """The Prometheus recording rules behind the backup-age alert, from kube-state-metrics' CronJob
    series, for the CronJobs that run (not suspended):

    - `METRIC`: the last successful run (kube-state-metrics has it only once a run succeeded);
    - `DUE_METRIC`: the same, or the CronJob's creation while no run has succeeded yet, so a
      service whose backups never succeed ages like one whose last backup is old.
    """
    last_success = _active_cronjobs("kube_cronjob_status_last_successful_time")
    created = _active_cronjobs("kube_cronjob_created")
    return {
        "name": "clickhouse-backups",
        "rules": [
            {"record": METRIC, "expr": _per_service(last_success)},
            {"record": DUE_METRIC, "expr": _per_service(f"({last_success} or {created})")},
        ],
    }
