"""Upstream references vendored in `tests/upstream/charts/` (see its SOURCES.md): the pinned chart of
every Helm release, the CRDs they install, and the strict validators built from them.

- `chart_dir(chart, version)`: a release's vendored chart; a release without one is an error, never a skip.
- `render_release(inputs, api_versions)`: a `kubernetes:helm.sh/v3:Release` record's inputs rendered
  offline by the Helm engine (`helm-python-sdk`) with Kubernetes 1.35 capabilities, as `helm install` would.
- `validate_builtin(obj)`: a built-in kind against the Kubernetes 1.35 OpenAPI schema
  (`kubernetes-validate`, strict: unknown fields are errors).
- `structural_to_jsonschema` / `crd_schema`: a CRD's `openAPIV3Schema` as the API server applies it.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from pathlib import Path
from typing import Any

import helm_python
import jsonschema
import kubernetes_validate
import yaml
from helm_python import _native
from kubernetes_validate import utils as kv_utils

from components import versions

CHARTS = Path(__file__).resolve().parent / "upstream" / "charts"
ISTIO_BASE, ISTIOD, ISTIO_GATEWAY, ALTINITY = (
    CHARTS / f"{pin.chart}-{pin.version}"
    for pin in (
        versions.ISTIO_BASE_CHART,
        versions.ISTIOD_CHART,
        versions.ISTIO_GATEWAY_CHART,
        versions.ALTINITY_OPERATOR_CHART,
    )
)
CHI_CRD = ALTINITY / "crds" / "CustomResourceDefinition-clickhouseinstallations.clickhouse.altinity.com.yaml"
CHK_CRD = (
    ALTINITY / "crds" / "CustomResourceDefinition-clickhousekeeperinstallations.clickhouse-keeper.altinity.com.yaml"
)
# The ENIConfig CRD comes with the EKS vpc-cni add-on, not with a Helm release.
ADDON_CRDS = (CHARTS / "aws-vpc-cni-v1.21.0" / "crds" / "customresourcedefinition.yaml",)

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# YAML 1.1 reads a bare `=` as the "value" tag, which PyYAML cannot construct; Kubernetes' YAML
# (1.2) reads it as the string "=" (the Prometheus operator's CRDs list it among match operators).
yaml.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node), Loader=_LOADER)
KUBE_VERSION = f"v{versions.KUBERNETES_VERSION}.0"
# Helm's manifest separator (releaseutil.SplitManifests): `---` at a line start, anything after it
# on the same line (e.g. `---# comment`) belongs to the next document.
_SEPARATOR = re.compile(r"(?:^|\s*\n)---\s*")


def chart_dir(chart: str, version: str) -> Path:
    """The vendored chart of a release; an AssertionError names what to vendor when it is missing."""
    path = CHARTS / f"{chart}-{version}"
    assert (path / "Chart.yaml").is_file(), (
        f"no vendored chart for Helm release {chart} {version}: add {path.relative_to(CHARTS.parent.parent)} "
        "(see tests/upstream/charts/SOURCES.md)"
    )
    return path


def load_json(path: Path) -> Any:
    return json.loads(path.read_text())


def load_yaml(path: Path) -> Any:
    return load_yaml_text(path.read_text())


def load_yaml_text(text: str) -> Any:
    return yaml.load(text, Loader=_LOADER)


def split_manifests(text: str) -> list[dict[str, Any]]:
    """Kubernetes objects of a rendered template, split as Helm splits them; `kind: List` is flattened."""
    out: list[dict[str, Any]] = []
    for part in _SEPARATOR.split(text):
        doc = yaml.load(part, Loader=_LOADER) if part.strip() else None
        if not doc:
            continue
        out.extend(doc.get("items") or [] if doc.get("kind") == "List" else [doc])
    return out


@functools.cache
def _chart(path: Path) -> helm_python.Chart:
    return helm_python.Chart.load(path)


def crd_api_versions(crds: list[dict[str, Any]]) -> tuple[str, ...]:
    """`group/version` and `group/version/Kind` of CRDs, as Helm's `.Capabilities.APIVersions` lists them."""
    out = set()
    for crd in crds:
        for v in crd["spec"]["versions"]:
            group_version = f"{crd['spec']['group']}/{v['name']}"
            out |= {group_version, f"{group_version}/{crd['spec']['names']['kind']}"}
    return tuple(sorted(out))


def uses_api_versions(chart: str, version: str) -> bool:
    """Whether a chart's templates consult `.Capabilities.APIVersions` (only then do the installed
    CRDs change what it renders)."""
    return any("APIVersions" in t["data"] for t in _chart(chart_dir(chart, version)).templates)


