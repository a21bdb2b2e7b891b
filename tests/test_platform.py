"""The platform layer: storage class, Helm values of the add-ons, ClusterIssuers, IRSA wiring."""

from __future__ import annotations

import json

import pytest

from components import platform as pf
from components import versions
from components.k8s_conventions import SERVICE_ACCOUNTS
from tests.conftest import run_offline

SYSTEM = {"nodeSelector": {"byoc/node-role": "system"}}
TOLERATION = {"key": "CriticalAddonsOnly", "operator": "Equal", "value": "true", "effect": "NoSchedule"}


@pytest.fixture(scope="module")
def stack():
    return run_offline(stack="prod")


def releases(result):
    return {r["inputs"]["chart"]: r["inputs"] for r in result.by_type("kubernetes:helm.sh/v3:Release")}


def test_default_storage_class(stack):
    (sc,) = stack.by_type("kubernetes:storage.k8s.io/v1:StorageClass")
    i = sc["inputs"]
    assert i["metadata"]["name"] == "gp3-encrypted"
    assert i["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true"
    assert i["provisioner"] == "ebs.csi.aws.com"
    assert i["parameters"] == {"type": "gp3", "encrypted": "true", "csi.storage.k8s.io/fstype": "ext4"}
    assert i["reclaimPolicy"] == "Retain" and i["volumeBindingMode"] == "WaitForFirstConsumer"
    assert i["allowVolumeExpansion"] is True


def test_storage_class_uses_the_customer_key():
    result = run_offline({"kms": '{"customerManagedKey": true}'}, stack="prod")
    (sc,) = result.by_type("kubernetes:storage.k8s.io/v1:StorageClass")
    assert sc["inputs"]["parameters"]["kmsKeyId"].startswith("arn:aws:kms:us-west-2:123456789012:key/")


def test_releases_pinned_and_on_system_nodes(stack):
    rel = releases(stack)
    expected = {
        pin.chart: (pin.repo, pin.version)
        for pin in (
            versions.AWS_LOAD_BALANCER_CONTROLLER_CHART,
            versions.EXTERNAL_DNS_CHART,
            versions.CERT_MANAGER_CHART,
            versions.CLUSTER_AUTOSCALER_CHART,
        )
    }
    for chart, (repo, version) in expected.items():
        assert rel[chart]["version"] == version and rel[chart]["repositoryOpts"]["repo"] == repo
        values = rel[chart]["values"]
        assert values["nodeSelector"] == SYSTEM["nodeSelector"], chart
        assert TOLERATION in values["tolerations"], chart


@pytest.mark.parametrize(
    ("chart", "purpose", "path"),
    [
        ("aws-load-balancer-controller", "load-balancer-controller", ("serviceAccount",)),
        ("external-dns", "external-dns", ("serviceAccount",)),
        ("cert-manager", "cert-manager", ("serviceAccount",)),
        ("cluster-autoscaler", "cluster-autoscaler", ("rbac", "serviceAccount")),
    ],
)
def test_each_release_uses_its_own_irsa_role(stack, chart, purpose, path):
    values = releases(stack)[chart]["values"]
    sa = values
    for key in path:
        sa = sa[key]
    namespace, name = SERVICE_ACCOUNTS[purpose]
    assert sa["name"] == name
    assert (
        sa["annotations"]["eks.amazonaws.com/role-arn"]
        == f"arn:aws:iam::123456789012:role/ClickHouse-cloud-prod-{purpose}"
    )
    assert releases(stack)[chart]["namespace"] == namespace
    role = next(
        r for r in stack.by_type("aws:iam/role:Role") if r["inputs"]["name"] == f"ClickHouse-cloud-prod-{purpose}"
    )
    cond = json.loads(role["inputs"]["assumeRolePolicy"])["Statement"][0]["Condition"]["StringEquals"]
    assert f"system:serviceaccount:{namespace}:{name}" in cond.values()


def test_external_dns_scoped_to_the_zone(stack):
    values = releases(stack)["external-dns"]["values"]
    assert values["domainFilters"] == ["byoc.example.com"]
    assert "--zone-id-filter=Z0123456789ABCDEFGHIJ" in values["extraArgs"]
    assert values["txtOwnerId"] == "prod" and values["policy"] == "upsert-only"
    policy = next(
        json.loads(r["inputs"]["policy"])
        for r in stack.by_type("aws:iam/rolePolicy:RolePolicy")
        if r["inputs"]["role"] == "ClickHouse-cloud-prod-external-dns"
    )
    change = next(s for s in policy["Statement"] if "route53:ChangeResourceRecordSets" in s["Action"])
    assert change["Resource"] in (
        "arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ",
        ["arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ"],
    )


def test_load_balancer_controller_values(stack):
    values = releases(stack)["aws-load-balancer-controller"]["values"]
    assert values["clusterName"] == "ClickHouse-cloud-prod" and values["region"] == "us-west-2"
    assert values["vpcId"].startswith("vpc-") and values["enableServiceMutatorWebhook"] is False


def test_cert_manager_crds_and_issuers(stack):
    values = releases(stack)["cert-manager"]["values"]
    assert values["crds"] == {"enabled": True, "keep": True}
    issuers = {i["inputs"]["metadata"]["name"]: i for i in stack.by_type("kubernetes:cert-manager.io/v1:ClusterIssuer")}
    assert sorted(issuers) == ["letsencrypt-production", "letsencrypt-staging"]
    acme = issuers["letsencrypt-production"]["inputs"]["spec"]["acme"]
    assert acme["server"] == "https://acme-v02.api.letsencrypt.org/directory"
    solver = acme["solvers"][0]
    assert solver["dns01"]["route53"] == {"region": "us-west-2", "hostedZoneID": "Z0123456789ABCDEFGHIJ"}
    assert solver["selector"]["dnsZones"] == ["byoc.example.com"]
    cert_manager = next(
        r for r in stack.by_type("kubernetes:helm.sh/v3:Release") if r["inputs"]["chart"] == "cert-manager"
    )
    assert cert_manager["urn"] in issuers["letsencrypt-staging"]["dependencies"]


def test_cluster_autoscaler_values(stack):
    values = releases(stack)["cluster-autoscaler"]["values"]
    assert values["autoDiscovery"]["clusterName"] == "ClickHouse-cloud-prod"
    assert values["extraArgs"]["balance-similar-node-groups"] is True
    assert values["extraArgs"]["expander"] == "least-waste"
    assert values["image"]["tag"] == "v1.35.0"
    assert values["awsRegion"] == "us-west-2"


def test_pure_builders():
    assert pf.storage_class("arn:k")["parameters"]["kmsKeyId"] == "arn:k"
    assert pf.cluster_issuer(pf.ISSUER_STAGING, "r", "z", "Z1")["spec"]["acme"]["server"].startswith(
        "https://acme-staging"
    )
