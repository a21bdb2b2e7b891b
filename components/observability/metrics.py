"""Metrics: kube-prometheus-stack, the scrape monitors of every component, and Thanos.

One chart, kube-prometheus-stack, brings the Prometheus operator, Prometheus (two replicas, each
with a Thanos sidecar uploading its 2-hour blocks to the monitoring bucket), AlertManager (three
replicas, gossiping), node-exporter, kube-state-metrics, the kubelet/cAdvisor and API server
monitors and, when asked for, Grafana. It is the prometheus-community's maintained chart, so one
pin covers the operator, its CRDs and the exporters, and versions move together.

Thanos has no chart from its own project (third-party charts lag or ship their own images): its
query, store gateway and compactor are three small workloads of one pinned image, built here as
plain Kubernetes objects. Every Thanos pod that touches the bucket runs as the `thanos` service
account, which carries the Thanos IRSA role; the credentials come from the web identity token,
never from keys.
"""

from __future__ import annotations

from typing import Any

from components import k8s_conventions as conv
from components import pod_requests, pod_security, versions
from components.observability import metrics_endpoint

NAMESPACE, THANOS_SERVICE_ACCOUNT = conv.SERVICE_ACCOUNTS["thanos"]
RELEASE = "kube-prometheus-stack"
# `fullnameOverride`: the chart's objects are `kps-prometheus`, `kps-alertmanager`, ...
FULLNAME = "kps"
PROMETHEUS_SERVICE = f"{FULLNAME}-prometheus"
ALERTMANAGER_SERVICE = f"{FULLNAME}-alertmanager"
# The headless Service in front of the sidecars' gRPC store API (`prometheus.thanosService`).
THANOS_SIDECAR_SERVICE = f"{FULLNAME}-thanos-discovery"
PROMETHEUS_PORT = 9090
ALERTMANAGER_PORT = 9093
GRPC_PORT = 10901
THANOS_HTTP_PORT = 10902

PROMETHEUS_REPLICAS = pod_requests.PROMETHEUS.replicas
ALERTMANAGER_REPLICAS = pod_requests.ALERTMANAGER.replicas
# Prometheus tells its replicas apart by this external label; Thanos deduplicates on it.
REPLICA_LABEL = "prometheus_replica"
# Local TSDB: two days covers the sidecar's 2-hour uploads with room for a bucket outage.
LOCAL_RETENTION = "2d"
PROMETHEUS_VOLUME = "50Gi"
OBJSTORE_SECRET = "thanos-objstore"
OBJSTORE_KEY = "objstore.yml"
GRAFANA_ADMIN_SECRET = "grafana-admin"
# The sidecar's version (the operator's default), by digest; it runs query, store and compactor.
THANOS_IMAGE = versions.THANOS_IMAGE

# Where ClickHouse and Keeper expose Prometheus metrics (their `<prometheus>` endpoint). The
# Altinity operator declares only its own ports on their containers (server: tcp 9000, http 8123,
# interserver 9009; Keeper: zk 2181, raft 9444), and prometheus-operator keeps a PodMonitor target
# only on a port the pod declares: the pod templates declare these under `METRICS_PORT_NAME`
# (`metrics_container_port`), and the PodMonitors scrape that name.
CLICKHOUSE_METRICS_PORT = metrics_endpoint.INTERNAL_METRICS_PORT
KEEPER_METRICS_PORT = 7000
METRICS_PORT_NAME = "metrics"
METRICS_PATH = "/metrics"
ROLE_ANNOTATION = "eks.amazonaws.com/role-arn"


def thanos_query_url() -> str:
    """Thanos query's HTTP API inside the cluster (Grafana's data source; `kubectl port-forward`)."""
    return f"http://thanos-query.{NAMESPACE}.svc.cluster.local:{PROMETHEUS_PORT}"


