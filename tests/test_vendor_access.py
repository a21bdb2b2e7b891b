"""Vendor access alerts: the rule's event pattern against the CloudTrail records AWS documents, and the
rules, targets, topic and roles the dev stack registers for it.

The records (tests/upstream/cloudtrail/) are AWS's own examples of a cross-account `AssumeRole` as the
role's account logs it, of role chaining, of another service's call and of a failed call; the
matcher (tests/eventpattern.py) is first checked against the EventBridge user guide's own examples
(tests/upstream/eventbridge/).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from components import audit, vendor_alerts
from components.naming import Names
from tests import eventpattern as ep
from tests.conftest import ROOT
from tools import mocks, stackconfig, synth

UPSTREAM = ROOT / "tests" / "upstream"
CLOUDTRAIL = UPSTREAM / "cloudtrail"
ROLE_ACCOUNT = "111122223333"  # the account that owns the role in AWS's cross-account example
NAMES = Names("dev", ROLE_ACCOUNT)
ROLES = audit.vendor_role_arns(ROLE_ACCOUNT, NAMES, NAMES.aws("management"))
PATTERN = vendor_alerts.vendor_access_pattern(ROLES)


def record(name: str) -> dict[str, Any]:
    return json.loads((CLOUDTRAIL / name).read_text())


def assumption(role_arn: str) -> dict[str, Any]:
    """The role account's entry of AWS's cross-account example, for `role_arn` instead of EC2-dev."""
    r = record("sts-assumerole-cross-account-role-account.json")
    r["requestParameters"]["roleArn"] = role_arn
    return ep.cloudtrail_event(r, ROLE_ACCOUNT)


def chained_from(issuer_arn: str) -> dict[str, Any]:
    """AWS's role-chaining example, the first role's session being `issuer_arn`'s."""
    r = record("sts-assumerole-role-chaining.json")
    r["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"] = issuer_arn
    return ep.cloudtrail_event(r, r["recipientAccountId"])


# -- the matcher, against the EventBridge user guide ---------------------------------------------------


@pytest.mark.parametrize(
    "case",
    json.loads((UPSTREAM / "eventbridge" / "pattern-examples.json").read_text())["cases"],
    ids=lambda c: c["example"][:40],
)
def test_the_matcher_gives_the_outcome_the_eventbridge_guide_states(case):
    assert ep.matches(case["pattern"], case["event"]) is case["matches"]


def test_the_matcher_operators_the_pattern_uses():
    event = {"a": "x", "n": 300, "l": ["p", "q"], "d": {"e": None}}
    assert ep.matches({"a": [{"exists": True}], "z": [{"exists": False}]}, event)
    assert not ep.matches({"a": [{"exists": False}]}, event)
    assert not ep.matches({"z": ["x"]}, event)  # a field the pattern names must be in the event
    assert ep.matches({"n": [300]}, event) and not ep.matches({"n": [300.0]}, event)  # JSON text of numbers
    assert ep.matches({"l": ["q", "r"]}, event) and not ep.matches({"l": ["r"]}, event)
    assert ep.matches({"$or": [{"a": ["y"]}, {"n": [{"numeric": [">", 100]}]}]}, event)
    assert not ep.matches({"$or": [{"a": ["y"]}, {"z": ["x"]}]}, event)
    assert ep.matches({"a": [{"anything-but": ["y", "z"]}]}, event) and not ep.matches(
        {"a": [{"anything-but": "x"}]}, event
    )
    assert ep.matches({"d": {"e": [None]}}, event) and not ep.matches({"d": {"e": [""]}}, event)


# -- the pattern, against AWS's CloudTrail records -------------------------------------------------


def test_the_pattern_is_what_the_doc_example_of_a_cross_account_assumption_matches():
    # The role account's entry as AWS documents it (role EC2-dev): the shape is right, only the role
    # differs; with each vendor role's ARN in its place it matches, unchanged it does not.
    unchanged = ep.cloudtrail_event(record("sts-assumerole-cross-account-role-account.json"), ROLE_ACCOUNT)
    assert unchanged["source"] == "aws.sts" and unchanged["region"] == "us-east-2"
    assert not ep.matches(PATTERN, unchanged)
    for role in ROLES:
        assert ep.matches(PATTERN, assumption(role)), role


