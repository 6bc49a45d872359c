"""A webhook the platform did not send is refused and changes no order."""

import pytest

from asyncpay.platform import scenarios


@pytest.mark.rule("merchant.refuses-forged")
@pytest.mark.parametrize("forgery", scenarios.FORGERIES)
def test_forged_webhook_is_refused(merchant_platform, forgery):
    scenarios.overpay_forged_webhook(merchant_platform, forgery)


@pytest.mark.rule("merchant.refuses-forged")
@pytest.mark.parametrize("forgery", scenarios.ENCRYPTED_FORGERIES)
def test_forged_encrypted_webhook_is_refused(merchant_platform, forgery):
    scenarios.opp_forged_encrypted_webhook(merchant_platform, forgery)
