"""What AWS itself accepts, from the vendored botocore data (components/data/aws.json, SOURCES):
the regions of each partition, and the size range of each EBS volume type.

The program writes `arn:aws:` ARNs only, so it supports the `aws` partition only: a region or an
ARN of another partition is refused, naming its partition.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent.parent / "data" / "aws.json"
PARTITION = "aws"
# `arn:<partition>:`: what the partition of an ARN is, whatever follows.
ARN_PARTITION_RE = re.compile(r"^arn:([a-z-]+):", re.ASCII)
GIB = 2**30


@functools.cache
def data() -> dict[str, Any]:
    return json.loads(DATA.read_text())


def regions(partition: str = PARTITION) -> tuple[str, ...]:
    return tuple(data()["partitions"].get(partition, ()))


def partition_of_region(region: str) -> str | None:
    return next((p for p, names in data()["partitions"].items() if region in names), None)


def region_problem(region: str, example: str = "us-west-2") -> str | None:
    """Why `region` cannot be used (problem; fix), or None for a region of the `aws` partition."""
    partition = partition_of_region(region)
    if partition == PARTITION:
        return None
    if partition is not None:
        return (
            f"in the {partition} partition, and only the aws partition is supported (every ARN the program "
            f"writes is arn:aws:...); use a region of the aws partition, such as {example}"
        )
    close = difflib.get_close_matches(region.lower(), regions(), n=1, cutoff=0.6)
    hint = f"did you mean {close[0]}?" if close else f"use a region such as {example}"
    return (
        f"not a region of the aws partition (botocore {data()['botocore']} endpoint data, "
        f"components/data/aws.json); {hint}"
    )


def arn_partition_problem(arn: Any) -> str | None:
    """Why an ARN of another partition cannot be used (problem; fix), or None (an `arn:aws:` ARN, or not
    an ARN at all: the caller's own check reports that)."""
    match = ARN_PARTITION_RE.match(arn) if isinstance(arn, str) else None
    if match is None or match[1] == PARTITION:
        return None
    return (
        f"an ARN of the {match[1]} partition, and only the aws partition is supported (the program's "
        "policies and providers name arn:aws:...); use an arn:aws: ARN of an account in the aws partition"
    )


def volume_size_gib(volume_type: str) -> tuple[int, int]:
    """The (smallest, largest) size in GiB EC2's CreateVolume takes for `volume_type`."""
    low, high = data()["ebsVolumeSizeGiB"][volume_type]
    return low, high