def alertmanager_url() -> str:
    """AlertManager's API inside the cluster (Falco's events go here)."""
    return f"http://{ALERTMANAGER_SERVICE}.{NAMESPACE}.svc.cluster.local:{ALERTMANAGER_PORT}"


def objstore_config(bucket: str, region: str) -> dict[str, Any]:
    """Thanos' bucket configuration: the monitoring bucket, credentials from the AWS SDK chain
    (the IRSA web identity token), no keys. Objects are encrypted by the bucket's default SSE-KMS."""
    return {
        "type": "S3",
        "config": {
            "bucket": bucket,
            "endpoint": f"s3.{region}.amazonaws.com",
            "region": region,
            "aws_sdk_auth": True,
        },
    }


def _every_node() -> list[dict[str, str]]:
    """Node agents (exporters, Falco, log collection) run on every node, whatever its taints."""
    return [{"operator": "Exists"}]


def _claim(size: str, storage_class: str) -> dict[str, Any]:
    """A claim template on `storage_class` (ClusterPlatform.storage_class: the customer key's class
    while `kms.customerManagedKey` is on, like the ClickHouse and Keeper claims)."""
    return {
        "spec": {
            "storageClassName": storage_class,
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": size}},
        }
    }


def kube_prometheus_stack_values(
    *,
    deployment_id: str,
    thanos_role_arn: str,
    alertmanager_config: dict[str, Any],
    alertmanager_secrets: list[str],
    grafana: bool,
    storage_class: str = conv.STORAGE_CLASS,
) -> dict[str, Any]:
    """Values of kube-prometheus-stack; Prometheus' and AlertManager's volumes on `storage_class`.

    `alertmanager_config` is AlertManager's routing (see `alerts.alertmanager_config`): readable in
    the values; the receivers' URLs are files from `alertmanager_secrets`, Secrets mounted under
    `/etc/alertmanager/secrets/<name>/`.
    """
    placement = conv.system_placement()
    pod_placement = {"nodeSelector": placement["nodeSelector"], "tolerations": placement["tolerations"]}
    grafana_values: dict[str, Any] = {"enabled": grafana}
    if grafana:
        grafana_values |= {
            # Never the chart's default password: a generated one in a Secret of the layer's own.
            "admin": {"existingSecret": GRAFANA_ADMIN_SECRET, "userKey": "admin-user", "passwordKey": "admin-password"},
            "defaultDashboardsEnabled": True,
            "persistence": {"enabled": False},
            "sidecar": {
                "dashboards": {"enabled": True, "label": "grafana_dashboard", "labelValue": "1"},
                # Long-term data comes through Thanos query; Prometheus alone holds two days.
                "datasources": {"enabled": True, "defaultDatasourceEnabled": False},
            },
            "additionalDataSources": [
                {
                    "name": "Thanos",
                    "type": "prometheus",
                    "uid": "thanos",
                    "url": thanos_query_url(),
                    "access": "proxy",
                    "isDefault": True,
                    "jsonData": {"timeInterval": "30s"},
                }
            ],
            "resources": pod_requests.GRAFANA.containers[0].resources(),
            **pod_placement,
        }
    return {
        "fullnameOverride": FULLNAME,
        "crds": {"enabled": True},
        # EKS runs the control plane: its scheduler, controller manager, etcd and kube-proxy's
        # loopback metrics cannot be scraped, so neither their monitors nor their rules exist.
        "kubeControllerManager": {"enabled": False},
        "kubeScheduler": {"enabled": False},
        "kubeEtcd": {"enabled": False},
        "kubeProxy": {"enabled": False},
        "defaultRules": {
            "create": True,
            "rules": {
                "etcd": False,
                "kubeControllerManager": False,
                "kubeSchedulerAlerting": False,
                "kubeSchedulerRecording": False,
                "kubeProxy": False,
            },
        },
        "windowsMonitoring": {"enabled": False},
        "prometheusOperator": {
            "resources": pod_requests.PROMETHEUS_OPERATOR.containers[0].resources(),
            **pod_placement,
            "admissionWebhooks": {"patch": {**pod_placement}},
        },
        "kube-state-metrics": {"resources": pod_requests.KUBE_STATE_METRICS.containers[0].resources(), **pod_placement},
        "prometheus-node-exporter": {
            "resources": pod_requests.NODE_EXPORTER.containers[0].resources(),
            "tolerations": _every_node(),
        },
        "grafana": grafana_values,
        "alertmanager": {
            "config": alertmanager_config,
            "alertmanagerSpec": {
                "replicas": ALERTMANAGER_REPLICAS,
                "secrets": list(alertmanager_secrets),
                "retention": "120h",
                "storage": {"volumeClaimTemplate": _claim("2Gi", storage_class)},
                "resources": pod_requests.ALERTMANAGER.containers[0].resources(),
                "podAntiAffinity": "hard",
                "topologySpreadConstraints": [_zone_spread({"app.kubernetes.io/name": "alertmanager"})],
                **pod_placement,
            },
        },
        "prometheus": {
            "serviceAccount": {
                "create": True,
                "name": THANOS_SERVICE_ACCOUNT,
                "annotations": {ROLE_ANNOTATION: thanos_role_arn},
            },
            "thanosService": {"enabled": True},
            "prometheusSpec": {
                "replicas": PROMETHEUS_REPLICAS,
                "replicaExternalLabelName": REPLICA_LABEL,
                "externalLabels": {"deployment": deployment_id},
                "retention": LOCAL_RETENTION,
                "scrapeInterval": "30s",
                "evaluationInterval": "30s",
                # Every ServiceMonitor, PodMonitor and PrometheusRule in the cluster, not only the chart's.
                "ruleSelectorNilUsesHelmValues": False,
                "serviceMonitorSelectorNilUsesHelmValues": False,
                "podMonitorSelectorNilUsesHelmValues": False,
                "probeSelectorNilUsesHelmValues": False,
                "scrapeConfigSelectorNilUsesHelmValues": False,
                "thanos": {
                    "objectStorageConfig": {"existingSecret": {"name": OBJSTORE_SECRET, "key": OBJSTORE_KEY}},
                    "resources": pod_requests.PROMETHEUS.containers[1].resources(),
                },
                "storageSpec": {"volumeClaimTemplate": _claim(PROMETHEUS_VOLUME, storage_class)},
                "resources": pod_requests.PROMETHEUS.containers[0].resources(),
                "podAntiAffinity": "hard",
                "topologySpreadConstraints": [_zone_spread({"app.kubernetes.io/name": "prometheus"})],
                # The projected IRSA token must be readable by the sidecar's non-root user.
                "securityContext": {"runAsNonRoot": True, "runAsUser": 1000, "runAsGroup": 2000, "fsGroup": 2000},
                **pod_placement,
            },
        },
    }


