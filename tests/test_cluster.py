"""The EKS layer under the mocks: cluster settings, node groups, add-ons and their IRSA roles."""

from __future__ import annotations

import json

import pytest

from components import cluster as cl
from components.k8s_conventions import SERVICE_ACCOUNTS
from tests.conftest import mock_id, run_offline

CLUSTER = "ClickHouse-cloud-prod-cluster"


@pytest.fixture(scope="module")
def stack():
    return run_offline(stack="prod")


@pytest.fixture(scope="module")
def stack_with_pods():
    return run_offline({"podCidr": "100.64.0.0/16", "clusterEndpoint": '{"public": false}'}, stack="prod")


def test_cluster_name_version_endpoint_encryption_logs(stack):
    (eks,) = stack.by_type("eks:index:Cluster")
    i = eks["inputs"]
    assert i["name"] == "ClickHouse-cloud-prod"
    assert i["version"] == "1.35"
    assert i["endpointPrivateAccess"] is True and i["endpointPublicAccess"] is True
    assert i["publicAccessCidrs"] == ["203.0.113.0/24"]
    assert i["encryptionConfigKeyArn"].startswith("arn:aws:kms:us-west-2:123456789012:key/")
    assert i["enabledClusterLogTypes"] == ["api", "audit", "authenticator"]
    assert i["createOidcProvider"] is True and i["authenticationMode"] == "API"
    assert i["skipDefaultNodeGroup"] is True and i["useDefaultVpcCni"] is True
    assert i["deletionProtection"] is True
    private = [mock_id(r) for r in stack.by_type("aws:ec2/subnet:Subnet") if "-private-" in r["name"]]
    assert sorted(i["privateSubnetIds"]) == sorted(private) and len(private) == 3


