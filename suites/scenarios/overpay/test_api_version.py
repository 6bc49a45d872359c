"""X-API-Version: 3 gets the v3 answers (the transaction flattened, with a code); without the
header the classic v2 shape is the default. The task lifecycle is the same in both.

Only the versions the profile declares are tested (``[overpay] api_versions``, default ``[2]``):
a gateway that speaks v2 alone conforms, and another version is *not verified*."""

import pytest

from asyncpay.checks import overpay as checks
from asyncpay.checks.api_version import answer_in_version
from asyncpay.gateways.overpay.lifecycle import AnswerKind, Outcome
from asyncpay.schemas.api_versions import declared_view, transaction_of

pytestmark = pytest.mark.overpay


@pytest.mark.rule("overpay.api-version")
@pytest.mark.parametrize("version", [3, 2], ids=["v3", "v2 (no header)"])
def test_every_answer_is_in_the_version_asked_for(overpay, version):
    gateway = declared_view(overpay, version)
    task = gateway.create(Outcome.SUCCESSFUL, label=f"api-v{version}")  # task answer: its version's contract

    answer = gateway.expect(task, gateway.outcome(task), AnswerKind.RESULT, rule="overpay.api-version")
    answer_in_version(answer.json, api_version=version, kind="result-payment", rule="overpay.result-shape",
                      what=f"the v{version} result of task {task.request_id}")
    transaction = transaction_of(answer.json)
    checks.uid_query(gateway.uid_query(transaction["uid"]), transaction, api_version=version)
    gateway.tracking_query(task.request["tracking_id"])  # held to its version's contract


@pytest.mark.rule("overpay.api-version")
@pytest.mark.parametrize("version", [3, 2], ids=["v3", "v2 (no header)"])
def test_validation_error_is_in_the_version_asked_for(overpay, version):
    gateway = declared_view(overpay, version)
    task = gateway.create(Outcome.VALIDATION_ERROR, label=f"api-v{version}-error")

    answer = gateway.expect(task, gateway.outcome(task), AnswerKind.ERROR, rule="overpay.api-version")
    answer_in_version(answer.json, api_version=version, kind="error", rule="overpay.result-shape",
                      what=f"the v{version} error result of task {task.request_id}")
