"""The mock gateway and the hostile gateway depend on nothing of the harness: their imports
(every ``import`` statement, at any depth, read with ast) name only the mock itself and the
shared leaf modules."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "asyncpay"
ALLOWED = ("asyncpay.mock", "asyncpay.wire.testdata", "asyncpay.wire.server", "asyncpay.wire.webhooks")
INDEPENDENT = sorted((PACKAGE / "mock").rglob("*.py")) + [PACKAGE / "testing" / "hostile.py"]
LEAVES = [PACKAGE / "wire" / "testdata.py", PACKAGE / "wire" / "server.py", PACKAGE / "wire" / "webhooks.py"]


def asyncpay_imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names
                                     if node.module == "asyncpay"]
        elif isinstance(node, ast.ImportFrom):
            raise AssertionError(f"{path}:{node.lineno}: relative import; use absolute imports")
        else:
            continue
        found += [(node.lineno, name) for name in names
                  if name == "asyncpay" or name.startswith("asyncpay.")]
    return found


def allowed(name: str) -> bool:
    return any(name == ok or name.startswith(ok + ".") for ok in ALLOWED)


@pytest.mark.parametrize("path", INDEPENDENT, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_mock_imports_nothing_of_the_harness(path):
    bad = [f"line {line}: {name}" for line, name in asyncpay_imports(path) if not allowed(name)]
    assert not bad, f"{path.relative_to(PACKAGE)} imports harness modules: {bad}"


@pytest.mark.parametrize("path", LEAVES, ids=lambda p: p.name)
def test_shared_modules_are_leaves(path):
    assert asyncpay_imports(path) == [], f"{path.name} must import nothing of asyncpay"


def test_the_walk_sees_nested_and_from_imports(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("import asyncpay.config.profile\ndef f():\n    from asyncpay.errors import HarnessError\n"
                      "from asyncpay import contracts\n")
    names = sorted(name for _, name in asyncpay_imports(module))
    assert names == ["asyncpay", "asyncpay.config.profile", "asyncpay.contracts", "asyncpay.errors"]
    assert not any(allowed(name) for name in names)
