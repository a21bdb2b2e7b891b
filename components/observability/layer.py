"""The observability layer's component: what the builders of this package describe, on the cluster.

`Observability` creates, through the cluster's Kubernetes provider:
- namespace `monitoring`: kube-prometheus-stack (Prometheus x2 + Thanos sidecars, AlertManager x3,
  optional Grafana), the Thanos bucket configuration, query, store gateway and compactor, the scrape
  monitors, the layer's rule groups and, with Grafana, its dashboards and generated admin password;
  the vendor's webhook URL and the customer receivers' URLs/keys in Secrets;
- namespace `falco`: Falco (modern eBPF) and Falcosidekick;
- the ClickHouse namespace's NetworkPolicies;
- with LogHouse, namespace `logging`: Fluent Bit and the writer's password.

`TroubleshootingTailscale` (its own component: troubleshooting access does not depend on the
layer being on) creates, while troubleshooting access is granted with Tailscale, namespace
`tailscale`: the operator, its OAuth client Secret and the read-only binding of the vendor's
tailnet group.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random
import yaml

from components import backup, helm, versions
from components.k8s_conventions import PART_OF_LABELS as PART_OF
from components.k8s_conventions import STORAGE_CLASS
from components.naming import Names
from components.observability import alerts, dashboards, logs, metrics, security, tailscale
from components.readiness import ClusterReadiness

TYPE = "clickhouse-byoc:observability:Observability"
TAILSCALE_TYPE = "clickhouse-byoc:observability:TroubleshootingTailscale"


@dataclass(frozen=True)
class LogHouseTarget:
    """Where Fluent Bit writes: the LogHouse service's in-cluster HTTP endpoint and its writer."""

    host: str
    """`clickhouse-<service>.clickhouse.svc.cluster.local`."""
    password: pulumi.Input[str]
    """The writer's password (the service keeps only its hash)."""
    service: str
    """The LogHouse service: the only ClickHouse pods the NetworkPolicies open to Fluent Bit."""


@dataclass(frozen=True)
class TailscaleAccess:
    """The customer's Tailscale OAuth client for the operator (`troubleshootingAccess.tailscale`,
    parsed and validated by components/settings/observability.py)."""

    client_id: str
    """OAuth client id."""
    client_secret: str
    """OAuth client secret (a `tskey-client-` key)."""


@dataclass(frozen=True)
class ObservabilitySpec:
    """What the user chooses about metrics, alerts and dashboards (keys `observability`, `alerting`;
    parsed and validated by components/settings/observability.py)."""

    grafana: bool
    """Install Grafana with the built-in dashboards (`observability.grafana`)."""
    retention_raw_days: int
    """Days of raw samples in the monitoring bucket (`observability.retentionDays`)."""
    retention_downsampled_days: int
    """Days of 5-minute and 1-hour downsamples in the monitoring bucket (`observability.downsampledRetentionDays`)."""
    vendor_webhook: str | None
    """The vendor's AlertManager webhook URL (`alerting.vendorWebhook`, a secret); None: alerts reach no vendor."""
    receivers: tuple[alerts.Receiver, ...] = ()
    """Customer alert receivers (`alerting.receivers`)."""
    receiver_secrets: Mapping[str, str] = field(default_factory=dict)
    """Receiver name -> its URL or routing key (a secret)."""


@dataclass(frozen=True)
class ObservabilityArgs:
    """Inputs of the observability layer."""

    names: Names
    """Naming for the deployment (external label `deployment`)."""
    region: str
    """The monitoring bucket's region."""
    monitoring_bucket: pulumi.Input[str]
    """The bucket Thanos writes to."""
    thanos_role_arn: pulumi.Input[str]
    """The Thanos IRSA role (bound to `monitoring/thanos`)."""
    spec: ObservabilitySpec
    """Grafana, retention and alert receivers, as configured."""
    log_house: LogHouseTarget | None = None
    """Ship container logs into LogHouse; None keeps them on the nodes."""
    ready: ClusterReadiness = field(default_factory=ClusterReadiness)
    """The cluster's capabilities: Helm waits for the releases' pods (system nodes); the Thanos
    StatefulSets for their volumes (storage). Prometheus' and AlertManager's volumes are claimed by
    the operator after the release, which Helm does not wait for."""
    clickhouse_namespace: tuple[pulumi.Resource, ...] = ()
    """The `clickhouse` namespace, where the NetworkPolicies live."""
    storage_class: pulumi.Input[str] = STORAGE_CLASS
    """The StorageClass Prometheus', AlertManager's and the Thanos store's and compactor's claim
    templates name (ClusterPlatform.storage_class: the customer key's class while it is on)."""


