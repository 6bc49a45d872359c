"""Shared fixtures (a mock gateway and a receiver per test module), and the mutation matrix's
table, printed at the end of a test run that ran the matrix."""

from collections.abc import Iterator

import pytest

from asyncpay.matrix import ROOT, load_rows, table
from asyncpay.mock.testing import MockServer
from asyncpay.receiver import Receiver


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    with MockServer() as running:
        yield running


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running

MATRIX = "test_mutation_matrix.py::"


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if hasattr(config, "workerinput"):
        return
    ran = any(MATRIX in getattr(report, "nodeid", "")
              for reports in terminalreporter.stats.values() for report in reports)
    rows = load_rows(ROOT / "reports" / "mutation-matrix") if ran else []
    if not rows:
        return
    text = table(rows)
    (ROOT / "reports" / "mutation-matrix.txt").write_text(text + "\n")
    terminalreporter.section("mutation matrix: fault switch → failing rules")
    for line in text.splitlines():
        terminalreporter.write_line(line)
