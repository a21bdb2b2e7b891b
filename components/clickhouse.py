"""ClickHouse: the shared Altinity operator and Keeper, and one ClickHouseService per configured service.

`ClickHouseOperator` installs the `altinity-clickhouse-operator` chart (operator credentials from
a generated password in a Secret of our own, metrics on, on the system nodes) and a 3-replica ClickHouse Keeper
(`ClickHouseKeeperInstallation`, one replica per zone, volumes retained) that every service shares
under its own root path.

`ClickHouseService` creates, per service: the servers' service account (bound to the service's
IRSA role), a generated password for the `default` user, the `ClickHouseInstallation` (MergeTree
on an S3 disk in the data bucket under the service's prefix, with a local cache; pods spread over
zones on the ClickHouse nodes) and the VirtualServices routing `<name>.<zone>` (public gateway) and
`<name>-private.<zone>` (private gateway) to it. With the MySQL interface, also a cert-manager
`Certificate` for exactly those two names, whose Secret the servers mount: ClickHouse terminates the
MySQL protocol's TLS itself (the gateways pass that port through) and reloads the files when
cert-manager renews them. Deleting a service deletes its installation; its S3 objects and retained
volumes stay.

The specs, names and values these resources carry are plain data built in components/clickhouse_specs.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from components import awaits, helm, ingress, versions
from components import backup as backups
from components import k8s_conventions as conv
from components.clickhouse_specs import (
    CHI_API,
    CHI_LABEL,
    CHK_API,
    KEEPER_NAME,
    OPERATOR_NAMESPACE,
    OPERATOR_SECRET,
    OPERATOR_USER,
    PASSWORD_KEY,
    USER,
    ClickHouseServiceSpec,
    backup_secret_name,
    chi_spec,
    keeper_host,
    keeper_spec,
    mysql_certificate_name,
    mysql_tls_secret_name,
    operator_values,
    password_secret_name,
    password_sha256,
    restore_secret_name,
    service_backend,
)
from components.k8s_conventions import ROLE_ARN_ANNOTATION, STORAGE_CLASS
from components.naming import Names
from components.observability import logs, metrics_endpoint
from components.readiness import ClusterReadiness

OPERATOR_TYPE = "clickhouse-byoc:clickhouse:ClickHouseOperator"
SERVICE_TYPE = "clickhouse-byoc:clickhouse:ClickHouseService"


@dataclass(frozen=True)
class ClickHouseOperatorArgs:
    """Inputs of the shared ClickHouse operator and Keeper."""

    names: Names
    """Naming for the deployment."""
    ready: ClusterReadiness = field(default_factory=ClusterReadiness)
    """What the objects here wait for: the operator its system nodes, Keeper its volumes' storage
    (the EBS CSI add-on and the `gp3-encrypted` class)."""
    storage_class: pulumi.Input[str] = STORAGE_CLASS
    """The StorageClass Keeper's claim template names (ClusterPlatform.storage_class)."""


class ClickHouseOperator(pulumi.ComponentResource):
    """The Altinity operator (generated credentials) and the shared 3-replica Keeper."""

    namespace: k8s.core.v1.Namespace
    release: k8s.helm.v3.Release
    keeper: k8s.apiextensions.CustomResource
    keeper_host: str

    def __init__(self, name: str, args: ClickHouseOperatorArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(OPERATOR_TYPE, name, None, opts)
        ready = args.ready
        # Namespaces and the password need only the cluster (through the provider) or nothing.
        child = pulumi.ResourceOptions(parent=self)
        labels = dict(conv.PART_OF_LABELS)
        operator_ns = k8s.core.v1.Namespace(
            f"{name}-ns-operator", metadata={"name": OPERATOR_NAMESPACE, "labels": labels}, opts=child
        )
        self.namespace = k8s.core.v1.Namespace(
            f"{name}-ns-clickhouse", metadata={"name": conv.CLICKHOUSE_NAMESPACE, "labels": labels}, opts=child
        )
        # Never the chart's well-known default password.
        password = random.RandomPassword(f"{name}-operator-password", length=32, special=False, opts=child)
        credentials = k8s.core.v1.Secret(
            f"{name}-operator-credentials",
            metadata={"name": OPERATOR_SECRET, "namespace": OPERATOR_NAMESPACE},
            type="Opaque",
            string_data={"username": OPERATOR_USER, "password": pulumi.Output.secret(password.result)},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[operator_ns]),
        )
        self.release = helm.release(
            f"{name}-operator",
            versions.ALTINITY_OPERATOR_CHART,
            name="clickhouse-operator",
            namespace=OPERATOR_NAMESPACE,
            values=operator_values(),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[operator_ns, credentials, *ready.system_nodes]),
            create_namespace=False,
        )
        keeper = pulumi.Output.from_input(args.storage_class).apply(lambda c: awaits.with_task_id(keeper_spec(c)))
        self.keeper = k8s.apiextensions.CustomResource(
            f"{name}-keeper",
            api_version=CHK_API,
            kind="ClickHouseKeeperInstallation",
            metadata={
                "name": KEEPER_NAME,
                "namespace": conv.CLICKHOUSE_NAMESPACE,
                # `pulumi up` returns once the operator has completed this spec (components/awaits.py).
                "annotations": keeper.apply(awaits.keeper_annotations),
            },
            spec=keeper,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.release, self.namespace, *ready.storage]),
        )
        self.keeper_host = keeper_host()
        self.register_outputs({"keeper_host": self.keeper_host, "operator_status": self.release.status})


