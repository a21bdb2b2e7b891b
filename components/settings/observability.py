"""The observability layer's settings (keys `observability`, `alerting`, `logs`, and
`troubleshootingAccess.tailscale`), parsed straight into the layer's `ObservabilitySpec` and
`TailscaleAccess` (components/observability/layer.py)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from components.observability.alerts import RECEIVER_KINDS, SEVERITIES, Receiver
from components.observability.layer import ObservabilitySpec, TailscaleAccess
from components.settings.reader import (
    NS,
    Problems,
    claim_name,
    coerce,
    decode_value,
    is_placeholder,
    kind_words,
    read_object,
)

DEFAULTS: dict[str, Any] = {
    "observability": {"enabled": True, "grafana": True, "retentionDays": 30, "downsampledRetentionDays": 365},
    "alerting": {"receivers": []},
    "logs": {"logHouse": False},
}
OBJECT_FIELDS: dict[str, dict[str, type]] = {
    "observability": {"enabled": bool, "grafana": bool, "retentionDays": int, "downsampledRetentionDays": int},
    "alerting": {"vendorWebhook": str, "receivers": list},
    "logs": {"logHouse": bool, "service": str},
}
REQUIRED: tuple[str, ...] = ()
OPTIONAL: tuple[str, ...] = ()

TAILSCALE_FIELDS: dict[str, type] = {"enabled": bool, "oauthClientId": str, "oauthClientSecret": str}
RECEIVER_FIELDS: dict[str, type] = {
    "name": str,
    "kind": str,
    "url": str,
    "routingKey": str,
    "severities": list,
    "channel": str,
}
# Tailscale's key prefixes (kb "Key prefixes"; tests/upstream/tailscale): what each kind of key starts with.
TAILSCALE_KEY_PREFIXES = {
    "tskey-api-": "API access token (tskey-api-)",
    "tskey-auth-": "auth key (tskey-auth-)",
    "tskey-client-": "OAuth client secret (tskey-client-)",
    "tskey-scim-": "SCIM key (tskey-scim-)",
    "tskey-webhook-": "webhook key (tskey-webhook-)",
}
OAUTH_CLIENT_SECRET_PREFIX = "tskey-client-"
RECEIVER_NAME_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?\Z", re.ASCII)
# An https URL in printable ASCII (a host in another script is written in punycode, xn--...).
WEBHOOK_RE = re.compile(r"^https://[!-.0-~]+(/[!-~]*)?\Z", re.ASCII)


def _url_ok(value: str) -> bool:
    """An https URL; or the offline synth's stand-in for a value it cannot decrypt."""
    return is_placeholder(value) or bool(WEBHOOK_RE.match(value))


# Raw samples: at least the 2-hour blocks the sidecars upload plus a compaction pass.
MIN_RETENTION_DAYS, MAX_RETENTION_DAYS = 2, 3650


@dataclass(frozen=True)
class ObservabilitySettings:
    """Metrics, alerts, dashboards, logs and the Tailscale troubleshooting path."""

    spec: ObservabilitySpec
    """What the observability layer installs: Grafana, retention, alert receivers (its own type)."""
    enabled: bool = True
    """Install the layer (`observability.enabled`); small test stacks switch it off."""
    log_house: bool = False
    """Ship container logs into LogHouse (`logs.logHouse`)."""
    log_house_service: str | None = None
    """The service holding the `loghouse` database (`logs.service`, default the first service)."""
    tailscale: TailscaleAccess | None = None
    """The Tailscale operator's credentials while troubleshooting access is granted with it."""


