"""Day-2 changes on the dev stack: what two synths (before and after a config change) differ in.

Each test runs the real program on `Pulumi.dev.yaml` with one change and compares the recorded
inputs resource by resource. What the provider does with a changed input comes from upstream, not
from here: `aws_eks_node_group` replaces the group when `instance_types`, `launch_template.id`,
`subnet_ids`, `ami_type` or `node_group_name` change and updates it in place for
`launch_template.version`, `version`, `scaling_config`, `labels`, `taint` and tags
(terraform-provider-aws internal/service/eks/node_group.go, commit 012e0a32); Kubernetes refuses
any update of a StorageClass's `parameters`.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import pulumi
import pytest

from components import cluster as cl
from components import providers, versions
from components.k8s_conventions import storage_class_name
from tests.conftest import run_offline
from tools.stackconfig import load_stack

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
ADDON = "aws:eks/addon:Addon"
# Inputs whose change makes the AWS provider replace a node group (node_group.go ForceNew).
NODE_GROUP_REPLACE_ON_CHANGE = ("amiType", "capacityType", "clusterName", "diskSize", "instanceTypes",
                                "launchTemplate.id", "launchTemplate.name", "nodeGroupName", "nodeRoleArn",
                                "subnetIds", "remoteAccess")  # fmt: skip


def run_dev(changes: dict[str, str] | None = None, fresh: bool = False):
    """The dev stack, with `changes` (short keys, JSON text values) over its config."""
    dev = load_stack("dev")
    values = {**dev.raw, **{f"clickhouse-byoc:{k}": v for k, v in (changes or {}).items()}}
    return run_offline(values, stack="dev", secret_keys=dev.secret_keys, fresh=fresh)


def _flat(value: Any, path: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_flat(item, f"{path}.{key}" if path else key))
        return out
    if isinstance(value, list):
        out = {}
        for i, item in enumerate(value):
            out.update(_flat(item, f"{path}[{i}]"))
        return out
    return {path: value}


class Diff:
    """URNs created and deleted, and the changed input paths of each URN present in both."""

    def __init__(self, before, after):
        self.before = {r["urn"]: r for r in before.resources}
        self.after = {r["urn"]: r for r in after.resources}
        self.created = sorted(set(self.after) - set(self.before))
        self.deleted = sorted(set(self.before) - set(self.after))
        self.updated: dict[str, list[str]] = {}
        for urn in set(self.before) & set(self.after):
            old, new = _flat(self.before[urn]["inputs"]), _flat(self.after[urn]["inputs"])
            changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
            if changed:
                self.updated[urn] = changed

    def names(self, urns) -> list[str]:
        return sorted(urn.rsplit("::", 1)[-1] for urn in urns)

    def updated_names(self) -> dict[str, list[str]]:
        return {urn.rsplit("::", 1)[-1]: paths for urn, paths in self.updated.items()}


def _run_watching_the_eks_component(changes: dict[str, str] | None = None):
    """A dev synth, and the transforms each pulumi-eks Cluster was given (the mocks see the
    component as one resource, so its children's options cannot be read from the records)."""
    seen: list[list] = []
    original = cl.eks.Cluster

    def spy(resource_name, *args, opts=None, **kwargs):
        seen.append(list(opts.transforms or []))
        return original(resource_name, *args, opts=opts, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cl.eks, "Cluster", spy)
        return run_dev(changes, fresh=True), seen


@pytest.fixture(scope="module")
def base_run():
    return _run_watching_the_eks_component()


@pytest.fixture(scope="module")
def base(base_run):
    return base_run[0]


@pytest.fixture(scope="module")
def unprotected_run():
    return _run_watching_the_eks_component({"dataProtection": "false"})


@pytest.fixture(scope="module")
def cmk_on():
    return run_dev({"kms": json.dumps({"customerManagedKey": True})})


def _groups(result) -> dict[str, dict]:
    return {r["name"]: r for r in result.by_type(NODE_GROUP)}


def _assert_no_node_group_replaced(diff: Diff) -> None:
    for urn, paths in diff.updated.items():
        if diff.after[urn]["type"] == NODE_GROUP:
            assert not [p for p in paths if p.startswith(NODE_GROUP_REPLACE_ON_CHANGE)], (urn, paths)
    assert not [u for u in diff.created + diff.deleted if "nodeGroup" in u]


@pytest.mark.parametrize(
    ("key", "value", "group"),
    [
        ("clickhouseNodes", {"instanceType": "r6i.8xlarge", "maxSize": 5}, "clickhouse"),
        ("systemNodeGroup", {"instanceType": "m5.2xlarge", "size": 3}, "system"),
    ],
)
def test_an_instance_type_change_is_a_new_launch_template_version_only(base, key, value, group):
    diff = Diff(base, run_dev({key: json.dumps(value)}))
    assert diff.created == [] and diff.deleted == []
    template = f"ClickHouse-cloud-dev-cluster-{group}-lt"
    # The template gets a new version; the zone's groups follow it (an in-place
    # UpdateNodegroupVersion, which EKS rolls one node per zone at a time). Nothing else moves.
    assert diff.updated_names() == {
        template: ["instanceType"],
        **{f"ClickHouse-cloud-dev-cluster-{group}-{z}": ["launchTemplate.version"] for z in "abc"},
    }
    (lt,) = [r for r in diff.after.values() if r["name"] == template]
    assert lt["inputs"]["instanceType"] == value["instanceType"]
    assert lt["inputs"]["updateDefaultVersion"] is True
    _assert_no_node_group_replaced(diff)
    for record in _groups(base).values():
        assert record["inputs"]["updateConfig"] == {"maxUnavailable": 1}


def test_a_kubernetes_bump_moves_control_plane_nodes_and_addons_and_nothing_else(base):
    older = run_dev({"kubernetesVersion": "1.34"})
    diff = Diff(older, base)  # 1.34 -> 1.35, the default
    assert diff.created == [] and diff.deleted == []
    updated = diff.updated_names()
    groups = sorted(_groups(base))
    # An add-on moves when its pin differs between the two minors (vpc-cni has one build for both).
    moved = [
        a for a in versions.EKS_ADDONS if versions.eks_addon_version(a, "1.34") != versions.eks_addon_version(a, "1.35")
    ]
    addons = sorted(r["name"] for r in base.by_type(ADDON) if r["inputs"]["addonName"] in moved)
    assert {"kube-proxy", "coredns"} <= set(moved)
    assert updated == {
        "ClickHouse-cloud-dev-cluster-eks": ["version"],
        **{g: ["version"] for g in groups},
        **{a: ["addonVersion"] for a in addons},
        "ClickHouse-cloud-dev-platform-cluster-autoscaler": ["values.image.tag"],
    }
    assert all(g["inputs"]["version"] == "1.35" for g in _groups(base).values())
    by_addon = {a["inputs"]["addonName"]: a["inputs"]["addonVersion"] for a in base.by_type(ADDON)}
    assert by_addon == {a: versions.eks_addon_version(a, "1.35") for a in versions.EKS_ADDONS}
    assert by_addon["kube-proxy"] == "v1.35.3-eksbuild.13" and by_addon["coredns"] == "v1.14.3-eksbuild.3"
    _assert_no_node_group_replaced(diff)


def test_upgrade_order_control_plane_then_node_groups_then_addons(base):
    (eks,) = base.by_type("eks:index:Cluster")
    groups = _groups(base).values()
    addons = {a["inputs"]["addonName"]: a for a in base.by_type(ADDON)}
    group_urns = {g["urn"] for g in groups}
    for group in groups:
        assert eks["urn"] in group["dependencies"]
    # kube-proxy must never be newer than the kubelets: it waits for every group, like coredns
    # and the CSI driver; vpc-cni has no kubelet skew rule and configures the nodes' networking.
    for name in ("kube-proxy", "coredns", "aws-ebs-csi-driver"):
        assert group_urns <= set(addons[name]["dependencies"]), name
    assert not group_urns & set(addons["vpc-cni"]["dependencies"])
    assert all(addons["vpc-cni"]["urn"] in g["dependencies"] for g in groups)


def test_system_size_change_keeps_min_desired_max_valid(base):
    diff = Diff(base, run_dev({"systemNodeGroup": json.dumps({"instanceType": "m5.xlarge", "size": 6})}))
    assert diff.created == [] and diff.deleted == []
    expected = {f"ClickHouse-cloud-dev-cluster-system-{z}": 2 for z in "abc"}
    updated = diff.updated_names()
    assert set(updated) == set(expected)
    for name, per_zone in expected.items():
        (group,) = [r for r in diff.after.values() if r["name"] == name]
        assert group["inputs"]["scalingConfig"] == {"minSize": per_zone, "maxSize": per_zone, "desiredSize": per_zone}
    _assert_no_node_group_replaced(diff)


@pytest.mark.parametrize("per_zone", [1, 2, 3, 33])
def test_node_group_sizes_are_valid_for_every_size(per_zone):
    system = cl.node_group_sizes("system", per_zone, per_zone)
    assert system["min_size"] == system["desired_size"] == system["max_size"] == per_zone
    ch = cl.node_group_sizes("clickhouse", 0, per_zone)
    assert ch["min_size"] == 0 <= ch["desired_size"] <= ch["max_size"] == per_zone


def test_a_tags_edit_does_not_touch_launch_templates_or_node_groups(base):
    tags = {"team": "data-platform", "cost-center": "finance", "owner": "dba"}
    diff = Diff(base, run_dev({"tags": json.dumps(tags)}))
    assert diff.created == [] and diff.deleted == []
    # Only the provider's default tags change; AWS applies them in place (tags_all) everywhere.
    assert diff.updated_names() == {
        "ClickHouse-cloud-dev-aws": ["defaultTags.tags.cost-center", "defaultTags.tags.owner"]
    }
    for lt in base.by_type(LAUNCH_TEMPLATE):
        for spec in lt["inputs"]["tagSpecifications"]:
            assert "team" not in spec["tags"] and spec["tags"]["clickhouse-byoc/deployment"] == "dev"


def test_keys_and_network_state_are_protected_and_keys_retained(base):
    def one(name):
        (record,) = [r for r in base.resources if r["name"] == name]
        return record

    for name in ("ClickHouse-cloud-dev-keys-secrets", "ClickHouse-cloud-dev-network-vpc",
                 "ClickHouse-cloud-dev-dns-zone", *(f"ClickHouse-cloud-dev-network-{t}-{i}"
                                                   for t in ("public", "private") for i in range(3))):  # fmt: skip
        assert one(name)["protect"] is True, name
    assert one("ClickHouse-cloud-dev-keys-secrets")["retainOnDelete"] is True
    assert one("ClickHouse-cloud-dev-keys-secrets-alias")["retainOnDelete"] is False


def _transform(type_: str):
    args = pulumi.ResourceTransformArgs(False, type_, "x", {"name": "x"}, pulumi.ResourceOptions())
    return cl.protect_control_plane(args)


def test_the_control_plane_is_protected_inside_the_eks_component_and_nothing_else_there():
    result = _transform("aws:eks/cluster:Cluster")
    assert result.opts.protect is True and result.props == {"name": "x"}
    # Access entries must stay removable (the troubleshooting window closes).
    for other in ("aws:eks/accessEntry:AccessEntry", "aws:iam/openIdConnectProvider:OpenIdConnectProvider"):
        assert _transform(other) is None


def test_the_eks_component_gets_the_protecting_transform_only_under_data_protection(base_run, unprotected_run):
    assert base_run[1] == [[cl.protect_control_plane]]
    assert unprotected_run[1] == [[]]


def test_without_data_protection_nothing_is_protected_but_keys_are_still_retained(unprotected_run):
    result = unprotected_run[0]
    kept = {r["name"]: r for r in result.resources if r["protect"]}
    assert not kept
    keys = result.by_type("aws:kms/key:Key")
    assert len(keys) == 2 and all(key["retainOnDelete"] is True for key in keys)  # secrets, audit


def test_turning_the_customer_key_on_creates_a_new_storage_class(base, cmk_on):
    after = cmk_on
    diff = Diff(base, after)
    assert diff.names(diff.created) == [
        "ClickHouse-cloud-dev-keys-data",
        "ClickHouse-cloud-dev-keys-data-alias",
        "ClickHouse-cloud-dev-platform-storage-class-cmk",
        "ClickHouse-cloud-dev-platform-storage-class-cmk-default",
    ]
    # `gp3-encrypted` is never forgotten (a later toggle back would create it again and fail with
    # AlreadyExists): only its default mark changes, an annotation, which Kubernetes lets change.
    assert diff.deleted == []
    classes = {r["name"]: r for r in after.by_type("kubernetes:storage.k8s.io/v1:StorageClass")}
    aws_managed = classes["ClickHouse-cloud-dev-platform-storage-class"]
    assert diff.updated[aws_managed["urn"]] == ["metadata.annotations.storageclass.kubernetes.io/is-default-class"]
    assert aws_managed["inputs"]["metadata"]["name"] == "gp3-encrypted"
    cmk = classes["ClickHouse-cloud-dev-platform-storage-class-cmk"]
    key_arn = cmk["inputs"]["parameters"]["kmsKeyId"]
    assert key_arn.startswith("arn:aws:kms:us-west-2:")
    cmk_name = cmk["inputs"]["metadata"]["name"]
    assert cmk_name == storage_class_name(key_arn) != "gp3-encrypted-cmk"
    # Exactly one class is the default: the customer-key class, through its patch.
    (mark,) = after.by_type("kubernetes:storage.k8s.io/v1:StorageClassPatch")
    assert mark["inputs"]["metadata"]["name"] == cmk_name
    default = "storageclass.kubernetes.io/is-default-class"
    assert aws_managed["inputs"]["metadata"]["annotations"][default] == "false"
    assert mark["inputs"]["metadata"]["annotations"][default] == "true"
    # New claims (new replicas, Keeper members) come from the new class; existing claims stay.
    for kind in ("ClickHouseInstallation", "ClickHouseKeeperInstallation"):
        (cr,) = [r for r in after.resources if r["inputs"].get("kind") == kind]
        (template,) = cr["inputs"]["spec"]["templates"]["volumeClaimTemplates"]
        assert template["spec"]["storageClassName"] == cmk_name
    # The root volumes take the key too: a new launch template version, so every group rolls in place.
    updated = diff.updated_names()
    for group in _groups(base):
        assert updated[group] == ["launchTemplate.version"], group
    _assert_no_node_group_replaced(diff)
    key = next(r for r in after.by_type("aws:kms/key:Key") if r["name"].endswith("-data"))
    assert key["protect"] is True and key["retainOnDelete"] is True


def test_turning_the_customer_key_off_never_deletes_it(base, cmk_on):
    diff = Diff(cmk_on, base)
    (gone_key,) = [u for u in diff.deleted if diff.before[u]["type"] == "aws:kms/key:Key"]
    # Protected: `pulumi up` stops instead of deleting; retained: even once unprotected, the key
    # is only forgotten, so what it encrypted stays readable.
    assert diff.before[gone_key]["protect"] is True and diff.before[gone_key]["retainOnDelete"] is True
    # Its class is forgotten (its volumes name it), its default mark deleted (removed from the class);
    # nothing is created: `gp3-encrypted` was there all along and only becomes the default again.
    assert diff.created == []
    gone = {diff.before[u]["name"].removeprefix("ClickHouse-cloud-dev-"): diff.before[u] for u in diff.deleted}
    assert gone["platform-storage-class-cmk"]["retainOnDelete"] is True
    assert gone["platform-storage-class-cmk-default"]["retainOnDelete"] is False
    (aws_managed,) = base.by_type("kubernetes:storage.k8s.io/v1:StorageClass")
    assert aws_managed["inputs"]["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true"
    for kind in ("ClickHouseInstallation", "ClickHouseKeeperInstallation"):
        (cr,) = [r for r in base.resources if r["inputs"].get("kind") == kind]
        (template,) = cr["inputs"]["spec"]["templates"]["volumeClaimTemplates"]
        assert template["spec"]["storageClassName"] == "gp3-encrypted"


def test_shrinking_cache_size_changes_only_the_service_and_never_a_bound_claim(base):
    services = '[{"name": "analytics", "replicas": 2, "cpu": "2", "memory": "8Gi", "cacheSize": "20Gi"}]'
    diff = Diff(base, run_dev({"services": services}))
    assert diff.created == [] and diff.deleted == []
    (paths,) = [p for urn, p in diff.updated.items() if urn.endswith("-chi")]
    assert "spec.templates.volumeClaimTemplates[0].spec.resources.requests.storage" in paths
    # The claims themselves are the operator's, not the program's: nothing here can shrink a
    # bound volume; the plan tool refuses the change (docs/change-plan.md).
    assert not [r for r in diff.after.values() if r["type"] == "kubernetes:core/v1:PersistentVolumeClaim"]


def test_default_zones_ignore_zone_state_and_are_sorted_by_name(monkeypatch):
    seen: dict[str, Any] = {}

    class Zones:
        names = ["us-west-2d", "us-west-2b", "us-west-2c", "us-west-2a"]

    def lookup(**kwargs):
        seen.update(kwargs)
        return Zones()

    monkeypatch.setattr(providers.aws, "get_availability_zones", lookup)
    warnings: list[str] = []
    monkeypatch.setattr(providers.pulumi.log, "warn", warnings.append)
    zones, problem = providers.resolve_zones("us-west-2", None, provider=None)
    assert zones == ("us-west-2a", "us-west-2b", "us-west-2c") and problem is None
    assert "state" not in seen  # an impaired zone is still a zone of the region
    assert [f.values for f in seen["filters"]] == [["opt-in-not-required"]]
    (warning,) = warnings
    assert warning.endswith(
        "pulumi config set --path 'availabilityZones[0]' us-west-2a && "
        "pulumi config set --path 'availabilityZones[1]' us-west-2b && "
        "pulumi config set --path 'availabilityZones[2]' us-west-2c"
    )


def test_configured_zones_are_checked_against_every_zone_of_the_region(monkeypatch):
    # The lookup has no state filter, so an impaired configured zone is still in the answer; a
    # zone the region lacks is a config error line.
    monkeypatch.setattr(
        providers.aws, "get_availability_zones", lambda **kw: type("Z", (), {"names": ["us-west-2b", "us-west-2a"]})
    )
    configured = ("us-west-2a", "us-west-2b", "us-west-2c")
    zones, problem = providers.resolve_zones("us-west-2", configured, provider=None)
    assert zones == configured
    assert problem == (
        "clickhouse-byoc:availabilityZones: us-west-2c: not available in us-west-2 for this account; "
        "choose 3 of us-west-2a, us-west-2b"
    )
    assert providers.zone_problem("us-west-2", configured, ["us-west-2a", "us-west-2b", "us-west-2c"]) is None


def test_pinning_the_default_zones_as_the_warning_says_changes_nothing(base):
    # Pulumi.dev.yaml pins its zones; without them the program warns with the commands that pin
    # the default ones, and those are dev's: pinning them changed nothing the stack registers.
    unpinned = run_dev({"availabilityZones": None})
    (warning,) = [w for w in unpinned.warnings if "availabilityZones: not set" in w]
    zones = [cmd.rsplit(" ", 1)[-1] for cmd in warning.split(": ", 2)[-1].split(" && ")]
    assert zones == json.loads(load_stack("dev").raw["clickhouse-byoc:availabilityZones"])
    diff = Diff(unpinned, base)
    assert diff.created == [] and diff.deleted == [] and diff.updated == {}
    assert not [w for w in base.warnings if "availabilityZones" in w]


def test_every_toggle_sequence_creates_only_class_names_the_cluster_does_not_hold(base, cmk_on):
    # A cluster's StorageClasses, replayed through off -> on -> off -> on: a forgotten (retained)
    # class stays in the cluster, and pulumi-kubernetes fails the create of a name still there.
    # Each `on` makes a new key (the old one was forgotten), so the second `on` gets another ARN:
    # the mocks fabricate the same one, so its class is renamed here as a new key would name it.
    sc = "kubernetes:storage.k8s.io/v1:StorageClass"

    def declared(result, arn_suffix=""):
        names = {}
        for r in result.by_type(sc):
            arn = r["inputs"]["parameters"].get("kmsKeyId")
            names[r["urn"]] = storage_class_name(arn + arn_suffix if arn else None)
        return names

    steps = [declared(base), declared(cmk_on), declared(base), declared(cmk_on, "-later")]
    cluster = set(steps[0].values())
    for before, after in itertools.pairwise(steps):
        for urn, name in after.items():
            if before.get(urn) != name:
                assert name not in cluster, name
                cluster.add(name)
        # The program never drops `gp3-encrypted`: no step can try to create it again.
        assert "gp3-encrypted" in after.values()
    assert len(cluster) == 3
