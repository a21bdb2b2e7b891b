"""Validated settings: the only package that reads Pulumi configuration.

`parse` is pure: it takes the raw configuration map (what the Pulumi CLI hands the program: every
value a string, objects and lists as JSON) and either returns a frozen `Settings` or raises
`ConfigError` listing every problem, one line each:
`clickhouse-byoc:<key>: <value>: <problem>; <fix>`. `load` feeds it the running stack's config.

One module per layer owns its keys: their dataclass, defaults, patterns and validator
(`deployment`, `network`, `dns`, `cluster`, `iam`, `services`); `reader` holds what they share
(problem collection, coercion, maps, unknown keys). A new layer adds its module to `LAYERS`.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi

from components import naming
from components.audit import AuditSpec
from components.cluster import ClusterSpec
from components.dns import ZoneSpec
from components.iam import VendorAccessSpec
from components.maintenance_window import MaintenanceWindow
from components.private_endpoint import PrivateLinkSpec
from components.services import ServicesSpec
from components.settings import audit as _audit
from components.settings import capacity as _capacity
from components.settings import cluster as _cluster
from components.settings import deployment as _deployment
from components.settings import dns as _dns
from components.settings import iam as _iam
from components.settings import maintenance as _maintenance
from components.settings import network as _network
from components.settings import noop as _noop
from components.settings import observability as _observability
from components.settings import private_link as _private_link
from components.settings import quotas as _quotas
from components.settings import services as _services
from components.settings.cluster import INSTANCE_TYPE_RE
from components.settings.deployment import TAG_CHARS_RE
from components.settings.dns import DNS_NAME_RE, ZONE_ID_RE
from components.settings.iam import (
    BOOTSTRAP_MODES,
    EXTERNAL_ID_RE,
    IAM_ROLE_NAME_RE,
    LONG_TROUBLESHOOTING_DAYS,
    PRINCIPAL_PATTERN_RE,
    S3_BUCKET_ARN_RE,
    S3_PREFIX_RE,
    SQS_ARN_RE,
)
from components.settings.network import (
    NAT_MODES,
    PEERING_KEYS,
    PEERING_NAME_RE,
    SMALL_VPC_WARNING,
    VPC_ID_RE,
    NetworkSettings,
)
from components.settings.observability import ObservabilitySettings
from components.settings.patterns import ACCOUNT_RE, REGION_RE, STAND_IN_ACCOUNT, STAND_IN_DEPLOYMENT
from components.settings.quotas import AwsQuotas
from components.settings.reader import (
    NS,
    SECRET_PLACEHOLDER,
    ConfigError,
    Problems,
    decode_value,
    is_placeholder,
    secret_placeholder,
    unknown_keys,
)
from components.settings.services import (
    BACKUP_DEFAULTS,
    BACKUP_NAME_RE,
    CLICKHOUSE_VERSION_RE,
    IAM_ROLE_NAME_MAX,
    MAX_REPLICAS,
    MAX_SHARDS,
    SERVICE_DEFAULTS,
    SERVICE_FIELDS,
    SERVICE_NAME_RE,
)
from components.vendor_alerts import VendorAlertsSpec

# The layers' own tables, assembled: every default, every map's fields, every key the program reads.
# Pulumi.yaml declares the same defaults (a test keeps them equal).
LAYERS = (
    _deployment,
    _network,
    _dns,
    _cluster,
    _iam,
    _services,
    _maintenance,
    _observability,
    _private_link,
    _quotas,
    _audit,
)
DEFAULTS: dict[str, Any] = {k: v for layer in LAYERS for k, v in layer.DEFAULTS.items()}
OBJECT_FIELDS: dict[str, dict[str, type]] = {k: v for layer in LAYERS for k, v in layer.OBJECT_FIELDS.items()}
# Keys with no default: required ones, and ones whose absence means something.
REQUIRED: tuple[str, ...] = tuple(k for layer in LAYERS for k in layer.REQUIRED)
OPTIONAL: tuple[str, ...] = tuple(k for layer in LAYERS for k in layer.OPTIONAL)
KNOWN_KEYS = frozenset(DEFAULTS) | frozenset(REQUIRED) | frozenset(OPTIONAL) | frozenset(OBJECT_FIELDS)

__all__ = [
    "ACCOUNT_RE",
    "BACKUP_DEFAULTS",
    "BACKUP_NAME_RE",
    "BOOTSTRAP_MODES",
    "CLICKHOUSE_VERSION_RE",
    "DEFAULTS",
    "DNS_NAME_RE",
    "EXTERNAL_ID_RE",
    "IAM_ROLE_NAME_MAX",
    "IAM_ROLE_NAME_RE",
    "INSTANCE_TYPE_RE",
    "KNOWN_KEYS",
    "LONG_TROUBLESHOOTING_DAYS",
    "MAX_REPLICAS",
    "MAX_SHARDS",
    "NAT_MODES",
    "NS",
    "OBJECT_FIELDS",
    "OPTIONAL",
    "PEERING_KEYS",
    "PEERING_NAME_RE",
    "PRINCIPAL_PATTERN_RE",
    "REGION_RE",
    "REQUIRED",
    "S3_BUCKET_ARN_RE",
    "S3_PREFIX_RE",
    "SECRET_PLACEHOLDER",
    "SERVICE_DEFAULTS",
    "SERVICE_FIELDS",
    "SERVICE_NAME_RE",
    "SMALL_VPC_WARNING",
    "SQS_ARN_RE",
    "TAG_CHARS_RE",
    "VPC_ID_RE",
    "ZONE_ID_RE",
    "AwsQuotas",
    "ConfigError",
    "MaintenanceWindow",
    "NetworkSettings",
    "ObservabilitySettings",
    "Settings",
    "decode_value",
    "is_placeholder",
    "load",
    "parse",
    "secret_placeholder",
]


@dataclass(frozen=True)
class Settings:
    """Everything the program reads from configuration, validated, with defaults applied."""

    project: str
    """The Pulumi project name."""
    stack: str
    """The Pulumi stack name."""
    region: str
    """`aws:region`: where everything is deployed."""
    account_id: str
    """The customer account; the AWS provider refuses credentials for any other."""
    deployment_id: str
    """Lowercase id in every name (3-20 chars)."""
    tags: Mapping[str, str]
    """The user's extra tags (the mandatory ones are added by `names.tags`)."""
    network: NetworkSettings
    """The VPC's ranges, zones, NAT gateways and peers."""
    dns: ZoneSpec
    """The deployment's hosted zone."""
    cluster: ClusterSpec
    """The EKS layer's choices (and `dataProtection`, which every stateful layer follows)."""
    customer_managed_key: bool = field(default=False, kw_only=True)
    """`kms.customerManagedKey`: buckets and volumes encrypted with the program's KMS key, not AWS-managed keys."""
    iam: VendorAccessSpec = field(kw_only=True)
    """The vendor's access: trust, bootstrap role mode and toggles, troubleshooting window."""
    clickhouse: ServicesSpec = field(kw_only=True)
    """ClickHouse services, the IP allow list and the public endpoint."""
    private_link: PrivateLinkSpec = field(kw_only=True)
    """The PrivateLink endpoint service on the private NLB."""
    observability: ObservabilitySettings = field(kw_only=True)
    """Metrics, alerts, dashboards, logs and the Tailscale troubleshooting path."""
    aws_quotas: AwsQuotas = field(default_factory=lambda: AwsQuotas())
    """The account's AWS quotas the configuration was checked against."""
    maintenance_window: MaintenanceWindow | None = None
    """When disruptive changes may run (tools.fleet); None: at any time."""
    audit: AuditSpec = field(kw_only=True)
    """Flow logs, bucket access logs and the trail, and how long the log bucket keeps them."""
    vendor_access_alerts: VendorAlertsSpec = field(kw_only=True)
    """Where the customer hears of every vendor role assumption."""
    warnings: tuple[str, ...] = ()
    """Accepted but questionable choices, logged as warnings."""
    secret_keys: frozenset[str] = field(default_factory=frozenset)
    """Keys (without namespace) whose values are secrets."""

    @property
    def names(self) -> naming.Names:
        return naming.Names(self.deployment_id, self.account_id)

    @property
    def default_tags(self) -> dict[str, str]:
        return self.names.tags(dict(self.tags))