def test_private_only_endpoint(stack_with_pods):
    (eks,) = stack_with_pods.by_type("eks:index:Cluster")
    assert eks["inputs"]["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in eks["inputs"]


def test_access_entries_for_the_vendor_roles(stack):
    (eks,) = stack.by_type("eks:index:Cluster")
    entries = eks["inputs"]["accessEntries"]
    mgmt = entries["data-plane-mgmt"]
    assert mgmt["principalArn"].endswith(":role/ClickHouse-cloud-prod-data-plane-mgmt")
    (policy,) = mgmt["accessPolicies"].values()
    assert policy["policyArn"] == cl.EDIT_POLICY
    assert policy["accessScope"] == {"type": "namespace", "namespaces": list(cl.DATA_PLANE_NAMESPACES)}
    assert "troubleshooting" not in entries  # no troubleshootingAccess.until in this stack


def test_node_groups_one_per_zone_with_labels_taints_and_sizes(stack):
    groups = {g["inputs"]["nodeGroupName"]: g["inputs"] for g in stack.by_type("aws:eks/nodeGroup:NodeGroup")}
    assert sorted(groups) == [f"ClickHouse-cloud-prod-{kind}-{z}" for kind in ("clickhouse", "system") for z in "abc"]
    for zone in "abc":
        system, ch = groups[f"ClickHouse-cloud-prod-system-{zone}"], groups[f"ClickHouse-cloud-prod-clickhouse-{zone}"]
        # The instance type is in the launch template (a new version rolls the group in place);
        # `instanceTypes` is replace-on-change, so the groups never set it.
        assert "instanceTypes" not in system and "instanceTypes" not in ch
        assert system["version"] == "1.35" and ch["version"] == "1.35"
        assert system["scalingConfig"] == {"minSize": 1, "maxSize": 1, "desiredSize": 1}
        assert system["labels"] == {"byoc/node-role": "system"}
        assert system["taints"] == [{"key": "CriticalAddonsOnly", "value": "true", "effect": "NO_SCHEDULE"}]
        assert ch["scalingConfig"] == {"minSize": 0, "maxSize": 5, "desiredSize": 0}
        assert ch["labels"] == {"byoc/node-role": "clickhouse"}
        assert ch["taints"] == [{"key": "dedicated", "value": "clickhouse", "effect": "NO_SCHEDULE"}]
        assert len(system["subnetIds"]) == 1 and len(ch["subnetIds"]) == 1
        assert system["subnetIds"] == ch["subnetIds"]
        tags = ch["tags"]
        assert tags["k8s.io/cluster-autoscaler/enabled"] == "true"
        assert tags["k8s.io/cluster-autoscaler/ClickHouse-cloud-prod"] == "owned"
        assert tags["k8s.io/cluster-autoscaler/node-template/label/byoc/node-role"] == "clickhouse"
        assert tags["k8s.io/cluster-autoscaler/node-template/taint/dedicated"] == "clickhouse:NoSchedule"
        assert tags["k8s.io/cluster-autoscaler/node-template/label/topology.kubernetes.io/zone"] == f"us-west-2{zone}"
        assert ch["nodeRoleArn"].endswith(":role/ClickHouse-cloud-prod-k8s-worker")
    zones_subnets = {groups[f"ClickHouse-cloud-prod-system-{z}"]["subnetIds"][0] for z in "abc"}
    assert len(zones_subnets) == 3


def test_only_autoscaled_groups_ignore_desired_size_drift(stack):
    groups = stack.by_type("aws:eks/nodeGroup:NodeGroup")
    assert all(g["inputs"]["amiType"] == "AL2023_x86_64_STANDARD" for g in groups)
    for group in groups:
        sizes = group["inputs"]["scalingConfig"]
        if "-system-" in group["name"]:
            # Fixed-size: every size is the program's, so a size change can never leave
            # desired outside [min, max].
            assert group["ignoreChanges"] == [] and sizes["minSize"] == sizes["maxSize"]
        else:
            assert group["ignoreChanges"] == ["scalingConfig.desiredSize"] and sizes["minSize"] == 0


def test_launch_templates_require_imdsv2_and_encrypt_root(stack):
    templates = {t["inputs"]["name"]: t["inputs"] for t in stack.by_type("aws:ec2/launchTemplate:LaunchTemplate")}
    assert sorted(templates) == ["ClickHouse-cloud-prod-clickhouse", "ClickHouse-cloud-prod-system"]
    assert templates["ClickHouse-cloud-prod-system"]["instanceType"] == "m5.xlarge"
    assert templates["ClickHouse-cloud-prod-clickhouse"]["instanceType"] == "r6i.4xlarge"
    for lt in templates.values():
        assert lt["metadataOptions"]["httpTokens"] == "required"
        assert lt["metadataOptions"]["httpPutResponseHopLimit"] == 1
        (disk,) = lt["blockDeviceMappings"]
        assert disk["ebs"]["volumeType"] == "gp3" and disk["ebs"]["encrypted"] == "true"
        kinds = {spec["resourceType"]: spec["tags"] for spec in lt["tagSpecifications"]}
        assert (
            kinds["instance"]["clickhouse-byoc"] == "true" and kinds["volume"]["clickhouse-byoc/deployment"] == "prod"
        )


def test_managed_addons_and_their_irsa_roles(stack):
    addons = {a["inputs"]["addonName"]: a for a in stack.by_type("aws:eks/addon:Addon")}
    assert sorted(addons) == ["aws-ebs-csi-driver", "coredns", "kube-proxy", "vpc-cni"]
    cni = json.loads(addons["vpc-cni"]["inputs"]["configurationValues"])
    # The network policy agent enforces the ClickHouse namespace's NetworkPolicies.
    assert cni["enableNetworkPolicy"] == "true"
    assert cni["env"]["ENABLE_PREFIX_DELEGATION"] == "true"
    assert "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG" not in cni["env"]
    assert addons["vpc-cni"]["inputs"]["serviceAccountRoleArn"].endswith(":role/ClickHouse-cloud-prod-vpc-cni")
    assert addons["aws-ebs-csi-driver"]["inputs"]["serviceAccountRoleArn"].endswith(
        ":role/ClickHouse-cloud-prod-ebs-csi"
    )
    coredns = json.loads(addons["coredns"]["inputs"]["configurationValues"])
    assert coredns["tolerations"][0]["key"] == "CriticalAddonsOnly"
    # kube-proxy, coredns and the CSI driver wait for every node group (on a version bump the
    # kubelets move before kube-proxy); the nodes wait for vpc-cni only.
    group_urns = {g["urn"] for g in stack.by_type("aws:eks/nodeGroup:NodeGroup")}
    for later in ("kube-proxy", "coredns", "aws-ebs-csi-driver"):
        assert group_urns <= set(addons[later]["dependencies"])
    for g in stack.by_type("aws:eks/nodeGroup:NodeGroup"):
        assert addons["vpc-cni"]["urn"] in g["dependencies"]
        assert addons["kube-proxy"]["urn"] not in g["dependencies"]
    (eks,) = stack.by_type("eks:index:Cluster")
    assert eks["inputs"]["bootstrapSelfManagedAddons"] is True
    roles = {r["inputs"]["name"]: r for r in stack.by_type("aws:iam/role:Role")}
    trust = json.loads(roles["ClickHouse-cloud-prod-vpc-cni"]["inputs"]["assumeRolePolicy"])
    cond = trust["Statement"][0]["Condition"]["StringEquals"]
    ns, sa = SERVICE_ACCOUNTS["vpc-cni"]
    assert any(k.endswith(":sub") and v == f"system:serviceaccount:{ns}:{sa}" for k, v in cond.items())
    assert any(k.endswith(":aud") and v == "sts.amazonaws.com" for k, v in cond.items())


def test_custom_networking_with_pod_subnets(stack_with_pods):
    addons = {a["inputs"]["addonName"]: a for a in stack_with_pods.by_type("aws:eks/addon:Addon")}
    env = json.loads(addons["vpc-cni"]["inputs"]["configurationValues"])["env"]
    assert env["AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG"] == "true"
    assert env["ENI_CONFIG_LABEL_DEF"] == "topology.kubernetes.io/zone"
    configs = {
        c["inputs"]["metadata"]["name"]: c
        for c in stack_with_pods.by_type("kubernetes:crd.k8s.amazonaws.com/v1alpha1:ENIConfig")
    }
    assert sorted(configs) == ["us-west-2a", "us-west-2b", "us-west-2c"]
    pod_subnets = {r["name"]: r for r in stack_with_pods.by_type("aws:ec2/subnet:Subnet") if "-pods-" in r["name"]}
    assert len(pod_subnets) == 3
    for cfg in configs.values():
        assert cfg["inputs"]["spec"]["subnet"].startswith("subnet-")
        assert cfg["inputs"]["spec"]["securityGroups"][0].startswith("sg-")
    assert len({c["inputs"]["spec"]["subnet"] for c in configs.values()}) == 3
    for g in stack_with_pods.by_type("aws:eks/nodeGroup:NodeGroup"):
        assert {c["urn"] for c in configs.values()} <= set(g["dependencies"])


def test_kubernetes_provider_from_the_cluster_kubeconfig(stack):
    (provider,) = stack.by_type("pulumi:providers:kubernetes")
    assert provider["inputs"]["kubeconfig"] == "[secret]"
    k8s_resources = [r for r in stack.resources if r["type"].startswith("kubernetes:")]
    assert k8s_resources and all(r["provider"] == provider["urn"] for r in k8s_resources)


def test_autoscaler_tags_builder():
    tags = cl.autoscaler_tags("c", {"a/b": "x"}, {"key": "k", "value": "v", "effect": "NoSchedule"}, "z1")
    assert tags["k8s.io/cluster-autoscaler/node-template/label/a/b"] == "x"
    assert tags["k8s.io/cluster-autoscaler/node-template/taint/k"] == "v:NoSchedule"
    assert cl.eks_taint({"key": "k", "value": "v", "effect": "NoSchedule"})["effect"] == "NO_SCHEDULE"


def test_clickhouse_groups_auto_scaling_groups_carry_the_node_template(stack):
    tags = stack.by_type("aws:autoscaling/tag:Tag")
    by_group: dict[str, dict[str, str]] = {}
    for t in tags:
        by_group.setdefault(t["inputs"]["autoscalingGroupName"], {})[t["inputs"]["tag"]["key"]] = t["inputs"]["tag"]
    assert len(by_group) == 3  # the three ClickHouse groups; the fixed-size system groups need none
    zones = set()
    for group, group_tags in by_group.items():
        assert group.startswith("eks-ClickHouse-cloud-prod-clickhouse-")
        prefix = "k8s.io/cluster-autoscaler/node-template"
        assert group_tags[f"{prefix}/label/byoc/node-role"]["value"] == "clickhouse"
        assert group_tags[f"{prefix}/taint/dedicated"]["value"] == "clickhouse:NoSchedule"
        assert all(t["propagateAtLaunch"] is False for t in group_tags.values())
        zones.add(group_tags[f"{prefix}/label/topology.kubernetes.io/zone"]["value"])
    assert zones == {"us-west-2a", "us-west-2b", "us-west-2c"}


def test_data_plane_mgmt_reaches_the_reconciled_custom_resources_in_its_namespaces():
    from components import access

    result = run_offline({"services": '[{"name": "analytics"}]'}, stack="prod")
    (eks,) = result.by_type("eks:index:Cluster")
    assert eks["inputs"]["accessEntries"]["data-plane-mgmt"]["kubernetesGroups"] == [access.DATA_PLANE_GROUP]
    (role,) = result.by_type("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole")
    groups = {g for rule in role["inputs"]["rules"] for g in rule["apiGroups"]}
    assert groups == {
        "clickhouse.altinity.com",
        "clickhouse-keeper.altinity.com",
        "networking.istio.io",
        "cert-manager.io",
    }
    assert all("*" not in rule["verbs"] and "*" not in rule["resources"] for rule in role["inputs"]["rules"])
    bindings = {
        b["inputs"]["metadata"]["namespace"]: b
        for b in result.by_type("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding")
    }
    assert sorted(bindings) == sorted(cl.DATA_PLANE_NAMESPACES)
    namespaces = {n["inputs"]["metadata"]["name"]: n["urn"] for n in result.by_type("kubernetes:core/v1:Namespace")}
    for ns, binding in bindings.items():
        assert binding["inputs"]["subjects"] == [
            {"kind": "Group", "name": access.DATA_PLANE_GROUP, "apiGroup": "rbac.authorization.k8s.io"}
        ]
        assert binding["inputs"]["roleRef"]["name"] == access.CLUSTER_ROLE
        assert namespaces[ns] in binding["dependencies"]
