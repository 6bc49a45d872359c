"""The shop is polite to the platform: it waits out a 429 and repeats a POST under its RequestID."""

import pytest

from asyncpay.platform import scenarios


@pytest.mark.rule("merchant.honours-throttle")
def test_throttled_post_waits_for_retry_after(merchant_platform):
    scenarios.overpay_throttled_post(merchant_platform)


@pytest.mark.rule("merchant.same-request-id")
def test_post_repeated_after_5xx_keeps_its_request_id(merchant_platform):
    scenarios.overpay_post_after_5xx(merchant_platform)
