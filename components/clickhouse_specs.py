"""ClickHouse's plain data, apart from the resources (components/clickhouse.py): names, the service
spec, the Altinity operator's chart values, the ClickHouseInstallation and ClickHouseKeeperInstallation
specs, the storage and MySQL configuration, and how the servers and Keeper run (pure functions)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from components import awaits, ingress, pod_requests, pod_security, quantity, versions
from components import backup as backups
from components import k8s_conventions as conv
from components.cidr import InternalRanges
from components.k8s_conventions import STORAGE_CLASS
from components.observability import logs, metrics, metrics_endpoint

OPERATOR_NAMESPACE = "clickhouse-operator"
OPERATOR_USER = "clickhouse_operator"
# The chart's fullname (pinned) and so the name of the credentials Secret the operator reads.
OPERATOR_SECRET = "clickhouse-operator"
CHI_API = "clickhouse.altinity.com/v1"
CHK_API = "clickhouse-keeper.altinity.com/v1"
CLUSTER_NAME = "main"
KEEPER_NAME = "shared"
KEEPER_PORT = 2181
KEEPER_REPLICAS = pod_requests.KEEPER.replicas
KEEPER_STORAGE = "20Gi"
# Room on a server's volume besides the S3 cache: S3 disk metadata, temporary data, logs.
VOLUME_HEADROOM = 20 * quantity.GI
USER = "default"
PASSWORD_KEY = "password_sha256_hex"
CHI_LABEL = "clickhouse.altinity.com/chi"
# `nobody`: the user the operator's and metrics exporter's images run as (their Dockerfiles).
OPERATOR_UID = 65534
CHK_LABEL = "clickhouse-keeper.altinity.com/chk"
# The MySQL interface's certificate in the server pods: the whole Secret mounted as a directory (a
# subPath mount would never see a renewal), read by the clickhouse user (uid/gid 101) only.
MYSQL_CONFIG_FILE = "config.d/mysql.xml"
MYSQL_TLS_VOLUME = "mysql-tls"
MYSQL_TLS_DIR = "/etc/clickhouse-server/mysql-tls"
MYSQL_TLS_MODE = 0o440


def keeper_host() -> str:
    """The Keeper Service the operator creates for the shared installation (`keeper-<name>`)."""
    return f"keeper-{KEEPER_NAME}.{conv.CLICKHOUSE_NAMESPACE}.svc.cluster.local"


def service_backend(service: str) -> str:
    """The ClusterIP Service of a ClickHouseInstallation (see the `cluster-ip` service template)."""
    return f"clickhouse-{service}.{conv.CLICKHOUSE_NAMESPACE}.svc.cluster.local"


def password_secret_name(service: str) -> str:
    """The Secret holding the `default` user's password hash, next to the installation."""
    return f"clickhouse-{service}-credentials"


def backup_secret_name(service: str) -> str:
    """The Secret of the `backup` user: the CronJob's client configuration (its password) and the
    password's hash (for the servers)."""
    return f"clickhouse-{service}-backup"


def mysql_certificate_name(service: str) -> str:
    """The cert-manager Certificate of a service's MySQL interface (namespace `clickhouse`)."""
    return f"clickhouse-{service}-mysql"


def mysql_tls_secret_name(service: str) -> str:
    """The Secret cert-manager writes that Certificate into (`tls.crt` with its chain, `tls.key`)."""
    return f"clickhouse-{service}-mysql-tls"


def mysql_config_xml() -> str:
    """ClickHouse config of the MySQL interface (server settings reference at 25.8; the checks and
    their sources are in tests/test_mysql_interface.py): listen on the MySQL port, refuse clients
    that do not upgrade to TLS, and serve the service's certificate, TLS 1.2 or newer, from the
    mounted Secret. The MySQL handler takes the default server TLS context (`openSSL.server`), whose
    certificate ClickHouse's CertificateReloader swaps when the files change: the main config
    reloader watches the certificate and key paths, so a renewal needs no restart."""
    return f"""<clickhouse>
  <mysql_port>{ingress.CLICKHOUSE_MYSQL_PORT}</mysql_port>
  <mysql_require_secure_transport>true</mysql_require_secure_transport>
  <openSSL>
    <server>
      <certificateFile>{MYSQL_TLS_DIR}/tls.crt</certificateFile>
      <privateKeyFile>{MYSQL_TLS_DIR}/tls.key</privateKeyFile>
      <disableProtocols>sslv2,sslv3,tlsv1,tlsv1_1</disableProtocols>
    </server>
  </openSSL>
</clickhouse>
"""


