"""POST /v1/checkouts answers the checkout: HTTP 200, result.code 000.200.100 and its id."""

import pytest

pytestmark = pytest.mark.opp


@pytest.mark.rule("opp.checkout-answer")
def test_checkout_is_prepared_with_its_id(checkout):
    prepared = checkout.prepare(label="answer")

    assert prepared.resource_path == f"/v1/checkouts/{prepared.id}/payment"
