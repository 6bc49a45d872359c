"""After paying, the shopper is sent back to shopperResultUrl (its own parameters kept) with
?id={checkoutId}&resourcePath=%2Fv1%2Fcheckouts%2F{checkoutId}%2Fpayment, decoded once."""

import pytest

from asyncpay.errors import NotVerified

pytestmark = pytest.mark.opp


@pytest.mark.rule("opp.checkout-redirect", "opp.resource-path")
def test_shopper_is_sent_back_to_the_shop_with_the_checkout_s_resource_path(checkout):
    prepared = checkout.prepare(label="redirect")

    back = checkout.shopper_pays(prepared)

    if back.resource_path is None:
        raise NotVerified("opp.checkout-redirect", "the shopper's payment was answered in place "
                          f"(HTTP {back.answer.status_code}), without a redirect back to the shop")
    assert back.resource_path == prepared.resource_path
