"""Names and tags: the `ClickHouse-cloud` prefix and the mandatory tags."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from .core import (
    BYOC_TAG,
    DEPLOYMENT_TAG,
    ELB_NAME_MAX,
    LB_NAME_ANNOTATION,
    PREFIX,
    ROLE_PURPOSE_TAG,
    decoded,
    gateway_service,
    get,
    load_balancer_services,
    provider_props,
    rule,
    tags_of,
)

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


def prefixed(name: str, prefix: str, lowercase_allowed: bool) -> bool:
    want = f"{prefix}-"
    return name.lower().startswith(want.lower()) if lowercase_allowed else name.startswith(want)


def bootstrap_role(r: Any) -> bool:
    """The vendor's bootstrap role, whose name the customer chooses (`bootstrap.roleName`, e.g. the
    vendor's `ClickHouseManagementRole`): the one exemption from the prefix, by what it is (an IAM
    role tagged `clickhouse-byoc/purpose=management`), never by name."""
    return r.resource_type == "aws:iam/role:Role" and get(tags_of(r), ROLE_PURPOSE_TAG) == "management"


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
    if typ in _NAMED and not bootstrap_role(r):
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
