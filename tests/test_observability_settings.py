"""Observability settings: observability, alerting, logs, troubleshootingAccess.tailscale."""

from __future__ import annotations

import json

import pytest

from components.observability.alerts import Receiver
from components.observability.layer import ObservabilitySpec
from components.settings import SECRET_PLACEHOLDER, ConfigError, parse
from tests.conftest import raw_config
from tests.settings_cases import assert_one_problem

K = "clickhouse-byoc"
HOOK = "https://alerts.vendor.example/byoc/test"
SERVICES = '[{"name": "analytics"}, {"name": "logs"}]'
UNTIL = "2999-01-01T00:00:00Z"


def test_defaults():
    obs = parse(raw_config(), "dev").observability
    # Parsed straight into the layer's own spec: nothing copies it field by field.
    assert type(obs.spec) is ObservabilitySpec
    assert obs.enabled is True
    assert obs.spec == ObservabilitySpec(
        grafana=True, retention_raw_days=30, retention_downsampled_days=365, vendor_webhook=HOOK
    )
    assert (obs.log_house, obs.log_house_service, obs.tailscale) == (False, None, None)


def test_switched_off():
    obs = parse(raw_config({"observability": '{"enabled": false}'}), "dev").observability
    assert obs.enabled is False


def test_receivers_keep_routing_apart_from_their_secrets():
    alerting = {
        "vendorWebhook": HOOK,
        "receivers": [
            {"name": "ops", "kind": "slack", "url": "https://hooks.slack.example/T0/B0/x", "channel": "#ops"},
            {"name": "oncall", "kind": "pagerduty", "routingKey": "R0UT1NGKEY", "severities": ["critical"]},
        ],
    }
    obs = parse(raw_config({"alerting": json.dumps(alerting)}), "dev", frozenset({"alerting"})).observability
    assert obs.spec.receivers == (
        Receiver("ops", "slack", ("critical", "warning"), "#ops"),
        Receiver("oncall", "pagerduty", ("critical",), None),
    )
    assert obs.spec.receiver_secrets == {"ops": "https://hooks.slack.example/T0/B0/x", "oncall": "R0UT1NGKEY"}


def test_no_vendor_webhook_is_a_warning_not_an_error():
    s = parse(raw_config({"alerting": None}), "dev")
    assert s.observability.spec.vendor_webhook is None
    assert any(w.startswith(f"{K}:alerting.vendorWebhook: (not set): alerts reach no vendor") for w in s.warnings)
    off = raw_config({"alerting": None, "observability": '{"enabled": false}'})
    assert not parse(off, "dev", frozenset({"clickhouseCloud"})).warnings


def test_a_bootstrap_only_stack_is_not_warned_about_alerts():
    raw = raw_config({"alerting": None, "bootstrap": '{"only": true}'})
    warnings = parse(raw, "dev", frozenset({"clickhouseCloud"})).warnings
    assert not [w for w in warnings if "alerting.vendorWebhook" in w]


def test_offline_placeholder_stands_in_for_an_encrypted_webhook():
    raw = raw_config({"alerting": json.dumps({"vendorWebhook": SECRET_PLACEHOLDER})})
    assert parse(raw, "dev", frozenset({"alerting"})).observability.spec.vendor_webhook == SECRET_PLACEHOLDER


def test_log_house_defaults_to_the_first_service():
    obs = parse(raw_config({"services": SERVICES, "logs": '{"logHouse": true}'}), "dev").observability
    assert (obs.log_house, obs.log_house_service) == (True, "analytics")
    obs = parse(
        raw_config({"services": SERVICES, "logs": '{"logHouse": true, "service": "logs"}'}), "dev"
    ).observability
    assert obs.log_house_service == "logs"


