"""Every Helm release rendered with its exact values against its vendored chart, and every object
the program or its charts create validated strictly, then checked for fit on the cluster.

The releases and objects are read from what the program registers (the dev stack under the mocks,
and variants that change chart values), so the checks follow the program, whatever module builds
them. A release without a vendored chart of the same name and version fails here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests import references as ref
from tests import scrape
from tests.conftest import mock_id
from tools import stackconfig
from tools.mocks import SECRET
from tools.synth import SynthResult, synthesize

NS = "clickhouse-byoc"
RELEASE = "kubernetes:helm.sh/v3:Release"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
ROLE = "aws:iam/role:Role"
IRSA = "eks.amazonaws.com/role-arn"
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet"}
# Namespaces every cluster has.
SYSTEM_NAMESPACES = {"default", "kube-system", "kube-public", "kube-node-lease"}
TAINT_EFFECTS = {"NO_SCHEDULE": "NoSchedule", "NO_EXECUTE": "NoExecute", "PREFER_NO_SCHEDULE": "PreferNoSchedule"}


def _services(raw: dict[str, str], **changes: Any) -> str:
    return json.dumps([{**svc, **changes} for svc in json.loads(raw[f"{NS}:services"])])


def _variant(changes: dict[str, Any]) -> stackconfig.StackConfig:
    cfg = stackconfig.load_stack("dev")
    raw = dict(cfg.raw)
    for key, value in changes.items():
        full = f"{NS}:{key}"
        if value is None:
            raw.pop(full, None)
        else:
            raw[full] = value(raw) if callable(value) else value
    return stackconfig.StackConfig(cfg.project, cfg.stack, raw, cfg.secret_keys, cfg.placeholders)


# The dev stack, and variants that change what the releases and objects look like.
VARIANTS = {
    "dev": {},
    # No public gateway; pods in their own range (ENIConfig per zone).
    "private-pods": {"publicEndpoint": '{"enabled": false}', "ipAllowList": None, "podCidr": "100.64.0.0/16"},
    # The MySQL interface on two services, each on its own port (analytics' derived from its name,
    # 13337; the second one's explicit); the second one is restored from the first (the restore Job).
    # Every way in that the other ports have: a pod range, a peering, PrivateLink.
    "mysql": {
        "services": lambda raw: json.dumps(
            [
                *json.loads(_services(raw, mysqlInterface=True)),
                {
                    "name": "restored",
                    "restoreFrom": {"service": "analytics"},
                    "mysqlInterface": True,
                    "mysqlPort": 3306,
                },
            ]
        ),
        "podCidr": "100.64.0.0/16",
        "peerings": json.dumps([{"name": "corp", "cidr": "10.20.0.0/16", "vpcId": "vpc-0123456789abcdef0"}]),
        "privateLink": json.dumps({"enabled": True, "allowedPrincipals": ["arn:aws:iam::210987654321:root"]}),
    },
}


@dataclass
class Stack:
    """One synth: the releases' rendered objects and the objects the program creates."""

    synth: SynthResult
    rendered: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Release record name -> the objects it installs (namespace filled in as Helm does)."""
    created: list[dict[str, Any]] = field(default_factory=list)
    """Kubernetes objects the program registers itself (secret values left out)."""
    secret_fields: list[str] = field(default_factory=list)
    crds: ref.CrdIndex = field(default_factory=lambda: ref.CrdIndex([]))
    """The CRDs the releases and add-ons install."""

    @property
    def releases(self) -> list[dict[str, Any]]:
        return self.synth.by_type(RELEASE)

    def all_objects(self) -> list[tuple[str, dict[str, Any]]]:
        out = [(f"release {name}", obj) for name, objs in self.rendered.items() for obj in objs]
        return out + [("program", obj) for obj in self.created]


def _without_secrets(node: Any, path: str, found: list[str]) -> Any:
    """The object as the provider sends it, minus values only known at deploy time (`[secret]`)."""
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if v == SECRET:
                found.append(f"{path}.{k}")
            else:
                out[k] = _without_secrets(v, f"{path}.{k}", found)
        return out
    if isinstance(node, list):
        return [_without_secrets(v, f"{path}[{i}]", found) for i, v in enumerate(node)]
    return node


# Built-in kinds without a namespace (the rest of the built-in kinds used here are namespaced).
CLUSTER_SCOPED = {
    "Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "StorageClass",
    "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding", "IngressClass", "PriorityClass", "APIService", "PersistentVolume",
}  # fmt: skip


def _namespaced(stack: Stack, obj: dict[str, Any]) -> bool:
    if stack.crds.knows(obj["apiVersion"], obj["kind"]):
        return stack.crds.namespaced(obj["apiVersion"], obj["kind"])
    return obj["kind"] not in CLUSTER_SCOPED


def _build(changes: dict[str, Any]) -> Stack:
    stack = Stack(synthesize(_variant(changes)))
    for release in stack.releases:
        stack.rendered[release["name"]] = ref.render_release(release["inputs"])
    # The CRDs the releases install, and those of the EKS add-ons (vpc-cni's ENIConfig).
    crds = [o for objs in stack.rendered.values() for o in objs if o["kind"] == "CustomResourceDefinition"]
    crds += ref.addon_crds()
    stack.crds = ref.CrdIndex(crds)
    # On a redeploy every CRD is installed: a chart that asks for an API version sees them all.
    for release in stack.releases:
        inputs = release["inputs"]
        if ref.uses_api_versions(inputs["chart"], inputs["version"]):
            stack.rendered[release["name"]] = ref.render_release(inputs, ref.crd_api_versions(crds))
    for release in stack.releases:
        # Helm puts a namespaced object without a namespace into the release's namespace.
        for obj in stack.rendered[release["name"]]:
            if _namespaced(stack, obj):
                obj.setdefault("metadata", {}).setdefault("namespace", release["inputs"]["namespace"])
    for record in stack.synth.resources:
        if record["type"].startswith("kubernetes:") and record["type"] != RELEASE and record["custom"]:
            stack.created.append(_without_secrets(record["inputs"], record["name"], stack.secret_fields))
    return stack


_BUILT: dict[str, Stack] = {}


def _stack(variant: str) -> Stack:
    """Each variant is synthesized and rendered once per test run."""
    if variant not in _BUILT:
        _BUILT[variant] = _build(VARIANTS[variant])
    return _BUILT[variant]


@pytest.fixture(scope="module", autouse=True)
def _release_caches():
    # The rendered CRDs are large: let them go once this module is done.
    yield
    _BUILT.clear()
    _VALIDATED.clear()


@pytest.fixture(scope="module", params=list(VARIANTS))
def stack(request) -> Stack:
    return _stack(request.param)


@pytest.fixture(scope="module")
def dev() -> Stack:
    return _stack("dev")


# --- the releases and their charts ------------------------------------------------------------


def test_every_release_has_its_vendored_chart(stack):
    charts = {r["inputs"]["chart"] for r in stack.releases}
    assert {"base", "istiod", "gateway", "altinity-clickhouse-operator", "cert-manager"} <= charts
    assert {"aws-load-balancer-controller", "external-dns", "cluster-autoscaler"} <= charts
    for release in stack.releases:
        inputs = release["inputs"]
        chart = ref.load_yaml(ref.chart_dir(inputs["chart"], inputs["version"]) / "Chart.yaml")
        assert (chart["name"], chart["version"]) == (inputs["chart"], inputs["version"])
        # Subcharts as a packaged chart carries them: under charts/<name>, at a version the range allows.
        for dep in chart.get("dependencies") or []:
            sub = ref.chart_dir(inputs["chart"], inputs["version"]) / "charts" / dep["name"] / "Chart.yaml"
            assert sub.is_file(), f"{inputs['chart']}: vendor its subchart {dep['name']} {dep['version']} too"
            sub_version = ref.load_yaml(sub)["version"]
            wanted = dep["version"]
            assert (
                sub_version.startswith(wanted.removesuffix("*")) if wanted.endswith("*") else sub_version == wanted
            ), f"{inputs['chart']}: subchart {dep['name']} {sub_version} is not {wanted}"
        assert (ref.chart_dir(inputs["chart"], inputs["version"]) / "LICENSE").is_file()


def test_a_release_without_a_vendored_chart_fails():
    with pytest.raises(AssertionError, match=r"no vendored chart for Helm release istiod 9\.9\.9"):
        ref.chart_dir("istiod", "9.9.9")


def test_every_release_renders_workloads_or_crds(stack):
    for release in stack.releases:
        kinds = {o["kind"] for o in stack.rendered[release["name"]]}
        assert kinds & (WORKLOADS | {"CustomResourceDefinition"}), f"{release['name']} renders only {kinds}"


def test_values_the_chart_does_not_know_are_rejected_by_the_render(dev):
    import helm_python

    gateway = next(r for r in dev.releases if r["inputs"]["chart"] == "gateway")
    inputs = {**gateway["inputs"], "values": {**gateway["inputs"]["values"], "replicas": 3}}
    with pytest.raises(helm_python.HelmValuesError, match="replicas"):
        ref.render_release(inputs)


def test_the_render_sees_the_installed_crds_as_api_versions(dev):
    # The Istio gateway does not ask; kube-prometheus-stack, Falco, Fluent Bit and metrics-server do
    # (their ServiceMonitors and PodDisruptionBudgets follow the APIs the cluster has).
    (gateway,) = [r for r in dev.releases if r["name"].endswith("gateway-private")]
    crd_versions = ref.crd_api_versions(
        [o for objs in dev.rendered.values() for o in objs if o["kind"] == "CustomResourceDefinition"]
    )
    assert {"networking.istio.io/v1", "cert-manager.io/v1/Certificate", "clickhouse.altinity.com/v1"} <= set(
        crd_versions
    )
    assert ref.render_release(gateway["inputs"], crd_versions) == ref.render_release(gateway["inputs"])
    asking = {
        r["inputs"]["chart"]
        for r in dev.releases
        if ref.uses_api_versions(r["inputs"]["chart"], r["inputs"]["version"])
    }
    assert asking == {"kube-prometheus-stack", "falco", "metrics-server"}


def test_the_render_passes_kubernetes_135_and_the_api_versions_to_helm(tmp_path, monkeypatch):
    chart = tmp_path / "probe-0.1.0"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: probe\nversion: 0.1.0\n")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: probe\ndata:\n"
        "  kube: {{ .Capabilities.KubeVersion.Version | quote }}\n"
        '  istio: {{ .Capabilities.APIVersions.Has "networking.istio.io/v1" | quote }}\n'
        '  policy: {{ .Capabilities.APIVersions.Has "policy/v1" | quote }}\n'
    )
    monkeypatch.setattr(ref, "CHARTS", tmp_path)
    inputs = {"chart": "probe", "version": "0.1.0", "name": "p", "namespace": "ns", "values": {}}
    assert ref.uses_api_versions("probe", "0.1.0")
    (without,) = ref.render_release(inputs)
    (with_crds,) = ref.render_release(inputs, ("networking.istio.io/v1",))
    assert without["data"] == {"kube": "v1.35.0", "istio": "false", "policy": "true"}
    assert with_crds["data"]["istio"] == "true"


def test_the_render_uses_kubernetes_135_and_the_release_namespace(dev):
    (autoscaler,) = [r for r in dev.releases if r["inputs"]["chart"] == "cluster-autoscaler"]
    objs = dev.rendered[autoscaler["name"]]
    (deployment,) = [o for o in objs if o["kind"] == "Deployment"]
    assert deployment["metadata"]["namespace"] == autoscaler["inputs"]["namespace"]
    # The chart picks the autoscaler's API groups from `.Capabilities.KubeVersion`.
    assert ref.KUBE_VERSION == "v1.35.0"
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["image"].endswith(":v1.35.0")


# --- strict validation --------------------------------------------------------------------------


_VALIDATED: dict[str, list[str]] = {}
# Built-in specs the Altinity CRDs embed without a schema (`x-kubernetes-preserve-unknown-fields`):
# the operator copies them into the StatefulSets, PVCs and Services it creates, where the API server
# rejects (or silently drops) what Kubernetes does not know.
EMBEDDED = {
    "podTemplates": "io.k8s.api.core.v1.PodSpec",
    "volumeClaimTemplates": "io.k8s.api.core.v1.PersistentVolumeClaimSpec",
    "serviceTemplates": "io.k8s.api.core.v1.ServiceSpec",
}


def _embedded_errors(obj: dict[str, Any]) -> list[str]:
    if obj["kind"] not in ("ClickHouseInstallation", "ClickHouseKeeperInstallation"):
        return []
    out = []
    for section, definition in EMBEDDED.items():
        for template in obj["spec"].get("templates", {}).get(section) or []:
            where = f"spec.templates.{section}[{template['name']}].spec"
            out += [f"{where}.{e}" for e in ref.definition_errors(definition, template["spec"])]
    return out


def _errors(stack: Stack) -> tuple[list[str], dict[str, int]]:
    crds = stack.crds
    errors: list[str] = []
    counted: dict[str, int] = {}
    for origin, obj in stack.all_objects():
        what = f"{origin}: {obj['kind']} {obj.get('metadata', {}).get('namespace', '')}/{obj['metadata']['name']}"
        key = json.dumps(obj, sort_keys=True)
        if key not in _VALIDATED:  # the variants share most objects: each is validated once
            if crds.knows(obj["apiVersion"], obj["kind"]):
                _VALIDATED[key] = crds.errors(obj) + _embedded_errors(obj)
            elif ref.has_builtin_schema(obj["apiVersion"], obj["kind"]):
                _VALIDATED[key] = ref.builtin_errors(obj)
            else:
                _VALIDATED[key] = [f"no schema for {obj['apiVersion']} {obj['kind']}: not built in, no CRD installs it"]
        errors += [f"{what}: {e}" for e in _VALIDATED[key]]
        counted[obj["kind"]] = counted.get(obj["kind"], 0) + 1
    return errors, counted


def test_every_object_validates_strictly(stack):
    errors, counted = _errors(stack)
    assert not errors, "\n".join(errors)
    assert sum(counted.values()) > 100


def test_the_program_objects_are_all_covered(stack):
    crds = stack.crds
    kinds = {o["kind"] for o in stack.created}
    custom = {o["kind"] for o in stack.created if crds.knows(o["apiVersion"], o["kind"])}
    assert {"StorageClass", "Namespace", "Secret", "ServiceAccount", "ClusterRole", "RoleBinding", "CronJob"} <= kinds
    assert {"ClickHouseInstallation", "ClickHouseKeeperInstallation", "Certificate", "ClusterIssuer"} <= custom
    assert {"Gateway", "VirtualService"} <= custom
    # Secret values are only known at deploy time: the only fields left out of the validation.
    assert all(".stringData" in f for f in stack.secret_fields), stack.secret_fields


def test_pod_range_creates_eniconfigs_that_validate():
    stack = _stack("private-pods")
    eni = [o for o in stack.created if o["kind"] == "ENIConfig"]
    assert len(eni) == 3
    crds = stack.crds
    for obj in eni:
        assert crds.errors(obj) == []
    bad = {**eni[0], "spec": {**eni[0]["spec"], "securityGroup": ["sg-1"]}}
    assert any("'securityGroup' was unexpected" in e for e in crds.errors(bad))


def test_the_program_sets_a_namespace_exactly_on_namespaced_objects(stack):
    for obj in stack.created:
        has = "namespace" in obj["metadata"]
        assert has == _namespaced(stack, obj), f"{obj['kind']} {obj['metadata']['name']}: namespace {has}"


def test_strict_validation_rejects_unknown_and_mistyped_fields(dev):
    crds = dev.crds
    (chi,) = [o for o in dev.created if o["kind"] == "ClickHouseInstallation"]
    bad = json.loads(json.dumps(chi))
    bad["spec"]["configuration"]["clusters"][0]["layout"]["replicas"] = 2
    assert any("replicas" in e for e in crds.errors(bad))
    (gateway,) = [o for o in dev.created if o["kind"] == "Gateway"][:1]
    bad = json.loads(json.dumps(gateway))
    bad["spec"]["servers"][0]["port"]["number"] = "8443"
    assert crds.errors(bad)
    (sc,) = [o for o in dev.created if o["kind"] == "StorageClass"]
    assert ref.builtin_errors({**sc, "reclaimPolicy": "Retain", "allowVolumeExpansion": "yes"})
    assert ref.builtin_errors({**sc, "volumeBindingMod": "WaitForFirstConsumer"})
    assert crds.errors({**chi, "metadata": {**chi["metadata"], "label": {}}})
    bad = json.loads(json.dumps(chi))
    bad["spec"]["templates"]["podTemplates"][0]["spec"]["nodeSelecter"] = {"byoc/node-role": "clickhouse"}
    assert _embedded_errors(chi) == []
    assert any("'nodeSelecter' was unexpected" in e for e in _embedded_errors(bad))


def test_schema_version_is_the_newest_not_after_the_pin():
    assert ref.schema_version() == "1.35.0"


# --- fit: nodes, service accounts, IRSA ---------------------------------------------------------


@dataclass(frozen=True)
class NodeGroup:
    name: str
    labels: dict[str, str]
    taints: tuple[dict[str, str], ...]


def _instance_type(stack: Stack, template_id: str) -> str:
    """The instance type a node group launches: its launch template's (the groups do not set one)."""
    (template,) = [t for t in stack.synth.by_type("aws:ec2/launchTemplate:LaunchTemplate") if mock_id(t) == template_id]
    return template["inputs"]["instanceType"]