_TYPED = {
    ("v1", "Service"): k8s.core.v1.Service,
    ("v1", "ConfigMap"): k8s.core.v1.ConfigMap,
    ("apps/v1", "Deployment"): k8s.apps.v1.Deployment,
    ("apps/v1", "StatefulSet"): k8s.apps.v1.StatefulSet,
    ("policy/v1", "PodDisruptionBudget"): k8s.policy.v1.PodDisruptionBudget,
    ("networking.k8s.io/v1", "NetworkPolicy"): k8s.networking.v1.NetworkPolicy,
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): k8s.rbac.v1.ClusterRoleBinding,
}


def _object(name: str, obj: dict[str, Any], opts: pulumi.ResourceOptions) -> pulumi.CustomResource:
    """One Kubernetes object of the builders as its typed Pulumi resource (custom kinds generic)."""
    typed = _TYPED.get((obj["apiVersion"], obj["kind"]))
    body = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}
    if typed is None:
        return k8s.apiextensions.CustomResource(
            name, api_version=obj["apiVersion"], kind=obj["kind"], opts=opts, **body
        )
    if "roleRef" in body:
        body["role_ref"] = body.pop("roleRef")
    return typed(name, opts=opts, **body)


class Observability(pulumi.ComponentResource):
    """Metrics, alerts, dashboards, runtime security, logs and troubleshooting access."""

    releases: dict[str, k8s.helm.v3.Release]
    grafana_password: pulumi.Output[str] | None

    def __init__(self, name: str, args: ObservabilityArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE, name, None, opts)
        nodes, storage = list(args.ready.system_nodes), list(args.ready.storage)

        def on(*deps: pulumi.Resource) -> pulumi.ResourceOptions:
            return pulumi.ResourceOptions(parent=self, depends_on=list(deps))

        def namespace(ns: str) -> k8s.core.v1.Namespace:
            return k8s.core.v1.Namespace(f"{name}-ns-{ns}", metadata={"name": ns, "labels": PART_OF}, opts=on())

        def release(key, pin, ns, values, *deps) -> k8s.helm.v3.Release:
            return helm.release(
                f"{name}-{key}", pin, name=key, namespace=ns, values=values, opts=on(*nodes, *deps), max_history=10
            )

        self.releases = {}
        monitoring = namespace(metrics.NAMESPACE)
        ns = metrics.NAMESPACE
        objstore = k8s.core.v1.Secret(
            f"{name}-thanos-objstore",
            metadata={"name": metrics.OBJSTORE_SECRET, "namespace": ns},
            string_data={
                metrics.OBJSTORE_KEY: pulumi.Output.from_input(args.monitoring_bucket).apply(
                    lambda bucket: yaml.safe_dump(metrics.objstore_config(bucket, args.region))
                )
            },
            opts=on(monitoring),
        )
        secrets: list[pulumi.Resource] = [objstore]
        has_vendor = args.spec.vendor_webhook is not None
        if args.spec.vendor_webhook is not None:
            secrets.append(
                k8s.core.v1.Secret(
                    f"{name}-vendor-webhook",
                    metadata={"name": alerts.VENDOR_SECRET, "namespace": ns},
                    string_data={alerts.VENDOR_KEY: pulumi.Output.secret(args.spec.vendor_webhook)},
                    opts=on(monitoring),
                )
            )
        if args.spec.receivers:
            secrets.append(
                k8s.core.v1.Secret(
                    f"{name}-receivers",
                    metadata={"name": alerts.RECEIVERS_SECRET, "namespace": ns},
                    string_data=pulumi.Output.secret(args.spec.receiver_secrets),
                    opts=on(monitoring),
                )
            )
        self.grafana_password = None
        if args.spec.grafana:
            password = random.RandomPassword(
                f"{name}-grafana-password", length=32, special=False, opts=pulumi.ResourceOptions(parent=self)
            )
            self.grafana_password = pulumi.Output.secret(password.result)
            secrets.append(
                k8s.core.v1.Secret(
                    f"{name}-grafana-admin",
                    metadata={"name": metrics.GRAFANA_ADMIN_SECRET, "namespace": ns},
                    string_data={"admin-user": "admin", "admin-password": self.grafana_password},
                    opts=on(monitoring),
                )
            )
        receivers = list(args.spec.receivers)
        kps_values = pulumi.Output.all(args.thanos_role_arn, args.storage_class).apply(
            lambda a: metrics.kube_prometheus_stack_values(
                deployment_id=args.names.deployment_id,
                thanos_role_arn=a[0],
                alertmanager_config=alerts.alertmanager_config(receivers, has_vendor),
                alertmanager_secrets=alerts.alertmanager_secrets(receivers, has_vendor),
                grafana=args.spec.grafana,
                storage_class=a[1],
            )
        )
        kps = release(metrics.RELEASE, versions.KUBE_PROMETHEUS_STACK_CHART, ns, kps_values, monitoring, *secrets)
        self.releases[metrics.RELEASE] = kps

        raw_days, downsampled_days = args.spec.retention_raw_days, args.spec.retention_downsampled_days

        def thanos_spec(index: int) -> pulumi.Output[dict[str, Any]]:
            """The spec of the `index`th Thanos object, its claim templates on the resolved class."""
            return pulumi.Output.from_input(args.storage_class).apply(
                lambda sc: metrics.thanos_objects(raw_days, downsampled_days, sc)[index]["spec"]
            )

        # The objects' kinds and names do not depend on the class: list them with the default one,
        # and take the StatefulSets' specs (their claim templates) from the resolved class.
        for index, obj in enumerate(metrics.thanos_objects(raw_days, downsampled_days)):
            # The store gateway and compactor claim volumes; query and the Services need no storage.
            claims = storage if obj["kind"] == "StatefulSet" else []
            if obj["kind"] == "StatefulSet":
                obj = {**obj, "spec": thanos_spec(index)}
            _object(
                f"{name}-{obj['metadata']['name']}-{obj['kind'].lower()}",
                obj,
                on(monitoring, objstore, *nodes, *claims),
            )
        # Monitors and rules are custom resources of the chart's CRDs.
        for obj in metrics.scrape_monitors():
            _object(f"{name}-monitor-{obj['metadata']['name']}", obj, on(kps))
        k8s.apiextensions.CustomResource(
            f"{name}-rules",
            api_version=metrics.MONITORING_API,
            kind="PrometheusRule",
            metadata={"name": "clickhouse-byoc", "namespace": ns},
            # The backup-age series the backup alert reads, recorded first from the backup CronJobs.
            spec={"groups": [backup.metric_rule_group(), *alerts.rule_groups()]},
            opts=on(kps),
        )
        if args.spec.grafana:
            for obj in dashboards.dashboard_config_maps():
                _object(f"{name}-{obj['metadata']['name']}", obj, on(monitoring))

        falco_ns = namespace(security.FALCO_NAMESPACE)
        # Falco's ServiceMonitor needs the chart's CRDs: after kube-prometheus-stack.
        self.releases["falco"] = release(
            "falco",
            versions.FALCO_CHART,
            security.FALCO_NAMESPACE,
            security.falco_values(args.names.deployment_id),
            falco_ns,
            kps,
        )
        log_house_service = args.log_house.service if args.log_house is not None else None
        for obj in security.network_policies(log_house_service):
            _object(f"{name}-netpol-{obj['metadata']['name']}", obj, on(*args.clickhouse_namespace))

        if args.log_house is not None:
            logging_ns = namespace(logs.NAMESPACE)
            writer = k8s.core.v1.Secret(
                f"{name}-loghouse-writer",
                metadata={"name": logs.AGENT_SECRET, "namespace": logs.NAMESPACE},
                string_data={"password": pulumi.Output.secret(args.log_house.password)},
                opts=on(logging_ns),
            )
            self.releases[logs.RELEASE] = release(
                logs.RELEASE,
                versions.FLUENT_BIT_CHART,
                logs.NAMESPACE,
                logs.fluent_bit_values(args.log_house.host),
                logging_ns,
                writer,
                kps,
            )

        self.register_outputs(
            {
                "namespace": ns,
                "thanos_query": metrics.thanos_query_url(),
                "releases": {k: r.status for k, r in self.releases.items()},
            }
        )