def test_tailscale_exists_only_with_granted_access():
    access = {
        "until": UNTIL,
        "tailscale": {"enabled": True, "oauthClientId": "k1", "oauthClientSecret": "tskey-client-k1-s1"},
    }
    obs = parse(raw_config({"troubleshootingAccess": json.dumps(access)}), "dev").observability
    assert (obs.tailscale.client_id, obs.tailscale.client_secret) == ("k1", "tskey-client-k1-s1")
    access["tailscale"]["enabled"] = False
    assert parse(raw_config({"troubleshootingAccess": json.dumps(access)}), "dev").observability.tailscale is None


@pytest.mark.parametrize(
    ("values", "key", "words"),
    [
        ({"observability": '{"retentionDays": 1}'}, "observability.retentionDays", "out of range; set 2-3650"),
        (
            {"observability": '{"retentionDays": 90, "downsampledRetentionDays": 30}'},
            "observability.downsampledRetentionDays",
            "must be at least observability.retentionDays (90)",
        ),
        ({"observability": '{"enable": false}'}, "observability.enable", "unknown field; did you mean enabled?"),
        ({"alerting": '{"vendorWebhook": "http://alerts.example/x"}'}, "alerting.vendorWebhook", "not an https:// URL"),
        (
            {"alerting": '{"receivers": [{"name": "a", "kind": "email", "url": "https://x.example/"}]}'},
            "alerting.receivers[0].kind",
            "unknown kind; use webhook, slack, pagerduty",
        ),
        (
            {"alerting": '{"receivers": [{"name": "a", "kind": "pagerduty"}]}'},
            "alerting.receivers[0].routingKey",
            "required for a pagerduty receiver",
        ),
        (
            {"alerting": '{"receivers": [{"name": "a", "url": "https://x.example/", "severities": ["page"]}]}'},
            "alerting.receivers[0].severities",
            "not a list of severities",
        ),
        (
            {"alerting": '{"receivers": [{"name": "a", "url": "https://x.example/", "channel": "#c"}]}'},
            "alerting.receivers[0].channel",
            "only a slack receiver has a channel",
        ),
        (
            {
                "alerting": '{"receivers": [{"name": "a", "url": "https://x.example/"},'
                ' {"name": "a", "url": "https://y.example/"}]}'
            },
            "alerting.receivers[1].name",
            "duplicate of alerting.receivers[0]",
        ),
        ({"logs": '{"logHouse": true}'}, "logs.logHouse", "needs a ClickHouse service"),
        (
            {"services": SERVICES, "logs": '{"logHouse": true, "service": "nope"}'},
            "logs.service",
            "not a configured service; use one of analytics, logs",
        ),
        (
            {"services": SERVICES, "logs": '{"logHouse": true}', "observability": '{"enabled": false}'},
            "logs.logHouse",
            "needs observability.enabled true",
        ),
        (
            {
                "troubleshootingAccess": '{"tailscale": {"enabled": true, "oauthClientId": "k", "oauthClientSecret": "s"}}'
            },
            "troubleshootingAccess.tailscale.enabled",
            "needs troubleshootingAccess.until",
        ),
        (
            {"troubleshootingAccess": json.dumps({"until": UNTIL, "tailscale": {"enabled": True, "authKey": "tskey"}})},
            "troubleshootingAccess.tailscale.authKey",
            "not an auth key; set oauthClientId and oauthClientSecret",
        ),
        (
            {
                "troubleshootingAccess": json.dumps(
                    {"until": UNTIL, "tailscale": {"enabled": True, "oauthClientId": "k"}}
                )
            },
            "troubleshootingAccess.tailscale.oauthClientSecret",
            "required while tailscale is enabled",
        ),
    ],
)
def test_rejections(values, key, words):
    assert_one_problem(values, f"{K}:{key}", words)


def test_a_secret_receiver_url_is_never_echoed():
    raw = raw_config({"alerting": '{"receivers": [{"name": "a", "url": "http://token@x.example/"}]}'})
    with pytest.raises(ConfigError) as err:
        parse(raw, "dev", frozenset({"alerting"}))
    (line,) = err.value.problems
    assert "token" not in line and "[secret]" in line
