"""The services layer's settings: ClickHouse services and how clients reach them
(keys `services`, `ipAllowList`, `publicEndpoint`).

Parsed straight into the layer's types: `ServicesSpec` (components/services.py), one
`ClickHouseServiceSpec` per service (components/clickhouse_specs.py) with its `BackupSpec` and
`RestoreSpec` (components/backup.py).
"""

from __future__ import annotations

import difflib
import hashlib
import ipaddress
import math
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from components import ingress, naming, quantity, versions
from components.backup import BackupSpec, RestoreSpec
from components.clickhouse_specs import VOLUME_HEADROOM, ClickHouseServiceSpec
from components.services import ServicesSpec
from components.settings import aws, cron
from components.settings.reader import NS, Problems, claim_name, coerce, kind_words, read_fields, read_list, read_object

DEFAULTS: dict[str, Any] = {
    "services": [],
    "ipAllowList": [],
    "publicEndpoint": {"enabled": True, "allowAnySource": False},
}
OBJECT_FIELDS: dict[str, dict[str, type]] = {"publicEndpoint": {"enabled": bool, "allowAnySource": bool}}
REQUIRED: tuple[str, ...] = ()
OPTIONAL: tuple[str, ...] = ()

# The fields a `services` entry accepts, with their defaults and types.
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
SERVICE_FIELDS: dict[str, type] = {
    "name": str,
    **{k: type(v) for k, v in SERVICE_DEFAULTS.items()},
    "mysqlPort": int,
    "backup": dict,
    "restoreFrom": dict,
}
# `services[i].backup`: scheduled native backups into the backup bucket (components/backup.py).
BACKUP_DEFAULTS: dict[str, Any] = {"enabled": True, "schedule": "0 2 * * *", "retentionDays": 7, "fullEveryDays": 7}
BACKUP_FIELDS: dict[str, type] = {k: type(v) for k, v in BACKUP_DEFAULTS.items()}
RESTORE_FIELDS: dict[str, type] = {"service": str, "backup": str}
MAX_RETENTION_DAYS = 3650
# A backup's name as the backup job writes it: its UTC start time and whether it is full or incremental.
BACKUP_NAME_RE = re.compile(r"^\d{8}T\d{6}Z-(full|incr)\Z", re.ASCII)
# A DNS label, also a valid ClickHouseInstallation and Kubernetes name; 30 characters keep
# `<name>-private.<zone>` and the operator's `chi-<name>-...` pod names within their limits.
SERVICE_NAME_RE = re.compile(r"^[a-z]([a-z0-9-]{0,28}[a-z0-9])?\Z", re.ASCII)
CLICKHOUSE_VERSION_RE = re.compile(r"^\d+\.\d+(\.\d+){0,2}(-[a-z]+)?\Z", re.ASCII)
MAX_SHARDS, MAX_REPLICAS = 32, 5
IAM_ROLE_NAME_MAX = 64
# The gateway port of a service's MySQL interface, unless `mysqlPort` names one: derived from the
# service's name alone, so adding, removing or reordering other services never moves it.
MYSQL_PORT_FIRST, MYSQL_PORT_COUNT = 13000, 1000
# Unprivileged ports only: the gateway pods bind below 1024 only through the chart's default
# `ip_unprivileged_port_start` sysctl, which any pod securityContext of ours would replace.
MYSQL_PORT_MIN, MYSQL_PORT_MAX = 1024, 65535
# "Listeners per Network Load Balancer" (Elastic Load Balancing quotas; 50, not adjustable): every
# gateway Service port is a listener of its NLB (tests/upstream/aws-docs/nlb-quotas.md).
NLB_LISTENERS_MAX = 50


def derived_mysql_port(name: str) -> int:
    """A service's MySQL port when `mysqlPort` is not set: 13000 + (the first 4 bytes of SHA-256 of its
    name, big-endian) mod 1000 (docs/configuration.md shows the same formula as a shell line)."""
    digest = hashlib.sha256(name.encode()).digest()
    return MYSQL_PORT_FIRST + int.from_bytes(digest[:4], "big") % MYSQL_PORT_COUNT