def _receivers(items: Any, p: Problems) -> tuple[tuple[Receiver, ...], dict[str, str]]:
    if not isinstance(items, list):
        p.add("alerting.receivers", items, "not a list; give a list of {name, kind, url|routingKey, severities}")
        return (), {}
    receivers, secrets, seen = [], {}, {}
    for i, item in enumerate(items):
        key = f"alerting.receivers[{i}]"
        if not isinstance(item, dict):
            p.add(key, item, "not a map; give {name, kind, url|routingKey, severities}")
            continue
        for name in item:
            if name not in RECEIVER_FIELDS:
                p.add(f"{key}.{name}", item[name], f"unknown field; use {', '.join(RECEIVER_FIELDS)}")
        name, kind = item.get("name"), item.get("kind", "webhook")
        if not isinstance(name, str) or not RECEIVER_NAME_RE.match(name):
            p.add(f"{key}.name", name, "not a lowercase name; use 1-32 letters, digits and -")
            continue
        claim_name(name, i, "alerting.receivers", seen, p)
        if kind not in RECEIVER_KINDS:
            p.add(f"{key}.kind", kind, f"unknown kind; use {', '.join(RECEIVER_KINDS)}")
            continue
        secret_field = "routingKey" if kind == "pagerduty" else "url"
        secret = item.get(secret_field)
        if not isinstance(secret, str) or not secret:
            p.add(f"{key}.{secret_field}", None, f"required for a {kind} receiver; set it (the key is a secret)")
            continue
        if secret_field == "url" and not _url_ok(secret):
            p.add(f"{key}.url", secret, "not an https:// URL; AlertManager sends alerts over HTTPS only")
            continue
        severities = item.get("severities", ["critical", "warning"])
        if not isinstance(severities, list) or not severities or any(s not in SEVERITIES for s in severities):
            p.add(f"{key}.severities", severities, f"not a list of severities; use some of {', '.join(SEVERITIES)}")
            continue
        channel = item.get("channel")
        if channel is not None and (kind != "slack" or not isinstance(channel, str)):
            p.add(f"{key}.channel", channel, "only a slack receiver has a channel; remove it")
            continue
        receivers.append(Receiver(name, kind, tuple(severities), channel))
        secrets[name] = secret
    return tuple(receivers), secrets


def _tailscale(raw: Mapping[str, str], until: str | None, p: Problems) -> TailscaleAccess | None:
    access = decode_value(raw.get(f"{NS}:troubleshootingAccess"))
    value = access.get("tailscale") if isinstance(access, dict) else None
    if value is None:
        return None
    key = "troubleshootingAccess.tailscale"
    if not isinstance(value, dict):
        p.add(key, value, "not a map; set {enabled, oauthClientId, oauthClientSecret}")
        return None
    if "authKey" in value:
        p.add(
            f"{key}.authKey",
            "[secret]",
            "the Tailscale operator joins the tailnet with an OAuth client, not an auth key; set "
            "oauthClientId and oauthClientSecret (an OAuth client with the Devices Core and Auth Keys scopes)",
        )
        return None
    fields: dict[str, Any] = {}
    for name, item in value.items():
        if name not in TAILSCALE_FIELDS:
            p.add(f"{key}.{name}", item, f"unknown field; use {', '.join(TAILSCALE_FIELDS)}")
            continue
        ok, coerced = coerce(item, TAILSCALE_FIELDS[name])
        if not ok:
            p.add(f"{key}.{name}", item, f"not {kind_words(TAILSCALE_FIELDS[name])}; set it as one")
            continue
        fields[name] = coerced
    if not fields.get("enabled", False):
        return None
    if until is None:
        p.add(
            f"{key}.enabled",
            True,
            "needs troubleshootingAccess.until (a future UTC time): Tailscale access lives only while access is"
            " granted; set until, or set enabled false",
        )
        return None
    missing = [n for n in ("oauthClientId", "oauthClientSecret") if not fields.get(n)]
    for name in missing:
        p.add(f"{key}.{name}", None, "required while tailscale is enabled; set it with `pulumi config set --secret`")
    if missing:
        return None
    before = len(p.lines)
    _tailscale_credentials(fields["oauthClientId"], fields["oauthClientSecret"], key, p)
    if len(p.lines) > before:
        return None
    return TailscaleAccess(fields["oauthClientId"], fields["oauthClientSecret"])


def _key_kind(value: str) -> str | None:
    """The kind of Tailscale key `value` is, by its documented prefix, or None."""
    return next((kind for prefix, kind in TAILSCALE_KEY_PREFIXES.items() if value.startswith(prefix)), None)


def _redacted(value: str) -> str:
    """What a problem line may show of a credential: its key prefix, never the key."""
    prefix = next((prefix for prefix in TAILSCALE_KEY_PREFIXES if value.startswith(prefix)), None)
    return f"{prefix}... (rest not shown)" if prefix else f"(not shown, {len(value)} characters)"


