"""The layering rule: only `__main__.py` and `components/wiring.py` read the settings; layers take typed args."""

from __future__ import annotations

import ast

from tests.conftest import ROOT

READERS = {"wiring.py"}


def imported_modules(path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_no_layer_imports_the_settings():
    layers = [p for p in sorted((ROOT / "components").glob("*.py")) if p.name not in READERS]
    assert len(layers) > 15
    offenders = {p.name: sorted(m for m in imported_modules(p) if m.startswith("components.settings")) for p in layers}
    assert {name: mods for name, mods in offenders.items() if mods} == {}


def test_the_import_check_sees_a_settings_import(tmp_path):
    # The check above would catch `from components import settings` as well as a direct import.
    module = tmp_path / "layer.py"
    module.write_text("from components import settings\nimport components.settings.network\n")
    assert {"components.settings", "components.settings.network"} <= imported_modules(module)
