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
from components.workload_roles import with_restore_source
from tests.iam_eval import Resource
from tests.iam_fixtures import vendor_access

ACCOUNT = "123456789012"
REGION = "us-west-2"
VENDOR = "426924874929"
LBC_TAG = "elbv2.k8s.aws/cluster"
BILLING_BUCKET = f"arn:aws:s3:::clickhouse-byoc-billing-{VENDOR}"
UNTIL = "2030-01-01T00:00:00Z"

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
    def state_queue_arn(self) -> str:
        return f"arn:aws:sqs:{REGION}:{VENDOR}:byoc-state-{self.deployment_id}"

    @property
    def billing_prefix(self) -> str:
        return f"{ACCOUNT}/{self.deployment_id}"

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
        ):
            add(kind, self.ec2(kind, prefix), base, **vpc)
        # Network interfaces are EC2's (a node's primary one, made at launch) or the VPC CNI's
        # (its own tags): none carries the provider's default tags.
        add("network-interface", self.ec2("network-interface", "eni-primary"), {}, **vpc)
        add(
            "network-interface",
            self.ec2("network-interface", "eni-cni"),
            {"node.k8s.amazonaws.com/instance_id": f"i-{_id(self.deployment_id, 'instance')}"},
            **vpc,
        )
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
            add("object", f"{arn}/analytics/part-1")
            add("object", f"{arn}/restored/part-1")
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
        log_group = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/eks/{cluster}/cluster"
        add("log-group", log_group)
        add("log-stream", f"{log_group}:log-stream:kube-apiserver-{_id(self.deployment_id, 'stream', 32)}")
        # In the vendor's account: this deployment's state queue and billing prefix.
        add("queue", self.state_queue_arn)
        add("object", f"{BILLING_BUCKET}/{self.billing_prefix}/2025-01-01.json")
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
            spec=vendor_access(docs.BootstrapAccess(), self.names),
        )

    @cached_property
    def scope(self) -> docs.BootstrapScope:
        return bootstrap_scope(self.bootstrap_args, self.zone_arn)

    def workload_documents(self, kms: bool = True) -> dict[str, dict]:
        """Every workload role's permission document, by role purpose (as `components.iam` builds them)."""
        key = self.data_key_arn if kms else None
        buckets = self.bucket_arns
        return {
            "vpc-cni": docs.vpc_cni_policy(self.vpc_arn, self.deployment_id),
            "ebs-csi": docs.ebs_csi_policy(key, self.deployment_id),
            "load-balancer-controller": docs.load_balancer_controller_policy(
                self.cluster, self.vpc_arn, self.load_balancer_names
            ),
            "external-dns": docs.external_dns_policy(self.zone_arn),
            "cert-manager": docs.cert_manager_policy(self.zone_arn),
            "cluster-autoscaler": docs.cluster_autoscaler_policy(self.cluster),
            "thanos": docs.thanos_policy(buckets["monitoring"], key),
            "clickhouse-analytics": docs.clickhouse_server_policy(buckets["data"], buckets["backup"], "analytics", key),
            # A service restoring another service's backup (`services[].restoreFrom`).
            "clickhouse-restored": with_restore_source(
                docs.clickhouse_server_policy(buckets["data"], buckets["backup"], "restored", key),
                buckets["backup"],
                "analytics",
            ),
            "state-exporter": docs.state_exporter_policy(self.state_queue_arn),
            "billing-scraper": docs.billing_scraper_policy(BILLING_BUCKET, self.billing_prefix),
            "data-plane-mgmt": docs.data_plane_mgmt_policy(self.scope.cluster_arn),
            "troubleshooting": docs.troubleshooting_policy(ACCOUNT, REGION, self.cluster, UNTIL),
        }

    def vendor_documents(self) -> dict[str, list[dict]]:
        """The bootstrap role (full, every toggle) and the boundary alone (the ceiling of the roles
        the vendor creates: what such a role could do with an allow-everything policy)."""
        full = docs.BootstrapAccess(mode="full", vpc_write=True, iam_write=True, kms=True)
        return {
            "bootstrap": list(docs.bootstrap_policies(self.scope, full).values()),
            "boundary": [docs.boundary_policy(self.scope)],
        }


# -- resources of no deployment ------------------------------------------------------------------

STRANGER_VPC = f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/vpc-0a0a0a0a0a0a0a0a0"
OTHER_CLUSTER = "payments-eks"


