"""Validated settings: the only module that reads Pulumi configuration.

`parse` is pure: it takes the raw configuration map (what the Pulumi CLI hands the program: every
value a string, objects and lists as JSON) and either returns a frozen `Settings` or raises
`ConfigError` listing every problem, one line each:
`clickhouse-byoc:<key>: <value>: <problem>; <fix>`. `load` feeds it the running stack's config.
"""

from __future__ import annotations

import datetime
import difflib
import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pulumi

from components import cidr, naming, quantity, versions

NS = naming.PROJECT
NAT_MODES = ("one-per-az", "single")

# Every default, in one place. Pulumi.yaml declares the same values (a test keeps them equal).
DEFAULTS: dict[str, Any] = {
    "vpcCidr": "10.0.0.0/22",
    "natGateways": "one-per-az",
    "peerings": [],
    "tags": {},
    # Map-valued keys: the defaults of their fields (a stack's map replaces the project's whole).
    "dns": {"createZone": False},
    # EKS layer.
    "kubernetesVersion": versions.KUBERNETES_VERSION,
    "clusterEndpoint": {"public": True, "publicCidrs": [], "allowAnyPublicCidr": False},
    "systemNodeGroup": {"instanceType": "m5.xlarge", "size": 3},
    "clickhouseNodes": {"instanceType": "r6i.4xlarge", "maxSize": 5},
    "kms": {"customerManagedKey": False},
    "dataProtection": True,
    # IAM layer: the vendor's production control-plane account (its published onboarding module).
    "clickhouseCloud": {"accountId": "426924874929"},
    "bootstrap": {"vpcWrite": True, "iamWrite": True, "kms": False, "mode": "full"},
    "troubleshootingAccess": {},
    # ClickHouse services and their endpoints (components/clickhouse.py, components/ingress.py).
    "services": [],
    "ipAllowList": [],
    "publicEndpoint": {"enabled": True, "allowAnySource": False},
}
# The fields each map-valued key accepts, with their types.
OBJECT_FIELDS: dict[str, dict[str, type]] = {
    "dns": {"zoneName": str, "hostedZoneId": str, "createZone": bool},
    "clusterEndpoint": {"public": bool, "publicCidrs": list, "allowAnyPublicCidr": bool},
    "systemNodeGroup": {"instanceType": str, "size": int},
    "clickhouseNodes": {"instanceType": str, "maxSize": int},
    "kms": {"customerManagedKey": bool},
    "clickhouseCloud": {
        "accountId": str,
        "externalId": str,
        "principalArnPattern": str,
        "stateQueueArn": str,
        "billingBucketArn": str,
        "billingPrefix": str,
    },
    "bootstrap": {"vpcWrite": bool, "iamWrite": bool, "kms": bool, "mode": str, "roleName": str},
    "troubleshootingAccess": {"until": str},
    "publicEndpoint": {"enabled": bool, "allowAnySource": bool},
}
# Keys with no default: required ones, and ones whose absence means something.
REQUIRED = ("accountId",)
OPTIONAL = ("deploymentId", "availabilityZones", "podCidr")
KNOWN_KEYS = frozenset(DEFAULTS) | frozenset(REQUIRED) | frozenset(OPTIONAL) | frozenset(OBJECT_FIELDS)
PEERING_KEYS = ("name", "cidr", "vpcId", "accountId", "region")

# Offline synth cannot decrypt `secure:` values; it substitutes these (a valid shape, clearly fake).
SECRET_PLACEHOLDER = "offline-synth-placeholder"

