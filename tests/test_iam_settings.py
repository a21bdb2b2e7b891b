"""IAM settings: clickhouseCloud, bootstrap, troubleshootingAccess."""

from __future__ import annotations

import datetime
import json

import pytest

from components.iam import VendorAccessSpec, VendorExports
from components.iam_policies import BootstrapAccess
from components.settings import SECRET_PLACEHOLDER, ConfigError, parse
from tests.conftest import NS, raw_config
from tests.settings_cases import SECRET_CLOUD

NOW = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.UTC)


def cloud(**fields) -> str:
    return json.dumps({"externalId": "byoc-test-3f9a2c71", **fields})


def test_defaults():
    iam = parse(raw_config(), "dev", now=NOW).iam
    # Parsed straight into the IAM layer's own spec: nothing copies it field by field.
    assert type(iam) is VendorAccessSpec
    assert iam.vendor_account_id == "426924874929"
    assert iam.external_id == "byoc-test-3f9a2c71" and iam.external_id_secret is False
    assert iam.principal_arn_pattern == "arn:aws:iam::426924874929:role/*-CrossplaneWorkloadRole"
    assert iam.exports == VendorExports(
        state_queue_arn=None, billing_bucket_arn=None, billing_prefix="123456789012/dev"
    )
    assert iam.role_name == "ClickHouse-cloud-dev-management"
    assert iam.access == BootstrapAccess(mode="full", vpc_write=True, iam_write=True, kms=False, profile="scoped")
    assert iam.only is False
    assert iam.troubleshooting_until is None


def test_full_valid_iam_config():
    iam = parse(
        raw_config(
            {
                "clickhouseCloud": cloud(
                    accountId="111122223333",
                    stateQueueArn="arn:aws:sqs:us-west-2:111122223333:byoc-state",
                    billingBucketArn="arn:aws:s3:::vendor-billing",
                    billingPrefix="acme/prod/",
                ),
                "bootstrap": json.dumps(
                    {"mode": "operate", "vpcWrite": "false", "iamWrite": False, "kms": True, "roleName": "X"}
                ),
                "troubleshootingAccess": json.dumps({"until": "2026-11-27T08:30:00+00:00"}),
            }
        ),
        "dev",
        now=NOW,
    ).iam
    assert iam.principal_arn_pattern == "arn:aws:iam::111122223333:role/*-CrossplaneWorkloadRole"
    assert iam.exports.state_queue_arn.endswith(":byoc-state")
    assert iam.exports.billing_bucket_arn == "arn:aws:s3:::vendor-billing"
    assert iam.exports.billing_prefix == "acme/prod"
    assert (iam.access.mode, iam.access.vpc_write, iam.access.iam_write, iam.access.kms) == (
        "operate",
        False,
        False,
        True,
    )
    assert iam.role_name == "X"
    assert iam.troubleshooting_until == "2026-11-27T08:30:00Z"


def test_secret_external_id_is_flagged_and_placeholder_is_valid():
    raw = raw_config({"clickhouseCloud": json.dumps({"externalId": SECRET_PLACEHOLDER})})
    iam = parse(raw, "dev", frozenset({"clickhouseCloud"}), now=NOW).iam
    assert iam.external_id_secret is True and iam.external_id == SECRET_PLACEHOLDER


def test_secret_external_id_is_not_echoed_in_problems():
    raw = raw_config({"clickhouseCloud": json.dumps({"externalId": "bad id with spaces"})})
    with pytest.raises(ConfigError) as err:
        parse(raw, "dev", frozenset({"clickhouseCloud"}), now=NOW)
    assert err.value.problems == [
        f"{NS}:clickhouseCloud.externalId: [secret]: not a valid external id; use 2-1224 letters, digits and +=,.@:/-_"
    ]


