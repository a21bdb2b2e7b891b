"""The services layer: Istio ingress, the shared ClickHouse operator and Keeper, the vendor's
data-plane RBAC, and one ClickHouseService per configured service, on the EKS cluster.

Every Kubernetes object goes through the cluster's provider (passed in `opts.providers`) and
waits for exactly what it needs of `ready` (components.readiness): istiod for the system nodes,
the gateways for the AWS Load Balancer Controller, the certificates for cert-manager, Keeper and
the installations for the EBS CSI add-on and the storage class. A component's own depends_on
would not reach its children, and one shared list would make Istio's CRDs wait for the EBS CSI
add-on.

Until this layer was a component its children sat at the stack's root; each carries an alias to
that address, so an existing stack updates them in place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi

from components import backup as backups
from components import clickhouse, clickhouse_specs, ingress
from components.access import DataPlaneAccess, DataPlaneAccessArgs
from components.cidr import InternalRanges
from components.k8s_conventions import CLICKHOUSE_NAMESPACE, STORAGE_CLASS
from components.naming import Names
from components.readiness import ClusterReadiness

TYPE = "clickhouse-byoc:services:ByocServices"


@dataclass(frozen=True)
class ServicesSpec:
    """The ClickHouse services and how clients reach them (keys `services`, `ipAllowList`,
    `publicEndpoint`; parsed and validated by components/settings/services.py)."""

    services: tuple[clickhouse_specs.ClickHouseServiceSpec, ...]
    """The services, in configuration order."""
    ip_allow_list: tuple[str, ...]
    """CIDRs allowed to reach the public endpoint."""
    public_endpoint: bool
    """False: no public gateway at all; services only on `<name>-private.<zone>`."""
    allow_any_source: bool
    """The user's explicit opt-out of IP filtering on the public endpoint."""

    @property
    def public_gateway(self) -> bool:
        """Whether the public gateway exists: enabled, and filtered by a list or opted out of it."""
        return self.public_endpoint and (bool(self.ip_allow_list) or self.allow_any_source)

    @property
    def mysql_interface(self) -> bool:
        """Whether any service exposes the MySQL protocol."""
        return any(s.mysql_interface for s in self.services)

    @property
    def mysql_ports(self) -> tuple[tuple[str, int], ...]:
        """(service, gateway port) of every service with the MySQL interface, in configuration order."""
        return tuple((s.name, s.mysql_port) for s in self.services if s.mysql_port is not None)

    @property
    def private_endpoint_ports(self) -> tuple[int, ...]:
        """The private NLB's client ports: HTTPS, native TLS, and each MySQL service's port."""
        return ingress.private_endpoint_ports(self.mysql_ports)

    @property
    def backup_expiry_days(self) -> dict[str, int]:
        """Per service: how long its backups' objects stay current in the backup bucket."""
        return {s.name: backups.lifecycle_days(s.backup) for s in self.services if s.backup is not None}

    @property
    def restore_sources(self) -> dict[str, str]:
        """Per restoring service: the service whose backups it reads."""
        return {s.name: s.restore.source for s in self.services if s.restore is not None}


@dataclass(frozen=True)
class ByocServicesArgs:
    """Inputs of the services layer."""

    names: Names
    """Naming for the deployment."""
    region: str
    """The region (the data bucket's S3 endpoint)."""
    zone_name: str
    """The DNS zone services are published in."""
    ranges: InternalRanges
    """Our internal ranges: the private NLB's sources, who may log in to ClickHouse."""
    spec: ServicesSpec
    """The services, the allow list and the public endpoint, as configured."""
    service_role_arns: Mapping[str, pulumi.Input[str]]
    """Service name -> the IRSA role its servers run as (WorkloadRoles.service_role_arns)."""
    data_bucket: pulumi.Input[str]
    """The data bucket; each service's data lives under its `<name>/` prefix."""
    backup_bucket: pulumi.Input[str] | None = None
    """The backup bucket; each service's backups live under its `<name>/` prefix."""
    private_security_group: pulumi.Input[str] | None = None
    """The private NLB's frontend security group (network layer)."""
    private_link: bool = False
    """A PrivateLink endpoint service fronts the private NLB."""
    ready: ClusterReadiness = field(default_factory=ClusterReadiness)
    """The cluster's capabilities (nodes, load balancing, certificates, storage) objects wait for."""
    storage_class: pulumi.Input[str] = STORAGE_CLASS
    """The StorageClass new ClickHouse and Keeper claims come from (ClusterPlatform.storage_class);
    claims made earlier keep theirs."""
    log_house_service: str | None = None
    """The service that holds LogHouse (its `loghouse` database and writer user), if any."""


