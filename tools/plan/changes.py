"""What the change plan is made of: one resource's change, the plan, and the resource types it
singles out (stateful ones, and those whose changes it explains)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tools.plan import costdiff

ACTIONS = ("create", "update", "replace", "delete", "forget")

# Resources whose loss loses data or identity: the network the cluster and its load balancers live
# in, the cluster (its etcd holds every Kubernetes object), buckets, keys (data encrypted with a
# deleted key is unreadable), the DNS zone (delegations point at its name servers), volumes and
# claims, the ClickHouse and Keeper installations, and generated credentials.
STATEFUL_TYPES = frozenset(
    {
        "aws:ec2/vpc:Vpc",
        "aws:ec2/subnet:Subnet",
        "aws:ec2/vpcIpv4CidrBlockAssociation:VpcIpv4CidrBlockAssociation",
        "eks:index:Cluster",
        "aws:eks/cluster:Cluster",
        "aws:s3/bucket:Bucket",
        "aws:kms/key:Key",
        "aws:route53/zone:Zone",
        "aws:ebs/volume:Volume",
        "kubernetes:core/v1:PersistentVolume",
        "kubernetes:core/v1:PersistentVolumeClaim",
        "kubernetes:clickhouse.altinity.com/v1:ClickHouseInstallation",
        "kubernetes:clickhouse-keeper.altinity.com/v1:ClickHouseKeeperInstallation",
        "random:index/randomPassword:RandomPassword",
    }
)

CHI = "kubernetes:clickhouse.altinity.com/v1:ClickHouseInstallation"
CHK = "kubernetes:clickhouse-keeper.altinity.com/v1:ClickHouseKeeperInstallation"
CERTIFICATE = "kubernetes:cert-manager.io/v1:Certificate"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
EKS_CLUSTER = "eks:index:Cluster"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
OPERATOR_CHART = "altinity-clickhouse-operator"
ROLLS = "the node group rolls"


@dataclass
class Change:
    """One resource's planned change."""

    urn: str
    type: str
    action: str
    stateful: bool = False
    disruptive: bool = False
    reasons: list[str] = field(default_factory=list)
    blocked: bool = False
    allowable: bool = True
    """False for a change Kubernetes rejects: --allow cannot make it work."""
    seconds: int = 0
    paths: list[str] = field(default_factory=list)
    """The changed input paths of an update (dotted)."""

    def as_json(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "action": self.action,
            "stateful": self.stateful,
            "disruptive": self.disruptive,
            "reasons": self.reasons,
        }


@dataclass
class Plan:
    """The changes between two sets of records, what blocks them, and the modeled duration."""

    changes: list[Change]
    blocked: list[str]
    modeled_seconds: int
    renamed: list[tuple[str, str]] = field(default_factory=list)
    """(base URN, new URN) of resources renamed through `aliases` with no other change: Pulumi
    shows them as unchanged, so they are not in `changes`."""
    first_deploy: bool = False
    """Nothing is deployed at the base: every resource is created, the duration is the first-deploy
    model."""
    cost: costdiff.CostDelta | None = None
    """The monthly estimate before and after, by layer."""

    def as_json(self) -> dict[str, Any]:
        doc = {
            "changes": [c.as_json() for c in self.changes],
            "blocked": self.blocked,
            "modeled_seconds": self.modeled_seconds,
            "first_deploy": self.first_deploy,
        }
        if self.cost is not None:
            doc["cost"] = self.cost.as_json()
        return doc


def is_component(record: Mapping[str, Any]) -> bool:
    """This project's own component resources (and the stack): never diffed, only created/deleted."""
    typ = record["type"]
    return typ == "pulumi:pulumi:Stack" or (typ.startswith("clickhouse-byoc:") and not record.get("custom", True))
