"""Alerts: AlertManager's routing and the Prometheus rule groups.

The routing is plain data in the chart's values, so a reviewer reads in the preview who gets which
alert. Only the receivers' URLs and keys are secret: AlertManager reads them from files
(`url_file`, `api_url_file`, `routing_key_file`) of Secrets mounted into its pods.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from components import backup, pod_requests

SECRETS_DIR = "/etc/alertmanager/secrets"
VENDOR_SECRET = "alertmanager-vendor-webhook"
VENDOR_KEY = "url"
RECEIVERS_SECRET = "alertmanager-receivers"
VENDOR_RECEIVER = "vendor"
NULL_RECEIVER = "null"
SEVERITIES = ("critical", "warning", "information")
RECEIVER_KINDS = ("webhook", "slack", "pagerduty")
# Alerts are grouped per problem and place: one notification per alert name, service and pod set.
GROUP_BY = ["alertname", "deployment", "namespace", "service"]

# Per service whose backups run (CronJob not suspended): the Unix time of the last successful
# backup, and the time since which one is due (the last success, or the CronJob's creation while
# none has succeeded). Recording rules of components.backup.metric_rule_group, same PrometheusRule.
BACKUP_METRIC = backup.METRIC
BACKUP_DUE_METRIC = backup.DUE_METRIC
# A daily backup plus slack for one failed run and a long one.
BACKUP_MAX_AGE_HOURS = 26

CLICKHOUSE_JOB = "monitoring/clickhouse"
KEEPER_JOB = "monitoring/clickhouse-keeper"
KEEPER_REPLICAS = pod_requests.KEEPER.replicas


@dataclass(frozen=True)
class Receiver:
    """A customer's alert receiver (`alerting.receivers[]`)."""

    name: str
    """Unique name: `customer-<name>` in AlertManager."""
    kind: str
    """`webhook`, `slack` or `pagerduty`."""
    severities: tuple[str, ...] = ("critical", "warning")
    """Severities routed to it."""
    channel: str | None = None
    """Slack channel (slack only)."""

    @property
    def receiver_name(self) -> str:
        return f"customer-{self.name}"

    @property
    def secret_key(self) -> str:
        """Key of its URL or routing key in the receivers' Secret."""
        return self.name


def _file(secret: str, key: str) -> str:
    return f"{SECRETS_DIR}/{secret}/{key}"


def _customer_receiver(receiver: Receiver) -> dict[str, Any]:
    path = _file(RECEIVERS_SECRET, receiver.secret_key)
    if receiver.kind == "webhook":
        config: dict[str, Any] = {"webhook_configs": [{"url_file": path, "send_resolved": True}]}
    elif receiver.kind == "slack":
        slack: dict[str, Any] = {"api_url_file": path, "send_resolved": True}
        if receiver.channel:
            slack["channel"] = receiver.channel
        config = {"slack_configs": [slack]}
    elif receiver.kind == "pagerduty":
        config = {"pagerduty_configs": [{"routing_key_file": path, "send_resolved": True}]}
    else:
        raise ValueError(f"unknown receiver kind {receiver.kind!r}")
    return {"name": receiver.receiver_name, **config}


def _severity_matcher(severities: Sequence[str]) -> str:
    return f'severity=~"{"|".join(severities)}"'


