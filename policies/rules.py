"""The clickhouse-byoc policy rules: one validation function per rule, cdk-nag style.

Each rule has a kebab-case name, a description, a default enforcement level (overridable through
the pack's config: `pulumi preview --policy-pack policies --policy-pack-config cfg.json`) and
violation messages that say how to fix the resource. `policies()` turns the rules into the
pulumi-policy objects `PolicyPack` takes; `tools.policy_check` feeds the same objects the offline
synth output.

This module is self-contained (it imports nothing from the program) because Pulumi runs the pack
from inside `policies/` with only the pack's own virtualenv: `import rules` there, and
`from policies import rules` from the repository root.

Resource rules see one resource at a time (`ResourceValidationArgs`); stack rules see every
resource (`StackValidationArgs`) and link buckets to their public-access blocks, encryption
configurations and policies, or security-group rules to the ingress gateways. A value the rule
cannot read (unknown during a preview, or a secret in the offline synth output) is never reported
as a violation: the rule reports it as an advisory "cannot check" note instead.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ResourceValidationPolicy,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

PACK_NAME = "clickhouse-byoc"
# Kept equal to components/naming.py by a test; the pack cannot import the program.
PREFIX = "ClickHouse-cloud"
BYOC_TAG = "clickhouse-byoc"
DEPLOYMENT_TAG = "clickhouse-byoc/deployment"
PURPOSE_TAG = "clickhouse-byoc/bucket-purpose"
DATA_PROTECTION_TAG = "clickhouse-byoc/data-protection"
ALLOW_ANY_SOURCE = "clickhouse-byoc/allow-any-source"
LB_NAME_ANNOTATION = "service.beta.kubernetes.io/aws-load-balancer-name"
LB_SCHEME_ANNOTATION = "service.beta.kubernetes.io/aws-load-balancer-scheme"
PUBLIC_GATEWAY_NAMESPACE = "istio-ingress"
# The offline synth masks secrets with this marker (tools/mocks.py SECRET).
SECRET = "[secret]"
ELB_NAME_MAX = 32
WORLD = ("0.0.0.0/0", "::/0")

MANDATORY = EnforcementLevel.MANDATORY
ADVISORY = EnforcementLevel.ADVISORY

# -- reading props that may be unknown (preview) or secret (offline) --------------------------------


class CannotRead(Exception):
    """A value the rule needs cannot be read: a secret in the offline synth output."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def get(value: Any, *path: str | int, default: Any = None) -> Any:
    """`value[path...]`, or `default` when a step is missing; raises on unknown or secret values."""
    cur = value
    for key in path:
        if isinstance(key, int):
            if isinstance(cur, str) or not isinstance(cur, Sequence) or not -len(cur) <= key < len(cur):
                return default
        elif not isinstance(cur, Mapping) or key not in cur:
            return default
        cur = cur[key]
    if isinstance(cur, str) and cur == SECRET:
        raise CannotRead(f"{'.'.join(str(p) for p in path)} is a secret, which cannot be read offline")
    return default if cur is None else cur


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, Sequence):
        return [value]
    return list(value)


def as_int(value: Any) -> int | None:
    """A whole number, or None: numbers cross gRPC as doubles (a hop limit of 1 arrives as 1.0)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        return None
    return int(value)


def decoded(value: Any) -> Any:
    """Providers receive structured settings as JSON text; decode them when they are."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def document(raw: Any, where: str) -> Mapping[str, Any] | None:
    """A policy document given as JSON text or as a map; None when absent."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, str):
        if raw == SECRET:
            raise CannotRead(f"{where} is a secret, which cannot be read offline")
        try:
            doc = json.loads(raw)
        except ValueError as exc:
            raise CannotRead(f"{where} is not valid JSON ({exc})") from exc
        return doc if isinstance(doc, Mapping) else None
    return raw if isinstance(raw, Mapping) else None


def statements(doc: Mapping[str, Any] | None) -> list[tuple[str, Mapping[str, Any]]]:
    """(label, statement) pairs: the label is the Sid or the statement's index."""
    if doc is None:
        return []
    out = []
    for i, st in enumerate(as_list(doc.get("Statement"))):
        if isinstance(st, Mapping):
            out.append((f"statement {st.get('Sid') or i}", st))
    return out


def action_matches(patterns: Iterable[str], action: str) -> bool:
    """Whether an IAM action pattern (with `*`/`?` wildcards, case-insensitive) covers `action`."""
    return any(isinstance(p, str) and fnmatch.fnmatchcase(action.lower(), p.lower()) for p in patterns)


def grants(st: Mapping[str, Any], action: str) -> bool:
    """Whether an Allow statement grants `action` (through Action, or through a NotAction)."""
    if st.get("Effect") != "Allow":
        return False
    if "NotAction" in st:
        return not action_matches(as_list(st.get("NotAction")), action)
    return action_matches(as_list(st.get("Action")), action)


def is_world(cidr: Any) -> bool:
    try:
        return isinstance(cidr, str) and ipaddress.ip_network(cidr, strict=False).prefixlen == 0
    except ValueError:
        return False


def tags_of(r: Any) -> Mapping[str, Any]:
    return get(r.props, "tags", default={})


def provider_props(r: Any) -> Mapping[str, Any]:
    provider = getattr(r, "provider", None)
    return provider.props if provider is not None and provider.props is not None else {}


# -- rules -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One result of a rule: a violation, or a note that a resource could not be checked."""

    urn: str
    message: str
    checked: bool = True