@dataclass(frozen=True)
class ClickHouseServiceArgs:
    """Inputs of one ClickHouse service."""

    names: Names
    """Naming for the deployment."""
    service: ClickHouseServiceSpec
    """The service's validated spec."""
    zone_name: str
    """The DNS zone: `<name>.<zone>` and `<name>-private.<zone>`."""
    bucket: pulumi.Input[str]
    """The data bucket; the service's data lives under the `<name>/` prefix."""
    region: str
    """The bucket's region (the S3 endpoint)."""
    role_arn: pulumi.Input[str]
    """The service's IRSA role (read/write on its prefix), bound to its service account."""
    networks: tuple[str, ...]
    """CIDRs the `default` user may connect from (gateways and replicas: VPC and pod ranges)."""
    private_gateway: str
    """`<namespace>/<name>` of the private Istio Gateway."""
    public_gateway: str | None = None
    """`<namespace>/<name>` of the public Istio Gateway; None when there is no public endpoint."""
    backup_bucket: pulumi.Input[str] | None = None
    """The backup bucket (backups under `<name>/`); None: no backups or restore."""
    namespace: tuple[pulumi.Resource, ...] = ()
    """The `clickhouse` namespace: what every namespaced object of the service waits for."""
    installation_needs: tuple[pulumi.Resource, ...] = ()
    """What the installation waits for and must outlive it: the operator release, Keeper, the EBS
    CSI add-on and the storage class, the cluster autoscaler (its servers' nodes). On removal the
    installation then goes before the operator."""
    routing_crds: tuple[pulumi.Resource, ...] = ()
    """Istio's `base` release (the VirtualService CRD): what the routes wait for."""
    storage_class: pulumi.Input[str] = STORAGE_CLASS
    """The StorageClass the servers' claim template names (ClusterPlatform.storage_class)."""
    log_house: bool = False
    """This service holds LogHouse (`loghouse.container_logs` and its writer user)."""
    certificate_needs: tuple[pulumi.Resource, ...] = ()
    """What the MySQL interface's Certificate waits for: cert-manager and its ClusterIssuers."""