def alertmanager_config(receivers: Sequence[Receiver], vendor_webhook: bool = True) -> dict[str, Any]:
    """AlertManager's configuration: every critical and warning alert to the vendor, then to each
    customer receiver for the severities it asked for; the Watchdog heartbeat to the vendor only,
    so silence there means alerting is broken; everything else nowhere. Without a vendor webhook
    (`vendor_webhook` false) the vendor receiver has no destination: its alerts are dropped."""
    vendor: dict[str, Any] = {"name": VENDOR_RECEIVER}
    if vendor_webhook:
        vendor["webhook_configs"] = [
            {"url_file": _file(VENDOR_SECRET, VENDOR_KEY), "send_resolved": True, "max_alerts": 50}
        ]
    routes: list[dict[str, Any]] = [
        # kube-prometheus-stack's always-firing alert: the vendor's dead man's switch.
        {"receiver": VENDOR_RECEIVER, "matchers": ['alertname="Watchdog"'], "repeat_interval": "1h"},
        # Only there to inhibit info alerts; never sent.
        {"receiver": NULL_RECEIVER, "matchers": ['alertname="InfoInhibitor"']},
        {"receiver": VENDOR_RECEIVER, "matchers": [_severity_matcher(("critical", "warning"))], "continue": True},
    ]
    routes += [
        {"receiver": r.receiver_name, "matchers": [_severity_matcher(r.severities)], "continue": True}
        for r in receivers
    ]
    return {
        "global": {"resolve_timeout": "5m"},
        "route": {
            "receiver": NULL_RECEIVER,
            "group_by": list(GROUP_BY),
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "4h",
            "routes": routes,
        },
        "inhibit_rules": [
            # A critical alert silences the warning of the same problem in the same place.
            {
                "source_matchers": ['severity="critical"'],
                "target_matchers": ['severity="warning"'],
                "equal": ["alertname", "namespace", "service"],
            },
            {
                "source_matchers": ['alertname="InfoInhibitor"'],
                "target_matchers": ['severity="info"'],
                "equal": ["namespace"],
            },
        ],
        "receivers": [
            {"name": NULL_RECEIVER},
            vendor,
            *(_customer_receiver(r) for r in receivers),
        ],
        "templates": ["/etc/alertmanager/config/*.tmpl"],
    }


def alertmanager_secrets(receivers: Sequence[Receiver], vendor_webhook: bool = True) -> list[str]:
    """Secrets AlertManager mounts (the receivers' files live there)."""
    return [*([VENDOR_SECRET] if vendor_webhook else []), *([RECEIVERS_SECRET] if receivers else [])]


# -- rule groups ----------------------------------------------------------------------------------


def _alert(name: str, expr: str, for_: str, severity: str, summary: str, description: str) -> dict[str, Any]:
    rule: dict[str, Any] = {"alert": name, "expr": expr}
    if for_:
        rule["for"] = for_
    rule["labels"] = {"severity": severity}
    rule["annotations"] = {"summary": summary, "description": description}
    return rule


_CH = "{{ $labels.namespace }}/{{ $labels.pod }}"


def clickhouse_rules() -> dict[str, Any]:
    """ClickHouse servers: up, readonly replicas, replication, parts, errors, disk, S3, Keeper sessions."""
    return {
        "name": "clickhouse",
        "rules": [
            _alert(
                "ClickHouseDown",
                f'up{{job="{CLICKHOUSE_JOB}"}} == 0',
                "5m",
                "critical",
                "ClickHouse server unreachable",
                f"Prometheus cannot scrape {_CH} for 5 minutes.",
            ),
            _alert(
                "ClickHouseReadonlyReplica",
                "ClickHouseMetrics_ReadonlyReplica > 0",
                "5m",
                "critical",
                "ClickHouse replica is read-only",
                f"{_CH} has {{{{ $value }}}} read-only replicated tables (Keeper unreachable or metadata lost).",
            ),
            _alert(
                "ClickHouseReplicationLag",
                "ClickHouseAsyncMetrics_ReplicasMaxAbsoluteDelay > 300",
                "10m",
                "warning",
                "ClickHouse replication lag",
                f"{_CH} is {{{{ $value | humanizeDuration }}}} behind its replicas.",
            ),
            _alert(
                "ClickHouseReplicationQueueHigh",
                "ClickHouseAsyncMetrics_ReplicasMaxQueueSize > 200",
                "15m",
                "warning",
                "ClickHouse replication queue is long",
                f"{_CH} has {{{{ $value }}}} entries in a replication queue.",
            ),
            _alert(
                "ClickHouseTooManyPartsPerPartition",
                "ClickHouseAsyncMetrics_MaxPartCountForPartition > 300",
                "10m",
                "warning",
                "ClickHouse merges fall behind inserts",
                f"{_CH} has a partition with {{{{ $value }}}} parts; inserts slow down at 1000.",
            ),
            _alert(
                "ClickHouseTooManyPartsCritical",
                "ClickHouseAsyncMetrics_MaxPartCountForPartition >= 1000",
                "5m",
                "critical",
                "ClickHouse delays inserts",
                f"{_CH} has a partition with {{{{ $value }}}} parts: inserts are being delayed.",
            ),
            _alert(
                "ClickHouseQueryErrors",
                "sum by (namespace, pod) (rate(ClickHouseProfileEvents_FailedQuery[5m]))"
                " / sum by (namespace, pod) (rate(ClickHouseProfileEvents_Query[5m])) > 0.1",
                "15m",
                "warning",
                "ClickHouse queries fail",
                f"More than 10% of the queries on {_CH} fail.",
            ),
            _alert(
                "ClickHouseS3Errors",
                # One `increase` per counter: over a `__name__` regex it would drop the names and
                # leave four series with one label set, an evaluation error.
                " + ".join(
                    f"sum by (namespace, pod) (increase(ClickHouseProfileEvents_{c}[10m]))"
                    for c in (
                        "S3ReadRequestsErrors",
                        "S3WriteRequestsErrors",
                        "DiskS3ReadRequestsErrors",
                        "DiskS3WriteRequestsErrors",
                    )
                )
                + " > 10",
                "10m",
                "warning",
                "ClickHouse gets errors from S3",
                f"{_CH} got {{{{ $value }}}} S3 request errors in 10 minutes.",
            ),
            _alert(
                "ClickHouseDiskAlmostFull",
                "ClickHouseAsyncMetrics_DiskAvailable_default / ClickHouseAsyncMetrics_DiskTotal_default < 0.1",
                "10m",
                "critical",
                "ClickHouse local disk almost full",
                f"{_CH} has less than 10% of its volume free.",
            ),
            _alert(
                "ClickHouseKeeperSessionLost",
                "ClickHouseMetrics_ZooKeeperSession < 1",
                "2m",
                "critical",
                "ClickHouse lost its Keeper session",
                f"{_CH} has no Keeper session: replicated tables are read-only.",
            ),
            _alert(
                "ClickHouseKeeperExceptions",
                "increase(ClickHouseProfileEvents_ZooKeeperHardwareExceptions[10m]) > 5",
                "",
                "warning",
                "ClickHouse loses its Keeper connection repeatedly",
                f"{_CH} had {{{{ $value }}}} Keeper connection failures in 10 minutes.",
            ),
        ],
    }


