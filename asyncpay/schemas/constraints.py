"""The documented request constraints: which generated requests a gateway must refuse.

The property-based suites generate requests that break the request schemas in many ways; only a
breach of a constraint the documentation states firmly obliges the gateway to refuse it. These
filters say which generated requests are such breaches (they are inputs to checks, not checks).
"""

from __future__ import annotations

import re
from typing import Any

_AMOUNT_OPP = re.compile(r"^[0-9]{1,12}(\.[0-9]{2})?$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


def overpay_documented_breach(body: Any) -> str | None:
    """Why an Overpay payment-like request breaks a documented constraint, or None.

    Only what the docs state firmly counts: the ``{"request": {...}}`` wrapper, ``amount`` an
    integer > 0 in minor units, ``currency`` an ISO 4217 code. Other generated oddities may be
    accepted by a gateway without breaking anything documented.
    """
    if not isinstance(body, dict) or not isinstance(body.get("request"), dict):
        return "the body is not wrapped as {\"request\": {...}}"
    request = body["request"]
    if "amount" in request or "currency" in request or "credit_card" in request:
        amount = request.get("amount")
        integral = isinstance(amount, int) or (isinstance(amount, float) and amount.is_integer())
        if not integral or isinstance(amount, bool) or amount <= 0:  # JSON Schema: 2.0 is an integer
            return f"amount {amount!r} is not a positive integer"
        currency = request.get("currency")
        if not isinstance(currency, str) or not _CURRENCY.fullmatch(currency):
            return f"currency {currency!r} is not an ISO 4217 code"
    return None


def opp_documented_breach(form: Any) -> str | None:
    """Why an OPP payment form breaks a documented constraint, or None."""
    if not isinstance(form, dict):
        return "the form is not a set of fields"
    amount = form.get("amount")
    if not isinstance(amount, str) or not _AMOUNT_OPP.fullmatch(amount):
        return f"amount {amount!r} does not match ^[0-9]{{1,12}}(\\.[0-9]{{2}})?$"
    currency = form.get("currency")
    if not isinstance(currency, str) or not _CURRENCY.fullmatch(currency):
        return f"currency {currency!r} is not [A-Z]{{3}}"
    if not form.get("paymentType"):
        return "paymentType is missing"
    return None
