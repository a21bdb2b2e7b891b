"""Every pinned version in one place: Kubernetes, the add-ons' charts, Istio, the operator, ClickHouse.

Bump a pin deliberately, in its own change, after reading the upstream release notes (README: "Upgrades").
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChartPin:
    """One Helm chart at one version."""

    repo: str
    """The chart repository URL."""
    chart: str
    """The chart's name in the repository."""
    version: str
    """The chart version (Istio: the Istio version)."""


# Newest Kubernetes minor in EKS standard support at the time of pinning: 1.35 was released on
# EKS on 2026-01-28, standard support until 2027-03-27. Minors the program accepts:
KUBERNETES_VERSION = "1.35"
KUBERNETES_VERSIONS = ("1.33", "1.34", "1.35", "1.36")
# Minors already past EKS standard support (extra hourly cost): accepted with a warning.
KUBERNETES_EXTENDED_SUPPORT = ("1.33",)

# EKS managed add-ons, pinned per Kubernetes minor: a `kubernetesVersion` bump upgrades them after
# the control plane and the node groups (components.cluster); a pin change alone updates the add-on
# in place (docs/day-2.md). No version is resolved at deploy time: a later `pulumi up` changes an
# add-on only when a pin here changes, and the plan shows it.
#
# Each pin is the newest version the tables in tests/upstream/eks-addons/addon-versions.json list
# for its (add-on, minor): the EKS User Guide's "latest version of the Amazon EKS add-on type" tables
# for kube-proxy, coredns and vpc-cni, and, since the guide publishes none for the EBS CSI driver,
# AWS Labs' cdk-eks-blueprints record of its default version per minor (sources and dates there). A
# later revision of a table can list an older build for a minor; the pin never goes back.
# A minor missing a pin is refused by the settings, naming the add-ons (components.settings.cluster).
EKS_ADDONS = ("vpc-cni", "kube-proxy", "coredns", "aws-ebs-csi-driver")
EKS_ADDON_VERSIONS: dict[str, dict[str, str]] = {
    "1.33": {
        "vpc-cni": "v1.21.1-eksbuild.7",
        "kube-proxy": "v1.33.10-eksbuild.13",
        "coredns": "v1.13.2-eksbuild.4",
        "aws-ebs-csi-driver": "v1.56.0-eksbuild.1",
    },
    "1.34": {
        "vpc-cni": "v1.21.1-eksbuild.7",
        "kube-proxy": "v1.34.6-eksbuild.13",
        "coredns": "v1.13.2-eksbuild.11",
        "aws-ebs-csi-driver": "v1.56.0-eksbuild.1",
    },
    "1.35": {
        "vpc-cni": "v1.21.1-eksbuild.7",
        "kube-proxy": "v1.35.3-eksbuild.13",
        "coredns": "v1.14.3-eksbuild.3",
        "aws-ebs-csi-driver": "v1.57.1-eksbuild.1",
    },
    # No table read names vpc-cni or aws-ebs-csi-driver for 1.36 yet.
    "1.36": {"kube-proxy": "v1.36.0-eksbuild.14", "coredns": "v1.14.3-eksbuild.3"},
}


def unpinned_addons(kubernetes_version: str) -> tuple[str, ...]:
    """The managed add-ons with no pinned version on a Kubernetes minor (the settings refuse it)."""
    pins = EKS_ADDON_VERSIONS.get(kubernetes_version, {})
    return tuple(addon for addon in EKS_ADDONS if addon not in pins)


def eks_addon_version(addon: str, kubernetes_version: str) -> str:
    """The pinned version of an EKS managed add-on on a Kubernetes minor."""
    try:
        return EKS_ADDON_VERSIONS[kubernetes_version][addon]
    except KeyError:
        raise LookupError(
            f"no pinned {addon} version for Kubernetes {kubernetes_version}: the settings refuse this minor"
        ) from None


# Helm charts of the cluster add-ons.
AWS_LOAD_BALANCER_CONTROLLER_CHART = ChartPin(
    "https://aws.github.io/eks-charts", "aws-load-balancer-controller", "1.14.0"
)
EXTERNAL_DNS_CHART = ChartPin("https://kubernetes-sigs.github.io/external-dns/", "external-dns", "1.21.1")
CERT_MANAGER_CHART = ChartPin("https://charts.jetstack.io", "cert-manager", "v1.19.1")
CLUSTER_AUTOSCALER_CHART = ChartPin("https://kubernetes.github.io/autoscaler", "cluster-autoscaler", "9.59.0")


def cluster_autoscaler_image_tag(kubernetes_version: str) -> str:
    """The autoscaler's minor must match the cluster's (upstream compatibility rule)."""
    return f"v{kubernetes_version}.0"