def metrics_container_port(port: int) -> dict[str, Any]:
    """The container port a ClickHouse or Keeper pod template declares for its `<prometheus>` endpoint."""
    return {"name": METRICS_PORT_NAME, "containerPort": port, "protocol": "TCP"}


def keeper_prometheus_settings() -> dict[str, str]:
    """Keeper's `<prometheus>` endpoint (the CHK's `settings`): metrics, events and asynchronous
    metrics (`KeeperIsLeader`, ...); Keeper's endpoint has no error metrics."""
    return {
        "prometheus/endpoint": METRICS_PATH,
        "prometheus/port": str(KEEPER_METRICS_PORT),
        "prometheus/metrics": "true",
        "prometheus/events": "true",
        "prometheus/asynchronous_metrics": "true",
    }


def _zone_spread(labels: dict[str, str]) -> dict[str, Any]:
    return {
        "maxSkew": 1,
        "topologyKey": conv.ZONE_TOPOLOGY_KEY,
        "whenUnsatisfiable": "ScheduleAnyway",
        "labelSelector": {"matchLabels": dict(labels)},
    }


# -- scrape monitors ------------------------------------------------------------------------------

MONITORING_API = "monitoring.coreos.com/v1"


def _pod_monitor(
    name: str, namespaces: list[str], selector: dict[str, Any], port: int | str, path: str
) -> dict[str, Any]:
    """A PodMonitor on a declared container port: by name (`port`) or by number (`portNumber`)."""
    endpoint: dict[str, Any] = {"port": port} if isinstance(port, str) else {"portNumber": port}
    return {
        "apiVersion": MONITORING_API,
        "kind": "PodMonitor",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {
            "namespaceSelector": {"matchNames": namespaces},
            "selector": selector,
            "podMetricsEndpoints": [{**endpoint, "path": path, "interval": "30s"}],
        },
    }


