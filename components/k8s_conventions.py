"""Conventions shared by the Kubernetes-facing layers: node roles, placement, service accounts.

The EKS layer labels and taints the nodes; the add-on, ingress and ClickHouse layers place pods
with these; the IAM layer binds IRSA roles to these service accounts. One module, so a rename
cannot leave a role trusting a service account nobody uses.
"""

from __future__ import annotations

import hashlib
from typing import Any

# Every namespace and cluster-wide object the program creates itself carries this label.
PART_OF_LABELS = {"app.kubernetes.io/part-of": "clickhouse-byoc"}
# IRSA: the service account annotation naming the role its pods assume.
ROLE_ARN_ANNOTATION = "eks.amazonaws.com/role-arn"
# The StorageClass the platform layer always creates (gp3, encrypted, reclaimPolicy Retain), with
# the AWS-managed EBS key; the default class unless the customer-managed key is on (see below).
STORAGE_CLASS = "gp3-encrypted"
# The Kubernetes group the vendor's data-plane-mgmt access entry maps to (bound by DataPlaneAccess).
DATA_PLANE_GROUP = "clickhouse-byoc:data-plane-mgmt"

NODE_ROLE_LABEL = "byoc/node-role"
ZONE_TOPOLOGY_KEY = "topology.kubernetes.io/zone"

SYSTEM_NODE_LABELS = {NODE_ROLE_LABEL: "system"}
SYSTEM_TAINT = {"key": "CriticalAddonsOnly", "value": "true", "effect": "NoSchedule"}
CLICKHOUSE_NODE_LABELS = {NODE_ROLE_LABEL: "clickhouse"}
CLICKHOUSE_TAINT = {"key": "dedicated", "value": "clickhouse", "effect": "NoSchedule"}

# Kubernetes refuses to update a StorageClass's `parameters`, so the customer-managed key gets a
# class of its own next to STORAGE_CLASS, named after the key: a key made by a later toggle gets a
# new class and never collides with the one an earlier key's class left in the cluster.
CMK_STORAGE_CLASS_PREFIX = "gp3-encrypted-cmk-"


def storage_class_name(kms_key_arn: str | None) -> str:
    """The class new volumes are provisioned from (ClickHouse and Keeper claim templates name it):
    STORAGE_CLASS, or with a customer-managed key `gp3-encrypted-cmk-<first 8 hex of the ARN's SHA-256>`."""
    if kms_key_arn is None:
        return STORAGE_CLASS
    return CMK_STORAGE_CLASS_PREFIX + hashlib.sha256(kms_key_arn.encode()).hexdigest()[:8]


# cert-manager ClusterIssuers the EKS layer creates (DNS01 through Route 53).
ISSUER_PRODUCTION = "letsencrypt-production"
ISSUER_STAGING = "letsencrypt-staging"

CLICKHOUSE_NAMESPACE = "clickhouse"
ISTIO_NAMESPACE = "istio-system"
PUBLIC_GATEWAY_NAMESPACE = "istio-ingress"
PRIVATE_GATEWAY_NAMESPACE = "istio-ingress-private"

# IRSA: purpose (the role name suffix) -> (namespace, service account).
SERVICE_ACCOUNTS: dict[str, tuple[str, str]] = {
    "vpc-cni": ("kube-system", "aws-node"),
    "ebs-csi": ("kube-system", "ebs-csi-controller-sa"),
    "load-balancer-controller": ("kube-system", "aws-load-balancer-controller"),
    "external-dns": ("external-dns", "external-dns"),
    "cert-manager": ("cert-manager", "cert-manager"),
    "cluster-autoscaler": ("kube-system", "cluster-autoscaler"),
    "state-exporter": ("clickhouse-byoc-system", "state-exporter"),
    "billing-scraper": (CLICKHOUSE_NAMESPACE, "billing-scraper"),
    "thanos": ("monitoring", "thanos"),
}


def clickhouse_service_account(service: str) -> tuple[str, str]:
    """The (namespace, service account) of one ClickHouse service's servers."""
    return CLICKHOUSE_NAMESPACE, f"clickhouse-{service}"


def toleration(taint: dict[str, str]) -> dict[str, str]:
    return {"key": taint["key"], "operator": "Equal", "value": taint["value"], "effect": taint["effect"]}


def system_placement() -> dict[str, Any]:
    """nodeSelector + tolerations that put a pod on the system node group."""
    return {"nodeSelector": dict(SYSTEM_NODE_LABELS), "tolerations": [toleration(SYSTEM_TAINT)]}


def clickhouse_placement() -> dict[str, Any]:
    """nodeSelector + tolerations that put a pod on the ClickHouse node groups."""
    return {"nodeSelector": dict(CLICKHOUSE_NODE_LABELS), "tolerations": [toleration(CLICKHOUSE_TAINT)]}
