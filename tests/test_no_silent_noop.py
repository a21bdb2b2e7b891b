"""A key that does nothing in the combination given is never silent: an error where the combination
cannot be meant, a one-line warning where it is legitimate (docs/configuration.md, "Keys that do
nothing")."""

from __future__ import annotations

import json

import pytest

from components.settings import ConfigError, parse
from tests.conftest import raw_config
from tests.settings_cases import SECRET_CLOUD

K = "clickhouse-byoc"
ONLY_FIX = (
    "a bootstrap-only stack (bootstrap.only true) creates the bootstrap role and its boundary and nothing else; "
    "remove it, or set bootstrap.only false to build it"
)
ONLY = {"bootstrap": '{"profile": "clickhouse-cloud", "only": true}'}


def problems(values) -> list[str]:
    with pytest.raises(ConfigError) as err:
        parse(raw_config(values), "dev", SECRET_CLOUD)
    return err.problems if hasattr(err, "problems") else err.value.problems


def warnings(values, secret=SECRET_CLOUD) -> list[str]:
    return [w for w in parse(raw_config(values), "dev", secret).warnings if "availabilityZones" not in w]


@pytest.mark.parametrize(
    ("values", "line"),
    [
        (
            {**ONLY, "services": '[{"name": "analytics"}]'},
            f"{K}:services: 1 service: not built: {ONLY_FIX}",
        ),
        (
            {**ONLY, "peerings": '[{"name": "apps", "cidr": "10.20.0.0/16", "vpcId": "vpc-0123456789abcdef0"}]'},
            f"{K}:peerings: 1 peering: not built: {ONLY_FIX}",
        ),
        ({**ONLY, "podCidr": "100.64.0.0/16"}, f"{K}:podCidr: 100.64.0.0/16: no VPC to add it to: {ONLY_FIX}"),
        (
            {**ONLY, "privateLink": '{"enabled": true, "allowedPrincipals": ["arn:aws:iam::210987654321:root"]}'},
            f"{K}:privateLink.enabled: true: no endpoint service is built: {ONLY_FIX}",
        ),
        (
            {**ONLY, "kms": '{"customerManagedKey": true}'},
            f"{K}:kms.customerManagedKey: true: no key, bucket or volume is built: {ONLY_FIX}",
        ),
        (
            {
                **ONLY,
                "troubleshootingAccess": json.dumps(
                    {
                        "until": "2999-01-01T00:00:00Z",
                        "tailscale": {"enabled": True, "oauthClientId": "k1", "oauthClientSecret": "tskey-client-k1-x"},
                    }
                ),
            },
            f"{K}:troubleshootingAccess.tailscale.enabled: true: no cluster for the Tailscale operator: {ONLY_FIX}",
        ),
        (
            {"services": '[{"name": "analytics", "stopped": true}]', "logs": '{"logHouse": true}'},
            f"{K}:logs.logHouse: true: the loghouse database is in service analytics, which is stopped, so every "
            "log insert of Fluent Bit would fail; run analytics (stopped false), or set logs.logHouse false",
        ),
        (
            {
                "services": '[{"name": "analytics"}, {"name": "logs", "stopped": true}]',
                "logs": '{"logHouse": true, "service": "logs"}',
            },
            f"{K}:logs.service: logs: the loghouse database is in service logs, which is stopped, so every log "
            "insert of Fluent Bit would fail; run logs (stopped false), pick a running one with logs.service "
            "(analytics), or set logs.logHouse false",
        ),
        (
            {
                "services": '[{"name": "analytics"}, {"name": "copy", "stopped": true, "restoreFrom": {"service": "analytics"}}]'
            },
            f"{K}:services[1].stopped: true: services[1].restoreFrom restores once every server answers, and a "
            "stopped service has none (its Job would fail after pulumi up reported success); set stopped false until "
            "the restore is done, or remove restoreFrom (a finished restore needs it no longer)",
        ),
        (
            {"services": '[{"name": "analytics"}, {"name": "copy", "restoreFrom": {"service": "analytcs"}}]'},
            f"{K}:services[1].restoreFrom.service: analytcs: not a service of this stack (did you mean analytics?); "
            "name one of analytics, copy, or, to restore a removed service's backups, set "
            "services[1].restoreFrom.backup to the one to restore (`aws s3 ls s3://<backup bucket>/analytcs/` lists "
            "them)",
        ),
        (
            {"services": '[{"name": "analytics", "mysqlPort": 3306}]'},
            f"{K}:services[0].mysqlPort: 3306: does nothing while services[0].mysqlInterface is false; set "
            "mysqlInterface true, or remove mysqlPort",
        ),
    ],
)
def test_a_combination_that_cannot_be_meant_is_an_error(values, line):
    assert problems(values) == [line]


