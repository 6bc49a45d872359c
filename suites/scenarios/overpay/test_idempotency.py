"""A request sent again with the same RequestID (what a merchant does after a timeout) creates no
second transaction; another RequestID is another request."""

import uuid

import pytest

from asyncpay.checks import idempotency
from asyncpay.errors import NotVerified
from asyncpay.gateways.overpay.lifecycle import AnswerKind, Outcome
from asyncpay.schemas.api_versions import transaction_of
from asyncpay.waiting.polling import poll

pytestmark = pytest.mark.overpay


def _send(overpay, body, key, label, *, repeat=False):
    """POST the same request body with ``RequestID: key``; the task it was answered with."""
    sent_at = overpay.clock.now()
    answer = overpay.client.send("POST", "/async/transactions/payments", json_body={"request": body},
                                 headers={idempotency.HEADER: key}, label=label)
    if repeat:
        idempotency.repeat_answered_as_task(answer, key, "POST /async/transactions/payments")
    return overpay.task_from(answer, "payments", body, Outcome.SUCCESSFUL, sent_at, overpay.clock.now(), label)


def _attempt(overpay, task, key):
    kind, answer = overpay.outcome(task)  # every read held to the lifecycle model
    transaction = transaction_of(answer.json) if kind is AnswerKind.RESULT else None
    if transaction is None:
        raise NotVerified("overpay.idempotent-request",
                          f"the successful test trigger gave no transaction ({answer.summary()}); "
                          "set [overpay.outcomes.successful] in the profile")
    return idempotency.Attempt(key, task.request_id, str(transaction["uid"]))


@pytest.mark.rule("overpay.idempotent-request")
def test_same_request_id_creates_one_transaction(overpay):
    body = overpay.request_body(Outcome.SUCCESSFUL, "idempotent")
    key, other_key = str(uuid.uuid4()), str(uuid.uuid4())

    first_task = _send(overpay, body, key, "first sending")
    repeat_task = _send(overpay, body, key, "repeat, same RequestID", repeat=True)
    other_task = _send(overpay, body, other_key, "another RequestID")

    first = _attempt(overpay, first_task, key)
    repeat = _attempt(overpay, repeat_task, key)
    other = _attempt(overpay, other_task, other_key)
    idempotency.repeat_names_same_transaction(first, repeat)
    idempotency.new_key_new_transaction(first, other)

    # The answers can name one transaction while a second one was made: ask the gateway.
    tracking_id = body["tracking_id"]
    timing = overpay.target.timing

    def unconfirmed(describe, timeout, elapsed, seen):
        raise NotVerified("overpay.idempotent-request",
                          "the answers name one transaction per RequestID, but the tracking_id query did not "
                          f"list them within {timeout:g} s, so it cannot confirm no second one was made: {seen[-3:]}")

    listed = poll(lambda: [t.get("uid") for t in overpay.tracking_query(tracking_id)],
                  until=lambda uids: {first.uid, other.uid} <= set(uids), clock=overpay.clock,
                  timeout=timing.processing_timeout, interval=timing.poll_interval,
                  on_timeout=unconfirmed, describe=f"the transactions of {tracking_id} to be listed", show=sorted)
    idempotency.one_transaction_per_key(tracking_id, listed, [first, repeat, other])