class CannotCheck(UnknownValueError):
    """Raised after the violations are reported when some resources could not be checked.

    pulumi-policy turns an UnknownValueError into an advisory "can't run policy" diagnostic, so a
    resource the rule cannot read is reported as advisory whatever the rule's own level.
    """

    def __init__(self, findings: list[Finding]):  # pylint: disable=super-init-not-called
        Exception.__init__(self)
        self.findings = findings
        self.unknown_type_sentinel = None
        self.props: list[str] = []
        self.message = "cannot check " + "; ".join(f"{f.urn}: {f.message}" for f in findings)


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    fix: str
    """How to fix a violation, for the README table and the policy's remediation steps."""
    level: EnforcementLevel
    scope: str
    """`resource`: check(resource, config) yields messages; `stack`: check(resources, config) yields Findings."""
    check: Callable[..., Iterable[Any]]
    config: Mapping[str, Mapping[str, Any]] | None = None
    """Config properties (JSON schema) the rule reads, with their defaults."""

    def policy(self) -> ResourceValidationPolicy | StackValidationPolicy:
        schema = PolicyConfigSchema(dict(self.config)) if self.config else None
        common = dict(
            name=self.name,
            description=self.description,
            enforcement_level=self.level,
            config_schema=schema,
            remediation_steps=self.fix,
        )
        if self.scope == "resource":
            return ResourceValidationPolicy(validate=self._validate_resource, **common)
        return StackValidationPolicy(validate=self._validate_stack, **common)

    def settings(self, args: Any) -> dict[str, Any]:
        given = dict(args.get_config() or {})
        defaults = {k: v.get("default") for k, v in (self.config or {}).items()}
        return {**defaults, **given}

    def _validate_resource(self, args: Any, report_violation: Callable[..., None]) -> None:
        _report(list(guarded(args, lambda: self.check(args, self.settings(args)))), report_violation)

    def _validate_stack(self, args: Any, report_violation: Callable[..., None]) -> None:
        _report(list(self.check(list(args.resources), self.settings(args))), report_violation)


def guarded(r: Any, run: Callable[[], Iterable[str]]) -> Iterator[Finding]:
    """Runs one resource's check; an unknown or secret value turns into a "cannot check" note."""
    try:
        messages = list(run())
    except UnknownValueError as exc:
        yield Finding(r.urn, exc.message, checked=False)
        return
    except CannotRead as exc:
        yield Finding(r.urn, exc.reason, checked=False)
        return
    for message in messages:
        yield Finding(r.urn, message)


def _report(findings: list[Finding], report_violation: Callable[..., None]) -> None:
    for f in findings:
        if f.checked:
            report_violation(f.message, f.urn)
    unchecked = [f for f in findings if not f.checked]
    if unchecked:
        raise CannotCheck(unchecked)


RULES: list[Rule] = []


def rule(
    name: str,
    *,
    description: str,
    fix: str,
    level: EnforcementLevel = MANDATORY,
    scope: str = "resource",
    config: Mapping[str, Mapping[str, Any]] | None = None,
) -> Callable[[Callable[..., Iterable[Any]]], Callable[..., Iterable[Any]]]:
    def register(fn: Callable[..., Iterable[Any]]) -> Callable[..., Iterable[Any]]:
        RULES.append(Rule(name, description, fix, level, scope, fn, config))
        return fn

    return register


def policies() -> list[ResourceValidationPolicy | StackValidationPolicy]:
    """The pulumi-policy objects of every rule, in the order of the README table."""
    return [r.policy() for r in RULES]


def rule_named(name: str) -> Rule:
    return next(r for r in RULES if r.name == name)


# -- clickhouse-cloud-name-prefix ------------------------------------------------------------------

# type -> (what, name inputs in order of precedence, lowercase allowed)
_NAMED: dict[str, tuple[str, tuple[str, ...], bool]] = {
    "eks:index:Cluster": ("EKS cluster", ("name",), False),
    "aws:eks/cluster:Cluster": ("EKS cluster", ("name",), False),
    "aws:eks/nodeGroup:NodeGroup": ("EKS node group", ("nodeGroupName", "nodeGroupNamePrefix"), False),
    "eks:index:ManagedNodeGroup": ("EKS node group", ("nodeGroupName", "nodeGroupNamePrefix"), False),
    "aws:iam/role:Role": ("IAM role", ("name", "namePrefix"), False),
    "aws:iam/policy:Policy": ("IAM policy", ("name", "namePrefix"), False),
    "aws:s3/bucket:Bucket": ("S3 bucket", ("bucket", "bucketPrefix"), True),
    "aws:s3/bucketV2:BucketV2": ("S3 bucket", ("bucket", "bucketPrefix"), True),
    "aws:kms/alias:Alias": ("KMS alias", ("name", "namePrefix"), False),
    "aws:ec2/securityGroup:SecurityGroup": ("security group", ("name", "namePrefix"), False),
    "aws:lb/loadBalancer:LoadBalancer": ("load balancer", ("name", "namePrefix"), False),
    "aws:alb/loadBalancer:LoadBalancer": ("load balancer", ("name", "namePrefix"), False),
    "aws:elb/loadBalancer:LoadBalancer": ("load balancer", ("name", "namePrefix"), False),
}
_HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
_K8S_SERVICE = "kubernetes:core/v1:Service"


def prefixed(name: str, prefix: str, lowercase_allowed: bool) -> bool:
    want = f"{prefix}-"
    return name.lower().startswith(want.lower()) if lowercase_allowed else name.startswith(want)


def is_gateway_release(r: Any) -> bool:
    if r.resource_type != _HELM_RELEASE:
        return False
    chart = get(r.props, "chart", default="")
    return isinstance(chart, str) and (chart == "gateway" or chart.endswith("/gateway"))


def gateway_service(r: Any) -> Mapping[str, Any]:
    """The Service settings of an Istio gateway release (`values.service`), or of a Service's spec."""
    if r.resource_type == _K8S_SERVICE:
        spec = get(r.props, "spec", default={})
        meta = get(r.props, "metadata", default={})
        return {**dict(spec), "annotations": get(meta, "annotations", default={})}
    return get(r.props, "values", "service", default={})


