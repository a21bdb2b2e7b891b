"""Parity: every workload role grants at least what its upstream policy grants at the pinned version.

For every action of the vendored upstream policy (`tests/upstream/iam/`), the test builds the
requests upstream allows in this deployment: against each of the deployment's real resources the
action applies to (with their real tags: the EKS cluster security group has no controller tag,
the node group's Auto Scaling group has EKS's tags), with the request keys the statement's
conditions ask for, set to this deployment's values. Every such request must be allowed by our
document, unless the (role, action) pair is in `DEVIATIONS`, with the reason. Narrowing to this
deployment's own resources passes by construction: the requests only name its resources.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache

import pytest

from tests.conftest import ROOT
from tests.iam_eval import ALLOW, Resource, decide_request
from tests.iam_world import ACCOUNT, CREATES, PARENTS, REGION, World

UPSTREAM = ROOT / "tests" / "upstream" / "iam"
REFERENCES = {
    "load-balancer-controller": "aws-load-balancer-controller-v2.14.0.json",
    "ebs-csi": "aws-ebs-csi-driver-v1.64.0.json",
    "vpc-cni": "amazon-vpc-cni-v1.20.1.json",
    "cluster-autoscaler": "cluster-autoscaler-1.35.0.json",
    "external-dns": "external-dns-v0.21.0.json",
    "cert-manager": "cert-manager-v1.19.json",
}

# The one table of deliberate deviations from upstream: (role, action) -> why.
DEVIATIONS: dict[tuple[str, str], str] = {
    **{
        ("load-balancer-controller", action): "WAF and Shield on `*` would reach every load balancer in the account, "
        "other deployments' included; this deployment's load balancers are NLBs, which WAF does not support, and "
        "Shield Advanced protection is the customer's to decide"
        for action in (
            "waf-regional:AssociateWebACL",
            "waf-regional:DisassociateWebACL",
            "wafv2:AssociateWebACL",
            "wafv2:DisassociateWebACL",
            "shield:CreateProtection",
            "shield:DeleteProtection",
        )
    },
    ("load-balancer-controller", "elasticloadbalancing:SetWebAcl"): "WAF Classic on ALBs; the gateways are NLBs, "
    "and the action takes no resource ARN, so granting it would reach every load balancer in the account",
    ("ebs-csi", "ec2:CopyVolumes"): "the source volume is authorized without its tags (the service authorization "
    "reference lists only request keys for CopyVolumes), so no condition keeps it to this deployment's volumes: "
    "any volume in the account could be copied into one tagged for this deployment; the program never clones one",
}

# Request keys a deployment's own requests carry: the provider's default tags on what the program
# creates, the driver's extra tags on its volumes; a statement's conditions add theirs.
FACTS = {
    "aws:RequestTag/elbv2.k8s.aws/cluster": lambda w: w.cluster,
    "aws:RequestTag/ingress.k8s.aws/cluster": lambda w: w.cluster,
    "aws:RequestTag/service.k8s.aws/cluster": lambda w: w.cluster,
    "aws:RequestTag/ebs.csi.aws.com/cluster": lambda w: "true",
    "aws:RequestTag/CSIVolumeName": lambda w: "pvc-2",
    "aws:RequestTag/CSIVolumeSnapshotName": lambda w: "snapshot-2",
}


def load(name: str) -> dict:
    return json.loads((UPSTREAM / name).read_text())


def _list(value) -> list:
    return value if isinstance(value, list) else [value]


def kinds_of(action: str) -> set[str] | None:
    """The resource kinds an action works on; None: it takes no resource (`*` only)."""
    service, verb = action.split(":")
    if re.match(r"(Describe|List|Get)", verb) and service != "route53":
        return None
    if service == "ec2":
        for word, kinds in (
            ("NetworkInterface", {"network-interface"}),
            ("PrivateIpAddresses", {"network-interface"}),
            ("SecurityGroup", {"security-group"}),
            ("Volume", {"volume"}),
            ("Snapshot", {"snapshot"}),
        ):
            if word in verb:
                return kinds
        if verb in ("CreateTags", "DeleteTags"):
            return {"security-group", "volume", "snapshot", "network-interface"}
        return None
    if service == "elasticloadbalancing":
        if "TargetGroup" in verb or "Targets" in verb:
            return {"targetgroup"}
        if "Rule" in verb:
            return {"listener-rule"}
        if "Listener" in verb and "ListenerAttributes" not in verb:
            return {"listener"}
        if verb in ("AddTags", "RemoveTags"):
            return {"loadbalancer", "targetgroup", "listener", "listener-rule"}
        return {"loadbalancer", "listener"} if verb == "ModifyListenerAttributes" else {"loadbalancer"}
    if service == "autoscaling":
        return {"autoScalingGroup"}
    if service == "route53":
        return {"change"} if verb == "GetChange" else {"hostedzone"} if "RecordSets" in verb or "Tags" in verb else None
    return None


# Actions authorized on two existing resources at once.
TOGETHER = {
    "ec2:AttachVolume": ("volume", "instance"),
    "ec2:DetachVolume": ("volume", "instance"),
    "ec2:AttachNetworkInterface": ("network-interface", "instance"),
    "ec2:DetachNetworkInterface": ("network-interface", "instance"),
}


def request_keys(world: World, st: dict) -> dict[str, object] | None:
    """Keys satisfying the statement's request conditions with this deployment's values; None when
    a condition asks the request to lack something this deployment's requests always carry."""
    keys: dict[str, object] = {
        "aws:RequestTag/clickhouse-byoc": "true",
        "aws:RequestTag/clickhouse-byoc/deployment": world.deployment_id,
    }
    for operator, pairs in (st.get("Condition") or {}).items():
        for key, values in pairs.items():
            values = [str(v) for v in _list(values)]
            if "ResourceTag/" in key:
                continue  # the resource's own tags decide
            if operator == "Null":
                if values[0] == "true":
                    keys.pop(key, None)
                else:
                    keys[key] = FACTS[key](world) if key in FACTS else "x"
            elif operator.startswith(("ForAllValues:", "ForAnyValue:")):
                keys[key] = values[:1]
            elif key in FACTS:
                keys[key] = FACTS[key](world)
            else:
                keys[key] = values[0]
    return keys


