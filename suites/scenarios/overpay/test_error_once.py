"""A non-200 result (a validation error) is returned exactly once, then 404 unknown."""

import pytest

from asyncpay.errors import ContractViolation
from asyncpay.lifecycle import Kind, Outcome

pytestmark = pytest.mark.overpay


def _expect_once(overpay, task, first_kind, answer, rule):
    if first_kind is not Kind.ERROR:
        raise ContractViolation(rule, f"task {task.request_id} did not deliver its non-200 result",
                                expected="a non-200 answer with the error, once",
                                received=answer.summary())
    assert answer.status_code != 200 and "message" in answer.json
    for which in ("result", "result", "status"):
        overpay.clock.advance(overpay.target.timing.poll_interval)
        kind, again = overpay.read(task, which)  # the model raises on a second delivery
        if which == "result" and kind is not Kind.UNKNOWN:
            raise ContractViolation(rule, f"{which} URL answered {kind.value} after the one-time result",
                                    expected='HTTP 404 {"status": "unknown", ...}', received=again.summary())
    assert overpay.model(task).deliveries == 1


@pytest.mark.rule("overpay.error-once", "overpay.result-shape")
def test_validation_error_returned_once_via_status_then_result(overpay):
    task = overpay.create(Outcome.VALIDATION_ERROR, label="error-once-status")

    kind, answer = overpay.outcome(task)

    _expect_once(overpay, task, kind, answer, "overpay.error-once")
    assert "errors" in answer.json or "response" in answer.json, answer.summary()


@pytest.mark.rule("overpay.error-once", "overpay.result-shape")
def test_validation_error_returned_once_via_result_url_only(overpay):
    task = overpay.create(Outcome.VALIDATION_ERROR, label="error-once-result")

    kind, answer = overpay.wait_result(task)

    _expect_once(overpay, task, kind, answer, "overpay.error-once")


@pytest.mark.rule("overpay.task-failure-once", "overpay.status-shape")
def test_task_failure_returned_once(overpay):
    task = overpay.create(Outcome.TASK_FAILURE, label="task-failure")

    kind, answer = overpay.outcome(task)

    _expect_once(overpay, task, kind, answer, "overpay.task-failure-once")
