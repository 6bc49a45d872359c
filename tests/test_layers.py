"""The direction between layers: a module imports only its own layer and the layers below it.

Every import counts, at module level and inside functions alike (a function-level import is still
a dependency). ``TYPE_CHECKING`` blocks are types only and are left out.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "asyncpay"

#: Lowest first: a layer may import itself and any layer before it, never one after it.
LAYERS = [
    "asyncpay.rules", "asyncpay.errors", "asyncpay.verdicts",
    "asyncpay.wire",
    "asyncpay.config",
    "asyncpay.waiting",
    "asyncpay.http",
    "asyncpay.realtime",
    "asyncpay.schemas",
    "asyncpay.timeline",
    "asyncpay.checks",
    "asyncpay.gateways",
    "asyncpay.platform",
    "asyncpay.reporting",
    "asyncpay.pytest",
    "asyncpay.tools",
]
#: Gateways and test doubles stand apart: they may use the shared wire formats only (and, for the
#: test doubles, the mock, and the configuration to point a run at them).
APART = {
    "asyncpay.mock": {"asyncpay.mock", "asyncpay.wire"},
    "asyncpay.testing": {"asyncpay.testing", "asyncpay.mock", "asyncpay.wire", "asyncpay.config",
                         "asyncpay.errors", "asyncpay.rules", "asyncpay.verdicts"},
}


#: The lowest layer that may start the gateways and test doubles standing apart.
USERS_OF_APART = {"asyncpay.mock": "asyncpay.platform", "asyncpay.testing": "asyncpay.tools"}


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(module: str) -> str | None:
    for name in [*LAYERS, *APART]:
        if module == name or module.startswith(name + "."):
            return name
    return None


def _type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imports(source: str) -> set[str]:
    """Every asyncpay module ``source`` imports, anywhere but in a ``TYPE_CHECKING`` block."""
    found: set[str] = set()
    skip: set[int] = set()
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if _type_checking(node):
            skip.update(id(child) for child in ast.walk(node))
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("asyncpay"):
            if node.module == "asyncpay":
                found.update(f"asyncpay.{alias.name}" for alias in node.names)
            else:
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("asyncpay"))
    return found


def wrong_way(module: str, source: str) -> list[str]:
    """The imports of ``module`` that go up the layers (or out of a gateway's own world)."""
    layer = _layer(module)
    if layer is None:
        return []
    bad = []
    for target in sorted(imports(source)):
        other = _layer(target)
        if other is None or other == layer:
            continue
        if layer in APART:
            if other not in APART[layer]:
                bad.append(f"{module} -> {target}")
        elif other in APART:
            if LAYERS.index(layer) < LAYERS.index(USERS_OF_APART[other]):
                bad.append(f"{module} -> {target}")
        elif LAYERS.index(other) > LAYERS.index(layer):
            bad.append(f"{module} -> {target}")
    return bad


def test_every_module_belongs_to_a_layer() -> None:
    loose = [_module(p) for p in PACKAGE.rglob("*.py")
             if _layer(_module(p)) is None and _module(p) not in {"asyncpay", "asyncpay.__main__"}]
    assert loose == []


#: Wrong-way imports still being taken apart; the list only ever shrinks.
KNOWN: set[str] = set()


def test_no_import_goes_up_a_layer() -> None:
    bad = {line for path in sorted(PACKAGE.rglob("*.py"))
           for line in wrong_way(_module(path), path.read_text(encoding="utf-8"))}
    assert bad <= KNOWN


@pytest.mark.parametrize(("module", "source"), [
    ("asyncpay.http.client", "def send():\n    from asyncpay.checks import transport\n"),
    ("asyncpay.reporting.merge", "from asyncpay.pytest import plugin\n"),
    ("asyncpay.mock.overpay", "from asyncpay.config.profile import Profile\n"),
    ("asyncpay.schemas.contracts", "import asyncpay.gateways.overpay.merchant\n"),
])
def test_a_planted_wrong_way_import_is_found(module: str, source: str) -> None:
    assert wrong_way(module, source) != []


def test_a_type_only_import_is_not_a_dependency() -> None:
    source = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from asyncpay.pytest.plugin import Runtime\n"
    assert wrong_way("asyncpay.http.client", source) == []
