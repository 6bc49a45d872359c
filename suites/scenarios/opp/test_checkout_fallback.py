"""Without notificationUrl, a checkout's notification goes to its shopperResultUrl."""

import pytest

pytestmark = pytest.mark.opp


@pytest.mark.rule("opp.shopper-result-fallback", "opp.checkout-notification", "opp.notification-get",
                  "opp.resource-path")
def test_without_notification_url_the_shopper_result_url_is_notified(checkout):
    prepared = checkout.prepare(label="fallback", notify=False)
    checkout.paid(prepared, rule="opp.shopper-result-fallback")

    resource_path = checkout.next_notification(prepared, rule="opp.shopper-result-fallback")

    assert resource_path.startswith("/")