def test_each_vendor_role_is_in_the_pattern_including_troubleshooting_while_closed():
    assert {r.rsplit("/", 1)[1] for r in ROLES} == {
        "ClickHouse-cloud-dev-management",
        "ClickHouse-cloud-dev-data-plane-mgmt",
        "ClickHouse-cloud-dev-troubleshooting",
    }


@pytest.mark.parametrize(
    "event",
    [
        # Another role of the same account.
        assumption(f"arn:aws:iam::{ROLE_ACCOUNT}:role/ClickHouse-cloud-dev-external-dns"),
        # The same role name in another account (another deployment's account).
        assumption("arn:aws:iam::444455556666:role/ClickHouse-cloud-dev-management"),
        # A prefix of a vendor role's name is not the role.
        assumption(f"arn:aws:iam::{ROLE_ACCOUNT}:role/ClickHouse-cloud-dev-management-extra"),
        # AWS's role-chaining example, from a role that is not the vendor's.
        chained_from("arn:aws:iam::111111111111:role/JohnRole1"),
        # Another service's call (IAM GetUserPolicy).
        ep.cloudtrail_event(record("iam-getuserpolicy.json"), "444455556666"),
    ],
    ids=["other-role", "other-account", "name-prefix", "chain-from-other-role", "other-service"],
)
def test_the_pattern_ignores_other_roles_accounts_and_services(event):
    assert not ep.matches(PATTERN, event)


def test_a_failed_assumption_does_not_alert():
    # The error fields as CloudTrail's error example places them (top level of the record).
    failed = record("sts-assumerole-cross-account-role-account.json")
    error = record("cloudtrail-updatetrail-error.json")["Records"][0]
    failed["requestParameters"]["roleArn"] = ROLES[0]
    failed.update(errorCode="AccessDenied", errorMessage=error["errorMessage"])
    assert "errorCode" in error and "errorMessage" in error
    assert not ep.matches(PATTERN, ep.cloudtrail_event(failed, ROLE_ACCOUNT))
    del failed["errorCode"]
    assert ep.matches(PATTERN, ep.cloudtrail_event(failed, ROLE_ACCOUNT))


def test_a_role_assumed_from_a_vendor_session_alerts():
    # Role chaining: the second AssumeRole is made with a vendor role's credentials.
    assert ep.matches(PATTERN, chained_from(ROLES[1]))


def test_the_caller_accounts_copy_is_not_the_customers_business():
    # The caller's account logs the same call (roleArn names the customer's role): a rule there would
    # match it too; the customer's rule lives in the role's account, which gets its own entry.
    caller = record("sts-assumerole-cross-account-caller-account.json")
    assert caller["userIdentity"]["accountId"] == "777788889999"
    assert caller["requestParameters"]["roleArn"].startswith(f"arn:aws:iam::{ROLE_ACCOUNT}:")


def test_every_message_field_is_in_the_documented_assumption():
    # An input path that resolves to nothing leaves an empty field in the email and the webhook body.
    for event in (assumption(ROLES[0]), chained_from(ROLES[0])):
        for name, path in vendor_alerts.MESSAGE_PATHS.items():
            assert ep.resolve(path, event) not in (None, ""), name
    event = assumption(ROLES[0])
    assert ep.resolve(vendor_alerts.MESSAGE_PATHS["caller"], event) == "777788889999"
    assert ep.resolve(vendor_alerts.MESSAGE_PATHS["region"], event) == "us-east-2"


def test_the_templates_are_what_eventbridge_accepts():
    # The email's template is one JSON string; the webhook's a JSON object once its placeholders are
    # JSON values; both name only defined placeholders.
    email = json.loads(vendor_alerts.email_template("dev"))
    assert isinstance(email, str) and "<role>" in email
    body = vendor_alerts.webhook_template("dev", "123456789012")
    filled = body
    for name in vendor_alerts.MESSAGE_PATHS:
        filled = filled.replace(f"<{name}>", json.dumps(f"value-of-{name}"))
    doc = json.loads(filled)
    assert doc["alert"] == "vendor-access" and doc["deployment"] == "dev" and doc["role"] == "value-of-role"
    assert set(doc) == {"alert", "deployment", "account", *vendor_alerts.MESSAGE_PATHS}


