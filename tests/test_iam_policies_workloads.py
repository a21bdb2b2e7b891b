"""Workload (IRSA) policies: add-ons, vendor agents, ClickHouse and Thanos (components/iam_policies/workloads.py)."""

from __future__ import annotations

from components import iam_policies as docs
from tests.iam_eval import ALLOW, IMPLICIT, Resource, decide, decide_request
from tests.iam_fixtures import (
    BUCKETS,
    ZONE,
    allowed_actions,
    statements,
)


def test_route53_writes_only_on_the_zone():
    for doc in (docs.external_dns_policy(ZONE), docs.cert_manager_policy(ZONE)):
        for st in doc["Statement"]:
            if "route53:ChangeResourceRecordSets" in st["Action"]:
                assert st["Resource"] == [ZONE]
    cm = statements(docs.cert_manager_policy(ZONE))
    assert cm["ReadChangeStatus"]["Resource"] == ["arn:aws:route53:::change/*"]
    assert cm["FindZoneByName"]["Action"] == ["route53:ListHostedZonesByName"]


def test_ebs_csi_creates_only_tagged_for_the_deployment_and_changes_only_its_volumes():
    doc = docs.ebs_csi_policy(None, "dev")
    for st in doc["Statement"]:
        creates = "ec2:CreateVolume" in st["Action"] and st["Resource"] == ["arn:aws:ec2:*:*:volume/*"]
        if creates:
            assert st["Condition"]["StringEquals"] == {"aws:RequestTag/clickhouse-byoc/deployment": "dev"}
        changes = {"ec2:DeleteVolume", "ec2:DeleteSnapshot", "ec2:AttachVolume", "ec2:DetachVolume", "ec2:ModifyVolume"}
        if changes & set(st["Action"]) or st["Action"] == ["ec2:DeleteTags"]:
            # Only this deployment's tag: no statement for volumes without it (issue 19).
            assert st["Condition"] == {"StringEquals": {"aws:ResourceTag/clickhouse-byoc/deployment": "dev"}}
    assert not any("Null" in (st.get("Condition") or {}) for st in doc["Statement"])
    assert "ec2:CopyVolumes" not in allowed_actions(doc)
    assert not any(a.startswith("kms:") for a in allowed_actions(doc))
    key = "arn:aws:kms:us-west-2:123456789012:key/0000"
    grants = statements(docs.ebs_csi_policy(key, "dev"))["GrantsForEbsOnly"]
    assert grants["Resource"] == [key] and grants["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}


def test_ebs_csi_leaves_volumes_and_snapshots_without_the_deployment_tag_alone():
    """A volume from before the tag (the driver's tags only) is no deployment's to IAM: after the
    one-time step of docs/iam.md it carries the tag and is this deployment's again."""
    doc = [docs.ebs_csi_policy(None, "dev")]
    before = {"ebs.csi.aws.com/cluster": "true", "CSIVolumeName": "pvc-1"}
    volume = Resource("arn:aws:ec2:us-west-2:123456789012:volume/vol-1", before, {"ec2:VolumeType": "gp3"})
    tagged = Resource(volume.arn, {**before, "clickhouse-byoc/deployment": "dev"}, volume.keys)
    snapshot = Resource("arn:aws:ec2:us-west-2::snapshot/snap-1", {"CSIVolumeSnapshotName": "snapcontent-1"})
    for action in ("ec2:AttachVolume", "ec2:DetachVolume", "ec2:ModifyVolume", "ec2:DeleteVolume", "ec2:DeleteTags"):
        assert decide(doc, action, volume.arn, volume.context()) == IMPLICIT, action
        assert decide(doc, action, tagged.arn, tagged.context()) == ALLOW, action
    assert decide(doc, "ec2:DeleteSnapshot", snapshot.arn, snapshot.context()) == IMPLICIT
    tagged_snapshot = Resource(snapshot.arn, {**snapshot.tags, "clickhouse-byoc/deployment": "dev"})
    assert decide(doc, "ec2:DeleteSnapshot", tagged_snapshot.arn, tagged_snapshot.context()) == ALLOW


VPC_ARN = "arn:aws:ec2:us-west-2:123456789012:vpc/vpc-0123456789abcdef0"


def test_vpc_cni_works_on_interfaces_of_its_vpc_and_nodes_of_its_deployment():
    doc = [docs.vpc_cni_policy(VPC_ARN, "dev")]
    ec2 = "arn:aws:ec2:us-west-2:123456789012:"
    primary = Resource(f"{ec2}network-interface/eni-1", {}, {"ec2:Vpc": VPC_ARN})
    elsewhere = Resource(f"{ec2}network-interface/eni-2", {}, {"ec2:Vpc": VPC_ARN.replace("0123", "9999")})
    node = Resource(f"{ec2}instance/i-1", {"clickhouse-byoc/deployment": "dev"})
    for action in ("ec2:AssignPrivateIpAddresses", "ec2:DeleteNetworkInterface", "ec2:UnassignPrivateIpAddresses"):
        assert decide_request(doc, action, [primary]) == ALLOW
        assert decide_request(doc, action, [elsewhere]) == IMPLICIT
    assert decide_request(doc, "ec2:AttachNetworkInterface", [primary, node]) == ALLOW
    assert decide_request(doc, "ec2:AttachNetworkInterface", [elsewhere, node]) == IMPLICIT
    # A new interface: authorized on it (no VPC key yet), its subnet and its security group.
    new = Resource(f"{ec2}network-interface/eni-new")
    subnet = Resource(f"{ec2}subnet/subnet-1", {}, {"ec2:Vpc": VPC_ARN})
    group = Resource(f"{ec2}security-group/sg-1", {}, {"ec2:Vpc": VPC_ARN})
    assert decide_request(doc, "ec2:CreateNetworkInterface", [new, subnet, group], created=(new.arn,)) == ALLOW
    foreign = Resource(subnet.arn, {}, {"ec2:Vpc": elsewhere.keys["ec2:Vpc"]})
    assert decide_request(doc, "ec2:CreateNetworkInterface", [new, foreign, group], created=(new.arn,)) == IMPLICIT
    # The plugin's own tags on its interfaces, at creation and after; never another deployment's.
    tags = {"aws:RequestTag/node.k8s.amazonaws.com/instance_id": "i-1", "ec2:CreateAction": "CreateNetworkInterface"}
    assert decide(doc, "ec2:CreateTags", new.arn, tags) == ALLOW
    assert decide(doc, "ec2:CreateTags", primary.arn, {**primary.context(), **tags}) == ALLOW
    claim = {**primary.context(), "aws:RequestTag/clickhouse-byoc/deployment": "dev-prod"}
    assert decide(doc, "ec2:CreateTags", primary.arn, claim) == IMPLICIT
    assert decide(doc, "ec2:CreateTags", elsewhere.arn, elsewhere.context()) == IMPLICIT


def test_autoscaler_scales_only_this_clusters_groups():
    st = statements(docs.cluster_autoscaler_policy("ClickHouse-cloud-dev"))["ScaleOnlyThisClustersGroups"]
    assert st["Condition"] == {
        "StringEquals": {"autoscaling:ResourceTag/k8s.io/cluster-autoscaler/ClickHouse-cloud-dev": "owned"}
    }


VPC = "arn:aws:ec2:us-west-2:123456789012:vpc/vpc-0123456789abcdef0"
LBS = ("ClickHouse-cloud-dev-public", "ClickHouse-cloud-dev-private")


def test_load_balancer_controller_tag_conditions_name_the_cluster():
    doc = statements(docs.load_balancer_controller_policy("ClickHouse-cloud-dev", VPC, LBS))
    tag = "elbv2.k8s.aws/cluster"
    assert doc["CreateTaggedLoadBalancers"]["Condition"] == {
        "StringEquals": {f"aws:RequestTag/{tag}": "ClickHouse-cloud-dev"}
    }
    for sid in ("ManageOwnedSecurityGroups", "ManageOwnedLoadBalancers", "RegisterTargetsOfOwnedGroups"):
        assert doc[sid]["Condition"] == {"StringEquals": {f"aws:ResourceTag/{tag}": "ClickHouse-cloud-dev"}}
    for sid in ("RetagOwnedSecurityGroups", "RetagOwnedLoadBalancers"):
        assert doc[sid]["Condition"]["Null"] == {f"aws:RequestTag/{tag}": "true"}
    assert doc["TagOnCreate"]["Condition"]["StringEquals"]["elasticloadbalancing:CreateAction"] == [
        "CreateTargetGroup",
        "CreateLoadBalancer",
    ]


def test_load_balancer_controller_opens_node_rules_in_its_vpc_only():
    """Finding 1: the NLB-to-pod rules go on the EKS cluster security group, which carries no
    controller tag; upstream grants them on `*`, we on this VPC's groups (`ec2:Vpc`)."""
    doc = [docs.load_balancer_controller_policy("ClickHouse-cloud-dev", VPC, LBS)]
    node_sg = Resource(
        "arn:aws:ec2:us-west-2:123456789012:security-group/sg-0node",
        {"aws:eks:cluster-name": "ClickHouse-cloud-dev"},
        {"ec2:Vpc": VPC},
    )
    other_vpc = Resource(node_sg.arn, node_sg.tags, {"ec2:Vpc": VPC.replace("0123", "9999")})
    for action in ("ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"):
        assert decide_request(doc, action, [node_sg]) == ALLOW
        assert decide_request(doc, action, [other_vpc]) == IMPLICIT
    rule = f"arn:aws:elasticloadbalancing:us-west-2:123456789012:listener-rule/net/{LBS[0]}/abc/def/123"
    assert decide(doc, "elasticloadbalancing:SetRulePriorities", rule) == ALLOW
    assert decide(doc, "elasticloadbalancing:SetRulePriorities", rule.replace(LBS[0], "k8s-other")) == IMPLICIT


def test_cert_manager_changes_txt_records_only():
    """Finding 7: DNS01 needs TXT records; upstream limits the credentials to them."""
    doc = [docs.cert_manager_policy(ZONE)]
    types = "route53:ChangeResourceRecordSetsRecordTypes"
    assert decide(doc, "route53:ChangeResourceRecordSets", ZONE, {types: ["TXT"]}) == ALLOW
    assert decide(doc, "route53:ChangeResourceRecordSets", ZONE, {types: ["TXT", "A"]}) == IMPLICIT
    assert decide(doc, "route53:ChangeResourceRecordSets", ZONE, {types: ["CNAME"]}) == IMPLICIT


def test_state_exporter_and_billing_are_single_resource():
    q = "arn:aws:sqs:us-west-2:426924874929:byoc-state"
    assert docs.state_exporter_policy(q)["Statement"] == [
        {"Sid": "SendStateToVendorQueue", "Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": [q]}
    ]
    (st,) = docs.billing_scraper_policy("arn:aws:s3:::vendor-billing", "/123456789012/dev/")["Statement"]
    assert st["Action"] == ["s3:PutObject"] and st["Resource"] == ["arn:aws:s3:::vendor-billing/123456789012/dev/*"]
    (whole,) = docs.billing_scraper_policy("arn:aws:s3:::vendor-billing", "")["Statement"]
    assert whole["Resource"] == ["arn:aws:s3:::vendor-billing/*"]


def test_clickhouse_objects_under_prefix_and_buckets_only():
    doc = statements(docs.clickhouse_server_policy(BUCKETS[0], BUCKETS[1], "svc-a"))
    assert doc["ClickHouseReadWriteObjects"]["Resource"] == [f"{BUCKETS[0]}/svc-a/*", f"{BUCKETS[1]}/svc-a/*"]
    assert doc["ClickHouseListBuckets"]["Condition"] == {"StringLike": {"s3:prefix": ["svc-a/*", "svc-a"]}}
    whole = statements(docs.clickhouse_server_policy(BUCKETS[0], BUCKETS[1], None))
    assert whole["ClickHouseReadWriteObjects"]["Resource"] == [f"{BUCKETS[0]}/*", f"{BUCKETS[1]}/*"]
    assert "Condition" not in whole["ClickHouseListBuckets"]
    thanos = statements(docs.thanos_policy(BUCKETS[2]))
    assert thanos["ThanosReadWriteObjects"]["Resource"] == [f"{BUCKETS[2]}/*"]
