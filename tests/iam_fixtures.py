"""Fixtures shared by the IAM document tests: one deployment's names, zone, buckets and vendor."""

from __future__ import annotations

from components import iam_policies as docs
from components.iam import BootstrapRoleArgs, VendorAccessSpec, VendorExports, bootstrap_scope
from components.naming import Names

NAMES = Names("dev", "123456789012")
ZONE = "arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ"
BUCKETS = tuple(f"arn:aws:s3:::{NAMES.bucket(w)}" for w in ("data", "backup", "monitoring"))
OIDC_HOST = "oidc.eks.us-west-2.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
OIDC_ARN = f"arn:aws:iam::123456789012:oidc-provider/{OIDC_HOST}"
VENDOR = "426924874929"
PATTERN = f"arn:aws:iam::{VENDOR}:role/*-CrossplaneWorkloadRole"


def vendor_access(access: docs.BootstrapAccess, names: Names = NAMES) -> VendorAccessSpec:
    """The vendor's access as the settings give it, with `access` for the bootstrap role."""
    return VendorAccessSpec(
        vendor_account_id=VENDOR,
        external_id="ext-1234",
        external_id_secret=False,
        principal_arn_pattern=PATTERN,
        exports=VendorExports(state_queue_arn=None, billing_bucket_arn=None, billing_prefix=""),
        role_name=names.aws("management"),
        access=access,
        only=False,
        troubleshooting_until=None,
    )


def args(**access) -> BootstrapRoleArgs:
    return BootstrapRoleArgs(
        names=NAMES,
        region="us-west-2",
        account_id="123456789012",
        cluster_name=NAMES.cluster,
        zone_arn=ZONE,
        data_bucket_arn=BUCKETS[0],
        backup_bucket_arn=BUCKETS[1],
        monitoring_bucket_arn=BUCKETS[2],
        spec=vendor_access(docs.BootstrapAccess(**access)),
    )


SCOPE = bootstrap_scope(args(), ZONE)


def policies(**access) -> dict[str, dict]:
    return docs.bootstrap_policies(SCOPE, docs.BootstrapAccess(**access))


def allowed_actions(*documents: dict) -> set[str]:
    return {a for d in documents for s in d["Statement"] if s["Effect"] == "Allow" for a in _list(s["Action"])}


def _list(value) -> list:
    return value if isinstance(value, list) else [value]


def statements(doc: dict) -> dict[str, dict]:
    return {s["Sid"]: s for s in doc["Statement"]}