def keeper_rules() -> dict[str, Any]:
    """Keeper: replicas up, quorum, leader, each computed from the series that exist.

    A target that cannot be scraped still has its `up` series (0); the other series of a down
    replica go stale. So quorum counts the `up` values present, and the leader check sums the
    leader flags of the replicas that answer. When the whole job has no series (no Keeper target
    at all), neither can say anything: `KeeperNotScraped` says that instead, once, as a warning
    (the servers' `ClickHouseKeeperSessionLost` pages if Keeper is really gone).
    """
    quorum = KEEPER_REPLICAS // 2 + 1
    up = f'up{{job="{KEEPER_JOB}"}}'
    return {
        "name": "clickhouse-keeper",
        "rules": [
            _alert(
                "KeeperNotScraped",
                f"absent({up})",
                "10m",
                "warning",
                "Prometheus has no Keeper target",
                f"No Keeper replica has been a scrape target of {KEEPER_JOB} for 10 minutes: Keeper's quorum"
                " and leader cannot be checked. Check the Keeper pods and the PodMonitor.",
            ),
            _alert(
                "KeeperReplicaDown",
                f"{up} == 0",
                "5m",
                "warning",
                "Keeper replica unreachable",
                f"Keeper {_CH} cannot be scraped for 5 minutes.",
            ),
            _alert(
                "KeeperQuorumLost",
                f"sum({up}) < {quorum}",
                "2m",
                "critical",
                "Keeper has lost its quorum",
                f"Fewer than {quorum} of {KEEPER_REPLICAS} Keeper replicas are up: every replicated table is"
                " read-only.",
            ),
            _alert(
                "KeeperNoLeader",
                f'sum(ClickHouseAsyncMetrics_KeeperIsLeader{{job="{KEEPER_JOB}"}}) < 1',
                "2m",
                "critical",
                "Keeper has no leader",
                "None of the Keeper replicas that answer has been leader for 2 minutes.",
            ),
        ],
    }