def restore_secret_name(service: str) -> str:
    """The Secret holding the restore Job's client configuration (the `default` user's password)."""
    return f"clickhouse-{service}-restore"


def password_sha256(password: str) -> str:
    """How ClickHouse stores a password: `password_sha256_hex`."""
    return hashlib.sha256(password.encode()).hexdigest()


def s3_endpoint(bucket: str, region: str, service: str) -> str:
    """The service's prefix in the data bucket (virtual-hosted style, regional endpoint)."""
    return f"https://{bucket}.s3.{region}.amazonaws.com/{service}/"


def client_networks(ranges: InternalRanges) -> list[str]:
    """Where the `default` user may connect from.

    Clients reach the servers through the gateways, whose pods (and the servers' own replicas)
    have addresses in the VPC or the pod range; the client IP filter itself is the NLB's allow list.
    """
    return ["127.0.0.1/32", "::1/128", *ranges.cluster]


@dataclass(frozen=True)
class ClickHouseServiceSpec:
    """One ClickHouse service (a ClickHouseInstallation): its name, size, version and interfaces, as
    an entry of `services` configures it (parsed, validated and defaulted by components/settings/services.py)."""

    name: str
    """Lowercase DNS label, at most 30 chars: the hostnames `<name>.<zone>` and `<name>-private.<zone>`,
    the installation, its bucket prefix and IRSA role."""
    shards: int
    """Number of shards (horizontal scaling)."""
    replicas: int
    """Replicas per shard, spread over the zones."""
    clickhouse_version: str
    """The `clickhouse/clickhouse-server` image tag."""
    cpu: str
    """CPU request per server (a Kubernetes quantity)."""
    memory: str
    """Memory request and limit per server (a Kubernetes quantity)."""
    cache_size: str
    """Local cache of the S3 disk per server (a Kubernetes quantity)."""
    stopped: bool
    """Stop the servers (pods gone; volumes and S3 data kept)."""
    mysql_interface: bool
    """Also expose ClickHouse's MySQL protocol on a port of its own on both gateways, TLS by ClickHouse itself."""
    backup: backups.BackupSpec | None = None
    """Scheduled backups (`backup`; the settings always give one); None: none, and no backup user."""
    restore: backups.RestoreSpec | None = None
    """A backup of another service restored once the servers are ready (`restoreFrom`); None: none."""
    mysql_port: int | None = None
    """The gateway port of the MySQL interface (`mysqlPort`, or derived from the name); required with it."""

    def __post_init__(self) -> None:
        if self.mysql_interface and self.mysql_port is None:
            raise ValueError(f"service {self.name}: the MySQL interface needs its gateway port")


def operator_values() -> dict[str, Any]:
    """Values of the Altinity operator chart: metrics on, system nodes, one namespace watched.

    The chart's own credentials Secret is off (`secret.create: false`, never its well-known default
    password): the component creates the Secret the operator reads (`OPERATOR_SECRET`, the chart's
    fullname, pinned by `fullnameOverride`) from a generated password, so these values hold no
    credential and stay readable in previews.
    """
    placement = conv.system_placement()
    return {
        "fullnameOverride": OPERATOR_SECRET,
        "secret": {"create": False},
        "metrics": {"enabled": True, "containerSecurityContext": pod_security.container_security_context()},
        "nodeSelector": placement["nodeSelector"],
        "tolerations": placement["tolerations"],
        "crdHook": {"nodeSelector": placement["nodeSelector"], "tolerations": placement["tolerations"]},
        # The operator's and the exporter's images run as `nobody` and log to stderr; the pod only
        # says so (the chart sets no securityContext).
        "podSecurityContext": pod_security.pod_security_context(OPERATOR_UID, volumes=False),
        "operator": {
            "resources": pod_requests.CLICKHOUSE_OPERATOR.containers[0].resources(),
            "containerSecurityContext": pod_security.container_security_context(),
        },
        "configs": {
            "files": {
                "config.yaml": {
                    "watch": {"namespaces": [conv.CLICKHOUSE_NAMESPACE]},
                    # `pulumi up`'s await annotations stay on the installations: copied onto the
                    # pod templates, a change of them would roll every pod.
                    "annotation": {"exclude": list(awaits.OPERATOR_EXCLUDED_ANNOTATIONS)},
                    # "Completed" must mean every pod is ready: wait long enough for a node from
                    # zero, and stop (status Aborted) instead of ignoring a StatefulSet that never
                    # becomes ready, which the chart's default `ignore` would report as Completed.
                    #
                    # A pod template change rolls one server at a time: the operator restarts a
                    # shard's replicas one after another, waiting for each to be ready; one shard
                    # thread makes the shards after the first one go one after another too (the
                    # default runs up to half of them at once). A replica that does not come back
                    # stops the roll there (`update.onFailure: abort`).
                    "reconcile": {
                        "runtime": {"reconcileShardsThreadsNumber": 1},
                        "statefulSet": {
                            "create": {"onFailure": "abort"},
                            "update": {"timeout": awaits.STATEFULSET_READY_TIMEOUT, "onFailure": "abort"},
                        },
                        "host": {"wait": {"probes": {"readiness": True}}},
                    },
                }
            }
        },
    }


