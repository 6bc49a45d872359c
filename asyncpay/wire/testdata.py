"""Test data shared by the harness and the mock gateway: the embedded mock's credentials, the
documented test triggers (test cards, ``card.holder`` result codes) and Overpay's mapping from
the URL's transaction kind to the transaction type it creates.

A leaf module: it imports nothing of asyncpay, so the mock (``asyncpay.mock``) and the profile
(``asyncpay.config.profile``) can both use it without depending on each other.

>>> OVERPAY_OUTCOMES["failed"]["credit_card"]["number"]
'4005550000000019'
"""

from __future__ import annotations

from typing import Any

# Credentials for the embedded mock only: generated per run would hide nothing, since the mock
# is ours; they are still redacted like real ones so the leak tests cover them.
MOCK_SHOP_ID = "361"
MOCK_SECRET_KEY = "mock-secret-b8647b68898b084b836474ed8d61ffe117c9a01168d867f24953b776ddcb134d"
MOCK_ENTITY_ID = "8a8294174b7ecb28014b9699220015ca"
MOCK_TOKEN = "OGE4Mjk0MTc0YjdlY2IyODAxNGI5Njk5MjIwMDE1Y2N8c3k2S0pzVDg="
MOCK_WEBHOOK_SECRET = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

#: Documented Overpay test triggers (https://docs.overpay.io/en/integration/card_api/statuses/).
OVERPAY_OUTCOMES: dict[str, dict[str, Any]] = {
    "successful": {"credit_card": {"number": "4200000000000000"}},
    "failed": {"credit_card": {"number": "4005550000000019"}},
    "incomplete": {"credit_card": {"number": "4012000000001097"}},
    "validation_error": {"credit_card": {"number": "4200000000000000",
                                         "exp_month": 1, "exp_year": 2020}},
}
#: Documented OPP test triggers (https://paynt.docs.oppwa.com/reference/parameters): flat form
#: fields.
OPP_OUTCOMES: dict[str, dict[str, str]] = {
    "successful": {"card.number": "4200000000000000"},
    "pending": {"card.number": "4711100000000000"},
    "declined": {"card.number": "4200000000000000", "card.holder": "800.100.151"},
    "invalid": {"card.number": "4200000000000000", "amount": "92.0"},
    # COPYandPAY: what the shopper's payment form posts (the merchant's checkout carries no card).
    "checkout": {"paymentBrand": "VISA", "card.number": "4200000000000000"},
}
#: Triggers the embedded mock also honours, for outcomes no sandbox documents a trigger for.
MOCK_OVERPAY_OUTCOMES: dict[str, dict[str, Any]] = {
    "task_failure": {"description": "asyncpay-mock: fail the task"},
}

#: Overpay: the kind in ``POST /async/transactions/{kind}`` → the transaction ``type`` it creates.
OVERPAY_TRANSACTION_TYPES: dict[str, str] = {
    "payments": "payment",
    "authorizations": "authorization",
    "captures": "capture",
    "voids": "void",
    "refunds": "refund",
    "credits": "credit",
    "payouts": "payout",
}
