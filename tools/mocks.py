"""Pulumi mocks that fabricate realistic ids and ARNs, and a monitor that records registrations.

Shared by the offline synth and the component tests, so documents built from mocked outputs read
like the real thing (`arn:aws:iam::123456789012:role/ClickHouse-cloud-dev-...`). Ids and ARNs are a
pure function of the resource's type, name and the inputs that force its replacement (the change
plan's table, `tools/data/replace-on-change.json`): two runs of the same program give byte-identical
output, and a resource a change replaces gets a new id and ARN, as it would in AWS, so every input
that names it changes too. Ids AWS derives from names (roles, buckets, Kubernetes objects) stay
derived from those names.

Secret inputs are recorded as `[secret]` with a short digest of their value per input path
(`secretDigests`): offline, a secret value is the synth's stand-in derived from the ciphertext
(`components.settings.secret_placeholder`), never a plaintext, and the digest tells the change plan
which secret inputs a rotation changed without showing them.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime.proto import resource_pb2

from components.settings import decode_value

SECRET = "[secret]"
UNKNOWN = "[unknown]"
REPLACE_TABLE = Path(__file__).resolve().parent / "data" / "replace-on-change.json"

# EC2 resource types: id prefix and ARN resource type.
_EC2: dict[str, tuple[str, str]] = {
    "aws:ec2/vpc:Vpc": ("vpc", "vpc"),
    "aws:ec2/subnet:Subnet": ("subnet", "subnet"),
    "aws:ec2/internetGateway:InternetGateway": ("igw", "internet-gateway"),
    "aws:ec2/natGateway:NatGateway": ("nat", "natgateway"),
    "aws:ec2/eip:Eip": ("eipalloc", "elastic-ip"),
    "aws:ec2/routeTable:RouteTable": ("rtb", "route-table"),
    "aws:ec2/route:Route": ("r-rtb", "route"),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": ("rtbassoc", "route-table-association"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ("vpce", "vpc-endpoint"),
    "aws:ec2/securityGroup:SecurityGroup": ("sg", "security-group"),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": ("sg", "security-group"),
    "aws:ec2/securityGroupRule:SecurityGroupRule": ("sgrule", "security-group-rule"),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": ("sgr", "security-group-rule"),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": ("sgr", "security-group-rule"),
    "aws:ec2/vpcIpv4CidrBlockAssociation:VpcIpv4CidrBlockAssociation": ("vpc-cidr-assoc", "vpc"),
    "aws:ec2/launchTemplate:LaunchTemplate": ("lt", "launch-template"),
    "aws:ec2/vpcPeeringConnection:VpcPeeringConnection": ("pcx", "vpc-peering-connection"),
    "aws:ec2/vpcEndpointService:VpcEndpointService": ("vpce-svc", "vpc-endpoint-service"),
}


# Launch template inputs that are not template data: changing them makes no new version
# (terraform-provider-aws internal/service/ec2/ec2_launch_template.go, the update's version keys).
_LAUNCH_TEMPLATE_NOT_DATA = frozenset(
    {"name", "namePrefix", "tags", "tagsAll", "defaultVersion", "updateDefaultVersion"}
)


# Regions enabled by default in every account of the aws partition (the "Active by default" column of
# the IAM user guide's "AWS STS Regions and endpoints" table, vendored in tests/upstream/aws/): what
# `aws.get_regions()` answers for an account that opted in to no other Region.
DEFAULT_REGIONS = (
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ca-central-1",
    "eu-central-1",
    "eu-north-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
)


def _hex(seed: str, length: int) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


@functools.cache
def _replace_paths() -> dict[str, tuple[str, ...]]:
    """Per resource type, the inputs whose change replaces it (the change plan's table)."""
    types = json.loads(REPLACE_TABLE.read_text())["types"]
    return {typ: tuple(entry.get("replaceOnChange") or ()) for typ, entry in types.items()}


def _at(tree: Any, dotted: str) -> Any:
    """The value at a dotted input path (lists traversed item by item), or None."""
    node = tree
    for i, part in enumerate(dotted.split(".")):
        if isinstance(node, list):
            rest = ".".join(dotted.split(".")[i:])
            return [_at(item, rest) for item in node]
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith((prefix + ".", prefix + "["))


def id_seed(typ: str, name: str, inputs: Mapping[str, Any], secret_digests: Mapping[str, str]) -> str:
    """What a resource's fabricated ids and ARNs derive from: its type, its name and the values of
    the inputs that force its replacement (plain JSON as recorded; a secret one by its digest).
    A resource without such inputs set keeps the seed of its type and name alone."""
    forcing = {}
    for path in _replace_paths().get(typ, ()):
        value = _at(inputs, path)
        if value is not None:
            forcing[path] = value
    if not forcing:
        return f"{typ}::{name}"
    secrets = {p: d for p, d in sorted(secret_digests.items()) if any(_under(p, f) for f in forcing)}
    return f"{typ}::{name}::{_hex(json.dumps([forcing, secrets], sort_keys=True), 16)}"


def _plain(value: Any) -> Any:
    """A deserialized value with every secret wrapper removed."""
    if isinstance(value, dict):
        if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            return _plain(value.get("value"))
        return {k: _plain(v) for k, v in value.items() if k != rpc._special_sig_key}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def secret_digest(value: Any) -> str:
    """A short digest of a secret input's value. Offline a secret value holds only the synth's
    stand-ins (derived from ciphertexts) and values the program computed, never a plaintext."""
    return _hex(json.dumps(to_json(_plain(value)), sort_keys=True), 12)


class ByocMocks(pulumi.runtime.Mocks):
    """Mocks answering like AWS would for one account and region."""

    def __init__(self, account_id: str = "123456789012", region: str = "us-west-2"):
        self.account_id = account_id
        self.region = region

    def _eks_cluster(self, cluster: str, seed: str) -> dict[str, Any]:
        return _eks_cluster_outputs(self.account_id, self.region, cluster, seed)

    # -- invokes -------------------------------------------------------------------------------
    def call(self, args: pulumi.runtime.MockCallArgs):
        token = args.token
        if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            names = [f"{self.region}{s}" for s in "abcd"]
            return {
                "names": names,
                "zoneIds": [f"usw2-az{i + 1}" for i in range(len(names))],
                "id": self.region,
                "state": "available",
            }
        if token == "aws:eks/getAddonVersion:getAddonVersion":
            # Every EKS add-on is pinned (components/versions.py): a version EKS picks at deploy
            # time could change on a later `pulumi up` with no configuration change.
            raise RuntimeError(
                f"{args.args.get('addonName')}: add-on version resolved at deploy time; pin it in "
                "components/versions.py"
            )
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": self.account_id,
                "arn": f"arn:aws:iam::{self.account_id}:role/platform-deployer",
                "userId": "AROAEXAMPLEDEPLOYER:pulumi",
                "id": self.account_id,
            }
        if token == "aws:index/getRegions:getRegions":
            return {"names": list(DEFAULT_REGIONS), "id": "aws"}
        if token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}
        if token in ("aws:index/getRegion:getRegion", "aws:index/region:getRegion"):
            return {"name": self.region, "region": self.region, "id": self.region}
        if token in ("aws:lb/getLoadBalancer:getLoadBalancer", "aws:alb/getLoadBalancer:getLoadBalancer"):
            # The NLB the load balancer controller created under the requested name.
            name = args.args.get("name") or "lb"
            suffix = _hex(name, 16)
            scheme = "internal-" if name.endswith("-private") else ""
            return {
                "name": name,
                "arn": f"arn:aws:elasticloadbalancing:{self.region}:{self.account_id}:loadbalancer/net/{name}/{suffix}",
                "dnsName": f"{scheme}{name}-{suffix[:10]}.elb.{self.region}.amazonaws.com",
                "zoneId": "Z18D5FSROUN65G",
                "loadBalancerType": "network",
                "internal": bool(scheme),
                "id": name,
            }
        return {}

    # -- resources -----------------------------------------------------------------------------
    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        digests: dict[str, str] = {}
        recorded = to_json(dict(args.inputs), digests)
        return self._fabricate(args.typ, args.name, dict(args.inputs), id_seed(args.typ, args.name, recorded, digests))

    def outputs_of(self, record: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        """The id and outputs these mocks gave a recorded resource (`resources.json`): from its
        recorded inputs and secret digests, the same seed as when it was registered."""
        typ, name, inputs = record["type"], record["name"], dict(record.get("inputs") or {})
        return self._fabricate(typ, name, inputs, id_seed(typ, name, inputs, record.get("secretDigests") or {}))

    def _fabricate(self, typ: str, name: str, inputs: dict[str, Any], seed: str) -> tuple[str, dict[str, Any]]:
        acct, region = self.account_id, self.region
        state: dict[str, Any] = dict(inputs)

        if typ in _EC2:
            prefix, arn_type = _EC2[typ]
            rid = f"{prefix}-{_hex(seed, 17)}"
            state["arn"] = f"arn:aws:ec2:{region}:{acct}:{arn_type}/{rid}"
            if typ == "aws:ec2/vpc:Vpc":
                state.update(
                    defaultSecurityGroupId=f"sg-{_hex(seed + 'sg', 17)}",
                    mainRouteTableId=f"rtb-{_hex(seed + 'rt', 17)}",
                    ownerId=acct,
                )
            if typ == "aws:ec2/eip:Eip":
                octets = [int(_hex(seed + str(i), 2), 16) for i in range(2)]
                state.update(allocationId=rid, publicIp=f"203.0.{octets[0]}.{octets[1]}")
            if typ == "aws:ec2/securityGroup:SecurityGroup":
                state.setdefault("name", name)
            if typ == "aws:ec2/launchTemplate:LaunchTemplate":
                # AWS makes a new version whenever the template data changes (not for the
                # template's own tags): a stand-in number that changes exactly then, so the node
                # groups that follow the newest version show the roll a real run would make.
                data = {k: v for k, v in inputs.items() if k not in _LAUNCH_TEMPLATE_NOT_DATA}
                version = 1 + int(_hex(json.dumps(data, sort_keys=True, default=str), 6), 16) % 9999
                state.update(latestVersion=version, defaultVersion=version)
            if typ == "aws:ec2/vpcEndpointService:VpcEndpointService":
                state.update(serviceName=f"com.amazonaws.vpce.{region}.{rid}", state="Available")
            return rid, state

        if typ == "eks:index:Cluster":
            return name, {**state, **self._eks_cluster(inputs.get("name") or name, seed)}
        if typ == "aws:eks/nodeGroup:NodeGroup":
            group = inputs.get("nodeGroupName") or name
            cluster = inputs.get("clusterName")
            state.update(
                arn=f"arn:aws:eks:{region}:{acct}:nodegroup/{cluster}/{group}/{_hex(seed, 8)}",
                status="ACTIVE",
                resources=[{"autoscalingGroups": [{"name": f"eks-{group}-{_hex(seed, 8)}"}]}],
            )
            return f"{cluster}:{group}", state
        if typ == "aws:eks/addon:Addon":
            cluster, addon = inputs.get("clusterName"), inputs.get("addonName")
            state.update(arn=f"arn:aws:eks:{region}:{acct}:addon/{cluster}/{addon}/{_hex(seed, 8)}")
            return f"{cluster}:{addon}", state
        if typ == "aws:iam/role:Role":
            role = inputs.get("name") or name
            state.update(
                name=role,
                arn=f"arn:aws:iam::{acct}:role{inputs.get('path', '/')}{role}",
                uniqueId=f"AROA{_hex(seed, 17).upper()}",
            )
            return role, state
        if typ == "aws:iam/policy:Policy":
            policy = inputs.get("name") or name
            arn = f"arn:aws:iam::{acct}:policy{inputs.get('path', '/')}{policy}"
            state.update(name=policy, arn=arn, policyId=f"ANPA{_hex(seed, 17).upper()}")
            return arn, state
        if typ == "aws:iam/rolePolicy:RolePolicy":
            return f"{inputs.get('role')}:{inputs.get('name') or name}", state
        if typ == "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
            return f"{inputs.get('role')}-{_hex(seed, 8)}", state
        if typ == "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
            host = str(inputs.get("url", "")).removeprefix("https://")
            arn = f"arn:aws:iam::{acct}:oidc-provider/{host}"
            return arn, {**state, "arn": arn}
        if typ in ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"):
            bucket = inputs.get("bucket") or name
            state.update(
                bucket=bucket,
                arn=f"arn:aws:s3:::{bucket}",
                bucketDomainName=f"{bucket}.s3.amazonaws.com",
                bucketRegionalDomainName=f"{bucket}.s3.{region}.amazonaws.com",
                region=region,
            )
            return bucket, state
        if typ.startswith("aws:s3/"):
            return str(inputs.get("bucket") or name), state
        if typ == "aws:kms/key:Key":
            key_id = "-".join(_hex(seed + str(i), n) for i, n in enumerate((8, 4, 4, 4, 12)))
            state.update(keyId=key_id, arn=f"arn:aws:kms:{region}:{acct}:key/{key_id}")
            return key_id, state
        if typ == "aws:kms/alias:Alias":
            alias = inputs.get("name") or f"alias/{name}"
            state.update(name=alias, arn=f"arn:aws:kms:{region}:{acct}:{alias}")
            return alias, state
        if typ == "aws:route53/zone:Zone":
            zone_id = f"Z{_hex(seed, 20).upper()}"
            state.update(
                zoneId=zone_id,
                arn=f"arn:aws:route53:::hostedzone/{zone_id}",
                nameServers=[f"ns-{i}{_hex(seed, 2)}.awsdns-0{i}.org" for i in range(1, 5)],
            )
            return zone_id, state
        if typ == "random:index/randomPassword:RandomPassword":
            length = int(inputs.get("length", 32))
            result = (_hex(seed, 64) * 2)[:length]
            return f"none-{_hex(seed, 8)}", {**state, "result": result, "bcryptHash": "$2a$10$" + _hex(seed, 53)}
        if typ == "kubernetes:helm.sh/v3:Release":
            # A deployed release, as the provider reports it after `helm install`.
            release = inputs.get("name") or name
            ns = inputs.get("namespace") or "default"
            state["status"] = {
                "name": release,
                "namespace": ns,
                "chart": inputs.get("chart"),
                "version": inputs.get("version"),
                "appVersion": inputs.get("version"),
                "revision": 1,
                "status": "deployed",
            }
            return f"{ns}/{release}", state
        if typ.startswith("kubernetes:"):
            meta = inputs.get("metadata") or {}
            ns, obj = meta.get("namespace"), meta.get("name") or name
            return (f"{ns}/{obj}" if ns else obj), state
        # Regional resources may name their own Region (pulumi-aws 7: `region` on the resource).
        where = str(inputs.get("region") or region)
        if typ == "aws:cloudwatch/eventRule:EventRule":
            rule = inputs.get("name") or name
            return rule, {**state, "name": rule, "arn": f"arn:aws:events:{where}:{acct}:rule/{rule}"}
        if typ == "aws:cloudwatch/eventTarget:EventTarget":
            return f"{inputs.get('rule')}-{inputs.get('targetId') or _hex(seed, 8)}", state
        if typ in (
            "aws:cloudwatch/eventConnection:EventConnection",
            "aws:cloudwatch/eventApiDestination:EventApiDestination",
        ):
            kind = "connection" if typ.endswith("EventConnection") else "api-destination"
            obj = inputs.get("name") or name
            uuid = "-".join(_hex(seed + str(i), n) for i, n in enumerate((8, 4, 4, 4, 12)))
            extra = {
                "secretArn": f"arn:aws:secretsmanager:{where}:{acct}:secret:events!connection/{obj}-{_hex(seed, 6)}"
            }
            return obj, {
                **state,
                "arn": f"arn:aws:events:{where}:{acct}:{kind}/{obj}/{uuid}",
                **(extra if kind == "connection" else {}),
            }
        if typ == "aws:sns/topic:Topic":
            arn = f"arn:aws:sns:{where}:{acct}:{inputs.get('name') or name}"
            return arn, {**state, "arn": arn, "owner": acct}
        if typ == "aws:sns/topicSubscription:TopicSubscription":
            arn = f"{inputs.get('topic')}:{'-'.join(_hex(seed + str(i), n) for i, n in enumerate((8, 4, 4, 4, 12)))}"
            return arn, {**state, "arn": arn, "pendingConfirmation": inputs.get("protocol") == "email"}
        if typ == "aws:cloudtrail/trail:Trail":
            arn = f"arn:aws:cloudtrail:{where}:{acct}:trail/{inputs.get('name') or name}"
            return arn, {**state, "arn": arn, "homeRegion": where}
        if typ == "aws:ec2/flowLog:FlowLog":
            rid = f"fl-{_hex(seed, 17)}"
            return rid, {**state, "arn": f"arn:aws:ec2:{where}:{acct}:vpc-flow-log/{rid}"}
        # Anything else: a stable id, and an ARN when the type is an AWS one.
        rid = f"{name}-{_hex(seed, 8)}"
        if typ.startswith("aws:"):
            service = typ.split(":")[1].split("/")[0]
            state.setdefault("arn", f"arn:aws:{service}:{region}:{acct}:{name}")
        return rid, state


def _eks_cluster_outputs(acct: str, region: str, cluster: str, seed: str) -> dict[str, Any]:
    oidc_id = _hex(seed, 32).upper()
    issuer = f"oidc.eks.{region}.amazonaws.com/id/{oidc_id}"
    server = f"https://{oidc_id}.gr7.{region}.eks.amazonaws.com"
    kubeconfig = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": cluster, "cluster": {"server": server, "certificate-authority-data": "LS0tLS1CRUdJTg=="}}
        ],
        "contexts": [{"name": "aws", "context": {"cluster": cluster, "user": "aws"}}],
        "current-context": "aws",
        "users": [
            {
                "name": "aws",
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": "aws",
                        "args": ["eks", "get-token", "--cluster-name", cluster, "--region", region],
                    }
                },
            }
        ],
    }
    # Scalars only: a dict for `eksCluster` fails the SDK's type checks under mocks.
    return {
        "kubeconfigJson": json.dumps(kubeconfig),
        "oidcProviderArn": f"arn:aws:iam::{acct}:oidc-provider/{issuer}",
        "oidcProviderUrl": f"https://{issuer}",
        "oidcIssuer": issuer,
        "clusterSecurityGroupId": f"sg-{_hex(seed + 'cluster', 17)}",
        "nodeSecurityGroupId": f"sg-{_hex(seed + 'cluster', 17)}",
    }