def _node_groups(stack: Stack) -> list[NodeGroup]:
    out = []
    for record in stack.synth.by_type(NODE_GROUP):
        inputs = record["inputs"]
        arch = "arm64" if "ARM" in inputs.get("amiType", "") else "amd64"
        zone_tag = "k8s.io/cluster-autoscaler/node-template/label/topology.kubernetes.io/zone"
        labels = {
            # The labels the kubelet and EKS put on every node, then the group's own.
            "kubernetes.io/os": "linux",
            "kubernetes.io/arch": arch,
            "node.kubernetes.io/instance-type": _instance_type(stack, inputs["launchTemplate"]["id"]),
            "eks.amazonaws.com/nodegroup": inputs["nodeGroupName"],
            "eks.amazonaws.com/capacityType": inputs.get("capacityType", "ON_DEMAND"),
            "topology.kubernetes.io/zone": inputs.get("tags", {}).get(zone_tag, ""),
            **(inputs.get("labels") or {}),
        }
        taints = tuple(
            {"key": t["key"], "value": t.get("value", ""), "effect": TAINT_EFFECTS[t["effect"]]}
            for t in inputs.get("taints") or []
        )
        out.append(NodeGroup(inputs["nodeGroupName"], labels, taints))
    return out


def _tolerates(tolerations: list[dict[str, Any]], taint: dict[str, str]) -> bool:
    for tol in tolerations:
        if tol.get("effect") and tol["effect"] != taint["effect"]:
            continue
        if tol.get("operator", "Equal") == "Exists":
            if not tol.get("key") or tol["key"] == taint["key"]:
                return True
        elif tol.get("key") == taint["key"] and tol.get("value", "") == taint["value"]:
            return True
    return False