def storage_xml(bucket: str, region: str, service: str, cache_bytes: int) -> str:
    """ClickHouse config: an S3 disk (credentials from the environment: IRSA) behind a local cache,
    made the default storage policy of every MergeTree table. No keys anywhere."""
    endpoint = escape(s3_endpoint(bucket, region, service))
    return f"""<clickhouse>
  <storage_configuration>
    <disks>
      <s3>
        <type>s3</type>
        <endpoint>{endpoint}</endpoint>
        <region>{escape(region)}</region>
        <use_environment_credentials>true</use_environment_credentials>
        <metadata_path>/var/lib/clickhouse/disks/s3/</metadata_path>
      </s3>
      <s3_cache>
        <type>cache</type>
        <disk>s3</disk>
        <path>/var/lib/clickhouse/disks/s3_cache/</path>
        <max_size>{cache_bytes}</max_size>
      </s3_cache>
    </disks>
    <policies>
      <s3>
        <volumes>
          <main>
            <disk>s3_cache</disk>
          </main>
        </volumes>
      </s3>
    </policies>
  </storage_configuration>
  <merge_tree>
    <storage_policy>s3</storage_policy>
  </merge_tree>
</clickhouse>
"""


def _spread_and_separate(labels: dict[str, str]) -> dict[str, Any]:
    """One pod per node, and pods spread evenly over the zones."""
    return {
        "affinity": {
            "podAntiAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": [
                    {"topologyKey": "kubernetes.io/hostname", "labelSelector": {"matchLabels": dict(labels)}}
                ]
            }
        },
        "topologySpreadConstraints": [
            {
                "maxSkew": 1,
                "topologyKey": conv.ZONE_TOPOLOGY_KEY,
                "whenUnsatisfiable": "DoNotSchedule",
                "labelSelector": {"matchLabels": dict(labels)},
            }
        ],
    }


# The user and group of the `clickhouse/clickhouse-server` and `clickhouse/clickhouse-keeper` images
# (`clickhouse`, 101:101, created by their Dockerfiles; the images run as root and switch to it).
CLICKHOUSE_UID = 101
# Where the operator mounts a server's and a Keeper member's data volume (release-0.25.6
# `DirPathDataStorage`), and where each writes its log files (the operator's logger settings for the
# server, the Keeper image's own `keeper_config.xml`).
SERVER_DATA_DIR, SERVER_LOG_DIR = "/var/lib/clickhouse", "/var/log/clickhouse-server"
KEEPER_DATA_DIR, KEEPER_LOG_DIR = "/var/lib/clickhouse-keeper", "/var/log/clickhouse-keeper"


def _server_pod_security() -> dict[str, Any]:
    """A server pod: the image's user, RuntimeDefault seccomp, no Kubernetes API token (it calls no
    API; S3 credentials come from the IRSA webhook's own token), and the writable directories the
    read-only image needs besides the data volume (where the operator points everything else: data,
    metadata, tmp, user files, the S3 disk's metadata and cache, the preprocessed configs): the log
    files and `/tmp`. Logs go to the console too; the files live as long as the pod."""
    logs, _ = pod_security.scratch("logs", SERVER_LOG_DIR)
    tmp, _ = pod_security.scratch("tmp", "/tmp")
    return {
        "automountServiceAccountToken": False,
        "securityContext": pod_security.pod_security_context(CLICKHOUSE_UID),
        "volumes": [logs, tmp],
    }


def _server_container_security() -> dict[str, Any]:
    """The server container: no capability (ClickHouse only uses CAP_NET_ADMIN, CAP_IPC_LOCK and
    CAP_SYS_NICE when it has them, for taskstats, mlock and thread priorities, and logs that it does
    without), read-only root filesystem with the pod's writable mounts."""
    _, logs = pod_security.scratch("logs", SERVER_LOG_DIR)
    _, tmp = pod_security.scratch("tmp", "/tmp")
    return {"securityContext": pod_security.container_security_context(), "volumeMounts": [logs, tmp]}