def node_and_volume_rules() -> dict[str, Any]:
    """Nodes (ready, pressure, root file system) and persistent volumes (free space, binding)."""
    return {
        "name": "nodes-and-volumes",
        "rules": [
            _alert(
                "NodeNotReady",
                'kube_node_status_condition{condition="Ready",status="true"} == 0',
                "10m",
                "warning",
                "Node not ready",
                "{{ $labels.node }} has not been Ready for 10 minutes.",
            ),
            _alert(
                "NodeUnderPressure",
                'kube_node_status_condition{condition=~"MemoryPressure|DiskPressure|PIDPressure",status="true"} == 1',
                "5m",
                "warning",
                "Node under pressure",
                "{{ $labels.node }} reports {{ $labels.condition }}.",
            ),
            _alert(
                "NodeRootFilesystemAlmostFull",
                'node_filesystem_avail_bytes{mountpoint="/",fstype!~"tmpfs|overlay"}'
                ' / node_filesystem_size_bytes{mountpoint="/",fstype!~"tmpfs|overlay"} < 0.1',
                "10m",
                "critical",
                "Node root file system almost full",
                "{{ $labels.instance }} has less than 10% free on /: logs and images fill it.",
            ),
            _alert(
                "VolumeAlmostFull",
                "kubelet_volume_stats_available_bytes / kubelet_volume_stats_capacity_bytes < 0.15",
                "10m",
                "warning",
                "Persistent volume almost full",
                "{{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} has less than 15% free.",
            ),
            _alert(
                "VolumeFull",
                "kubelet_volume_stats_available_bytes / kubelet_volume_stats_capacity_bytes < 0.05",
                "5m",
                "critical",
                "Persistent volume full",
                "{{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} has less than 5% free.",
            ),
            _alert(
                "VolumeClaimPending",
                'kube_persistentvolumeclaim_status_phase{phase="Pending"} == 1',
                "15m",
                "warning",
                "Volume claim not bound",
                "{{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} has been Pending for 15 minutes.",
            ),
        ],
    }


def certificate_rules() -> dict[str, Any]:
    """cert-manager certificates: expiry and readiness (renewal runs 30 days before expiry)."""
    return {
        "name": "certificates",
        "rules": [
            _alert(
                "CertificateExpiresSoon",
                "certmanager_certificate_expiration_timestamp_seconds - time() < 14 * 86400",
                "1h",
                "warning",
                "Certificate expires within 14 days",
                "{{ $labels.namespace }}/{{ $labels.name }} expires in {{ $value | humanizeDuration }}:"
                " renewal is failing.",
            ),
            _alert(
                "CertificateExpiresVerySoon",
                "certmanager_certificate_expiration_timestamp_seconds - time() < 3 * 86400",
                "10m",
                "critical",
                "Certificate expires within 3 days",
                "{{ $labels.namespace }}/{{ $labels.name }} expires in {{ $value | humanizeDuration }}.",
            ),
            _alert(
                "CertificateNotReady",
                'certmanager_certificate_ready_status{condition="False"} == 1',
                "30m",
                "warning",
                "Certificate not ready",
                "{{ $labels.namespace }}/{{ $labels.name }} is not Ready.",
            ),
        ],
    }


def backup_rules(max_age_hours: int = BACKUP_MAX_AGE_HOURS) -> dict[str, Any]:
    """Backups: each service whose backups run had a successful one within the limit, counted from
    its last success or, while none has succeeded, from when its backups were set up. A service
    with backups disabled, or stopped, has a suspended CronJob and no recorded series: no alert."""
    return {
        "name": "backups",
        "rules": [
            _alert(
                "BackupTooOld",
                f"time() - max by (service) ({BACKUP_DUE_METRIC}) > {max_age_hours} * 3600",
                "15m",
                "critical",
                "No recent backup",
                "Service {{ $labels.service }} has had no successful backup for {{ $value | humanizeDuration }}"
                f" (limit {max_age_hours}h), counted from its last success or, if none succeeded yet, from"
                " when its backups were set up.",
            ),
        ],
    }


def rule_groups(backup_max_age_hours: int = BACKUP_MAX_AGE_HOURS) -> list[dict[str, Any]]:
    """Every rule group of the layer (kube-prometheus-stack adds its own Kubernetes groups)."""
    return [
        clickhouse_rules(),
        keeper_rules(),
        node_and_volume_rules(),
        certificate_rules(),
        backup_rules(backup_max_age_hours),
    ]
