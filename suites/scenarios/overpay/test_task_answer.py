"""The async POST answers with a task, whose URLs stay on the gateway's origin."""

import pytest

from asyncpay.gateways.overpay.lifecycle import AnswerKind, Outcome

pytestmark = pytest.mark.overpay


@pytest.mark.rule("overpay.task-answer", "overpay.urls-on-gateway")
@pytest.mark.parametrize("operation", ["payments", "authorizations"])
def test_async_post_answers_with_a_processing_task(overpay, operation):
    task = overpay.create(Outcome.SUCCESSFUL, operation=operation, label=f"task-{operation}")

    # The model holds the first status answer to its shape (processing, completed or the result;
    # an error to this valid request fails overpay.result-matches-request there).
    kind, answer = overpay.read(task, "status")

    if kind is AnswerKind.UNKNOWN:  # accepted by the model only past the retention window
        overpay.expect(task, (kind, answer), AnswerKind.PROCESSING, rule="overpay.task-answer")
