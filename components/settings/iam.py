"""The IAM layer's settings: the vendor's access (keys `clickhouseCloud`, `bootstrap`, `troubleshootingAccess`),
parsed straight into the layer's `VendorAccessSpec` (components/iam.py) with its `BootstrapAccess`
(components/iam_policies/common.py) and `VendorExports`."""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from typing import Any, get_args

from components import naming
from components.iam import VendorAccessSpec, VendorExports
from components.iam_policies.common import BootstrapAccess, Mode, Profile
from components.settings.aws import arn_partition_problem, region_problem
from components.settings.patterns import ACCOUNT, ACCOUNT_RE, REGION
from components.settings.reader import NS, Problems, decode_value, iso_instant_text, read_object

DEFAULTS: dict[str, Any] = {
    # The vendor's production control-plane account (its published onboarding module).
    "clickhouseCloud": {"accountId": "426924874929"},
    "bootstrap": {
        "vpcWrite": True,
        "iamWrite": True,
        "kms": False,
        "mode": "full",
        "profile": "scoped",
        "only": False,
    },
    "troubleshootingAccess": {},
}
OBJECT_FIELDS: dict[str, dict[str, type]] = {
    "clickhouseCloud": {
        "accountId": str,
        "externalId": str,
        "principalArnPattern": str,
        "stateQueueArn": str,
        "billingBucketArn": str,
        "billingPrefix": str,
    },
    "bootstrap": {
        "vpcWrite": bool,
        "iamWrite": bool,
        "kms": bool,
        "mode": str,
        "roleName": str,
        "profile": str,
        "only": bool,
    },
    # `tailscale` is read by the observability settings (components/settings/observability.py).
    "troubleshootingAccess": {"until": str, "tailscale": dict},
}
REQUIRED: tuple[str, ...] = ()
OPTIONAL: tuple[str, ...] = ()

EXTERNAL_ID_RE = re.compile(r"^[\w+=,.@:/-]{2,1224}\Z", re.ASCII)
IAM_ROLE_NAME_RE = re.compile(r"^[\w+=,.@-]{1,64}\Z", re.ASCII)
PRINCIPAL_PATTERN_RE = re.compile(rf"^arn:aws:iam::({ACCOUNT}):(role|user)/[\w+=,.@/*-]+\Z", re.ASCII)
SQS_ARN_RE = re.compile(rf"^arn:aws:sqs:{REGION}:{ACCOUNT}:[\w-]{{1,80}}(\.fifo)?\Z", re.ASCII)
S3_BUCKET_ARN_RE = re.compile(r"^arn:aws:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\Z", re.ASCII)
S3_PREFIX_RE = re.compile(r"^[A-Za-z0-9!_.*'()/-]{1,512}\Z", re.ASCII)
BOOTSTRAP_MODES: tuple[str, ...] = get_args(Mode)
BOOTSTRAP_PROFILES: tuple[str, ...] = get_args(Profile)
LONG_TROUBLESHOOTING_DAYS = 30


def utc_instant(value: str) -> datetime.datetime | None:
    """An ISO-8601 instant with an explicit UTC offset (`Z` or `+00:00`), or None."""
    try:
        text = iso_instant_text(value.strip())
        parsed = datetime.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None or parsed.utcoffset() != datetime.timedelta(0):
        return None
    return parsed


def example_instant(now: datetime.datetime) -> str:
    """An example `until` that is always in the future: tomorrow at 18:00 UTC."""
    return f"{(now + datetime.timedelta(days=1)):%Y-%m-%d}T18:00:00Z"


def _object(raw: Mapping[str, str], key: str, p: Problems) -> dict[str, Any]:
    return read_object(raw, key, OBJECT_FIELDS[key], DEFAULTS[key], p)


