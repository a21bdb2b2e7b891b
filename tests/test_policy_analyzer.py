"""The pack behind pulumi-policy's own analyzer servicer, fed gRPC requests as `pulumi preview` sends them.

`PolicyPack(...)` would start the gRPC server; the servicer it serves is driven here directly, so
the rules meet the SDK's real request decoding: numbers as doubles, unknown sentinels, providers
with JSON-text settings, enforcement levels from the pack config.
"""

from __future__ import annotations

import json
from typing import Any

from google.protobuf import struct_pb2
from pulumi.runtime import proto
from pulumi_policy import EnforcementLevel
from pulumi_policy.policy import _PolicyAnalyzerServicer
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from policies import rules

ACCOUNT = "123456789012"
PROVIDER_URN = "urn:pulumi:dev::clickhouse-byoc::pulumi:providers:aws::ClickHouse-cloud-dev-aws"


def servicer(config: dict[str, Any] | None = None) -> _PolicyAnalyzerServicer:
    service = _PolicyAnalyzerServicer(rules.PACK_NAME, "0.1.0", rules.policies(), EnforcementLevel.MANDATORY)
    if config:
        request = proto.ConfigureAnalyzerRequest()
        for name, level in config.items():
            request.policyConfig[name].enforcementLevel = getattr(proto, level.upper())
        service.Configure(request, None)
    return service


def struct(values: dict[str, Any]) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    out.update(values)
    return out


def provider(tags: dict[str, str] | None = None) -> proto.AnalyzerProviderResource:
    # The engine hands providers their structured settings as JSON text.
    default_tags = {
        "tags": tags if tags is not None else {"clickhouse-byoc": "true", "clickhouse-byoc/deployment": "dev"}
    }
    props = {"region": "us-west-2", "allowedAccountIds": json.dumps([ACCOUNT]), "defaultTags": json.dumps(default_tags)}
    return proto.AnalyzerProviderResource(
        type="pulumi:providers:aws", properties=struct(props), urn=PROVIDER_URN, name="ClickHouse-cloud-dev-aws"
    )


def analyze(typ: str, name: str, props: dict[str, Any], config=None, **options: Any) -> list[tuple[str, int, str]]:
    request = proto.AnalyzeRequest(
        type=typ,
        properties=struct(props),
        urn=f"urn:pulumi:dev::clickhouse-byoc::{typ}::{name}",
        name=name,
        options=proto.AnalyzerResourceOptions(**options),
        provider=provider(),
    )
    response = servicer(config).Analyze(request, None)
    return [(d.policyName, d.enforcementLevel, d.message) for d in response.diagnostics]


def test_a_compliant_launch_template_passes_with_numbers_as_doubles():
    props = {
        "name": "ClickHouse-cloud-dev-system",
        "metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 1},
    }
    assert analyze("aws:ec2/launchTemplate:LaunchTemplate", "ClickHouse-cloud-dev-system-lt", props) == []


def test_violations_carry_the_rule_level_description_and_fix():
    props = {"name": "nodes", "metadataOptions": {"httpTokens": "optional", "httpPutResponseHopLimit": 2}}
    found = analyze("aws:ec2/launchTemplate:LaunchTemplate", "nodes-lt", props)
    assert {(name, level) for name, level, _ in found} == {("imdsv2-required", proto.MANDATORY)}
    messages = [m for _, _, m in found]
    assert all(m.startswith(rules.rule_named("imdsv2-required").description) for m in messages)
    assert any("set metadataOptions.httpTokens 'required'" in m for m in messages)
    assert any("httpPutResponseHopLimit is 2: set it to 1" in m for m in messages)


def test_the_pack_config_overrides_a_level():
    props = {
        "name": "ClickHouse-cloud-dev-x",
        "metadataOptions": {"httpTokens": "optional", "httpPutResponseHopLimit": 1},
    }
    found = analyze("aws:ec2/launchTemplate:LaunchTemplate", "lt", props, config={"imdsv2-required": "advisory"})
    assert [(n, lvl) for n, lvl, _ in found] == [("imdsv2-required", proto.ADVISORY)]
    assert analyze("aws:ec2/launchTemplate:LaunchTemplate", "lt", props, config={"imdsv2-required": "disabled"}) == []


def test_provider_default_tags_as_json_text_satisfy_required_tags():
    props = {"cidrBlock": "10.0.0.0/22", "tags": {"Name": "ClickHouse-cloud-dev-vpc"}}
    assert analyze("aws:ec2/vpc:Vpc", "ClickHouse-cloud-dev-network-vpc", props) == []