# Istio: the charts `base`, `istiod` and `gateway`; chart version = Istio version.
ISTIO_CHART_REPO = "https://istio-release.storage.googleapis.com/charts"
ISTIO_VERSION = "1.30.3"
ISTIO_BASE_CHART = ChartPin(ISTIO_CHART_REPO, "base", ISTIO_VERSION)
ISTIOD_CHART = ChartPin(ISTIO_CHART_REPO, "istiod", ISTIO_VERSION)
ISTIO_GATEWAY_CHART = ChartPin(ISTIO_CHART_REPO, "gateway", ISTIO_VERSION)

# Altinity Kubernetes operator for ClickHouse.
ALTINITY_OPERATOR_CHART = ChartPin("https://helm.altinity.com", "altinity-clickhouse-operator", "0.25.6")


# ClickHouse server and Keeper images (`clickhouse/clickhouse-server`, `clickhouse/clickhouse-keeper`):
# the default for a service's `clickhouseVersion`, and the Keeper version. A full tag of the 25.8 LTS
# line, so a redeploy never picks up a new patch release by itself.
#
# These two stay pinned by tag, not digest (tests/upstream/images/SOURCES.md): no public record of
# their index digests could be read, and the operator (0.25.6) takes the server's version from the
# image tag, which a digest reference hides from it (its parser returns the digest as the tag), so
# its version-dependent configuration would fall back to the oldest version on new hosts.
CLICKHOUSE_VERSION = "25.8.29.51"
KEEPER_VERSION = "25.8.29.51"

# Images by digest: the kubelet pulls the digest; the tag beside it says what it is. Each digest is
# the multi-architecture index of its tag, read from the public records in tests/upstream/images/.
#
# The backup and restore Jobs' `clickhouse-client`: ClickHouse's Docker Official Image (`clickhouse`,
# built from the same Dockerfile and packages as `clickhouse/clickhouse-server`). The Jobs only send
# statements, which the servers run, so one pinned client serves every server version.
CLICKHOUSE_CLIENT_TAG = "25.8.29.51"
CLICKHOUSE_CLIENT_DIGEST = "sha256:0966657518e3a70152e94906e3a500c82162c8e2c23a6ffbec31eabfe494b5c2"
CLICKHOUSE_CLIENT_IMAGE = f"docker.io/library/clickhouse:{CLICKHOUSE_CLIENT_TAG}@{CLICKHOUSE_CLIENT_DIGEST}"

# metrics-server (platform layer): the resource metrics API the HPAs of istiod and the gateways read.
METRICS_SERVER_CHART = ChartPin("https://kubernetes-sigs.github.io/metrics-server/", "metrics-server", "3.13.1")

# The observability layer. kube-prometheus-stack pins the Prometheus operator (v0.93.1), Prometheus,
# AlertManager (v0.34.0), node-exporter, kube-state-metrics and Grafana together.
KUBE_PROMETHEUS_STACK_CHART = ChartPin(
    "https://prometheus-community.github.io/helm-charts", "kube-prometheus-stack", "88.5.3"
)
# Thanos query, store gateway and compactor: the sidecar's version (kube-prometheus-stack's default).
THANOS_TAG = "v0.42.4"
THANOS_DIGEST = "sha256:b567818fe608067eb0f1d7c2c4fe361e7ad83c8a256234c97685f1d0bf670cc8"
THANOS_IMAGE = f"quay.io/thanos/thanos:{THANOS_TAG}@{THANOS_DIGEST}"
FALCO_CHART = ChartPin("https://falcosecurity.github.io/charts", "falco", "9.1.0")
FLUENT_BIT_CHART = ChartPin("https://fluent.github.io/helm-charts", "fluent-bit", "0.58.1")
TAILSCALE_OPERATOR_CHART = ChartPin("https://pkgs.tailscale.com/helmcharts", "tailscale-operator", "1.102.3")

# Every chart the program installs.
CHARTS = (
    AWS_LOAD_BALANCER_CONTROLLER_CHART,
    EXTERNAL_DNS_CHART,
    CERT_MANAGER_CHART,
    CLUSTER_AUTOSCALER_CHART,
    ISTIO_BASE_CHART,
    ISTIOD_CHART,
    ISTIO_GATEWAY_CHART,
    ALTINITY_OPERATOR_CHART,
    METRICS_SERVER_CHART,
    KUBE_PROMETHEUS_STACK_CHART,
    FALCO_CHART,
    FLUENT_BIT_CHART,
    TAILSCALE_OPERATOR_CHART,
)
