"""The status queries: by tracking_id ({transactions: [...]}) and by uid ({transaction})."""

import uuid

import pytest

from asyncpay.checks import overpay as checks
from asyncpay.gateways.overpay.lifecycle import AnswerKind, Outcome
from asyncpay.schemas.api_versions import transaction_of

pytestmark = pytest.mark.overpay


def completed(overpay, rule):
    """A task followed to its 200 result, and the transaction in it."""
    task = overpay.create(Outcome.SUCCESSFUL, label="queries")
    answer = overpay.expect(task, overpay.outcome(task), AnswerKind.RESULT, rule=rule)
    return task, transaction_of(answer.json)


@pytest.mark.rule("overpay.tracking-query", "overpay.final-state")
def test_tracking_query_lists_the_transaction(overpay):
    task, transaction = completed(overpay, "overpay.tracking-query")

    listed = overpay.tracking_query(task.request["tracking_id"], task=task)

    checks.tracking_lists(listed, transaction["uid"])
    overpay.judge_timeline(task)  # the result and the query agree on the final status


@pytest.mark.rule("overpay.tracking-query")
def test_tracking_query_of_unknown_id_is_empty(overpay):
    listed = overpay.tracking_query(f"asyncpay-none-{uuid.uuid4().hex}")

    checks.tracking_lists(listed, None)


@pytest.mark.rule("overpay.uid-query", "overpay.final-state")
def test_uid_query_answers_the_transaction(overpay):
    task, transaction = completed(overpay, "overpay.uid-query")

    answer = overpay.uid_query(transaction["uid"], task=task)

    checks.uid_query(answer, transaction, api_version=overpay.target.api_version)
    overpay.judge_timeline(task)  # the result and the query agree on the final status