def _service_monitor(name: str, namespace: str, labels: dict[str, str], port: str) -> dict[str, Any]:
    return {
        "apiVersion": MONITORING_API,
        "kind": "ServiceMonitor",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {
            "namespaceSelector": {"matchNames": [namespace]},
            "selector": {"matchLabels": dict(labels)},
            "endpoints": [{"port": port, "interval": "30s"}],
        },
    }


def _has(label: str) -> dict[str, Any]:
    return {"matchExpressions": [{"key": label, "operator": "Exists"}]}


def _name(value: str) -> dict[str, Any]:
    return {"matchLabels": {"app.kubernetes.io/name": value}}


def scrape_monitors() -> list[dict[str, Any]]:
    """What Prometheus scrapes besides the chart's own targets (nodes, kubelet, cAdvisor, API server,
    kube-state-metrics, CoreDNS): ClickHouse, Keeper, the operator, Istio, cert-manager, the
    controllers and Thanos. Pods are selected by the labels their charts and the operator set."""
    ch = conv.CLICKHOUSE_NAMESPACE
    gateways = [conv.PUBLIC_GATEWAY_NAMESPACE, conv.PRIVATE_GATEWAY_NAMESPACE]
    return [
        _pod_monitor("clickhouse", [ch], _has("clickhouse.altinity.com/chi"), METRICS_PORT_NAME, METRICS_PATH),
        _pod_monitor(
            "clickhouse-keeper", [ch], _has("clickhouse-keeper.altinity.com/chk"), METRICS_PORT_NAME, METRICS_PATH
        ),
        _service_monitor(
            "clickhouse-operator",
            "clickhouse-operator",
            {"app.kubernetes.io/name": "altinity-clickhouse-operator"},
            "op-metrics",
        ),
        _service_monitor("istiod", conv.ISTIO_NAMESPACE, {"app": "istiod"}, "http-monitoring"),
        _pod_monitor(
            "istio-gateways",
            gateways,
            {"matchExpressions": [{"key": "istio", "operator": "In", "values": ["ingress", "ingress-private"]}]},
            15090,
            "/stats/prometheus",
        ),
        _pod_monitor(
            "cert-manager",
            ["cert-manager"],
            {"matchLabels": {"app.kubernetes.io/name": "cert-manager", "app.kubernetes.io/component": "controller"}},
            9402,
            "/metrics",
        ),
        _pod_monitor(
            "aws-load-balancer-controller", ["kube-system"], _name("aws-load-balancer-controller"), 8080, "/metrics"
        ),
        _pod_monitor("external-dns", ["external-dns"], _name("external-dns"), 7979, "/metrics"),
        _pod_monitor("cluster-autoscaler", ["kube-system"], _name("aws-cluster-autoscaler"), 8085, "/metrics"),
        # Every Thanos container names its HTTP (metrics) port `http`: 9090 on query, 10902 elsewhere.
        _pod_monitor("thanos", [NAMESPACE], _name("thanos"), "http", "/metrics"),
    ]