def _tailscale_credentials(client_id: str, secret: str, key: str, p: Problems) -> None:
    """The OAuth client's secret is a `tskey-client-` key, and its id no key at all (Tailscale's key
    prefixes). The offline synth's stand-in for an encrypted value is not checked."""
    fix = (
        "create an OAuth client (admin console > Settings > OAuth clients, scopes Devices Core and Auth Keys) and "
        f"set its secret: `pulumi config set --secret --path {key}.oauthClientSecret tskey-client-...`"
    )
    if not is_placeholder(secret) and not secret.startswith(OAUTH_CLIENT_SECRET_PREFIX):
        kind = _key_kind(secret)
        what = (
            f"a Tailscale {kind}"
            if kind
            else f"not a Tailscale OAuth client secret (those start with {OAUTH_CLIENT_SECRET_PREFIX})"
        )
        if kind:
            what += f", not an OAuth client secret (those start with {OAUTH_CLIENT_SECRET_PREFIX})"
        p.add(f"{key}.oauthClientSecret", _redacted(secret), f"{what}; {fix}")
    if not is_placeholder(client_id) and _key_kind(client_id):
        p.add(
            f"{key}.oauthClientId",
            _redacted(client_id),
            f"a Tailscale {_key_kind(client_id)}, not an OAuth client's id; set the id the admin console shows "
            f"next to the client, and keep the key out of this field (rotate it if it was committed)",
        )


def parse(
    raw: Mapping[str, str], service_names: tuple[str, ...], troubleshooting_until: str | None, p: Problems
) -> ObservabilitySettings:
    obs = read_object(raw, "observability", OBJECT_FIELDS["observability"], DEFAULTS["observability"], p)
    alerting = read_object(raw, "alerting", OBJECT_FIELDS["alerting"], DEFAULTS["alerting"], p)
    logs = read_object(raw, "logs", OBJECT_FIELDS["logs"], DEFAULTS["logs"], p)

    raw_days, down_days = obs["retentionDays"], obs["downsampledRetentionDays"]
    if not isinstance(raw_days, int) or not MIN_RETENTION_DAYS <= raw_days <= MAX_RETENTION_DAYS:
        p.add("observability.retentionDays", raw_days, f"out of range; set {MIN_RETENTION_DAYS}-{MAX_RETENTION_DAYS}")
        raw_days = DEFAULTS["observability"]["retentionDays"]
    if not isinstance(down_days, int) or not raw_days <= down_days <= MAX_RETENTION_DAYS:
        p.add(
            "observability.downsampledRetentionDays",
            down_days,
            f"must be at least observability.retentionDays ({raw_days}) and at most {MAX_RETENTION_DAYS} (Thanos"
            f" reads the downsampled data for long ranges); set {raw_days}-{MAX_RETENTION_DAYS}",
        )
        down_days = max(raw_days, DEFAULTS["observability"]["downsampledRetentionDays"])

    webhook = alerting.get("vendorWebhook") or None
    if webhook is not None and not _url_ok(webhook):
        p.add("alerting.vendorWebhook", webhook, "not an https:// URL; use the webhook URL the vendor gave you")
        webhook = None
    receivers, receiver_secrets = _receivers(alerting["receivers"], p)

    log_house = bool(logs["logHouse"])
    service = logs.get("service") or (service_names[0] if service_names else None)
    if log_house and not obs["enabled"]:
        p.add(
            "logs.logHouse",
            True,
            "needs observability.enabled true (Fluent Bit is part of that layer); turn the layer on, or set"
            " logs.logHouse false",
        )
    elif log_house and service is None:
        p.add("logs.logHouse", True, "needs a ClickHouse service to hold the loghouse database; add a service")
    elif log_house and service not in service_names:
        p.add("logs.service", service, f"not a configured service; use one of {', '.join(service_names)}")
        service = None

    return ObservabilitySettings(
        spec=ObservabilitySpec(
            grafana=bool(obs["grafana"]),
            retention_raw_days=raw_days,
            retention_downsampled_days=down_days,
            vendor_webhook=webhook,
            receivers=receivers,
            receiver_secrets=receiver_secrets,
        ),
        enabled=bool(obs["enabled"]),
        log_house=log_house,
        log_house_service=service if log_house else None,
        tailscale=_tailscale(raw, troubleshooting_until, p),
    )


def warnings(settings: ObservabilitySettings) -> list[str]:
    if settings.enabled and settings.spec.vendor_webhook is None:
        return [
            "clickhouse-byoc:alerting.vendorWebhook: (not set): alerts reach no vendor; set the webhook URL the"
            " vendor gave you with `pulumi config set --secret --path alerting.vendorWebhook` (it asks for the URL)"
        ]
    return []