def _render_key(inputs: dict[str, Any], api_versions: tuple[str, ...]) -> str:
    keep = ("chart", "version", "name", "namespace", "values")
    return json.dumps({**{k: inputs.get(k) for k in keep}, "api_versions": api_versions}, sort_keys=True)


def render_release(inputs: dict[str, Any], api_versions: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """The objects a Helm release installs: its chart's `crds/` and its rendered templates, with the
    release's own values, name and namespace, Kubernetes 1.35 capabilities, and `api_versions` on
    top of Helm's built-in API versions (the CRDs installed in the cluster). Values are checked
    against the chart's `values.schema.json` as Helm does. Renders are cached by their inputs: each
    object and its `metadata` are fresh copies, anything deeper is shared (copy before changing it)."""
    objects = _render(_render_key(inputs, tuple(api_versions)))
    return [{**obj, "metadata": dict(obj.get("metadata") or {})} for obj in objects]


@functools.cache
def _render(key: str) -> list[dict[str, Any]]:
    inputs = json.loads(key)
    # A chart of its own per render: Helm's render drops the subcharts the values disable from the
    # loaded chart itself, so a shared one would render later releases without them (Grafana gone
    # from every kube-prometheus-stack render after one with `grafana.enabled: false`).
    chart = helm_python.Chart.load(chart_dir(inputs["chart"], inputs["version"]))
    values = inputs.get("values") or {}
    chart.validate_schema(values)
    # helm-python-sdk's Chart.render does not expose kube_version / api_versions; the native
    # render call it wraps takes them (helm template --kube-version / --api-versions).
    opts = {
        "name": inputs["name"],
        "namespace": inputs["namespace"],
        "is_install": True,
        "kube_version": KUBE_VERSION,
        "api_versions": inputs["api_versions"],
    }
    rendered = json.loads(_native.call_string("helm_render", chart._raw(), json.dumps(values), json.dumps(opts)))
    objects = [obj for crd in chart.crds for obj in split_manifests(crd["data"])]
    for path in sorted(rendered):
        if path.endswith(".yaml") or path.endswith(".yml"):
            objects += split_manifests(rendered[path])
    return objects


def addon_crds() -> list[dict[str, Any]]:
    return [obj for path in ADDON_CRDS for obj in split_manifests(path.read_text())]


# --- built-in kinds -----------------------------------------------------------------------------


@functools.cache
def schema_version() -> str:
    """The newest Kubernetes schema kubernetes-validate ships that is not newer than our pin."""
    pin = tuple(int(x) for x in versions.KUBERNETES_VERSION.split("."))
    found = [v for v in kv_utils.all_versions() if tuple(int(x) for x in v.split(".")[:2]) <= pin]
    return found[-1]


@functools.cache
def _schema_file(name: str) -> Any:
    return kv_utils.schema_contents(f"kubernetes-json-schema/v{schema_version()}-local-strict/{name}", schema_version())


@functools.cache
def _builtin_validator(api_version: str, kind: str) -> jsonschema.protocols.Validator:
    # kubernetes_validate.validate() does exactly this per call (strict schemas, Draft 2020-12 with
    # the definitions registry) but re-reads the 1 MB definitions file every time: cached here.
    from referencing import Registry, Resource

    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    try:
        schema = _schema_file(f"{kind.lower()}-{group_version}.json")
    except FileNotFoundError:
        raise kubernetes_validate.SchemaNotFoundError(
            version=schema_version(), kind=kind, api_version=api_version
        ) from None
    registry = Resource.from_contents(schema) @ (Resource.from_contents(_schema_file("_definitions.json")) @ Registry())
    return jsonschema.Draft202012Validator(schema, registry=registry)


def builtin_errors(obj: dict[str, Any]) -> list[str]:
    """Every schema error of a built-in object (strict: an unknown field is an error)."""
    validator = _builtin_validator(obj["apiVersion"], obj["kind"])
    return [f"{'.'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in validator.iter_errors(obj)]


def has_builtin_schema(api_version: str, kind: str) -> bool:
    try:
        _builtin_validator(api_version, kind)
    except kubernetes_validate.SchemaNotFoundError:
        return False
    return True


@functools.cache
def _definition_validator(definition: str) -> jsonschema.protocols.Validator:
    from referencing import Registry, Resource

    defs = _schema_file("_definitions.json")
    schema = {"$ref": f"{defs['$id']}#/$defs/{definition}"}
    registry = Resource.from_contents(defs) @ Registry()
    return jsonschema.Draft202012Validator(schema, registry=registry)


def definition_errors(definition: str, node: Any) -> list[str]:
    """Errors of a part of an object against a built-in definition (strict), e.g.
    `io.k8s.api.core.v1.PodSpec` for the pod templates a custom resource embeds."""
    validator = _definition_validator(definition)
    return [f"{'.'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in validator.iter_errors(node)]


def _object_meta_validator() -> jsonschema.protocols.Validator:
    return _definition_validator("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")


# --- custom resources ---------------------------------------------------------------------------


def structural_to_jsonschema(node: Any) -> Any:
    """A Kubernetes structural schema as the API server applies it, in JSON Schema terms.

    - `nullable: true` admits null;
    - `x-kubernetes-int-or-string` admits an integer or a string (nothing else);
    - an object with declared `properties` and no `x-kubernetes-preserve-unknown-fields` gets
      `additionalProperties: false`: the API server would silently prune an unknown field, so a
      field the CRD does not know is a bug here, not something to let through;
    - `type: string` stays strict: `stop: 1` is rejected, as the API server would.
    """
    if isinstance(node, list):
        return [structural_to_jsonschema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "properties":  # field names, each with its schema
            out[key] = {name: structural_to_jsonschema(schema) for name, schema in value.items()}
        elif not key.startswith("x-kubernetes-"):
            out[key] = structural_to_jsonschema(value)
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if node.get("nullable"):
        out.pop("nullable", None)
        if "type" in out:
            out["type"] = [out["type"], "null"] if isinstance(out["type"], str) else [*out["type"], "null"]
    preserve = node.get("x-kubernetes-preserve-unknown-fields")
    if node.get("type") == "object" and "properties" in node and not preserve and "additionalProperties" not in node:
        out["additionalProperties"] = False
    return out


def crd_version_schema(crd: dict[str, Any], version: str) -> dict[str, Any]:
    """A CRD version's schema; `apiVersion`, `kind` and `metadata` are implicit at the root (the API
    server accepts them whether the CRD declares them or not; metadata is checked as ObjectMeta)."""
    (found,) = [v for v in crd["spec"]["versions"] if v["name"] == version]
    schema = copy.deepcopy(found["schema"]["openAPIV3Schema"])
    if "properties" in schema:
        implicit = {"apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"}}
        schema["properties"] = {**implicit, **schema["properties"]}
    return structural_to_jsonschema(schema)


def crd_schema(path: Path, version: str = "v1") -> dict[str, Any]:
    return crd_version_schema(load_yaml(path), version)


_CRD_VALIDATORS: dict[tuple[str, str], jsonschema.protocols.Validator] = {}


def _crd_validator(crd: dict[str, Any], version: str) -> jsonschema.protocols.Validator:
    # One vendored copy of each CRD: its name and version identify the schema.
    key = (crd["metadata"]["name"], version)
    if key not in _CRD_VALIDATORS:
        _CRD_VALIDATORS[key] = jsonschema.Draft202012Validator(crd_version_schema(crd, version))
    return _CRD_VALIDATORS[key]


class CrdIndex:
    """Validators for custom resources, from the CRDs that are installed."""

    def __init__(self, crds: list[dict[str, Any]]):
        self.crds = {(c["spec"]["group"], c["spec"]["names"]["kind"]): c for c in crds}

    def knows(self, api_version: str, kind: str) -> bool:
        group, _, version = api_version.rpartition("/")
        crd = self.crds.get((group, kind))
        return crd is not None and any(v["name"] == version for v in crd["spec"]["versions"])

    def namespaced(self, api_version: str, kind: str) -> bool:
        return self.crds[(api_version.rpartition("/")[0], kind)]["spec"]["scope"] == "Namespaced"

    def errors(self, obj: dict[str, Any]) -> list[str]:
        """Every error of a custom resource: its CRD version's structural schema (unknown fields
        rejected, served version only), and its metadata as ObjectMeta."""
        group, _, version = obj["apiVersion"].rpartition("/")
        crd = self.crds[(group, obj["kind"])]
        (served,) = [v for v in crd["spec"]["versions"] if v["name"] == version]
        out = [] if served.get("served", True) else [f"<root>: {obj['apiVersion']} is not served"]
        for validator, node, prefix in (
            (_crd_validator(crd, version), obj, ""),
            (_object_meta_validator(), obj.get("metadata") or {}, "metadata."),
        ):
            out += [
                f"{prefix}{'.'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
                for e in validator.iter_errors(node)
            ]
        return out
