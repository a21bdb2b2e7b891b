"""The platform layer: storage class, Helm values of the add-ons, ClusterIssuers, IRSA wiring."""

from __future__ import annotations

import hashlib
import json

import pytest

from components import platform as pf
from components import versions
from components.k8s_conventions import SERVICE_ACCOUNTS, storage_class_name
from tests.conftest import run_offline

SYSTEM = {"nodeSelector": {"byoc/node-role": "system"}}
STORAGE_CLASS_TYPE = "kubernetes:storage.k8s.io/v1:StorageClass"
DEFAULT = "storageclass.kubernetes.io/is-default-class"
TOLERATION = {"key": "CriticalAddonsOnly", "operator": "Equal", "value": "true", "effect": "NoSchedule"}


@pytest.fixture(scope="module")
def stack():
    return run_offline(stack="prod")


def releases(result):
    return {r["inputs"]["chart"]: r["inputs"] for r in result.by_type("kubernetes:helm.sh/v3:Release")}


def test_default_storage_class(stack):
    (sc,) = stack.by_type(STORAGE_CLASS_TYPE)
    assert not stack.by_type("kubernetes:storage.k8s.io/v1:StorageClassPatch")
    i = sc["inputs"]
    assert i["metadata"]["name"] == "gp3-encrypted"
    assert i["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true"
    assert i["provisioner"] == "ebs.csi.aws.com"
    assert i["parameters"] == {"type": "gp3", "encrypted": "true", "csi.storage.k8s.io/fstype": "ext4"}
    assert i["reclaimPolicy"] == "Retain" and i["volumeBindingMode"] == "WaitForFirstConsumer"
    assert i["allowVolumeExpansion"] is True


def test_storage_class_uses_the_customer_key():
    result = run_offline({"kms": '{"customerManagedKey": true}'}, stack="prod")
    classes = {r["name"].rsplit("-platform-", 1)[1]: r for r in result.by_type(STORAGE_CLASS_TYPE)}
    assert sorted(classes) == ["storage-class", "storage-class-cmk"]
    aws_managed, cmk = classes["storage-class"], classes["storage-class-cmk"]
    key_arn = cmk["inputs"]["parameters"]["kmsKeyId"]
    assert key_arn.startswith("arn:aws:kms:us-west-2:123456789012:key/")
    # The customer-key class is named after its key; `gp3-encrypted` stays, unchanged but for its mark.
    name = "gp3-encrypted-cmk-" + hashlib.sha256(key_arn.encode()).hexdigest()[:8]
    assert cmk["inputs"]["metadata"] == {"name": name}
    assert aws_managed["inputs"]["metadata"] == {"name": "gp3-encrypted", "annotations": {DEFAULT: "false"}}
    assert "kmsKeyId" not in aws_managed["inputs"]["parameters"]
    assert aws_managed["retainOnDelete"] is True and cmk["retainOnDelete"] is True
    # Exactly one class is the default: the customer-key one, marked by a patch of its own that is
    # not retained (deleting it when the key goes off removes the mark from the retained class).
    (mark,) = result.by_type("kubernetes:storage.k8s.io/v1:StorageClassPatch")
    assert mark["inputs"]["metadata"] == {"name": name, "annotations": {DEFAULT: "true"}}
    assert mark["retainOnDelete"] is False and cmk["urn"] in mark["dependencies"]
    # New ClickHouse and Keeper claims come from it.
    claims = [
        t["spec"]["storageClassName"]
        for kind in ("ClickHouseInstallation", "ClickHouseKeeperInstallation")
        for r in result.resources
        if r["type"].endswith(f":{kind}")
        for t in r["inputs"]["spec"]["templates"]["volumeClaimTemplates"]
    ]
    assert claims and set(claims) == {name}


def test_a_storage_class_name_follows_its_key():
    assert storage_class_name(None) == "gp3-encrypted"
    first, second = storage_class_name("arn:aws:kms:r:1:key/a"), storage_class_name("arn:aws:kms:r:1:key/b")
    assert first.startswith("gp3-encrypted-cmk-") and len(first) == len("gp3-encrypted-cmk-") + 8
    assert first != second and storage_class_name("arn:aws:kms:r:1:key/a") == first


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
    # Their permissions are not granted (tests/test_controller_flags.py checks the rendered flags).
    assert (values["enableWaf"], values["enableWafv2"], values["enableShield"]) == (False, False, False)


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
    assert "annotations" not in pf.storage_class("arn:k")["metadata"]
    assert pf.storage_class(default=False)["metadata"]["annotations"] == {pf.DEFAULT_CLASS_ANNOTATION: "false"}
    assert pf.cluster_issuer(pf.ISSUER_STAGING, "r", "z", "Z1")["spec"]["acme"]["server"].startswith(
        "https://acme-staging"
    )