def _matches(expr: dict[str, Any], labels: dict[str, str]) -> bool:
    key, op, values = expr["key"], expr["operator"], expr.get("values") or []
    return {
        "In": key in labels and labels[key] in values,
        "NotIn": key not in labels or labels[key] not in values,
        "Exists": key in labels,
        "DoesNotExist": key not in labels,
    }[op]


def _fits(pod: dict[str, Any], group: NodeGroup) -> list[str]:
    """Why a pod cannot run on a group's nodes (empty: it can)."""
    why = []
    for key, value in (pod.get("nodeSelector") or {}).items():
        if group.labels.get(key) != value:
            why.append(f"nodeSelector {key}={value}")
    required = ((pod.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    )
    if required:
        terms = required["nodeSelectorTerms"]
        if not any(all(_matches(e, group.labels) for e in t.get("matchExpressions") or []) for t in terms):
            why.append("required node affinity")
    for taint in group.taints:
        if taint["effect"] != "PreferNoSchedule" and not _tolerates(pod.get("tolerations") or [], taint):
            why.append(f"taint {taint['key']}={taint['value']}:{taint['effect']}")
    return why


def _pod_templates(stack: Stack) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(what, kind, namespace, pod spec) of every workload: the charts' and the ClickHouse ones."""
    out = []
    for _, obj in stack.all_objects():
        meta = obj.get("metadata", {})
        if obj["kind"] in WORKLOADS:
            spec = obj["spec"]["template"]["spec"]
            out.append((f"{obj['kind']} {meta['namespace']}/{meta['name']}", obj["kind"], meta["namespace"], spec))
        elif obj["kind"] in ("ClickHouseInstallation", "ClickHouseKeeperInstallation"):
            for template in obj["spec"]["templates"].get("podTemplates") or []:
                what = f"{obj['kind']} {meta['namespace']}/{meta['name']} podTemplate {template['name']}"
                out.append((what, obj["kind"], meta["namespace"], template["spec"]))
    return out


def test_every_pod_lands_on_a_node_group(stack):
    groups = _node_groups(stack)
    assert {g.labels["byoc/node-role"] for g in groups} == {"system", "clickhouse"}
    pods = _pod_templates(stack)
    assert len(pods) >= 12
    problems = []
    for what, kind, _, spec in pods:
        fits = [g for g in groups if not _fits(spec, g)]
        if not fits:
            why = {g.labels["byoc/node-role"]: _fits(spec, g) for g in groups}
            problems.append(f"{what}: no node group fits: {why}")
        elif kind != "DaemonSet":
            roles = {g.labels["byoc/node-role"] for g in fits}
            assert len(roles) == 1, f"{what} may land on {roles}: pin it to one node role"
    assert not problems, "\n".join(problems)


def test_the_fit_check_catches_a_missing_toleration(dev):
    groups = _node_groups(dev)
    system = next(g for g in groups if g.labels["byoc/node-role"] == "system")
    pod = {"nodeSelector": {"byoc/node-role": "system"}}
    assert _fits(pod, system) == ["taint CriticalAddonsOnly=true:NoSchedule"]
    pod["tolerations"] = [{"key": "CriticalAddonsOnly", "operator": "Exists", "effect": "NoSchedule"}]
    assert _fits(pod, system) == []
    pod["nodeSelector"] = {"byoc/node-role": "clickhouse"}
    assert _fits(pod, system) == ["nodeSelector byoc/node-role=clickhouse"]


# --- what the capacity check counts -----------------------------------------------------------------

# The capacity check's workloads -> the rendered objects (kind, name) that are their pods. The EKS
# add-ons are installed by EKS, not rendered here: their requests are the add-ons' (their sources in
# components/settings/capacity.py).
CAPACITY_RENDERED = {
    "istiod": (("Deployment", "istiod"),),
    "private-gateway": (("Deployment", "istio-ingress-private"),),
    "public-gateway": (("Deployment", "istio-ingress"),),
    "keeper": (("ClickHouseKeeperInstallation", "shared"),),
    "clickhouse-operator": (("Deployment", "clickhouse-operator"),),
    "aws-load-balancer-controller": (("Deployment", "aws-load-balancer-controller"),),
    "external-dns": (("Deployment", "external-dns"),),
    "cert-manager": (
        ("Deployment", "cert-manager"),
        ("Deployment", "cert-manager-cainjector"),
        ("Deployment", "cert-manager-webhook"),
    ),
    "cluster-autoscaler": (("Deployment", "cluster-autoscaler-aws-cluster-autoscaler"),),
    "metrics-server": (("Deployment", "metrics-server"),),
    "prometheus": (("Prometheus", "kps-prometheus"),),
    "alertmanager": (("Alertmanager", "kps-alertmanager"),),
    "prometheus-operator": (("Deployment", "kps-operator"),),
    "kube-state-metrics": (("Deployment", "kube-prometheus-stack-kube-state-metrics"),),
    "grafana": (("Deployment", "kube-prometheus-stack-grafana"),),
    "thanos-query": (("Deployment", "thanos-query"),),
    "thanos-store": (("StatefulSet", "thanos-store"),),
    "thanos-compact": (("StatefulSet", "thanos-compact"),),
    "falcosidekick": (("Deployment", "falco-falcosidekick"),),
    "node-exporter": (("DaemonSet", "kube-prometheus-stack-prometheus-node-exporter"),),
    "falco": (("DaemonSet", "falco"),),
}
EKS_ADDONS = {"aws-node", "kube-proxy", "ebs-csi-node", "coredns", "ebs-csi-controller"}


def _pod_requests(containers: list[dict[str, Any]]) -> tuple[int, int]:
    """(CPU in millicores, memory in MiB) the containers request together."""
    from components import quantity

    cpu = memory = 0
    for c in containers:
        requests = (c.get("resources") or {}).get("requests") or {}
        cpu += int(quantity.parse(requests.get("cpu", "0")) * 1000)
        memory += int(quantity.parse(requests.get("memory", "0")) / 2**20)
    return cpu, memory


def _rendered_pods(stack: Stack) -> dict[tuple[str, str], tuple[int, tuple[int, int]]]:
    """(kind, name) -> (most pods, what each requests) of every object that makes pods: a DaemonSet's
    count is per node (1), an autoscaled workload's its autoscaler's maximum."""
    objects = [o for _, o in stack.all_objects()]
    autoscaled = {
        o["spec"]["scaleTargetRef"]["name"]: o["spec"]["maxReplicas"]
        for o in objects
        if o["kind"] == "HorizontalPodAutoscaler"
    }
    out = {}
    for o in objects:
        kind, name, spec = o["kind"], o["metadata"]["name"], o.get("spec") or {}
        if kind in ("Deployment", "StatefulSet", "DaemonSet"):
            count = 1 if kind == "DaemonSet" else autoscaled.get(name, spec.get("replicas", 1))
            out[(kind, name)] = (count, _pod_requests(spec["template"]["spec"]["containers"]))
        elif kind == "Prometheus":
            out[(kind, name)] = (spec["replicas"], _pod_requests([spec, spec["thanos"]]))
        elif kind == "Alertmanager":
            out[(kind, name)] = (spec["replicas"], _pod_requests([spec]))
        elif kind == "ClickHouseKeeperInstallation":
            (cluster,) = spec["configuration"]["clusters"]
            (template,) = spec["templates"]["podTemplates"]
            out[(kind, name)] = (cluster["layout"]["replicasCount"], _pod_requests(template["spec"]["containers"]))
    return out


def test_the_rendered_pods_request_what_the_capacity_check_counts(dev):
    # The layers' values and the capacity check read one table (components/pod_requests.py); this
    # proves it, and the chart defaults the check restates, against what the charts really render.
    from components.settings import capacity, parse

    cfg = stackconfig.load_stack("dev")
    settings = parse(cfg.raw, cfg.stack, cfg.secret_keys)
    counted = capacity.system_workloads(settings.clickhouse, settings.observability) + capacity.daemonsets(
        settings.observability
    )
    rendered = _rendered_pods(dev)
    assert {w.name for w in counted} == set(CAPACITY_RENDERED) | EKS_ADDONS
    # Every object that makes pods is counted: a chart's new workload cannot go unnoticed.
    claimed = {obj for objs in CAPACITY_RENDERED.values() for obj in objs}
    assert set(rendered) == claimed
    wrong = []
    for workload in counted:
        if workload.name in EKS_ADDONS:
            continue
        pods = [rendered[obj] for obj in CAPACITY_RENDERED[workload.name]]
        got = (sum(count for count, _ in pods), {requests for _, requests in pods})
        want = (workload.replicas, {(workload.requests.cpu_m, workload.requests.memory_mib)})
        if got != want:
            wrong.append(f"{workload.name}: rendered {got}, counted {want}")
    assert not wrong, "\n".join(wrong)


def _service_accounts(stack: Stack) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (o["metadata"]["namespace"], o["metadata"]["name"]): o
        for _, o in stack.all_objects()
        if o["kind"] == "ServiceAccount"
    }