def _keeper_pod_security() -> dict[str, Any]:
    """A Keeper pod: as a server pod; the only writable directory besides the data volume is the log
    directory the image's entrypoint and configuration name."""
    logs, _ = pod_security.scratch("logs", KEEPER_LOG_DIR)
    return {
        "automountServiceAccountToken": False,
        "securityContext": pod_security.pod_security_context(CLICKHOUSE_UID),
        "volumes": [logs],
    }


def _keeper_container_security() -> dict[str, Any]:
    """The Keeper container. `CLICKHOUSE_DATA_DIR` tells the image's entrypoint where the data
    volume is (as the operator's default Keeper container does): it checks that directory is
    writable and creates its `coordination` folders there, not under the read-only
    `/var/lib/clickhouse` of the image."""
    _, logs = pod_security.scratch("logs", KEEPER_LOG_DIR)
    return {
        "env": [{"name": "CLICKHOUSE_DATA_DIR", "value": KEEPER_DATA_DIR}],
        "securityContext": pod_security.container_security_context(),
        "volumeMounts": [logs],
    }


def add_mysql_tls(pod: dict[str, Any], service: str) -> None:
    """Adds the MySQL certificate's Secret to a server pod spec as a volume, and its mount to the
    `clickhouse` container, beside whatever volumes and mounts the pod already has."""
    pod.setdefault("volumes", []).append(
        {
            "name": MYSQL_TLS_VOLUME,
            "secret": {"secretName": mysql_tls_secret_name(service), "defaultMode": MYSQL_TLS_MODE},
        }
    )
    (container,) = [c for c in pod["containers"] if c["name"] == "clickhouse"]
    container.setdefault("volumeMounts", []).append(
        {"name": MYSQL_TLS_VOLUME, "mountPath": MYSQL_TLS_DIR, "readOnly": True}
    )


def _volume(name: str, size: str, storage_class: str = STORAGE_CLASS) -> dict[str, Any]:
    """A claim template. Claims already made keep their class and size: a StatefulSet's templates
    only shape claims created later, and Kubernetes never shrinks a bound claim (docs/day-2.md)."""
    return {
        "name": name,
        "reclaimPolicy": "Retain",
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "storageClassName": storage_class,
            "resources": {"requests": {"storage": size}},
        },
    }


