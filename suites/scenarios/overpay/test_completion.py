"""A task moves from processing to completed, carries response_url, and never goes back."""

import pytest

from asyncpay.errors import ContractViolation
from asyncpay.lifecycle import Kind, Outcome

pytestmark = pytest.mark.overpay


@pytest.mark.rule("overpay.completes", "overpay.status-shape", "overpay.no-going-back")
def test_task_completes_and_stays_completed(overpay):
    task = overpay.create(Outcome.SUCCESSFUL, label="completes")

    kind, answer = overpay.wait_completed(task)
    if kind not in (Kind.COMPLETED, Kind.RESULT):
        raise ContractViolation("overpay.status-shape", "the status URL of a done task did not say completed",
                                expected='{"status": "completed", "request_id", "response_url"}',
                                received=answer.summary())
    for _ in range(3):
        overpay.clock.advance(overpay.target.timing.poll_interval)
        again, answer = overpay.read(task, "status")
        assert again is kind, f"status changed from {kind.value} to {again.value}: {answer.summary()}"


@pytest.mark.rule("overpay.completes", "overpay.no-going-back")
def test_result_url_alone_reaches_the_result(overpay):
    """The docs allow skipping the status URL and asking response_url directly."""
    task = overpay.create(Outcome.SUCCESSFUL, label="result-only")

    kind, answer = overpay.wait_result(task)

    assert kind is Kind.RESULT, answer.summary()
    kind, _ = overpay.read(task, "status")
    assert kind in (Kind.COMPLETED, Kind.RESULT)