def test_the_pattern_fits_eventbridges_limit():
    # terraform-provider-aws validates the normalized pattern at 4096 characters (events/rule.go).
    long_names = Names("a" * 20, "123456789012")
    roles = audit.vendor_role_arns("123456789012", long_names, "r" * 64)
    assert len(json.dumps(vendor_alerts.vendor_access_pattern(roles), separators=(",", ":"))) <= 4096


# -- what the dev stack registers -----------------------------------------------------------------


@pytest.fixture(scope="module")
def dev() -> dict[str, dict[str, Any]]:
    records = synth.synthesize(stackconfig.load_stack("dev")).resources
    return {r["name"].removeprefix("ClickHouse-cloud-dev-"): r for r in records}


def test_mocks_answer_the_regions_aws_enables_by_default():
    regions = json.loads((UPSTREAM / "sts" / "regions.json").read_text())
    assert sorted(mocks.DEFAULT_REGIONS) == sorted(regions["active_by_default"])
    assert not set(regions["active_by_default"]) & set(regions["opt_in"])


def test_a_rule_in_every_enabled_region_all_with_the_same_pattern_and_read_only_events(dev):
    rules = {r["inputs"]["region"]: r["inputs"] for n, r in dev.items() if r["type"].endswith("eventRule:EventRule")}
    assert sorted(rules) == sorted(mocks.DEFAULT_REGIONS)
    for inputs in rules.values():
        assert inputs["state"] == "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
        assert inputs["name"] == "ClickHouse-cloud-dev-vendor-access"
        assert json.loads(inputs["eventPattern"]) == vendor_alerts.vendor_access_pattern(
            audit.vendor_role_arns("123456789012", Names("dev", "123456789012"), "ClickHouse-cloud-dev-management")
        )


def test_the_patterns_roles_are_the_vendor_roles_the_stack_creates(dev):
    created = {
        r["inputs"]["name"]
        for r in dev.values()
        if r["type"] == "aws:iam/role:Role"
        and r["inputs"].get("tags", {}).get("clickhouse-byoc/purpose") in ("management", "data-plane-mgmt")
    }
    pattern = json.loads(dev["vendor-access-alerts-rule-us-west-2"]["inputs"]["eventPattern"])
    named = {arn.rsplit("/", 1)[1] for arn in pattern["detail"]["$or"][0]["requestParameters"]["roleArn"]}
    assert created == {"ClickHouse-cloud-dev-management", "ClickHouse-cloud-dev-data-plane-mgmt"}
    assert named == created | {"ClickHouse-cloud-dev-troubleshooting"}


