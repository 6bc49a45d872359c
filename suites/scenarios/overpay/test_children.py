"""Captures, voids and refunds, end to end: each child is an asynchronous task like any other,
and its result answers its request — the amount requested, the parent named, the type
sub-object present (the contract of its type: result-capture, result-void, result-refund)."""

import pytest

from asyncpay.gateways.overpay.children import child_result, create_child, settled

pytestmark = pytest.mark.overpay

@pytest.mark.rule("overpay.child-completes", "overpay.child-amount", "overpay.child-parent", "overpay.result-shape")
@pytest.mark.parametrize("share", [1.0, 0.5], ids=["in full", "in part"])
def test_authorization_captured_then_refunded(overpay, share):
    rule = "overpay.child-amount"
    authorization = settled(overpay, "authorizations", rule=rule)
    amount = max(1, int(authorization["amount"] * share))

    capture = child_result(overpay, create_child(overpay, "captures", authorization, amount, rule=rule),
                           authorization["uid"], rule=rule)
    refund_amount = max(1, amount // 2)  # a partial refund: the docs allow several
    child_result(overpay, create_child(overpay, "refunds", capture, refund_amount, rule=rule),
                 capture["uid"], rule=rule)


@pytest.mark.rule("overpay.child-completes", "overpay.child-amount", "overpay.child-parent", "overpay.result-shape")
def test_authorization_voided(overpay):
    rule = "overpay.child-parent"
    authorization = settled(overpay, "authorizations", rule=rule)

    child_result(overpay, create_child(overpay, "voids", authorization, authorization["amount"], rule=rule),
                 authorization["uid"], rule=rule)


@pytest.mark.rule("overpay.child-completes", "overpay.child-amount", "overpay.child-parent", "overpay.result-shape")
def test_payment_refunded(overpay):
    rule = "overpay.child-parent"
    payment = settled(overpay, "payments", rule=rule)

    child_result(overpay, create_child(overpay, "refunds", payment, payment["amount"], rule=rule),
                 payment["uid"], rule=rule)
