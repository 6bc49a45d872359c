"""X-API-Version: 3 gets the v3 answers (the transaction flattened, with a code); without the
header the classic v2 shape is the default. The task lifecycle is the same in both."""

import pytest

from asyncpay.api_versions import speaking, transaction_of
from asyncpay.checks.api_version import answer_in_version
from asyncpay.errors import ContractViolation
from asyncpay.lifecycle import Kind, Outcome

pytestmark = pytest.mark.overpay


@pytest.mark.rule("overpay.api-version")
@pytest.mark.parametrize("version", [3, 2], ids=["v3", "v2 (no header)"])
def test_every_answer_is_in_the_version_asked_for(overpay, version):
    gateway = speaking(overpay, version)
    task = gateway.create(Outcome.SUCCESSFUL, label=f"api-v{version}")  # task answer: its version's contract

    kind, answer = gateway.outcome(task)  # the lifecycle model holds the result to that version

    if kind is not Kind.RESULT:
        raise ContractViolation("overpay.result-matches-request", f"task {task.request_id} gave no result",
                                expected="HTTP 200 with the standard response", received=answer.summary())
    answer_in_version(answer.json, api_version=version, kind="result-payment", rule="overpay.result-shape",
                      what=f"the v{version} result of task {task.request_id}")
    uid = transaction_of(answer.json)["uid"]
    query = gateway.uid_query(uid)
    if query.status_code != 200:
        raise ContractViolation("overpay.uid-query", f"GET /transactions/{uid} is not 200",
                                expected="HTTP 200 with the transaction", received=query.summary())
    answer_in_version(query.json, api_version=version, kind="transaction-response", rule="overpay.uid-query",
                      what=f"the v{version} answer to GET /transactions/{uid}")
    gateway.tracking_query(task.request["tracking_id"])  # held to its version's contract


@pytest.mark.rule("overpay.api-version")
@pytest.mark.parametrize("version", [3, 2], ids=["v3", "v2 (no header)"])
def test_validation_error_is_in_the_version_asked_for(overpay, version):
    gateway = speaking(overpay, version)
    task = gateway.create(Outcome.VALIDATION_ERROR, label=f"api-v{version}-error")

    kind, answer = gateway.outcome(task)

    if kind is not Kind.ERROR:
        raise ContractViolation("overpay.error-once", f"task {task.request_id} did not deliver its error",
                                expected="a non-200 error result, once", received=answer.summary())
    answer_in_version(answer.json, api_version=version, kind="error", rule="overpay.result-shape",
                      what=f"the v{version} error result of task {task.request_id}")
