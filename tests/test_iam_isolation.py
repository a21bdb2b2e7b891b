"""Isolation, as a matrix: every workload role and the bootstrap role of deployment `acme`, every
action they hold, against resources of (a) `acme`, (b) `acme-prod` (an id `acme` is a prefix of)
and (c) no deployment (a volume and a snapshot from before the deployment tag, another cluster's
controller-made load balancer and target group, untagged ones, instances of another cluster or of
nobody, an untagged key, a role outside any path...). Only (a) may be allowed.

Each request is evaluated as AWS authorizes it (tests/iam_sar.py): on each resource type the
service authorization reference lists for the action, with the condition keys it lists for that
type, the resource's real tags and keys, and the request keys the caller controls set to its own
deployment's values, or left out (the caller's best case either way). Wildcard actions are the
reference's actions they name. Reads are left out where they are granted on `*` only
(account-wide `Describe*`/`List*` are what AWS offers), not where they name resources (objects,
logs). A create is tried on its parents (a subnet, a volume to snapshot), never on the resource it
creates. The `clickhouse-cloud` profile is out of the matrix: it is the vendor's own scoping, which
gives up this isolation by design (docs/iam.md).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass

import pytest

from components import iam_policies as docs
from tests import iam_sar as sar
from tests.iam_eval import ALLOW, DENY, Resource, decide, decide_request
from tests.iam_world import CREATES, LBC_TAG, Entry, World, unowned

CALLER, OTHER = World("acme"), World("acme-prod")
OWN, OTHERS, NOBODY = "own", "acme-prod", "no deployment"

# The service authorization reference's resource types of each kind of the test world.
SAR_TYPES = {
    "service-linked-role": ("role",),
    "loadbalancer": ("loadbalancer/net/",),
    "listener": ("listener/net",),
    "listener-rule": ("listener-rule/net",),
}


# Creates whose source is of the type they create: the source is tried like any resource.
COPIES = {"ec2:CopyVolumes"}


def sar_types(kind: str) -> tuple[str, ...]:
    return SAR_TYPES.get(kind, (kind,))


def roles(world: World) -> dict[str, list[dict]]:
    """Every role's documents: the workload roles, the bootstrap role with everything on, the
    boundary as the ceiling of every role the bootstrap role creates."""
    out = {purpose: [doc] for purpose, doc in world.workload_documents().items()}
    out.update(world.vendor_documents())
    return out


def attacker_keys(world: World) -> dict[str, object]:
    """Request keys the caller chooses: its own deployment's values."""
    tags = {
        "clickhouse-byoc": "true",
        "clickhouse-byoc/deployment": world.deployment_id,
        LBC_TAG: world.cluster,
        "ebs.csi.aws.com/cluster": "true",
        "CSIVolumeName": "pvc-new",
        "CSIVolumeSnapshotName": "snapcontent-new",
    }
    return {
        **{f"aws:RequestTag/{k}": v for k, v in tags.items()},
        "aws:TagKeys": sorted(tags),
        "aws:CurrentTime": "2029-12-31T00:00:00Z",
        "iam:PassedToService": "eks.amazonaws.com",
        "iam:AWSServiceName": "eks.amazonaws.com",
        "iam:PermissionsBoundary": world.scope.boundary_arn,
        "kms:ViaService": "s3.us-west-2.amazonaws.com",
        "kms:GrantIsForAWSResource": "true",
        "route53:ChangeResourceRecordSetsRecordTypes": ["TXT"],
        "s3:prefix": "analytics/",
    }


def _list(value) -> list:
    return value if isinstance(value, list) else [value]


def granted_actions(documents: list[dict]) -> list[str]:
    """Every concrete action an Allow statement names (wildcards as the reference's actions)."""
    out = set()
    for doc in documents:
        for st in doc["Statement"]:
            if st["Effect"] == "Allow":
                for pattern in _list(st["Action"]):
                    out.update(sar.expand(pattern))
    return sorted(out)


def _without_account_wide_reads(documents: list[dict]) -> list[dict]:
    keep = [
        {
            **doc,
            "Statement": [st for st in doc["Statement"] if st["Effect"] == "Deny" or _list(st["Resource"]) != ["*"]],
        }
        for doc in documents
    ]
    return keep


