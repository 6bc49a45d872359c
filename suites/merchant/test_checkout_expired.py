"""A checkout is not paid after its lifetime: the shop takes the outcome from the status read."""

import pytest

from asyncpay.platform import scenarios


@pytest.mark.rule("merchant.checkout-expired")
def test_checkout_paid_in_time_marks_the_order_paid(merchant_platform):
    scenarios.checkout_paid_in_time(merchant_platform)


@pytest.mark.rule("merchant.checkout-expired")
def test_return_after_the_checkout_expired_unpaid_is_not_paid(merchant_platform):
    scenarios.checkout_return_after_lifetime(merchant_platform)
