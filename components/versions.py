"""Every pinned version in one place: Kubernetes, EKS add-ons' charts, and the images they run.

Upgrading a component is a one-line change here, reviewed like any other (README: "Upgrades").
"""

from __future__ import annotations

# Newest Kubernetes minor in EKS standard support at the time of pinning: 1.35 was released on
# EKS on 2026-01-28, standard support until 2027-03-27. Minors the program accepts:
KUBERNETES_VERSION = "1.35"
KUBERNETES_VERSIONS = ("1.33", "1.34", "1.35", "1.36")
# Minors already past EKS standard support (extra hourly cost): accepted with a warning.
KUBERNETES_EXTENDED_SUPPORT = ("1.33",)

# Helm charts of the cluster add-ons: (repository, chart, version).
AWS_LOAD_BALANCER_CONTROLLER_CHART = ("https://aws.github.io/eks-charts", "aws-load-balancer-controller", "1.14.0")
EXTERNAL_DNS_CHART = ("https://kubernetes-sigs.github.io/external-dns/", "external-dns", "1.21.1")
CERT_MANAGER_CHART = ("https://charts.jetstack.io", "cert-manager", "v1.19.1")
CLUSTER_AUTOSCALER_CHART = ("https://kubernetes.github.io/autoscaler", "cluster-autoscaler", "9.59.0")


def cluster_autoscaler_image_tag(kubernetes_version: str) -> str:
    """The autoscaler's minor must match the cluster's (upstream compatibility rule)."""
    return f"v{kubernetes_version}.0"
