"""Contract: a change of the code's structure moves no resource address.

`baseline/dev-urns.json` holds the dev stack's URNs from before the workload roles and the
services layer became components of their own. Every one of them must still be registered, or
be an alias of a registered resource (`aliases` in resources.json, expanded as the engine expands
them), so `pulumi up` on an existing stack updates in place: IAM roles have fixed names, and a
replacement would fail on the name clash.
"""

from __future__ import annotations

import json

import pulumi
import pulumi_random as random
import pytest

from tests.conftest import ROOT, run_offline
from tools import stackconfig
from tools.synth import synthesize

BASELINE = ROOT / "tests" / "baseline" / "dev-urns.json"


@pytest.fixture(scope="module")
def dev():
    return synthesize(stackconfig.load_stack("dev"))


def addresses(records: list[dict]) -> dict[str, str]:
    """Every address a record answers to (its URN and its aliases) -> its URN."""
    out: dict[str, str] = {}
    for r in records:
        for address in (r["urn"], *r["aliases"]):
            assert out.setdefault(address, r["urn"]) == r["urn"], f"{address} claimed twice"
    return out


# Baseline resources deleted on purpose (not moved), with why: `pulumi up` deletes them.
DELETED = {
    "urn:pulumi:dev::clickhouse-byoc::clickhouse-byoc:iam:IrsaRole$aws:iam/rolePolicyAttachment:"
    "RolePolicyAttachment::ClickHouse-cloud-dev-cluster-irsa-vpc-cni-AmazonEKS_CNI_Policy": "AWS's managed CNI "
    "policy reaches every network interface and instance in the account; the aws-node role has an inline policy "
    "scoped to this VPC instead (docs/iam.md), created before the attachment is deleted",
}


def test_every_baseline_urn_still_exists_or_is_an_alias(dev):
    baseline = json.loads(BASELINE.read_text())
    assert len(baseline) == 169
    known = addresses(dev.resources)
    lost = [urn for urn in baseline if urn not in known and urn not in DELETED]
    assert not lost, "\n".join(lost)


def test_deleted_baseline_urns_are_gone(dev):
    baseline = set(json.loads(BASELINE.read_text()))
    known = addresses(dev.resources)
    for urn in DELETED:
        assert urn in baseline and urn not in known, urn


def test_moved_workload_roles_carry_their_former_addresses(dev):
    known = addresses(dev.resources)
    old = (
        "urn:pulumi:dev::clickhouse-byoc::clickhouse-byoc:iam:IrsaRole$aws:iam/role:Role::"
        "ClickHouse-cloud-dev-cluster-irsa-external-dns-role"
    )
    role = next(r for r in dev.resources if r["urn"] == known[old])
    assert role["inputs"]["name"] == "ClickHouse-cloud-dev-external-dns"
    assert role["name"] == "ClickHouse-cloud-dev-workload-roles-external-dns-role"


def test_a_resource_that_did_not_move_has_no_alias(dev):
    vpc = next(r for r in dev.resources if r["type"] == "aws:ec2/vpc:Vpc")
    assert vpc["aliases"] == []


class _Box(pulumi.ComponentResource):
    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None):
        super().__init__("test:index:Box", name, None, opts)
        _Inner(f"{name}-inner", pulumi.ResourceOptions(parent=self))


class _Inner(pulumi.ComponentResource):
    def __init__(self, name: str, opts: pulumi.ResourceOptions):
        super().__init__("test:index:Inner", name, None, opts)
        random.RandomPassword(f"{name}-pw", length=8, opts=pulumi.ResourceOptions(parent=self))


def test_a_renamed_component_passes_its_old_address_down_to_every_descendant():
    result = run_offline(program=lambda: _Box("new", pulumi.ResourceOptions(aliases=[pulumi.Alias(name="old")])))
    by_name = {r["name"]: r for r in result.resources}
    root = by_name["new"]["parent"].rsplit("::", 1)[0]
    prefix = root.split("::pulumi:pulumi:Stack")[0]
    assert by_name["new"]["aliases"] == [f"{root}$test:index:Box::old"]
    assert by_name["new-inner"]["aliases"] == [f"{prefix}::test:index:Box$test:index:Inner::old-inner"]
    assert by_name["new-inner-pw"]["aliases"] == [
        f"{prefix}::test:index:Inner$random:index/randomPassword:RandomPassword::old-inner-pw"
    ]
