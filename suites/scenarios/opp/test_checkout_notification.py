"""A paid checkout is notified: GET {notificationUrl}?id=…&resourcePath=… naming the checkout
(/v1/checkouts/{checkoutId}/payment) or its payment (/v1/payments/{paymentId}); the shop reads
the status from that resourcePath on its configured server."""

import pytest

pytestmark = pytest.mark.opp


@pytest.mark.rule("opp.checkout-notification", "opp.notification-get", "opp.resource-path",
                  "opp.checkout-status", "opp.final-result-kept")
def test_paid_checkout_is_notified_and_its_status_read(checkout):
    prepared = checkout.prepare(label="notify")
    checkout.paid(prepared, rule="opp.checkout-notification")

    resource_path = checkout.next_notification(prepared)

    payment = checkout.status(prepared, resource_path)
    assert payment["id"] in prepared.payments
    checkout.judge_timeline(prepared)  # the redirect's read, the notification and its read agree
