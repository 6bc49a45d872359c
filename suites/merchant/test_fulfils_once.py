"""Repeated and out-of-order deliveries fulfil an order once."""

import pytest

from asyncpay.platform import scenarios


@pytest.mark.rule("merchant.fulfils-once")
def test_repeated_notification_captures_once(merchant_platform):
    scenarios.opp_repeated_notification(merchant_platform)


@pytest.mark.rule("merchant.fulfils-once")
def test_repeated_and_out_of_order_webhooks_capture_once(merchant_platform):
    scenarios.overpay_repeated_webhook(merchant_platform)
