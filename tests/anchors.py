"""Upstream reference files (`../shared/anchors/`) and a validator for CRD `openAPIV3Schema`s.

Tests using them skip when the anchors are absent (e.g. outside this workspace).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

ANCHORS = Path(__file__).resolve().parent.parent.parent / "shared" / "anchors"
ISTIO = ANCHORS / "istio-1.30.3"
ALTINITY = ANCHORS / "altinity-clickhouse-operator-0.25.6"
CHI_CRD = ALTINITY / "crds" / "CustomResourceDefinition-clickhouseinstallations.clickhouse.altinity.com.yaml"
CHK_CRD = (
    ALTINITY / "crds" / "CustomResourceDefinition-clickhousekeeperinstallations.clickhouse-keeper.altinity.com.yaml"
)


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"anchor {path} not present")
    return path


def load_json(path: Path) -> Any:
    return json.loads(need(path).read_text())


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(need(path).read_text())


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
    out = {k: structural_to_jsonschema(v) for k, v in node.items() if not k.startswith("x-kubernetes-")}
    if "properties" in node:
        out["properties"] = {k: structural_to_jsonschema(v) for k, v in node["properties"].items()}
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


def crd_schema(path: Path, version: str = "v1") -> dict[str, Any]:
    doc = load_yaml(path)
    (found,) = [v for v in doc["spec"]["versions"] if v["name"] == version]
    return structural_to_jsonschema(copy.deepcopy(found["schema"]["openAPIV3Schema"]))
