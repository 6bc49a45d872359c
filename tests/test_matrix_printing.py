"""The matrix printed at the end of `tox -e tests` lists every fault switch and every variant,
however xdist deals the tests out (each worker used to clear the others' rows)."""

from __future__ import annotations

from pathlib import Path

from asyncpay.mock import FAULTS, VARIANTS

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent

# Stand-ins for the two matrix modules: each test records the row a real one would, without
# running the suites.
MUTATIONS = '''
import pytest
from asyncpay.mock import FAULTS
from asyncpay.tools.matrix import ROW_PROPERTY, Row

def test_clean_mock_passes_without_a_false_alarm(record_property):
    record_property(ROW_PROPERTY, Row(None, None, 0).__dict__)

@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_fault_switch_is_killed_naming_its_rule(fault, record_property):
    record_property(ROW_PROPERTY, Row(fault, FAULTS[fault].rule, 1, [FAULTS[fault].rule]).__dict__)
'''
VARIANT_ROWS = '''
import pytest
from asyncpay.mock import VARIANTS
from asyncpay.tools.matrix import ROW_PROPERTY, Row

@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_variant_alone_passes_the_suites(variant, record_property):
    record_property(ROW_PROPERTY, Row(None, None, 0, variants=[variant]).__dict__)
'''


def _section(output: str, title: str) -> list[str]:
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if title in line)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("=")), len(lines))
    return lines[start + 1:end]


def test_the_printed_matrix_has_a_row_for_every_switch_under_xdist(pytester) -> None:
    pytester.makeconftest((ROOT / "tests" / "conftest.py").read_text())
    pytester.makepyfile(test_mutation_matrix=MUTATIONS, test_variant_matrix=VARIANT_ROWS)
    result = pytester.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider", "-p", "no:randomly")
    result.assert_outcomes(passed=1 + len(FAULTS) + len(VARIANTS))
    output = result.stdout.str()

    faults = _section(output, "mutation matrix: fault switch")
    printed = {line.split()[0] for line in faults if line.split() and line.split()[0] in FAULTS}
    assert printed == set(FAULTS), f"missing: {sorted(set(FAULTS) - printed)}"
    assert any(line.startswith("(none: clean mock)") for line in faults)

    variants = _section(output, "variant matrix: variant switch")
    shown = {line.split()[0] for line in variants if line.split() and line.split()[0] in VARIANTS}
    assert shown == set(VARIANTS), f"missing: {sorted(set(VARIANTS) - shown)}"
    assert (pytester.path / "reports" / "mutation-matrix.txt").is_file()
