"""How every pod the program defines runs: as a non-root user, under the container runtime's default
seccomp profile, without privilege escalation or Linux capabilities, on a read-only root filesystem
(pure functions).

Each workload adds only the writable mounts its image writes to (its volumes, or an `emptyDir`), and
mounts the Kubernetes API token only where it calls the API. The IRSA credentials do not need that
token: the EKS pod identity webhook adds its own projected token volume (`aws-iam-token`) for a
service account with a role annotation, whatever `automountServiceAccountToken` says.
"""

from __future__ import annotations

from typing import Any

RUNTIME_DEFAULT = "RuntimeDefault"


def pod_security_context(user: int, group: int | None = None, volumes: bool = True) -> dict[str, Any]:
    """The pod's securityContext: `user`:`group` (the image's own user), never root, RuntimeDefault
    seccomp. With `volumes`, the volumes are made group-writable for `group` (fsGroup), and only
    when their root is not already (a large data volume is not walked at every restart)."""
    group = user if group is None else group
    context: dict[str, Any] = {
        "runAsNonRoot": True,
        "runAsUser": user,
        "runAsGroup": group,
        "seccompProfile": {"type": RUNTIME_DEFAULT},
    }
    if volumes:
        context |= {"fsGroup": group, "fsGroupChangePolicy": "OnRootMismatch"}
    return context


def container_security_context() -> dict[str, Any]:
    """A container's securityContext: no privilege escalation, every capability dropped, a read-only
    root filesystem."""
    return {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }


def scratch(name: str, path: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A writable directory that lives as long as the pod: (volume, volumeMount)."""
    return {"name": name, "emptyDir": {}}, {"name": name, "mountPath": path}
