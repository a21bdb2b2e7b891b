"""The layer args that combine several settings groups (and other layers' outputs): the one module
besides `__main__.py` and `components/settings/` that reads `Settings`.

Each settings group is parsed straight into its layer's own typed spec (`ClusterSpec`,
`ServicesSpec`, `VendorAccessSpec`, ...), which `__main__.py` hands on as it is; only what no single
group decides is put together here: the bootstrap role's scope (names, region, zone, buckets; the
CloudFormation template tool builds it exactly as the stack does), the audit log's and the alerts'
args (audit, bootstrap-only, alerts), the observability layer's LogHouse target (a service's
outputs). The layers never import the settings (tests/test_layers.py).
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from components import audit, vendor_alerts
from components.audit import AuditLogArgs
from components.clickhouse import ClickHouseService
from components.clickhouse_specs import service_backend
from components.iam import BootstrapRoleArgs, bucket_arn
from components.observability.layer import (
    LogHouseTarget,
    ObservabilityArgs,
)
from components.readiness import ClusterReadiness
from components.settings import Settings
from components.vendor_alerts import VendorAccessAlertsArgs


def bootstrap_role_args(
    settings: Settings, zone_arn: pulumi.Input[str] | None, external_id: str | None = None
) -> BootstrapRoleArgs:
    """The bootstrap role's args from validated settings.

    `external_id` replaces the configured one (the CloudFormation template passes a parameter).
    `zone_arn` None (a bootstrap-only stack creates no zone): the configured `dns.hostedZoneId`,
    which settings require for the scoped profile; the clickhouse-cloud profile names no zone.
    """
    names = settings.names
    if zone_arn is None:
        zone_arn = f"arn:aws:route53:::hostedzone/{settings.dns.hosted_zone_id or 'none'}"
    return BootstrapRoleArgs(
        names=names,
        region=settings.region,
        account_id=settings.account_id,
        cluster_name=names.cluster,
        zone_arn=zone_arn,
        data_bucket_arn=bucket_arn(names, "data"),
        backup_bucket_arn=bucket_arn(names, "backup"),
        monitoring_bucket_arn=bucket_arn(names, "monitoring"),
        spec=settings.iam,
        external_id=external_id,
    )


def observability_args(
    settings: Settings,
    *,
    monitoring_bucket: pulumi.Input[str],
    thanos_role_arn: pulumi.Input[str],
    ready: ClusterReadiness,
    clickhouse_namespace: pulumi.Resource,
    services: Mapping[str, ClickHouseService],
    storage_class: pulumi.Input[str],
) -> ObservabilityArgs | None:
    """The observability layer's args, with LogHouse's target among the services; None when
    `observability.enabled` is false."""
    obs = settings.observability
    if not obs.enabled:
        return None
    log_house = None
    if obs.log_house_service:
        log_house = LogHouseTarget(
            host=service_backend(obs.log_house_service),
            password=services[obs.log_house_service].log_writer_password,
            service=obs.log_house_service,
        )
    return ObservabilityArgs(
        names=settings.names,
        region=settings.region,
        monitoring_bucket=monitoring_bucket,
        thanos_role_arn=thanos_role_arn,
        spec=obs.spec,
        log_house=log_house,
        ready=ready,
        clickhouse_namespace=(clickhouse_namespace,),
        storage_class=storage_class,
    )


def vendor_roles(settings: Settings) -> tuple[str, ...]:
    """ARNs of the roles the vendor assumes (bootstrap, data-plane-mgmt, troubleshooting)."""
    return audit.vendor_role_arns(settings.account_id, settings.names, settings.iam.role_name)


def audit_log_args(settings: Settings) -> AuditLogArgs | None:
    """The log bucket, audit key and trail the settings ask for; None when nothing needs them.

    A bootstrap-only stack has no VPC or buckets to log: only the trail and the alerts' key."""
    alerts = settings.vendor_access_alerts.enabled
    args = AuditLogArgs(
        names=settings.names,
        account_id=settings.account_id,
        region=settings.region,
        vendor_roles=vendor_roles(settings),
        spec=settings.audit,
        cluster=not settings.iam.only,
        alert_rule_arn=(
            vendor_alerts.rule_arn(settings.region, settings.account_id, settings.names.aws("vendor-access"))
            if alerts
            else None
        ),
        data_protection=settings.cluster.data_protection,
    )
    return args if args.needed else None


def vendor_access_args(
    settings: Settings, regions: tuple[str, ...], key_arn: pulumi.Input[str] | None
) -> VendorAccessAlertsArgs | None:
    """The alerts on every vendor role assumption, in every enabled Region; None when switched off."""
    alerts = settings.vendor_access_alerts
    if not alerts.enabled or key_arn is None:
        return None
    return VendorAccessAlertsArgs(
        names=settings.names,
        account_id=settings.account_id,
        region=settings.region,
        regions=tuple(sorted({*regions, settings.region})),
        vendor_roles=vendor_roles(settings),
        key_arn=key_arn,
        spec=alerts,
    )
