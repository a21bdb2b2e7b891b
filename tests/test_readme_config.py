"""The README's configuration table against Pulumi.yaml, the schema the Pulumi CLI reads: every key
is listed once, with the default the project declares."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import ROOT
from tools import stackyaml


def _fields(value: Any, prefix: str = "") -> list[str]:
    """A default as `field: value` items, nested maps flattened with dots."""
    if isinstance(value, dict) and value:
        return [item for k, v in value.items() for item in _fields(v, f"{prefix}.{k}" if prefix else k)]
    return [f"{prefix}: {json.dumps(value)}" if prefix else json.dumps(value)]


def rendered_default(declaration: dict[str, Any]) -> str:
    """How the README writes a key's default."""
    value = declaration.get("default", declaration.get("value"))
    if value is None:
        return "required"
    if value == "":
        return '`""` (none)'
    return ", ".join(f"`{item}`" for item in _fields(value))


def readme_rows() -> dict[str, list[str]]:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Configuration") :]
    section = section[: section.index("\n## ", 1)]
    rows: dict[str, list[str]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        if line.startswith("| `") and len(cells) == 3:
            key = cells[0].strip("`")
            assert key not in rows, f"{key} listed twice"
            rows[key] = cells
    return rows


def test_every_declared_key_is_in_the_readme_with_its_default():
    declared = stackyaml.read_project(ROOT / "Pulumi.yaml")["config"]
    rows = readme_rows()
    assert list(rows) == list(declared), "the README's table lists the keys of Pulumi.yaml, in its order"
    for key, declaration in declared.items():
        assert rows[key][1] == rendered_default(declaration), key
        assert rows[key][2], f"{key}: say what it sets"


def test_a_changed_default_is_caught():
    assert rendered_default({"default": {"audit": {"trail": {"mode": "create"}}}}) == '`audit.trail.mode: "create"`'
    assert rendered_default({"type": "string"}) == "required"
    assert rendered_default({"default": ""}) == '`""` (none)'
    assert rendered_default({"value": []}) == "`[]`"
