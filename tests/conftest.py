"""Shared fixtures (a mock gateway and a receiver per test module), the tables of the
mutation and variant matrices, printed at the end of a test run that ran them, and warnings
as errors."""

from collections.abc import Iterator

import pytest

from asyncpay.tools.matrix import ROOT, load_rows, table
from asyncpay.mock.testing import MockServer
from asyncpay.waiting.receiver import Receiver

#: Every warning is an error in the project's own tests (``pytest tests``); this conftest is not
#: loaded by ``pytest suites``, where a deprecation in a dependency must not fail a go-live check
#: (the suites keep pyproject's filters). The lines are applied in order, later ones winning:
#: "error" first, then the exceptions, each with its reason. None is needed today (pyproject's
#: schemathesis DeprecationWarning filter, which "error" overrides here, matches nothing the tests
#: run): add one only for a warning the project cannot fix at its source.
WARNING_FILTERS: tuple[str, ...] = (
    "error",
)


def pytest_configure(config: pytest.Config) -> None:
    for line in WARNING_FILTERS:
        config.addinivalue_line("filterwarnings", line)


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    with MockServer() as running:
        yield running


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running

#: (test module, rows directory, report file, section title)
MATRICES = (
    ("test_mutation_matrix.py::", "mutation-matrix", "mutation-matrix.txt",
     "mutation matrix: fault switch → failing rules"),
    ("test_variant_matrix.py::", "variant-matrix", "variant-matrix.txt",
     "variant matrix: variant switch → passed / FALSE ALARM"),
)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if hasattr(config, "workerinput"):
        return
    nodeids = [getattr(report, "nodeid", "") for reports in terminalreporter.stats.values()
               for report in reports]
    for module, rows_dir, report_file, title in MATRICES:
        rows = load_rows(ROOT / "reports" / rows_dir) if any(module in n for n in nodeids) else []
        if not rows:
            continue
        text = table(rows)
        (ROOT / "reports" / report_file).write_text(text + "\n")
        terminalreporter.section(title)
        for line in text.splitlines():
            terminalreporter.write_line(line)