def load_balancer_services(r: Any) -> bool:
    """Gateway releases and Services of type LoadBalancer: the AWS Load Balancer Controller makes NLBs."""
    if is_gateway_release(r):
        return get(gateway_service(r), "type", default="LoadBalancer") == "LoadBalancer"
    return r.resource_type == _K8S_SERVICE and get(r.props, "spec", "type") == "LoadBalancer"


@rule(
    "clickhouse-cloud-name-prefix",
    description=(
        "EKS clusters, node groups and add-ons, IAM roles and policies, S3 buckets, KMS aliases, security "
        "groups and load balancers are named with the ClickHouse-cloud prefix the vendor's role is scoped to."
    ),
    fix=(
        "Name the resource with `settings.names` (`names.aws(...)`, `names.bucket(...)`, "
        "`names.load_balancer(...)`); lowercase `clickhouse-cloud-` only for S3 buckets."
    ),
    config={"prefix": {"type": "string", "default": PREFIX, "description": "The required name prefix."}},
)
def clickhouse_cloud_name_prefix(r: Any, config: Mapping[str, Any]) -> Iterator[str]:
    prefix = config.get("prefix") or PREFIX
    typ = r.resource_type
    if typ in _NAMED:
        what, fields, lowercase = _NAMED[typ]
        name = next((get(r.props, f) for f in fields if get(r.props, f)), None) or r.name
        shown = name
        if typ == "aws:kms/alias:Alias":
            name = str(name).removeprefix("alias/")
            want = f"alias/{prefix}-"
        else:
            want = f"{prefix.lower()}-" if lowercase else f"{prefix}-"
        if not isinstance(name, str) or not prefixed(name, prefix, lowercase):
            yield (
                f"{what} name {shown!r} does not start with {want!r}: name it "
                f"{want}<deploymentId>-<what> (settings.names); the vendor's management role only "
                f"manages names with this prefix"
            )
    if typ in ("aws:eks/addon:Addon", "aws:eks/nodeGroup:NodeGroup", "eks:index:ManagedNodeGroup"):
        if typ == "aws:eks/addon:Addon" and not prefixed(r.name, prefix, False):
            yield (
                f"EKS add-on {r.name!r}: the add-on's AWS name is fixed, so its Pulumi name must start "
                f"with '{prefix}-': name it names.aws('<addon>')"
            )
        try:
            cluster = get(r.props, "clusterName")
        except UnknownValueError:
            cluster = None  # the cluster's own name is checked on the cluster
        if isinstance(cluster, str) and cluster and not prefixed(cluster, prefix, False):
            yield f"clusterName {cluster!r} is not a '{prefix}-' cluster: attach it to the stack's cluster"
    if load_balancer_services(r):
        service = gateway_service(r)
        lb_name = get(service, "annotations", LB_NAME_ANNOTATION)
        if not lb_name:
            yield (
                f"the load balancer of {r.name!r} has no {LB_NAME_ANNOTATION} annotation, so the AWS Load "
                f"Balancer Controller names it k8s-...: set it to names.load_balancer('<what>')"
            )
        elif not prefixed(str(lb_name), prefix, False) or len(str(lb_name)) > ELB_NAME_MAX:
            yield (
                f"load balancer name {lb_name!r} must start with '{prefix}-' and be at most {ELB_NAME_MAX} "
                f"characters: use names.load_balancer('<what>')"
            )


# -- required-tags ---------------------------------------------------------------------------------

# AWS types the stack creates that take tags (any other AWS resource with a `tags` input counts too).
TAGGABLE = frozenset(
    {
        "aws:ec2/vpc:Vpc",
        "aws:ec2/subnet:Subnet",
        "aws:ec2/internetGateway:InternetGateway",
        "aws:ec2/natGateway:NatGateway",
        "aws:ec2/eip:Eip",
        "aws:ec2/routeTable:RouteTable",
        "aws:ec2/vpcEndpoint:VpcEndpoint",
        "aws:ec2/securityGroup:SecurityGroup",
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
        "aws:ec2/launchTemplate:LaunchTemplate",
        "aws:ec2/vpcPeeringConnection:VpcPeeringConnection",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
        "aws:iam/role:Role",
        "aws:iam/policy:Policy",
        "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
        "aws:s3/bucket:Bucket",
        "aws:s3/bucketV2:BucketV2",
        "aws:kms/key:Key",
        "aws:route53/zone:Zone",
        "aws:eks/cluster:Cluster",
        "aws:eks/nodeGroup:NodeGroup",
        "aws:eks/addon:Addon",
        "aws:eks/podIdentityAssociation:PodIdentityAssociation",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:sqs/queue:Queue",
        "aws:lb/loadBalancer:LoadBalancer",
    }
)


@rule(
    "required-tags",
    description=(
        "Taggable AWS resources carry clickhouse-byoc=true and the clickhouse-byoc/deployment tag, "
        "directly or through the provider's default_tags."
    ),
    fix=(
        "Create the resource with the stack's AWS provider (`providers=[aws]`), whose default_tags carry "
        "the mandatory tags; never pass a provider without them."
    ),
    config={
        "extraTags": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "More tag keys your organisation requires on every taggable resource.",
        }
    },
)
def required_tags(r: Any, config: Mapping[str, Any]) -> Iterator[str]:
    typ = r.resource_type
    if not typ.startswith("aws:") or (typ not in TAGGABLE and "tags" not in r.props):
        return
    defaults = get(decoded(get(provider_props(r), "defaultTags")), "tags", default={})
    tags = {**dict(defaults), **dict(tags_of(r))}
    missing = []
    if tags.get(BYOC_TAG) != "true":
        missing.append(f"{BYOC_TAG}=true")
    if not tags.get(DEPLOYMENT_TAG):
        missing.append(f"{DEPLOYMENT_TAG}=<deploymentId>")
    missing += [k for k in config.get("extraTags") or [] if not tags.get(k)]
    if missing:
        yield (
            f"missing tag(s) {', '.join(missing)}: create it with the stack's AWS provider, whose "
            f"default_tags carry them (or add them to its tags)"
        )