def test_every_pod_service_account_exists(stack):
    accounts = _service_accounts(stack)
    missing = []
    for what, _, namespace, spec in _pod_templates(stack):
        name = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
        if name != "default" and (namespace, name) not in accounts:
            missing.append(f"{what}: service account {namespace}/{name} is neither rendered nor created")
    assert not missing, "\n".join(missing)


def test_every_namespace_exists(stack):
    namespaces = set(SYSTEM_NAMESPACES)
    namespaces |= {o["metadata"]["name"] for o in stack.created if o["kind"] == "Namespace"}
    namespaces |= {r["inputs"]["namespace"] for r in stack.releases if r["inputs"].get("createNamespace")}
    for release in stack.releases:
        assert release["inputs"]["namespace"] in namespaces, f"{release['name']}: namespace not created"
    missing = {
        f"{o['kind']} {o['metadata']['name']} in {o['metadata']['namespace']}"
        for _, o in stack.all_objects()
        if o.get("metadata", {}).get("namespace") and o["metadata"]["namespace"] not in namespaces
    }
    assert not missing, sorted(missing)


def _trusted_subjects(role: dict[str, Any]) -> set[str]:
    """`system:serviceaccount:<ns>:<name>` subjects a role's trust admits through its cluster's OIDC
    provider (`<issuer>:sub` with StringEquals, and `<issuer>:aud` = sts.amazonaws.com)."""
    policy = role["inputs"]["assumeRolePolicy"]
    if policy == SECRET:
        return set()
    doc = json.loads(policy)
    out: set[str] = set()
    for statement in doc["Statement"]:
        federated = (statement.get("Principal") or {}).get("Federated", "")
        if statement["Effect"] != "Allow" or statement["Action"] != "sts:AssumeRoleWithWebIdentity":
            continue
        issuer = federated.split(":oidc-provider/", 1)[1]
        equals = (statement.get("Condition") or {}).get("StringEquals") or {}
        if equals.get(f"{issuer}:aud") != "sts.amazonaws.com":
            continue
        sub = equals.get(f"{issuer}:sub")
        out |= set(sub) if isinstance(sub, list) else {sub} if sub else set()
    return out