def test_other_regions_forward_to_the_stack_regions_bus_which_publishes_to_the_topic(dev):
    bus = "arn:aws:events:us-west-2:123456789012:event-bus/default"
    targets = {
        r["inputs"]["region"]: r["inputs"] for r in dev.values() if r["type"].endswith("eventTarget:EventTarget")
    }
    forward_role = dev["vendor-access-alerts-forward-role"]["inputs"]
    for region, target in targets.items():
        if region == "us-west-2":
            continue
        assert target["arn"] == bus and target["roleArn"].endswith("/ClickHouse-cloud-dev-vendor-access-forward")
    home = targets["us-west-2"]
    topic = dev["vendor-access-alerts-topic"]["inputs"]
    assert home["arn"] == f"arn:aws:sns:us-west-2:123456789012:{topic['name']}"
    assert set(home["inputTransformer"]["inputPaths"].values()) == set(vendor_alerts.MESSAGE_PATHS.values())
    # The forwarder may be assumed by this deployment's rules of the other Regions, and put on the one bus.
    trust = json.loads(forward_role["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "events.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    assert sorted(trust["Condition"]["ArnLike"]["aws:SourceArn"]) == sorted(
        f"arn:aws:events:{r}:123456789012:rule/ClickHouse-cloud-dev-vendor-access"
        for r in mocks.DEFAULT_REGIONS
        if r != "us-west-2"
    )
    policy = json.loads(dev["vendor-access-alerts-forward-role-policy"]["inputs"]["policy"])
    assert [(s["Action"], s["Resource"]) for s in policy["Statement"]] == [(["events:PutEvents"], [bus])]
    assert forward_role["tags"]["clickhouse-byoc/purpose"] == "vendor-access-forward"


def test_the_topic_is_encrypted_and_only_the_stack_regions_rule_publishes(dev):
    topic = dev["vendor-access-alerts-topic"]["inputs"]
    key = dev["audit-key"]["inputs"]
    home_rule = "arn:aws:events:us-west-2:123456789012:rule/ClickHouse-cloud-dev-vendor-access"
    assert topic["kmsMasterKeyId"].startswith("arn:aws:kms:us-west-2:123456789012:key/")
    (publish,) = json.loads(topic["policy"])["Statement"]
    assert publish["Principal"] == {"Service": "events.amazonaws.com"} and publish["Action"] == "sns:Publish"
    assert publish["Condition"] == {"ArnEquals": {"aws:SourceArn": home_rule}}
    statements = {s["Sid"]: s for s in json.loads(key["policy"])["Statement"]}
    events = statements["EventBridgePublishesToTheAlertTopic"]
    assert events["Condition"]["ArnLike"] == {"aws:SourceArn": home_rule}
    assert sorted(events["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]
    email = dev["vendor-access-alerts-email-0"]["inputs"]
    assert (email["protocol"], email["endpoint"]) == ("email", "security@example.com")


def test_a_webhook_is_an_api_destination_with_a_secret_endpoint():
    from tests.conftest import run_offline

    result = run_offline({"vendorAccessAlerts": '{"webhook": "https://hooks.example.com/byoc/T0KEN"}'})
    by_name = {r["name"].removeprefix("ClickHouse-cloud-test-"): r for r in result.resources}
    destination = by_name["vendor-access-alerts-webhook"]["inputs"]
    assert destination["invocationEndpoint"] == "[secret]" and destination["httpMethod"] == "POST"
    target = by_name["vendor-access-alerts-to-webhook"]["inputs"]
    assert target["arn"].startswith("arn:aws:events:us-west-2:123456789012:api-destination/")
    assert (
        json.loads(target["inputTransformer"]["inputTemplate"].replace("<", '"<').replace(">", '>"'))["alert"]
        == "vendor-access"
    )
    policy = json.loads(by_name["vendor-access-alerts-webhook-role-policy"]["inputs"]["policy"])
    assert policy["Statement"][0]["Action"] == ["events:InvokeApiDestination"]
    assert policy["Statement"][0]["Resource"] == [target["arn"]]
    assert "T0KEN" not in json.dumps(result.resources)


def test_the_envelope_leaves_the_record_as_published():
    r = record("sts-assumerole-cross-account-role-account.json")
    event = ep.cloudtrail_event(r, ROLE_ACCOUNT)
    event["detail"]["requestParameters"] = {}
    assert r["requestParameters"]["roleArn"] == "arn:aws:iam::111122223333:role/EC2-dev"


def test_docs_show_what_the_customer_receives_for_the_documented_assumption():
    # docs/iam.md quotes the email and the webhook body for AWS's example, with deployment acme-prod's
    # data-plane-mgmt role in it: both rendered here from the templates the program registers.
    names = Names("acme-prod", ROLE_ACCOUNT)
    event = assumption(f"arn:aws:iam::{ROLE_ACCOUNT}:role/{names.aws('data-plane-mgmt')}")
    doc = (ROOT / "docs" / "iam.md").read_text()
    email = ep.render(vendor_alerts.email_template("acme-prod"), vendor_alerts.MESSAGE_PATHS, event)
    assert json.loads(email).startswith("ClickHouse BYOC (acme-prod): the vendor assumed arn:aws:iam::")
    assert f"  {email}\n" in doc
    body = json.loads(
        ep.render(vendor_alerts.webhook_template("acme-prod", ROLE_ACCOUNT), vendor_alerts.MESSAGE_PATHS, event)
    )
    shown = doc.split("gets a POST with this JSON body", 1)[1].split("```json\n", 1)[1].split("```", 1)[0]
    assert json.loads(shown) == body
