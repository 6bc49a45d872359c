"""A request that breaks a documented constraint is refused: at once, or as a one-time error."""

import pytest

from asyncpay.checks.api_version import answer_in_version
from asyncpay.errors import ContractViolation
from asyncpay.lifecycle import Kind, Outcome

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
    created_lo = overpay.clock.now()

    answer = overpay.client.send("POST", "/async/transactions/payments", json_body={"request": body},
                                 label=f"POST with {breach}")

    if 400 <= answer.status_code < 500 and answer.status_code not in (401, 403):
        answer_in_version(answer.json, api_version=overpay.target.api_version, kind="error",
                          rule="overpay.invalid-rejected", what=f"synchronous refusal of a request with {breach}")
        return
    task = overpay.task_from(answer, "payments", body, Outcome.ANY, created_lo,
                             overpay.clock.now(), "invalid")
    kind, result = overpay.wait_result(task)
    if kind is not Kind.ERROR:
        raise ContractViolation("overpay.invalid-rejected", f"a request with {breach} was processed",
                                expected="a synchronous 4xx error, or a non-200 error result delivered once",
                                received=result.summary())
    again, second = overpay.read(task, "result")
    assert again is Kind.UNKNOWN, second.summary()
