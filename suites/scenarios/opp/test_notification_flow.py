"""The async notification round trip, with the merchant reading its status on its own server.

The pending trigger (a 3-D Secure test card by default) makes a status change to notify. A
notification is a hint to read the status: the flow follows it, reading again while the payment
is still pending, and passes once the status is final. If the platform answers the payment final
at once, a notification may still come; any that does is held to every rule, and only when none
comes is the flow reported not verified.
"""

import pytest

from asyncpay.checks import opp as checks
from asyncpay.errors import ContractViolation, NotVerified

pytestmark = pytest.mark.opp

#: How long to wait (seconds) for a notification the docs do not promise (the payment was final at once).
UNPROMISED_WAIT = 15.0


def _pay(opp, label, notify, on_timeout):
    """The payment, and the resourcePath of its first notification (None: none taken yet)."""
    payment = opp.pay("pending", label=label, notify=notify)
    group = checks.result_code_documented(payment.answer["result"]["code"], "payment answer")
    if not group.final:
        return payment, None
    try:
        return payment, opp.next_notification(
            payment, on_timeout=on_timeout, timeout=min(opp.target.timing.notification_timeout, UNPROMISED_WAIT))
    except ContractViolation as exc:
        if exc.rule != on_timeout.rule:
            raise
        raise NotVerified(on_timeout.rule, f"the pending trigger gave a final answer "
                          f"({payment.answer['result']['code']}) and no notification came; set "
                          "[opp.outcomes.pending] to a trigger that leaves the payment pending") from None


@pytest.mark.rule("opp.notification-arrives", "opp.notification-get", "opp.notification-id",
                  "opp.resource-path", "opp.status-read", "opp.final-state", "opp.result-code-documented",
                  "opp.final-result-kept")
def test_notification_leads_to_the_final_status(opp):
    payment, resource_path = _pay(opp, "flow", "notificationUrl", checks.notification_arrives)

    final = opp.follow_to_final(payment, resource_path)

    assert checks.result_code_documented(final["result"]["code"], "final status").final
    assert payment.seen, "a notification was followed"
    opp.judge_timeline(payment)  # the answer, the reads and the notifications agree


@pytest.mark.rule("opp.shopper-result-fallback", "opp.notification-get", "opp.notification-id",
                  "opp.resource-path")
def test_without_notification_url_the_shopper_result_url_is_notified(opp):
    payment, resource_path = _pay(opp, "fallback", "shopperResultUrl", checks.shopper_result_fallback)

    if resource_path is None:
        resource_path = opp.next_notification(payment, on_timeout=checks.shopper_result_fallback)

    assert resource_path.startswith("/")