def test_an_unknown_document_during_preview_is_an_advisory_cannot_check():
    props = {"name": "ClickHouse-cloud-dev-external-dns", "assumeRolePolicy": UNKNOWN_STRING_VALUE}
    found = analyze("aws:iam/role:Role", "ClickHouse-cloud-dev-external-dns", props)
    assert {n for n, _, _ in found} == {"iam-irsa-trust-scoped", "iam-external-id"}
    assert all(level == proto.ADVISORY and "can't be known during preview" in m for _, level, m in found)


def test_the_real_preview_child_cluster_is_checked_through_the_component():
    props = {
        "name": "analytics",
        "vpcConfig": {"endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/0"]},
        "enabledClusterLogTypes": ["api", "audit", "authenticator"],
        "encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": "arn:aws:kms:us-west-2:1:key/k"}},
    }
    found = analyze("aws:eks/cluster:Cluster", "ClickHouse-cloud-dev-eks-eksCluster", props)
    assert sorted({n for n, _, _ in found}) == ["clickhouse-cloud-name-prefix", "eks-endpoint-restricted"]


def stack_resource(typ: str, name: str, props: dict[str, Any], **fields: Any) -> proto.AnalyzerResource:
    return proto.AnalyzerResource(
        type=typ,
        properties=struct(props),
        urn=f"urn:pulumi:dev::clickhouse-byoc::{typ}::{name}",
        name=name,
        options=proto.AnalyzerResourceOptions(protect=fields.pop("protect", False)),
        provider=provider(),
        **fields,
    )


def test_stack_rules_link_a_bucket_to_its_block_through_property_dependencies():
    bucket = stack_resource(
        "aws:s3/bucket:Bucket",
        "ClickHouse-cloud-dev-storage-data",
        {"bucket": f"clickhouse-cloud-dev-data-{ACCOUNT}", "tags": {"clickhouse-byoc/bucket-purpose": "data"}},
        protect=True,
    )
    # During a preview the new bucket's id is unknown; only the property dependency links the two.
    flags = {f: True for f in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")}
    deps = {"bucket": proto.AnalyzerPropertyDependencies(urns=[bucket.urn])}
    block = stack_resource(
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "ClickHouse-cloud-dev-storage-data-public-access",
        {"bucket": UNKNOWN_STRING_VALUE, **flags},
        propertyDependencies=deps,
    )
    response = servicer().AnalyzeStack(proto.AnalyzeStackRequest(resources=[bucket, block]), None)
    by_rule = {d.policyName: d for d in response.diagnostics}
    assert "s3-no-public-access" not in by_rule
    assert by_rule["s3-encryption"].urn == bucket.urn and by_rule["s3-encryption"].enforcementLevel == proto.MANDATORY
    assert "has no default encryption" in by_rule["s3-encryption"].message
    assert "accepts plain HTTP" in by_rule["s3-tls-only"].message
    unlinked = stack_resource(
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "other", {"bucket": UNKNOWN_STRING_VALUE, **flags}
    )
    response = servicer().AnalyzeStack(proto.AnalyzeStackRequest(resources=[bucket, unlinked]), None)
    assert (
        "has no public access block" in {d.policyName: d for d in response.diagnostics}["s3-no-public-access"].message
    )


def test_a_stack_rule_reports_what_it_can_and_notes_what_it_cannot_read():
    buckets = [
        stack_resource(
            "aws:s3/bucket:Bucket", f"ClickHouse-cloud-dev-storage-{p}", {"bucket": f"clickhouse-cloud-dev-{p}"}
        )
        for p in ("data", "backup")
    ]
    unknown_policy = stack_resource(
        "aws:s3/bucketPolicy:BucketPolicy",
        "ClickHouse-cloud-dev-storage-data-tls-only",
        {"bucket": "clickhouse-cloud-dev-data", "policy": UNKNOWN_STRING_VALUE},
    )
    response = servicer().AnalyzeStack(proto.AnalyzeStackRequest(resources=[*buckets, unknown_policy]), None)
    tls = [d for d in response.diagnostics if d.policyName == "s3-tls-only"]
    assert [(d.urn, d.enforcementLevel) for d in tls] == [(buckets[1].urn, proto.MANDATORY), ("", proto.ADVISORY)]
    assert "can't run policy 's3-tls-only'" in tls[1].message and buckets[0].urn in tls[1].message