# -- Thanos query, store gateway, compactor --------------------------------------------------------


def _thanos_labels(component: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": "thanos", "app.kubernetes.io/component": component}


def _thanos_container(component: str, args: list[str], resources: dict[str, Any], mounts: list[dict]) -> dict:
    return {
        "name": component,
        "image": THANOS_IMAGE,
        "args": [component, f"--http-address=0.0.0.0:{THANOS_HTTP_PORT}", *args],
        "ports": [{"name": "http", "containerPort": THANOS_HTTP_PORT}]
        + ([{"name": "grpc", "containerPort": GRPC_PORT}] if component != "compact" else []),
        "livenessProbe": {"httpGet": {"path": "/-/healthy", "port": "http"}, "periodSeconds": 30},
        "readinessProbe": {"httpGet": {"path": "/-/ready", "port": "http"}, "periodSeconds": 10},
        "resources": resources,
        "volumeMounts": mounts,
        "securityContext": pod_security.container_security_context(),
    }


# Thanos runs as any user (its image's own is 1001); a high one shares no id with a host user. Its
# volumes (the store's index cache, the compactor's scratch space) become the group's (fsGroup).
THANOS_UID = 10001


def _thanos_pod(component: str, container: dict, volumes: list[dict], service_account: str | None) -> dict:
    placement = conv.system_placement()
    spec: dict[str, Any] = {
        "nodeSelector": placement["nodeSelector"],
        "tolerations": placement["tolerations"],
        "securityContext": pod_security.pod_security_context(THANOS_UID),
        # No Thanos component calls the Kubernetes API (query finds its stores through DNS); the
        # bucket credentials come from the IRSA webhook's own projected token.
        "automountServiceAccountToken": False,
        "containers": [container],
        "volumes": volumes,
        "topologySpreadConstraints": [_zone_spread(_thanos_labels(component))],
    }
    if service_account:
        spec["serviceAccountName"] = service_account
    return {"metadata": {"labels": _thanos_labels(component)}, "spec": spec}


_OBJSTORE_VOLUME = {"name": "objstore", "secret": {"secretName": OBJSTORE_SECRET}}
_OBJSTORE_MOUNT = {"name": "objstore", "mountPath": "/etc/thanos", "readOnly": True}
_OBJSTORE_ARG = f"--objstore.config-file=/etc/thanos/{OBJSTORE_KEY}"


def _service(name: str, component: str, ports: list[tuple[str, int]], headless: bool) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "selector": _thanos_labels(component),
        "ports": [{"name": n, "port": p, "targetPort": n} for n, p in ports],
    }
    if headless:
        spec["clusterIP"] = "None"
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": NAMESPACE, "labels": _thanos_labels(component)},
        "spec": spec,
    }


def retention_args(raw_days: int, downsampled_days: int) -> list[str]:
    """The compactor's retention per resolution: raw samples, then 5-minute and 1-hour downsamples.

    Downsampled data must outlive raw data (Thanos reads the coarser resolutions for long ranges).
    """
    if raw_days < 2 or downsampled_days < raw_days:
        raise ValueError("retention: raw >= 2 days and downsampled >= raw")
    return [
        f"--retention.resolution-raw={raw_days}d",
        f"--retention.resolution-5m={downsampled_days}d",
        f"--retention.resolution-1h={downsampled_days}d",
    ]


