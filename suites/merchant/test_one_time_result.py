"""A one-time error result is read once: the shop keeps what that read told it."""

import pytest

from asyncpay.platform import scenarios


@pytest.mark.rule("merchant.one-time-result")
def test_validation_error_result_fails_the_order(merchant_platform):
    scenarios.overpay_one_time_error(merchant_platform)
