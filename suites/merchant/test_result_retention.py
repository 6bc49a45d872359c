"""The shop does not depend on a task result after its 24 h retention."""

import pytest

from asyncpay.platform import scenarios


@pytest.mark.rule("merchant.result-retention")
def test_webhook_after_the_retention_still_settles_the_order(merchant_platform):
    scenarios.overpay_webhook_after_retention(merchant_platform)