BAD = [
    ({"clickhouseCloud": None}, "clickhouseCloud.externalId", "required"),
    ({"clickhouseCloud": cloud(externalId="x")}, "clickhouseCloud.externalId", "not a valid external id"),
    ({"clickhouseCloud": cloud(externalId="a" * 1225)}, "clickhouseCloud.externalId", "2-1224"),
    ({"clickhouseCloud": cloud(externalId="has space")}, "clickhouseCloud.externalId", "not a valid external id"),
    ({"clickhouseCloud": cloud(accountId="4269")}, "clickhouseCloud.accountId", "12-digit"),
    ({"clickhouseCloud": cloud(accountId=426924874929)}, "clickhouseCloud.accountId", "not a string"),
    (
        {"clickhouseCloud": cloud(principalArnPattern="*")},
        "clickhouseCloud.principalArnPattern",
        "not an IAM role or user ARN pattern",
    ),
    (
        {"clickhouseCloud": cloud(principalArnPattern="arn:aws:iam::999999999999:role/*")},
        "clickhouseCloud.principalArnPattern",
        "not clickhouseCloud.accountId",
    ),
    (
        {"clickhouseCloud": cloud(stateQueueArn="https://sqs.us-west-2.amazonaws.com/1/q")},
        "clickhouseCloud.stateQueueArn",
        "not an SQS queue ARN",
    ),
    ({"clickhouseCloud": cloud(billingBucketArn="vendor-billing")}, "clickhouseCloud.billingBucketArn", "not an S3"),
    ({"clickhouseCloud": cloud(billingPrefix="a/*")}, "clickhouseCloud.billingPrefix", "no wildcards"),
    ({"clickhouseCloud": cloud(externalld="x")}, "clickhouseCloud.externalld", "did you mean externalId"),
    ({"clickhouseCloud": '"abc"'}, "clickhouseCloud", "not a map"),
    ({"bootstrap": '{"mode": "partial"}'}, "bootstrap.mode", "unknown mode"),
    ({"bootstrap": '{"kms": "yes"}'}, "bootstrap.kms", "not true or false"),
    ({"bootstrap": '{"roleName": "has space"}'}, "bootstrap.roleName", "not a valid IAM role name"),
    ({"bootstrap": '{"profile": "vendor"}'}, "bootstrap.profile", "unknown profile; use scoped"),
    ({"bootstrap": '{"only": "sure"}'}, "bootstrap.only", "not true or false"),
    (
        {"bootstrap": '{"only": true}', "dns": '{"zoneName": "byoc.example.com", "createZone": true}'},
        "bootstrap.only",
        "set dns.hostedZoneId to the existing zone, or use bootstrap.profile clickhouse-cloud",
    ),
    ({"troubleshootingAccess": '{"until": "2026-11-26T11:59:59Z"}'}, "troubleshootingAccess.until", "in the past"),
    ({"troubleshootingAccess": '{"until": "next tuesday"}'}, "troubleshootingAccess.until", "not an ISO-8601"),
    (
        {"troubleshootingAccess": '{"until": "2026-12-01T10:00:00"}'},
        "troubleshootingAccess.until",
        "not an ISO-8601 UTC time",
    ),
    (
        {"troubleshootingAccess": '{"until": "2026-12-01T10:00:00+02:00"}'},
        "troubleshootingAccess.until",
        "not an ISO-8601 UTC time",
    ),
    ({"troubleshootingAccess": '{"untl": "x"}'}, "troubleshootingAccess.untl", "did you mean until"),
]


@pytest.mark.parametrize(("values", "key", "words"), BAD, ids=[f"{b[1]}-{i}" for i, b in enumerate(BAD)])
def test_rejections_name_key_value_and_fix(values, key, words):
    raw = raw_config({k: v for k, v in values.items() if v is not None})
    for k, v in values.items():
        if v is None:
            raw.pop(f"{NS}:{k}")
    with pytest.raises(ConfigError) as err:
        parse(raw, "dev", now=NOW)
    (line,) = err.value.problems
    assert line.startswith(f"{NS}:{key}: "), line
    assert words in line and ";" in line, line


def test_past_check_uses_the_real_clock_by_default():
    with pytest.raises(ConfigError):
        parse(raw_config({"troubleshootingAccess": '{"until": "2020-01-01T00:00:00Z"}'}), "dev")
    assert parse(raw_config({"troubleshootingAccess": '{"until": "2099-01-01T00:00:00Z"}'}), "dev").iam


def test_long_troubleshooting_window_warns():
    far = parse(
        raw_config({"troubleshootingAccess": '{"until": "2027-01-01T00:00:00Z"}'}), "dev", SECRET_CLOUD, now=NOW
    )
    assert far.warnings == (
        "clickhouse-byoc:troubleshootingAccess.until: 2027-01-01T00:00:00Z: more than 30 days away; "
        "time-boxed access is meant to be short: grant days, and renew when needed",
    )
    near = parse(
        raw_config({"troubleshootingAccess": '{"until": "2026-11-28T00:00:00Z"}'}), "dev", SECRET_CLOUD, now=NOW
    )
    assert near.warnings == ()


def test_profile_and_bootstrap_only():
    values = {
        "bootstrap": '{"profile": "clickhouse-cloud", "only": true}',
        "dns": '{"zoneName": "byoc.example.com", "createZone": true}',
    }
    iam = parse(raw_config(values), "dev", now=NOW).iam
    assert (iam.access.profile, iam.only) == ("clickhouse-cloud", True)
    # The scoped profile scopes records to an existing zone: with its id, a bootstrap-only stack is valid.
    iam = parse(raw_config({"bootstrap": '{"only": true}'}), "dev", now=NOW).iam
    assert (iam.access.profile, iam.only) == ("scoped", True)


def test_a_plaintext_external_id_warns_how_to_encrypt_it():
    plain = parse(raw_config(), "dev", now=NOW)
    assert plain.warnings == (
        "clickhouse-byoc:clickhouseCloud.externalId: (not shown): stored in plain text in the stack file, readable "
        "by anyone who can read the repository; store it encrypted: "
        "`pulumi config set --path --secret clickhouseCloud.externalId` (it asks for the value)",
    )
    assert "byoc-test-3f9a2c71" not in plain.warnings[0]
    assert parse(raw_config(), "dev", SECRET_CLOUD, now=NOW).warnings == ()


def test_the_example_time_in_the_error_is_in_the_future():
    with pytest.raises(ConfigError) as err:
        parse(raw_config({"troubleshootingAccess": '{"until": "soon"}'}), "dev", now=NOW)
    assert err.value.problems == [
        f"{NS}:troubleshootingAccess.until: soon: not an ISO-8601 UTC time; use e.g. 2026-11-27T18:00:00Z "
        "(remove the key to end access)"
    ]
    # With the real clock too: the example always parses and is after now.
    with pytest.raises(ConfigError) as err:
        parse(raw_config({"troubleshootingAccess": '{"until": "soon"}'}), "dev")
    example = err.value.problems[0].split("use e.g. ")[1].split(" ")[0]
    assert datetime.datetime.fromisoformat(example.replace("Z", "+00:00")) > datetime.datetime.now(datetime.UTC)
