"""The import rules of DESIGN §1, checked on the source: a wrong-layer import fails here."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "core", "ml", "risk", "execution", "webui", "storage")
CORE_BASE = (
    "core.types",
    "core.settings",
    "core.clock",
    "core.calendar",
    "core.events",
    "core.logs",
)
# Module prefix → stockbot modules it may import (prefix match).
RULES: dict[str, tuple[str, ...]] = {
    "bot": ("bot", "core.engine", *CORE_BASE),
    "webui": ("webui", "core.engine", *CORE_BASE),
    "ml": ("ml", "core.data", *CORE_BASE),
    "risk": ("risk", "core.types"),
    "execution": ("execution", "risk", "storage", "core.data", *CORE_BASE),
    "storage": ("storage", "core.types"),
    "core.data": ("core.data", "storage", *CORE_BASE),
    **{base: ("core.types",) for base in CORE_BASE},
    # Engine, pipeline, scheduler, backtest, doctor: everything but the front ends.
    "core": ("core", "ml", "risk", "execution", "storage"),
    # The composition root and the CLI wire everything together.
    "core.app": PACKAGES,
    "core.cli": PACKAGES,
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def rule_for(module: str) -> tuple[str, ...]:
    matches = [key for key in RULES if module == key or module.startswith(key + ".")]
    return RULES[max(matches, key=len)]


def stockbot_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return [name for name in names if name.split(".")[0] in PACKAGES]


def allowed(target: str, rule: tuple[str, ...]) -> bool:
    return any(target == prefix or target.startswith(prefix + ".") for prefix in rule)


SOURCES = sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_follow_the_layering(path: Path) -> None:
    module = module_name(path)
    rule = rule_for(module)
    wrong = [target for target in stockbot_imports(path) if not allowed(target, rule)]
    assert wrong == [], f"{module} may not import {wrong}"


@pytest.mark.parametrize("package", PACKAGES)
def test_each_package_states_its_job_and_imports(package: str) -> None:
    doc = ast.get_docstring(ast.parse((ROOT / package / "__init__.py").read_text()))
    assert doc, package
    assert "import" in doc.lower(), package