def allowed_on(documents: list[dict], action: str, entry: Entry, caller: World) -> bool:
    """Whether `action` on `entry`'s resource is allowed, the caller doing its best."""
    types = sar.resource_types(action)
    keys = next((types[t] for t in sar_types(entry.kind) if t in types), None)
    created = {t for kind in CREATES.get(action, ()) for t in sar_types(kind)}
    if keys is None or (set(sar_types(entry.kind)) & created and action not in COPIES):
        return False
    if sar.access_level(action) in ("Read", "List"):
        documents = _without_account_wide_reads(documents)
    resource = {k: v for k, v in entry.resource.context().items() if sar.available(k, keys)}
    request = {k: v for k, v in attacker_keys(caller).items() if sar.available(k, keys)}
    untagged = {k: v for k, v in request.items() if not k.startswith("aws:RequestTag/") and k != "aws:TagKeys"}
    return any(decide(documents, action, entry.resource.arn, {**r, **resource}) == ALLOW for r in (request, untagged))


@dataclass(frozen=True)
class Finding:
    role: str
    action: str
    owner: str
    arn: str


def targets() -> list[tuple[str, Entry]]:
    """(owner, entry) for every resource of the three kinds of owner."""
    variant = Resource(
        OTHER.ec2("volume", "vol-case"),
        {"CLICKHOUSE-BYOC/DEPLOYMENT": OTHER.deployment_id, "ebs.csi.aws.com/cluster": "true"},
        {"ec2:VolumeType": "gp3"},
    )
    return (
        [(OWN, e) for e in CALLER.entries]
        + [(OTHERS, e) for e in (*OTHER.entries, Entry("volume", variant))]
        + [(NOBODY, e) for e in unowned()]
    )


def matrix(documents_by_role: dict[str, list[dict]], caller: World = CALLER) -> dict[str, list[Finding]]:
    """Role -> every (action, resource) it is allowed, with the resource's owner."""
    everything = targets()
    out: dict[str, list[Finding]] = {}
    for role, documents in documents_by_role.items():
        found = []
        for action in granted_actions(documents):
            service = action.split(":")[0]
            for owner, entry in everything:
                if entry.resource.arn.split(":")[2] == service and allowed_on(documents, action, entry, caller):
                    found.append(Finding(role, action, owner, entry.resource.arn))
        out[role] = found
    return out


@functools.cache
def result() -> dict[str, list[Finding]]:
    return matrix(roles(CALLER))


ROLES = sorted(roles(CALLER))


def test_the_matrix_holds_every_workload_role_and_the_bootstrap_role():
    assert set(ROLES) == {
        "vpc-cni",
        "ebs-csi",
        "load-balancer-controller",
        "external-dns",
        "cert-manager",
        "cluster-autoscaler",
        "thanos",
        "clickhouse-analytics",
        "clickhouse-restored",
        "state-exporter",
        "billing-scraper",
        "data-plane-mgmt",
        "troubleshooting",
        "bootstrap",
        "boundary",
    }
    owners = {owner for owner, _ in targets()}
    assert owners == {OWN, OTHERS, NOBODY}
    kinds = {e.kind for owner, e in targets() if owner == NOBODY}
    assert {"volume", "snapshot", "loadbalancer", "targetgroup", "instance"} <= kinds


@pytest.mark.parametrize("role", ROLES)
def test_a_role_is_allowed_only_its_own_deployments_resources(role):
    foreign = [f for f in result()[role] if f.owner != OWN]
    assert foreign == [], "\n".join(f"{f.action} on {f.owner}'s {f.arn}" for f in foreign)


# Writes a role holds that no resource of the test world exercises, with why: (role, action) -> why.
UNEXERCISED = {
    ("ebs-csi", "ec2:CreateTags"): "tag-on-create only (`ec2:CreateAction`, in the context only while a create runs)",
    ("load-balancer-controller", "elasticloadbalancing:ModifyIpPools"): "IPAM pools of ALBs; the gateways are NLBs",
    ("load-balancer-controller", "elasticloadbalancing:ModifyListenerAttributes"): "on listeners with this "
    "cluster's controller tag (upstream's condition); the test world's listeners carry none",
}


def named_actions(documents: list[dict]) -> list[str]:
    """The actions an Allow statement names without a wildcard."""
    return sorted(
        {
            a
            for doc in documents
            for st in doc["Statement"]
            if st["Effect"] == "Allow"
            for a in _list(st["Action"])
            if "*" not in a
        }
    )


