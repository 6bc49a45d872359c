"""A non-200 result (a validation error, a task failure) is returned exactly once, then 404 unknown.

The lifecycle model holds every read to "once" (``overpay_availability.error_once`` and
``task_failure_once`` decide it): a second delivery, or none at all, fails the rule there; these
tests make the reads.
"""

import pytest

from asyncpay.gateways.overpay.lifecycle import AnswerKind, Outcome

pytestmark = pytest.mark.overpay


def _read_again(overpay, task):
    """Three reads after the one-time result, spaced to fall inside the retention window where it
    leaves room (up to a polling interval apart); any that do not fit are made at once. The model
    judges each: a second delivery inside the window fails the rule."""
    reads = ["result", "result", "status"]
    for _ in overpay.planned_reads(task, len(reads)):
        overpay.read(task, reads.pop(0))
    for which in reads:
        overpay.read(task, which)


@pytest.mark.rule("overpay.error-once", "overpay.result-shape")
def test_validation_error_returned_once_via_status_then_result(overpay):
    task = overpay.create(Outcome.VALIDATION_ERROR, label="error-once-status")

    overpay.expect(task, overpay.outcome(task), AnswerKind.ERROR, rule="overpay.error-once")
    _read_again(overpay, task)


@pytest.mark.rule("overpay.error-once", "overpay.result-shape")
def test_validation_error_returned_once_via_result_url_only(overpay):
    task = overpay.create(Outcome.VALIDATION_ERROR, label="error-once-result")

    overpay.expect(task, overpay.wait_result(task), AnswerKind.ERROR, rule="overpay.error-once")
    _read_again(overpay, task)


@pytest.mark.rule("overpay.task-failure-once", "overpay.status-shape")
def test_task_failure_returned_once(overpay):
    task = overpay.create(Outcome.TASK_FAILURE, label="task-failure")

    overpay.expect(task, overpay.outcome(task), AnswerKind.ERROR, rule="overpay.task-failure-once")
    _read_again(overpay, task)
