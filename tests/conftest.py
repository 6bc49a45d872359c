"""Shared fixtures (a mock gateway and a receiver per test module), the tables of the
mutation and variant matrices, printed at the end of a test run that ran them, and warnings
as errors."""

from collections.abc import Iterator

import pytest

from asyncpay.mock.testing import MockServer
from asyncpay.tools.matrix import ROW_PROPERTY, Row, sort_rows, table
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
    config.pluginmanager.register(MatrixRows(), "asyncpay-matrix-rows")


class MatrixRows:
    """The matrix rows the tests recorded (``record_property(ROW_PROPERTY, row.__dict__)``), as the
    reports reach this process: under xdist the controller gets every worker's, so the printed
    matrix is whole however the tests were dealt out."""

    def __init__(self) -> None:
        self.rows: dict[str, dict] = {}  # test node id → Row fields

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        for name, value in report.user_properties:
            if name == ROW_PROPERTY:
                self.rows[report.nodeid] = value


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    with MockServer() as running:
        yield running


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running

#: (test module, rows directory (unused since the rows travel as user properties), report file,
#: section title)
MATRICES = (
    ("test_mutation_matrix.py::", "mutation-matrix", "mutation-matrix.txt",
     "mutation matrix: fault switch → failing rules"),
    ("test_variant_matrix.py::", "variant-matrix", "variant-matrix.txt",
     "variant matrix: variant switch → passed / FALSE ALARM"),
)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if hasattr(config, "workerinput"):
        return
    recorded = config.pluginmanager.get_plugin("asyncpay-matrix-rows").rows
    for module, _, report_file, title in MATRICES:
        rows = sort_rows([Row(**fields) for nodeid, fields in recorded.items() if module in nodeid])
        if not rows:
            continue
        text = table(rows)
        reports = config.rootpath / "reports"
        reports.mkdir(exist_ok=True)
        (reports / report_file).write_text(text + "\n")
        terminalreporter.section(title)
        for line in text.splitlines():
            terminalreporter.write_line(line)
