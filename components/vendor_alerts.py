"""The customer's alerts when the vendor assumes one of its roles (the log bucket, audit key and trail:
components/audit.py).

`VendorAccessAlerts`: an EventBridge rule in every Region enabled in the account (an `AssumeRole`
is recorded in the Region whose STS endpoint served it: the Region the vendor calls, us-east-1 for
the global endpoint, or the Region the global endpoint served it in), the other Regions' rules
forwarding to the stack Region's default bus, whose rule publishes to the program's SNS topic
(email subscriptions) and POSTs to `vendorAccessAlerts.webhook` through an API destination.

The documents (topic policy, event pattern, the message each endpoint gets) are plain functions;
docs/iam.md shows what the customer receives.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.iam_policies import audit as role_docs
from components.iam_policies.common import PURPOSE_TAG
from components.naming import Names

# The type token keeps its `audit` module: the alerts were part of components/audit.py.
ALERTS_TYPE = "clickhouse-byoc:audit:VendorAccessAlerts"
# EventBridge delivers read-only management events (an AssumeRole is one) only to rules in this state.
RULE_STATE = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
WEBHOOK_HEADER = "X-ClickHouse-BYOC-Alert"
WEBHOOK_RATE_PER_SECOND = 10


# -- the alert ------------------------------------------------------------------------------------


def vendor_access_pattern(role_arns: Sequence[str]) -> dict:
    """The EventBridge pattern: a successful `AssumeRole` of a vendor role, or one made from a vendor
    role's session (role chaining), as CloudTrail delivers it ("AWS API Call via CloudTrail")."""
    roles = sorted(role_arns)
    return {
        "source": ["aws.sts"],
        "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {
            "eventSource": ["sts.amazonaws.com"],
            "eventName": ["AssumeRole"],
            "errorCode": [{"exists": False}],
            "$or": [
                {"requestParameters": {"roleArn": roles}},
                {"userIdentity": {"sessionContext": {"sessionIssuer": {"arn": roles}}}},
            ],
        },
    }


# What each endpoint receives, from the event's CloudTrail record (`detail`).
MESSAGE_PATHS: dict[str, str] = {
    "role": "$.detail.requestParameters.roleArn",
    "session": "$.detail.requestParameters.roleSessionName",
    "caller": "$.detail.userIdentity.accountId",
    "ip": "$.detail.sourceIPAddress",
    "time": "$.detail.eventTime",
    "region": "$.detail.awsRegion",
    "event": "$.detail.eventID",
}


def email_template(deployment_id: str) -> str:
    """The text of the email (an EventBridge input template that is one JSON string)."""
    text = (
        f"ClickHouse BYOC ({deployment_id}): the vendor assumed <role> at <time> (session <session>, "
        "from account <caller>, source IP <ip>, Region <region>). CloudTrail event <event>."
    )
    return json.dumps(text)


def webhook_template(deployment_id: str, account_id: str) -> str:
    """The JSON body POSTed to the webhook; EventBridge puts each placeholder in as a JSON value."""
    fixed = {"alert": "vendor-access", "deployment": deployment_id, "account": account_id}
    parts = [f"{json.dumps(k)}: {json.dumps(v)}" for k, v in fixed.items()]
    parts += [f'"{name}": <{name}>' for name in MESSAGE_PATHS]
    return "{" + ", ".join(parts) + "}"


