"""The import rules of DESIGN §1, checked on the source: a wrong-layer import or an
import cycle fails here. Imports inside functions count: a deferred import hides a
cycle from Python, not from this test."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "core", "ml", "risk", "execution", "webui", "storage")

# The layers, bottom first. Module prefix → what it may import (prefix match; the
# longest matching prefix decides). Anything not listed is an upward or sideways arrow.
BASE = ("core.base",)
RULES: dict[str, tuple[str, ...]] = {
    "core.base": BASE,
    "risk": ("risk", "core.base.types"),
    "storage": ("storage", "core.base.types"),
    "core.data": ("core.data", "storage", *BASE),
    # ml reuses risk's stop rules for the labels of the plan it predicts (one rule).
    "ml": ("ml", "risk", "core.data", *BASE),
    "execution": ("execution", "risk", "storage", "core.data", *BASE),
    "core.agent": ("core.agent", "ml", "risk", "execution", "storage", "core.data", *BASE),
    "core.drivers": (
        "core.drivers",
        "core.agent",
        "ml",
        "risk",
        "execution",
        "storage",
        "core.data",
        *BASE,
    ),
    # Front ends are thin: the Engine's vocabulary and the base, nothing else.
    "bot": ("bot", "core.agent.engine", *BASE),
    "webui": ("webui", "core.agent.engine", *BASE),
    # The composition root wires everything together and is imported by nobody.
    "core.app": PACKAGES,
    "core": (),  # core/__init__.py: a docstring only
}
# Third-party libraries that belong to one layer only.
LIBRARY_OWNERS = {"peewee": ("storage",), "playhouse": ("storage",)}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


SOURCES = sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))
MODULES = {module_name(p): p for p in SOURCES}


def rule_for(module: str) -> tuple[str, ...]:
    matches = [key for key in RULES if module == key or module.startswith(key + ".")]
    return RULES[max(matches, key=len)]


def within(target: str, prefixes: tuple[str, ...]) -> bool:
    return any(target == prefix or target.startswith(prefix + ".") for prefix in prefixes)


def imported_names(path: Path) -> list[str]:
    """Every module an import statement names, anywhere in the file; `from pkg import
    module` names `pkg.module` when that is a module of ours."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names.extend(
                f"{node.module}.{alias.name}"
                for alias in node.names
                if f"{node.module}.{alias.name}" in MODULES
            )
    return names


@cache
def stockbot_imports(module: str) -> tuple[str, ...]:
    names = imported_names(MODULES[module])
    return tuple(sorted({n for n in names if n.split(".")[0] in PACKAGES}))


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down_the_layers(module: str) -> None:
    rule = rule_for(module)
    wrong = [target for target in stockbot_imports(module) if not within(target, rule)]
    assert wrong == [], f"{module} may not import {wrong}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_libraries_stay_in_their_layer(module: str) -> None:
    names = imported_names(MODULES[module])
    wrong = [
        name
        for name in names
        if name.split(".")[0] in LIBRARY_OWNERS
        and not within(module, LIBRARY_OWNERS[name.split(".")[0]])
    ]
    assert wrong == [], f"{module} imports {wrong}: only its own layer may"


def graph() -> dict[str, set[str]]:
    """module → modules of ours it imports (a package name means its __init__)."""
    edges: dict[str, set[str]] = {}
    for module in MODULES:
        targets = set()
        for name in stockbot_imports(module):
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name and name != module:
                targets.add(name)
        edges[module] = targets
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
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

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_import_graph_has_no_cycle() -> None:
    assert cycles(graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_nothing_imports_the_composition_root() -> None:
    importers = [
        module
        for module, targets in graph().items()
        if not within(module, ("core.app",)) and any(within(t, ("core.app",)) for t in targets)
    ]
    assert importers == []


PACKAGE_DOCS = sorted(
    module_name(p) for p in SOURCES if p.name == "__init__.py" and module_name(p) != ""
)


@pytest.mark.parametrize(
    "package",
    [p for p in PACKAGE_DOCS if "." not in p or (p.count(".") == 1 and p.startswith("core."))],
)
def test_each_package_states_its_job_and_imports(package: str) -> None:
    doc = ast.get_docstring(ast.parse(MODULES[package].read_text(encoding="utf-8")))
    assert doc, package
    assert "import" in doc.lower(), package
