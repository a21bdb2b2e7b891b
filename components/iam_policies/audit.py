"""The roles EventBridge assumes to deliver the customer's vendor-access alerts.

- the forwarder: the rule in every other Region puts matching events on the stack Region's default
  event bus (a cross-Region target needs a role);
- the webhook caller: the stack Region's rule invokes the API destination of `vendorAccessAlerts.webhook`.

Both trusts name `events.amazonaws.com` with `aws:SourceAccount` and `aws:SourceArn` (the rules of
this deployment only), against the confused deputy.
"""

from __future__ import annotations

from components.iam_policies.common import Doc, document, statement


def events_trust(account_id: str, rule_arns: list[str]) -> Doc:
    """EventBridge may assume the role, for the named rules of this account only."""
    return document(
        {
            "Sid": "EventBridgeRulesOfThisDeploymentAssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": account_id},
                "ArnLike": {"aws:SourceArn": sorted(rule_arns)},
            },
        }
    )


def forward_policy(bus_arn: str) -> Doc:
    """Put events on the stack Region's default bus, and nowhere else."""
    return document(statement("ForwardToTheStackRegionBus", ["events:PutEvents"], [bus_arn]))


def webhook_policy(api_destination_arn: str) -> Doc:
    """Invoke the alert webhook's API destination, and nothing else."""
    return document(statement("InvokeTheAlertWebhook", ["events:InvokeApiDestination"], [api_destination_arn]))
