"""Wiring of the ingress and ClickHouse layers on the cluster, as `__main__.py` calls it:

    services = build_services(settings, cluster.k8s_provider, data_bucket, cluster.service_role_arns,
                              after=[cluster.ebs_csi, *platform.ready])

`role_arns` maps each configured service name to the ARN of its IRSA role (created by the EKS
layer's `AddonRoles`, bound to `k8s_conventions.clickhouse_service_account`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components import clickhouse, ingress
from components.access import DataPlaneAccess, DataPlaneAccessArgs
from components.k8s_conventions import CLICKHOUSE_NAMESPACE
from components.settings import Settings


@dataclass
class ServicesStack:
    """What `build_services` created, and the stack outputs per service."""

    ingress: ingress.IstioIngress
    operator: clickhouse.ClickHouseOperator
    services: dict[str, clickhouse.ClickHouseService] = field(default_factory=dict)

    @property
    def outputs(self) -> dict[str, Any]:
        """Per service: public and private hostnames, ports, user and password (secret)."""
        return {name: svc.outputs() for name, svc in self.services.items()}


def private_source_ranges(settings: Settings) -> tuple[str, ...]:
    """Who may reach the private NLB: the VPC, its pod range and the peered VPCs."""
    ranges = [settings.network.vpc_cidr]
    if settings.network.pod_cidr:
        ranges.append(settings.network.pod_cidr)
    ranges += [p.cidr for p in settings.network.peerings]
    return tuple(ranges)


def build_services(
    settings: Settings,
    k8s_provider: k8s.Provider,
    data_bucket: pulumi.Input[str],
    role_arns: Mapping[str, pulumi.Input[str]],
    after: Sequence[pulumi.Resource] = (),
    opts: pulumi.ResourceOptions | None = None,
) -> ServicesStack:
    """Istio ingress, the shared operator and Keeper, and one ClickHouseService per configured service.

    Every Kubernetes object goes through `k8s_provider` and waits for `after` (the EKS add-ons:
    cert-manager and its ClusterIssuers, the AWS Load Balancer Controller, external-dns, the EBS CSI
    driver and storage class); `opts.depends_on` would only order the components themselves.
    Raises ValueError (a wiring mistake, before anything is registered) when a configured service
    has no IRSA role.
    """
    ch = settings.clickhouse
    missing = [s.name for s in ch.services if s.name not in role_arns]
    if missing:
        raise ValueError(
            f"no IRSA role passed for {', '.join(missing)}: create one per service (purpose clickhouse-<name>)"
        )
    names, zone = settings.names, settings.dns.zone_name
    base = pulumi.ResourceOptions(providers=[k8s_provider])
    if opts is not None:
        base = pulumi.ResourceOptions.merge(base, opts)

    edge = ingress.IstioIngress(
        names.aws("ingress"),
        ingress.IstioIngressArgs(
            names=names,
            zone_name=zone,
            public_gateway=ch.public_gateway,
            ip_allow_list=ch.ip_allow_list,
            allow_any_source=ch.allow_any_source,
            private_source_ranges=private_source_ranges(settings),
            services=tuple(s.name for s in ch.services),
            mysql_services=tuple(s.name for s in ch.services if s.mysql_interface),
            after=tuple(after),
        ),
        opts=base,
    )
    operator = clickhouse.ClickHouseOperator(
        names.aws("clickhouse"), clickhouse.ClickHouseOperatorArgs(names=names, after=tuple(after)), opts=base
    )
    # The vendor's data-plane-mgmt role reconciles the custom resources in these namespaces.
    DataPlaneAccess(
        names.aws("data-plane-access"),
        DataPlaneAccessArgs(
            namespaces={**edge.namespaces, CLICKHOUSE_NAMESPACE: operator.namespace}, after=tuple(after)
        ),
        opts=base,
    )
    stack = ServicesStack(ingress=edge, operator=operator)
    obs = settings.observability
    log_house_service = obs.log_house_service if obs.enabled and obs.log_house else None
    networks = tuple(clickhouse.client_networks(settings.network.vpc_cidr, settings.network.pod_cidr))
    for service in ch.services:
        stack.services[service.name] = clickhouse.ClickHouseService(
            names.aws(f"ch-{service.name}"),
            clickhouse.ClickHouseServiceArgs(
                names=names,
                service=service,
                zone_name=zone,
                bucket=data_bucket,
                region=settings.region,
                role_arn=role_arns[service.name],
                networks=networks,
                private_gateway=edge.private_gateway_ref,
                public_gateway=edge.public_gateway_ref,
                after=(*after, operator.release, operator.namespace, edge.releases["base"]),
                log_house=service.name == log_house_service,
            ),
            opts=base,
        )
    return stack
