"""What objects on the cluster wait for, named by what each provides.

A component's own `depends_on` does not reach its children, and one shared list makes everything
wait for everything: Istio's CRDs would wait for the EBS CSI add-on and cert-manager. Each object
instead names the capability it needs, so its wait is explicit, reviewable and no longer than it
must be (docs/change-plan.md, "Modeled durations"). Every Kubernetes object already waits for the
cluster through its provider.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi


@dataclass(frozen=True)
class ClusterReadiness:
    """The cluster's capabilities, each as the resources that provide it."""

    system_nodes: tuple[pulumi.Resource, ...] = ()
    """The system node groups: where istiod, the gateways, the operator and Keeper run (Helm waits
    for a chart's pods to be ready, so a release of a chart with workloads needs nodes)."""
    load_balancing: tuple[pulumi.Resource, ...] = ()
    """The AWS Load Balancer Controller: it provisions the NLB of a LoadBalancer Service, whose
    address Helm waits for."""
    certificates: tuple[pulumi.Resource, ...] = ()
    """cert-manager (the Certificate CRD and its webhook) and the ClusterIssuers."""
    storage: tuple[pulumi.Resource, ...] = ()
    """The EBS CSI add-on and the default StorageClass: what a volume claim needs to be provisioned."""
    node_scaling: tuple[pulumi.Resource, ...] = ()
    """The cluster autoscaler: it adds the ClickHouse nodes (their groups start at zero) that an
    installation's servers need before the operator can report it complete."""
