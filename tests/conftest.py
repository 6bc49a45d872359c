"""The mutation matrix's table, printed at the end of a test run that ran the matrix."""

from asyncpay.matrix import ROOT, load_rows, table

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
