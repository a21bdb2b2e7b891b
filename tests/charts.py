"""Render a vendored chart with Helm's own engine and validate what comes out, strictly.

Built-in kinds are validated with kubernetes-validate (the Kubernetes OpenAPI schemas, strict: an
unknown field is an error); custom resources against the `openAPIV3Schema` of their CRD, made strict
the same way (an object schema without `x-kubernetes-preserve-unknown-fields` accepts no other keys).
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import helm_python as helm
import jsonschema
import kubernetes_validate
import yaml

from components import versions

CHARTS = Path(__file__).resolve().parent / "upstream" / "charts"
KUBERNETES = f"{versions.KUBERNETES_VERSION}.0"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def chart_dir(name: str, version: str) -> Path:
    path = CHARTS / f"{name}-{version.removeprefix('v')}"
    assert path.is_dir(), f"chart {name} {version} is not vendored under {CHARTS}"
    return path


def render(name: str, version: str, values: dict[str, Any], release: str, namespace: str) -> list[dict[str, Any]]:
    """Every object the chart renders with these values (hooks included, NOTES left out)."""
    chart = helm.Chart.load(str(chart_dir(name, version)))
    chart.validate_schema(values)
    manifests = chart.render(values=values, name=release, namespace=namespace, is_install=True)
    objects = []
    for path, text in sorted(manifests.items()):
        if not path.endswith((".yaml", ".yml", ".tpl")) or path.endswith("NOTES.txt"):
            continue
        for doc in yaml.load_all(text, Loader=_LOADER):
            if doc:
                objects.append(doc)
    return objects


def _strict(schema: Any) -> Any:
    if isinstance(schema, dict):
        out = {k: _strict(v) for k, v in schema.items()}
        open_object = out.get("x-kubernetes-preserve-unknown-fields") or "additionalProperties" in out
        if out.get("type") == "object" and "properties" in out and not open_object:
            out["additionalProperties"] = False
        pattern = out.get("pattern")
        if isinstance(pattern, str) and "(?i)" in pattern:
            # Go's regexp takes inline flags anywhere; Python's only at the start.
            out["pattern"] = "(?i)" + pattern.replace("(?i)", "")
        if out.get("x-kubernetes-int-or-string"):
            out.pop("type", None)
            out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
        return out
    if isinstance(schema, list):
        return [_strict(v) for v in schema]
    return schema


@functools.cache
def _crd_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) -> strict schema, from every CRD in the vendored charts."""
    schemas: dict[tuple[str, str], dict[str, Any]] = {}
    for path in CHARTS.rglob("*.yaml"):
        text = path.read_text()
        if "kind: CustomResourceDefinition" not in text:
            continue
        body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("{{"))
        try:
            docs = list(yaml.load_all(body, Loader=_LOADER))
        except yaml.YAMLError:
            continue
        for doc in docs:
            if not isinstance(doc, dict) or doc.get("kind") != "CustomResourceDefinition":
                continue
            spec = doc["spec"]
            for version in spec.get("versions", []):
                schema = version.get("schema", {}).get("openAPIV3Schema")
                if schema:
                    key = (f"{spec['group']}/{version['name']}", spec["names"]["kind"])
                    schemas[key] = _strict(copy.deepcopy(schema))
    return schemas


def crd_schema(api_version: str, kind: str) -> dict[str, Any] | None:
    return _crd_schemas().get((api_version, kind))


def validate(obj: dict[str, Any]) -> None:
    """Raise if the object is not valid for the pinned Kubernetes minor (or its CRD)."""
    api_version, kind = obj["apiVersion"], obj["kind"]
    schema = crd_schema(api_version, kind)
    if schema is not None:
        jsonschema.Draft7Validator(schema).validate(obj)
        return
    kubernetes_validate.validate(obj, KUBERNETES, strict=True)


def validate_all(objects: Iterable[dict[str, Any]]) -> list[str]:
    """The problems of every object, one line each (empty: all valid)."""
    problems = []
    for obj in objects:
        try:
            validate(obj)
        except (kubernetes_validate.ValidationError, jsonschema.ValidationError) as err:
            name = obj.get("metadata", {}).get("name")
            message = getattr(err, "message", str(err))
            problems.append(f"{obj['kind']}/{name}: {message} at {list(getattr(err, 'path', []))}")
        except kubernetes_validate.SchemaNotFoundError:
            problems.append(f"{obj['kind']}/{obj.get('metadata', {}).get('name')}: no schema for {obj['apiVersion']}")
    return problems


POD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet"}


def pod_specs(objects: Iterable[dict[str, Any]]) -> list[tuple[str, str, dict[str, Any]]]:
    """(kind, name, pod spec) of every workload, including the Prometheus operator's own kinds."""
    out = []
    for obj in objects:
        kind = obj.get("kind")
        if kind in POD_KINDS:
            out.append((kind, obj["metadata"]["name"], obj["spec"]["template"]["spec"]))
    return out
