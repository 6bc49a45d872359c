"""The mutation matrix's table, printed once at the end of the project's test run."""

from asyncpay.matrix import ROOT, load_rows, table


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if hasattr(config, "workerinput"):
        return
    rows = load_rows(ROOT / "reports" / "mutation-matrix")
    if not rows:
        return
    text = table(rows)
    (ROOT / "reports" / "mutation-matrix.txt").write_text(text + "\n")
    terminalreporter.section("mutation matrix: fault switch → failing rules")
    for line in text.splitlines():
        terminalreporter.write_line(line)