@pytest.mark.parametrize("role", ROLES)
def test_every_write_a_role_names_reaches_some_own_resource(role):
    """The other side: each write a role names is allowed on at least one of the caller's own
    resources (creates: on a parent; pure creates are tried below), so a role's isolation is never
    an empty matrix. Wildcards (a boundary's `elasticloadbalancing:Delete*`) also name actions on
    resource types the deployment never has: those are not required to reach anything."""
    reached = {f.action for f in result()[role] if f.owner == OWN}
    world = {t for e in CALLER.entries for t in sar_types(e.kind)}
    missing = []
    for action in named_actions(roles(CALLER)[role]):
        if sar.access_level(action) in ("Read", "List") or action in reached or (role, action) in UNEXERCISED:
            continue
        created = {t for kind in CREATES.get(action, ()) for t in sar_types(kind)}
        if (set(sar.resource_types(action)) & world) - created or action not in CREATES:
            missing.append(action)
    assert missing == []


def test_unexercised_writes_are_granted():
    for role, action in UNEXERCISED:
        assert action in named_actions(roles(CALLER)[role]), (role, action)


def creates(documents: list[dict]) -> list[str]:
    return [a for a in granted_actions(documents) if a in CREATES]


# Creates whose new resource is placed by something of this deployment other than its tags (the
# parent or the name it is created under), with what: (role, action) -> what.
PLACED_BY_PARENT = {
    ("load-balancer-controller", "ec2:CreateSecurityGroup"): "authorized on this VPC (`ec2:Vpc`)",
    ("load-balancer-controller", "elasticloadbalancing:CreateListener"): "this deployment's load balancers, by name",
    ("load-balancer-controller", "elasticloadbalancing:CreateRule"): "this deployment's listeners, by name",
    ("bootstrap", "eks:CreateAddon"): "under this cluster's ARN",
    ("bootstrap", "eks:CreateNodegroup"): "under this cluster's ARN",
    ("bootstrap", "eks:CreatePodIdentityAssociation"): "under this cluster's ARN",
    ("bootstrap", "kms:CreateAlias"): "this deployment's alias names, to its own keys",
    ("bootstrap", "iam:CreateServiceLinkedRole"): "AWS names it; only the listed services",
    ("boundary", "iam:CreateServiceLinkedRole"): "AWS names it; only the listed services",
    ("boundary", "logs:CreateLogGroup"): "under this cluster's log group path",
}


@pytest.mark.parametrize("role", ROLES)
def test_creates_carry_only_the_own_deployment_tag(role):
    """A create with the caller's own tags is allowed; the same create claiming the other
    deployment (its deployment and cluster tags) is not: no role plants a resource that another
    deployment's roles would take for theirs. Creates placed by a parent of this deployment (a
    security group in this VPC, a node group of this cluster) are listed with what places them."""
    documents = roles(CALLER)[role]
    planted, refused = [], []
    for action in creates(documents):
        kind = CREATES[action][0]
        new = CALLER.new(kind)
        types = sar.resource_types(action)
        keys = next((types[t] for t in sar_types(kind) if t in types), sar.request_keys(action))
        own = {k: v for k, v in attacker_keys(CALLER).items() if sar.available(k, keys)}
        theirs = {k: v for k, v in attacker_keys(OTHER).items() if sar.available(k, keys) and "RequestTag" in k}
        if decide_request(documents, action, [new], own, created=(new.arn,)) != ALLOW:
            refused.append(action)
        elif (role, action) not in PLACED_BY_PARENT and (
            decide_request(documents, action, [new], {**own, **theirs}, created=(new.arn,)) == ALLOW
        ):
            planted.append(action)
    assert planted == []
    # Refused with the own tags too: creates of named resources only (the three buckets), or
    # creates the test's new resource does not model (a cluster of another name).
    assert set(refused) <= {"s3:CreateBucket", "iam:CreateServiceLinkedRole"}, refused


def test_placed_by_parent_creates_are_granted():
    for role, action in PLACED_BY_PARENT:
        assert action in creates(roles(CALLER)[role]), (role, action)


# -- the test is live ------------------------------------------------------------------------------