def topic_policy(topic_arn: str, rule_arn: str) -> dict:
    """Only this deployment's rule may publish (EventBridge user guide, "Amazon SNS permissions")."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "TheVendorAccessRulePublishes",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
            }
        ],
    }


def rule_arn(region: str, account_id: str, rule: str) -> str:
    return f"arn:aws:events:{region}:{account_id}:rule/{rule}"


def bus_arn(region: str, account_id: str) -> str:
    return f"arn:aws:events:{region}:{account_id}:event-bus/default"


# -- the component ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class VendorAlertsSpec:
    """Who hears of every vendor role assumption (key `vendorAccessAlerts`; parsed and validated by
    components/settings/audit.py)."""

    enabled: bool
    """The EventBridge rules and the SNS topic (`vendorAccessAlerts.enabled`; `__main__.py` builds the
    layer only then)."""
    emails: tuple[str, ...]
    """Email subscriptions of the topic (each confirms once, from the mail SNS sends)."""
    webhook: str | None
    """An https URL (a secret) that receives each event as a JSON POST, or None."""


@dataclass(frozen=True)
class VendorAccessAlertsArgs:
    """Inputs of the vendor-access alerts."""

    names: Names
    """Naming for the deployment."""
    account_id: str
    """The customer account (the vendor's roles live there)."""
    region: str
    """The stack's Region: the topic, the webhook and the rule that delivers to them."""
    regions: tuple[str, ...]
    """Every Region enabled in the account: a rule in each."""
    vendor_roles: tuple[str, ...]
    """ARNs of the vendor's roles."""
    key_arn: pulumi.Input[str]
    """The audit key, encrypting the topic."""
    spec: VendorAlertsSpec
    """Who is told: emails and the webhook."""


class VendorAccessAlerts(pulumi.ComponentResource):
    """An alert on every assumption of a vendor role, wherever in the account it is recorded."""

    topic_arn: pulumi.Output[str]

    def __init__(self, name: str, args: VendorAccessAlertsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(ALERTS_TYPE, name, None, opts)
        names, acct, home = args.names, args.account_id, args.region
        child = pulumi.ResourceOptions(parent=self)
        rule_name = names.aws("vendor-access")
        home_rule = rule_arn(home, acct, rule_name)
        pattern = json.dumps(vendor_access_pattern(args.vendor_roles))

        topic_name = names.aws("vendor-access")
        topic_arn = f"arn:aws:sns:{home}:{acct}:{topic_name}"
        topic = aws.sns.Topic(
            f"{name}-topic",
            name=topic_name,
            display_name="ClickHouse BYOC vendor access",
            kms_master_key_id=args.key_arn,
            policy=json.dumps(topic_policy(topic_arn, home_rule)),
            tags={"Name": topic_name},
            opts=child,
        )
        for i, email in enumerate(args.spec.emails):
            aws.sns.TopicSubscription(
                f"{name}-email-{i}", topic=topic.arn, protocol="email", endpoint=email, opts=child
            )

        def rule(region: str) -> aws.cloudwatch.EventRule:
            return aws.cloudwatch.EventRule(
                f"{name}-rule-{region}",
                name=rule_name,
                description="The vendor assumed one of its roles in this account (CloudTrail AssumeRole)",
                event_pattern=pattern,
                state=RULE_STATE,
                region=region,
                tags={"Name": rule_name},
                opts=child,
            )

        home_rule_resource = rule(home)
        paths = dict(MESSAGE_PATHS)
        aws.cloudwatch.EventTarget(
            f"{name}-to-topic",
            rule=home_rule_resource.name,
            target_id="topic",
            arn=topic.arn,
            region=home,
            input_transformer={"input_paths": paths, "input_template": email_template(names.deployment_id)},
            opts=child,
        )

        if args.spec.webhook is not None:
            webhook_name = names.aws("vendor-access-webhook")
            # A plain HTTPS webhook never answers SNS's subscription confirmation; an API destination
            # POSTs the event itself. Connections need an authorization: the URL carries the
            # webhook's secret, the header only names the sender.
            connection = aws.cloudwatch.EventConnection(
                f"{name}-webhook-connection",
                name=webhook_name,
                description="The customer's vendor access webhook",
                authorization_type="API_KEY",
                auth_parameters={"api_key": {"key": WEBHOOK_HEADER, "value": "vendor-access"}},
                region=home,
                opts=child,
            )
            destination = aws.cloudwatch.EventApiDestination(
                f"{name}-webhook",
                name=webhook_name,
                description="POSTs each vendor role assumption to vendorAccessAlerts.webhook",
                connection_arn=connection.arn,
                http_method="POST",
                invocation_endpoint=pulumi.Output.secret(args.spec.webhook),
                invocation_rate_limit_per_second=WEBHOOK_RATE_PER_SECOND,
                region=home,
                opts=child,
            )
            invoker = aws.iam.Role(
                f"{name}-webhook-role",
                name=webhook_name,
                description="EventBridge invokes the vendor access webhook",
                assume_role_policy=json.dumps(role_docs.events_trust(acct, [home_rule])),
                tags={PURPOSE_TAG: "vendor-access-webhook"},
                opts=child,
            )
            aws.iam.RolePolicy(
                f"{name}-webhook-role-policy",
                name="invoke-webhook",
                role=invoker.name,
                policy=destination.arn.apply(lambda arn: json.dumps(role_docs.webhook_policy(arn))),
                opts=child,
            )
            aws.cloudwatch.EventTarget(
                f"{name}-to-webhook",
                rule=home_rule_resource.name,
                target_id="webhook",
                arn=destination.arn,
                role_arn=invoker.arn,
                region=home,
                input_transformer={
                    "input_paths": paths,
                    "input_template": webhook_template(names.deployment_id, acct),
                },
                opts=child,
            )

        others = [r for r in args.regions if r != home]
        if others:
            forward_name = names.aws("vendor-access-forward")
            forwarder = aws.iam.Role(
                f"{name}-forward-role",
                name=forward_name,
                description="EventBridge forwards vendor role assumptions to the stack Region's bus",
                assume_role_policy=json.dumps(
                    role_docs.events_trust(acct, [rule_arn(r, acct, rule_name) for r in others])
                ),
                tags={PURPOSE_TAG: "vendor-access-forward"},
                opts=child,
            )
            aws.iam.RolePolicy(
                f"{name}-forward-role-policy",
                name="forward-to-stack-region",
                role=forwarder.name,
                policy=json.dumps(role_docs.forward_policy(bus_arn(home, acct))),
                opts=child,
            )
            for region in others:
                aws.cloudwatch.EventTarget(
                    f"{name}-forward-{region}",
                    rule=rule(region).name,
                    target_id="stack-region-bus",
                    arn=bus_arn(home, acct),
                    role_arn=forwarder.arn,
                    region=region,
                    opts=child,
                )
        self.topic_arn = topic.arn
        self.register_outputs({"topic_arn": self.topic_arn})
