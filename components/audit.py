"""Audit: the log bucket, the trail, and the customer's alerts when the vendor assumes one of its roles.

- `AuditLog`: the log bucket the program owns (`clickhouse-cloud-<id>-audit-logs-<account>`): private,
  TLS only, versioned, SSE-S3 (S3 server access logging delivers only into SSE-S3 buckets), protected
  and retained like the data buckets, every log expiring after its configured days. Its policy lets
  exactly the configured writers in, each under its own prefix and tied to its source by
  `aws:SourceAccount`/`aws:SourceArn`: S3 server access logging (`s3-access/<bucket>/`), VPC flow
  logs through the log delivery service (`vpc-flow-logs/`), and the trail (`cloudtrail/`); it denies
  the vendor's roles everything. The audit KMS key (rotated, retained) encrypts the trail's log files
  and the alert topic. The trail (`audit.trail.mode: create`) is multi-Region with global service
  events and log file validation: EventBridge receives CloudTrail's API events only from a Region
  where a trail logs.
- `VendorAccessAlerts`: an EventBridge rule in every Region enabled in the account (an `AssumeRole`
  is recorded in the Region whose STS endpoint served it: the Region the vendor calls, us-east-1 for
  the global endpoint, or the Region the global endpoint served it in), the other Regions' rules
  forwarding to the stack Region's default bus, whose rule publishes to the program's SNS topic
  (email subscriptions) and POSTs to `vendorAccessAlerts.webhook` through an API destination.

The documents (bucket policy, lifecycle, key policy, topic policy, event pattern, the message each
endpoint gets) are plain functions; docs/iam.md shows what the customer receives.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.iam_policies import audit as role_docs
from components.iam_policies.common import PURPOSE_TAG
from components.naming import BUCKET_PURPOSE_TAG, Names
from components.storage import (
    ABORT_MULTIPART_DAYS,
    ACCESS_LOG_PREFIX,
    DATA_PROTECTION_TAG,
    NONCURRENT_VERSION_DAYS,
    access_log_prefix,
    bucket_arn,
)

LOGS_TYPE = "clickhouse-byoc:audit:AuditLog"
ALERTS_TYPE = "clickhouse-byoc:audit:VendorAccessAlerts"

LOG_BUCKET_PURPOSE = "audit-logs"
FLOW_LOG_PREFIX = "vpc-flow-logs/"
TRAIL_PREFIX = "cloudtrail"
# The vendor's roles (components/iam.py): the bootstrap role is named by `bootstrap.roleName`.
VENDOR_ROLE_SUFFIXES = ("data-plane-mgmt", "troubleshooting")
# EventBridge delivers read-only management events (an AssumeRole is one) only to rules in this state.
RULE_STATE = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
WEBHOOK_HEADER = "X-ClickHouse-BYOC-Alert"
WEBHOOK_RATE_PER_SECOND = 10


# -- the log bucket -------------------------------------------------------------------------------


def flow_log_destination(log_bucket: str) -> str:
    """The flow log's S3 destination: the log bucket's folder (files land under `.../AWSLogs/<account>/`)."""
    return f"{bucket_arn(log_bucket)}/{FLOW_LOG_PREFIX}"


def vendor_role_arns(account_id: str, names: Names, bootstrap_role_name: str) -> tuple[str, ...]:
    """The roles the vendor assumes: the bootstrap role, data-plane-mgmt and troubleshooting (whether
    or not the troubleshooting window is open, so opening it changes no rule)."""
    roles = (bootstrap_role_name, *(names.aws(s) for s in VENDOR_ROLE_SUFFIXES))
    return tuple(f"arn:aws:iam::{account_id}:role/{role}" for role in roles)


def trail_arn(region: str, account_id: str, trail: str) -> str:
    return f"arn:aws:cloudtrail:{region}:{account_id}:trail/{trail}"


def log_bucket_policy(
    bucket: str,
    account_id: str,
    region: str,
    *,
    access_log_sources: Mapping[str, str],
    flow_logs: bool,
    trail: str | None,
    vendor_roles: Sequence[str],
) -> dict:
    """TLS only; the vendor's roles denied; each configured log writer allowed under its own prefix.

    `access_log_sources`: purpose -> source bucket. The statements are AWS's own (S3 user guide,
    "Enabling Amazon S3 server access logging"; VPC user guide, "Publish flow logs to Amazon S3";
    CloudTrail user guide, "Amazon S3 bucket policy for CloudTrail"), each with `aws:SourceAccount`
    or `aws:SourceArn` against the confused deputy.
    """
    arn = bucket_arn(bucket)
    statements: list[dict] = [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [arn, f"{arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            # The record of the vendor's actions is out of the vendor's reach, whatever its IAM grants.
            "Sid": "DenyTheVendorRoles",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [arn, f"{arn}/*"],
            "Condition": {"ArnLike": {"aws:PrincipalArn": sorted(vendor_roles)}},
        },
    ]
    for purpose, source in sorted(access_log_sources.items()):
        statements.append(
            {
                "Sid": f"S3ServerAccessLogs{purpose.capitalize()}",
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"{arn}/{access_log_prefix(purpose)}*",
                "Condition": {
                    "ArnLike": {"aws:SourceArn": bucket_arn(source)},
                    "StringEquals": {"aws:SourceAccount": account_id},
                },
            }
        )
    delivery = {
        "StringEquals": {"aws:SourceAccount": account_id},
        "ArnLike": {"aws:SourceArn": f"arn:aws:logs:{region}:{account_id}:*"},
    }
    if flow_logs:
        statements += [
            {
                "Sid": "AWSLogDeliveryWrite",
                "Effect": "Allow",
                "Principal": {"Service": "delivery.logs.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"{arn}/{FLOW_LOG_PREFIX}AWSLogs/{account_id}/*",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account_id, "s3:x-amz-acl": "bucket-owner-full-control"},
                    "ArnLike": delivery["ArnLike"],
                },
            },
            {
                "Sid": "AWSLogDeliveryAclCheck",
                "Effect": "Allow",
                "Principal": {"Service": "delivery.logs.amazonaws.com"},
                "Action": ["s3:GetBucketAcl", "s3:ListBucket"],
                "Resource": arn,
                "Condition": delivery,
            },
        ]
    if trail is not None:
        source = {"aws:SourceArn": trail_arn(region, account_id, trail)}
        statements += [
            {
                "Sid": "AWSCloudTrailAclCheck",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:GetBucketAcl",
                "Resource": arn,
                "Condition": {"StringEquals": source},
            },
            {
                "Sid": "AWSCloudTrailWrite",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"{arn}/{TRAIL_PREFIX}/AWSLogs/{account_id}/*",
                "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", **source}},
            },
        ]
    return {"Version": "2012-10-17", "Statement": statements}


def log_lifecycle_rules(log_days: int, flow_log_days: int) -> list[dict]:
    """Every log expires after its days; versions a deletion leaves behind go after the usual 30."""
    expiring = (
        ("expire-access-logs", ACCESS_LOG_PREFIX, log_days),
        ("expire-flow-logs", FLOW_LOG_PREFIX, flow_log_days),
        ("expire-trail-logs", f"{TRAIL_PREFIX}/", log_days),
    )
    rules: list[dict] = [
        {
            "id": "abort-incomplete-multipart-uploads",
            "status": "Enabled",
            "filter": {},
            "abort_incomplete_multipart_upload": {"days_after_initiation": ABORT_MULTIPART_DAYS},
        }
    ]
    rules += [
        {"id": rule_id, "status": "Enabled", "filter": {"prefix": prefix}, "expiration": {"days": days}}
        for rule_id, prefix, days in expiring
    ]
    rules += [
        {
            "id": "expire-noncurrent-versions",
            "status": "Enabled",
            "filter": {},
            "noncurrent_version_expiration": {"noncurrent_days": NONCURRENT_VERSION_DAYS},
        },
        {
            "id": "remove-expired-delete-markers",
            "status": "Enabled",
            "filter": {},
            "expiration": {"expired_object_delete_marker": True},
        },
    ]
    return rules


def audit_key_policy(
    account_id: str, region: str, *, trail: str | None, alert_rule_arn: str | None, vendor_roles: Sequence[str]
) -> dict:
    """The account administers the key through IAM; CloudTrail encrypts the trail's files and
    EventBridge the alert topic's messages, each for its own source only (CloudTrail user guide,
    "Configure AWS KMS key policies for CloudTrail"; SNS developer guide, "Enable compatibility between
    event sources from AWS services and encrypted topics"); the vendor's roles may do nothing with it."""
    statements: list[dict] = [
        {
            "Sid": "AccountAdministersTheKeyThroughIam",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
            "Action": "kms:*",
            "Resource": "*",
        },
        {
            "Sid": "DenyTheVendorRoles",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "kms:*",
            "Resource": "*",
            "Condition": {"ArnLike": {"aws:PrincipalArn": sorted(vendor_roles)}},
        },
    ]
    if trail is not None:
        source = {"aws:SourceArn": trail_arn(region, account_id, trail)}
        statements += [
            {
                "Sid": "CloudTrailEncryptsTheTrailLogs",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:GenerateDataKey*",
                "Resource": "*",
                "Condition": {
                    "StringLike": {
                        "kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{account_id}:trail/*"
                    },
                    "StringEquals": source,
                },
            },
            {
                "Sid": "CloudTrailDescribesTheKey",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:DescribeKey",
                "Resource": "*",
                "Condition": {"StringEquals": source},
            },
        ]
    if alert_rule_arn is not None:
        statements.append(
            {
                "Sid": "EventBridgePublishesToTheAlertTopic",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "ArnLike": {"aws:SourceArn": alert_rule_arn},
                },
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


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


# -- components -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditLogArgs:
    """Inputs of the log bucket, the audit key and the trail."""

    names: Names
    """Naming for the deployment."""
    account_id: str
    """The customer account."""
    region: str
    """The stack's Region: the bucket's, the key's and the trail's home."""
    vendor_roles: tuple[str, ...]
    """ARNs of the vendor's roles, denied the bucket and the key."""
    bucket: bool = True
    """Create the log bucket (something writes into it)."""
    access_log_sources: Mapping[str, str] | None = None
    """purpose -> bucket whose server access logs the log bucket receives."""
    flow_logs: bool = True
    """Let VPC flow log delivery write (`vpc-flow-logs/`)."""
    trail: bool = True
    """Create the multi-Region trail (`cloudtrail/`)."""
    key: bool = True
    """Create the audit KMS key (the trail or the alert topic uses it)."""
    alert_rule_arn: str | None = None
    """The stack Region's vendor-access rule, allowed to use the key for the topic."""
    log_retention_days: int = 365
    """Days access and trail logs stay."""
    flow_log_retention_days: int = 365
    """Days flow logs stay."""
    data_protection: bool = True
    """Protect the bucket and key; retain the bucket (the key is always retained)."""


class AuditLog(pulumi.ComponentResource):
    """The log bucket, the audit key and the trail."""

    bucket_name: pulumi.Output[str] | None
    """The log bucket's name, resolved once its policy is in place (writers depend on it)."""
    key_arn: pulumi.Output[str] | None
    trail_arn: pulumi.Output[str] | None

    def __init__(self, name: str, args: AuditLogArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(LOGS_TYPE, name, None, opts)
        names, keep = args.names, args.data_protection
        trail_name = names.aws("trail") if args.trail else None
        self.bucket_name = self.key_arn = self.trail_arn = None

        if args.key:
            key = aws.kms.Key(
                f"{name}-key",
                description=f"{names.aws('audit')}: the trail's log files and the vendor access alert topic",
                enable_key_rotation=True,
                deletion_window_in_days=30,
                policy=json.dumps(
                    audit_key_policy(
                        args.account_id,
                        args.region,
                        trail=trail_name,
                        alert_rule_arn=args.alert_rule_arn,
                        vendor_roles=args.vendor_roles,
                    )
                ),
                tags={"Name": names.aws("audit")},
                opts=pulumi.ResourceOptions(parent=self, protect=keep, retain_on_delete=True),
            )
            aws.kms.Alias(
                f"{name}-key-alias",
                name=f"alias/{names.aws('audit')}",
                target_key_id=key.key_id,
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.key_arn = key.arn

        if args.bucket:
            bucket_name = names.bucket(LOG_BUCKET_PURPOSE)
            tags = {"Name": bucket_name, BUCKET_PURPOSE_TAG: LOG_BUCKET_PURPOSE}
            if not keep:
                tags[DATA_PROTECTION_TAG] = "disabled"
            bucket = aws.s3.Bucket(
                f"{name}-bucket",
                bucket=bucket_name,
                force_destroy=not keep,
                tags=tags,
                opts=pulumi.ResourceOptions(parent=self, protect=keep, retain_on_delete=keep),
            )
            on_bucket = pulumi.ResourceOptions(parent=self, depends_on=[bucket])
            block = aws.s3.BucketPublicAccessBlock(
                f"{name}-bucket-public-access",
                bucket=bucket.id,
                block_public_acls=True,
                block_public_policy=True,
                ignore_public_acls=True,
                restrict_public_buckets=True,
                opts=on_bucket,
            )
            aws.s3.BucketOwnershipControls(
                f"{name}-bucket-ownership",
                bucket=bucket.id,
                rule={"object_ownership": "BucketOwnerEnforced"},
                opts=on_bucket,
            )
            # Server access logging delivers only into buckets whose default encryption is SSE-S3.
            aws.s3.BucketServerSideEncryptionConfiguration(
                f"{name}-bucket-encryption",
                bucket=bucket.id,
                rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
                opts=on_bucket,
            )
            aws.s3.BucketVersioning(
                f"{name}-bucket-versioning",
                bucket=bucket.id,
                versioning_configuration={"status": "Enabled"},
                opts=on_bucket,
            )
            aws.s3.BucketLifecycleConfiguration(
                f"{name}-bucket-lifecycle",
                bucket=bucket.id,
                rules=log_lifecycle_rules(args.log_retention_days, args.flow_log_retention_days),
                opts=on_bucket,
            )
            policy = aws.s3.BucketPolicy(
                f"{name}-bucket-policy",
                bucket=bucket.id,
                policy=json.dumps(
                    log_bucket_policy(
                        bucket_name,
                        args.account_id,
                        args.region,
                        access_log_sources=args.access_log_sources or {},
                        flow_logs=args.flow_logs,
                        trail=trail_name,
                        vendor_roles=args.vendor_roles,
                    )
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[bucket, block]),
            )
            # Read through the policy: whoever writes logs here waits until it is allowed to (a
            # flow log created first would make the log delivery service write its own policy).
            self.bucket_name = policy.bucket

            if trail_name is not None:
                trail = aws.cloudtrail.Trail(
                    f"{name}-trail",
                    name=trail_name,
                    s3_bucket_name=self.bucket_name,
                    s3_key_prefix=TRAIL_PREFIX,
                    is_multi_region_trail=True,
                    include_global_service_events=True,
                    enable_log_file_validation=True,
                    enable_logging=True,
                    kms_key_id=self.key_arn,
                    tags={"Name": trail_name},
                    opts=pulumi.ResourceOptions(parent=self),
                )
                self.trail_arn = trail.arn
        self.register_outputs({"bucket_name": self.bucket_name, "key_arn": self.key_arn, "trail_arn": self.trail_arn})


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
    emails: tuple[str, ...] = ()
    """Email subscriptions."""
    webhook: pulumi.Input[str] | None = None
    """The HTTPS endpoint that gets each alert as a JSON POST (a secret), or None."""


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
        for i, email in enumerate(args.emails):
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

        if args.webhook is not None:
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
                invocation_endpoint=pulumi.Output.secret(args.webhook),
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
