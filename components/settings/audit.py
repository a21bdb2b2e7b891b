"""The audit settings: VPC flow logs, bucket access logs, the trail, and the customer's alerts when the
vendor assumes one of its roles (keys `audit`, `vendorAccessAlerts`).

Everything is on by default; switching any of it off is an explicit choice, which the policy pack's
advisory audit rules then point out (docs/policies.md). Parsed straight into the layers' `AuditSpec`
(components/audit.py) and `VendorAlertsSpec` (components/vendor_alerts.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from components.audit import AuditSpec
from components.settings import observability as _observability
from components.settings.reader import Problems, is_placeholder, read_fields, read_object
from components.vendor_alerts import VendorAlertsSpec

DEFAULTS: dict[str, Any] = {
    "audit": {
        "logRetentionDays": 365,
        "flowLogs": {"enabled": True},
        "accessLogs": {"enabled": True},
        "trail": {"mode": "create"},
    },
    "vendorAccessAlerts": {"enabled": True, "emails": []},
}
OBJECT_FIELDS: dict[str, dict[str, type]] = {
    # Nested maps are `object` here: their own reader says "not a map" and checks their fields.
    "audit": {"logRetentionDays": int, "flowLogs": object, "accessLogs": object, "trail": object},
    "vendorAccessAlerts": {"enabled": bool, "emails": list, "webhook": str},
}
REQUIRED: tuple[str, ...] = ()
OPTIONAL: tuple[str, ...] = ()

FLOW_LOG_FIELDS: dict[str, type] = {"enabled": bool, "retentionDays": int}
ACCESS_LOG_FIELDS: dict[str, type] = {"enabled": bool}
TRAIL_FIELDS: dict[str, type] = {"mode": str, "name": str}
TRAIL_MODES = ("create", "reuse", "none")

# S3 lifecycle expiration takes whole days from 1; ten years bounds a typo.
MIN_RETENTION_DAYS, MAX_RETENTION_DAYS = 1, 3650
# CloudTrail's own event history keeps 90 days of management events; less in the bucket adds nothing.
SHORT_RETENTION_DAYS = 90
# CloudTrail trail names (CreateTrail: 3-128 of letters, digits, . _ -, starting and ending with a
# letter or digit, no adjacent punctuation), or a trail ARN (an organization trail's, for example).
TRAIL_NAME_RE = re.compile(r"^(?!.*[._-]{2})[A-Za-z0-9][A-Za-z0-9._-]{1,126}[A-Za-z0-9]\Z", re.ASCII)
TRAIL_ARN_RE = re.compile(r"^arn:aws:cloudtrail:[a-z0-9-]+:\d{12}:trail/[A-Za-z0-9._-]{3,128}\Z", re.ASCII)
# Printable ASCII without `@` before it (a domain in another script is written in punycode).
EMAIL_RE = re.compile(r"^[!-?A-~]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+\Z", re.ASCII)


def _url_ok(value: str) -> bool:
    """An https URL; or the offline synth's stand-in for a value it cannot decrypt."""
    return is_placeholder(value) or bool(_observability.WEBHOOK_RE.match(value))


def _days(value: Any, key: str, default: int, p: Problems) -> int:
    if not isinstance(value, int) or not MIN_RETENTION_DAYS <= value <= MAX_RETENTION_DAYS:
        p.add(key, value, f"out of range; set a number of days, {MIN_RETENTION_DAYS}-{MAX_RETENTION_DAYS}")
        return default
    return value


def _section(value: Any, key: str, fields: Mapping[str, type], defaults: Mapping[str, Any], p: Problems) -> dict:
    """A nested map of `audit` with its own defaults (a stack's map replaces the project's whole)."""
    if not isinstance(value, dict):
        example = next(iter(fields))
        p.add(key, value, f"not a map; set its fields, e.g. `pulumi config set --path {key}.{example} ...`")
        return dict(defaults)
    return read_fields(value, key, fields, dict(defaults), p)