def parse(
    raw: Mapping[str, str],
    account_id: str,
    deployment_id: str,
    secret_keys: frozenset[str],
    now: datetime.datetime,
    p: Problems,
) -> VendorAccessSpec:
    before = len(p.lines)
    cloud = _object(raw, "clickhouseCloud", p)
    # A broken map is one problem; checks across its fields would only repeat it.
    cloud_broken = len(p.lines) > before and not isinstance(decode_value(raw.get(f"{NS}:clickhouseCloud")), dict)
    boot = _object(raw, "bootstrap", p)
    access = _object(raw, "troubleshootingAccess", p)

    vendor = cloud.get("accountId", "")
    vendor_ok = bool(ACCOUNT_RE.match(vendor))
    if not vendor_ok:
        p.add("clickhouseCloud.accountId", vendor, "not a 12-digit AWS account id; use the vendor's account id")
    external_id = cloud.get("externalId") or ""
    written = decode_value(raw.get(f"{NS}:clickhouseCloud"))
    # A value of the wrong type is already reported under this key: "required" would repeat it.
    wrong_type = isinstance(written, dict) and written.get("externalId") not in (None, "") and not external_id
    if not external_id and not cloud_broken and not wrong_type:
        p.add(
            "clickhouseCloud.externalId",
            None,
            "required; set the external id ClickHouse Cloud gave you: "
            "`pulumi config set --path --secret clickhouseCloud.externalId` (it asks for the value)",
        )
    elif external_id and not EXTERNAL_ID_RE.match(external_id):
        p.add(
            "clickhouseCloud.externalId",
            external_id,
            "not a valid external id; use 2-1224 letters, digits and +=,.@:/-_",
        )
    pattern = cloud.get("principalArnPattern") or f"arn:aws:iam::{vendor}:role/*-CrossplaneWorkloadRole"
    match = PRINCIPAL_PATTERN_RE.match(pattern)
    derived_from_bad_account = not vendor_ok and not cloud.get("principalArnPattern")
    if derived_from_bad_account:
        pass  # the account id's problem is already reported
    elif problem := arn_partition_problem(pattern):
        p.add("clickhouseCloud.principalArnPattern", pattern, problem)
    elif not match:
        p.add(
            "clickhouseCloud.principalArnPattern",
            pattern,
            "not an IAM role or user ARN pattern; use e.g. arn:aws:iam::<vendor account>:role/*-CrossplaneWorkloadRole",
        )
    elif vendor_ok and match.group(1) != vendor:
        p.add(
            "clickhouseCloud.principalArnPattern",
            pattern,
            f"names account {match.group(1)}, not clickhouseCloud.accountId {vendor}; use the vendor account",
        )
    queue = cloud.get("stateQueueArn") or None
    if problem := arn_partition_problem(queue):
        p.add("clickhouseCloud.stateQueueArn", queue, problem)
    elif queue and not SQS_ARN_RE.match(queue):
        p.add("clickhouseCloud.stateQueueArn", queue, "not an SQS queue ARN; use arn:aws:sqs:<region>:<account>:<name>")
    elif queue and (problem := region_problem(queue.split(":")[3])):
        p.add("clickhouseCloud.stateQueueArn", queue, f"names region {queue.split(':')[3]}, {problem}")
    bucket = cloud.get("billingBucketArn") or None
    if problem := arn_partition_problem(bucket):
        p.add("clickhouseCloud.billingBucketArn", bucket, problem)
    elif bucket and not S3_BUCKET_ARN_RE.match(bucket):
        p.add("clickhouseCloud.billingBucketArn", bucket, "not an S3 bucket ARN; use arn:aws:s3:::<bucket name>")
    prefix = (cloud.get("billingPrefix") or f"{account_id}/{deployment_id}").strip("/")
    if not S3_PREFIX_RE.match(prefix) or "*" in prefix:
        p.add(
            "clickhouseCloud.billingPrefix",
            cloud.get("billingPrefix"),
            "not a plain S3 key prefix; use letters, digits and !_.'()/- (no wildcards)",
        )

    mode = boot.get("mode", "full")
    if mode not in BOOTSTRAP_MODES:
        p.add("bootstrap.mode", mode, "unknown mode; use full (set-up), operate (day 2) or revoked (no permissions)")
    profile = boot.get("profile", "scoped")
    if profile not in BOOTSTRAP_PROFILES:
        p.add(
            "bootstrap.profile",
            profile,
            "unknown profile; use scoped (this program's per-deployment scoping) or clickhouse-cloud "
            "(what ClickHouse's published AWS onboarding grants)",
        )
    role_name = boot.get("roleName") or naming.Names(deployment_id, account_id).aws("management")
    if not IAM_ROLE_NAME_RE.match(role_name):
        p.add("bootstrap.roleName", role_name, "not a valid IAM role name; use 1-64 letters, digits and +=,.@_-")

    until = access.get("until") or None
    if until is not None:
        instant = utc_instant(until)
        if instant is None:
            p.add(
                "troubleshootingAccess.until",
                until,
                f"not an ISO-8601 UTC time; use e.g. {example_instant(now)} (remove the key to end access)",
            )
            until = None
        elif instant <= now:
            p.add(
                "troubleshootingAccess.until",
                until,
                f"is in the past (now {now:%Y-%m-%dT%H:%M:%SZ}); set a future time, or remove the key to end access",
            )
            until = None
        else:
            until = instant.strftime("%Y-%m-%dT%H:%M:%SZ")

    # An unknown mode or profile is reported above and the settings are refused; the spec still needs a
    # valid stand-in: the default mode, and the profile no scoped-profile check applies to.
    access = BootstrapAccess(
        mode=mode if mode in BOOTSTRAP_MODES else "full",
        vpc_write=boot.get("vpcWrite", True),
        iam_write=boot.get("iamWrite", True),
        kms=boot.get("kms", False),
        profile=profile if profile in BOOTSTRAP_PROFILES else "clickhouse-cloud",
    )
    return VendorAccessSpec(
        vendor_account_id=vendor,
        external_id=external_id,
        external_id_secret="clickhouseCloud" in secret_keys,
        principal_arn_pattern=pattern,
        exports=VendorExports(state_queue_arn=queue, billing_bucket_arn=bucket, billing_prefix=prefix),
        role_name=role_name,
        access=access,
        only=boot.get("only", False),
        troubleshooting_until=until,
    )


