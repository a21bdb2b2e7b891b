"""Regenerates components/data/instance_types.json from the two upstream files named in
components/data/SOURCES: Karpenter's instance type reference (vCPUs, memory, hypervisor,
architecture) and amazon-eks-ami's nodeadm instance-info.jsonl (ENIs, IPv4 addresses per ENI).

    venv/bin/python -m tools.vendor_instance_types instance-types.md instance-info.jsonl

Only the x86_64 families the node groups are offered in (FAMILIES) are kept: the node groups run
the AL2023 x86_64 AMI, and every kept type must be in both sources.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "components" / "data" / "instance_types.json"
# General purpose (system nodes) and memory optimised (ClickHouse nodes), Intel and AMD.
FAMILIES = ("m5", "m5a", "m6i", "m6a", "m7i", "m7a", "r5", "r5a", "r6i", "r6a", "r7i", "r7a")


def parse_karpenter(text: str) -> dict[str, dict[str, str]]:
    """Instance type -> its Karpenter labels (`### `type`` headings, then a label table)."""
    out: dict[str, dict[str, str]] = {}
    current = None
    for line in text.splitlines():
        heading = re.match(r"^### `([a-z0-9.-]+)`$", line)
        if heading:
            current = out.setdefault(heading[1], {})
            continue
        row = re.match(r"^\s*\|([^|]+)\|([^|]*)\|$", line)
        if current is not None and row:
            current[row[1].strip()] = row[2].strip()
    return out


def build(karpenter_md: str, instance_info_jsonl: str) -> dict[str, dict[str, int | str]]:
    labels = parse_karpenter(karpenter_md)
    enis = {}
    for line in instance_info_jsonl.splitlines():
        if line.strip():
            item = json.loads(line)
            enis[item["instanceType"]] = item
    out: dict[str, dict[str, int | str]] = {}
    for name in sorted(labels):
        family = name.split(".")[0]
        info = labels[name]
        if family not in FAMILIES or info.get("kubernetes.io/arch") != "amd64" or name not in enis:
            continue
        out[name] = {
            "vcpu": int(info["karpenter.k8s.aws/instance-cpu"]),
            "memoryMiB": int(info["karpenter.k8s.aws/instance-memory"]),
            "hypervisor": info.get("karpenter.k8s.aws/instance-hypervisor") or "none",
            "maxEnis": int(enis[name]["defaultMaxENIs"]),
            "ipv4PerEni": int(enis[name]["ipv4AddressesPerInterface"]),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("karpenter_md", type=Path)
    parser.add_argument("instance_info_jsonl", type=Path)
    args = parser.parse_args(argv)
    data = build(args.karpenter_md.read_text(), args.instance_info_jsonl.read_text())
    OUT.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    print(f"{OUT}: {len(data)} instance types")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