def parse_audit(raw: Mapping[str, str], p: Problems) -> AuditSpec:
    defaults = DEFAULTS["audit"]
    fields = read_object(raw, "audit", OBJECT_FIELDS["audit"], defaults, p)
    days = _days(fields["logRetentionDays"], "audit.logRetentionDays", defaults["logRetentionDays"], p)
    flow = _section(fields["flowLogs"], "audit.flowLogs", FLOW_LOG_FIELDS, defaults["flowLogs"], p)
    flow_days = flow.get("retentionDays", days)
    flow_days = _days(flow_days, "audit.flowLogs.retentionDays", days, p) if "retentionDays" in flow else days
    access = _section(fields["accessLogs"], "audit.accessLogs", ACCESS_LOG_FIELDS, defaults["accessLogs"], p)
    trail = _section(fields["trail"], "audit.trail", TRAIL_FIELDS, defaults["trail"], p)

    mode, name = trail.get("mode", "create"), trail.get("name") or None
    if mode not in TRAIL_MODES:
        p.add(
            "audit.trail.mode",
            mode,
            "unknown mode; use create (a multi-Region trail into the log bucket), reuse (the account's "
            "trail, named by audit.trail.name) or none",
        )
        mode = "create"
    if mode == "reuse" and name is None:
        p.add(
            "audit.trail.name",
            None,
            "required with audit.trail.mode reuse; set the name or ARN of the account's multi-Region trail",
        )
    elif mode == "reuse" and not (TRAIL_NAME_RE.match(name) or TRAIL_ARN_RE.match(name)):
        p.add(
            "audit.trail.name",
            name,
            "not a trail name or ARN; use 3-128 letters, digits and ._- (e.g. org-trail) or "
            "arn:aws:cloudtrail:<region>:<account>:trail/<name>",
        )
    elif mode != "reuse" and name is not None:
        p.add(
            "audit.trail.name",
            name,
            f"names a trail to reuse, but audit.trail.mode is {mode}; set mode reuse, or remove the name",
        )
        name = None
    return AuditSpec(
        flow_logs=bool(flow["enabled"]),
        flow_log_retention_days=flow_days,
        access_logs=bool(access["enabled"]),
        log_retention_days=days,
        trail_mode=mode,
        trail_name=name if mode == "reuse" else None,
    )


def parse_alerts(raw: Mapping[str, str], audit: AuditSpec, p: Problems) -> VendorAlertsSpec:
    defaults = DEFAULTS["vendorAccessAlerts"]
    fields = read_object(raw, "vendorAccessAlerts", OBJECT_FIELDS["vendorAccessAlerts"], defaults, p)
    emails: list[str] = []
    items = fields["emails"] if isinstance(fields["emails"], list) else []
    for i, item in enumerate(items):
        key = f"vendorAccessAlerts.emails[{i}]"
        if not isinstance(item, str) or not EMAIL_RE.match(item):
            p.add(key, item, "not an email address; use e.g. security@example.com")
        elif item.lower() in (e.lower() for e in emails):
            p.add(key, item, "listed twice; remove the duplicate")
        else:
            emails.append(item)
    webhook = fields.get("webhook") or None
    if webhook is not None and not _url_ok(webhook):
        p.add(
            "vendorAccessAlerts.webhook",
            webhook,
            "not an https:// URL; use the HTTPS endpoint that receives the events",
        )
        webhook = None
    enabled = bool(fields["enabled"])
    if enabled and audit.trail_mode == "none":
        p.add(
            "audit.trail.mode",
            "none",
            "vendorAccessAlerts needs a trail logging in every Region (EventBridge receives CloudTrail's API "
            "events only then); set audit.trail.mode create or reuse, or set vendorAccessAlerts.enabled false",
        )
    return VendorAlertsSpec(enabled=enabled, emails=tuple(emails), webhook=webhook)


def warnings(audit: AuditSpec, alerts: VendorAlertsSpec) -> list[str]:
    out = []
    if alerts.enabled and not alerts.emails and alerts.webhook is None:
        out.append(
            "clickhouse-byoc:vendorAccessAlerts: no emails and no webhook: vendor role assumptions reach the SNS "
            "topic (stack output vendor_access_topic_arn) and nobody is subscribed; add one with "
            "`pulumi config set --path 'vendorAccessAlerts.emails[0]' security@example.com`"
        )
    shortest = min(audit.log_retention_days, audit.flow_log_retention_days if audit.flow_logs else 10**6)
    if audit.log_bucket and shortest < SHORT_RETENTION_DAYS:
        out.append(
            f"clickhouse-byoc:audit.logRetentionDays: {shortest}: audit logs are kept for less than "
            f"{SHORT_RETENTION_DAYS} days (CloudTrail's own event history keeps 90); audits usually ask for a "
            "year: `pulumi config set --path audit.logRetentionDays 365`"
        )
    return out