def thanos_objects(
    raw_days: int, downsampled_days: int, storage_class: str = conv.STORAGE_CLASS
) -> list[dict[str, Any]]:
    """Thanos query (2 replicas, deduplicating the Prometheus pair), the store gateway (2 replicas)
    and the compactor (a singleton: two compactors on one bucket corrupt it), with their Services
    and a PodDisruptionBudget for query. The store's and compactor's volumes on `storage_class`."""
    query_args = [
        f"--grpc-address=0.0.0.0:{GRPC_PORT}",
        f"--http-address=0.0.0.0:{PROMETHEUS_PORT}",
        f"--query.replica-label={REPLICA_LABEL}",
        f"--endpoint=dnssrv+_grpc._tcp.{THANOS_SIDECAR_SERVICE}.{NAMESPACE}.svc.cluster.local",
        f"--endpoint=dnssrv+_grpc._tcp.thanos-store.{NAMESPACE}.svc.cluster.local",
    ]
    query = _thanos_container("query", query_args, pod_requests.THANOS_QUERY.containers[0].resources(), [])
    # query serves its UI and API on 9090 like Prometheus; the first --http-address is overridden.
    query["args"] = [a for a in query["args"] if a != f"--http-address=0.0.0.0:{THANOS_HTTP_PORT}"]
    query["ports"] = [{"name": "http", "containerPort": PROMETHEUS_PORT}, {"name": "grpc", "containerPort": GRPC_PORT}]
    store = _thanos_container(
        "store",
        [f"--grpc-address=0.0.0.0:{GRPC_PORT}", "--data-dir=/var/thanos/store", _OBJSTORE_ARG],
        pod_requests.THANOS_STORE.containers[0].resources(),
        [_OBJSTORE_MOUNT, {"name": "data", "mountPath": "/var/thanos/store"}],
    )
    compact = _thanos_container(
        "compact",
        [
            "--wait",
            "--data-dir=/var/thanos/compact",
            _OBJSTORE_ARG,
            # Offline deduplication of the Prometheus pair's blocks: vertical compaction with the
            # penalty algorithm, the one meant for HA replicas scraping the same targets.
            "--compact.enable-vertical-compaction",
            f"--deduplication.replica-label={REPLICA_LABEL}",
            "--deduplication.func=penalty",
            "--delete-delay=48h",
            *retention_args(raw_days, downsampled_days),
        ],
        pod_requests.THANOS_COMPACT.containers[0].resources(),
        [_OBJSTORE_MOUNT, {"name": "data", "mountPath": "/var/thanos/compact"}],
    )
    claim = {"metadata": {"name": "data"}, **_claim("20Gi", storage_class)}

    def workload(kind: str, name: str, component: str, replicas: int, pod: dict, **extra: Any) -> dict:
        return {
            "apiVersion": "apps/v1",
            "kind": kind,
            "metadata": {"name": name, "namespace": NAMESPACE, "labels": _thanos_labels(component)},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": _thanos_labels(component)},
                "template": pod,
                **extra,
            },
        }

    return [
        workload(
            "Deployment",
            "thanos-query",
            "query",
            pod_requests.THANOS_QUERY.replicas,
            _thanos_pod("query", query, [], None),
        ),
        _service("thanos-query", "query", [("http", PROMETHEUS_PORT), ("grpc", GRPC_PORT)], headless=False),
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": "thanos-query", "namespace": NAMESPACE},
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": _thanos_labels("query")}},
        },
        workload(
            "StatefulSet",
            "thanos-store",
            "store",
            pod_requests.THANOS_STORE.replicas,
            _thanos_pod("store", store, [_OBJSTORE_VOLUME], THANOS_SERVICE_ACCOUNT),
            serviceName="thanos-store",
            volumeClaimTemplates=[claim],
        ),
        _service("thanos-store", "store", [("grpc", GRPC_PORT), ("http", THANOS_HTTP_PORT)], headless=True),
        workload(
            "StatefulSet",
            "thanos-compact",
            "compact",
            pod_requests.THANOS_COMPACT.replicas,
            _thanos_pod("compact", compact, [_OBJSTORE_VOLUME], THANOS_SERVICE_ACCOUNT),
            serviceName="thanos-compact",
            volumeClaimTemplates=[claim],
        ),
        _service("thanos-compact", "compact", [("http", THANOS_HTTP_PORT)], headless=True),
    ]