def moved_from_root(parent: pulumi.Resource) -> pulumi.ResourceOptions:
    """A child of `parent` that used to sit at the stack's root, under the same name and type."""
    return pulumi.ResourceOptions(parent=parent, aliases=[pulumi.Alias(parent=None)])


class ByocServices(pulumi.ComponentResource):
    """Ingress, operator, data-plane RBAC and the ClickHouse services."""

    ingress: ingress.IstioIngress
    operator: clickhouse.ClickHouseOperator
    services: dict[str, clickhouse.ClickHouseService]

    def __init__(self, name: str, args: ByocServicesArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE, name, None, opts)
        names, zone, spec = args.names, args.zone_name, args.spec

        self.ingress = ingress.IstioIngress(
            names.aws("ingress"),
            ingress.IstioIngressArgs(
                names=names,
                zone_name=zone,
                public_gateway=spec.public_gateway,
                ip_allow_list=spec.ip_allow_list,
                allow_any_source=spec.allow_any_source,
                private_source_ranges=args.ranges.private_sources,
                services=tuple(s.name for s in spec.services),
                mysql_ports=spec.mysql_ports,
                private_security_group=args.private_security_group,
                private_link=args.private_link,
                ready=args.ready,
            ),
            opts=moved_from_root(self),
        )
        self.operator = clickhouse.ClickHouseOperator(
            names.aws("clickhouse"),
            clickhouse.ClickHouseOperatorArgs(names=names, ready=args.ready, storage_class=args.storage_class),
            opts=moved_from_root(self),
        )
        # The vendor's data-plane-mgmt role reconciles the custom resources in these namespaces.
        DataPlaneAccess(
            names.aws("data-plane-access"),
            DataPlaneAccessArgs(
                namespaces={**self.ingress.namespaces, CLICKHOUSE_NAMESPACE: self.operator.namespace},
            ),
            opts=moved_from_root(self),
        )
        networks = tuple(clickhouse_specs.client_networks(args.ranges))
        self.services = {}
        for service in spec.services:
            self.services[service.name] = clickhouse.ClickHouseService(
                names.aws(f"ch-{service.name}"),
                clickhouse.ClickHouseServiceArgs(
                    names=names,
                    service=service,
                    zone_name=zone,
                    bucket=args.data_bucket,
                    region=args.region,
                    role_arn=args.service_role_arns[service.name],
                    networks=networks,
                    private_gateway=self.ingress.private_gateway_ref,
                    public_gateway=self.ingress.public_gateway_ref,
                    backup_bucket=args.backup_bucket,
                    namespace=(self.operator.namespace,),
                    installation_needs=(
                        self.operator.release,
                        self.operator.keeper,
                        *args.ready.storage,
                        *args.ready.node_scaling,
                    ),
                    routing_crds=(self.ingress.releases["base"],),
                    storage_class=args.storage_class,
                    log_house=service.name == args.log_house_service,
                    certificate_needs=tuple(args.ready.certificates),
                ),
                opts=moved_from_root(self),
            )
        self.register_outputs({"services": self.outputs})

    @property
    def outputs(self) -> dict[str, Any]:
        """Per service: public and private hostnames, ports, user and password (secret)."""
        return {name: svc.outputs() for name, svc in self.services.items()}