def chi_spec(
    service: ClickHouseServiceSpec,
    *,
    bucket: str,
    region: str,
    networks: Sequence[str],
    service_account: str,
    storage_class: str = STORAGE_CLASS,
    log_house: bool = False,
    backup_bucket: str | None = None,
) -> dict[str, Any]:
    """The ClickHouseInstallation spec of one service.

    With backups (or a restore) and `backup_bucket`, the servers get the backup prefixes as S3
    endpoints with their IRSA credentials, and (with backups) the least-privilege `backup` user.

    The `default` user's password hash is read by the operator from the service's Secret
    (`password_secret_name(...)`), so the resource itself carries no credential; so are the hashes
    of the scraping user `metrics_scraper` (`/metrics_all`) and, on the LogHouse service
    (`log_house`), of the log writer. Their grants and the statements behind them are here.
    """
    cache_bytes = quantity.to_bytes(service.cache_size)
    labels = {CHI_LABEL: service.name}
    placement = conv.clickhouse_placement()
    ports = [
        {"name": "http", "port": ingress.CLICKHOUSE_HTTP_PORT, "targetPort": ingress.CLICKHOUSE_HTTP_PORT},
        {"name": "tcp", "port": ingress.CLICKHOUSE_NATIVE_PORT, "targetPort": ingress.CLICKHOUSE_NATIVE_PORT},
    ]
    settings: dict[str, Any] = dict(metrics_endpoint.internal_prometheus_settings())
    users = metrics_endpoint.user_settings(service.name, networks)
    extra_statements: list[str] = []
    if log_house:
        users |= logs.user_settings(service.name, networks)
        extra_statements = logs.statements()
    files = {
        "config.d/storage.xml": storage_xml(bucket, region, service.name, cache_bytes),
        metrics_endpoint.CONFIG_FILE: metrics_endpoint.config_xml(CLUSTER_NAME, extra_statements),
    }
    if service.mysql_interface:
        ports.append(
            {"name": "mysql", "port": ingress.CLICKHOUSE_MYSQL_PORT, "targetPort": ingress.CLICKHOUSE_MYSQL_PORT}
        )
        files[MYSQL_CONFIG_FILE] = mysql_config_xml()
    if backup_bucket is not None and (service.backup is not None or service.restore is not None):
        source = service.restore.source if service.restore else None
        files["config.d/backups.xml"] = backups.backup_config_xml(backup_bucket, region, service.name, source)
    if backup_bucket is not None and service.backup is not None:
        users |= backups.backup_users(backup_secret_name(service.name), tuple(networks))
    spec: dict[str, Any] = {
        "stop": "yes" if service.stopped else "no",
        "defaults": {
            "templates": {
                "podTemplate": "server",
                "dataVolumeClaimTemplate": "data",
                "serviceTemplate": "cluster-ip",
            },
            "storageManagement": {"reclaimPolicy": "Retain"},
        },
        "configuration": {
            "zookeeper": {
                "nodes": [{"host": keeper_host(), "port": KEEPER_PORT}],
                "root": f"/clickhouse/{service.name}",
            },
            "users": {
                f"{USER}/k8s_secret_password_sha256_hex": f"{password_secret_name(service.name)}/{PASSWORD_KEY}",
                f"{USER}/networks/ip": list(networks),
                f"{USER}/profile": "default",
                f"{USER}/quota": "default",
                f"{USER}/access_management": "1",
                **users,
            },
            "profiles": metrics_endpoint.profile_settings(),
            "settings": settings,
            "files": files,
            "clusters": [
                {
                    "name": CLUSTER_NAME,
                    "layout": {"shardsCount": service.shards, "replicasCount": service.replicas},
                    # Servers authenticate each other with a generated cluster secret.
                    "secret": {"auto": "true"},
                }
            ],
        },
        "templates": {
            "podTemplates": [
                {
                    "name": "server",
                    "spec": {
                        "serviceAccountName": service_account,
                        "nodeSelector": placement["nodeSelector"],
                        "tolerations": placement["tolerations"],
                        **_spread_and_separate(labels),
                        **_server_pod_security(),
                        "containers": [
                            {
                                "name": "clickhouse",
                                "image": f"clickhouse/clickhouse-server:{service.clickhouse_version}",
                                # The operator adds tcp, http and interserver; the scrape port is ours.
                                "ports": [metrics.metrics_container_port(metrics.CLICKHOUSE_METRICS_PORT)],
                                "resources": {
                                    "requests": {"cpu": service.cpu, "memory": service.memory},
                                    "limits": {"memory": service.memory},
                                },
                                **_server_container_security(),
                            }
                        ],
                    },
                }
            ],
            "volumeClaimTemplates": [
                _volume("data", quantity.gibibytes_ceil(cache_bytes + VOLUME_HEADROOM), storage_class)
            ],
            "serviceTemplates": [
                {
                    # Only in-cluster: clients come through the gateways, never a load balancer per service.
                    "name": "cluster-ip",
                    "generateName": "clickhouse-{chi}",
                    "spec": {"type": "ClusterIP", "ports": ports},
                }
            ],
        },
    }
    if service.mysql_interface:
        add_mysql_tls(spec["templates"]["podTemplates"][0]["spec"], service.name)
    return spec


def keeper_spec(storage_class: str = STORAGE_CLASS) -> dict[str, Any]:
    """The shared Keeper: 3 replicas, one per zone, on the system nodes, volumes retained."""
    labels = {CHK_LABEL: KEEPER_NAME}
    placement = conv.system_placement()
    return {
        "defaults": {"templates": {"podTemplate": "keeper", "dataVolumeClaimTemplate": "data"}},
        "configuration": {
            "clusters": [{"name": "keeper", "layout": {"replicasCount": KEEPER_REPLICAS}}],
            "settings": {
                "keeper_server/tcp_port": str(KEEPER_PORT),
                **metrics.keeper_prometheus_settings(),
            },
        },
        "templates": {
            "podTemplates": [
                {
                    "name": "keeper",
                    "spec": {
                        "nodeSelector": placement["nodeSelector"],
                        "tolerations": placement["tolerations"],
                        **_spread_and_separate(labels),
                        **_keeper_pod_security(),
                        "containers": [
                            {
                                "name": "clickhouse-keeper",
                                "image": f"clickhouse/clickhouse-keeper:{versions.KEEPER_VERSION}",
                                # The operator adds zk and raft; the scrape port is ours.
                                "ports": [metrics.metrics_container_port(metrics.KEEPER_METRICS_PORT)],
                                "resources": pod_requests.KEEPER.containers[0].resources(),
                                **_keeper_container_security(),
                            }
                        ],
                    },
                }
            ],
            "volumeClaimTemplates": [_volume("data", KEEPER_STORAGE, storage_class)],
        },
    }