ACCOUNT_RE = re.compile(r"^\d{12}$")
REGION_RE = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$")
INSTANCE_TYPE_RE = re.compile(r"^[a-z][a-z0-9-]*\.[0-9]*[a-z0-9]+$")
ZONE_ID_RE = re.compile(r"^Z[A-Z0-9]{1,32}$")
DNS_NAME_RE = re.compile(r"^(?=.{4,200}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
VPC_ID_RE = re.compile(r"^vpc-[0-9a-f]{8}([0-9a-f]{9})?$")
PEERING_NAME_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$")
TAG_CHARS_RE = re.compile(r"^[\w .:/=+\-@]*$")
# The source: "/23 is possible but may limit the deployment to about 30 ClickHouse server pods".
SMALL_VPC_WARNING = (
    "clickhouse-byoc:vpcCidr: {cidr}: a /23 leaves {ips} usable private IPs for nodes and pods "
    "(about 30 ClickHouse server pods); set podCidr (a range in 100.64.0.0/10) or use a /22 or larger"
)


class ConfigError(pulumi.RunError):
    """Invalid configuration. `problems` holds one line per problem; raised before any resource."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        count = len(self.problems)
        super().__init__(f"{count} configuration problem{'s' if count != 1 else ''}:\n" + "\n".join(self.problems))


@dataclass(frozen=True)
class Peering:
    """A VPC the BYOC VPC will be peered with (validated now, created by a later layer)."""

    name: str
    """Unique lowercase name of the peering."""
    cidr: str
    """The peer VPC's range; must not overlap the BYOC ranges or other peers."""
    vpc_id: str | None = None
    """The peer VPC id, when known."""
    account_id: str | None = None
    """The peer's AWS account, when it is not the customer account."""
    region: str | None = None
    """The peer's region, when it is not `aws:region`."""


@dataclass(frozen=True)
class Dns:
    """The deployment's DNS zone: service hostnames are `<service>.<zoneName>`."""

    zone_name: str
    """The zone, e.g. `byoc.example.com` (no trailing dot)."""
    hosted_zone_id: str | None
    """An existing public hosted zone for `zone_name`, or None when the program creates it."""

    @property
    def create_zone(self) -> bool:
        return self.hosted_zone_id is None


# ClickHouse services: the fields a `services` entry accepts, with their defaults and types.
SERVICE_DEFAULTS: dict[str, Any] = {
    "shards": 1,
    "replicas": 2,
    "clickhouseVersion": versions.CLICKHOUSE_VERSION,
    "cpu": "2",
    "memory": "8Gi",
    "cacheSize": "50Gi",
    "stopped": False,
    "mysqlInterface": False,
}
SERVICE_FIELDS: dict[str, type] = {"name": str, **{k: type(v) for k, v in SERVICE_DEFAULTS.items()}}
# A DNS label, also a valid ClickHouseInstallation and Kubernetes name; 30 characters keep
# `<name>-private.<zone>` and the operator's `chi-<name>-...` pod names within their limits.
SERVICE_NAME_RE = re.compile(r"^[a-z]([a-z0-9-]{0,28}[a-z0-9])?$")
CLICKHOUSE_VERSION_RE = re.compile(r"^\d+\.\d+(\.\d+){0,2}(-[a-z]+)?$")
MAX_SHARDS, MAX_REPLICAS = 32, 5
# The AWS Load Balancer Controller opens one security group rule per CIDR and listener port
# (3 ports with MySQL), within the default quota of 60 inbound rules per security group.
MAX_ALLOW_LIST = 20


@dataclass(frozen=True)
class ServiceConfig:
    """One ClickHouse service (a ClickHouseInstallation) as configured under `services`."""

    name: str
    """Lowercase DNS label, at most 30 chars: `<name>.<zone>` and `<name>-private.<zone>`."""
    shards: int = SERVICE_DEFAULTS["shards"]
    """Number of shards (horizontal scaling)."""
    replicas: int = SERVICE_DEFAULTS["replicas"]
    """Replicas per shard, spread across zones."""
    clickhouse_version: str = SERVICE_DEFAULTS["clickhouseVersion"]
    """The `clickhouse/clickhouse-server` image tag."""
    cpu: str = SERVICE_DEFAULTS["cpu"]
    """CPU request per server (a Kubernetes quantity)."""
    memory: str = SERVICE_DEFAULTS["memory"]
    """Memory request and limit per server (a Kubernetes quantity)."""
    cache_size: str = SERVICE_DEFAULTS["cacheSize"]
    """Local cache of S3 data per server (a Kubernetes quantity)."""
    stopped: bool = SERVICE_DEFAULTS["stopped"]
    """True stops the servers (pods gone; volumes and S3 data kept)."""
    mysql_interface: bool = SERVICE_DEFAULTS["mysqlInterface"]
    """Also expose ClickHouse's MySQL protocol."""


@dataclass(frozen=True)
class ClickHouseSettings:
    """ClickHouse services and how clients reach them."""

    services: tuple[ServiceConfig, ...] = ()
    """The services, in configuration order."""
    ip_allow_list: tuple[str, ...] = ()
    """CIDRs allowed to reach the public endpoint."""
    public_endpoint: bool = True
    """False: no public gateway at all; services only on `<name>-private.<zone>`."""
    allow_any_source: bool = False
    """The user's explicit opt-out of IP filtering on the public endpoint."""

    @property
    def public_gateway(self) -> bool:
        """Whether the public gateway exists: enabled, and filtered by a list or opted out of it."""
        return self.public_endpoint and (bool(self.ip_allow_list) or self.allow_any_source)

    @property
    def mysql_interface(self) -> bool:
        """Whether any service exposes the MySQL protocol (the gateways then open its port)."""
        return any(s.mysql_interface for s in self.services)


@dataclass(frozen=True)
class ClusterSettings:
    """The EKS layer: cluster version and endpoint, node groups, keys, data protection."""

    kubernetes_version: str
    """The EKS Kubernetes minor, e.g. `1.35`."""
    endpoint_public: bool
    """Whether the API endpoint is reachable from the internet (from `public_cidrs` only)."""
    public_cidrs: tuple[str, ...]
    """The CIDRs the public API endpoint accepts."""
    system_instance_type: str
    """Instance type of the system node groups."""
    system_nodes_per_zone: int
    """System nodes in each zone (`systemNodeGroup.size` / 3)."""
    clickhouse_instance_type: str
    """Instance type of the ClickHouse node groups."""
    clickhouse_max_per_zone: int
    """Upper bound of each zone's ClickHouse node group (minimum 0)."""
    customer_managed_key: bool
    """Encrypt buckets and volumes with a customer-managed KMS key instead of AWS-managed keys."""
    data_protection: bool
    """Buckets are protected and retained on destroy (true) or deletable with their data (false)."""


@dataclass(frozen=True)
class Iam:
    """The vendor's access to the account (keys `clickhouseCloud`, `bootstrap`, `troubleshootingAccess`)."""

    vendor_account_id: str
    """The vendor control-plane account the trust policies name."""
    external_id: str
    """`sts:ExternalId` the vendor must present (a secret when `clickhouseCloud` is)."""
    external_id_secret: bool
    """Whether the external id was configured as a secret (it then reaches resources as one)."""
    principal_arn_pattern: str
    """`aws:PrincipalArn` StringLike pattern: the vendor roles allowed to assume."""
    state_queue_arn: str | None
    """The vendor's SQS queue the state exporter writes to, or None (no state exporter role)."""
    billing_bucket_arn: str | None
    """The vendor's S3 bucket the billing scraper writes to, or None (no billing scraper role)."""
    billing_prefix: str
    """Key prefix under the billing bucket (`<accountId>/<deploymentId>` by default)."""
    role_name: str
    """The bootstrap role's name."""
    mode: str
    """`full`, `operate` or `revoked`."""
    vpc_write: bool
    """Bootstrap role may create/modify/delete tagged EC2/VPC resources."""
    iam_write: bool
    """Bootstrap role may manage roles and policies under the permissions boundary."""
    kms: bool
    """Bootstrap role may manage tagged KMS keys."""
    troubleshooting_until: str | None
    """ISO-8601 UTC instant (`YYYY-MM-DDTHH:MM:SSZ`) the troubleshooting role expires, or None."""


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
    availability_zones: tuple[str, ...] | None
    """Three zones of the region, or None to use the region's first three."""
    vpc_cidr: str
    """Primary VPC range (RFC 1918, /16-/23)."""
    pod_cidr: str | None
    """Optional secondary range in 100.64.0.0/10 for pod IPs."""
    nat_gateways: str
    """`one-per-az` or `single`."""
    peerings: tuple[Peering, ...]
    """Peer VPCs to plan for."""
    tags: Mapping[str, str]
    """The user's extra tags (the mandatory ones are added by `names.tags`)."""
    dns: Dns
    """The deployment's hosted zone."""
    cluster: ClusterSettings
    """The EKS layer's settings."""
    iam: Iam = field(kw_only=True)
    """The vendor's access: trust, bootstrap role mode and toggles, troubleshooting window."""
    clickhouse: ClickHouseSettings = field(default_factory=lambda: ClickHouseSettings())
    """ClickHouse services, the IP allow list and the public endpoint."""
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


class _Problems:
    def __init__(self, secret_keys: frozenset[str]):
        self.lines: list[str] = []
        self._secret = secret_keys

    def add(self, key: str, value: Any, problem: str) -> None:
        top = re.split(r"[.\[]", key)[0]
        if value is None:
            shown = "(not set)"
        elif top in self._secret:
            shown = "[secret]"
        elif isinstance(value, str):
            shown = value
        else:
            shown = json.dumps(value)
        full = key if ":" in top else f"{NS}:{key}"
        self.lines.append(f"{_one_line(full)}: {_one_line(shown)}: {problem}")


def _one_line(text: str) -> str:
    """Keys and values as typed, but a newline or other control character shown escaped, so every
    problem stays on one line."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def decode_value(raw: str | None) -> Any:
    """Pulumi hands objects and lists over as JSON text and everything else as plain text
    (config values, and providers' structured inputs)."""
    if raw is None:
        return None
    text = raw.strip()
    if text[:1] in "[{":
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return raw
    return raw


_KIND_WORDS = {bool: "true or false", str: "a string", int: "a whole number", list: "a list"}


def _coerce(value: Any, kind: type) -> tuple[bool, Any]:
    """(ok, value): `pulumi config set --path` stores true/false/integers typed, YAML may quote them."""
    if kind is bool:
        if isinstance(value, bool):
            return True, value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return True, value.lower() == "true"
        return False, value
    if kind is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return True, value
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
            return True, int(value)
        return False, value
    if kind is str:
        return (True, value) if isinstance(value, str) else (False, value)
    return (True, value) if isinstance(value, kind) else (False, value)


def _object(raw: Mapping[str, str], key: str, p: _Problems) -> dict[str, Any]:
    """A map-valued key: field defaults applied; non-maps, unknown fields and wrong types reported."""
    fields = OBJECT_FIELDS[key]
    out: dict[str, Any] = dict(DEFAULTS.get(key, {}))
    text = raw.get(f"{NS}:{key}")
    value = {} if text is None else decode_value(text)
    if not isinstance(value, dict):
        example = next(iter(fields))
        p.add(key, value, f"not a map; set its fields, e.g. `pulumi config set --path {key}.{example} ...`")
        return out
    for name, item in value.items():
        if name not in fields:
            close = difflib.get_close_matches(name, list(fields), n=1)
            hint = f"did you mean {close[0]}?" if close else f"use {', '.join(fields)}"
            p.add(f"{key}.{name}", item, f"unknown field; {hint}")
            continue
        ok, coerced = _coerce(item, fields[name])
        if ok:
            out[name] = coerced
        else:
            p.add(f"{key}.{name}", item, f"not {_KIND_WORDS.get(fields[name], fields[name].__name__)}; set it as one")
    return out


def _dns(raw: Mapping[str, str], p: _Problems) -> Dns:
    before = len(p.lines)
    fields = _object(raw, "dns", p)
    if len(p.lines) > before:
        # The map itself is broken; checks across its fields would only repeat that.
        return Dns(str(fields.get("zoneName") or ""), fields.get("hostedZoneId"))
    zone = str(fields.get("zoneName") or "").rstrip(".").lower()
    zone_id, create = fields.get("hostedZoneId"), fields.get("createZone", False)
    if not zone:
        p.add(
            "dns.zoneName",
            None,
            "required; set the zone services are published in, e.g. "
            "`pulumi config set --path dns.zoneName byoc.example.com`",
        )
    elif not DNS_NAME_RE.match(zone):
        p.add("dns.zoneName", fields["zoneName"], "not a DNS zone name; use lowercase labels such as byoc.example.com")
    if zone_id and create:
        p.add(
            "dns.createZone", True, "conflicts with dns.hostedZoneId; set one: an existing zone id, or createZone true"
        )
    elif zone_id and not ZONE_ID_RE.match(zone_id):
        p.add("dns.hostedZoneId", zone_id, "not a Route 53 hosted zone id; use the id, e.g. Z0123456789ABCDEFGHIJ")
    elif not zone_id and not create:
        p.add(
            "dns.hostedZoneId",
            None,
            "required unless dns.createZone is true; give the id of the existing "
            "public zone for dns.zoneName, or set `--path dns.createZone true` to create it",
        )
    return Dns(zone, zone_id or None)


def _bool(raw: Mapping[str, str], key: str, p: _Problems) -> bool:
    text = raw.get(f"{NS}:{key}")
    if text is None:
        return bool(DEFAULTS[key])
    ok, value = _coerce(text, bool)
    if not ok:
        p.add(key, text, "not true or false; set `pulumi config set " + key + " true` or false")
        return bool(DEFAULTS[key])
    return value


def _cluster(raw: Mapping[str, str], p: _Problems) -> ClusterSettings:
    version = raw.get(f"{NS}:kubernetesVersion", DEFAULTS["kubernetesVersion"])
    if version not in versions.KUBERNETES_VERSIONS:
        p.add(
            "kubernetesVersion",
            version,
            f"not a Kubernetes minor this program supports; use one of "
            f"{', '.join(versions.KUBERNETES_VERSIONS)} (default {versions.KUBERNETES_VERSION})",
        )

    endpoint = _object(raw, "clusterEndpoint", p)
    cidrs = endpoint["publicCidrs"]
    good_cidrs: list[str] = []
    for i, block in enumerate(cidrs if isinstance(cidrs, list) else []):
        net = cidr.parse_network(block) if isinstance(block, str) else None
        if net is None:
            p.add(f"clusterEndpoint.publicCidrs[{i}]", block, "not an IPv4 CIDR; give a network such as 203.0.113.0/24")
        elif net.prefixlen == 0 and not endpoint["allowAnyPublicCidr"]:
            p.add(
                f"clusterEndpoint.publicCidrs[{i}]",
                block,
                "opens the Kubernetes API to the whole internet; list "
                "your runners' egress CIDRs, or set clusterEndpoint.allowAnyPublicCidr true to accept the risk",
            )
        else:
            good_cidrs.append(str(net))
    if endpoint["public"] and not cidrs:
        p.add(
            "clusterEndpoint.publicCidrs",
            [],
            "empty while clusterEndpoint.public is true; list the CIDRs that may "
            "reach the API (your CI runners, VPN), or set clusterEndpoint.public false for a private-only endpoint",
        )

    system = _object(raw, "systemNodeGroup", p)
    size = system["size"]
    if not INSTANCE_TYPE_RE.match(str(system["instanceType"])):
        p.add("systemNodeGroup.instanceType", system["instanceType"], "not an EC2 instance type; use e.g. m5.xlarge")
    if not isinstance(size, int) or size < 3 or size % 3:
        p.add(
            "systemNodeGroup.size",
            size,
            "must be a multiple of 3 (the same number of system nodes in each zone); use 3, 6 or 9",
        )
        size = 3

    nodes = _object(raw, "clickhouseNodes", p)
    if not INSTANCE_TYPE_RE.match(str(nodes["instanceType"])):
        p.add("clickhouseNodes.instanceType", nodes["instanceType"], "not an EC2 instance type; use e.g. r6i.4xlarge")
    if not isinstance(nodes["maxSize"], int) or not 1 <= nodes["maxSize"] <= 100:
        p.add("clickhouseNodes.maxSize", nodes["maxSize"], "out of range; set 1-100 (nodes per zone)")

    kms = _object(raw, "kms", p)
    return ClusterSettings(
        kubernetes_version=version,
        endpoint_public=bool(endpoint["public"]),
        public_cidrs=tuple(good_cidrs) if endpoint["public"] else (),
        system_instance_type=str(system["instanceType"]),
        system_nodes_per_zone=size // 3,
        clickhouse_instance_type=str(nodes["instanceType"]),
        clickhouse_max_per_zone=int(nodes["maxSize"]) if isinstance(nodes["maxSize"], int) else 1,
        customer_managed_key=bool(kms["customerManagedKey"]),
        data_protection=_bool(raw, "dataProtection", p),
    )


EXTERNAL_ID_RE = re.compile(r"^[\w+=,.@:/-]{2,1224}$")
IAM_ROLE_NAME_RE = re.compile(r"^[\w+=,.@-]{1,64}$")
PRINCIPAL_PATTERN_RE = re.compile(r"^arn:aws:iam::(\d{12}):(role|user)/[\w+=,.@/*-]+$")
SQS_ARN_RE = re.compile(r"^arn:aws:sqs:[a-z]{2}(-gov)?-[a-z]+-\d:\d{12}:[\w-]{1,80}(\.fifo)?$")
S3_BUCKET_ARN_RE = re.compile(r"^arn:aws:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
S3_PREFIX_RE = re.compile(r"^[A-Za-z0-9!_.*'()/-]{1,512}$")
BOOTSTRAP_MODES = ("full", "operate", "revoked")


def _utc_instant(value: str) -> datetime.datetime | None:
    """An ISO-8601 instant with an explicit UTC offset (`Z` or `+00:00`), or None."""
    try:
        parsed = datetime.datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None or parsed.utcoffset() != datetime.timedelta(0):
        return None
    return parsed


def _iam(
    raw: Mapping[str, str],
    account_id: str,
    deployment_id: str,
    secret_keys: frozenset[str],
    now: datetime.datetime,
    p: _Problems,
) -> Iam:
    before = len(p.lines)
    cloud = _object(raw, "clickhouseCloud", p)
    # A broken map is one problem; checks across its fields would only repeat it.
    cloud_broken = len(p.lines) > before and not isinstance(decode_value(raw.get(f"{NS}:clickhouseCloud")), dict)
    boot = _object(raw, "bootstrap", p)
    access = _object(raw, "troubleshootingAccess", p)

    vendor = cloud.get("accountId", "")
    vendor_ok = bool(ACCOUNT_RE.match(vendor))
    if not vendor_ok:
        p.add("clickhouseCloud.accountId", vendor, "not a 12-digit AWS account id; use the vendor's account id")
    external_id = cloud.get("externalId") or ""
    if not external_id and not cloud_broken:
        p.add(
            "clickhouseCloud.externalId",
            None,
            "required; set the external id ClickHouse Cloud gave you, e.g. "
            "`pulumi config set --path --secret clickhouseCloud.externalId <id>`",
        )
    elif external_id and not EXTERNAL_ID_RE.match(external_id):
        p.add(
            "clickhouseCloud.externalId",
            external_id,
            "not a valid external id; use 2-1224 letters, digits and +=,.@:/-_",
        )
    pattern = cloud.get("principalArnPattern") or f"arn:aws:iam::{vendor}:role/*-CrossplaneWorkloadRole"
    match = PRINCIPAL_PATTERN_RE.match(pattern)
    derived_from_bad_account = not vendor_ok and not cloud.get("principalArnPattern")
    if derived_from_bad_account:
        pass  # the account id's problem is already reported
    elif not match:
        p.add(
            "clickhouseCloud.principalArnPattern",
            pattern,
            "not an IAM role or user ARN pattern; use e.g. arn:aws:iam::<vendor account>:role/*-CrossplaneWorkloadRole",
        )
    elif vendor_ok and match.group(1) != vendor:
        p.add(
            "clickhouseCloud.principalArnPattern",
            pattern,
            f"names account {match.group(1)}, not clickhouseCloud.accountId {vendor}; use the vendor account",
        )
    queue = cloud.get("stateQueueArn") or None
    if queue and not SQS_ARN_RE.match(queue):
        p.add("clickhouseCloud.stateQueueArn", queue, "not an SQS queue ARN; use arn:aws:sqs:<region>:<account>:<name>")
    bucket = cloud.get("billingBucketArn") or None
    if bucket and not S3_BUCKET_ARN_RE.match(bucket):
        p.add("clickhouseCloud.billingBucketArn", bucket, "not an S3 bucket ARN; use arn:aws:s3:::<bucket name>")
    prefix = (cloud.get("billingPrefix") or f"{account_id}/{deployment_id}").strip("/")
    if not S3_PREFIX_RE.match(prefix) or "*" in prefix:
        p.add(
            "clickhouseCloud.billingPrefix",
            cloud.get("billingPrefix"),
            "not a plain S3 key prefix; use letters, digits and !_.'()/- (no wildcards)",
        )

    mode = boot.get("mode", "full")
    if mode not in BOOTSTRAP_MODES:
        p.add("bootstrap.mode", mode, "unknown mode; use full (set-up), operate (day 2) or revoked (no permissions)")
    role_name = boot.get("roleName") or naming.Names(deployment_id, account_id).aws("management")
    if not IAM_ROLE_NAME_RE.match(role_name):
        p.add("bootstrap.roleName", role_name, "not a valid IAM role name; use 1-64 letters, digits and +=,.@_-")

    until = access.get("until") or None
    if until is not None:
        instant = _utc_instant(until)
        if instant is None:
            p.add(
                "troubleshootingAccess.until",
                until,
                "not an ISO-8601 UTC time; use e.g. 2026-05-01T18:00:00Z (remove the key to end access)",
            )
            until = None
        elif instant <= now:
            p.add(
                "troubleshootingAccess.until",
                until,
                f"is in the past (now {now:%Y-%m-%dT%H:%M:%SZ}); set a future time, or remove the key to end access",
            )
            until = None
        else:
            until = instant.strftime("%Y-%m-%dT%H:%M:%SZ")

    return Iam(
        vendor_account_id=vendor,
        external_id=external_id,
        external_id_secret="clickhouseCloud" in secret_keys,
        principal_arn_pattern=pattern,
        state_queue_arn=queue,
        billing_bucket_arn=bucket,
        billing_prefix=prefix,
        role_name=role_name,
        mode=mode,
        vpc_write=boot.get("vpcWrite", True),
        iam_write=boot.get("iamWrite", True),
        kms=boot.get("kms", False),
        troubleshooting_until=until,
    )


LONG_TROUBLESHOOTING_DAYS = 30


def _iam_warnings(iam: Iam, now: datetime.datetime) -> list[str]:
    until = iam.troubleshooting_until
    if until and _utc_instant(until) - now > datetime.timedelta(days=LONG_TROUBLESHOOTING_DAYS):
        return [
            f"clickhouse-byoc:troubleshootingAccess.until: {until}: more than {LONG_TROUBLESHOOTING_DAYS} days "
            "away; time-boxed access is meant to be short: grant days, and renew when needed"
        ]
    return []


def _region(raw: Mapping[str, str], p: _Problems) -> str:
    region = raw.get("aws:region")
    if not region:
        p.add("aws:region", None, "required; run `pulumi config set aws:region us-west-2` (your region)")
    elif not REGION_RE.match(region):
        p.add("aws:region", region, "not an AWS region name; use a name such as us-west-2")
    return region or ""


def _account(raw: Mapping[str, str], p: _Problems) -> str:
    value = raw.get(f"{NS}:accountId")
    if not value:
        p.add("accountId", None, "required; run `pulumi config set accountId <your 12-digit AWS account id>`")
    elif not ACCOUNT_RE.match(value):
        p.add("accountId", value, "not a 12-digit AWS account id; use the id `aws sts get-caller-identity` shows")
    return value or ""


def _deployment_id(raw: Mapping[str, str], stack: str, p: _Problems) -> str:
    value = raw.get(f"{NS}:deploymentId")
    fix = "use 3-20 lowercase letters, digits and hyphens, starting and ending with a letter or digit"
    if value is None:
        derived = naming.deployment_id_from_stack(stack)
        if not naming.DEPLOYMENT_ID_RE.match(derived):
            p.add("deploymentId", None, f"cannot be derived from stack name {stack!r}; set it: {fix}")
        return derived
    if not naming.DEPLOYMENT_ID_RE.match(value):
        p.add("deploymentId", value, f"invalid deployment id; {fix}")
    return value


def _zones(raw: Mapping[str, str], region: str, p: _Problems) -> tuple[str, ...] | None:
    text = raw.get(f"{NS}:availabilityZones")
    if text is None:
        return None
    value = decode_value(text)
    fix = f'list exactly 3 distinct zones of {region or "aws:region"}, e.g. ["{region or "us-west-2"}a", ...]'
    if not isinstance(value, list) or not all(isinstance(z, str) for z in value):
        p.add("availabilityZones", value, f"not a list of zone names; {fix}")
        return None
    zone_re = re.compile(rf"^{re.escape(region)}[a-z]$")
    bad = [z for z in value if not zone_re.match(z)]
    if bad:
        p.add("availabilityZones", value, f"{', '.join(bad)} not a zone of {region}; {fix}")
    elif len(value) != 3 or len(set(value)) != 3:
        p.add("availabilityZones", value, f"{len(set(value))} distinct zones given; {fix}")
    return tuple(value)


def _vpc_cidr(raw: Mapping[str, str], p: _Problems) -> str:
    value = raw.get(f"{NS}:vpcCidr", DEFAULTS["vpcCidr"])
    problem = cidr.vpc_cidr_problem(value)
    if problem:
        p.add("vpcCidr", value, problem)
    return value


def _pod_cidr(raw: Mapping[str, str], p: _Problems) -> str | None:
    value = raw.get(f"{NS}:podCidr")
    if value in (None, ""):
        return None
    problem = cidr.pod_cidr_problem(value)
    if problem:
        p.add("podCidr", value, problem)
    return value


def _nat(raw: Mapping[str, str], p: _Problems) -> str:
    value = raw.get(f"{NS}:natGateways", DEFAULTS["natGateways"])
    if value not in NAT_MODES:
        p.add("natGateways", value, "unknown mode; use one-per-az (zone-resilient egress) or single (cheaper)")
    return value


def _tags(raw: Mapping[str, str], deployment_id: str, p: _Problems) -> dict[str, str]:
    text = raw.get(f"{NS}:tags")
    value = DEFAULTS["tags"] if text is None else decode_value(text)
    if not isinstance(value, dict):
        p.add("tags", value, 'not a map; set it as a map of tag key to value, e.g. {"team": "data"}')
        return {}
    mandatory = naming.mandatory_tags(deployment_id)
    tags: dict[str, str] = {}
    for key, val in value.items():
        if not isinstance(val, (str, int, float, bool)) or isinstance(val, bool):
            p.add(f"tags.{key}", val, "tag values must be strings; quote the value")
            continue
        val = str(val)
        if key.lower().startswith("aws:"):
            p.add(f"tags.{key}", val, "the aws: prefix is reserved by AWS; use another key")
        elif not 1 <= len(key) <= 128 or not TAG_CHARS_RE.match(key):
            p.add(f"tags.{key}", val, "invalid tag key; use 1-128 letters, digits, spaces and _.:/=+-@")
        elif len(val) > 256 or not TAG_CHARS_RE.match(val):
            p.add(f"tags.{key}", val, "invalid tag value; use at most 256 letters, digits, spaces and _.:/=+-@")
        elif key in mandatory and val != mandatory[key]:
            p.add(f"tags.{key}", val, f"overrides a mandatory tag (it must be {mandatory[key]!r}); remove it")
        else:
            tags[key] = val
    # 50 tags per resource; keep room for Name, the mandatory ones and Kubernetes' own.
    if len(tags) > 40:
        p.add(
            "tags", f"{len(tags)} tags", "too many; AWS allows 50 per resource and the program needs 10: use at most 40"
        )
    return tags


def _claim_name(name: str, index: int, key: str, seen: dict[str, int], p: _Problems) -> None:
    """Names of list items (peerings, services) are unique: the first holder keeps it."""
    if name in seen:
        what = key.rstrip("s")
        p.add(f"{key}[{index}].name", name, f"duplicate of {key}[{seen[name]}]; give each {what} its own name")
    else:
        seen[name] = index


def _peerings(raw: Mapping[str, str], ranges: dict[str, ipaddress.IPv4Network], p: _Problems) -> tuple[Peering, ...]:
    text = raw.get(f"{NS}:peerings")
    value = DEFAULTS["peerings"] if text is None else decode_value(text)
    if not isinstance(value, list):
        p.add("peerings", value, "not a list; set a list of {name, cidr, vpcId?, accountId?, region?} maps")
        return ()
    peerings: list[Peering] = []
    seen: dict[str, int] = {}
    taken = dict(ranges)
    for i, item in enumerate(value):
        key = f"peerings[{i}]"
        if not isinstance(item, dict):
            p.add(key, item, "not a map; use {name, cidr, vpcId?, accountId?, region?}")
            continue
        for extra in sorted(set(item) - set(PEERING_KEYS)):
            p.add(f"{key}.{extra}", item[extra], f"unknown key; use only {', '.join(PEERING_KEYS)}")
        name, block = item.get("name"), item.get("cidr")
        if not isinstance(name, str) or not PEERING_NAME_RE.match(name):
            p.add(
                f"{key}.name",
                name,
                "missing or invalid name; give a lowercase name of 1-32 letters, digits and hyphens",
            )
        else:
            _claim_name(name, i, "peerings", seen, p)
        net = cidr.parse_network(block) if isinstance(block, str) else None
        if net is None:
            p.add(
                f"{key}.cidr",
                block,
                "missing or not an IPv4 CIDR without host bits; give the peer VPC's range, e.g. 10.1.0.0/16",
            )
        else:
            clash = next((what for what, other in taken.items() if net.overlaps(other)), None)
            if clash:
                p.add(
                    f"{key}.cidr",
                    block,
                    f"overlaps {clash} ({taken[clash]}); peered ranges must not overlap: pick a disjoint range",
                )
            else:
                taken[f"peerings[{i}]"] = net
        vpc_id, account, peer_region = item.get("vpcId"), item.get("accountId"), item.get("region")
        if vpc_id is not None and not (isinstance(vpc_id, str) and VPC_ID_RE.match(vpc_id)):
            p.add(f"{key}.vpcId", vpc_id, "not a VPC id; use the peer's id, e.g. vpc-0a1b2c3d4e5f67890")
        if account is not None and not (isinstance(account, str) and ACCOUNT_RE.match(account)):
            p.add(f"{key}.accountId", account, "not a 12-digit AWS account id; quote it so leading zeros stay")
        if peer_region is not None and not (isinstance(peer_region, str) and REGION_RE.match(peer_region)):
            p.add(f"{key}.region", peer_region, "not an AWS region name; use a name such as us-east-1")
        if isinstance(name, str) and isinstance(block, str):
            peerings.append(Peering(name, block, vpc_id, account, peer_region or None))
    return tuple(peerings)


def _quantity_problem(value: Any, minimum: Decimal, smallest: str, example: str) -> str | None:
    amount = quantity.parse(value) if isinstance(value, str) else None
    if amount is None:
        return f"not a Kubernetes quantity; use e.g. {example}"
    if amount < minimum:
        return f"too small; use at least {smallest}"
    return None


def _service(item: Any, i: int, seen: dict[str, int], p: _Problems) -> ServiceConfig | None:
    key = f"services[{i}]"
    if not isinstance(item, dict):
        p.add(key, item, "not a map; use {name, shards?, replicas?, clickhouseVersion?, cpu?, memory?, ...}")
        return None
    before = len(p.lines)
    fields = dict(SERVICE_DEFAULTS)
    for name, value in item.items():
        if name not in SERVICE_FIELDS:
            close = difflib.get_close_matches(name, list(SERVICE_FIELDS), n=1)
            hint = f"did you mean {close[0]}?" if close else f"use {', '.join(SERVICE_FIELDS)}"
            p.add(f"{key}.{name}", value, f"unknown field; {hint}")
            continue
        kind = SERVICE_FIELDS[name]
        if name == "clickhouseVersion" and isinstance(value, float):
            # YAML reads an unquoted 25.10 as the number 25.1: a different, real version.
            p.add(f"{key}.{name}", value, 'a number, not a version; quote it, e.g. "25.10"')
            continue
        ok, coerced = _coerce(str(value) if kind is str and isinstance(value, (int, float)) else value, kind)
        if not ok:
            p.add(f"{key}.{name}", value, f"not {_KIND_WORDS.get(kind, kind.__name__)}; set it as one")
        else:
            fields[name] = coerced
    name = item.get("name")
    if not isinstance(name, str) or not SERVICE_NAME_RE.match(name):
        p.add(
            f"{key}.name",
            name,
            "missing or invalid service name; use a lowercase DNS label of at most 30 letters, digits and "
            "hyphens, starting with a letter",
        )
    elif name.endswith("-private"):
        p.add(
            f"{key}.name",
            name,
            "ends with -private, which would take another service's private hostname; choose another name",
        )
    else:
        _claim_name(name, i, "services", seen, p)
    if isinstance(fields["shards"], int) and not 1 <= fields["shards"] <= MAX_SHARDS:
        p.add(f"{key}.shards", fields["shards"], f"out of range; use 1-{MAX_SHARDS}")
    if isinstance(fields["replicas"], int) and not 1 <= fields["replicas"] <= MAX_REPLICAS:
        p.add(f"{key}.replicas", fields["replicas"], f"out of range; use 1-{MAX_REPLICAS} (2 or 3 spread the zones)")
    if isinstance(fields["clickhouseVersion"], str) and not CLICKHOUSE_VERSION_RE.match(fields["clickhouseVersion"]):
        p.add(
            f"{key}.clickhouseVersion",
            fields["clickhouseVersion"],
            f"not a clickhouse-server image tag; use a version such as {versions.CLICKHOUSE_VERSION}",
        )
    for field_name, minimum, smallest, example in (
        ("cpu", Decimal("0.5"), "500m", "2 or 1500m"),
        ("memory", Decimal(2**30), "1Gi", "8Gi"),
        ("cacheSize", Decimal(2**30), "1Gi", "50Gi"),
    ):
        if isinstance(fields[field_name], str):
            problem = _quantity_problem(fields[field_name], minimum, smallest, example)
            if problem:
                p.add(f"{key}.{field_name}", fields[field_name], problem)
    if len(p.lines) > before:
        return None
    return ServiceConfig(
        name=name,
        shards=fields["shards"],
        replicas=fields["replicas"],
        clickhouse_version=fields["clickhouseVersion"],
        cpu=fields["cpu"],
        memory=fields["memory"],
        cache_size=fields["cacheSize"],
        stopped=fields["stopped"],
        mysql_interface=fields["mysqlInterface"],
    )


def _allow_list(raw: Mapping[str, str], p: _Problems) -> tuple[str, ...]:
    text = raw.get(f"{NS}:ipAllowList")
    value = DEFAULTS["ipAllowList"] if text is None else decode_value(text)
    if not isinstance(value, list):
        p.add("ipAllowList", value, 'not a list; set a list of CIDRs, e.g. ["203.0.113.0/24"]')
        return ()
    out: list[str] = []
    for i, item in enumerate(value):
        try:
            net = ipaddress.ip_network(item, strict=True) if isinstance(item, str) else None
        except ValueError:
            net = None
        if net is None:
            p.add(f"ipAllowList[{i}]", item, "not a CIDR without host bits; use e.g. 203.0.113.0/24 or 198.51.100.7/32")
        elif net.version == 6 and net.prefixlen > 0:
            p.add(f"ipAllowList[{i}]", item, "an IPv6 range; the load balancers are IPv4-only: list IPv4 ranges")
        elif net.prefixlen == 0:
            p.add(
                f"ipAllowList[{i}]",
                item,
                "allows every address; list your clients' ranges, or opt out of filtering explicitly "
                "with `pulumi config set --path publicEndpoint.allowAnySource true`",
            )
        elif str(net) in out:
            p.add(f"ipAllowList[{i}]", item, "listed twice; remove the duplicate")
        else:
            out.append(str(net))
    if len(value) > MAX_ALLOW_LIST:
        p.add(
            "ipAllowList",
            f"{len(value)} CIDRs",
            f"too many; the load balancer's security group takes at most {MAX_ALLOW_LIST}: merge ranges",
        )
    return tuple(out)


def _clickhouse(raw: Mapping[str, str], p: _Problems) -> ClickHouseSettings:
    text = raw.get(f"{NS}:services")
    value = DEFAULTS["services"] if text is None else decode_value(text)
    services: list[ServiceConfig] = []
    if not isinstance(value, list):
        p.add("services", value, "not a list; set a list of {name, ...} maps, one per ClickHouse service")
    else:
        seen: dict[str, int] = {}
        for i, item in enumerate(value):
            service = _service(item, i, seen, p)
            if service is not None:
                services.append(service)
    before = len(p.lines)
    allow = _allow_list(raw, p)
    allow_list_broken = len(p.lines) > before
    # `publicEndpoint: false` is accepted as shorthand for `publicEndpoint.enabled: false`.
    shorthand = raw.get(f"{NS}:publicEndpoint")
    if shorthand is not None and shorthand.strip().lower() in ("true", "false"):
        endpoint = {**DEFAULTS["publicEndpoint"], "enabled": shorthand.strip().lower() == "true"}
    else:
        endpoint = _object(raw, "publicEndpoint", p)
    enabled, any_source = bool(endpoint.get("enabled")), bool(endpoint.get("allowAnySource"))
    # Checked whatever the services: a public gateway is never left open by omission.
    if enabled and not allow and not any_source and not allow_list_broken:
        p.add(
            "ipAllowList",
            None,
            "empty while the public endpoint is enabled; list the CIDRs your clients connect from "
            '(`pulumi config set --path "ipAllowList[0]" 203.0.113.0/24`), or turn the public endpoint off '
            "(`--path publicEndpoint.enabled false`), or accept any source explicitly "
            "(`--path publicEndpoint.allowAnySource true`)",
        )
    return ClickHouseSettings(tuple(services), allow, enabled, any_source)


IAM_ROLE_NAME_MAX = 64


def _role_name_lengths(deployment_id: str, services: tuple[ServiceConfig, ...], p: _Problems) -> None:
    """Each service gets the IAM role `ClickHouse-cloud-<id>-clickhouse-<name>` (64 chars at most)."""
    fixed = len(naming.Names(deployment_id, "").aws("clickhouse-"))
    room = IAM_ROLE_NAME_MAX - fixed
    for i, service in enumerate(services):
        if len(service.name) > room:
            p.add(
                f"services[{i}].name",
                service.name,
                f"too long for deploymentId {deployment_id!r}: its IAM role name would be "
                f"{fixed + len(service.name)} characters (AWS allows {IAM_ROLE_NAME_MAX}); use at most {room} "
                "characters, or a shorter deploymentId",
            )


def _unknown_keys(raw: Mapping[str, str], p: _Problems) -> None:
    for key in sorted(raw):
        if not key.startswith(f"{NS}:"):
            continue
        short = key[len(NS) + 1 :]
        if short not in KNOWN_KEYS:
            close = difflib.get_close_matches(short, sorted(KNOWN_KEYS), n=1)
            hint = f"did you mean {close[0]}?" if close else "see the configuration table in docs/configuration.md"
            p.add(short, raw[key], f"unknown key; {hint} (remove it with `pulumi config rm {short}`)")


def parse(
    raw: Mapping[str, str],
    stack: str,
    secret_keys: frozenset[str] = frozenset(),
    now: datetime.datetime | None = None,
) -> Settings:
    """Validates the raw configuration map; raises ConfigError listing every problem.

    `now` (default: the current UTC time) is what `troubleshootingAccess.until` must be after.
    """
    p = _Problems(secret_keys)
    _unknown_keys(raw, p)
    region = _region(raw, p)
    account_id = _account(raw, p)
    deployment_id = _deployment_id(raw, stack, p)
    zones = _zones(raw, region, p)
    vpc_cidr = _vpc_cidr(raw, p)
    pod_cidr = _pod_cidr(raw, p)
    nat = _nat(raw, p)
    tags = _tags(raw, deployment_id, p)
    dns = _dns(raw, p)
    cluster_settings = _cluster(raw, p)
    iam = _iam(raw, account_id, deployment_id, secret_keys, now or datetime.datetime.now(datetime.UTC), p)

    ranges: dict[str, ipaddress.IPv4Network] = {}
    vpc_ok = cidr.vpc_cidr_problem(vpc_cidr) is None
    pod_ok = pod_cidr is not None and cidr.pod_cidr_problem(pod_cidr) is None
    if vpc_ok:
        ranges["vpcCidr"] = ipaddress.ip_network(vpc_cidr)
    if pod_ok:
        ranges["podCidr"] = ipaddress.ip_network(pod_cidr)
    peerings = _peerings(raw, ranges, p)
    clickhouse = _clickhouse(raw, p)
    _role_name_lengths(deployment_id, clickhouse.services, p)

    if p.lines:
        raise ConfigError(p.lines)

    warnings = []
    if cluster_settings.kubernetes_version in versions.KUBERNETES_EXTENDED_SUPPORT:
        warnings.append(
            f"clickhouse-byoc:kubernetesVersion: {cluster_settings.kubernetes_version}: past EKS standard support "
            f"(extended support costs more per cluster hour); upgrade to {versions.KUBERNETES_VERSION}"
        )
    if not cluster_settings.data_protection:
        warnings.append(
            "clickhouse-byoc:dataProtection: false: pulumi destroy will delete the data, backup and monitoring "
            "buckets with everything in them; set it back to true unless this stack holds nothing you need"
        )
    if ipaddress.ip_network(vpc_cidr).prefixlen == 23 and pod_cidr is None:
        ips = cidr.plan_subnets(vpc_cidr).private.usable_total
        warnings.append(SMALL_VPC_WARNING.format(cidr=vpc_cidr, ips=ips))
    warnings += _iam_warnings(iam, now or datetime.datetime.now(datetime.UTC))

    return Settings(
        project=NS,
        stack=stack,
        region=region,
        account_id=account_id,
        deployment_id=deployment_id,
        availability_zones=zones,
        vpc_cidr=str(ipaddress.ip_network(vpc_cidr)),
        pod_cidr=str(ipaddress.ip_network(pod_cidr)) if pod_cidr else None,
        nat_gateways=nat,
        peerings=peerings,
        tags=tags,
        dns=dns,
        cluster=cluster_settings,
        iam=iam,
        clickhouse=clickhouse,
        warnings=tuple(warnings),
        secret_keys=secret_keys,
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