# The EBS CSI driver's statements for volumes from before the deployment tag, as on main before
# this change: any volume without the tag, in any deployment or in none.
BEFORE_THE_TAG = [
    docs.statement(
        "ChangeVolumesFromBeforeTheDeploymentTag",
        ["ec2:AttachVolume", "ec2:DetachVolume", "ec2:ModifyVolume"],
        ["arn:aws:ec2:*:*:volume/*", "arn:aws:ec2:*:*:instance/*"],
        {"Null": {"aws:ResourceTag/clickhouse-byoc/deployment": "true", "ec2:VolumeType": "false"}},
    ),
    docs.statement(
        "UntagVolumesFromBeforeTheDeploymentTag",
        ["ec2:DeleteTags"],
        ["arn:aws:ec2:*:*:volume/*"],
        {"Null": {"aws:ResourceTag/clickhouse-byoc/deployment": "true"}},
    ),
    docs.statement(
        "DeleteVolumesFromBeforeTheDeploymentTag",
        ["ec2:DeleteVolume"],
        ["arn:aws:ec2:*:*:volume/*"],
        {"Null": {"aws:ResourceTag/clickhouse-byoc/deployment": "true"}},
    ),
]


def test_the_matrix_finds_the_ebs_csi_statements_for_volumes_from_before_the_tag():
    """The finding of issue 19: these statements let `acme` attach, detach, modify, untag and
    delete volumes of no deployment (acme-prod's older ones included)."""
    ebs = CALLER.workload_documents()["ebs-csi"]
    before = {**ebs, "Statement": [*ebs["Statement"], *BEFORE_THE_TAG]}
    found = {(f.action, f.arn) for f in matrix({"ebs-csi": [before]})["ebs-csi"] if f.owner != OWN}
    old = "arn:aws:ec2:us-west-2:123456789012:volume/vol-0before0tag0000"
    for action in ("ec2:AttachVolume", "ec2:DetachVolume", "ec2:ModifyVolume", "ec2:DeleteTags", "ec2:DeleteVolume"):
        assert (action, old) in found
    # An empty tag value is null: a volume tagged `clickhouse-byoc/deployment=""` was reachable too.
    assert ("ec2:DeleteVolume", "arn:aws:ec2:us-west-2:123456789012:volume/vol-0empty0deploy0") in found
    # `ec2:VolumeType` narrows nothing: an instance has no such key, so no instance was ever reachable
    # through it, and every volume has one.
    assert not any(":instance/" in arn for _, arn in found)


def test_the_matrix_finds_a_name_prefix_or_the_shared_tag():
    """The scoping this program's isolation replaced is caught on the other's real resources."""
    by_prefix = docs.document(
        docs.statement("Prefix", ["iam:CreatePolicyVersion"], [CALLER.scope.policy("*")]),
        docs.statement(
            "SharedTag",
            ["ec2:DeleteSecurityGroup"],
            "*",
            {"StringEquals": {"aws:ResourceTag/clickhouse-byoc": "true"}},
        ),
    )
    found = {(f.action, f.owner, f.arn) for f in matrix({"old": [by_prefix]})["old"]}
    assert ("iam:CreatePolicyVersion", OTHERS, OTHER.scope.policy("management-network")) in found
    assert ("ec2:DeleteSecurityGroup", OTHERS, OTHER.ec2("security-group", "sg")) in found


def test_the_matrix_finds_the_account_wide_cni_policy():
    """AWS's `AmazonEKS_CNI_Policy`, which the aws-node role had: every interface and instance."""
    upstream = json.loads((sar.ROOT / "tests/upstream/iam/amazon-vpc-cni-v1.20.1.json").read_text())
    found = {(f.action, f.owner) for f in matrix({"cni": [upstream]})["cni"]}
    for owner in (OTHERS, NOBODY):
        assert ("ec2:DeleteNetworkInterface", owner) in found
        assert ("ec2:AttachNetworkInterface", owner) in found


