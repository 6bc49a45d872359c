"""A task moves from processing to completed, carries response_url, and never goes back."""

import pytest

from asyncpay.gateways.overpay.lifecycle import AnswerKind, Outcome

pytestmark = pytest.mark.overpay


@pytest.mark.rule("overpay.completes", "overpay.status-shape", "overpay.no-going-back")
def test_task_completes_and_stays_completed(overpay):
    task = overpay.create(Outcome.SUCCESSFUL, label="completes")

    got = overpay.wait_completed(task)  # the model checks every answer on the way
    # The status URL may hand out the result itself ("requested from status_url or response_url").
    overpay.expect(task, got, AnswerKind.RESULT if got[0] is AnswerKind.RESULT else AnswerKind.COMPLETED,
                   rule="overpay.completes")

    # Later reads, planned inside the retention window: the model fails any going back
    # (checks.no_going_back decides it on each read).
    for _ in overpay.planned_reads(task, 3):
        overpay.read(task, "status")


@pytest.mark.rule("overpay.completes", "overpay.no-going-back")
def test_result_url_alone_reaches_the_result(overpay):
    """The docs allow skipping the status URL and asking response_url directly."""
    task = overpay.create(Outcome.SUCCESSFUL, label="result-only")

    overpay.expect(task, overpay.wait_result(task), AnswerKind.RESULT, rule="overpay.completes")
    for _ in overpay.planned_reads(task, 1):
        overpay.read(task, "status")  # the model: completed or the result, never processing