# -- EKS -------------------------------------------------------------------------------------------

_EKS_COMPONENT = "eks:index:Cluster"
_EKS_CLUSTER = "aws:eks/cluster:Cluster"


def eks_endpoint(r: Any) -> tuple[bool, bool, list[Any]]:
    """(public, private, public CIDRs) with the AWS and pulumi-eks defaults (public, no private, world)."""
    base = r.props if r.resource_type == _EKS_COMPONENT else get(r.props, "vpcConfig", default={})
    public = get(base, "endpointPublicAccess", default=True)
    private = get(base, "endpointPrivateAccess", default=False)
    cidrs = as_list(get(base, "publicAccessCidrs", default=["0.0.0.0/0"]))
    return bool(public), bool(private), cidrs


@rule(
    "eks-endpoint-restricted",
    description="The EKS API endpoint is private, or public only to listed networks, and reachable privately.",
    fix=(
        "Set endpointPrivateAccess true and either endpointPublicAccess false or publicAccessCidrs to your "
        "administrators' networks (never 0.0.0.0/0)."
    ),
)
def eks_endpoint_restricted(r: Any, config: Mapping[str, Any]) -> Iterator[str]:
    if r.resource_type not in (_EKS_COMPONENT, _EKS_CLUSTER):
        return
    public, private, cidrs = eks_endpoint(r)
    if public and (not cidrs or any(is_world(c) for c in cidrs)):
        yield (
            f"the public API endpoint is open to the internet (publicAccessCidrs {cidrs}): set "
            f"endpointPublicAccess false, or publicAccessCidrs to your administrators' networks"
        )
    if not private:
        yield "endpointPrivateAccess is off, so nodes reach the API over the internet: set it true"


@rule(
    "eks-secrets-encryption",
    description="EKS encrypts Kubernetes secrets with a KMS key the stack controls.",
    fix="Pass encryptionConfigKeyArn (the stack's KMS key) to the cluster; on aws.eks.Cluster, "
    "encryptionConfig {resources: ['secrets'], provider.keyArn}.",
)
def eks_secrets_encryption(r: Any, config: Mapping[str, Any]) -> Iterator[str]:
    if r.resource_type == _EKS_COMPONENT:
        if not get(r.props, "encryptionConfigKeyArn"):
            yield "encryptionConfigKeyArn is not set: pass the stack's KMS key ARN so secrets are envelope-encrypted"
    elif r.resource_type == _EKS_CLUSTER:
        config_ = get(r.props, "encryptionConfig", default={})
        if "secrets" not in as_list(get(config_, "resources")) or not get(config_, "provider", "keyArn"):
            yield (
                "encryptionConfig does not encrypt 'secrets' with a KMS key: set resources ['secrets'] "
                "and provider.keyArn"
            )


@rule(
    "eks-control-plane-logging",
    description="EKS sends its api, audit and authenticator control-plane logs to CloudWatch.",
    fix="Set enabledClusterLogTypes to include api, audit and authenticator.",
    config={
        "requiredLogTypes": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["api", "audit", "authenticator"],
            "description": "Control-plane log types that must be enabled.",
        }
    },
)
def eks_control_plane_logging(r: Any, config: Mapping[str, Any]) -> Iterator[str]:
    if r.resource_type not in (_EKS_COMPONENT, _EKS_CLUSTER):
        return
    enabled = set(as_list(get(r.props, "enabledClusterLogTypes")))
    missing = [t for t in config.get("requiredLogTypes") or [] if t not in enabled]
    if missing:
        yield f"control-plane log types {', '.join(missing)} are off: add them to enabledClusterLogTypes"


# -- S3 (stack rules: a bucket and the resources that configure it) --------------------------------

_BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
_PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
_ACCOUNT_PUBLIC_ACCESS_BLOCK = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"
_SSE = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
_BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
_BUCKET_ACLS = ("aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2")
_PAB_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
_PUBLIC_ACLS = ("public-read", "public-read-write", "authenticated-read")
SSE_ALGORITHMS = ("AES256", "aws:kms", "aws:kms:dsse")


def bucket_name(r: Any) -> str:
    return get(r.props, "bucket") or r.name


def configures(child: Any, bucket: Any) -> bool:
    """Whether `child` configures `bucket`: its `bucket` input names it, or (unknown in a preview)
    the input depends on it."""
    deps = getattr(child, "property_dependencies", {}) or {}
    if any(getattr(d, "urn", None) == bucket.urn for d in deps.get("bucket", [])):
        return True
    try:
        value = get(child.props, "bucket")
    except (UnknownValueError, CannotRead):
        return any(getattr(d, "urn", None) == bucket.urn for d in getattr(child, "dependencies", []) or [])
    return value is not None and value == bucket_name(bucket)


def for_each_bucket(
    resources: list[Any], check: Callable[[Any, list[Any]], Iterable[str]], types: Sequence[str]
) -> Iterator[Finding]:
    """Runs `check(bucket, configuring resources of `types`)` for every bucket of the stack."""
    others = [r for r in resources if r.resource_type in types]
    for bucket in (r for r in resources if r.resource_type in _BUCKETS):
        yield from guarded(bucket, lambda b=bucket: check(b, [o for o in others if configures(o, b)]))


