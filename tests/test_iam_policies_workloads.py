"""Workload (IRSA) policies: add-ons, vendor agents, ClickHouse and Thanos (components/iam_policies/workloads.py)."""

from __future__ import annotations

from components import iam_policies as docs
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


def test_ebs_csi_creates_and_deletes_only_tagged_volumes():
    doc = docs.ebs_csi_policy(None)
    for st in doc["Statement"]:
        if {"ec2:CreateVolume", "ec2:DeleteVolume", "ec2:DeleteSnapshot"} & set(st["Action"]):
            (cond,) = st["Condition"].values()
            (key,) = cond
            assert key.split("/", 1)[1] in ("ebs.csi.aws.com/cluster", "CSIVolumeName", "CSIVolumeSnapshotName")
    assert not any(a.startswith("kms:") for a in allowed_actions(doc))
    key = "arn:aws:kms:us-west-2:123456789012:key/0000"
    grants = statements(docs.ebs_csi_policy(key))["GrantsForEbsOnly"]
    assert grants["Resource"] == [key] and grants["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}


def test_autoscaler_scales_only_this_clusters_groups():
    st = statements(docs.cluster_autoscaler_policy("ClickHouse-cloud-dev"))["ScaleOnlyThisClustersGroups"]
    assert st["Condition"] == {
        "StringEquals": {"autoscaling:ResourceTag/k8s.io/cluster-autoscaler/ClickHouse-cloud-dev": "owned"}
    }


def test_load_balancer_controller_tag_conditions_name_the_cluster():
    doc = statements(docs.load_balancer_controller_policy("ClickHouse-cloud-dev"))
    tag = "elbv2.k8s.aws/cluster"
    assert doc["CreateTaggedLoadBalancers"]["Condition"] == {
        "StringEquals": {f"aws:RequestTag/{tag}": "ClickHouse-cloud-dev"}
    }
    for sid in ("ManageOwnedSecurityGroups", "ManageOwnedLoadBalancers"):
        assert doc[sid]["Condition"] == {"StringEquals": {f"aws:ResourceTag/{tag}": "ClickHouse-cloud-dev"}}
    for sid in ("RetagOwnedSecurityGroups", "RetagOwnedLoadBalancers"):
        assert doc[sid]["Condition"]["Null"] == {f"aws:RequestTag/{tag}": "true"}
    assert doc["TagOnCreate"]["Condition"]["StringEquals"]["elasticloadbalancing:CreateAction"] == [
        "CreateTargetGroup",
        "CreateLoadBalancer",
    ]


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
