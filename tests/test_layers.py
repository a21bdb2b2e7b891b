"""The layering rules, read from the import statements of `components/`, `tools/` and `policies/`.

- The import graph has no cycle. Every `import` statement counts, wherever it stands: at module
  level, inside a function, or under `if TYPE_CHECKING:` (a deferred import is still a dependency,
  and one that only type checkers follow still ties the two modules' designs together). An edge
  goes to the module named (`from a.b import c` is an edge to `a.b.c` when that is a module, to
  `a.b` otherwise), not to its parent packages: a package's `__init__` re-exporting its own
  submodules is not a cycle.
- Only the settings (`components/settings/`) and the stack entry point (`__main__.py`, with its
  adapter `components/wiring.py`) read the settings: no other module of `components/` imports
  `components.settings`, directly or through any chain of imports, and none imports the adapter.
  The settings import the layers' arg types, never the other way round.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

from tests.conftest import ROOT

PACKAGES = ("components", "tools", "policies")
SETTINGS = "components.settings"
ADAPTER = "components.wiring"


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(root: Path, packages: Iterable[str] = PACKAGES) -> dict[str, Path]:
    """Dotted name -> file of every module under the packages."""
    return {module_name(p, root): p for package in packages for p in sorted((root / package).rglob("*.py"))}


def imported_modules(path: Path, name: str = "", known: Mapping[str, Path] | None = None) -> set[str]:
    """Every module `path` (module `name`) imports, anywhere in the file. With `known`, each import
    is resolved to the longest known module it names; without, the names are returned as written."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            module = ".".join(p for p in ((base if node.level else ""), node.module or "") if p)
            if node.module:
                found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    if known is None:
        return found
    resolved = set()
    for target in found:
        while target and target not in known:
            target = target.rpartition(".")[0]
        if target:
            resolved.add(target)
    return resolved


def import_graph(root: Path, packages: Iterable[str] = PACKAGES) -> dict[str, set[str]]:
    """Module -> the modules of the packages it imports."""
    known = modules(root, packages)
    graph = {}
    for name, path in known.items():
        targets = imported_modules(path, name, known) - {name}
        # `from pkg import sub` inside pkg/__init__.py names the package itself too; a submodule
        # importing its own package's __init__ is the package pattern, not a cycle (module docstring).
        graph[name] = {t for t in targets if not name.startswith(f"{t}.")}
    return graph


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            nxt = next(edges, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph.get(nxt, ())))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def reachable(graph: Mapping[str, Iterable[str]], start: str) -> dict[str, str]:
    """Every module `start` imports, directly or not -> the module that imports it on one path."""
    via: dict[str, str] = {}
    todo = [start]
    while todo:
        node = todo.pop()
        for target in graph.get(node, ()):
            if target not in via and target != start:
                via[target] = node
                todo.append(target)
    return via


def chain(via: Mapping[str, str], start: str, end: str) -> str:
    path = [end]
    while path[-1] != start:
        path.append(via[path[-1]])
    return " -> ".join(reversed(path))


def settings_readers(graph: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """Modules of `components/` outside the settings and the adapter that reach the settings or the
    adapter through their imports -> the import chain."""
    out = {}
    for name in graph:
        if not name.startswith("components.") or name == ADAPTER or name.startswith(SETTINGS):
            continue
        via = reachable(graph, name)
        bad = sorted(m for m in via if m in (ADAPTER, SETTINGS) or m.startswith(f"{SETTINGS}."))
        if bad:
            out[name] = chain(via, name, bad[0])
    return out


def _write(root: Path, files: Mapping[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_the_import_graph_has_no_cycle():
    graph = import_graph(ROOT)
    assert len(graph) > 90 and "components.iam_policies.bootstrap" in graph
    assert cycles(graph) == []


def test_the_cycle_check_sees_a_cycle_through_a_function_level_or_type_checking_import(tmp_path):
    _write(
        tmp_path,
        {
            "components/__init__.py": "",
            "components/a.py": "from components.b import thing\n",
            "components/b.py": "def thing():\n    from components import c\n",
            "components/c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from components.a import x\n",
            "components/pkg/__init__.py": "from components.pkg.inner import y\n",
            "components/pkg/inner.py": "from components.pkg import other\n",
            "components/pkg/other.py": "",
        },
    )
    graph = import_graph(tmp_path, ("components",))
    assert graph["components.b"] == {"components.c"}
    # The package re-exporting its submodule is no cycle; the chain a -> b -> c -> a is one.
    assert cycles(graph) == [["components.a", "components.b", "components.c"]]


def test_the_cycle_check_resolves_relative_imports(tmp_path):
    _write(
        tmp_path,
        {
            "policies/__init__.py": "",
            "policies/rules/__init__.py": "from . import one\n",
            "policies/rules/one.py": "from .two import f\n",
            "policies/rules/two.py": "from policies.rules.one import g\n",
        },
    )
    graph = import_graph(tmp_path, ("policies",))
    assert graph["policies.rules"] == {"policies.rules.one"}
    assert cycles(graph) == [["policies.rules.one", "policies.rules.two"]]


def test_no_layer_imports_the_settings_even_through_other_modules():
    graph = import_graph(ROOT)
    layers = [m for m in graph if m.startswith("components.") and not m.startswith(SETTINGS) and m != ADAPTER]
    assert len(layers) > 30
    assert settings_readers(graph) == {}
    # The settings do import the layers' arg types (the other direction).
    assert "components.cluster" in reachable(graph, "components.settings.cluster")


def test_the_settings_check_sees_an_import_two_modules_away(tmp_path):
    _write(
        tmp_path,
        {
            "components/__init__.py": "",
            "components/settings/__init__.py": "",
            "components/settings/network.py": "from components import cidr\n",
            "components/cidr.py": "",
            "components/layer.py": "from components import helper\n",
            "components/helper.py": "def f():\n    import components.settings.network\n",
            "components/wiring.py": "from components.settings import network\n",
            "components/other.py": "from components.wiring import x\n",
        },
    )
    assert settings_readers(import_graph(tmp_path, ("components",))) == {
        "components.helper": "components.helper -> components.settings.network",
        "components.layer": "components.layer -> components.helper -> components.settings.network",
        "components.other": "components.other -> components.wiring -> components.settings",
    }


def test_the_import_check_sees_a_settings_import(tmp_path):
    # `from components import settings` as well as a direct import.
    module = tmp_path / "layer.py"
    module.write_text("from components import settings\nimport components.settings.network\n")
    assert {"components.settings", "components.settings.network"} <= imported_modules(module)
