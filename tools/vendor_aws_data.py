"""Regenerates components/data/aws.json from the installed botocore (a development requirement;
the program itself reads only the JSON file, so `pulumi up` needs no botocore):

- `partitions`: each partition's region names, from botocore's `data/partitions.json` (the
  `-global` pseudo-regions of the endpoint rules left out);
- `ebsVolumeSizeGiB`: the size range of each EBS volume type, from the EC2 API's own description of
  `CreateVolume`'s `Size` ("gp3: 1 - 65,536 GiB") in botocore's `ec2` service model.

    venv/bin/python -m tools.vendor_aws_data
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "components" / "data" / "aws.json"


def regions_by_partition(partitions: dict[str, Any]) -> dict[str, list[str]]:
    return {
        p["id"]: sorted(r for r in p["regions"] if not r.endswith("-global"))
        for p in sorted(partitions["partitions"], key=lambda p: p["id"])
    }


def volume_sizes(create_volume_size_doc: str) -> dict[str, list[int]]:
    """`<li><p>gp3: <code>1 - 65,536</code> GiB</p></li>` -> {"gp3": [1, 65536]} ("st1 and sc1" give two)."""
    out: dict[str, list[int]] = {}
    for types, low, high in re.findall(
        r"<p>([a-z0-9 ]+?): <code>([\d,]+) - ([\d,]+)</code> GiB</p>", create_volume_size_doc, re.ASCII
    ):
        for name in types.split(" and "):
            out[name.strip()] = [int(low.replace(",", "")), int(high.replace(",", ""))]
    return out


def build() -> dict[str, Any]:
    import botocore
    import botocore.loaders

    loader = botocore.loaders.create_loader()
    ec2 = loader.load_service_model("ec2", "service-2")
    size_doc = ec2["shapes"]["CreateVolumeRequest"]["members"]["Size"]["documentation"]
    return {
        "botocore": botocore.__version__,
        "partitions": regions_by_partition(loader.load_data("partitions")),
        "ebsVolumeSizeGiB": volume_sizes(size_doc),
    }


def main() -> None:
    OUT.write_text(json.dumps(build(), indent=2) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
