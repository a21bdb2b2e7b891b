"""Vendor troubleshooting access through Tailscale.

Only while `troubleshootingAccess` is granted and unexpired (the time box of the troubleshooting
IAM role) and `troubleshootingAccess.tailscale.enabled` is set, the Tailscale Kubernetes operator
joins the customer's tailnet with the OAuth client the customer created for it, and exposes the
cluster's API server to the tailnet through its API server proxy (auth mode: requests carry the
caller's tailnet identity, impersonated as the groups the tailnet policy grants). Engineers of the
group `TROUBLESHOOTING_GROUP` may only read (`view`), like the troubleshooting role. When the
access expires the next `pulumi up` removes the operator, its devices' credentials and the binding.
"""

from __future__ import annotations

from typing import Any

from components import k8s_conventions as conv
from components.pod_requests import TAILSCALE_OPERATOR

NAMESPACE = "tailscale"
# The chart mounts this Secret (`client_id`, `client_secret`) when its own `oauth` values are empty.
OAUTH_SECRET = "operator-oauth"
TROUBLESHOOTING_GROUP = "clickhouse-byoc:troubleshooting"


def operator_values(deployment_id: str) -> dict[str, Any]:
    """Values of the tailscale-operator chart: no credential in them, API server proxy on."""
    placement = conv.system_placement()
    return {
        "operatorConfig": {
            "hostname": f"{deployment_id}-k8s-operator",
            "defaultTags": ["tag:k8s-operator"],
            "nodeSelector": placement["nodeSelector"],
            "tolerations": placement["tolerations"],
            "resources": TAILSCALE_OPERATOR.containers[0].resources(),
        },
        "apiServerProxyConfig": {"mode": "true", "allowImpersonation": "true"},
        "ingressClass": {"enabled": False},
    }


def view_binding() -> dict[str, Any]:
    """Read-only access for the tailnet group the tailnet policy grants to vendor engineers."""
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "tailscale-troubleshooting-view"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": TROUBLESHOOTING_GROUP}],
    }
