"""The result is the standard synchronous response for the request that created the task."""

import pytest

from asyncpay.checks import overpay as checks
from asyncpay.errors import NotVerified
from asyncpay.gateways.overpay.lifecycle import AnswerKind, Outcome
from asyncpay.gateways.overpay.merchant import OPERATION_TYPES
from asyncpay.schemas.api_versions import transaction_of

pytestmark = pytest.mark.overpay

EXPECTED_STATUS = {Outcome.SUCCESSFUL: "successful", Outcome.FAILED: "failed"}


@pytest.mark.rule("overpay.result-shape", "overpay.result-matches-request")
@pytest.mark.parametrize("operation", ["payments", "authorizations"])
@pytest.mark.parametrize("outcome", [Outcome.SUCCESSFUL, Outcome.FAILED], ids=lambda o: o.value)
def test_result_answers_the_request(overpay, operation, outcome):
    task = overpay.create(outcome, operation=operation, label=f"result-{operation}-{outcome.value}")

    answer = overpay.expect(task, overpay.outcome(task), AnswerKind.RESULT,  # the model holds it to its contract
                            rule="overpay.result-matches-request")
    kind_name = OPERATION_TYPES[operation]
    checks.result_shape(answer.json, f"task {task.request_id}", kind=f"result-{kind_name}",
                        api_version=overpay.target.api_version)
    transaction = transaction_of(answer.json)
    checks.result_matches_request(transaction, task.request, kind_name, f"the result of task {task.request_id}")
    if transaction["status"] != EXPECTED_STATUS[outcome]:
        raise NotVerified("overpay.result-matches-request",
                          f"the {outcome.value} test trigger gave a {transaction['status']!r} transaction; "
                          f"set [overpay.outcomes.{outcome.value}] in the profile")


@pytest.mark.rule("overpay.result-stable")
def test_200_result_reads_the_same_every_time(overpay):
    task = overpay.create(Outcome.SUCCESSFUL, label="stable")
    overpay.expect(task, overpay.outcome(task), AnswerKind.RESULT, rule="overpay.result-stable")

    # Up to three more reads, all inside the retention window; the model compares each with the
    # first and fails result-stable on any difference.
    for _ in overpay.planned_reads(task, 3, rule="overpay.result-stable", at_least=1):
        overpay.read(task, "result")

    served = overpay.model(task).result_reads
    if served < 2:  # reads throttled (HTTP 429) or the window used up: nothing to compare
        raise NotVerified("overpay.result-stable", f"{served} read(s) of task {task.request_id}'s result were "
                          "served inside its retention window; two are needed to compare")