def reserved_ports() -> dict[int, str]:
    """Gateway ports a MySQL port may not take, and whose they are."""
    out = {ingress.HTTPS_PORT: "the gateways' HTTPS port", ingress.NATIVE_TLS_PORT: "the gateways' native TLS port"}
    for port in ingress.ISTIO_PROXY_PORTS:
        out.setdefault(port, "a port Istio's proxy uses on the gateway pods")
    return out


def parse(raw: Mapping[str, str], p: Problems) -> ServicesSpec:
    value = read_list(raw, "services", DEFAULTS["services"])
    services: list[ClickHouseServiceSpec] = []
    if not isinstance(value, list):
        p.add("services", value, "not a list; set a list of {name, ...} maps, one per ClickHouse service")
    else:
        seen: dict[str, int] = {}
        for i, item in enumerate(value):
            service = _service(item, i, seen, p)
            if service is not None:
                services.append(service)
        _restores(value, services, p)
        _mysql_ports(value, services, p)
    before = len(p.lines)
    allow = _allow_list(raw, p)
    allow_list_broken = len(p.lines) > before
    # `publicEndpoint: false` is accepted as shorthand for `publicEndpoint.enabled: false`.
    shorthand = raw.get(f"{NS}:publicEndpoint")
    if shorthand is not None and shorthand.strip().lower() in ("true", "false"):
        endpoint = {**DEFAULTS["publicEndpoint"], "enabled": shorthand.strip().lower() == "true"}
    else:
        endpoint = read_object(raw, "publicEndpoint", OBJECT_FIELDS["publicEndpoint"], DEFAULTS["publicEndpoint"], p)
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
    return ServicesSpec(tuple(services), allow, enabled, any_source)


def role_name_lengths(deployment_id: str, services: tuple[ClickHouseServiceSpec, ...], p: Problems) -> None:
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


def _quantity_problem(value: Any, minimum: Decimal, smallest: str, example: str) -> str | None:
    amount = quantity.parse(value) if isinstance(value, str) else None
    if amount is None:
        return f"not a Kubernetes quantity; use e.g. {example}"
    if amount < minimum:
        return f"too small; use at least {smallest}"
    return None


def _volume_problem(cache_size: str) -> str | None:
    """The server's volume (cache plus headroom, whole GiB as the EBS CSI driver asks for it) must be a
    size EC2's CreateVolume takes for the StorageClass's gp3."""
    headroom_gib = VOLUME_HEADROOM // aws.GIB
    gib = math.ceil((quantity.to_bytes(cache_size) + VOLUME_HEADROOM) / aws.GIB)
    _, largest = aws.volume_size_gib("gp3")
    if gib <= largest:
        return None
    return (
        f"the server's volume (cacheSize + {headroom_gib} GiB) would be {gib} GiB, and EBS gp3 volumes take at most "
        f"{largest} GiB (EC2 CreateVolume); use at most {largest - headroom_gib}Gi"
    )


def _service(item: Any, i: int, seen: dict[str, int], p: Problems) -> ClickHouseServiceSpec | None:
    key = f"services[{i}]"
    if not isinstance(item, dict):
        p.add(key, item, "not a map; use {name, shards?, replicas?, clickhouseVersion?, cpu?, memory?, ...}")
        return None
    before = len(p.lines)
    fields = dict(SERVICE_DEFAULTS)
    for name, value in item.items():
        if name in ("backup", "restoreFrom"):
            continue
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
        ok, coerced = coerce(str(value) if kind is str and isinstance(value, (int, float)) else value, kind)
        if not ok:
            p.add(f"{key}.{name}", value, f"not {kind_words(kind)}; set it as one")
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
        claim_name(name, i, "services", seen, p)
    if isinstance(fields["shards"], int) and not 1 <= fields["shards"] <= MAX_SHARDS:
        p.add(f"{key}.shards", fields["shards"], f"out of range; use 1-{MAX_SHARDS}")
    _mysql_port_field(fields, key, p)
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
            if problem is None and field_name == "cacheSize":
                problem = _volume_problem(fields[field_name])
            if problem:
                p.add(f"{key}.{field_name}", fields[field_name], problem)
    backup = _backup(item.get("backup"), key, p)
    restore = _restore_from(item.get("restoreFrom"), key, name, p)
    if len(p.lines) > before:
        return None
    return ClickHouseServiceSpec(
        name=name,
        shards=fields["shards"],
        replicas=fields["replicas"],
        clickhouse_version=fields["clickhouseVersion"],
        cpu=fields["cpu"],
        memory=fields["memory"],
        cache_size=fields["cacheSize"],
        stopped=fields["stopped"],
        mysql_interface=fields["mysqlInterface"],
        mysql_port=(fields.get("mysqlPort") or derived_mysql_port(name)) if fields["mysqlInterface"] else None,
        backup=backup,
        restore=restore,
    )