def test_every_irsa_annotation_names_a_role_that_trusts_the_account(stack):
    roles = {r["inputs"]["name"]: r for r in stack.synth.by_type(ROLE)}
    annotated = 0
    for (namespace, name), account in _service_accounts(stack).items():
        arn = (account["metadata"].get("annotations") or {}).get(IRSA)
        if arn is None:
            continue
        annotated += 1
        role_name = arn.split(":role/", 1)[1]
        assert role_name in roles, f"{namespace}/{name}: {arn} is not a role of this stack"
        subjects = _trusted_subjects(roles[role_name])
        assert subjects == {f"system:serviceaccount:{namespace}:{name}"}, (
            f"{namespace}/{name}: role {role_name} trusts {subjects}"
        )
    # load-balancer controller, external-dns, cert-manager, cluster-autoscaler, one per service.
    assert annotated >= 5


def test_every_addon_role_trusts_the_addon_account(stack):
    roles = {r["inputs"]["name"]: r for r in stack.synth.by_type(ROLE)}
    accounts = {"vpc-cni": "kube-system:aws-node", "aws-ebs-csi-driver": "kube-system:ebs-csi-controller-sa"}
    for addon in stack.synth.by_type("aws:eks/addon:Addon"):
        arn = addon["inputs"].get("serviceAccountRoleArn")
        if arn is None:
            continue
        role = roles[arn.split(":role/", 1)[1]]
        assert _trusted_subjects(role) == {f"system:serviceaccount:{accounts[addon['inputs']['addonName']]}"}


