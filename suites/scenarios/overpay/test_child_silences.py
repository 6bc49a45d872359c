"""Where the docs say nothing of a child, every reasonable answer passes, held only to the
documented shapes: a capture above what the authorization has left (refused, or a failed
capture), a second void of one authorization (refused, or a failed void), and the parent's uid
query after a refund (the parent itself, whatever it shows of its children)."""

import pytest

from asyncpay.checks import overpay as checks
from asyncpay.errors import NotVerified
from asyncpay.gateways.overpay.children import (
    answers,
    child_request,
    create_child,
    refusal,
    result_transaction,
    send,
    settled,
)
from asyncpay.schemas.api_versions import transaction_of
from asyncpay.schemas.contracts import OVERPAY_TRANSACTION_TYPES

pytestmark = pytest.mark.overpay


def answered_in_shape(overpay, operation, processed, refused):
    """A refusal in the documented error shape, or a transaction in its type's contract."""
    if refused is not None:
        checks.invalid_rejected(f"a {operation[:-1]} the docs leave open", None, refused,
                                api_version=overpay.target.api_version)
    if processed is not None:
        type_name = OVERPAY_TRANSACTION_TYPES[operation]
        checks.result_shape(processed.json, f"the {type_name}", kind=f"result-{type_name}",
                            api_version=overpay.target.api_version)


@pytest.mark.rule("overpay.result-shape")
def test_capture_above_the_authorized_amount_gets_any_documented_answer(overpay):
    rule = "overpay.result-shape"
    authorization = settled(overpay, "authorizations", rule=rule)
    overpay.require_operation("captures", rule)

    processed, refused = refusal(overpay, "captures",
                                 child_request("captures", authorization["uid"], authorization["amount"] + 100),
                                 label="capture above the authorized amount")

    answered_in_shape(overpay, "captures", processed, refused)


@pytest.mark.rule("overpay.result-shape")
def test_second_void_gets_any_documented_answer(overpay):
    rule = "overpay.result-shape"
    authorization = settled(overpay, "authorizations", rule=rule)
    overpay.require_operation("voids", rule)

    # Two voids at once, for different amounts (the same parent_uid and amount within 30 s is a
    # documented duplicate): whichever the gateway takes second is the second void.
    sent = [send(overpay, "voids", child_request("voids", authorization["uid"], amount), label=label)
            for amount, label in ((authorization["amount"], "void"), (max(1, authorization["amount"] - 1),
                                                                      "second void"))]
    processed, refused = answers(overpay, sent)

    for answer in refused:
        answered_in_shape(overpay, "voids", None, answer)
    for answer in processed:
        answered_in_shape(overpay, "voids", answer, None)
    if not any((transaction_of(a.json) or {}).get("status") == "successful" for a in processed):
        raise NotVerified(rule, "neither void succeeded: the authorization could not be voided at all")


@pytest.mark.rule("overpay.uid-query")
def test_parent_uid_query_after_a_refund_still_answers_the_parent(overpay):
    rule = "overpay.uid-query"
    payment = settled(overpay, "payments", rule=rule)
    refund = create_child(overpay, "refunds", payment, max(1, payment["amount"] // 2), rule=rule)
    result_transaction(overpay, refund, rule=rule)

    answer = overpay.uid_query(payment["uid"])

    # Its status or amounts may show the refund (the docs do not say): uid, type, currency and
    # tracking_id stay the parent's.
    shown = transaction_of(answer.json) or {}
    checks.uid_query(answer, {**payment, "amount": shown.get("amount"), "status": shown.get("status")},
                     api_version=overpay.target.api_version)
