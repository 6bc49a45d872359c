"""The async notification round trip, with the merchant reading its status on its own server.

The pending trigger (a 3-D Secure test card by default) makes a status change to notify. If the
platform answers it final at once, a notification may still come; any that does is held to every
rule, and only when none comes is the flow reported not verified.
"""

import pytest

from asyncpay import contracts
from asyncpay.errors import ContractViolation, NotVerified

pytestmark = pytest.mark.opp

#: How long to wait for a notification the docs do not promise (the payment was final at once).
UNPROMISED_WAIT = 15.0


def _pay(opp, label, notify, rule):
    """The payment, and the resourcePath of its first notification (None: none came, none owed)."""
    payment = opp.pay("pending", label=label, notify=notify)
    group = opp.result_group(payment.answer["result"]["code"], "payment answer")
    if not group.final:
        return payment, None
    try:
        return payment, opp.next_notification(
            payment, rule=rule, timeout=min(opp.target.timing.notification_timeout, UNPROMISED_WAIT))
    except ContractViolation as exc:
        if exc.rule != rule:
            raise
        raise NotVerified(rule, f"the pending trigger gave a final answer ({payment.answer['result']['code']}) "
                          "and no notification came; set [opp.outcomes.pending] to a trigger that leaves the "
                          "payment pending") from None


@pytest.mark.rule("opp.notification-arrives", "opp.notification-get", "opp.notification-id",
                  "opp.resource-path", "opp.status-read", "opp.final-state", "opp.result-code-documented")
def test_notification_leads_to_the_final_status(opp):
    payment, resource_path = _pay(opp, "flow", "notificationUrl", "opp.notification-arrives")

    final = opp.follow_to_final(payment) if resource_path is None else opp.status(payment, resource_path)

    assert final["id"] == payment.id
    assert contracts.classify_result_code(final["result"]["code"]).final
    assert payment.seen, "a notification was followed"


@pytest.mark.rule("opp.shopper-result-fallback", "opp.notification-get", "opp.notification-id",
                  "opp.resource-path")
def test_without_notification_url_the_shopper_result_url_is_notified(opp):
    payment, resource_path = _pay(opp, "fallback", "shopperResultUrl", "opp.shopper-result-fallback")

    if resource_path is None:
        resource_path = opp.next_notification(payment, rule="opp.shopper-result-fallback")

    assert resource_path.startswith("/")
