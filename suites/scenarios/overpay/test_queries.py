"""The status queries: by tracking_id ({transactions: [...]}) and by uid ({transaction})."""

import uuid

import pytest

from asyncpay.api_versions import transaction_of
from asyncpay.checks.api_version import answer_in_version
from asyncpay.errors import ContractViolation
from asyncpay.lifecycle import Outcome

pytestmark = pytest.mark.overpay


@pytest.fixture
def completed(overpay):
    task = overpay.create(Outcome.SUCCESSFUL, label="queries")
    answer = overpay.completed_result(task)
    assert answer.status_code == 200, answer.summary()
    return task, transaction_of(answer.json)


@pytest.mark.rule("overpay.tracking-query")
def test_tracking_query_lists_the_transaction(overpay, completed):
    task, transaction = completed

    listed = overpay.tracking_query(task.request["tracking_id"]).json["transactions"]

    uids = [t.get("uid") for t in listed]
    if transaction["uid"] not in uids:
        raise ContractViolation("overpay.tracking-query", "the tracking_id query misses the transaction",
                                expected={"transactions": [{"uid": transaction["uid"]}]},
                                received={"transactions": uids})
    assert all(t.get("tracking_id") == task.request["tracking_id"] for t in listed)
    assert len(listed) <= 10


@pytest.mark.rule("overpay.tracking-query")
def test_tracking_query_of_unknown_id_is_empty(overpay):
    listed = overpay.tracking_query(f"asyncpay-none-{uuid.uuid4().hex}").json["transactions"]
    if listed != []:
        raise ContractViolation("overpay.tracking-query", "an unknown tracking_id lists transactions",
                                expected={"transactions": []}, received={"transactions": listed[:3]})


@pytest.mark.rule("overpay.uid-query")
def test_uid_query_answers_the_transaction(overpay, completed):
    _, transaction = completed

    answer = overpay.uid_query(transaction["uid"])

    if answer.status_code != 200:
        raise ContractViolation("overpay.uid-query", f"GET /transactions/{transaction['uid']} is not 200",
                                expected="HTTP 200 {transaction: ...}", received=answer.summary())
    answer_in_version(answer.json, api_version=overpay.target.api_version, kind="transaction-response",
                      rule="overpay.uid-query", what=f"answer to GET /transactions/{transaction['uid']}")
    got = transaction_of(answer.json)
    keys = ("uid", "amount", "currency", "tracking_id", "type")
    if {k: got.get(k) for k in keys} != {k: transaction.get(k) for k in keys}:
        raise ContractViolation("overpay.uid-query", "the uid query answers another transaction",
                                expected={k: transaction.get(k) for k in keys},
                                received={k: got.get(k) for k in keys})