def to_json(value: Any, secret_digests: dict[str, str] | None = None, path: str = "") -> Any:
    """Deserialized inputs as plain JSON: secrets masked (their digest, per input path `a.b[0].c`,
    into `secret_digests` when given), unknown values (a preview) as `[unknown]`."""
    if isinstance(value, dict):
        if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            if secret_digests is not None:
                secret_digests[path] = secret_digest(value.get("value"))
            return SECRET
        return {
            k: to_json(v, secret_digests, f"{path}.{k}" if path else str(k))
            for k, v in value.items()
            if k != rpc._special_sig_key
        }
    if isinstance(value, (list, tuple)):
        return [to_json(v, secret_digests, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, pulumi.output.Unknown):
        return UNKNOWN
    if isinstance(value, float) and value.is_integer():
        # Numbers cross the wire as doubles; a port or a replica count reads better as 9440.
        return int(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, pulumi.Resource):
        return f"<resource {type(value).__name__}>"
    return repr(value)


def _provider_urn(ref: str) -> str | None:
    """A provider reference is `<urn>::<id>`; the URN itself contains `::`."""
    return ref.rsplit("::", 1)[0] if ref else None


def _urn_name(urn: str) -> str:
    return urn.rsplit("::", 1)[1]


def _urn_type(urn: str) -> str:
    return urn.split("::")[2].split("$")[-1]


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """A mock monitor that keeps, per registration, what MockResourceArgs does not carry.

    Aliases: like the engine, the monitor supports alias specs, so the SDK sends each alias as
    given (a URN, or name/type/parent/project/stack relative to the resource) and this monitor
    expands them the way the engine's step generator does (`generateAliases`): each alias
    collapsed to a URN, then every alias of the parent multiplied onto the child, the child's name
    prefix rewritten when it starts with the parent's name. The parent's list includes what it
    inherited, so a grandchild of a moved component gets its old address too. URNs are spelled
    as this monitor spells every URN (`make_urn`: the parent's last type only, and a resource at
    the root under the Stack's type, where the engine writes the whole chain and no Stack type),
    so aliases compare with recorded URNs. An alias spelled like the record's own URN is left out.
    """

    def __init__(self, mocks: pulumi.runtime.Mocks):
        super().__init__(mocks)
        self.records: list[dict[str, Any]] = []
        self._aliases: dict[str, list[str]] = {}
        self._root = ""

    def _new_urn(self, stack: str, project: str, parent: str, typ: str, name: str) -> str:
        if parent:
            typ = f"{_urn_type(parent)}${typ}"
        return f"urn:pulumi:{stack}::{project}::{typ}::{name}"

    def _alias_urns(self, request, urn: str) -> list[str]:
        stack, project = pulumi.get_stack(), pulumi.get_project()

        def collapse(alias) -> str:
            if alias.urn:
                return alias.urn
            spec = alias.spec
            # No parent: the resource was at the root, which this monitor spells under the Stack.
            parent = self._root if spec.noParent else (spec.parentUrn or request.parent)
            return self._new_urn(
                spec.stack or stack,
                spec.project or project,
                parent,
                spec.type or request.type,
                spec.name or request.name,
            )

        def inherited(child_type: str, child_name: str, parent_name: str, parent_alias: str) -> str:
            if child_name.startswith(parent_name):
                child_name = _urn_name(parent_alias) + child_name[len(parent_name) :]
            return self._new_urn(stack, project, parent_alias, child_type, child_name)

        own = [collapse(a) for a in request.aliases] + list(request.aliasURNs)
        result = list(own)
        if request.parent:
            parent_name = _urn_name(request.parent)
            for parent_alias in self._aliases.get(request.parent, []):
                result.append(inherited(request.type, request.name, parent_name, parent_alias))
                for alias in own:
                    result.append(inherited(_urn_type(alias), _urn_name(alias), parent_name, parent_alias))
        result = sorted(set(result) - {urn})
        self._aliases[urn] = result
        return result

    # Without resource references the SDK sends a resource input (pulumi-eks' `serviceRole`) as
    # its id. With them, deserializing the reference inside this synchronous mock re-enters the
    # event loop and the run hangs.
    def SupportsFeature(self, request):
        if request.id == "resourceReferences":
            return type("SupportsFeatureResponse", (object,), {"hasSupport": False})
        return super().SupportsFeature(request)

    def GetDeploymentInfo(self, request):
        info = super().GetDeploymentInfo(request)
        features = [f for f in info.supportedFeatures if f != resource_pb2.RESOURCE_MONITOR_FEATURE_RESOURCE_REFERENCES]
        return resource_pb2.DeploymentInfo(supportedFeatures=features)

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            self._root = response.urn
        inputs = rpc.deserialize_properties(request.object, keep_unknowns=False)
        if request.type.startswith("pulumi:providers:"):
            # Providers receive structured settings as JSON text; decode them for readers and rules.
            inputs = {k: decode_value(v) if isinstance(v, str) else v for k, v in inputs.items()}
        digests: dict[str, str] = {}
        recorded = to_json(inputs, digests)
        self.records.append(
            {
                "urn": response.urn,
                "type": request.type,
                "name": request.name,
                "parent": request.parent or None,
                "custom": bool(request.custom),
                "inputs": recorded,
                "dependencies": sorted(set(request.dependencies)),
                "protect": bool(request.protect),
                "retainOnDelete": bool(request.retainOnDelete),
                # Input paths the engine leaves alone on updates (drift another owner manages).
                "ignoreChanges": sorted(request.ignoreChanges),
                "provider": _provider_urn(request.provider),
                "aliases": self._alias_urns(request, response.urn),
                # Per secret input path, a digest of its value: which secrets a change rotated.
                "secretDigests": digests,
            }
        )
        return response