def test_the_matrix_finds_keys_of_no_deployment_through_if_exists():
    """`StringEqualsIfExists` on a key's deployment tag holds for an untagged key: the bootstrap
    role's KMS statements before this change let it tag any untagged key as its own (then schedule
    its deletion) and point its aliases at one."""
    tagging = docs.document(
        docs.statement(
            "KmsTagKeysOnCreate",
            ["kms:TagResource"],
            ["arn:aws:kms:us-west-2:123456789012:key/*"],
            {
                "StringEquals": {"aws:RequestTag/clickhouse-byoc/deployment": "acme"},
                "StringEqualsIfExists": {"aws:ResourceTag/clickhouse-byoc/deployment": "acme"},
            },
        ),
    )
    aliases = docs.document(
        docs.statement(
            "KmsAliasesOfDeployment",
            ["kms:CreateAlias", "kms:UpdateAlias"],
            [
                "arn:aws:kms:us-west-2:123456789012:alias/ClickHouse-cloud-acme/*",
                "arn:aws:kms:us-west-2:123456789012:key/*",
            ],
            {"StringEqualsIfExists": {"aws:ResourceTag/clickhouse-byoc/deployment": "acme"}},
        ),
    )
    found = {(f.action, f.owner) for f in matrix({"kms": [tagging, aliases]})["kms"]}
    assert ("kms:TagResource", NOBODY) in found and ("kms:TagResource", OTHERS) not in found
    assert ("kms:UpdateAlias", NOBODY) in found


def test_the_matrix_finds_a_copy_of_any_volume():
    """`ec2:CopyVolumes` as the driver's upstream policy grants it, even under this deployment's
    request tags: the source is any volume, the copy this deployment's."""
    upstream = json.loads((sar.ROOT / "tests/upstream/iam/aws-ebs-csi-driver-v1.64.0.json").read_text())
    found = {(f.action, f.owner) for f in matrix({"up": [upstream]})["up"]}
    assert ("ec2:CopyVolumes", OTHERS) in found and ("ec2:CopyVolumes", NOBODY) in found


# -- what the reference says, where the isolation depends on it -------------------------------------


def test_the_reference_keys_the_isolation_relies_on():
    """Keys each scoped statement conditions on are in the context AWS builds for that action."""
    assert "aws:resourcetag/${tagkey}" in sar.resource_types("ec2:AttachVolume")["volume"]
    assert "aws:resourcetag/${tagkey}" in sar.resource_types("ec2:AttachVolume")["instance"]
    assert "ec2:volumetype" not in sar.resource_types("ec2:AttachVolume")["instance"]
    for action in ("ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:AttachNetworkInterface"):
        assert "ec2:vpc" in sar.resource_types(action)["network-interface"], action
    assert "ec2:vpc" in sar.resource_types("ec2:CreateNetworkInterface")["subnet"]
    assert "ec2:vpc" not in sar.resource_types("ec2:AttachNetworkInterface")["instance"]
    # The new volume of CreateVolume has request tags, no resource tags; the snapshot it restores has.
    restore = sar.resource_types("ec2:CreateVolume")
    assert "aws:resourcetag/${tagkey}" not in restore["volume"] and "aws:resourcetag/${tagkey}" in restore["snapshot"]
    # CopyVolumes' source is authorized without its tags: nothing keeps it to one deployment.
    assert "aws:resourcetag/${tagkey}" not in sar.resource_types("ec2:CopyVolumes")["volume"]
    assert "aws:resourcetag/${tagkey}" in sar.resource_types("kms:CreateAlias")["key"]


def test_every_action_the_documents_name_is_in_the_reference():
    for documents in roles(CALLER).values():
        for doc in documents:
            for st in doc["Statement"]:
                for pattern in _list(st["Action"]):
                    assert sar.expand(pattern)


@pytest.mark.parametrize(("kind", "decision"), [("own", ALLOW), ("other", DENY), ("untagged", DENY)])
def test_vpc_cni_attaches_interfaces_only_to_this_deployments_nodes(kind, decision):
    """`ec2:Vpc` cannot place an instance (it has no such key): the explicit deny does."""
    doc = CALLER.workload_documents()["vpc-cni"]
    (eni,) = [e for e in CALLER.of_kind("network-interface") if "primary" in e.arn]
    instance = {
        "own": CALLER.of_kind("instance")[0],
        "other": OTHER.of_kind("instance")[0],
        "untagged": next(e.resource for e in unowned() if e.resource.arn.endswith("i-0untagged000000")),
    }[kind]
    assert decide_request([doc], "ec2:AttachNetworkInterface", [eni, instance]) == decision


def test_every_kind_of_the_world_is_a_reference_resource_type():
    for _, entry in targets():
        service = entry.resource.arn.split(":")[2]
        assert set(sar_types(entry.kind)) <= set(sar._data()[service]["resources"]), entry.kind
