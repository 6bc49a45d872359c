"""The mutation matrix: every fault switch fails the suites on the rule it breaks; the clean
mock passes. Each case runs the real suites in a subprocess, as a user would."""

import pytest

from asyncpay.mock import FAULTS
from asyncpay.rules import RULES
from asyncpay.tools.matrix import ROW_PROPERTY, run_one


def test_every_rule_the_suites_check_has_a_fault_switch():
    # The merchant rules judge a shop, not the mock: the reference shop's naive switches break
    # them (tests/test_merchant_matrix.py).
    checked = {rule_id for rule_id, rule in RULES.items() if rule.gateway != "merchant"}
    covered = {fault.rule for fault in FAULTS.values()}
    assert checked - covered == set(), "rules no fault switch breaks"
    assert covered <= checked, "fault switches naming no documented rule"


def test_clean_mock_passes_without_a_false_alarm(record_property):
    row = run_one(None)
    record_property(ROW_PROPERTY, row.__dict__)  # the printed matrix's row (tests/conftest.py)
    assert row.clean_pass, f"exit {row.exit_code}, failed rules {row.failed_rules}\n{row.output_tail}"


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_fault_switch_is_killed_naming_its_rule(fault, record_property):
    row = run_one(fault)
    record_property(ROW_PROPERTY, row.__dict__)
    assert row.exit_code == 1, f"{fault}: the suites did not fail (exit {row.exit_code})\n{row.output_tail}"
    assert row.rule in row.failed_rules, (
        f"{fault} breaks {row.rule}, but the failing rules were {row.failed_rules}: "
        f"checks {row.failed_checks}")


def test_checkout_reuse_is_killed_while_checkout_payments_are_pending_briefly():
    # The checkout is followed to its final state before a second payment is tried: a payment
    # still pending for a moment after the redirect must not hide a checkout that stays open.
    row = run_one("checkout-reuse-after-success", variants=["checkout-pending-briefly"])
    assert row.exit_code == 1 and row.rule in row.failed_rules, (
        f"exit {row.exit_code}, failing rules {row.failed_rules}\n{row.output_tail}")


# Against a separately started real-time mock, through a profile: the rules whose checks wait in
# real time (processing, retention, checkout lifetime, notifications), the one that needs the
# profile's webhook key, and one whose two deliveries race. `python -m asyncpay.tools.matrix
# --clock real` runs every row.
REAL_TIME_ROWS = ["stuck-processing", "retention-from-completion", "expires-early", "checkout-never-expires",
                  "encrypted-webhook-bad-tag", "notification-never-sent",
                  "webhook-contradicts",  # the deliveries race: either may come first
                  # captures, voids and refunds: every child fault, on both clocks
                  "child-stuck-processing", "capture-amount-mismatch", "refund-other-parent",
                  "refund-reason-not-required", "duplicate-refund-accepted"]


def test_clean_real_time_mock_passes():
    row = run_one(None, clock="real")
    assert row.clean_pass, f"exit {row.exit_code}, failed rules {row.failed_rules}\n{row.output_tail}"


@pytest.mark.parametrize("fault", REAL_TIME_ROWS)
def test_fault_switch_is_killed_in_real_time(fault):
    row = run_one(fault, clock="real")
    assert row.exit_code == 1 and row.rule in row.failed_rules, (
        f"{fault} breaks {row.rule}: exit {row.exit_code}, failing rules {row.failed_rules}\n{row.output_tail}")