@rule(
    "s3-no-public-access",
    scope="stack",
    description="Every bucket has a public access block with all four settings on, and no public ACL.",
    fix="Create an aws.s3.BucketPublicAccessBlock for the bucket with blockPublicAcls, blockPublicPolicy, "
    "ignorePublicAcls and restrictPublicBuckets all true; drop public ACLs.",
)
def s3_no_public_access(resources: list[Any], config: Mapping[str, Any]) -> Iterator[Finding]:
    account_blocks = [
        r
        for r in resources
        if r.resource_type == _ACCOUNT_PUBLIC_ACCESS_BLOCK and all(get(r.props, f) is True for f in _PAB_FLAGS)
    ]

    def check(bucket: Any, linked: list[Any]) -> Iterator[str]:
        acl = get(bucket.props, "acl")
        acls = [acl] + [get(o.props, "acl") for o in linked if o.resource_type in _BUCKET_ACLS]
        for value in acls:
            if value in _PUBLIC_ACLS:
                yield f"bucket {bucket_name(bucket)!r} has the public ACL {value!r}: use the default private ACL"
        if account_blocks:
            return
        blocks = [o for o in linked if o.resource_type == _PUBLIC_ACCESS_BLOCK]
        if not blocks:
            yield (
                f"bucket {bucket_name(bucket)!r} has no public access block: create an "
                f"aws.s3.BucketPublicAccessBlock with all four settings true"
            )
        for block in blocks:
            off = [f for f in _PAB_FLAGS if get(block.props, f) is not True]
            if off:
                yield f"the public access block of {bucket_name(bucket)!r} leaves {', '.join(off)} off: set them true"

    yield from for_each_bucket(resources, check, (_PUBLIC_ACCESS_BLOCK, *_BUCKET_ACLS))


@rule(
    "s3-encryption",
    scope="stack",
    description="Every bucket has default server-side encryption (AES256 or aws:kms).",
    fix="Create an aws.s3.BucketServerSideEncryptionConfiguration for the bucket with "
    "applyServerSideEncryptionByDefault.sseAlgorithm 'aws:kms' (or 'AES256').",
)
def s3_encryption(resources: list[Any], config: Mapping[str, Any]) -> Iterator[Finding]:
    def check(bucket: Any, linked: list[Any]) -> Iterator[str]:
        rules = [rule for o in linked for rule in as_list(get(o.props, "rules"))]
        rules += as_list(get(bucket.props, "serverSideEncryptionConfiguration", "rule"))
        algorithms = [get(r, "applyServerSideEncryptionByDefault", "sseAlgorithm") for r in rules]
        if not any(a in SSE_ALGORITHMS for a in algorithms):
            yield (
                f"bucket {bucket_name(bucket)!r} has no default encryption: create an "
                f"aws.s3.BucketServerSideEncryptionConfiguration with sseAlgorithm 'aws:kms' or 'AES256'"
            )

    yield from for_each_bucket(resources, check, _SSE)


def denies_insecure_transport(doc: Mapping[str, Any] | None) -> bool:
    for _, st in statements(doc):
        if st.get("Effect") != "Deny":
            continue
        principal = st.get("Principal")
        everyone = principal == "*" or (isinstance(principal, Mapping) and "*" in as_list(principal.get("AWS")))
        if not everyone or not action_matches(as_list(st.get("Action")), "s3:GetObject"):
            continue
        bool_block = get(st, "Condition", "Bool", default={})
        values = [str(v).lower() for v in as_list(get(bool_block, "aws:SecureTransport"))]
        if values == ["false"]:
            return True
    return False


@rule(
    "s3-tls-only",
    scope="stack",
    description="Every bucket's policy denies requests that do not use TLS (aws:SecureTransport = false).",
    fix="Attach an aws.s3.BucketPolicy with a Deny of s3:* to Principal '*' on the bucket and its objects "
    "when Bool aws:SecureTransport is 'false'.",
)
def s3_tls_only(resources: list[Any], config: Mapping[str, Any]) -> Iterator[Finding]:
    def check(bucket: Any, linked: list[Any]) -> Iterator[str]:
        docs = [document(get(o.props, "policy"), "policy") for o in linked]
        docs.append(document(get(bucket.props, "policy"), "policy"))
        if not any(denies_insecure_transport(d) for d in docs):
            yield (
                f"bucket {bucket_name(bucket)!r} accepts plain HTTP: attach a bucket policy that denies s3:* "
                f"to '*' when aws:SecureTransport is 'false'"
            )

    yield from for_each_bucket(resources, check, (_BUCKET_POLICY,))


@rule(
    "s3-data-retained",
    description=(
        "Data and backup buckets are protected and retained on delete (and not force-destroyed), unless "
        "the stack opted out of data protection."
    ),
    fix="Create data/backup buckets with ResourceOptions(protect=True, retain_on_delete=True) and "
    "force_destroy False; opting out is explicit config, which tags the bucket "
    "clickhouse-byoc/data-protection=disabled.",
)
def s3_data_retained(r: Any, config: Mapping[str, Any]) -> Iterator[str]:
    if r.resource_type not in _BUCKETS:
        return
    tags = tags_of(r)
    if tags.get(PURPOSE_TAG) not in ("data", "backup") or tags.get(DATA_PROTECTION_TAG) == "disabled":
        return
    name = bucket_name(r)
    if not r.opts.protect:
        yield f"{tags.get(PURPOSE_TAG)} bucket {name!r} is not protected: create it with protect=True"
    # pulumi-policy 1.21 does not pass retainOnDelete to packs; the offline runner does.
    if getattr(r.opts, "retain_on_delete", True) is not True:
        yield f"{tags.get(PURPOSE_TAG)} bucket {name!r} would be deleted with the stack: set retain_on_delete=True"
    if get(r.props, "forceDestroy") is True:
        yield f"{tags.get(PURPOSE_TAG)} bucket {name!r} has forceDestroy: a delete erases its objects; set it false"


# -- IAM -------------------------------------------------------------------------------------------

_ROLE = "aws:iam/role:Role"
_POLICY_TYPES = (
    "aws:iam/policy:Policy",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/groupPolicy:GroupPolicy",
)
_ATTACHMENTS = (
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/policyAttachment:PolicyAttachment",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
)
ADMIN_MANAGED_POLICIES = ("AdministratorAccess", "PowerUserAccess", "IAMFullAccess")
_SERVICE_WILDCARD = re.compile(r"^[a-z0-9-]+:\*$", re.IGNORECASE)
BOUNDARY_ACTIONS = ("iam:CreateRole", "iam:PutRolePermissionsBoundary", "iam:DeleteRolePermissionsBoundary")


