"""Required secrets before `pulumi stack init`: the offline tools carry on with a stand-in and one
line saying what is still to be set; the program itself (what `pulumi up` runs) still refuses."""

from __future__ import annotations

import json

import pytest

from components.settings import SECRET_PLACEHOLDER, ConfigError, parse
from components.settings import secrets as required_secrets
from tests.conftest import ROOT, raw_config, run_offline
from tools import stackconfig

NS = "clickhouse-byoc"
CLOUD = f"{NS}:clickhouseCloud"


@pytest.mark.parametrize(
    ("value", "missing"),
    [
        (None, True),  # the key not written at all (the wizard's file; the project default applies)
        ('{"accountId": "426924874929"}', True),
        ('{"externalId": ""}', True),
        ('{"externalId": "byoc-test-3f9a2c71"}', False),
        (json.dumps({"externalId": SECRET_PLACEHOLDER}), False),  # a `secure:` value, offline
        ('"not a map"', False),  # a broken value is the settings' problem, under its own key
    ],
)
def test_which_stacks_miss_the_external_id(value, missing):
    raw = raw_config({"clickhouseCloud": value})
    assert [s.path for s in required_secrets.missing(raw)] == (["clickhouseCloud.externalId"] if missing else [])


def test_the_stand_in_keeps_the_other_fields_and_is_a_secret():
    raw = raw_config({"clickhouseCloud": '{"accountId": "426924874929", "stateQueueArn": "x"}'})
    filled, secret, which = required_secrets.with_stand_ins(raw, frozenset())
    assert [s.path for s in which] == ["clickhouseCloud.externalId"]
    assert json.loads(filled[CLOUD]) == {
        "accountId": "426924874929",
        "stateQueueArn": "x",
        "externalId": SECRET_PLACEHOLDER,
    }
    assert secret == {CLOUD} and raw[CLOUD] != filled[CLOUD]  # the input map is left as it was


def test_offline_config_notes_it_once_and_leaves_a_complete_stack_alone(tmp_path):
    text = (ROOT / "Pulumi.dev.yaml").read_text()
    start, end = text.index("  clickhouse-byoc:clickhouseCloud:"), text.index("  clickhouse-byoc:bootstrap:")
    path = tmp_path / "Pulumi.acme.yaml"
    path.write_text(text[:start] + text[end:])
    cfg, notes = stackconfig.offline(stackconfig.load(path))
    assert notes == [
        "clickhouse-byoc:clickhouseCloud.externalId: (not set): still to be set before `pulumi up` (the external id "
        "ClickHouse Cloud gave you; the offline tools use a stand-in until then): pulumi stack init acme; "
        "pulumi config set --stack acme --path --secret clickhouseCloud.externalId"
    ]
    assert parse(cfg.raw, "acme", frozenset({"clickhouseCloud", "alerting"})).iam.external_id == SECRET_PLACEHOLDER
    dev = stackconfig.load_stack("dev")
    assert stackconfig.offline(dev) == (dev, [])


def test_the_program_itself_still_refuses_a_stack_without_it():
    # What `pulumi preview` and `pulumi up` run: the settings refuse before any resource.
    with pytest.raises(ConfigError) as refused:
        run_offline({"clickhouseCloud": None})
    assert refused.value.problems == [
        "clickhouse-byoc:clickhouseCloud.externalId: (not set): required; set the external id ClickHouse Cloud "
        "gave you: `pulumi config set --path --secret clickhouseCloud.externalId` (it asks for the value)"
    ]
