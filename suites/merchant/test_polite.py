"""The shop is polite to the platform: it waits out a 429 and repeats a POST under its RequestID."""

import pytest

from asyncpay.platform import scenarios


@pytest.mark.rule("merchant.honours-throttle")
def test_throttled_post_waits_for_retry_after(merchant_platform):
    scenarios.overpay_throttled_post(merchant_platform)


@pytest.mark.rule("merchant.same-request-id")
def test_post_repeated_after_5xx_keeps_its_request_id(merchant_platform):
    scenarios.overpay_post_after_5xx(merchant_platform)


@pytest.mark.rule("merchant.spaces-status-reads")
def test_repeated_notifications_of_a_settled_payment_do_not_each_cost_a_read(merchant_platform):
    scenarios.opp_notification_repeats_read_sparingly(merchant_platform)