def permission_documents(r: Any) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(where, document) of every permission policy a resource defines."""
    if r.resource_type in _POLICY_TYPES:
        doc = document(get(r.props, "policy"), "policy")
        if doc is not None:
            yield "policy", doc
    elif r.resource_type == _ROLE:
        for i, inline in enumerate(as_list(get(r.props, "inlinePolicies"))):
            where = f"inlinePolicies[{i}] {get(inline, 'name', default='')}".strip()
            doc = document(get(inline, "policy"), where)
            if doc is not None:
                yield where, doc


def wide_resource(st: Mapping[str, Any]) -> bool:
    return "NotResource" in st or "*" in as_list(st.get("Resource"))


def boundary_policy_names(resources: list[Any]) -> set[str]:
    """Names of the managed policies the stack uses as permissions boundaries: a role's
    `permissionsBoundary`, or the value of an `iam:PermissionsBoundary` condition."""
    arns: list[Any] = []
    for r in resources:
        try:
            if r.resource_type == _ROLE:
                arns.append(get(r.props, "permissionsBoundary"))
            for _, doc in permission_documents(r):
                for _, st in statements(doc):
                    arns += condition_values(st, "StringEquals", "iam:PermissionsBoundary") or []
                    arns += condition_values(st, "ArnEquals", "iam:PermissionsBoundary") or []
                    arns += condition_values(st, "StringNotEquals", "iam:PermissionsBoundary") or []
        except (UnknownValueError, CannotRead):
            continue
    return {a.rsplit("/", 1)[-1] for a in arns if isinstance(a, str) and ":policy/" in a}


@rule(
    "iam-no-admin-wildcards",
    scope="stack",
    description="No policy allows '*' or '<service>:*' on every resource, iam:PassRole on '*', or attaches "
    "an administrator managed policy (a permissions boundary may allow '<service>:*': it grants nothing).",
    fix="List the actions the workload needs and scope Resource to its ARNs (names with the "
    "ClickHouse-cloud prefix); scope iam:PassRole to the role ARNs and add iam:PassedToService.",
)
def iam_no_admin_wildcards(resources: list[Any], config: Mapping[str, Any]) -> Iterator[Finding]:
    boundaries = boundary_policy_names(resources)

    def check(r: Any) -> Iterator[str]:
        if r.resource_type in _ATTACHMENTS:
            arn = get(r.props, "policyArn", default="")
            if isinstance(arn, str) and arn.split("/")[-1] in ADMIN_MANAGED_POLICIES and ":aws:policy/" in arn:
                yield f"attaches the managed policy {arn}: grant a least-privilege policy instead"
            return
        # A boundary only caps what a role's own policies grant; a service wildcard there is a cap.
        boundary = r.resource_type == "aws:iam/policy:Policy" and get(r.props, "name") in boundaries
        for where, doc in permission_documents(r):
            for label, st in statements(doc):
                if st.get("Effect") != "Allow" or not wide_resource(st):
                    continue
                at = f"{where} {label}"
                if "NotAction" in st:
                    yield f"{at} allows everything but {as_list(st.get('NotAction'))} on '*': list the actions instead"
                    continue
                actions = [a for a in as_list(st.get("Action")) if isinstance(a, str)]
                wild = [a for a in actions if a == "*" or (not boundary and _SERVICE_WILDCARD.match(a))]
                if wild:
                    yield f"{at} allows {', '.join(wild)} on '*': list the actions and scope Resource to ARNs"
                elif not boundary and action_matches(actions, "iam:PassRole"):
                    yield (
                        f"{at} allows iam:PassRole on '*': scope it to role ARNs and condition it on "
                        f"iam:PassedToService"
                    )

    types = (*_ATTACHMENTS, *_POLICY_TYPES, _ROLE)
    for r in resources:
        if r.resource_type in types:
            yield from guarded(r, lambda r=r: check(r))


def web_identity_issuers(st: Mapping[str, Any]) -> list[str] | None:
    """OIDC issuer hosts of a statement's Federated principal; None when it has none."""
    principal = st.get("Principal")
    if not isinstance(principal, Mapping) or "Federated" not in principal:
        return None
    hosts = []
    for arn in as_list(principal.get("Federated")):
        if isinstance(arn, str) and "oidc-provider/" in arn:
            hosts.append(arn.split("oidc-provider/", 1)[1])
    return hosts


def condition_values(st: Mapping[str, Any], operator: str, key: str) -> list[Any] | None:
    block = get(st, "Condition", operator, default={})
    for k, v in block.items():
        if k.lower() == key.lower():
            return as_list(v)
    return None


@rule(
    "iam-irsa-trust-scoped",
    description="Every IRSA trust (sts:AssumeRoleWithWebIdentity) requires the exact service account "
    "(StringEquals on <issuer>:sub) and audience sts.amazonaws.com (<issuer>:aud).",
    fix="Trust with StringEquals {'<issuer>:sub': 'system:serviceaccount:<ns>:<sa>', "
    "'<issuer>:aud': 'sts.amazonaws.com'}; never StringLike or wildcards.",
)
def iam_irsa_trust_scoped(r: Any, config: Mapping[str, Any]) -> Iterator[str]:
    if r.resource_type != _ROLE:
        return
    doc = document(get(r.props, "assumeRolePolicy"), "assumeRolePolicy")
    for label, st in statements(doc):
        if not grants(st, "sts:AssumeRoleWithWebIdentity"):
            continue
        hosts = web_identity_issuers(st)
        if hosts is None:
            continue
        for host in hosts:  # a non-OIDC federation (SAML, Cognito) is not IRSA
            sub = condition_values(st, "StringEquals", f"{host}:sub")
            aud = condition_values(st, "StringEquals", f"{host}:aud")
            if not sub or any(not isinstance(v, str) or "*" in v or "?" in v or not v for v in sub):
                yield (
                    f"assumeRolePolicy {label} does not pin the service account: add StringEquals "
                    f"'{host}:sub' = 'system:serviceaccount:<namespace>:<name>' (no wildcards, no StringLike)"
                )
            if aud != ["sts.amazonaws.com"]:
                yield (
                    f"assumeRolePolicy {label} does not pin the audience: add StringEquals "
                    f"'{host}:aud' = 'sts.amazonaws.com'"
                )


