"""The documented refusals of captures, voids and refunds: a request without parent_uid or
amount, a child of an unknown parent, a refund without reason, and the same parent_uid and
amount again within 30 s (duplicate_check) — each refused at once (a 4xx error) or as a one-time
error result, as any invalid request."""

import pytest

from asyncpay.checks import overpay as checks
from asyncpay.checks import overpay_children
from asyncpay.gateways.overpay.children import answers, child_request, refusal, send, settled

pytestmark = pytest.mark.overpay

#: A uid no gateway issued: the docs' own format ("1-310b0da80b"), digits never used.
UNKNOWN_PARENT = "0-0000000000"


@pytest.mark.rule("overpay.invalid-rejected")
@pytest.mark.parametrize("operation", ["captures", "voids", "refunds"])
@pytest.mark.parametrize("breach", ["no parent_uid", "no amount", "an unknown parent_uid"])
def test_child_breaking_a_documented_constraint_is_refused(overpay, operation, breach):
    rule = "overpay.invalid-rejected"
    overpay.require_operation(operation, rule)
    request = child_request(operation, UNKNOWN_PARENT, 100)
    if breach == "no parent_uid":
        del request["parent_uid"]
    elif breach == "no amount":
        # A real parent, so the amount left out is the only thing wrong.
        parent = settled(overpay, "authorizations" if operation != "refunds" else "payments", rule=rule)
        request = child_request(operation, parent["uid"], parent["amount"])
        del request["amount"]

    processed, refused = refusal(overpay, operation, request, label=f"{operation[:-1]} with {breach}")

    checks.invalid_rejected(f"{breach} ({operation[:-1]})", processed, refused,
                            api_version=overpay.target.api_version)


@pytest.mark.rule("overpay.refund-reason")
def test_refund_without_reason_is_refused(overpay):
    rule = "overpay.refund-reason"
    overpay.require_operation("refunds", rule)
    payment = settled(overpay, "payments", rule=rule)

    processed, refused = refusal(overpay, "refunds", child_request("refunds", payment["uid"], payment["amount"],
                                                                   reason=None), label="refund without reason")

    overpay_children.refund_reason_required(processed, refused, api_version=overpay.target.api_version)


@pytest.mark.rule("overpay.child-duplicate")
def test_refund_repeated_within_30_seconds_is_refused(overpay):
    rule = "overpay.child-duplicate"
    overpay.require_operation("refunds", rule)
    payment = settled(overpay, "payments", rule=rule)
    request = child_request("refunds", payment["uid"], max(1, payment["amount"] // 3))

    # Both sent at once: whichever the gateway takes first is the original, the other the repeat.
    processed, refused = answers(overpay, [send(overpay, "refunds", request, label=label)
                                           for label in ("refund", "refund again")])

    overpay_children.duplicate_child_refused("refunds", processed, refused, api_version=overpay.target.api_version)
