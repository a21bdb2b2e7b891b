"""Audit settings: audit.* and vendorAccessAlerts, their defaults, each rejection and the warnings."""

from __future__ import annotations

import json

import pytest

from components.audit import AuditLogArgs, AuditSpec
from components.settings import SECRET_PLACEHOLDER, ConfigError, parse
from components.vendor_alerts import VendorAlertsSpec
from tests.conftest import raw_config
from tests.settings_cases import assert_one_problem

K = "clickhouse-byoc"


def test_defaults_are_on():
    s = parse(raw_config({"vendorAccessAlerts": None}), "dev")
    a, alerts = s.audit, s.vendor_access_alerts
    # Parsed straight into the layers' own specs: nothing copies them field by field.
    assert (type(a), type(alerts)) == (AuditSpec, VendorAlertsSpec)
    assert (a.flow_logs, a.access_logs, a.trail_mode, a.trail_name) == (True, True, "create", None)
    assert (a.log_retention_days, a.flow_log_retention_days) == (365, 365)
    assert (alerts.enabled, alerts.emails, alerts.webhook) == (True, (), None)
    # On with nobody subscribed: a warning, with the command that subscribes someone.
    (warning,) = [w for w in s.warnings if "vendorAccessAlerts" in w]
    assert "vendorAccessAlerts.emails[0]" in warning


def test_the_log_layer_builds_what_its_spec_and_the_stack_call_for():
    s = parse(raw_config(), "dev")

    def args(spec: AuditSpec, cluster: bool = True, alerts: bool = True) -> AuditLogArgs:
        rule = "arn:aws:events:us-west-2:123456789012:rule/x" if alerts else None
        return AuditLogArgs(s.names, s.account_id, s.region, (), spec, cluster=cluster, alert_rule_arn=rule)

    full = args(s.audit)
    assert (full.flow_logs, full.trail, full.key, full.bucket, full.needed) == (True, True, True, True, True)
    assert set(full.access_log_sources) == {"data", "backup", "monitoring"}
    # A bootstrap-only stack has no VPC or buckets: the trail (and its bucket) and the key only.
    only = args(s.audit, cluster=False)
    assert (only.flow_logs, only.access_log_sources, only.trail, only.key, only.bucket) == (False, {}, True, True, True)
    off = AuditSpec(False, 365, False, 365, "none", None)
    # The alerts alone need the key (their topic), not the bucket.
    alerts_only = args(off, alerts=True)
    assert (alerts_only.key, alerts_only.bucket) == (True, False)
    assert args(off, alerts=False).needed is False


def test_a_nested_map_keeps_its_own_defaults():
    # A stack's `audit` replaces the project's map whole: fields it leaves out take their defaults.
    a = parse(raw_config({"audit": '{"flowLogs": {"retentionDays": 90}}'}), "dev").audit
    assert (a.flow_logs, a.flow_log_retention_days, a.access_logs, a.trail_mode, a.log_retention_days) == (
        True,
        90,
        True,
        "create",
        365,
    )
    a = parse(raw_config({"audit": '{"logRetentionDays": 400}'}), "dev").audit
    assert a.flow_log_retention_days == 400  # flow logs follow logRetentionDays unless set


def test_reuse_names_the_trail_and_off_is_explicit():
    reuse = {"audit": '{"trail": {"mode": "reuse", "name": "org-trail"}}'}
    assert parse(raw_config(reuse), "dev").audit.trail_name == "org-trail"
    arn = "arn:aws:cloudtrail:us-east-1:210987654321:trail/org-trail"
    a = parse(raw_config({"audit": json.dumps({"trail": {"mode": "reuse", "name": arn}})}), "dev").audit
    assert (a.trail_mode, a.trail_name, a.log_bucket) == ("reuse", arn, True)
    off = {
        "audit": '{"flowLogs": {"enabled": false}, "accessLogs": {"enabled": false}, "trail": {"mode": "none"}}',
        "vendorAccessAlerts": '{"enabled": false}',
    }
    s = parse(raw_config(off), "dev")
    assert s.audit.log_bucket is False and s.vendor_access_alerts.enabled is False
    assert not [w for w in s.warnings if "vendorAccessAlerts" in w or "audit" in w]


