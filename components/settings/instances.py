"""EC2 instance types the node groups accept, from the vendored data (components/data/SOURCES), and
what a node of each can allocate to pods.

A node's allocatable resources are modelled the way the nodes compute them (AL2023 EKS-optimised
AMI, managed node groups, the VPC CNI with prefix delegation as `components/cluster.py` configures it):

- max pods: nodeadm's calculation for the default network card's ENIs (one less with custom
  networking), `ENIs * ((IPv4 per ENI - 1) * 16) + 2` with prefix delegation on Nitro instances,
  `ENIs * (IPv4 per ENI - 1) + 2` otherwise; managed node groups cap it at 110 below 30 vCPUs and
  250 above (awslabs/amazon-eks-ami `max-pods-calculator.sh`; EKS user guide, "How maxPods is
  determined").
- kube-reserved: CPU 6% of the first core, 1% of the second, 0.5% of the third and fourth, 0.25% of
  the rest; memory `11 MiB * max pods + 255 MiB`; no system-reserved (amazon-eks-ami
  `nodeadm/internal/kubelet/config.go`, `getCPUMillicoresToReserve`, `getMemoryMebibytesToReserve`).
- eviction: `memory.available < 100Mi` (the same file's kubelet defaults).
- memory the OS sees: the instance's nominal memory less 7.5% (Karpenter's default
  `vmMemoryOverheadPercent`, which reproduces the allocatable memory its reference lists), so the
  checks err on the side of refusing a pod that might not fit.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data" / "instance_types.json"
ZONES = 3
IPS_PER_PREFIX = 16
MAX_PODS_CEILING_LOW_CPU, MAX_PODS_CEILING_HIGH_CPU, HIGH_CPU_THRESHOLD = 110, 250, 30
VM_MEMORY_OVERHEAD = Decimal("0.075")
EVICTION_HARD_MEMORY_MIB = 100
MIB = 2**20


@dataclass(frozen=True)
class Resources:
    """CPU (millicores), memory (MiB) and pod slots: requests, or what a node can hold."""

    cpu_m: int = 0
    memory_mib: int = 0
    pods: int = 0

    def __add__(self, other: Resources) -> Resources:
        return Resources(self.cpu_m + other.cpu_m, self.memory_mib + other.memory_mib, self.pods + other.pods)

    def __sub__(self, other: Resources) -> Resources:
        return Resources(self.cpu_m - other.cpu_m, self.memory_mib - other.memory_mib, self.pods - other.pods)

    def times(self, n: int) -> Resources:
        return Resources(self.cpu_m * n, self.memory_mib * n, self.pods * n)

    def fits(self, room: Resources) -> bool:
        return self.cpu_m <= room.cpu_m and self.memory_mib <= room.memory_mib and self.pods <= room.pods


@dataclass(frozen=True)
class InstanceType:
    """One EC2 instance type as the vendored data describes it."""

    name: str
    vcpu: int
    memory_mib: int
    nitro: bool
    max_enis: int
    ipv4_per_eni: int

    def max_pods(self, custom_networking: bool) -> int:
        enis = self.max_enis - (1 if custom_networking else 0)
        per_eni = (self.ipv4_per_eni - 1) * (IPS_PER_PREFIX if self.nitro else 1)
        ceiling = MAX_PODS_CEILING_HIGH_CPU if self.vcpu > HIGH_CPU_THRESHOLD else MAX_PODS_CEILING_LOW_CPU
        return min(enis * per_eni + 2, ceiling)

    def kube_reserved_cpu_m(self) -> int:
        total = self.vcpu * 1000
        reserved = 0
        for start, end, per_10000 in ((0, 1000, 600), (1000, 2000, 100), (2000, 4000, 50), (4000, total, 25)):
            if total > start:
                reserved += (min(total, end) - start) * per_10000 // 10000
        return reserved

    def allocatable(self, custom_networking: bool, max_pods: int | None = None) -> Resources:
        """CPU, memory and pods a node offers the scheduler; `max_pods` overrides the modelled value."""
        pods = max_pods if max_pods is not None else self.max_pods(custom_networking)
        visible = int(self.memory_mib * (1 - VM_MEMORY_OVERHEAD))
        memory = visible - (11 * pods + 255) - EVICTION_HARD_MEMORY_MIB
        return Resources(self.vcpu * 1000 - self.kube_reserved_cpu_m(), memory, pods)


@functools.cache
def instance_types() -> dict[str, InstanceType]:
    data = json.loads(DATA.read_text())
    return {
        name: InstanceType(
            name, item["vcpu"], item["memoryMiB"], item["hypervisor"] == "nitro", item["maxEnis"], item["ipv4PerEni"]
        )
        for name, item in data.items()
    }


def supported_families() -> list[str]:
    return sorted({name.split(".")[0] for name in instance_types()})


def unsupported_type_problem() -> str:
    """The problem and fix for an instance type the data does not know."""
    return (
        f"not an instance type this program knows the capacity of; use an x86_64 type of the "
        f"{', '.join(supported_families())} families (components/data/instance_types.json)"
    )