_ACCOUNT_IN_ARN = re.compile(r"^arn:[a-z-]+:(?:iam|sts)::(\d{12}):")


def principal_account(principal: str) -> str | None:
    """The account of an AWS principal ('*' for anyone), None when not an account principal."""
    if principal == "*":
        return "*"
    if re.fullmatch(r"\d{12}", principal):
        return principal
    match = _ACCOUNT_IN_ARN.match(principal)
    return match.group(1) if match else None


def stack_accounts(r: Any, config: Mapping[str, Any]) -> set[str]:
    accounts = {str(a) for a in as_list(decoded(get(provider_props(r), "allowedAccountIds")))}
    if config.get("accountId"):
        accounts.add(str(config["accountId"]))
    return accounts


@rule(
    "iam-external-id",
    description="Every role an AWS principal of another account (the vendor) can assume requires sts:ExternalId.",
    fix="Add Condition StringEquals {'sts:ExternalId': '<the external id the vendor gave you>'} to the "
    "trust statement.",
    config={
        "accountId": {
            "type": "string",
            "default": "",
            "description": "The stack's account, when the provider does not set allowedAccountIds.",
        }
    },
)
def iam_external_id(r: Any, config: Mapping[str, Any]) -> Iterator[str]:
    if r.resource_type != _ROLE:
        return
    doc = document(get(r.props, "assumeRolePolicy"), "assumeRolePolicy")
    for label, st in statements(doc):
        if not grants(st, "sts:AssumeRole"):
            continue
        principal = st.get("Principal")
        aws = ["*"] if principal == "*" else as_list(principal.get("AWS")) if isinstance(principal, Mapping) else []
        accounts = {principal_account(p) for p in aws if isinstance(p, str)} - {None}
        if not accounts:
            continue
        own = stack_accounts(r, config)
        if not own:
            raise CannotRead("the stack's account is unknown: set allowedAccountIds on the provider")
        foreign = sorted(a for a in accounts if a not in own)
        external = condition_values(st, "StringEquals", "sts:ExternalId")
        if foreign and (not external or any(not v or v == "*" for v in external)):
            yield (
                f"assumeRolePolicy {label} lets account(s) {', '.join(foreign)} assume the role without "
                f"sts:ExternalId: add Condition StringEquals 'sts:ExternalId'"
            )


def boundary_condition(st: Mapping[str, Any]) -> bool:
    for operator, block in (st.get("Condition") or {}).items():
        if operator.endswith("IfExists") or operator == "Null" or not isinstance(block, Mapping):
            continue
        for key, values in block.items():
            if key.lower() == "iam:permissionsboundary" and all(v and v != "*" for v in as_list(values)):
                return True
    return False


@rule(
    "iam-permissions-boundary",
    description="Every policy that lets a principal create roles (or change their boundary) requires an "
    "iam:PermissionsBoundary condition, so roles the controller creates stay bounded.",
    fix="Add Condition StringEquals {'iam:PermissionsBoundary': '<boundary policy ARN>'} to statements "
    "allowing iam:CreateRole or iam:PutRolePermissionsBoundary; never allow iam:DeleteRolePermissionsBoundary.",
)
def iam_permissions_boundary(r: Any, config: Mapping[str, Any]) -> Iterator[str]:
    for where, doc in permission_documents(r):
        for label, st in statements(doc):
            granted = [a for a in BOUNDARY_ACTIONS if grants(st, a)]
            if granted and not boundary_condition(st):
                yield (
                    f"{where} {label} allows {', '.join(granted)} without an iam:PermissionsBoundary "
                    f"condition: add StringEquals 'iam:PermissionsBoundary' = the boundary policy ARN"
                )


# -- imdsv2-required -------------------------------------------------------------------------------

_LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
_INSTANCE = "aws:ec2/instance:Instance"
_NODE_GROUPS = ("aws:eks/nodeGroup:NodeGroup", "eks:index:ManagedNodeGroup")


@rule(
    "imdsv2-required",
    description="Launch templates require IMDSv2 tokens with a hop limit of 1 (pods cannot borrow the node's "
    "role), and node groups use such a launch template.",
    fix="Set metadataOptions {httpTokens: 'required', httpPutResponseHopLimit: 1} on the launch template and "
    "pass it to the node group (launchTemplate {id, version}).",
    config={
        "maxHopLimit": {
            "type": "integer",
            "default": 1,
            "description": "The highest httpPutResponseHopLimit allowed.",
        }
    },
)
def imdsv2_required(r: Any, config: Mapping[str, Any]) -> Iterator[str]:
    limit = as_int(config.get("maxHopLimit")) or 1
    if r.resource_type in (_LAUNCH_TEMPLATE, _INSTANCE):
        options = get(r.props, "metadataOptions", default={})
        if get(options, "httpEndpoint") == "disabled":
            return
        if get(options, "httpTokens") != "required":
            yield "IMDSv1 is allowed: set metadataOptions.httpTokens 'required'"
        hops = as_int(get(options, "httpPutResponseHopLimit"))
        if hops is None or hops > limit:
            yield (
                f"metadataOptions.httpPutResponseHopLimit is {hops if hops is not None else 'unset'}: set it to "
                f"{limit} so pods cannot reach the node's instance role"
            )
    elif r.resource_type in _NODE_GROUPS and not get(r.props, "launchTemplate"):
        yield (
            "the node group uses EKS's default launch template, whose metadata options the stack does not "
            "control: pass a launch template with httpTokens 'required' and hop limit 1"
        )


