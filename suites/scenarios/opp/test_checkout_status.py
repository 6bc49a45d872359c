"""GET /v1/checkouts/{id}/payment with the bearer token: the checkout's payment once the shopper
paid (its own payment id; amount, currency and merchantTransactionId as sent), and never a
successful payment before."""

import pytest

from asyncpay.checks import checkout as checks

pytestmark = pytest.mark.opp


@pytest.mark.rule("opp.checkout-status", "opp.resource-path")
def test_unpaid_checkout_never_reads_as_a_successful_payment(checkout):
    prepared = checkout.prepare(label="unpaid")

    answer = checkout.read(prepared, prepared.resource_path, label="status before the shopper paid")

    checks.not_paid_before_the_shopper(answer, prepared.id)


@pytest.mark.rule("opp.checkout-status", "opp.result-code-documented", "opp.resource-path",
                  "opp.final-result-kept")
def test_paid_checkout_reads_as_its_payment(checkout):
    prepared = checkout.prepare(label="status")

    payment = checkout.paid(prepared, rule="opp.checkout-status")

    assert payment["id"] in prepared.payments
    # A later read may answer the payment again, or 200.300.404 (the docs leave it open).
    again = checkout.read(prepared, prepared.resource_path, label="status read again")
    if again.status_code == 200:
        checks.paid_status(again, prepared.form, "second status read")
    checkout.judge_timeline(prepared)  # every read of the payment, on every channel, agrees
