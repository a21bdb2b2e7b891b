"""Patterns more than one layer checks: one definition each (account ids, regions, ARNs built from them).

Every pattern that checks an identifier here and in the rest of components/, tools/ and policies/
matches ASCII only: Python's `\\d`, `\\w` and `\\s` match full-width digits, Cyrillic letters and
other look-alikes unless compiled with `re.ASCII`, and AWS, Kubernetes and the other consumers
refuse them. Patterns end at `\\Z`: `$` also matches before a trailing line break. `ascii_pattern`
compiles one that way.
"""

from __future__ import annotations

import re

# Pieces, for patterns that embed them (ARNs); non-capturing so callers' groups keep their numbers.
ACCOUNT = r"[0-9]{12}"
REGION = r"[a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-[0-9]"


def ascii_pattern(body: str, flags: int = 0) -> re.Pattern[str]:
    """`^body\\Z`, matching ASCII only (`\\d` is [0-9], `\\w` is [A-Za-z0-9_])."""
    return re.compile(rf"^(?:{body})\Z", flags | re.ASCII)


ACCOUNT_RE = ascii_pattern(ACCOUNT)
REGION_RE = ascii_pattern(REGION)

# Valid values that stand in for an invalid account id or deployment id while the keys derived from
# them are checked (the invalid one is already reported; nothing built from a stand-in is deployed).
STAND_IN_ACCOUNT = "000000000000"
STAND_IN_DEPLOYMENT = "abc"

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