# -- ingress ---------------------------------------------------------------------------------------


def is_public_service(r: Any) -> bool:
    if not load_balancer_services(r):
        return False
    scheme = get(gateway_service(r), "annotations", LB_SCHEME_ANNOTATION)
    if scheme:
        return scheme == "internet-facing"
    namespace = get(r.props, "namespace") if r.resource_type == _HELM_RELEASE else get(r.props, "metadata", "namespace")
    return namespace == PUBLIC_GATEWAY_NAMESPACE


def source_ranges(r: Any) -> list[Any]:
    return as_list(get(gateway_service(r), "loadBalancerSourceRanges"))


def opted_out(r: Any) -> bool:
    return str(get(gateway_service(r), "annotations", ALLOW_ANY_SOURCE, default="")).lower() == "true"


def allow_listed(r: Any) -> bool:
    ranges = source_ranges(r)
    return bool(ranges) and not any(is_world(c) for c in ranges)


@rule(
    "ingress-ip-allowlist",
    description="The public ingress gateway's load balancer only accepts the allow-listed client networks "
    "(loadBalancerSourceRanges), unless the stack explicitly opted out.",
    fix="Set the ingress allow list (the gateway's service.loadBalancerSourceRanges) to your clients' "
    "networks; opting out is the explicit annotation clickhouse-byoc/allow-any-source: 'true'.",
)
def ingress_ip_allowlist(r: Any, config: Mapping[str, Any]) -> Iterator[str]:
    if not is_public_service(r) or opted_out(r):
        return
    ranges = source_ranges(r)
    if not ranges:
        yield (
            f"the public load balancer of {r.name!r} accepts every address: set service.loadBalancerSourceRanges "
            f"to your clients' networks (or opt out explicitly with {ALLOW_ANY_SOURCE}: 'true')"
        )
    elif any(is_world(c) for c in ranges):
        yield f"the allow list of {r.name!r} contains {[c for c in ranges if is_world(c)]}: list your clients' networks"


# Istio's gateway chart defaults (values.service.ports) when the release does not set ports.
GATEWAY_DEFAULT_PORTS = (15021, 80, 443)
_SG = ("aws:ec2/securityGroup:SecurityGroup", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
_SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
_SG_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"


def listener_ports(r: Any) -> set[int]:
    ports = as_list(get(gateway_service(r), "ports"))
    if not ports:
        return set(GATEWAY_DEFAULT_PORTS)
    out: set[int] = set()
    for p in ports:
        for key in ("port", "targetPort"):
            value = as_int(get(p, key))
            if value is not None:
                out.add(value)
    return out


def world_rules(r: Any) -> Iterator[tuple[str, Any, Any, Any, list[str]]]:
    """(label, protocol, from, to, world CIDRs) of every ingress rule of a SG resource open to the world."""
    typ = r.resource_type
    if typ in _SG:
        for i, rule_ in enumerate(as_list(get(r.props, "ingress"))):
            cidrs = as_list(get(rule_, "cidrBlocks")) + as_list(get(rule_, "ipv6CidrBlocks"))
            world = [c for c in cidrs if is_world(c)]
            if world:
                yield f"ingress[{i}]", get(rule_, "protocol"), get(rule_, "fromPort"), get(rule_, "toPort"), world
    elif typ == _SG_RULE and get(r.props, "type") == "ingress":
        cidrs = as_list(get(r.props, "cidrBlocks")) + as_list(get(r.props, "ipv6CidrBlocks"))
        world = [c for c in cidrs if is_world(c)]
        if world:
            yield "rule", get(r.props, "protocol"), get(r.props, "fromPort"), get(r.props, "toPort"), world
    elif typ == _SG_INGRESS:
        world = [c for c in (get(r.props, "cidrIpv4"), get(r.props, "cidrIpv6")) if is_world(c)]
        if world:
            yield "rule", get(r.props, "ipProtocol"), get(r.props, "fromPort"), get(r.props, "toPort"), world


@rule(
    "no-world-ingress",
    scope="stack",
    description="No security group rule accepts 0.0.0.0/0 or ::/0, except on the public gateway's listener "
    "ports while its IP allow list is set.",
    fix="Replace the world CIDR by the networks that need access (the VPC, the peer VPCs, the source "
    "security group); world access to the listener ports goes through the gateway's allow list.",
)
def no_world_ingress(resources: list[Any], config: Mapping[str, Any]) -> Iterator[Finding]:
    allowed: set[int] = set()
    for gateway in resources:
        try:
            if is_public_service(gateway) and allow_listed(gateway):
                allowed |= listener_ports(gateway)
        except (UnknownValueError, CannotRead):
            continue

    def check(r: Any) -> Iterator[str]:
        for label, protocol, from_port, to_port, world in world_rules(r):
            low, high = as_int(from_port), as_int(to_port)
            ports = range(low, high + 1) if low is not None and high is not None else None
            everything = str(protocol) in ("-1", "all") or ports is None or len(ports) > 1024
            if not everything and all(p in allowed for p in ports):
                continue
            span = "all ports" if everything else f"ports {low}-{high}"
            yield (
                f"{label} opens {span} to {', '.join(world)}: allow the VPC, peer or source security group "
                f"instead (world access is only for the public gateway's listener ports "
                f"{sorted(allowed) or '(none: no allow-listed public gateway)'})"
            )

    types = (*_SG, _SG_RULE, _SG_INGRESS)
    for r in resources:
        if r.resource_type in types:
            yield from guarded(r, lambda r=r: check(r))