def test_the_operator_reads_the_secret_the_program_creates(stack):
    (release,) = [r for r in stack.releases if r["inputs"]["chart"] == "altinity-clickhouse-operator"]
    (files,) = [
        o
        for o in stack.rendered[release["name"]]
        if o["kind"] == "ConfigMap" and "config.yaml" in (o.get("data") or {})
    ]
    access = ref.load_yaml_text(files["data"]["config.yaml"])["clickhouse"]["access"]
    # An empty namespace means the operator's own.
    namespace = access["secret"]["namespace"] or release["inputs"]["namespace"]
    assert not access["username"] and not access["password"], "credentials belong in the Secret"
    secrets = {(o["metadata"]["namespace"], o["metadata"]["name"]) for o in stack.created if o["kind"] == "Secret"}
    assert (namespace, access["secret"]["name"]) in secrets


def _gateway_ports(stack: Stack) -> dict[str, set[int]]:
    return {
        o["metadata"]["namespace"]: {p["port"] for p in o["spec"]["ports"]}
        for _, o in stack.all_objects()
        if o["kind"] == "Service" and o["spec"].get("type") == "LoadBalancer"
    }


def test_the_variants_change_what_the_charts_render(dev):
    private, mysql = _stack("private-pods"), _stack("mysql")
    assert set(_gateway_ports(dev)) == {"istio-ingress", "istio-ingress-private"}
    assert set(_gateway_ports(private)) == {"istio-ingress-private"}
    assert not [o for o in dev.created if o["kind"] == "ENIConfig"]
    assert all(ports == {15021, 8443, 9440} for ports in _gateway_ports(dev).values())
    # Both gateways (both NLBs): a listener per MySQL service, each its own port.
    assert all(ports == {15021, 8443, 9440, 13337, 3306} for ports in _gateway_ports(mysql).values())


