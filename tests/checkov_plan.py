"""The synth's AWS resources as the Terraform plan (`terraform show -json`) checkov's `terraform_plan`
framework reads, so its AWS checks judge what the program registers.

pulumi-aws bridges terraform-provider-aws: each `aws:<module>/<member>:<Type>` is one Terraform
resource type (`tools/data/replace-on-change.json` records the type each one bridges, read upstream),
with the same attributes, camelCase in Pulumi and snake_case in Terraform. Where the two differ:
- a nested block Terraform caps at one item is an object in Pulumi and a list of one block in a
  plan; map attributes (`tags`, `labels`, ...) stay maps;
- a repeatable block with a singular Terraform name gets a plural Pulumi name (`rule` -> `rules`);
- pulumi-eks' `Cluster` is a component: under the mocks only its own inputs are seen, and
  `eks_cluster` maps them onto the `aws_eks_cluster` it creates (pulumi-eks 4.x
  `nodejs/eks/cluster/cluster.ts`, `new aws.eks.Cluster(...)`); its other children are not seen.

References: checkov connects resources (a VPC to its flow log, a bucket to its logging) through
`configuration.root_module.resources[].expressions.<attr>.references`, as Terraform writes them for a
value that names another resource. An input is such a reference when it equals the id, ARN or name
the mocks gave another resource (`tools.mocks`, as the synth gave them): its value then leaves
`planned_values` (unknown until apply, as in a plan that creates both) and its expression names the
resource (`aws_vpc.<name>.id`). Secret and unknown inputs are left out as unknown.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from tools.mocks import SECRET, UNKNOWN, ByocMocks

ROOT = Path(__file__).resolve().parent.parent
TYPES = ROOT / "tools" / "data" / "replace-on-change.json"
PROVIDER = "registry.terraform.io/hashicorp/aws"
EKS_CLUSTER = "eks:index:Cluster"

# Pulumi modules whose Terraform types carry no module prefix (`aws:ec2/vpc:Vpc` -> `aws_vpc`).
UNPREFIXED_MODULES = {"ec2"}
# Types whose Terraform name is not the rule's (terraform-provider-aws names them otherwise).
TYPE_EXCEPTIONS = {
    "aws:autoscaling/tag:Tag": "aws_autoscaling_group_tag",
    "aws:cloudtrail/trail:Trail": "aws_cloudtrail",
    "aws:ec2/peeringConnectionOptions:PeeringConnectionOptions": "aws_vpc_peering_connection_options",
    "aws:ec2/vpcEndpointServiceAllowedPrinciple:VpcEndpointServiceAllowedPrinciple": (
        "aws_vpc_endpoint_service_allowed_principal"
    ),
    EKS_CLUSTER: "aws_eks_cluster",
}
# Map attributes (Terraform names): their keys are data, not attribute names, and a map is no block.
MAP_INPUTS = {"tags", "tags_all", "labels", "input_paths"}
# Repeatable blocks Pulumi names in the plural (tf type, Pulumi name) -> Terraform name.
PLURAL_BLOCKS = {
    ("aws_s3_bucket_lifecycle_configuration", "rules"): "rule",
    ("aws_s3_bucket_server_side_encryption_configuration", "rules"): "rule",
    ("aws_eks_node_group", "taints"): "taint",
    ("aws_route53_record", "aliases"): "alias",
    ("aws_route53_zone", "vpcs"): "vpc",
}


def snake(name: str) -> str:
    """`logDestinationType` -> `log_destination_type`, `cidrIpv4` -> `cidr_ipv4`."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def tf_type(token: str) -> str | None:
    """The Terraform resource type a Pulumi type token bridges, or None (not an AWS resource)."""
    if token in TYPE_EXCEPTIONS:
        return TYPE_EXCEPTIONS[token]
    if not token.startswith("aws:") or token.count(":") != 2:
        return None
    module, member = token.split(":")[1].split("/")
    if module == "index":
        return None
    prefix = "aws" if module in UNPREFIXED_MODULES else f"aws_{module}"
    return f"{prefix}_{snake(member)}"


def address_name(record: Mapping[str, Any]) -> str:
    """The record's logical name as a Terraform resource name."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", record["name"])


@functools.cache
def recorded_types() -> dict[str, str]:
    """Pulumi token -> Terraform type, as the change plan's table read them upstream."""
    types = json.loads(TYPES.read_text())["types"]
    return {token: entry["tf"] for token, entry in types.items() if entry.get("source") == "aws" and entry.get("tf")}


