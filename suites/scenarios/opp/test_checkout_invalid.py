"""A checkout with invalid parameters is refused: HTTP 400, 200.300.404 with parameterErrors."""

import pytest

from asyncpay.checks import checkout as checks

pytestmark = pytest.mark.opp

#: Documented amount format ^[0-9]{1,12}(\.[0-9]{2})?$: "92.0" breaks it.
INVALID_AMOUNT = "92.0"


@pytest.mark.rule("opp.validation-error")
def test_checkout_with_an_invalid_amount_is_refused(checkout):
    form = checkout.form("invalid", amount=INVALID_AMOUNT)

    answer = checkout.send_checkout(form, label="invalid")

    checks.checkout_refused(answer, f"amount is {INVALID_AMOUNT!r}")