# --- scrape targets -------------------------------------------------------------------------------

# Monitors whose targets are not among the objects rendered here, and why. Each still has to render
# (and validate, above); this only exempts the target check.
EXTERNAL_TARGETS = {
    "kps-kubelet": "the kubelets: a Service the Prometheus operator maintains itself (--kubelet-service)",
    "kps-apiserver": "the API server behind `default/kubernetes`, run by EKS",
    "kps-coredns": "the pods of the EKS CoreDNS add-on (`k8s-app: kube-dns`), not rendered here",
    "kps-prometheus": "Prometheus' pods, made by the Prometheus operator from the Prometheus resource",
    "kps-alertmanager": "AlertManager's pods, made by the Prometheus operator from the Alertmanager resource",
}


def _monitors(stack: Stack) -> list[dict[str, Any]]:
    return [o for _, o in stack.all_objects() if o["kind"] in ("PodMonitor", "ServiceMonitor")]


def test_every_monitor_scrapes_a_port_its_pods_declare(stack):
    """Each endpoint of every PodMonitor and ServiceMonitor, the program's and the charts', keeps at
    least one target among the pods the program and its charts create (the ClickHouse and Keeper pods
    as the Altinity operator builds them): prometheus-operator drops a port a pod does not declare."""
    objects = scrape.collect(o for _, o in stack.all_objects())
    problems, external = [], set()
    for monitor in _monitors(stack):
        name = monitor["metadata"]["name"]
        for endpoint in monitor["spec"].get("podMetricsEndpoints") or monitor["spec"]["endpoints"]:
            if monitor["kind"] == "PodMonitor":
                targets = scrape.pod_monitor_targets(monitor, endpoint, objects.pods)
            else:
                targets = scrape.service_monitor_targets(monitor, endpoint, objects)
            port = endpoint.get("port") or endpoint.get("portNumber")
            if name in EXTERNAL_TARGETS:
                external.add(name)
                assert not targets, f"{name} has targets here: drop it from EXTERNAL_TARGETS"
            elif not targets:
                problems.append(f"{monitor['kind']} {name}: no pod declares port {port!r}")
    assert problems == []
    assert external == set(EXTERNAL_TARGETS) & {m["metadata"]["name"] for m in _monitors(stack)}


def test_every_clickhouse_and_keeper_pod_is_a_target_on_its_prometheus_port(stack):
    objects = scrape.collect(o for _, o in stack.all_objects())
    monitors = {m["metadata"]["name"]: m for m in _monitors(stack)}
    for kind, monitor in (
        ("ClickHouseInstallation", "clickhouse"),
        ("ClickHouseKeeperInstallation", "clickhouse-keeper"),
    ):
        for installation in [o for o in stack.created if o["kind"] == kind]:
            pod = scrape.operator_pod(installation)
            (endpoint,) = monitors[monitor]["spec"]["podMetricsEndpoints"]
            ports = [port for _p, port in scrape.pod_monitor_targets(monitors[monitor], endpoint, [pod])]
            assert ports == [int(installation["spec"]["configuration"]["settings"]["prometheus/port"])], pod.source
        # The backup CronJobs' pods carry the installation label too, and declare no such port.
        others = [p for p in scrape.selected_pods(monitors[monitor], objects.pods) if not p.source.startswith(kind)]
        assert not [t for t in scrape.pod_monitor_targets(monitors[monitor], endpoint, others)]


# --- the MySQL interface end to end ---------------------------------------------------------------


def _created(stack: Stack, kind: str) -> list[dict[str, Any]]:
    return [o for o in stack.created if o["kind"] == kind]


def _listeners(stack: Stack) -> dict[str, dict[str, Any]]:
    """The rendered gateway Services (each port a listener of its NLB), by namespace."""
    return {
        o["metadata"]["namespace"]: o
        for _, o in stack.all_objects()
        if o["kind"] == "Service" and o["spec"].get("type") == "LoadBalancer"
    }


