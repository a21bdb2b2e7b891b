"""One deployment's real AWS resources (ARN, tags, other condition keys) and its IAM documents.

The parity test (`test_iam_parity.py`) builds requests the upstream policies allow against these
resources; the isolation test (`test_iam_isolation.py`) evaluates one deployment's documents against
another deployment's resources. The tags are the ones AWS would see: the provider's default tags on
what the program creates, the EBS CSI driver's extra tags on its volumes, the controller's cluster
tag on its load balancers, and EKS's own tags on what EKS creates (the cluster security group, the
node groups' Auto Scaling groups), which carry none of the program's tags.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property

from components import iam_policies as docs
from components.iam import BootstrapRoleArgs, bootstrap_scope
from components.naming import Names, mandatory_tags
from tests.iam_eval import Resource

ACCOUNT = "123456789012"
REGION = "us-west-2"
VENDOR = "426924874929"
LBC_TAG = "elbv2.k8s.aws/cluster"

# Actions that create a resource of these kinds: a request names the new resource (with the
# request's tags) and the existing parents it is also authorized on (with their own tags).
CREATES: dict[str, tuple[str, ...]] = {
    "ec2:AllocateAddress": ("elastic-ip",),
    "ec2:CopyVolumes": ("volume",),
    "ec2:CreateInternetGateway": ("internet-gateway",),
    "ec2:CreateLaunchTemplate": ("launch-template",),
    "ec2:CreateNatGateway": ("natgateway",),
    "ec2:CreateNetworkInterface": ("network-interface",),
    "ec2:CreateRouteTable": ("route-table",),
    "ec2:CreateSecurityGroup": ("security-group",),
    "ec2:CreateSnapshot": ("snapshot",),
    "ec2:CreateSubnet": ("subnet",),
    "ec2:CreateVolume": ("volume",),
    "ec2:CreateVpc": ("vpc",),
    "ec2:CreateVpcEndpoint": ("vpc-endpoint",),
    "eks:CreateAddon": ("addon",),
    "eks:CreateCluster": ("cluster",),
    "eks:CreateNodegroup": ("nodegroup",),
    "eks:CreatePodIdentityAssociation": ("podidentityassociation",),
    "elasticloadbalancing:CreateListener": ("listener",),
    "elasticloadbalancing:CreateLoadBalancer": ("loadbalancer",),
    "elasticloadbalancing:CreateRule": ("listener-rule",),
    "elasticloadbalancing:CreateTargetGroup": ("targetgroup",),
    "iam:CreatePolicy": ("policy",),
    "iam:CreateRole": ("role",),
    "iam:CreateServiceLinkedRole": ("service-linked-role",),
    "kms:CreateAlias": ("alias",),
    "kms:CreateKey": ("key",),
    "logs:CreateLogGroup": ("log-group",),
    "s3:CreateBucket": ("bucket",),
}
# The parents each create is authorized on (besides the new resource).
PARENTS: dict[str, tuple[str, ...]] = {
    "ec2:CopyVolumes": ("volume",),
    "ec2:CreateNatGateway": ("subnet", "elastic-ip"),
    "ec2:CreateNetworkInterface": ("subnet", "security-group"),
    "ec2:CreateRouteTable": ("vpc",),
    "ec2:CreateSecurityGroup": ("vpc",),
    "ec2:CreateSnapshot": ("volume",),
    "ec2:CreateSubnet": ("vpc",),
    "ec2:CreateVpcEndpoint": ("vpc", "subnet", "security-group", "route-table"),
    "eks:CreateAddon": ("cluster",),
    "eks:CreateNodegroup": ("cluster",),
    "eks:CreatePodIdentityAssociation": ("cluster",),
    "elasticloadbalancing:CreateListener": ("loadbalancer",),
    "elasticloadbalancing:CreateRule": ("listener",),
    "kms:CreateAlias": ("key",),
}


def _id(deployment: str, what: str, width: int = 17) -> str:
    return hashlib.sha256(f"{deployment}/{what}".encode()).hexdigest()[:width]


@dataclass(frozen=True)
class Entry:
    """One resource of the deployment, by kind (`vpc`, `volume`, `role`, ...)."""

    kind: str
    resource: Resource


@dataclass(frozen=True)
class World:
    """Deployment `deployment_id` in the shared test account."""

    deployment_id: str

    @cached_property
    def names(self) -> Names:
        return Names(self.deployment_id, ACCOUNT)

    @property
    def cluster(self) -> str:
        return self.names.cluster

    @property
    def tags(self) -> dict[str, str]:
        return mandatory_tags(self.deployment_id)

    def ec2(self, kind: str, prefix: str) -> str:
        account = "" if kind == "snapshot" else ACCOUNT
        return f"arn:aws:ec2:{REGION}:{account}:{kind}/{prefix}-{_id(self.deployment_id, kind)}"

    @property
    def vpc_arn(self) -> str:
        return self.ec2("vpc", "vpc")

    @property
    def zone_arn(self) -> str:
        return f"arn:aws:route53:::hostedzone/Z{_id(self.deployment_id, 'zone', 20).upper()}"

    @property
    def bucket_arns(self) -> dict[str, str]:
        return {w: f"arn:aws:s3:::{self.names.bucket(w)}" for w in ("data", "backup", "monitoring")}

    @property
    def data_key_arn(self) -> str:
        return f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{_id(self.deployment_id, 'data-key', 32)}"

    @property
    def load_balancer_names(self) -> tuple[str, ...]:
        return (self.names.load_balancer("public"), self.names.load_balancer("private"))

    # -- resources -----------------------------------------------------------------------------

    @cached_property
    def entries(self) -> tuple[Entry, ...]:
        base, vpc = self.tags, {"ec2:Vpc": self.vpc_arn}
        cluster = self.cluster
        eks_tags = {"aws:eks:cluster-name": cluster, f"kubernetes.io/cluster/{cluster}": "owned"}
        out: list[Entry] = []

        def add(kind: str, arn: str, tags: dict[str, str] | None = None, **keys: str) -> None:
            out.append(Entry(kind, Resource(arn, dict(tags or {}), dict(keys))))

        for kind, prefix in (
            ("vpc", "vpc"),
            ("subnet", "subnet"),
            ("route-table", "rtb"),
            ("internet-gateway", "igw"),
            ("natgateway", "nat"),
            ("elastic-ip", "eipalloc"),
            ("vpc-endpoint", "vpce"),
            ("launch-template", "lt"),
            ("security-group", "sg"),
            ("network-interface", "eni"),
        ):
            add(kind, self.ec2(kind, prefix), base, **vpc)
        # What EKS and the controllers create carries their tags, not the provider's.
        add("security-group", self.ec2("security-group", "sg-eks-cluster"), eks_tags, **vpc)
        add("security-group", self.ec2("security-group", "sg-lbc"), {LBC_TAG: cluster}, **vpc)
        add("instance", self.ec2("instance", "i"), {**base, **eks_tags}, **vpc)
        driver = {
            "ebs.csi.aws.com/cluster": "true",
            "CSIVolumeName": "pvc-1",
            "kubernetes.io/created-for/pvc/name": "data-clickhouse-0",
        }
        add("volume", self.ec2("volume", "vol"), {**base, **driver}, **{"ec2:VolumeType": "gp3"})
        snap = {"ebs.csi.aws.com/cluster": "true", "CSIVolumeSnapshotName": "snapshot-1"}
        add("snapshot", self.ec2("snapshot", "snap"), {**base, **snap})

        eks = f"arn:aws:eks:{REGION}:{ACCOUNT}"
        add("cluster", f"{eks}:cluster/{cluster}", base)
        add("nodegroup", f"{eks}:nodegroup/{cluster}/system/{_id(self.deployment_id, 'ng')}", base)
        add("addon", f"{eks}:addon/{cluster}/coredns/{_id(self.deployment_id, 'addon')}", base)
        add("podidentityassociation", f"{eks}:podidentityassociation/{cluster}/a-{_id(self.deployment_id, 'pia')}")

        scope = self.scope
        for arn in sorted({scope.role_arn, *scope.protected_role_arns}):
            add("role", arn, {**base, "clickhouse-byoc/purpose": arn.rsplit("-", 1)[-1]})
        add(
            "role",
            scope.vendor_role(self.names.aws("vendor-made")),
            base,
            **{"iam:PermissionsBoundary": scope.boundary_arn},
        )
        for suffix in ("boundary", "management-network", "management-iam", "management-guardrails"):
            add("policy", scope.policy(suffix), {**base, "clickhouse-byoc/purpose": "management"})
        add("policy", scope.vendor_policy(self.names.aws("vendor-made")), base)

        for arn in self.bucket_arns.values():
            add("bucket", arn, base)
            add("object", f"{arn}/data/part-1")
        add("hostedzone", self.zone_arn, base)
        add("key", self.data_key_arn, base)
        add("alias", f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/{self.names.aws('data')}")

        elb = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}"
        lb = self.load_balancer_names[0]
        lb_id, listener_id = _id(self.deployment_id, "lb", 16), _id(self.deployment_id, "listener", 16)
        add("loadbalancer", f"{elb}:loadbalancer/net/{lb}/{lb_id}", {**base, LBC_TAG: cluster})
        add("targetgroup", f"{elb}:targetgroup/k8s-{_id(self.deployment_id, 'tg', 8)}/{lb_id}", {LBC_TAG: cluster})
        add("listener", f"{elb}:listener/net/{lb}/{lb_id}/{listener_id}")
        add("listener-rule", f"{elb}:listener-rule/net/{lb}/{lb_id}/{listener_id}/{_id(self.deployment_id, 'r', 16)}")
        asg = f"eks-{cluster}-system-{_id(self.deployment_id, 'asg', 8)}"
        add(
            "autoScalingGroup",
            f"arn:aws:autoscaling:{REGION}:{ACCOUNT}:autoScalingGroup:{_id(self.deployment_id, 'asg')}"
            f":autoScalingGroupName/{asg}",
            {f"k8s.io/cluster-autoscaler/{cluster}": "owned", "k8s.io/cluster-autoscaler/enabled": "true"},
        )
        add("log-group", f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/eks/{cluster}/cluster")
        return tuple(out)

    def of_kind(self, kind: str) -> list[Resource]:
        return [e.resource for e in self.entries if e.kind == kind]

    def new(self, kind: str) -> Resource:
        """A resource a create request would make (no tags of its own yet)."""
        service = {
            "cluster": "eks",
            "nodegroup": "eks",
            "addon": "eks",
            "podidentityassociation": "eks",
            "role": "iam",
            "policy": "iam",
            "service-linked-role": "iam",
            "bucket": "s3",
            "key": "kms",
            "alias": "kms",
            "log-group": "logs",
            "loadbalancer": "elasticloadbalancing",
            "targetgroup": "elasticloadbalancing",
            "listener": "elasticloadbalancing",
            "listener-rule": "elasticloadbalancing",
        }.get(kind, "ec2")
        if service == "ec2":
            arn = self.ec2(kind, "new")
            return Resource(arn, {}, {"ec2:Vpc": self.vpc_arn})
        arns = {
            "cluster": f"arn:aws:eks:{REGION}:{ACCOUNT}:cluster/{self.cluster}",
            "nodegroup": f"arn:aws:eks:{REGION}:{ACCOUNT}:nodegroup/{self.cluster}/new/1",
            "addon": f"arn:aws:eks:{REGION}:{ACCOUNT}:addon/{self.cluster}/new/1",
            "podidentityassociation": f"arn:aws:eks:{REGION}:{ACCOUNT}:podidentityassociation/{self.cluster}/a-new",
            "role": self.scope.vendor_role(self.names.aws("new")),
            "policy": self.scope.vendor_policy(self.names.aws("new")),
            "service-linked-role": f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/new",
            "bucket": f"arn:aws:s3:::{self.names.bucket('new')}",
            "key": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/new",
            "alias": f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/{self.names.aws('')}/new",
            "log-group": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/eks/{self.cluster}/new",
            "loadbalancer": f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/net/new/1",
            "targetgroup": f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/new/1",
            "listener": f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:listener/net/"
            f"{self.load_balancer_names[0]}/1/new",
            "listener-rule": f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:listener-rule/net/"
            f"{self.load_balancer_names[0]}/1/1/new",
        }
        return Resource(arns[kind])

    # -- documents -----------------------------------------------------------------------------

    @cached_property
    def bootstrap_args(self) -> BootstrapRoleArgs:
        buckets = self.bucket_arns
        return BootstrapRoleArgs(
            names=self.names,
            region=REGION,
            account_id=ACCOUNT,
            cluster_name=self.cluster,
            zone_arn=self.zone_arn,
            data_bucket_arn=buckets["data"],
            backup_bucket_arn=buckets["backup"],
            monitoring_bucket_arn=buckets["monitoring"],
            vendor_account_id=VENDOR,
            external_id="ext-1234",
            principal_arn_pattern=f"arn:aws:iam::{VENDOR}:role/*-CrossplaneWorkloadRole",
            role_name=self.names.aws("management"),
        )

    @cached_property
    def scope(self) -> docs.BootstrapScope:
        return bootstrap_scope(self.bootstrap_args, self.zone_arn)

    def workload_documents(self, kms: bool = True) -> dict[str, dict]:
        """Every workload role's permission document, by role purpose (as `components.iam` builds them)."""
        key = self.data_key_arn if kms else None
        buckets = self.bucket_arns
        return {
            "ebs-csi": docs.ebs_csi_policy(key, self.deployment_id),
            "load-balancer-controller": docs.load_balancer_controller_policy(
                self.cluster, self.vpc_arn, self.load_balancer_names
            ),
            "external-dns": docs.external_dns_policy(self.zone_arn),
            "cert-manager": docs.cert_manager_policy(self.zone_arn),
            "cluster-autoscaler": docs.cluster_autoscaler_policy(self.cluster),
            "thanos": docs.thanos_policy(buckets["monitoring"], key),
            "clickhouse-analytics": docs.clickhouse_server_policy(buckets["data"], buckets["backup"], "analytics", key),
        }

    def vendor_documents(self) -> dict[str, list[dict]]:
        """The bootstrap role (full, every toggle) and the boundary alone (the ceiling of the roles
        the vendor creates: what such a role could do with an allow-everything policy)."""
        full = docs.BootstrapAccess(mode="full", vpc_write=True, iam_write=True, kms=True)
        return {
            "bootstrap": list(docs.bootstrap_policies(self.scope, full).values()),
            "boundary": [docs.boundary_policy(self.scope)],
        }
