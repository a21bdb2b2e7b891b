"""The one way the program installs a Helm chart: a `helm.sh/v3` Release of a pinned chart.

Every release is atomic (a failed install or upgrade rolls back instead of leaving a half-applied
release), cleans up what a failed attempt created, and waits up to ten minutes.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.versions import ChartPin

TIMEOUT_SECONDS = 600


def release(
    resource_name: str,
    pin: ChartPin,
    *,
    name: str,
    namespace: str,
    values: pulumi.Input[dict[str, Any]],
    opts: pulumi.ResourceOptions,
    **extra: Any,
) -> k8s.helm.v3.Release:
    """A Release `name` of `pin` in `namespace`; `extra` are further Release inputs
    (`create_namespace`, `max_history`) for the releases that set them."""
    return k8s.helm.v3.Release(
        resource_name,
        name=name,
        chart=pin.chart,
        version=pin.version,
        repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=pin.repo),
        namespace=namespace,
        values=values,
        atomic=True,
        cleanup_on_fail=True,
        timeout=TIMEOUT_SECONDS,
        opts=opts,
        **extra,
    )
