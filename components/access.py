"""Kubernetes rights of the vendor's data-plane-mgmt role, beyond EKS's access policies.

The EKS access entry gives the role `AmazonEKSEditPolicy` in the namespaces it reconciles. Edit
covers core objects but reaches custom resources only when their ClusterRoles aggregate to
`edit`, which the ClickHouse operator's, Istio's and cert-manager's need not do; so the role's
Kubernetes group also gets exactly these custom resources, in exactly those namespaces.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.k8s_conventions import DATA_PLANE_GROUP, PART_OF_LABELS

TYPE = "clickhouse-byoc:access:DataPlaneAccess"
CLUSTER_ROLE = "clickhouse-byoc-data-plane-mgmt"
VERBS = ["get", "list", "watch", "create", "update", "patch", "delete"]


def data_plane_rules() -> list[dict[str, Any]]:
    """The custom resources the vendor's control plane reconciles: ClickHouse and Keeper
    installations, Istio routing, and the certificates the gateways serve."""
    return [
        {
            "apiGroups": ["clickhouse.altinity.com"],
            "resources": ["clickhouseinstallations", "clickhouseinstallationtemplates"],
            "verbs": VERBS,
        },
        {
            "apiGroups": ["clickhouse-keeper.altinity.com"],
            "resources": ["clickhousekeeperinstallations"],
            "verbs": VERBS,
        },
        {
            "apiGroups": ["networking.istio.io"],
            "resources": ["gateways", "virtualservices", "destinationrules"],
            "verbs": VERBS,
        },
        {"apiGroups": ["cert-manager.io"], "resources": ["certificates"], "verbs": VERBS},
    ]


@dataclass(frozen=True)
class DataPlaneAccessArgs:
    """Inputs of the data-plane-mgmt RBAC."""

    namespaces: Mapping[str, k8s.core.v1.Namespace]
    """Name -> Namespace the role may reconcile in (each gets a RoleBinding once it exists)."""


class DataPlaneAccess(pulumi.ComponentResource):
    """A ClusterRole of the reconciled custom resources, bound per namespace to the role's group."""

    def __init__(self, name: str, args: DataPlaneAccessArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE, name, None, opts)
        role = k8s.rbac.v1.ClusterRole(
            f"{name}-role",
            metadata={"name": CLUSTER_ROLE, "labels": dict(PART_OF_LABELS)},
            rules=data_plane_rules(),
            opts=pulumi.ResourceOptions(parent=self),
        )
        for ns_name, namespace in sorted(args.namespaces.items()):
            k8s.rbac.v1.RoleBinding(
                f"{name}-{ns_name}",
                metadata={"name": CLUSTER_ROLE, "namespace": ns_name},
                role_ref={"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": CLUSTER_ROLE},
                subjects=[{"kind": "Group", "name": DATA_PLANE_GROUP, "apiGroup": "rbac.authorization.k8s.io"}],
                opts=pulumi.ResourceOptions(parent=self, depends_on=[role, namespace]),
            )
        self.register_outputs({"cluster_role": CLUSTER_ROLE})