def test_a_short_retention_warns():
    s = parse(raw_config({"audit": '{"flowLogs": {"retentionDays": 30}}'}), "dev")
    (warning,) = [w for w in s.warnings if "audit" in w]
    assert warning.startswith(f"{K}:audit.logRetentionDays: 30: ") and "365" in warning


def test_emails_and_webhook():
    alerts = {"emails": ["sec@acme.example", "soc@acme.example"], "webhook": "https://hooks.acme.example/x/T0KEN"}
    s = parse(raw_config({"vendorAccessAlerts": json.dumps(alerts)}), "dev", frozenset({"vendorAccessAlerts"}))
    assert s.vendor_access_alerts.emails == ("sec@acme.example", "soc@acme.example")
    assert s.vendor_access_alerts.webhook == alerts["webhook"]
    assert not [w for w in s.warnings if "vendorAccessAlerts" in w]
    # Offline synth stands in a placeholder for an encrypted webhook.
    placeholder = {"vendorAccessAlerts": json.dumps({"webhook": SECRET_PLACEHOLDER})}
    assert parse(raw_config(placeholder), "dev").vendor_access_alerts.webhook == SECRET_PLACEHOLDER


def test_a_secret_webhook_is_never_echoed():
    raw = raw_config({"vendorAccessAlerts": json.dumps({"webhook": "http://hooks.example/T0KEN"})})
    with pytest.raises(ConfigError) as err:
        parse(raw, "dev", frozenset({"vendorAccessAlerts"}))
    (line,) = err.value.problems
    assert "T0KEN" not in line and "[secret]" in line


@pytest.mark.parametrize(
    ("values", "key", "words"),
    [
        ({"audit": '{"logRetentionDays": 0}'}, "audit.logRetentionDays", "out of range"),
        ({"audit": '{"logRetentionDays": 4000}'}, "audit.logRetentionDays", "1-3650"),
        ({"audit": '{"logRetentionDays": "a year"}'}, "audit.logRetentionDays", "not a whole number"),
        ({"audit": '{"flowLogs": {"retentionDays": -1}}'}, "audit.flowLogs.retentionDays", "out of range"),
        ({"audit": '{"flowLogs": {"enabeld": false}}'}, "audit.flowLogs.enabeld", "did you mean enabled?"),
        ({"audit": '{"flowLogs": true}'}, "audit.flowLogs", "not a map"),
        ({"audit": '{"accessLogs": {"enabled": "sometimes"}}'}, "audit.accessLogs.enabled", "not true or false"),
        ({"audit": '{"trail": {"mode": "off"}}'}, "audit.trail.mode", "unknown mode; use create"),
        ({"audit": '{"trail": {"mode": "reuse"}}'}, "audit.trail.name", "required with audit.trail.mode reuse"),
        (
            {"audit": '{"trail": {"mode": "reuse", "name": "my trail"}}'},
            "audit.trail.name",
            "not a trail name or ARN",
        ),
        ({"audit": '{"trail": {"mode": "reuse", "name": "a--b"}}'}, "audit.trail.name", "not a trail name"),
        ({"audit": '{"trail": {"name": "org-trail"}}'}, "audit.trail.name", "audit.trail.mode is create"),
        ({"audit": '{"trail": {"mode": "none"}}'}, "audit.trail.mode", "vendorAccessAlerts needs a trail"),
        ({"audit": '{"flowlogs": {}}'}, "audit.flowlogs", "did you mean flowLogs?"),
        ({"vendorAccessAlerts": '{"emails": ["security"]}'}, "vendorAccessAlerts.emails[0]", "not an email address"),
        (
            {"vendorAccessAlerts": '{"emails": ["a@acme.example", "A@acme.example"]}'},
            "vendorAccessAlerts.emails[1]",
            "listed twice",
        ),
        ({"vendorAccessAlerts": '{"emails": "a@acme.example"}'}, "vendorAccessAlerts.emails", "not a list"),
        ({"vendorAccessAlerts": '{"webhook": "http://x.example/"}'}, "vendorAccessAlerts.webhook", "not an https"),
        ({"vendorAccessAlerts": '{"enabled": "yes"}'}, "vendorAccessAlerts.enabled", "not true or false"),
    ],
)
def test_rejections(values, key, words):
    assert_one_problem(values, f"{K}:{key}", words)