def check_bootstrap_only(iam: VendorAccessSpec, hosted_zone_id: str | None, p: Problems) -> None:
    """`bootstrap.only` with the scoped profile scopes records to an existing zone: it needs its id."""
    if iam.only and iam.access.profile == "scoped" and not hosted_zone_id:
        p.add(
            "bootstrap.only",
            True,
            "the scoped profile limits the vendor's record changes to one zone, and a bootstrap-only stack "
            "creates none; set dns.hostedZoneId to the existing zone, or use bootstrap.profile clickhouse-cloud",
        )


PLAINTEXT_EXTERNAL_ID_WARNING = (
    "clickhouse-byoc:clickhouseCloud.externalId: (not shown): stored in plain text in the stack file, "
    "readable by anyone who can read the repository; store it encrypted: "
    "`pulumi config set --path --secret clickhouseCloud.externalId` (it asks for the value)"
)


def warnings(iam: VendorAccessSpec, now: datetime.datetime) -> list[str]:
    out = []
    if not iam.external_id_secret:
        out.append(PLAINTEXT_EXTERNAL_ID_WARNING)
    until = iam.troubleshooting_until
    if until and utc_instant(until) - now > datetime.timedelta(days=LONG_TROUBLESHOOTING_DAYS):
        out.append(
            f"clickhouse-byoc:troubleshootingAccess.until: {until}: more than {LONG_TROUBLESHOOTING_DAYS} days "
            "away; time-boxed access is meant to be short: grant days, and renew when needed"
        )
    return out