def _sub_object(value: Any, key: str, fields: Mapping[str, type], defaults: Mapping[str, Any], p: Problems):
    """A map field of a list item: field defaults applied; non-maps, unknown fields and wrong types reported."""
    out: dict[str, Any] = dict(defaults)
    if value is None:
        return out
    if not isinstance(value, dict):
        p.add(key, value, f"not a map; use {{{', '.join(fields)}}}")
        return None
    return read_fields(value, key, fields, out, p)


def _backup_spec(fields: Mapping[str, Any]) -> BackupSpec:
    return BackupSpec(fields["enabled"], fields["schedule"], fields["retentionDays"], fields["fullEveryDays"])


def _backup(value: Any, key: str, p: Problems) -> BackupSpec:
    before = len(p.lines)
    fields = _sub_object(value, f"{key}.backup", BACKUP_FIELDS, BACKUP_DEFAULTS, p)
    if fields is None or len(p.lines) > before:
        return _backup_spec(BACKUP_DEFAULTS)
    problem = cron.schedule_problem(fields["schedule"])
    if problem:
        p.add(f"{key}.backup.schedule", fields["schedule"], problem)
    if not 1 <= fields["retentionDays"] <= MAX_RETENTION_DAYS:
        p.add(f"{key}.backup.retentionDays", fields["retentionDays"], f"out of range; use 1-{MAX_RETENTION_DAYS} days")
    if not 1 <= fields["fullEveryDays"] <= 31:
        p.add(
            f"{key}.backup.fullEveryDays",
            fields["fullEveryDays"],
            "out of range; use 1-31 days (1: every backup is a full one)",
        )
    return _backup_spec(fields)


def _restore_from(value: Any, key: str, name: Any, p: Problems) -> RestoreSpec | None:
    if value is None:
        return None
    before = len(p.lines)
    fields = _sub_object(value, f"{key}.restoreFrom", RESTORE_FIELDS, {"backup": "latest"}, p)
    if fields is None or len(p.lines) > before:
        return None
    source, backup = fields.get("service"), fields["backup"]
    if not isinstance(source, str) or not SERVICE_NAME_RE.match(source):
        p.add(
            f"{key}.restoreFrom.service",
            source,
            "missing or not a service name; name the service whose backups to restore, e.g. analytics",
        )
    elif source == name:
        p.add(
            f"{key}.restoreFrom.service",
            source,
            "is this service itself; restore into a new service (a new services entry) and compare before switching",
        )
    if backup != "latest" and not BACKUP_NAME_RE.match(backup):
        p.add(
            f"{key}.restoreFrom.backup",
            backup,
            "not a backup name; use latest or a name the backup job wrote, e.g. 20260102T030405Z-full",
        )
    if len(p.lines) > before:
        return None
    return RestoreSpec(source, backup)


