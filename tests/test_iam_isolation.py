"""Two deployments in one account, one id a prefix of the other (`acme`, `acme-prod`): no document
of either (workload roles, the bootstrap role, the boundary as the ceiling of the roles the vendor
creates) allows any change to the other's resources.

Every action a document allows is tried on every resource of the other deployment, with that
resource's real ARN and tags, and with the request keys the caller controls set to its own
deployment's values (its request tags, its boundary): the caller doing its best. Reads are left
out (account-wide `Describe*`/`List*` are what AWS offers), object reads are not. Creates are tried
on the other's resources as parents (a subnet in the other's VPC), never as the new resource.
"""

from __future__ import annotations

import re

import pytest

from tests.iam_eval import ALLOW, IMPLICIT, Resource, decide, decide_request
from tests.iam_world import CREATES, PARENTS, World

PAIRS = [("acme", "acme-prod"), ("acme-prod", "acme")]
READ = re.compile(r"^[a-z0-9-]+:(Describe|List|Get|Search|Lookup)")
SENSITIVE_READS = ("s3:GetObject",)


def allowed_actions(documents: list[dict]) -> set[str]:
    out = set()
    for doc in documents:
        for st in doc["Statement"]:
            if st["Effect"] == "Allow":
                out.update(st["Action"] if isinstance(st["Action"], list) else [st["Action"]])
    return out


def attacker_keys(world: World) -> dict[str, object]:
    """Request keys the caller chooses: its own deployment's values."""
    return {
        "aws:RequestTag/clickhouse-byoc": "true",
        "aws:RequestTag/clickhouse-byoc/deployment": world.deployment_id,
        "aws:RequestTag/elbv2.k8s.aws/cluster": world.cluster,
        "aws:TagKeys": ["clickhouse-byoc", "clickhouse-byoc/deployment", "elbv2.k8s.aws/cluster"],
        "iam:PassedToService": "eks.amazonaws.com",
        "kms:ViaService": "s3.us-west-2.amazonaws.com",
        "kms:GrantIsForAWSResource": "true",
        "iam:AWSServiceName": "eks.amazonaws.com",
        "route53:ChangeResourceRecordSetsRecordTypes": ["TXT"],
    }


def reach(documents: list[dict], caller: World, other: World) -> list[tuple[str, str]]:
    """(action, resource ARN) pairs of `other` the documents allow `caller` to change."""
    found = []
    for pattern in sorted(allowed_actions(documents)):
        if "*" in pattern and READ.match(pattern):
            continue
        service = pattern.split(":")[0]
        for entry in other.entries:
            r = entry.resource
            if r.arn.split(":")[2] != service:
                continue
            actions = [pattern] if "*" not in pattern else _expand(pattern, entry.kind)
            for action in actions:
                if READ.match(action) and action not in SENSITIVE_READS:
                    continue
                if entry.kind in CREATES.get(action, ()):
                    continue  # a create makes a new resource; the other's existing one is not it
                keys = attacker_keys(caller)
                if action in CREATES:
                    if entry.kind not in PARENTS.get(action, ()):
                        continue
                    # A parent is authorized with its own tags: the request's tags are the new resource's.
                    new = caller.new(CREATES[action][0])
                    if decide_request(documents, action, [r], keys, created=(new.arn,)) == ALLOW:
                        found.append((action, r.arn))
                    continue
                if decide(documents, action, r.arn, {**keys, **r.context()}) == ALLOW:
                    found.append((action, r.arn))
    return found


def _expand(pattern: str, kind: str) -> list[str]:
    """A wildcard action (only boundaries use them) tried as the concrete actions that touch `kind`."""
    concrete = {
        "elasticloadbalancing:Delete*": ["elasticloadbalancing:DeleteLoadBalancer", "elasticloadbalancing:DeleteTargetGroup",
                                         "elasticloadbalancing:DeleteListener", "elasticloadbalancing:DeleteRule"],
        "elasticloadbalancing:Modify*": ["elasticloadbalancing:ModifyLoadBalancerAttributes",
                                         "elasticloadbalancing:ModifyTargetGroup", "elasticloadbalancing:ModifyListener",
                                         "elasticloadbalancing:ModifyRule"],
        "elasticloadbalancing:Set*": ["elasticloadbalancing:SetSecurityGroups", "elasticloadbalancing:SetSubnets",
                                      "elasticloadbalancing:SetRulePriorities"],
        "kms:GenerateDataKey*": ["kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext"],
        "kms:ReEncrypt*": ["kms:ReEncryptFrom", "kms:ReEncryptTo"],
    }  # fmt: skip
    if pattern not in concrete:
        raise AssertionError(f"{pattern}: a wildcard the isolation test cannot expand; list the actions")
    return concrete[pattern]


@pytest.mark.parametrize(("caller_id", "other_id"), PAIRS)
def test_workload_roles_reach_only_their_own_deployment(caller_id, other_id):
    caller, other = World(caller_id), World(other_id)
    for purpose, doc in caller.workload_documents().items():
        assert reach([doc], caller, other) == [], purpose


@pytest.mark.parametrize(("caller_id", "other_id"), PAIRS)
@pytest.mark.parametrize("which", ["bootstrap", "boundary"])
def test_vendor_documents_reach_only_their_own_deployment(caller_id, other_id, which):
    caller, other = World(caller_id), World(other_id)
    assert reach(caller.vendor_documents()[which], caller, other) == []


def test_the_test_finds_what_a_name_prefix_or_the_shared_tag_would_let_through():
    """The test is live: the scoping this change replaced is caught on the other's real resources."""
    caller, other = World("acme"), World("acme-prod")
    by_prefix = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["iam:CreatePolicyVersion"], "Resource": [caller.scope.policy("*")]},
            {
                "Effect": "Allow",
                "Action": ["ec2:DeleteSecurityGroup"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:ResourceTag/clickhouse-byoc": "true"}},
            },
        ],
    }
    found = reach([by_prefix], caller, other)
    assert ("iam:CreatePolicyVersion", other.scope.policy("management-network")) in found
    assert ("ec2:DeleteSecurityGroup", other.ec2("security-group", "sg")) in found


def test_workload_roles_still_reach_their_own_deployment():
    """The other side of the same evaluation: each role can change its own resources."""
    world = World("acme")
    documents = world.workload_documents()
    sg = world.of_kind("security-group")
    for r in sg:
        assert (
            decide([documents["load-balancer-controller"]], "ec2:AuthorizeSecurityGroupIngress", r.arn, r.context())
            == ALLOW
        )
    (volume,) = world.of_kind("volume")
    assert decide([documents["ebs-csi"]], "ec2:DeleteVolume", volume.arn, volume.context()) == ALLOW
    (asg,) = world.of_kind("autoScalingGroup")
    assert decide([documents["cluster-autoscaler"]], "autoscaling:SetDesiredCapacity", asg.arn, asg.context()) == ALLOW
    legacy = Resource(volume.arn, {"ebs.csi.aws.com/cluster": "true"}, {"ec2:VolumeType": "gp3"})
    assert decide([documents["ebs-csi"]], "ec2:AttachVolume", legacy.arn, legacy.context()) == ALLOW
    other = Resource(volume.arn, World("acme-prod").tags, {"ec2:VolumeType": "gp3"})
    assert decide([documents["ebs-csi"]], "ec2:AttachVolume", other.arn, other.context()) == IMPLICIT
