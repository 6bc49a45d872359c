"""The result is the standard synchronous response for the request that created the task."""

import pytest

from asyncpay.api_versions import transaction_of
from asyncpay.checks.api_version import answer_in_version
from asyncpay.errors import ContractViolation, NotVerified
from asyncpay.lifecycle import Kind, Outcome
from asyncpay.overpay import OPERATION_TYPES

pytestmark = pytest.mark.overpay

EXPECTED_STATUS = {Outcome.SUCCESSFUL: "successful", Outcome.FAILED: "failed"}


@pytest.mark.rule("overpay.result-shape", "overpay.result-matches-request")
@pytest.mark.parametrize("operation", ["payments", "authorizations"])
@pytest.mark.parametrize("outcome", [Outcome.SUCCESSFUL, Outcome.FAILED], ids=lambda o: o.value)
def test_result_answers_the_request(overpay, operation, outcome):
    task = overpay.create(outcome, operation=operation, label=f"result-{operation}-{outcome.value}")

    answer = overpay.completed_result(task)

    assert answer.status_code == 200, answer.summary()
    kind = OPERATION_TYPES[operation]
    answer_in_version(answer.json, api_version=overpay.target.api_version, kind=f"result-{kind}",
                      rule="overpay.result-shape", what=f"result of POST /async/transactions/{operation}")
    transaction = transaction_of(answer.json)
    request = task.request
    expected = {"type": kind, "amount": request["amount"], "currency": request["currency"],
                "tracking_id": request["tracking_id"]}
    received = {key: transaction.get(key) for key in expected}
    if received != expected:
        raise ContractViolation("overpay.result-matches-request",
                                f"the result of task {task.request_id} does not answer its request",
                                expected=expected, received=received)
    if transaction["status"] != EXPECTED_STATUS[outcome]:
        raise NotVerified("overpay.result-matches-request",
                          f"the {outcome.value} test trigger gave a {transaction['status']!r} transaction; "
                          f"set [overpay.outcomes.{outcome.value}] in the profile")


@pytest.mark.rule("overpay.result-stable")
def test_200_result_reads_the_same_every_time(overpay):
    task = overpay.create(Outcome.SUCCESSFUL, label="stable")
    first = overpay.completed_result(task)
    assert first.status_code == 200, first.summary()

    step = max(overpay.target.timing.poll_interval, 1.0)
    for _ in range(3):
        overpay.clock.advance(step)
        kind, again = overpay.read(task, "result")  # the model compares every read with the first
        assert kind is Kind.RESULT and again.json == first.json
