"""Builders of the resource records the policy rules see (the shapes the layers create), shared by the
per-family policy tests (`tests/test_policies_<family>.py`)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from policies import rules
from tools import policy_check

ACCOUNT = "123456789012"
VENDOR = "210987654321"
STACK = "urn:pulumi:t::clickhouse-byoc::pulumi:pulumi:Stack::clickhouse-byoc-t"
PROVIDER = "urn:pulumi:t::clickhouse-byoc::pulumi:providers:aws::ClickHouse-cloud-t-aws"
TAGS = {"clickhouse-byoc": "true", "clickhouse-byoc/deployment": "t", "managed-by": "pulumi"}
ISSUER = "oidc.eks.us-west-2.amazonaws.com/id/ABCDEF0123456789"


def provider(tags: dict[str, str] | None = None, accounts: list[str] | None = None) -> dict[str, Any]:
    inputs: dict[str, Any] = {"region": "us-west-2", "defaultTags": {"tags": TAGS if tags is None else tags}}
    if accounts is not False:
        inputs["allowedAccountIds"] = accounts or [ACCOUNT]
    return record("pulumi:providers:aws", "ClickHouse-cloud-t-aws", inputs, provider=None, urn=PROVIDER)


def record(
    typ: str,
    name: str,
    inputs: dict[str, Any],
    *,
    protect: bool = False,
    retain: bool = False,
    deps: tuple[str, ...] = (),
    provider: str | None = PROVIDER,
    urn: str | None = None,
) -> dict[str, Any]:
    return {
        "urn": urn or f"urn:pulumi:t::clickhouse-byoc::{typ}::{name}",
        "type": typ,
        "name": name,
        "parent": STACK,
        "custom": not typ.startswith("eks:index:"),
        "inputs": inputs,
        "dependencies": list(deps),
        "protect": protect,
        "retainOnDelete": retain,
        "provider": provider,
    }


def results(records: list[dict[str, Any]], rule: str, config: dict | None = None) -> list[policy_check.Result]:
    return [r for r in policy_check.run([provider(), *records], config) if r.rule == rule]


def violations(records: list[dict[str, Any]], rule: str, config: dict | None = None) -> list[str]:
    return [r.message for r in results(records, rule, config) if r.checked]


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


# -- builders of the resource shapes the layers create ---------------------------------------------


def eks_component(**inputs: Any) -> dict[str, Any]:
    base = {
        "name": "ClickHouse-cloud-t",
        "endpointPublicAccess": False,
        "endpointPrivateAccess": True,
        "encryptionConfigKeyArn": f"arn:aws:kms:us-west-2:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "enabledClusterLogTypes": ["api", "audit", "authenticator"],
        "createOidcProvider": True,
        "authenticationMode": "API",
    }
    return record("eks:index:Cluster", "ClickHouse-cloud-t-eks", {**base, **inputs}, provider=None)


def eks_child(**inputs: Any) -> dict[str, Any]:
    base = {
        "name": "ClickHouse-cloud-t",
        "vpcConfig": {
            "endpointPublicAccess": True,
            "endpointPrivateAccess": True,
            "publicAccessCidrs": ["198.51.100.0/24"],
        },
        "encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": "arn:aws:kms:us-west-2:1:key/k"}},
        "enabledClusterLogTypes": ["api", "audit", "authenticator", "scheduler"],
    }
    return record("aws:eks/cluster:Cluster", "ClickHouse-cloud-t-eks-eksCluster", {**base, **inputs})


BUCKET_NAME = f"clickhouse-cloud-t-data-{ACCOUNT}"
BUCKET_URN = f"urn:pulumi:t::clickhouse-byoc::aws:s3/bucket:Bucket::{BUCKET_NAME}"


def bucket(purpose: str = "data", protect: bool = True, retain: bool = True, **inputs: Any) -> dict[str, Any]:
    tags = {"Name": BUCKET_NAME, rules.PURPOSE_TAG: purpose, **inputs.pop("tags", {})}
    return record(
        "aws:s3/bucket:Bucket",
        "ClickHouse-cloud-t-data",
        {"bucket": BUCKET_NAME, "forceDestroy": False, "tags": tags, **inputs},
        protect=protect,
        retain=retain,
        urn=BUCKET_URN,
    )


def bucket_part(typ: str, suffix: str, inputs: dict[str, Any], by_dependency: bool = False) -> dict[str, Any]:
    linked = {} if by_dependency else {"bucket": BUCKET_NAME}
    return record(typ, f"ClickHouse-cloud-t-data-{suffix}", {**linked, **inputs}, deps=(BUCKET_URN,))


def public_access_block(**flags: bool) -> dict[str, Any]:
    values = {f: True for f in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")}
    return bucket_part("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "pab", {**values, **flags})


def encryption(algorithm: str = "aws:kms") -> dict[str, Any]:
    rule = {"applyServerSideEncryptionByDefault": {"sseAlgorithm": algorithm}, "bucketKeyEnabled": True}
    return bucket_part(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "sse",
        {"rules": [rule]},
    )


TLS_ONLY = {
    "Sid": "DenyInsecureTransport",
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Resource": [f"arn:aws:s3:::{BUCKET_NAME}", f"arn:aws:s3:::{BUCKET_NAME}/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}


def bucket_policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return bucket_part("aws:s3/bucketPolicy:BucketPolicy", "policy", {"policy": doc(*statements)})


def role(name: str = "ClickHouse-cloud-t-external-dns", trust: str | None = None, **inputs: Any) -> dict[str, Any]:
    return record("aws:iam/role:Role", name, {"name": name, "assumeRolePolicy": trust or irsa_trust(), **inputs})


def irsa_trust(
    sub: Any = "system:serviceaccount:external-dns:external-dns", op: str = "StringEquals", aud: bool = True
) -> str:
    condition: dict[str, Any] = {op: {f"{ISSUER}:sub": sub}}
    if aud:
        condition.setdefault("StringEquals", {})[f"{ISSUER}:aud"] = "sts.amazonaws.com"
    return doc(
        {
            "Effect": "Allow",
            "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/{ISSUER}"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": condition,
        }
    )


def vendor_trust(account: str = VENDOR, external_id: str | None = "byoc-external-id") -> str:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
        "Action": "sts:AssumeRole",
    }
    if external_id is not None:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    return doc(statement)


def role_policy(*statements: dict[str, Any], name: str = "ClickHouse-cloud-t-bootstrap") -> dict[str, Any]:
    return record(
        "aws:iam/rolePolicy:RolePolicy", name, {"role": name, "name": "permissions", "policy": doc(*statements)}
    )


def allow(actions: Any, resources: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resources, **extra}


def gateway(namespace: str = "istio-ingress", ranges: list[str] | None = None, **annotations: str) -> dict[str, Any]:
    notes = {
        rules.LB_NAME_ANNOTATION: "ClickHouse-cloud-t-ingress",
        rules.LB_SCHEME_ANNOTATION: "internet-facing" if namespace == "istio-ingress" else "internal",
        **annotations,
    }
    service = {
        "type": "LoadBalancer",
        "annotations": notes,
        "loadBalancerSourceRanges": ["198.51.100.0/24"] if ranges is None else ranges,
        "ports": [
            {"name": "https", "port": 8443, "targetPort": 8443},
            {"name": "tls", "port": 9440, "targetPort": 9440},
        ],
    }
    return record(
        "kubernetes:helm.sh/v3:Release",
        f"ClickHouse-cloud-t-{namespace}",
        {"chart": "gateway", "namespace": namespace, "values": {"service": service}},
        provider="urn:pulumi:t::clickhouse-byoc::pulumi:providers:kubernetes::k8s",
    )


def service(namespace: str = "istio-ingress", ranges: list[str] | None = None, **annotations: str) -> dict[str, Any]:
    """A Service of type LoadBalancer, as a Helm v4 chart or a plain manifest renders it."""
    spec: dict[str, Any] = {"type": "LoadBalancer", "ports": [{"port": 8443, "targetPort": 8443}]}
    if ranges is not None:
        spec["loadBalancerSourceRanges"] = ranges
    meta = {"name": "istio-ingressgateway", "namespace": namespace, "annotations": annotations}
    return record(
        "kubernetes:core/v1:Service",
        f"ClickHouse-cloud-t-{namespace}-svc",
        {"metadata": meta, "spec": spec},
        provider="urn:pulumi:t::clickhouse-byoc::pulumi:providers:kubernetes::k8s",
    )


def sg_rule(cidr: str, port: int, protocol: str = "tcp") -> dict[str, Any]:
    return record(
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        f"ClickHouse-cloud-t-nodes-{port}",
        {
            "securityGroupId": "sg-0123",
            "cidrIpv4": cidr,
            "fromPort": float(port),
            "toPort": float(port),
            "ipProtocol": protocol,
        },
    )


def launch_template(**options: Any) -> dict[str, Any]:
    # Numbers reach rules as doubles, in a preview and in the synth output alike.
    metadata = {"httpEndpoint": "enabled", "httpTokens": "required", "httpPutResponseHopLimit": 1.0, **options}
    return record(
        "aws:ec2/launchTemplate:LaunchTemplate",
        "ClickHouse-cloud-t-system-lt",
        {"name": "ClickHouse-cloud-t-system", "metadataOptions": metadata},
    )


def node_group(**inputs: Any) -> dict[str, Any]:
    base = {
        "nodeGroupName": "ClickHouse-cloud-t-system",
        "clusterName": "ClickHouse-cloud-t",
        "launchTemplate": {"id": "lt-0123", "version": "1"},
    }
    return record("aws:eks/nodeGroup:NodeGroup", "ClickHouse-cloud-t-system", {**base, **inputs})


def check_cases(cases) -> list:
    """pytest params of `(rule, case id, good records, bad records, fragment)` tuples."""
    return [pytest.param(c[0], *c[2:], id=f"{c[0]}:{c[1]}") for c in cases]


def assert_case(rule: str, good: list, bad: list, fragment: str) -> None:
    assert violations(good, rule) == []
    found = violations(bad, rule)
    assert found, f"{rule} missed the non-compliant case"
    assert any(fragment in m for m in found), found
    # Every message says what is wrong, then how to fix it.
    assert all(": " in m and m.split(": ", 1)[1] for m in found), found