@dataclass(frozen=True)
class TroubleshootingTailscaleArgs:
    """Inputs of the Tailscale troubleshooting path."""

    names: Names
    """Naming for the deployment (the operator's tailnet hostname)."""
    access: TailscaleAccess
    """The customer's OAuth client for the operator."""
    system_nodes: tuple[pulumi.Resource, ...] = ()
    """Where the operator runs (Helm waits for its pod)."""


class TroubleshootingTailscale(pulumi.ComponentResource):
    """The Tailscale operator with its API server proxy, and the vendor group's read-only binding."""

    def __init__(self, name: str, args: TroubleshootingTailscaleArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TAILSCALE_TYPE, name, None, opts)
        ns = k8s.core.v1.Namespace(
            f"{name}-ns",
            metadata={"name": tailscale.NAMESPACE, "labels": PART_OF},
            opts=pulumi.ResourceOptions(parent=self),
        )
        oauth = k8s.core.v1.Secret(
            f"{name}-oauth",
            metadata={"name": tailscale.OAUTH_SECRET, "namespace": tailscale.NAMESPACE},
            string_data={
                "client_id": pulumi.Output.secret(args.access.client_id),
                "client_secret": pulumi.Output.secret(args.access.client_secret),
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[ns]),
        )
        self.release = helm.release(
            f"{name}-operator",
            versions.TAILSCALE_OPERATOR_CHART,
            name=versions.TAILSCALE_OPERATOR_CHART.chart,
            namespace=tailscale.NAMESPACE,
            values=tailscale.operator_values(args.names.deployment_id),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*args.system_nodes, ns, oauth]),
            max_history=10,
        )
        _object(f"{name}-view", tailscale.view_binding(), pulumi.ResourceOptions(parent=self))
        self.register_outputs({"status": self.release.status})
