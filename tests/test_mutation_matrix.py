"""The mutation matrix: every fault switch fails the suites on the rule it breaks; the clean
mock passes. Each case runs the real suites in a subprocess, as a user would."""

import shutil

import pytest

from asyncpay.tools.matrix import ROOT, run_one, save_row
from asyncpay.mock import FAULTS
from asyncpay.rules import RULES

ROWS = ROOT / "reports" / "mutation-matrix"


def setup_module():
    # Rows of an earlier test run would make the printed table lie.
    shutil.rmtree(ROWS, ignore_errors=True)


def test_every_rule_the_suites_check_has_a_fault_switch():
    # The merchant rules judge a shop, not the mock: the reference shop's naive switches break
    # them (tests/test_merchant_matrix.py).
    checked = {rule_id for rule_id, rule in RULES.items() if rule.gateway != "merchant"}
    covered = {fault.rule for fault in FAULTS.values()}
    assert checked - covered == set(), "rules no fault switch breaks"
    assert covered <= checked, "fault switches naming no documented rule"


def test_clean_mock_passes_without_a_false_alarm():
    row = run_one(None)
    save_row(row, ROWS)
    assert row.clean_pass, f"exit {row.exit_code}, failed rules {row.failed_rules}\n{row.output_tail}"


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_fault_switch_is_killed_naming_its_rule(fault):
    row = run_one(fault)
    save_row(row, ROWS)
    assert row.exit_code == 1, f"{fault}: the suites did not fail (exit {row.exit_code})\n{row.output_tail}"
    assert row.rule in row.failed_rules, (
        f"{fault} breaks {row.rule}, but the failing rules were {row.failed_rules}: "
        f"checks {row.failed_checks}")


# Against a separately started real-time mock, through a profile: the rules whose checks wait in
# real time (processing, retention, checkout lifetime, notifications) and the one that needs the
# profile's webhook key. `python -m asyncpay.tools.matrix --clock real` runs every row.
REAL_TIME_ROWS = ["stuck-processing", "retention-from-completion", "checkout-never-expires",
                  "encrypted-webhook-bad-tag", "notification-never-sent"]


def test_clean_real_time_mock_passes():
    row = run_one(None, clock="real")
    assert row.clean_pass, f"exit {row.exit_code}, failed rules {row.failed_rules}\n{row.output_tail}"


@pytest.mark.parametrize("fault", REAL_TIME_ROWS)
def test_fault_switch_is_killed_in_real_time(fault):
    row = run_one(fault, clock="real")
    assert row.exit_code == 1 and row.rule in row.failed_rules, (
        f"{fault} breaks {row.rule}: exit {row.exit_code}, failing rules {row.failed_rules}\n{row.output_tail}")