class ClickHouseService(pulumi.ComponentResource):
    """One ClickHouse service: service account, password, installation, routes."""

    public_host: str | None
    private_host: str
    ports: dict[str, int]
    user: str
    password: pulumi.Output[str]
    metrics_password: pulumi.Output[str]
    log_writer_password: pulumi.Output[str] | None
    installation: k8s.apiextensions.CustomResource

    def __init__(self, name: str, args: ClickHouseServiceArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(SERVICE_TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self, depends_on=list(args.namespace))
        service = args.service
        namespace, account = conv.clickhouse_service_account(service.name)

        sa = k8s.core.v1.ServiceAccount(
            f"{name}-sa",
            metadata={
                "name": account,
                "namespace": namespace,
                "annotations": {ROLE_ARN_ANNOTATION: args.role_arn},
                "labels": {CHI_LABEL: service.name},
            },
            opts=child,
        )
        password = random.RandomPassword(
            f"{name}-password", length=32, special=False, opts=pulumi.ResourceOptions(parent=self)
        )
        self.password = pulumi.Output.secret(password.result)
        credentials = k8s.core.v1.Secret(
            f"{name}-credentials",
            metadata={"name": password_secret_name(service.name), "namespace": namespace},
            type="Opaque",
            string_data={PASSWORD_KEY: pulumi.Output.secret(password.result.apply(password_sha256))},
            opts=child,
        )
        hashed_users = [credentials]

        def hashed_password(key: str, secret_name: str) -> pulumi.Output[str]:
            generated = random.RandomPassword(
                f"{name}-{key}-password", length=32, special=False, opts=pulumi.ResourceOptions(parent=self)
            )
            hashed_users.append(
                k8s.core.v1.Secret(
                    f"{name}-{key}-credentials",
                    metadata={"name": secret_name, "namespace": namespace},
                    type="Opaque",
                    string_data={PASSWORD_KEY: pulumi.Output.secret(generated.result.apply(password_sha256))},
                    opts=child,
                )
            )
            return pulumi.Output.secret(generated.result)

        # The customer's scraping user for /metrics_all: only its hash reaches the cluster.
        self.metrics_password = hashed_password("metrics", metrics_endpoint.password_secret_name(service.name))
        self.log_writer_password = None
        if args.log_house:
            self.log_writer_password = hashed_password("loghouse", logs.writer_password_secret_name(service.name))
        backup_bucket = pulumi.Output.from_input(args.backup_bucket) if args.backup_bucket is not None else None
        if backup_bucket is not None and service.backup is not None:
            # The backup CronJob reads the password itself; the servers only get its hash.
            backup_password = random.RandomPassword(
                f"{name}-backup-password", length=32, special=False, opts=pulumi.ResourceOptions(parent=self)
            )
            hashed_users.append(
                k8s.core.v1.Secret(
                    f"{name}-backup-credentials",
                    metadata={"name": backup_secret_name(service.name), "namespace": namespace},
                    type="Opaque",
                    string_data={
                        backups.CLIENT_CONFIG_KEY: pulumi.Output.secret(
                            backup_password.result.apply(lambda p: backups.client_config_xml(backups.BACKUP_USER, p))
                        ),
                        PASSWORD_KEY: pulumi.Output.secret(backup_password.result.apply(password_sha256)),
                    },
                    opts=child,
                )
            )
        if backup_bucket is not None and service.restore is not None:
            hashed_users.append(
                k8s.core.v1.Secret(
                    f"{name}-restore-credentials",
                    metadata={"name": restore_secret_name(service.name), "namespace": namespace},
                    type="Opaque",
                    string_data={
                        backups.CLIENT_CONFIG_KEY: pulumi.Output.secret(
                            password.result.apply(lambda p: backups.client_config_xml(USER, p))
                        )
                    },
                    opts=child,
                )
            )
        # The servers mount the certificate's Secret: it must exist before a pod starts (and the MySQL
        # handler turns TLS on only when the files are there at start), so the installation waits for it.
        mysql_cert: list[pulumi.Resource] = []
        if service.mysql_interface:
            mysql_cert.append(
                k8s.apiextensions.CustomResource(
                    f"{name}-mysql-cert",
                    api_version="cert-manager.io/v1",
                    kind="Certificate",
                    metadata={
                        "name": mysql_certificate_name(service.name),
                        "namespace": namespace,
                        "labels": {CHI_LABEL: service.name},
                        "annotations": awaits.certificate_annotations(),
                    },
                    spec=ingress.mysql_certificate_spec(
                        service.name,
                        args.zone_name,
                        public=args.public_gateway is not None,
                        secret_name=mysql_tls_secret_name(service.name),
                    ),
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[*args.namespace, *args.certificate_needs]),
                )
            )
        spec = pulumi.Output.all(args.bucket, backup_bucket, args.storage_class).apply(
            lambda b: awaits.with_task_id(
                chi_spec(
                    service,
                    bucket=b[0],
                    region=args.region,
                    networks=args.networks,
                    service_account=account,
                    storage_class=b[2],
                    log_house=args.log_house,
                    backup_bucket=b[1],
                )
            )
        )
        self.installation = k8s.apiextensions.CustomResource(
            f"{name}-chi",
            api_version=CHI_API,
            kind="ClickHouseInstallation",
            metadata={
                "name": service.name,
                "namespace": namespace,
                "labels": {CHI_LABEL: service.name},
                # `pulumi up` returns once the operator has completed this spec: the servers run.
                "annotations": spec.apply(awaits.installation_annotations),
            },
            spec=spec,
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[*args.namespace, *args.installation_needs, sa, *hashed_users, *mysql_cert]
            ),
        )
        if backup_bucket is not None:
            self._backup_and_restore(name, args, backup_bucket)

        backend = service_backend(service.name)
        self.private_host = ingress.private_host(service.name, args.zone_name)
        self.public_host = ingress.public_host(service.name, args.zone_name) if args.public_gateway else None
        routes = [("private", self.private_host, args.private_gateway)]
        if args.public_gateway and self.public_host:
            routes.insert(0, ("public", self.public_host, args.public_gateway))
        for key, host, gateway in routes:
            k8s.apiextensions.CustomResource(
                f"{name}-route-{key}",
                api_version="networking.istio.io/v1",
                kind="VirtualService",
                metadata={
                    "name": f"{service.name}-{key}",
                    "namespace": namespace,
                    "labels": {ingress.DNS_SCOPE_LABEL: key},
                },
                spec=ingress.virtual_service_spec(host, gateway, backend, service.mysql_port),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[*args.namespace, *args.routing_crds]),
            )

        self.ports = {"https": ingress.HTTPS_PORT, "native": ingress.NATIVE_TLS_PORT}
        if service.mysql_port is not None:
            self.ports["mysql"] = service.mysql_port
        self.user = USER
        self.register_outputs(self.outputs())

    def _backup_and_restore(self, name: str, args: ClickHouseServiceArgs, bucket: pulumi.Output[str]) -> None:
        """The backup CronJob and the restore Job; both wait for the installation."""
        service = args.service
        image = versions.CLICKHOUSE_CLIENT_IMAGE
        host = service_backend(service.name)
        labels = {CHI_LABEL: service.name, **conv.PART_OF_LABELS}
        after = pulumi.ResourceOptions(parent=self, depends_on=[*args.namespace, self.installation])
        if service.backup is not None:
            spec = service.backup
            self.backup_job = k8s.batch.v1.CronJob(
                f"{name}-backup",
                metadata={"name": backups.cronjob_name(service.name), "namespace": conv.CLICKHOUSE_NAMESPACE},
                spec=bucket.apply(
                    lambda b: backups.cronjob_spec(
                        spec,
                        image=image,
                        script=backups.backup_script(b, args.region, service.name, spec.full_every_days),
                        host=host,
                        config_secret=backup_secret_name(service.name),
                        stopped=service.stopped,
                        labels=labels,
                    )
                ),
                opts=after,
            )
        if service.restore is not None:
            restore = service.restore
            servers = service.shards * service.replicas
            k8s.batch.v1.Job(
                f"{name}-restore",
                metadata={
                    "name": backups.restore_job_name(service.name),
                    "namespace": conv.CLICKHOUSE_NAMESPACE,
                    # A restore can take hours: `pulumi up` does not wait for it (the Job reports
                    # itself; docs/clickhouse.md says how to follow it).
                    "annotations": {awaits.SKIP_AWAIT: "true"},
                },
                spec=bucket.apply(
                    lambda b: backups.restore_job_spec(
                        image=image,
                        script=backups.restore_script(b, args.region, restore, servers),
                        host=host,
                        config_secret=restore_secret_name(service.name),
                        labels=labels,
                    )
                ),
                opts=after,
            )

    def outputs(self) -> dict[str, Any]:
        """What a client needs: hostnames, ports, user, password (secret), the scrape endpoint and, with
        the MySQL interface, its `host:port` endpoints (the names its certificate holds)."""
        host = self.public_host or self.private_host
        out = {
            "public_host": self.public_host,
            "private_host": self.private_host,
            "ports": self.ports,
            "user": self.user,
            "password": self.password,
            "metrics": {
                "url": f"https://{host}:{ingress.HTTPS_PORT}{metrics_endpoint.PATH}",
                "user": metrics_endpoint.USER,
                "password": self.metrics_password,
            },
        }
        port = self.ports.get("mysql")
        if port is not None:
            out["mysql"] = {
                "public": f"{self.public_host}:{port}" if self.public_host else None,
                "private": f"{self.private_host}:{port}",
            }
        return out
