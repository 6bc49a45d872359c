"""A request that breaks a documented constraint is refused: at once, or as a one-time error."""

import pytest

from asyncpay.checks import overpay as checks
from asyncpay.gateways.overpay.lifecycle import AnswerKind, Outcome

pytestmark = pytest.mark.overpay

BREACHES = {
    "amount zero": {"amount": 0},
    "amount negative": {"amount": -100},
    "currency not ISO 4217": {"currency": "dollars"},
}


@pytest.mark.rule("overpay.invalid-rejected")
@pytest.mark.parametrize("breach", list(BREACHES))
def test_documented_constraint_breach_is_refused(overpay, breach):
    body = overpay.request_body(Outcome.SUCCESSFUL, "invalid", BREACHES[breach])
    sent_at = overpay.clock.now()

    answer = overpay.post("/async/transactions/payments", json_body={"request": body}, label=f"POST with {breach}")

    if 400 <= answer.status_code < 500 and answer.status_code not in (401, 403):
        checks.invalid_rejected(breach, processed=None, refusal=answer, api_version=overpay.target.api_version)
        return
    task = overpay.task_from(answer, "payments", body, Outcome.ANY, sent_at, overpay.clock.now(), "invalid",
                             documented=False)
    kind, result = overpay.wait_result(task)
    checks.invalid_rejected(breach, processed=result if kind is AnswerKind.RESULT else None)
    for _ in overpay.planned_reads(task, 1):
        overpay.read(task, "result")  # the model: the one-time error is not handed out again
