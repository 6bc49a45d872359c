"""A genuine notification, webhook or shopper return is answered 2xx, and an OPP one is followed
by a status read at the configured server."""

import pytest

from asyncpay.platform import scenarios


@pytest.mark.rule("merchant.reads-status")
def test_notification_is_answered_and_the_status_read(merchant_platform):
    scenarios.opp_notification_read(merchant_platform)


@pytest.mark.rule("merchant.reads-status")
def test_shopper_return_reads_the_checkout_status(merchant_platform):
    scenarios.checkout_return_read(merchant_platform)


@pytest.mark.rule("merchant.reads-status")
def test_genuine_webhook_is_acknowledged(merchant_platform):
    scenarios.overpay_webhook_acknowledged(merchant_platform)


@pytest.mark.rule("merchant.reads-status")
def test_genuine_encrypted_webhook_is_acknowledged(merchant_platform):
    scenarios.opp_encrypted_webhook_acknowledged(merchant_platform)