def parse(
    raw: Mapping[str, str],
    stack: str,
    secret_keys: frozenset[str] = frozenset(),
    now: datetime.datetime | None = None,
) -> Settings:
    """Validates the raw configuration map; raises ConfigError listing every problem.

    `now` (default: the current UTC time) is what `troubleshootingAccess.until` must be after.
    """
    now = now or datetime.datetime.now(datetime.UTC)
    p = Problems(secret_keys)
    unknown_keys(raw, KNOWN_KEYS, p)
    region = _deployment.region(raw, p)
    before = len(p.lines)
    account_id = _deployment.account(raw, p)
    deployment_id = _deployment.deployment_id(raw, stack, p)
    # An invalid account id or deployment id is one problem, reported above under its own key. What
    # derives from them (the default billing prefix, role names and their lengths) is checked with
    # valid stand-ins, so that problem is never repeated under a key the user did not write.
    identity_ok = len(p.lines) == before
    derived_account = account_id if identity_ok else STAND_IN_ACCOUNT
    derived_deployment = deployment_id if identity_ok else STAND_IN_DEPLOYMENT
    before = len(p.lines)
    network = _network.parse(raw, region, p)
    network_ok = len(p.lines) == before
    tags = _deployment.tags(raw, deployment_id, p)
    dns = _dns.parse(raw, p)
    before = len(p.lines)
    cluster, customer_managed_key = _cluster.parse(raw, p)
    cluster_ok = len(p.lines) == before
    iam = _iam.parse(raw, derived_account, derived_deployment, secret_keys, now, p)
    _iam.check_bootstrap_only(iam, dns.hosted_zone_id, p)
    before = len(p.lines)
    clickhouse = _services.parse(raw, p)
    services_ok = len(p.lines) == before
    _services.role_name_lengths(derived_deployment, clickhouse.services, p)
    private_link = _private_link.parse(raw, p)
    before = len(p.lines)
    aws_quotas = _quotas.parse(raw, p)
    if network_ok and services_ok and len(p.lines) == before:
        # On valid ranges and services only: a quota line would repeat a broken key's problem.
        _quotas.check(aws_quotas, clickhouse, network, naming.Names(derived_deployment, derived_account), p)
    observability = _observability.parse(raw, tuple(s.name for s in clickhouse.services), iam.troubleshooting_until, p)
    if cluster_ok and services_ok:
        # Only on valid node groups and services: a capacity problem would repeat a broken key's.
        _capacity.check(
            cluster,
            clickhouse,
            custom_networking=network.pod_cidr is not None,
            p=p,
            observability=observability,
            network=None if iam.only else network,
        )
    maintenance_window = _maintenance.parse(raw, p)
    audit = _audit.parse_audit(raw, p)
    vendor_access_alerts = _audit.parse_alerts(raw, audit, p)
    layers = _noop.Layers(network, cluster, customer_managed_key, iam, clickhouse, private_link, observability)
    if not p.lines:  # on settings that are otherwise valid: a broken key is already one line
        _noop.check(raw, layers, p)

    if p.lines:
        raise ConfigError(p.lines)

    warnings = (
        _cluster.warnings(cluster)
        + _network.warnings(network)
        + _iam.warnings(iam, now)
        # A bootstrap-only stack installs no cluster layer: nothing to warn about there.
        + ([] if iam.only else _observability.warnings(observability))
        + _noop.warnings(raw, layers, secret_keys)
        + _audit.warnings(audit, vendor_access_alerts)
    )
    return Settings(
        project=NS,
        stack=stack,
        region=region,
        account_id=account_id,
        deployment_id=deployment_id,
        tags=tags,
        network=network,
        dns=dns,
        cluster=cluster,
        iam=iam,
        clickhouse=clickhouse,
        private_link=private_link,
        observability=observability,
        aws_quotas=aws_quotas,
        maintenance_window=maintenance_window,
        audit=audit,
        vendor_access_alerts=vendor_access_alerts,
        warnings=tuple(warnings),
        secret_keys=secret_keys,
        customer_managed_key=customer_managed_key,
    )


def _runtime_config() -> tuple[dict[str, str], frozenset[str]]:
    """The running stack's whole configuration map and its secret keys."""
    from pulumi.runtime import config as runtime_config

    raw = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    env_secret = set(runtime_config.get_config_secret_keys_env())
    secret = frozenset(
        k.split(":", 1)[1]
        for k in raw
        if k.startswith(f"{NS}:") and (k in env_secret or runtime_config.is_config_secret(k))
    )
    return {k: str(v) for k, v in raw.items()}, secret


def load() -> Settings:
    """Reads and validates the running stack's configuration (raises ConfigError)."""
    raw, secret = _runtime_config()
    return parse(raw, pulumi.get_stack(), secret)
