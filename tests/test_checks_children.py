"""The checks of captures, voids and refunds decide their rules from the answers they are given:
amount as requested, the parent named, a refund's reason required, a repeat within 30 s refused."""

import json

import httpx
import pytest

from asyncpay.checks import overpay_children as checks
from asyncpay.errors import ContractViolation, NotVerified
from asyncpay.http.client import Answer

PARENT = "1-310b0da80b"
REFUND = {"uid": "2-4f0b0da80c", "status": "successful", "amount": 50, "currency": "USD", "type": "refund",
          "parent_uid": PARENT, "refund": {"amount": 50, "status": "successful"}}
REFUSAL = {"message": "Reason can't be blank", "errors": {"reason": ["can't be blank"]}}


def answer(status: int, body: object) -> Answer:
    return Answer("GET", "https://gateway.overpay.test/async/result/10203", status,
                  httpx.Headers({"content-type": "application/json"}), json.dumps(body).encode(), 0.01)


def test_amount_as_requested_passes_and_any_other_fails() -> None:
    checks.child_amount(REFUND, {"amount": 50}, "the refund")
    with pytest.raises(ContractViolation, match="overpay.child-amount") as caught:
        checks.child_amount(REFUND, {"amount": 49}, "the refund")
    assert "refund.amount" in str(caught.value)
    with pytest.raises(ContractViolation, match="overpay.child-amount"):
        checks.child_amount({**REFUND, "refund": {"amount": 51}}, {"amount": 50}, "the refund")


def test_the_parent_named_passes_another_fails_none_is_not_verified() -> None:
    checks.child_parent(REFUND, PARENT, "the refund")
    with pytest.raises(ContractViolation, match="overpay.child-parent"):
        checks.child_parent({**REFUND, "parent_uid": "9-0000000000"}, PARENT, "the refund")
    with pytest.raises(NotVerified, match="overpay.child-parent"):
        checks.child_parent({k: v for k, v in REFUND.items() if k != "parent_uid"}, PARENT, "the refund")


def test_a_refund_without_reason_must_be_refused() -> None:
    checks.refund_reason_required(None, answer(422, REFUSAL))
    checks.refund_reason_required(None, None)  # refused as a one-time error result
    with pytest.raises(ContractViolation, match="overpay.refund-reason"):
        checks.refund_reason_required(answer(200, {"transaction": REFUND}))
    with pytest.raises(ContractViolation, match="overpay.refund-reason"):
        checks.refund_reason_required(None, answer(422, {"error": "bad request"}))  # undocumented refusal


def test_of_two_identical_refunds_one_is_processed() -> None:
    processed = answer(200, {"transaction": REFUND})
    checks.duplicate_child_refused("refunds", [processed], [answer(422, REFUSAL)])
    checks.duplicate_child_refused("refunds", [processed], [])  # the repeat got a one-time error
    with pytest.raises(ContractViolation, match="overpay.child-duplicate"):
        checks.duplicate_child_refused("refunds", [processed, processed], [])
    with pytest.raises(NotVerified, match="overpay.child-duplicate"):
        checks.duplicate_child_refused("refunds", [], [answer(422, REFUSAL)])


def test_a_child_that_never_completes_fails_its_own_rule() -> None:
    with pytest.raises(ContractViolation, match="overpay.child-completes"):
        checks.child_completes("task 10203 to complete", 60, 60.2, ["200 processing"])