def unowned() -> tuple[Entry, ...]:
    """Resources in the same account that belong to no deployment, with what AWS sees on them: a
    volume and a snapshot from before the deployment tag existed (only the driver's tags), another
    cluster's controller-made load balancer and target group and one without any tag, instances
    of another cluster or of nobody, and whatever else a deployment's documents name (an untagged
    key, a role outside any path, someone's bucket)."""
    out: list[Entry] = []

    def add(kind: str, arn: str, tags: dict[str, str] | None = None, **keys: str) -> None:
        out.append(Entry(kind, Resource(arn, dict(tags or {}), dict(keys))))

    def ec2(kind: str, name: str) -> str:
        account = "" if kind == "snapshot" else ACCOUNT
        return f"arn:aws:ec2:{REGION}:{account}:{kind}/{name}"

    vpc = {"ec2:Vpc": STRANGER_VPC}
    driver = {"ebs.csi.aws.com/cluster": "true", "CSIVolumeName": "pvc-0ld"}
    claim = {
        "kubernetes.io/created-for/pvc/name": "data-chi-0",
        "kubernetes.io/created-for/pvc/namespace": "clickhouse",
        "kubernetes.io/created-for/pv/name": "pvc-0ld",
    }
    gp3 = {"ec2:VolumeType": "gp3"}
    # The EBS CSI driver's volumes and snapshots from before the deployment tag: its own tags only.
    add("volume", ec2("volume", "vol-0before0tag0000"), {**driver, **claim}, **gp3)
    add(
        "volume",
        ec2("volume", "vol-0other0cluster0"),
        {**driver, f"kubernetes.io/cluster/{OTHER_CLUSTER}": "owned"},
        **gp3,
    )
    add("volume", ec2("volume", "vol-0untagged00000"), {}, **gp3)
    add("volume", ec2("volume", "vol-0empty0deploy0"), {"clickhouse-byoc/deployment": ""}, **gp3)
    add(
        "snapshot",
        ec2("snapshot", "snap-0before0tag00"),
        {"ebs.csi.aws.com/cluster": "true", "CSIVolumeSnapshotName": "snapcontent-0ld"},
    )
    add("snapshot", ec2("snapshot", "snap-0untagged0000"))
    # Instances of another cluster and of nobody, and their network.
    add(
        "instance",
        ec2("instance", "i-0other0cluster00"),
        {f"kubernetes.io/cluster/{OTHER_CLUSTER}": "owned", "aws:eks:cluster-name": OTHER_CLUSTER},
    )
    add("instance", ec2("instance", "i-0untagged000000"))
    for kind, name in (
        ("vpc", "vpc-0a0a0a0a0a0a0a0a0"),
        ("subnet", "subnet-0a0a0a0a0a0a0a0"),
        ("route-table", "rtb-0a0a0a0a0a0a0a0a0"),
        ("internet-gateway", "igw-0a0a0a0a0a0a0a0a0"),
        ("natgateway", "nat-0a0a0a0a0a0a0a0a0"),
        ("elastic-ip", "eipalloc-0a0a0a0a0a0a0a0"),
        ("vpc-endpoint", "vpce-0a0a0a0a0a0a0a0a0"),
        ("launch-template", "lt-0a0a0a0a0a0a0a0a0"),
        ("security-group", "sg-0a0a0a0a0a0a0a0a0"),
        ("network-interface", "eni-0a0a0a0a0a0a0a0a0"),
    ):
        add(kind, ec2(kind, name), {}, **vpc)
    add("security-group", ec2("security-group", "sg-0other0cluster0"), {"aws:eks:cluster-name": OTHER_CLUSTER}, **vpc)
    add("security-group", ec2("security-group", "sg-0other0lbc00000"), {LBC_TAG: OTHER_CLUSTER}, **vpc)
    add(
        "network-interface",
        ec2("network-interface", "eni-0other0cni0000"),
        {"node.k8s.amazonaws.com/instance_id": "i-0other0cluster00"},
        **vpc,
    )
    # Load balancers and target groups another cluster's controller made, and ones without any tag.
    elb = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}"
    for name, tags in (("k8s-payments-ingress", {LBC_TAG: OTHER_CLUSTER}), ("k8s-untagged-nlb", {})):
        add("loadbalancer", f"{elb}:loadbalancer/net/{name}/0a0a0a0a0a0a0a0a", tags)
        add("targetgroup", f"{elb}:targetgroup/{name[:20]}/0b0b0b0b0b0b0b0b", tags)
        add("listener", f"{elb}:listener/net/{name}/0a0a0a0a0a0a0a0a/0c0c0c0c0c0c0c0c")
        add("listener-rule", f"{elb}:listener-rule/net/{name}/0a0a0a0a0a0a0a0a/0c0c0c0c0c0c0c0c/0d0d0d0d0d0d0d0d")
    eks = f"arn:aws:eks:{REGION}:{ACCOUNT}"
    add("cluster", f"{eks}:cluster/{OTHER_CLUSTER}")
    add("nodegroup", f"{eks}:nodegroup/{OTHER_CLUSTER}/workers/0a0a")
    add("addon", f"{eks}:addon/{OTHER_CLUSTER}/coredns/0a0a")
    add("podidentityassociation", f"{eks}:podidentityassociation/{OTHER_CLUSTER}/a-0a0a")
    add(
        "autoScalingGroup",
        f"arn:aws:autoscaling:{REGION}:{ACCOUNT}:autoScalingGroup:0a0a:autoScalingGroupName/eks-{OTHER_CLUSTER}-workers",
        {f"k8s.io/cluster-autoscaler/{OTHER_CLUSTER}": "owned", "k8s.io/cluster-autoscaler/enabled": "true"},
    )
    add("role", f"arn:aws:iam::{ACCOUNT}:role/Admin")
    add("role", f"arn:aws:iam::{ACCOUNT}:role/service/payments-irsa")
    add("policy", f"arn:aws:iam::{ACCOUNT}:policy/AdminAccess")
    add("key", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0a0a0a0a-0a0a-0a0a-0a0a-0a0a0a0a0a0a")
    add("alias", f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/payments")
    add("bucket", f"arn:aws:s3:::payments-data-{ACCOUNT}")
    add("object", f"arn:aws:s3:::payments-data-{ACCOUNT}/ledger/2025.parquet")
    add("hostedzone", "arn:aws:route53:::hostedzone/Z0A0A0A0A0A0A0A0A0A0A")
    add("log-group", f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/eks/{OTHER_CLUSTER}/cluster")
    add(
        "log-stream",
        f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/eks/{OTHER_CLUSTER}/cluster:log-stream:kube-apiserver-0a0a",
    )
    add("queue", f"arn:aws:sqs:{REGION}:{VENDOR}:byoc-state-shared")
    return tuple(out)
