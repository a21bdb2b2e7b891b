"""Patterns more than one layer checks: one definition each (account ids, regions, ARNs built from them)."""

from __future__ import annotations

import re

# Pieces, for patterns that embed them (ARNs); non-capturing so callers' groups keep their numbers.
ACCOUNT = r"\d{12}"
REGION = r"[a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\d"

ACCOUNT_RE = re.compile(rf"^{ACCOUNT}$")
REGION_RE = re.compile(rf"^{REGION}$")

# Regions outside the `aws` partition, by name prefix (AWS General Reference, "Partitions").
OTHER_PARTITIONS = (
    ("cn-", "aws-cn"),
    ("us-gov-", "aws-us-gov"),
    ("us-isob-", "aws-iso-b"),
    ("us-isof-", "aws-iso-f"),
    ("eu-isoe-", "aws-iso-e"),
    ("us-iso-", "aws-iso"),
)


def partition(region: str) -> str:
    """The partition a region name belongs to (`aws` unless a prefix above says otherwise)."""
    return next((name for prefix, name in OTHER_PARTITIONS if region.startswith(prefix)), "aws")


def partition_problem(region: str) -> str | None:
    """Why `region` cannot be used (problem; fix), or None: every ARN the program writes is `arn:aws:`."""
    other = partition(region)
    if other == "aws":
        return None
    return (
        f"in the {other} partition, and only the aws partition is supported (every ARN the program "
        "writes is arn:aws:...); use a region of the aws partition, such as us-west-2"
    )
