"""The EKS layer's settings: Kubernetes version, API endpoint, node groups, keys, data protection.

Parsed straight into the layer's `ClusterSpec` (components/cluster.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from components import cidr, versions
from components.cluster import ClusterSpec
from components.settings import instances
from components.settings.reader import NS, Problems, read_bool, read_object

DEFAULTS: dict[str, Any] = {
    "kubernetesVersion": versions.KUBERNETES_VERSION,
    "clusterEndpoint": {"public": True, "publicCidrs": [], "allowAnyPublicCidr": False},
    "systemNodeGroup": {"instanceType": "m5.xlarge", "size": 3},
    "clickhouseNodes": {"instanceType": "r6i.4xlarge", "maxSize": 5},
    "kms": {"customerManagedKey": False},
    "dataProtection": True,
}
OBJECT_FIELDS: dict[str, dict[str, type]] = {
    "clusterEndpoint": {"public": bool, "publicCidrs": list, "allowAnyPublicCidr": bool},
    "systemNodeGroup": {"instanceType": str, "size": int},
    "clickhouseNodes": {"instanceType": str, "maxSize": int},
    "kms": {"customerManagedKey": bool},
}
REQUIRED: tuple[str, ...] = ()
OPTIONAL: tuple[str, ...] = ()

INSTANCE_TYPE_RE = re.compile(r"^[a-z][a-z0-9-]*\.[0-9]*[a-z0-9]+\Z", re.ASCII)
MAX_CLICKHOUSE_NODES_PER_ZONE = 100


def _object(raw: Mapping[str, str], key: str, p: Problems) -> dict[str, Any]:
    return read_object(raw, key, OBJECT_FIELDS[key], DEFAULTS[key], p)


def _instance_type(key: str, value: Any, example: str, p: Problems) -> None:
    if not INSTANCE_TYPE_RE.match(str(value)):
        p.add(key, value, f"not an EC2 instance type; use e.g. {example}")
    elif value not in instances.instance_types():
        p.add(key, value, instances.unsupported_type_problem())


def parse(raw: Mapping[str, str], p: Problems) -> tuple[ClusterSpec, bool]:
    """The cluster's spec, and whether buckets and volumes use a customer-managed key (`kms`)."""
    version = raw.get(f"{NS}:kubernetesVersion", DEFAULTS["kubernetesVersion"])
    if version not in versions.KUBERNETES_VERSIONS:
        p.add(
            "kubernetesVersion",
            version,
            f"not a Kubernetes minor this program supports; use one of "
            f"{', '.join(versions.KUBERNETES_VERSIONS)} (default {versions.KUBERNETES_VERSION})",
        )
    elif unpinned := versions.unpinned_addons(version):
        accepted = [v for v in versions.KUBERNETES_VERSIONS if not versions.unpinned_addons(v)]
        p.add(
            "kubernetesVersion",
            version,
            f"no published EKS add-on version of {', '.join(unpinned)} for {version} yet (the program pins every "
            f"add-on, never EKS's deploy-time default: components/versions.py); use {accepted[-1]} until one is pinned",
        )

    endpoint = _object(raw, "clusterEndpoint", p)
    cidrs = endpoint["publicCidrs"]
    good_cidrs: list[str] = []
    for i, block in enumerate(cidrs if isinstance(cidrs, list) else []):
        net = cidr.parse_network(block) if isinstance(block, str) else None
        if net is None:
            p.add(f"clusterEndpoint.publicCidrs[{i}]", block, "not an IPv4 CIDR; give a network such as 203.0.113.0/24")
        elif net.prefixlen == 0 and not endpoint["allowAnyPublicCidr"]:
            p.add(
                f"clusterEndpoint.publicCidrs[{i}]",
                block,
                "opens the Kubernetes API to the whole internet; list "
                "your runners' egress CIDRs, or set clusterEndpoint.allowAnyPublicCidr true to accept the risk",
            )
        else:
            good_cidrs.append(str(net))
    if endpoint["public"] and not cidrs:
        p.add(
            "clusterEndpoint.publicCidrs",
            [],
            "empty while clusterEndpoint.public is true; list the CIDRs that may "
            "reach the API (your CI runners, VPN), or set clusterEndpoint.public false for a private-only endpoint",
        )

    system = _object(raw, "systemNodeGroup", p)
    size = system["size"]
    _instance_type("systemNodeGroup.instanceType", system["instanceType"], "m5.xlarge", p)
    if not isinstance(size, int) or size < 3 or size % 3:
        p.add(
            "systemNodeGroup.size",
            size,
            "must be a multiple of 3 (the same number of system nodes in each zone); use 3, 6 or 9",
        )
        size = 3

    nodes = _object(raw, "clickhouseNodes", p)
    _instance_type("clickhouseNodes.instanceType", nodes["instanceType"], "r6i.4xlarge", p)
    if not isinstance(nodes["maxSize"], int) or not 1 <= nodes["maxSize"] <= MAX_CLICKHOUSE_NODES_PER_ZONE:
        p.add(
            "clickhouseNodes.maxSize",
            nodes["maxSize"],
            f"out of range; set 1-{MAX_CLICKHOUSE_NODES_PER_ZONE} (nodes per zone)",
        )

    kms = _object(raw, "kms", p)
    spec = ClusterSpec(
        kubernetes_version=version,
        endpoint_public=bool(endpoint["public"]),
        public_cidrs=tuple(good_cidrs) if endpoint["public"] else (),
        system_instance_type=str(system["instanceType"]),
        system_nodes_per_zone=size // 3,
        clickhouse_instance_type=str(nodes["instanceType"]),
        clickhouse_max_per_zone=int(nodes["maxSize"]) if isinstance(nodes["maxSize"], int) else 1,
        data_protection=read_bool(raw, "dataProtection", DEFAULTS["dataProtection"], p),
    )
    return spec, bool(kms["customerManagedKey"])


def warnings(cluster: ClusterSpec) -> list[str]:
    out = []
    if cluster.kubernetes_version in versions.KUBERNETES_EXTENDED_SUPPORT:
        out.append(
            f"clickhouse-byoc:kubernetesVersion: {cluster.kubernetes_version}: past EKS standard support "
            f"(extended support costs more per cluster hour); upgrade to {versions.KUBERNETES_VERSION}"
        )
    if not cluster.data_protection:
        out.append(
            "clickhouse-byoc:dataProtection: false: pulumi destroy will delete the data, backup and monitoring "
            "buckets with everything in them; set it back to true unless this stack holds nothing you need"
        )
    return out
