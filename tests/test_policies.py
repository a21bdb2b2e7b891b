"""The policy pack: a compliant and a non-compliant record set per rule, the runner, the dev stack."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import textwrap
from typing import Any

import pytest

from components import naming
from policies import rules
from tests.conftest import ROOT
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


# -- one compliant and one non-compliant record set per rule ---------------------------------------

CASES: list[tuple[str, str, list[dict[str, Any]], list[dict[str, Any]], str]] = [
    # (rule, case id, compliant records, non-compliant records, expected fragment of the message)
    (
        "clickhouse-cloud-name-prefix",
        "eks-component",
        [eks_component()],
        [eks_component(name="analytics")],
        "does not start with 'ClickHouse-cloud-'",
    ),
    (
        "clickhouse-cloud-name-prefix",
        "eks-child",
        [eks_child()],
        [eks_child(name="clickhouse-cloud-t")],
        "EKS cluster name 'clickhouse-cloud-t'",
    ),
    (
        "clickhouse-cloud-name-prefix",
        "node-group",
        [node_group()],
        [node_group(nodeGroupName="system")],
        "EKS node group name 'system'",
    ),
    (
        "clickhouse-cloud-name-prefix",
        "addon",
        [
            record(
                "aws:eks/addon:Addon",
                "ClickHouse-cloud-t-vpc-cni",
                {"addonName": "vpc-cni", "clusterName": "ClickHouse-cloud-t"},
            )
        ],
        [record("aws:eks/addon:Addon", "vpc-cni", {"addonName": "vpc-cni", "clusterName": "ClickHouse-cloud-t"})],
        "the add-on's AWS name is fixed",
    ),
    ("clickhouse-cloud-name-prefix", "role", [role()], [role(name="external-dns")], "IAM role name 'external-dns'"),
    (
        "clickhouse-cloud-name-prefix",
        "policy",
        [
            record(
                "aws:iam/policy:Policy",
                "p",
                {"name": "ClickHouse-cloud-t-boundary", "policy": doc(allow("s3:GetObject", "arn:aws:s3:::b/*"))},
            )
        ],
        [
            record(
                "aws:iam/policy:Policy",
                "p",
                {"name": "byoc-boundary", "policy": doc(allow("s3:GetObject", "arn:aws:s3:::b/*"))},
            )
        ],
        "IAM policy name 'byoc-boundary'",
    ),
    (
        "clickhouse-cloud-name-prefix",
        "bucket-lowercase",
        [bucket()],
        [bucket(bucket="byoc-data-123")],
        "S3 bucket name 'byoc-data-123'",
    ),
    (
        "clickhouse-cloud-name-prefix",
        "kms-alias",
        [record("aws:kms/alias:Alias", "a", {"name": "alias/ClickHouse-cloud-t-eks", "targetKeyId": "k"})],
        [record("aws:kms/alias:Alias", "a", {"name": "alias/clickhouse-cloud-t-eks", "targetKeyId": "k"})],
        "does not start with 'alias/ClickHouse-cloud-'",
    ),
    (
        "clickhouse-cloud-name-prefix",
        "security-group",
        [
            record(
                "aws:ec2/securityGroup:SecurityGroup",
                "ClickHouse-cloud-t-nodes",
                {"name": "ClickHouse-cloud-t-nodes", "ingress": []},
            )
        ],
        [record("aws:ec2/securityGroup:SecurityGroup", "nodes", {"ingress": []})],
        "security group name 'nodes'",
    ),
    (
        "clickhouse-cloud-name-prefix",
        "gateway-nlb",
        [gateway()],
        [gateway(**{rules.LB_NAME_ANNOTATION: "k8s-istio-ingress"})],
        "load balancer name 'k8s-istio-ingress'",
    ),
    (
        "clickhouse-cloud-name-prefix",
        "gateway-nlb-too-long",
        [gateway()],
        [gateway(**{rules.LB_NAME_ANNOTATION: "ClickHouse-cloud-acme-prod-eu-ingress-private"})],
        "at most 32 characters",
    ),
    (
        "clickhouse-cloud-name-prefix",
        "service-nlb",
        [service(ranges=["198.51.100.0/24"], **{rules.LB_NAME_ANNOTATION: "ClickHouse-cloud-t-ingress"})],
        [service(ranges=["198.51.100.0/24"])],
        "has no service.beta.kubernetes.io/aws-load-balancer-name annotation",
    ),
    (
        "required-tags",
        "provider-default-tags",
        [record("aws:ec2/vpc:Vpc", "ClickHouse-cloud-t-vpc", {"cidrBlock": "10.0.0.0/22", "tags": {"Name": "v"}})],
        [
            record(
                "aws:ec2/vpc:Vpc",
                "ClickHouse-cloud-t-vpc",
                {"cidrBlock": "10.0.0.0/22", "tags": {"Name": "v"}},
                provider=None,
            )
        ],
        "missing tag(s) clickhouse-byoc=true, clickhouse-byoc/deployment=<deploymentId>",
    ),
    (
        "required-tags",
        "wrong-value",
        [record("aws:kms/key:Key", "ClickHouse-cloud-t-key", {"description": "k"})],
        [
            record(
                "aws:kms/key:Key", "ClickHouse-cloud-t-key", {"description": "k", "tags": {"clickhouse-byoc": "false"}}
            )
        ],
        "clickhouse-byoc=true",
    ),
    (
        "eks-endpoint-restricted",
        "component-private",
        [eks_component()],
        [eks_component(endpointPublicAccess=True, publicAccessCidrs=["0.0.0.0/0"])],
        "open to the internet",
    ),
    (
        "eks-endpoint-restricted",
        "component-defaults",
        [eks_component(endpointPublicAccess=True, publicAccessCidrs=["198.51.100.0/24"])],
        [eks_component(endpointPublicAccess=None, endpointPrivateAccess=None)],
        "endpointPrivateAccess is off",
    ),
    (
        "eks-endpoint-restricted",
        "child",
        [eks_child()],
        [eks_child(vpcConfig={"endpointPrivateAccess": True})],
        "open to the internet",
    ),
    (
        "eks-secrets-encryption",
        "component",
        [eks_component()],
        [eks_component(encryptionConfigKeyArn=None)],
        "encryptionConfigKeyArn is not set",
    ),
    (
        "eks-secrets-encryption",
        "child",
        [eks_child()],
        [eks_child(encryptionConfig={"resources": ["secrets"], "provider": {}})],
        "provider.keyArn",
    ),
    (
        "eks-control-plane-logging",
        "component",
        [eks_component()],
        [eks_component(enabledClusterLogTypes=["api"])],
        "audit, authenticator are off",
    ),
    (
        "eks-control-plane-logging",
        "child",
        [eks_child()],
        [eks_child(enabledClusterLogTypes=None)],
        "api, audit, authenticator are off",
    ),
    ("s3-no-public-access", "block", [bucket(), public_access_block()], [bucket()], "has no public access block"),
    (
        "s3-no-public-access",
        "flag-off",
        [bucket(), public_access_block()],
        [bucket(), public_access_block(restrictPublicBuckets=False)],
        "leaves restrictPublicBuckets off",
    ),
    (
        "s3-no-public-access",
        "acl",
        [bucket(), public_access_block()],
        [bucket(acl="public-read"), public_access_block()],
        "public ACL 'public-read'",
    ),
    ("s3-encryption", "sse", [bucket(), encryption()], [bucket(), encryption("none")], "has no default encryption"),
    ("s3-encryption", "aes", [bucket(), encryption("AES256")], [bucket()], "has no default encryption"),
    (
        "s3-tls-only",
        "deny-http",
        [bucket(), bucket_policy(TLS_ONLY)],
        [bucket(), bucket_policy({**TLS_ONLY, "Effect": "Allow"})],
        "accepts plain HTTP",
    ),
    ("s3-tls-only", "no-policy", [bucket(), bucket_policy(TLS_ONLY)], [bucket()], "accepts plain HTTP"),
    ("s3-data-retained", "protect", [bucket()], [bucket(protect=False)], "is not protected"),
    ("s3-data-retained", "retain", [bucket()], [bucket(retain=False)], "set retain_on_delete=True"),
    (
        "s3-data-retained",
        "force-destroy",
        [bucket(purpose="backup")],
        [bucket(purpose="backup", forceDestroy=True)],
        "has forceDestroy",
    ),
    (
        "s3-data-retained",
        "opt-out",
        [
            bucket(protect=False, retain=False, tags={rules.DATA_PROTECTION_TAG: "disabled"}),
            bucket(purpose="monitoring", protect=False, retain=False),
        ],
        [bucket(protect=False, retain=False, tags={rules.DATA_PROTECTION_TAG: "enabled"})],
        "is not protected",
    ),
    (
        "iam-no-admin-wildcards",
        "star",
        [role_policy(allow("eks:DescribeCluster", "arn:aws:eks:us-west-2:1:cluster/ClickHouse-cloud-*"))],
        [role_policy(allow("*"))],
        "allows * on '*'",
    ),
    (
        "iam-no-admin-wildcards",
        "service-star",
        [role_policy(allow("ec2:Describe*"))],
        [role_policy(allow(["route53:*", "ec2:Describe*"]))],
        "allows route53:* on '*'",
    ),
    (
        "iam-no-admin-wildcards",
        "passrole",
        [role_policy(allow("iam:PassRole", "arn:aws:iam::1:role/ClickHouse-cloud-t-*"))],
        [role_policy(allow("iam:PassRole"))],
        "iam:PassRole on '*'",
    ),
    (
        "iam-no-admin-wildcards",
        "not-action",
        [role_policy(allow("s3:ListAllMyBuckets"))],
        [role_policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})],
        "allows everything but",
    ),
    (
        "iam-no-admin-wildcards",
        "managed-admin",
        [
            record(
                "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                "a",
                {"role": "r", "policyArn": "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"},
            )
        ],
        [
            record(
                "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                "a",
                {"role": "r", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
            )
        ],
        "AdministratorAccess",
    ),
    (
        "iam-no-admin-wildcards",
        "inline-on-role",
        [role(inlinePolicies=[{"name": "p", "policy": doc(allow("sqs:SendMessage", "arn:aws:sqs:us-west-2:1:q"))}])],
        [role(inlinePolicies=[{"name": "p", "policy": doc(allow("sqs:*"))}])],
        "inlinePolicies[0] p statement 0 allows sqs:*",
    ),
    (
        "iam-irsa-trust-scoped",
        "sub-wildcard",
        [role()],
        [role(trust=irsa_trust(sub="system:serviceaccount:external-dns:*", op="StringLike"))],
        "does not pin the service account",
    ),
    (
        "iam-irsa-trust-scoped",
        "aud-missing",
        [role()],
        [role(trust=irsa_trust(aud=False))],
        "does not pin the audience",
    ),
    (
        "iam-external-id",
        "vendor",
        [role(name="ClickHouse-cloud-t-management", trust=vendor_trust())],
        [role(name="ClickHouse-cloud-t-management", trust=vendor_trust(external_id=None))],
        f"account(s) {VENDOR}",
    ),
    (
        "iam-external-id",
        "own-account-needs-none",
        [role(name="ClickHouse-cloud-t-x", trust=vendor_trust(account=ACCOUNT, external_id=None))],
        [role(name="ClickHouse-cloud-t-x", trust=vendor_trust(external_id="*"))],
        "without sts:ExternalId",
    ),
    (
        "iam-permissions-boundary",
        "create-role",
        [
            role_policy(
                allow(
                    "iam:CreateRole",
                    "arn:aws:iam::1:role/ClickHouse-cloud-*",
                    Condition={
                        "StringEquals": {"iam:PermissionsBoundary": "arn:aws:iam::1:policy/ClickHouse-cloud-t-boundary"}
                    },
                )
            )
        ],
        [role_policy(allow("iam:CreateRole", "arn:aws:iam::1:role/ClickHouse-cloud-*"))],
        "allows iam:CreateRole without an iam:PermissionsBoundary condition",
    ),
    (
        "iam-permissions-boundary",
        "if-exists-and-wildcard",
        [role_policy(allow("iam:GetRole", "arn:aws:iam::1:role/ClickHouse-cloud-*"))],
        [
            role_policy(
                allow(
                    "iam:*Role*",
                    "arn:aws:iam::1:role/ClickHouse-cloud-*",
                    Condition={"StringEqualsIfExists": {"iam:PermissionsBoundary": "arn:aws:iam::1:policy/b"}},
                )
            )
        ],
        "iam:CreateRole, iam:PutRolePermissionsBoundary, iam:DeleteRolePermissionsBoundary",
    ),
    ("imdsv2-required", "tokens", [launch_template()], [launch_template(httpTokens="optional")], "IMDSv1 is allowed"),
    (
        "imdsv2-required",
        "hop-limit",
        [launch_template(), launch_template(httpEndpoint="disabled", httpTokens="optional")],
        [launch_template(httpPutResponseHopLimit=2)],
        "httpPutResponseHopLimit is 2",
    ),
    (
        "imdsv2-required",
        "node-group",
        [node_group()],
        [node_group(launchTemplate=None)],
        "EKS's default launch template",
    ),
    (
        "ingress-ip-allowlist",
        "public",
        [gateway(), gateway(namespace="istio-ingress-private", ranges=[])],
        [gateway(ranges=[])],
        "accepts every address",
    ),
    (
        "ingress-ip-allowlist",
        "opt-out",
        [gateway(ranges=[], **{rules.ALLOW_ANY_SOURCE: "true"})],
        [gateway(ranges=["0.0.0.0/0"])],
        "contains ['0.0.0.0/0']",
    ),
    (
        "ingress-ip-allowlist",
        "service",
        [service(namespace="clickhouse", ranges=[]), service(ranges=["198.51.100.0/24"])],
        [service(namespace="clickhouse", ranges=[], **{rules.LB_SCHEME_ANNOTATION: "internet-facing"})],
        "accepts every address",
    ),
    (
        "no-world-ingress",
        "listener-port",
        [gateway(), sg_rule("0.0.0.0/0", 8443), sg_rule("10.0.0.0/22", 22)],
        [gateway(), sg_rule("0.0.0.0/0", 22)],
        "opens ports 22-22 to 0.0.0.0/0",
    ),
    (
        "no-world-ingress",
        "no-allowlist",
        [sg_rule("10.0.0.0/16", 8443)],
        [gateway(ranges=[]), sg_rule("0.0.0.0/0", 8443)],
        "(none: no allow-listed public gateway)",
    ),
    (
        "no-world-ingress",
        "ipv6-all",
        [sg_rule("10.0.0.0/16", 443, protocol="-1")],
        [gateway(), sg_rule("::/0", 443, protocol="-1")],
        "opens all ports to ::/0",
    ),
    (
        "no-world-ingress",
        "inline",
        [
            record(
                "aws:ec2/securityGroup:SecurityGroup",
                "ClickHouse-cloud-t-sg",
                {
                    "name": "ClickHouse-cloud-t-sg",
                    "ingress": [{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["10.0.0.0/8"]}],
                },
            )
        ],
        [
            record(
                "aws:ec2/securityGroup:SecurityGroup",
                "ClickHouse-cloud-t-sg",
                {
                    "name": "ClickHouse-cloud-t-sg",
                    "ingress": [{"protocol": "tcp", "fromPort": 0, "toPort": 65535, "cidrBlocks": ["0.0.0.0/0"]}],
                },
            )
        ],
        "ingress[0] opens all ports",
    ),
]


@pytest.mark.parametrize(
    ("rule", "good", "bad", "fragment"), [pytest.param(*c[0:1], *c[2:], id=f"{c[0]}:{c[1]}") for c in CASES]
)
def test_rule_passes_compliant_and_flags_non_compliant_records(rule, good, bad, fragment):
    assert violations(good, rule) == []
    found = violations(bad, rule)
    assert found, f"{rule} missed the non-compliant case"
    assert any(fragment in m for m in found), found
    # Every message says what is wrong, then how to fix it.
    assert all(": " in m and m.split(": ", 1)[1] for m in found), found


def test_every_rule_has_cases_and_the_issue_rules_exist():
    assert {c[0] for c in CASES} == {r.name for r in rules.RULES}
    assert [r.name for r in rules.RULES] == [
        "clickhouse-cloud-name-prefix",
        "required-tags",
        "eks-endpoint-restricted",
        "eks-secrets-encryption",
        "eks-control-plane-logging",
        "s3-no-public-access",
        "s3-encryption",
        "s3-tls-only",
        "s3-data-retained",
        "iam-no-admin-wildcards",
        "iam-irsa-trust-scoped",
        "iam-external-id",
        "iam-permissions-boundary",
        "imdsv2-required",
        "ingress-ip-allowlist",
        "no-world-ingress",
    ]


def test_policies_are_sdk_policies_with_kebab_names_descriptions_and_levels():
    from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy

    built = rules.policies()
    assert len({p.name for p in built}) == len(built) == len(rules.RULES)
    for policy in built:
        assert isinstance(policy, (ResourceValidationPolicy, StackValidationPolicy))
        assert policy.name.replace("-", "").isalnum() and policy.name == policy.name.lower()
        assert policy.description.endswith(".") and policy.remediation_steps
        assert policy.enforcement_level == EnforcementLevel.MANDATORY
    stack = {p.name for p in built if isinstance(p, StackValidationPolicy)}
    assert stack == {
        "s3-no-public-access",
        "s3-encryption",
        "s3-tls-only",
        "iam-no-admin-wildcards",
        "no-world-ingress",
    }


def test_pack_constants_match_the_program():
    assert rules.PREFIX == naming.PREFIX
    assert rules.BYOC_TAG == naming.BYOC_TAG and rules.DEPLOYMENT_TAG == naming.DEPLOYMENT_TAG
    from tools.mocks import SECRET

    assert rules.SECRET == SECRET
    names = naming.Names("acme-production-eu1", ACCOUNT)
    for what in ("ingress", "ingress-private"):
        lb = names.load_balancer(what)
        assert rules.prefixed(lb, rules.PREFIX, False) and len(lb) <= rules.ELB_NAME_MAX
    assert rules.prefixed(names.bucket("data"), rules.PREFIX, True)
    assert not rules.prefixed(names.bucket("data"), rules.PREFIX, False)


def test_a_permissions_boundary_may_cap_with_service_wildcards():
    cap = doc(allow(["elasticloadbalancing:*", "autoscaling:Describe*"]))
    boundary = record("aws:iam/policy:Policy", "b", {"name": "ClickHouse-cloud-t-boundary", "policy": cap})
    arn = f"arn:aws:iam::{ACCOUNT}:policy/ClickHouse-cloud-t-boundary"
    bounded = role(permissionsBoundary=arn)
    creator = role_policy(
        allow(
            "iam:CreateRole",
            "arn:aws:iam::1:role/ClickHouse-cloud-t-*",
            Condition={"StringEquals": {"iam:PermissionsBoundary": arn}},
        )
    )
    assert violations([boundary, bounded], "iam-no-admin-wildcards") == []
    assert violations([boundary, creator], "iam-no-admin-wildcards") == []
    # Unreferenced, the same document grants: a violation. A boundary allowing '*' bounds nothing.
    assert violations([boundary], "iam-no-admin-wildcards") == [
        "policy statement 0 allows elasticloadbalancing:* on '*': list the actions and scope Resource to ARNs"
    ]
    everything = record(
        "aws:iam/policy:Policy", "b", {"name": "ClickHouse-cloud-t-boundary", "policy": doc(allow("*"))}
    )
    assert violations([everything, bounded], "iam-no-admin-wildcards") == [
        "policy statement 0 allows * on '*': list the actions and scope Resource to ARNs"
    ]


def test_buckets_link_by_dependency_when_the_bucket_input_is_unknown():
    # In a preview the `bucket` input of a new bucket's configuration is unknown; the dependency links it.
    from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

    block = public_access_block()
    block["inputs"]["bucket"] = UNKNOWN_STRING_VALUE
    assert violations([bucket(), block], "s3-no-public-access") == []
    block["dependencies"] = []
    assert violations([bucket(), block], "s3-no-public-access") == [
        f"bucket {BUCKET_NAME!r} has no public access block: create an aws.s3.BucketPublicAccessBlock with all four settings true"
    ]


def test_secret_documents_are_advisory_cannot_check_notes_not_violations():
    secret_role = role(trust="[secret]")
    found = results([secret_role], "iam-irsa-trust-scoped")
    assert [(r.level, r.checked) for r in found] == [("advisory", False)]
    assert found[0].message == "cannot check: assumeRolePolicy is a secret, which cannot be read offline"
    assert policy_check.report([provider(), secret_role, role_policy(allow("*"))], out=_Sink()) == 1
    assert policy_check.report([provider(), secret_role], out=_Sink()) == 0


def test_unknown_values_in_a_preview_are_advisory_through_the_sdk():
    # pulumi-policy reports an UnknownValueError as an advisory "can't run policy" diagnostic.
    from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

    unknown = role(trust=UNKNOWN_STRING_VALUE)
    (found,) = results([unknown], "iam-external-id")
    assert not found.checked and "can't be known during preview" in found.message


def test_external_id_needs_the_stack_account():
    records = [provider(accounts=False), role(name="ClickHouse-cloud-t-m", trust=vendor_trust())]
    found = [r for r in policy_check.run(records) if r.rule == "iam-external-id"]
    assert [r.checked for r in found] == [False] and "allowedAccountIds" in found[0].message
    config = {"iam-external-id": {"accountId": ACCOUNT}}
    bad = [provider(accounts=False), role(name="ClickHouse-cloud-t-m", trust=vendor_trust(external_id=None))]
    assert [r.message[:40] for r in policy_check.run(bad, config) if r.rule == "iam-external-id"] == [
        "assumeRolePolicy statement 0 lets accoun"
    ]


def test_config_overrides_levels_and_properties():
    bad = [eks_component(enabledClusterLogTypes=["api"])]
    assert [r.level for r in results(bad, "eks-control-plane-logging", {"eks-control-plane-logging": "advisory"})] == [
        "advisory"
    ]
    assert results(bad, "eks-control-plane-logging", {"all": "disabled"}) == []
    relaxed = {"eks-control-plane-logging": {"enforcementLevel": "mandatory", "requiredLogTypes": ["api"]}}
    assert results(bad, "eks-control-plane-logging", relaxed) == []
    with pytest.raises(policy_check.ConfigProblem, match="unknown rule"):
        policy_check.resolve({"s3-public": "advisory"})
    with pytest.raises(policy_check.ConfigProblem, match="not an enforcement level"):
        policy_check.resolve({"s3-tls-only": "warn"})
    with pytest.raises(policy_check.ConfigProblem, match="unknown propert"):
        policy_check.resolve({"s3-tls-only": {"enforcementLevel": "advisory", "strict": True}})


class _Sink:
    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


# -- the dev stack and the command line ------------------------------------------------------------


@pytest.fixture(scope="module")
def dev_records(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth")
    proc = subprocess.run(
        [sys.executable, "-m", "tools.synth", "--stack", "dev", "--out", str(out), "--no-policy-check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "policy check" not in proc.stdout
    return out / "resources.json"


def _check(path, *args):
    return subprocess.run(
        [sys.executable, "-m", "tools.policy_check", str(path), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_dev_stack_has_no_mandatory_violation(dev_records):
    records = json.loads(dev_records.read_text())
    found = policy_check.run(records)
    assert [r.line() for r in found if r.checked and r.level == "mandatory"] == []
    proc = _check(dev_records)
    assert proc.returncode == 0, proc.stdout
    assert "policy check: 0 mandatory and 0 advisory violation(s)" in proc.stdout


def test_runner_exits_1_on_an_unprefixed_cluster_and_a_public_bucket(dev_records, tmp_path):
    records = json.loads(dev_records.read_text())
    mutated = [
        *copy.deepcopy(records),
        provider(),
        eks_component(name="analytics"),
        bucket(protect=False),
        public_access_block(blockPublicPolicy=False),
    ]
    path = tmp_path / "resources.json"
    path.write_text(json.dumps(mutated))
    proc = _check(path)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert any(
        line.startswith("clickhouse-cloud-name-prefix [mandatory] urn:pulumi:t::clickhouse-byoc::eks:index:Cluster::")
        and "EKS cluster name 'analytics'" in line
        for line in lines
    ), lines
    assert any(line.startswith("s3-no-public-access [mandatory]") and "blockPublicPolicy" in line for line in lines)
    assert any(line.startswith("s3-data-retained [mandatory]") for line in lines)
    assert lines[-1].startswith("policy check: ") and not lines[-1].startswith("policy check: 0 mandatory")
    # The same violations as advisory do not fail the run.
    config = tmp_path / "policy-config.json"
    config.write_text(json.dumps({"all": "advisory"}))
    assert _check(path, "--config", str(config)).returncode == 0
    config.write_text(json.dumps({"no-such-rule": "advisory"}))
    bad = _check(path, "--config", str(config))
    assert bad.returncode == 2 and "unknown rule(s) no-such-rule" in bad.stderr


def test_synth_runs_the_policy_check_and_fails_on_a_violation(tmp_path):
    from tools import synth

    out = tmp_path / "out"
    calls = []
    original = policy_check.report

    def fake_report(records, config=None, out=sys.stdout):
        calls.append(len(records))
        return original([*records, eks_component(name="analytics")], config, out=_Sink())

    policy_check.report = fake_report
    try:
        assert synth.main(["--stack", "dev", "--out", str(out)]) == 1
        assert synth.main(["--stack", "dev", "--out", str(out), "--no-policy-check"]) == 0
    finally:
        policy_check.report = original
    assert len(calls) == 1 and calls[0] > 10
    assert (out / "resources.json").exists()


def test_pack_main_builds_the_clickhouse_byoc_pack_from_inside_policies():
    # PolicyPack(...) serves forever: replace it, then run __main__.py the way Pulumi does (run_path of the folder).
    script = textwrap.dedent(
        """\
        import json, runpy, sys
        import pulumi_policy
        seen = {}
        def fake(name, policies, **kwargs):
            seen.update(name=name, policies=[p.name for p in policies], level=kwargs["enforcement_level"].value)
        pulumi_policy.PolicyPack = fake
        sys.path[:] = [p for p in sys.path if p not in ("", ".")]
        runpy.run_path(sys.argv[1], run_name="__main__")
        print(json.dumps(seen))
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, str(ROOT / "policies")],
        cwd=ROOT / "policies",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout)
    assert seen["name"] == "clickhouse-byoc" and seen["level"] == "mandatory"
    assert seen["policies"] == [r.name for r in rules.RULES]


def test_pack_project_file_and_requirements():
    import yaml

    project = yaml.safe_load((ROOT / "policies" / "PulumiPolicy.yaml").read_text())
    assert project["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": "venv"}}
    assert project["version"] and project["description"]
    reqs = (ROOT / "policies" / "requirements.txt").read_text()
    assert "pulumi-policy==1.21.0" in reqs


def test_readme_policies_table_lists_every_rule_with_its_level():
    table = (ROOT / "docs" / "policies.md").read_text()
    for r in rules.RULES:
        assert f"| `{r.name}` |" in table, r.name
        row = next(line for line in table.splitlines() if line.startswith(f"| `{r.name}` |"))
        assert f"| {r.level.value} |" in row, row
