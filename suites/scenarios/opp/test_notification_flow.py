"""The async notification round trip, with the merchant reading its status on its own server."""

import pytest

from asyncpay.errors import NotVerified

pytestmark = pytest.mark.opp


def _pending(opp, label, notify):
    payment = opp.pay("pending", label=label, notify=notify)
    group = opp.result_group(payment.answer["result"]["code"], "payment answer")
    if group.final:
        raise NotVerified("opp.notification-arrives",
                          f"the pending trigger gave a final answer ({payment.answer['result']['code']}), so "
                          "no status change is left to notify; set [opp.outcomes.pending]")
    return payment


@pytest.mark.rule("opp.notification-arrives", "opp.notification-get", "opp.notification-id",
                  "opp.resource-path", "opp.status-read", "opp.final-state", "opp.result-code-documented")
def test_notification_leads_to_the_final_status(opp):
    payment = _pending(opp, "flow", "notificationUrl")

    final = opp.follow_to_final(payment)

    assert final["id"] == payment.id
    assert payment.seen, "a notification was followed"


@pytest.mark.rule("opp.shopper-result-fallback", "opp.notification-get", "opp.notification-id",
                  "opp.resource-path")
def test_without_notification_url_the_shopper_result_url_is_notified(opp):
    payment = _pending(opp, "fallback", "shopperResultUrl")

    resource_path = opp.next_notification(payment, rule="opp.shopper-result-fallback")

    assert resource_path.startswith("/")