def eks_cluster(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The `aws_eks_cluster` inputs pulumi-eks' `Cluster` makes of its own (Pulumi names)."""
    vpc_config = {
        key: inputs[key]
        for key in ("endpointPrivateAccess", "endpointPublicAccess", "publicAccessCidrs")
        if key in inputs
    }
    # `subnetIds`, else the public then the private subnets.
    vpc_config["subnetIds"] = inputs.get("subnetIds") or [
        *inputs.get("publicSubnetIds", []),
        *inputs.get("privateSubnetIds", []),
    ]
    out: dict[str, Any] = {
        "name": inputs.get("name"),
        "roleArn": inputs.get("serviceRole"),
        "version": inputs.get("version"),
        "vpcConfig": vpc_config,
        "bootstrapSelfManagedAddons": inputs.get("bootstrapSelfManagedAddons", True),
    }
    for key in ("enabledClusterLogTypes", "deletionProtection", "tags"):
        if key in inputs:
            out[key] = inputs[key]
    if inputs.get("encryptionConfigKeyArn"):
        out["encryptionConfig"] = {"provider": {"keyArn": inputs["encryptionConfigKeyArn"]}, "resources": ["secrets"]}
    if inputs.get("authenticationMode"):
        out["accessConfig"] = {
            "authenticationMode": inputs["authenticationMode"],
            "bootstrapClusterCreatorAdminPermissions": True,
        }
    return {k: v for k, v in out.items() if v is not None}


class _Index:
    """Per value, the resources whose id, ARN or name it is."""

    def __init__(self, resources: list[tuple[Mapping[str, Any], str]], mocks: ByocMocks):
        self.by_value: dict[str, list[tuple[str, str, str]]] = {}
        for record, address in resources:
            rid, outputs = mocks.outputs_of(record)
            found = {"id": rid, "arn": outputs.get("arn"), "name": outputs.get("name")}
            if record["type"] == EKS_CLUSTER:
                # The aws_eks_cluster's id is its name.
                found["id"] = record["inputs"].get("name")
            for attr, value in found.items():
                if isinstance(value, str) and value:
                    entry = (record["urn"], address, attr)
                    if entry[:2] not in [e[:2] for e in self.by_value.get(value, [])]:
                        self.by_value.setdefault(value, []).append(entry)

    def reference(self, value: Any, record: Mapping[str, Any], key: str) -> list[str] | None:
        """Terraform's `references` for an input value that is another resource's id, ARN or name.
        A value belongs to the first resource registered with it: S3's bucket configurations take
        their bucket's name as id, and are registered after the bucket, whose name they name."""
        if not isinstance(value, str) or not self.by_value.get(value):
            return None
        urn, address, attr = self.by_value[value][0]
        if urn == record["urn"]:
            return None
        if key.endswith("_arn") and attr == "id":
            attr = "arn"
        return [f"{address}.{attr}", address]


def _convert(value: Any, key: str, typ: str, record: Mapping[str, Any], index: _Index) -> tuple[Any, Any]:
    """(planned value, expression) of one input; a value of None is unknown (left out)."""
    if value in (SECRET, UNKNOWN):
        return None, None
    if key in MAP_INPUTS and isinstance(value, Mapping):
        return {k: v for k, v in value.items() if v not in (SECRET, UNKNOWN)}, None
    if isinstance(value, Mapping):
        block, expr = _block(value, typ, record, index)
        return [block], [expr] if expr else None
    if isinstance(value, list) and any(isinstance(v, Mapping) for v in value):
        pairs = [_block(v, typ, record, index) for v in value if isinstance(v, Mapping)]
        exprs = [e for _, e in pairs]
        return [b for b, _ in pairs], exprs if any(exprs) else None
    if isinstance(value, list):
        refs = [r for v in value if (r := index.reference(v, record, key))]
        if refs:
            return None, {"references": [part for r in refs for part in r]}
        return value, None
    refs = index.reference(value, record, key)
    if refs:
        return None, {"references": refs}
    return value, None


def _block(inputs: Mapping[str, Any], typ: str, record: Mapping[str, Any], index: _Index) -> tuple[dict, dict]:
    values: dict[str, Any] = {}
    exprs: dict[str, Any] = {}
    for key, value in inputs.items():
        name = snake(key)
        if isinstance(value, list) and any(isinstance(v, Mapping) for v in value):
            name = PLURAL_BLOCKS.get((typ, key), name)
        planned, expr = _convert(value, name, typ, record, index)
        if planned is not None:
            values[name] = planned
        if expr:
            exprs[name] = expr
    return values, exprs


def aws_records(records: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The AWS resources of a synth (custom `aws:` resources and pulumi-eks' cluster)."""
    return [r for r in records if (r["custom"] and tf_type(r["type"])) or r["type"] == EKS_CLUSTER]


def to_plan(records: list[Mapping[str, Any]]) -> dict[str, Any]:
    """A Terraform plan (JSON output format 1.2) creating the synth's AWS resources."""
    provider = next((r for r in records if r["type"] == "pulumi:providers:aws"), None)
    region = (provider or {}).get("inputs", {}).get("region") or "us-west-2"
    accounts = (provider or {}).get("inputs", {}).get("allowedAccountIds") or ["123456789012"]
    mocks = ByocMocks(account_id=accounts[0], region=region)
    resources = []
    seen: set[str] = set()
    for record in aws_records(records):
        typ = tf_type(record["type"])
        address = f"{typ}.{address_name(record)}"
        assert address not in seen, f"two resources at {address}"
        seen.add(address)
        resources.append((record, address))
    index = _Index(resources, mocks)
    planned, configured = [], []
    for record, address in resources:
        typ, name = address.split(".", 1)
        inputs = eks_cluster(record["inputs"]) if record["type"] == EKS_CLUSTER else record["inputs"]
        values, exprs = _block(inputs, typ, record, index)
        common = {"address": address, "mode": "managed", "type": typ, "name": name}
        planned.append(
            {**common, "provider_name": PROVIDER, "schema_version": 0, "values": values, "sensitive_values": {}}
        )
        configured.append({**common, "provider_config_key": "aws", "expressions": exprs, "schema_version": 0})
    return {
        "format_version": "1.2",
        "terraform_version": "1.9.8",
        "planned_values": {"root_module": {"resources": planned}},
        "configuration": {
            "provider_config": {
                "aws": {
                    "name": "aws",
                    "full_name": PROVIDER,
                    "expressions": {"region": {"constant_value": region}},
                }
            },
            "root_module": {"resources": configured},
        },
    }