def test_each_mysql_service_has_its_own_port_end_to_end():
    # NLB listener (the rendered gateway Service), Gateway server, route, ClickHouse's Service port,
    # listener and TLS files, the certificate's names: per service, on both gateways.
    from components import clickhouse_specs
    from components.settings import parse

    stack = _stack("mysql")
    cfg = _variant(VARIANTS["mysql"])
    settings = parse(cfg.raw, cfg.stack)
    zone = settings.dns.zone_name
    ports = dict(settings.clickhouse.mysql_ports)
    assert ports == {"analytics": 13337, "restored": 3306}
    listeners = _listeners(stack)
    gateways = {o["metadata"]["namespace"]: o["spec"] for o in _created(stack, "Gateway")}
    routes = {o["metadata"]["name"]: o["spec"] for o in _created(stack, "VirtualService")}
    chis = {o["metadata"]["name"]: o["spec"] for o in _created(stack, "ClickHouseInstallation")}
    certs = {
        o["metadata"]["name"]: o["spec"]
        for o in _created(stack, "Certificate")
        if o["metadata"]["namespace"] == clickhouse_specs.conv.CLICKHOUSE_NAMESPACE
    }
    assert set(certs) == {clickhouse_specs.mysql_certificate_name(s) for s in ports}
    for service, port in ports.items():
        backend = clickhouse_specs.service_backend(service)
        hosts = {"public": f"{service}.{zone}", "private": f"{service}-private.{zone}"}
        for key, namespace in (("public", "istio-ingress"), ("private", "istio-ingress-private")):
            (listener,) = [p for p in listeners[namespace]["spec"]["ports"] if p["port"] == port]
            assert (listener["protocol"], listener["targetPort"]) == ("TCP", port)
            (server,) = [s for s in gateways[namespace]["servers"] if s["port"]["number"] == port]
            # Passed through: no TLS at the gateway, the one route on that port is the service's own.
            assert server["port"]["protocol"] == "TCP" and "tls" not in server
            assert server["hosts"] == [hosts[key]]
            route = routes[f"{service}-{key}"]
            assert route["hosts"] == [hosts[key]] and route["gateways"] == [f"{namespace}/clickhouse"]
            (tcp,) = [t for t in route["tcp"] if t["match"] == [{"port": port}]]
            assert tcp["route"] == [{"destination": {"host": backend, "port": {"number": 9004}}}]
            others = [r for n, r in routes.items() if n != f"{service}-{key}" and r["gateways"] == route["gateways"]]
            assert not [t for r in others for t in r.get("tcp", []) if t["match"] == [{"port": port}]]
        chi = chis[service]
        (template,) = chi["templates"]["serviceTemplates"]
        assert {"name": "mysql", "port": 9004, "targetPort": 9004} in template["spec"]["ports"]
        files = chi["configuration"]["files"]
        assert "<mysql_port>9004</mysql_port>" in files[clickhouse_specs.MYSQL_CONFIG_FILE]
        (pod,) = chi["templates"]["podTemplates"]
        (volume,) = [v for v in pod["spec"]["volumes"] if v["name"] == clickhouse_specs.MYSQL_TLS_VOLUME]
        cert = certs[clickhouse_specs.mysql_certificate_name(service)]
        assert volume["secret"]["secretName"] == cert["secretName"]
        # The certificate holds exactly the names the stack outputs and the docs tell clients to use.
        assert cert["dnsNames"] == [hosts["public"], hosts["private"]]
    # ClickHouse's MySQL port is open to the gateways (and nothing else from outside the namespace).
    (policy,) = [o for o in _created(stack, "NetworkPolicy") if o["metadata"]["name"] == "clickhouse-ingress"]
    from_gateways = [
        r for r in policy["spec"]["ingress"] if any("istio" in str(p.get("podSelector")) for p in r["from"])
    ]
    assert from_gateways and any({"protocol": "TCP", "port": 9004} in r["ports"] for r in from_gateways)


def test_mysql_ports_are_exposed_exactly_as_8443_and_9440_rule_by_rule():
    # The allow list, the private endpoint's security group (VPC, pod range, peering) and PrivateLink
    # treat every MySQL port as they treat 8443 and 9440: compared source by source.
    from components import ingress

    stack = _stack("mysql")
    listeners = _listeners(stack)
    mysql_ports = (13337, 3306)

    def sources(rules, port):
        return sorted((r[0], r[1], r[3]) for r in rules if r[2] == port)

    public = listeners["istio-ingress"]
    values = {
        "annotations": public["metadata"].get("annotations") or {},
        "loadBalancerSourceRanges": public["spec"].get("loadBalancerSourceRanges") or [],
        "ports": public["spec"]["ports"],
    }
    written = ingress.controller_security_group_rules(values)
    expected = sources(written, 8443)
    assert expected == [("ipv4", "tcp", "203.0.113.0/24")] == sources(written, 9440)
    for port in mysql_ports:
        assert sources(written, port) == expected
    rules = [
        (r["inputs"]["cidrIpv4"], r["inputs"]["ipProtocol"], r["inputs"]["fromPort"], r["inputs"]["toPort"])
        for r in stack.synth.by_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if "private-endpoint" in r["name"]
    ]
    groups = {
        r["inputs"]["securityGroupId"]
        for r in stack.synth.by_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if "private-endpoint" in r["name"]
    }
    assert len(groups) == 1

    def private_sources(port):
        return sorted((cidr, proto) for cidr, proto, low, high in rules if low == high == port)

    expected = private_sources(8443)
    assert expected == sorted([("10.0.0.0/22", "tcp"), ("100.64.0.0/16", "tcp"), ("10.20.0.0/16", "tcp")])
    assert private_sources(9440) == expected
    for port in mysql_ports:
        assert private_sources(port) == expected
    assert len(rules) == 3 * (2 + len(mysql_ports))
    # PrivateLink fronts the private NLB as a whole (every listener), its traffic admitted by the
    # endpoint service, not by port rules; the private Service carries the MySQL ports with the others.
    private = listeners["istio-ingress-private"]
    annotations = private["metadata"]["annotations"]
    assert annotations[f"{ingress.LB}-inbound-sg-rules-on-private-link-traffic"] == "off"
    assert {p["port"] for p in private["spec"]["ports"]} == {p["port"] for p in public["spec"]["ports"]}
    (endpoint_service,) = stack.synth.by_type("aws:ec2/vpcEndpointService:VpcEndpointService")
    assert len(endpoint_service["inputs"]["networkLoadBalancerArns"]) == 1