def _restores(items: list[Any], services: list[ClickHouseServiceSpec], p: Problems) -> None:
    """A restore reads backups that exist, into servers that run: its source is a service of this stack,
    or a removed one named with the backup to restore (which `latest` could not tell from a typo); its
    target is not stopped (the Job waits for every server, and a stopped service has none)."""
    names = [item["name"] for item in items if isinstance(item, dict) and isinstance(item.get("name"), str)]
    index = {name: i for i, name in reversed(list(enumerate(names)))}
    for service in services:
        restore, i = service.restore, index[service.name]
        if restore is None:
            continue
        key = f"services[{i}]"
        if service.stopped:
            p.add(
                f"{key}.stopped",
                True,
                f"{key}.restoreFrom restores once every server answers, and a stopped service has none (its Job "
                "would fail after pulumi up reported success); set stopped false until the restore is done, or remove "
                "restoreFrom (a finished restore needs it no longer)",
            )
        elif restore.source not in index and restore.backup == "latest":
            close = difflib.get_close_matches(restore.source, names, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            p.add(
                f"{key}.restoreFrom.service",
                restore.source,
                f"not a service of this stack{hint}; name one of {', '.join(names)}, or, to restore a removed "
                f"service's backups, set {key}.restoreFrom.backup to the one to restore (`aws s3 ls "
                f"s3://<backup bucket>/{restore.source}/` lists them)",
            )


def _mysql_port_field(fields: Mapping[str, Any], key: str, p: Problems) -> None:
    """An explicit `mysqlPort`: with the interface on, a port the NLBs and the gateway pods can take."""
    port = fields.get("mysqlPort")
    if port is None:
        return
    if not fields["mysqlInterface"]:
        p.add(
            f"{key}.mysqlPort",
            port,
            f"does nothing while {key}.mysqlInterface is false; set mysqlInterface true, or remove mysqlPort",
        )
    elif not MYSQL_PORT_MIN <= port <= MYSQL_PORT_MAX:
        p.add(
            f"{key}.mysqlPort",
            port,
            f"out of range; use {MYSQL_PORT_MIN}-{MYSQL_PORT_MAX} (e.g. 3306), or remove it for the port derived "
            "from the service's name",
        )
    elif port in reserved_ports():
        p.add(f"{key}.mysqlPort", port, f"is {reserved_ports()[port]}; choose another port, e.g. 3306")


def _mysql_ports(items: list[Any], services: list[ClickHouseServiceSpec], p: Problems) -> None:
    """Every MySQL port is one service's: a port that two services would take is refused, and the fix
    names the one to give an explicit port (never moving a deployed service's)."""
    names = [item.get("name") if isinstance(item, dict) else None for item in items]
    index = {name: i for i, name in reversed(list(enumerate(names))) if isinstance(name, str)}
    with_mysql = [s for s in services if s.mysql_port is not None]
    # The status, HTTPS and native TLS ports are listeners too.
    room = NLB_LISTENERS_MAX - len(ingress.gateway_ports([]))
    if len(with_mysql) > room:
        p.add(
            f"services[{index[with_mysql[room].name]}].mysqlInterface",
            True,
            f"{len(with_mysql)} services with the MySQL interface would give each load balancer "
            f"{NLB_LISTENERS_MAX - room + len(with_mysql)} listeners (one per MySQL port besides 15021, 8443 and "
            f'9440), over the Network Load Balancer quota "Listeners per Network Load Balancer" of '
            f"{NLB_LISTENERS_MAX} (not adjustable); expose at most {room} services over MySQL",
        )
    taken: dict[int, ClickHouseServiceSpec] = {}
    used = {s.mysql_port for s in with_mysql} | {derived_mysql_port(s.name) for s in services}
    for service in with_mysql:
        holder = taken.get(service.mysql_port)
        if holder is None:
            taken[service.mysql_port] = service
            continue
        free = next(
            (
                n
                for n in range(service.mysql_port + 1, MYSQL_PORT_MAX + 1)
                if n not in used and n not in reserved_ports()
            ),
            MYSQL_PORT_MIN,
        )
        i, j = index[holder.name], index[service.name]
        p.add(
            f"services[{j}].mysqlPort",
            service.mysql_port,
            f"services[{i}] ({holder.name}) and services[{j}] ({service.name}) would both take MySQL port "
            f"{service.mysql_port} (an explicit mysqlPort, or the port derived from the name); give the one you are "
            f"adding its own services[].mysqlPort, e.g. {free} (a deployed service keeps its port)",
        )


def _allow_list(raw: Mapping[str, str], p: Problems) -> tuple[str, ...]:
    value = read_list(raw, "ipAllowList", DEFAULTS["ipAllowList"])
    if not isinstance(value, list):
        p.add("ipAllowList", value, 'not a list; set a list of CIDRs, e.g. ["203.0.113.0/24"]')
        return ()
    out: list[str] = []
    for i, item in enumerate(value):
        try:
            # IPv4 and IPv6 alike, so an IPv6 range gets its own message.
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
    # How many fit the load balancer's security group: components/settings/quotas.py.
    return tuple(out)
