"""The docstring examples are true: every ``>>>`` in asyncpay/ runs as a doctest and passes.

An example that needs a running gateway, a pytest config or a network is written as a plain
``Usage::`` block instead, so nothing shown as a runnable example is left unchecked.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import re
from pathlib import Path
from types import ModuleType

import asyncpay

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
#: A floor, so the test cannot pass by finding nothing (185 examples when it was written).
MIN_EXAMPLES = 150
PROMPT = re.compile(r"^\s*>>> ", re.MULTILINE)


def _modules() -> list[ModuleType]:
    """Every module of the package, sub-packages (checks, mock, testing) included."""
    names = ["asyncpay", *(info.name for info in pkgutil.walk_packages(asyncpay.__path__, "asyncpay."))]
    return [importlib.import_module(name) for name in names]


def test_every_docstring_example_runs() -> None:
    finder = doctest.DocTestFinder(exclude_empty=True)
    report: list[str] = []
    attempted = failed = 0
    for module in _modules():
        runner = doctest.DocTestRunner(optionflags=FLAGS, verbose=False)
        for test in finder.find(module):
            runner.run(test, out=report.append)
        result = runner.summarize(verbose=False)
        attempted += result.attempted
        failed += result.failed
    assert failed == 0, f"{failed} of {attempted} docstring examples failed:\n" + "".join(report)
    assert attempted >= MIN_EXAMPLES, f"only {attempted} docstring examples ran; expected {MIN_EXAMPLES} or more"


def test_every_prompt_in_the_sources_is_an_example_doctest_runs() -> None:
    """A ``>>>`` doctest cannot see (outside a docstring it finds) would pass unchecked."""
    finder = doctest.DocTestFinder(exclude_empty=True)
    in_sources = sum(len(PROMPT.findall(path.read_text(encoding="utf-8")))
                     for path in Path(asyncpay.__file__).parent.rglob("*.py"))
    found = sum(len(test.examples) for module in _modules() for test in finder.find(module))
    assert found == in_sources, (f"{in_sources} '>>>' prompts in asyncpay/ but doctest finds {found} examples: "
                                 "put examples in module, class or function docstrings, or write them "
                                 "as a Usage:: block")