@pytest.mark.parametrize(
    ("values", "line"),
    [
        (
            {"observability": '{"enabled": false}'},
            f"{K}:alerting.vendorWebhook: (not shown): ignored while observability.enabled is false: no AlertManager "
            "runs, and the vendor receives no alert; turn the layer back on to alert the vendor",
        ),
        (
            {
                "observability": '{"enabled": false}',
                "alerting": '{"receivers": [{"name": "ops", "kind": "webhook", "url": "https://ops.example/hook"}]}',
            },
            f"{K}:alerting.receivers: 1 receiver: ignored while observability.enabled is false: no AlertManager runs, "
            "and none of them receives an alert; turn the layer back on, or remove them",
        ),
        (
            {"observability": '{"enabled": false, "retentionDays": 90}', "alerting": None},
            f"{K}:observability.retentionDays: 90: ignored while observability.enabled is false (no metrics layer); "
            "remove it, or turn the layer on",
        ),
        (
            {"services": '[{"name": "analytics"}]', "logs": '{"service": "analytics"}'},
            f"{K}:logs.service: analytics: ignored while logs.logHouse is false; remove it, or set logs.logHouse true",
        ),
        (
            {"clusterEndpoint": '{"public": false, "publicCidrs": ["203.0.113.0/24"]}'},
            f'{K}:clusterEndpoint.publicCidrs: ["203.0.113.0/24"]: ignored while clusterEndpoint.public is false (the '
            "API has no public endpoint); remove it, or set clusterEndpoint.public true",
        ),
        (
            {"clusterEndpoint": '{"publicCidrs": ["203.0.113.0/24"], "allowAnyPublicCidr": true}'},
            f"{K}:clusterEndpoint.allowAnyPublicCidr: true: ignored: it only permits 0.0.0.0/0 in "
            "clusterEndpoint.publicCidrs of a public endpoint, and there is none; remove it",
        ),
        (
            {"publicEndpoint": '{"enabled": false}'},
            f'{K}:ipAllowList: ["198.51.100.0/24"]: ignored while publicEndpoint.enabled is false (no public load '
            "balancer to filter); remove it, or turn the public endpoint on",
        ),
        (
            {"publicEndpoint": '{"allowAnySource": true}'},
            f"{K}:publicEndpoint.allowAnySource: true: ignored: ipAllowList is set and still filters; remove it",
        ),
        (
            {
                "peerings": '[{"name": "apps", "cidr": "10.20.0.0/16", "vpcId": "vpc-0123456789abcdef0", "privateDns": true}]'
            },
            f"{K}:peerings[0].privateDns: true: no service yet, so no private zone to associate with the peer VPC; "
            "it takes effect with the first service",
        ),
        (
            {"bootstrap": '{"mode": "revoked", "kms": true}'},
            f"{K}:bootstrap.kms: true: ignored while bootstrap.mode is revoked (the role's one policy denies "
            "everything); it applies again in mode full or operate",
        ),
        (
            {"clickhouseCloud": '{"externalId": "byoc-test-3f9a2c71", "billingPrefix": "acme/prod"}'},
            f"{K}:clickhouseCloud.billingPrefix: [secret]: ignored without clickhouseCloud.billingBucketArn (no "
            "billing-scraper role); remove it, or set the bucket",
        ),
    ],
)
def test_a_legitimate_combination_warns_once_saying_what_is_ignored(values, line):
    assert warnings(values) == [line]


def test_the_webhook_is_never_shown_and_a_secret_stays_secret():
    (line,) = warnings({"observability": '{"enabled": false}'}, SECRET_CLOUD | {"alerting"})
    assert line.startswith(f"{K}:alerting.vendorWebhook: [secret]: ignored") and "vendor.example" not in line
    (line,) = warnings({"observability": '{"enabled": false}'})
    assert "alerts.vendor.example" not in line


@pytest.mark.parametrize(
    "values",
    [
        {},  # the defaults warn about nothing
        {"observability": '{"enabled": false}', "alerting": None},
        {"publicEndpoint": '{"enabled": false}', "ipAllowList": None},
        {"clusterEndpoint": '{"public": false}'},
        {"bootstrap": '{"mode": "revoked"}'},
        {"services": '[{"name": "a", "stopped": true}]'},  # a stopped service without a restore or the logs
        {
            "services": '[{"name": "a"}, {"name": "b", "restoreFrom": {"service": "gone", "backup": "20260102T030405Z-full"}}]'
        },
    ],
)
def test_a_key_that_takes_effect_or_is_left_unset_warns_about_nothing(values):
    assert warnings(values) == []


def test_a_bootstrap_only_stack_with_only_the_role_keys_is_accepted():
    assert parse(raw_config(ONLY), "dev", SECRET_CLOUD).iam.only is True