@cache
def world() -> World:
    return World("acme")


def candidates(w: World, action: str, st: dict) -> Iterator[list[Resource]]:
    """The requests of this deployment a statement covers: lists of the resources each names."""
    patterns = _list(st["Resource"])
    if action in CREATES:
        new = w.new(CREATES[action][0])
        parents = [w.of_kind(k)[0] for k in PARENTS.get(action, ()) if w.of_kind(k)]
        yield [new, *parents]
        if action == "ec2:CreateVolume":  # restoring a snapshot
            yield [new, *w.of_kind("snapshot")]
        return
    kinds = kinds_of(action)
    if kinds is None:
        yield [Resource("*")]
        return
    found = False
    for entry in w.entries:
        if entry.kind in kinds and any(_matches(p, entry.resource.arn) for p in patterns):
            found = True
            others = [w.of_kind(k)[0] for k in TOGETHER.get(action, ())[1:]]
            yield [entry.resource, *others]
    if not found:
        # A resource the world does not model (`change/*`): the pattern itself, instantiated.
        for p in patterns:
            arn = p.replace(":*:*:", f":{REGION}:{ACCOUNT}:").replace("*", "x1")
            yield [Resource(arn)]


def _matches(pattern: str, arn: str) -> bool:
    from tests.iam_eval import _glob

    return _glob(pattern, arn)


def shortfalls(role: str, upstream: dict, ours: dict) -> set[str]:
    """Upstream actions with a request upstream allows and ours does not."""
    w = world()
    missing = set()
    for st in upstream["Statement"]:
        for action in _list(st["Action"]):
            keys = request_keys(w, st)
            for resources in candidates(w, action, st):
                created = (resources[0].arn,) if action in CREATES else ()
                if decide_request([upstream], action, resources, keys, created) != ALLOW:
                    continue  # not a request upstream allows (e.g. its tag condition fails here)
                if decide_request([ours], action, resources, keys, created) != ALLOW:
                    missing.add(action)
    return missing


@pytest.mark.parametrize("role", sorted(REFERENCES))
def test_every_role_grants_what_its_upstream_policy_grants(role):
    upstream = load(REFERENCES[role])
    ours = world().workload_documents()[role]
    missing = shortfalls(role, upstream, ours)
    unexplained = sorted(a for a in missing if (role, a) not in DEVIATIONS)
    assert unexplained == [], f"{role}: upstream allows, ours denies: {unexplained}"
    stale = sorted(a for (r, a) in DEVIATIONS if r == role and a not in missing)
    assert stale == [], f"{role}: deviations that no longer deviate: {stale}"


def test_every_deviation_has_a_reason_and_an_upstream_action():
    for (role, action), reason in DEVIATIONS.items():
        assert role in REFERENCES and len(reason) > 40
        upstream = {a for st in load(REFERENCES[role])["Statement"] for a in _list(st["Action"])}
        assert action in upstream, (role, action)


def test_parity_catches_what_the_audit_found():
    """The test is live: the policy before this change failed it on the findings of the audit."""
    upstream = load(REFERENCES["load-balancer-controller"])
    ours = world().workload_documents()["load-balancer-controller"]
    # Finding 1: security-group rules only on groups with the controller's tag; SetRulePriorities missing.
    before = json.loads(json.dumps(ours))
    for st in before["Statement"]:
        if st["Sid"] == "NodeRulesInDeploymentVpc":
            st["Condition"] = {"StringEquals": {"aws:ResourceTag/elbv2.k8s.aws/cluster": world().cluster}}
        if st["Sid"] == "ModifyListenersAndRulesOfDeploymentLoadBalancers":
            st["Action"] = [a for a in st["Action"] if a != "elasticloadbalancing:SetRulePriorities"]
    missing = shortfalls("load-balancer-controller", upstream, before)
    assert {
        "ec2:AuthorizeSecurityGroupIngress",
        "ec2:RevokeSecurityGroupIngress",
        "elasticloadbalancing:SetRulePriorities",
    } <= missing


def test_upstream_references_are_the_pinned_versions():
    from components import versions

    assert versions.AWS_LOAD_BALANCER_CONTROLLER_CHART.version == "1.14.0"  # controller v2.14.0
    assert versions.EXTERNAL_DNS_CHART.version == "1.21.1"  # external-dns 0.21.0
    assert versions.CERT_MANAGER_CHART.version.startswith("v1.19.")
    assert versions.CLUSTER_AUTOSCALER_CHART.version == "9.59.0"  # cluster-autoscaler 1.35.0
    sources = (UPSTREAM / "SOURCES.md").read_text()
    for name in REFERENCES.values():
        assert f"`{name}`" in sources
