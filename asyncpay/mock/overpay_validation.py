"""Overpay request validation: the documented constraints, answered in the gateway's error
shape ``{"message": ..., "errors": {field: [...], nested: {field: [...]}}}``.
"""

from __future__ import annotations

import re
from collections.abc import Container
from datetime import UTC, datetime
from typing import Any

from asyncpay.mock.urls import is_http_url
from asyncpay.wire.testdata import OVERPAY_TRANSACTION_TYPES

#: The URL's transaction kind → the transaction type it creates.
KINDS = OVERPAY_TRANSACTION_TYPES
CARD_KINDS = frozenset({"payments", "authorizations", "credits", "payouts"})
PARENT_KINDS = frozenset({"captures", "voids", "refunds"})

_CURRENCY = re.compile(r"[A-Z]{3}")
_CARD_NUMBER = re.compile(r"[0-9]{12,19}")
_CVC = re.compile(r"[0-9]{3,4}")
BLANK = "can't be blank"
EXPIRED = "Date is expired"

Errors = dict[str, Any]  # field → [messages], or nested object → Errors


def validate(kind: str, request: dict[str, Any], now: float, known_uids: Container[str], *,
             odd_echoes: bool = False, reason_required: bool = True) -> Errors:
    """Every constraint ``request`` breaks; empty when it is valid.

    ``known_uids`` answers ``in`` for the transactions a capture/void/refund may refer to.
    ``reason_required`` False is the refund-reason-not-required fault.
    With ``odd_echoes`` (the variant) only documented constraints count — amount, currency,
    lengths, types the docs give, a missing card — and odd values of undocumented format
    (a card number "-1.594", exp_month false, billing_address false) pass, to be declined.
    """
    errors: Errors = {}
    amount = request.get("amount")
    if amount is None:
        errors["amount"] = [BLANK]
    elif as_amount(amount) is None:
        errors["amount"] = ["must be an integer greater than 0"]
    currency = request.get("currency")
    if kind in CARD_KINDS or currency is not None:
        if currency is None:
            errors["currency"] = [BLANK]
        elif not isinstance(currency, str) or not _CURRENCY.fullmatch(currency):
            errors["currency"] = ["is invalid"]
    for name in ("description", "tracking_id", "language"):
        value = request.get(name)
        if value is not None and (not isinstance(value, str) or len(value) > 255):
            errors[name] = ["is too long (maximum is 255 characters)"
                            if isinstance(value, str) else "must be a string"]
    if "test" in request and not isinstance(request["test"], bool):
        errors["test"] = ["must be true or false"]
    if "duplicate_check" in request and not isinstance(request["duplicate_check"], bool):
        errors["duplicate_check"] = ["must be true or false"]
    for name in ("notification_url", "return_url"):
        if name in request and not is_http_url(request[name]):
            errors[name] = ["is not a valid URL"]
    for name in ("customer", "billing_address", "additional_data"):
        if request.get(name) is not None and not isinstance(request[name], dict) and not odd_echoes:
            errors[name] = ["must be an object"]
    if kind in CARD_KINDS:
        card_errors = _card_errors(request.get("credit_card"), now, odd_echoes)
        if card_errors:
            errors["credit_card"] = card_errors
    if kind in PARENT_KINDS:
        parent_uid = request.get("parent_uid")
        if parent_uid is None or parent_uid == "":
            errors["parent_uid"] = [BLANK]
        elif not isinstance(parent_uid, str) or parent_uid not in known_uids:
            errors["parent_uid"] = ["Transaction not found"]
        if kind == "refunds" and reason_required and not (isinstance(request.get("reason"), str) and request["reason"]):
            errors["reason"] = [BLANK]
    return errors


def as_amount(value: Any) -> int | None:
    """A positive amount in minor units, or None. ``2.0`` counts: JSON Schema calls it an integer."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not value.is_integer():
        return None
    amount = int(value)
    return amount if amount > 0 else None


def card_number(card: Any) -> str | None:
    number = card.get("number") if isinstance(card, dict) else None
    if isinstance(number, int) and not isinstance(number, bool):
        number = str(number)
    return number if isinstance(number, str) and _CARD_NUMBER.fullmatch(number) else None


def error_body(errors: Errors, message: str | None = None) -> dict[str, Any]:
    """The documented error shape; the message reads like the gateway's: "Amount can't be blank"."""
    if message is None:
        message = ". ".join(f"{path.capitalize()} {text}".strip() for path, text in _flatten(errors))
    return {"message": message, "errors": errors}


def odd_card(card: dict[str, Any]) -> bool:
    """A card with a field outside its usual format: a number that is no card number, an
    expiry that is no month or year, a cvc or holder of another shape."""
    month, year = as_int(card.get("exp_month")), as_int(card.get("exp_year"))
    cvc, holder = card.get("verification_value"), card.get("holder")
    return (card_number(card) is None or month is None or not 1 <= month <= 12
            or year is None or not 1000 <= year <= 9999
            or (cvc is not None and not (isinstance(cvc, str) and bool(_CVC.fullmatch(cvc))))
            or (holder is not None and not (isinstance(holder, str) and len(holder) <= 255)))


def _card_errors(card: Any, now: float, odd_echoes: bool = False) -> Errors:
    if card is None:
        return {"base": [BLANK]}
    if not isinstance(card, dict):
        return {"base": ["must be an object"]}
    if odd_echoes:
        missing = [name for name in ("number", "exp_month", "exp_year") if card.get(name) is None]
        if missing:
            return {name: [BLANK] for name in missing}
        if odd_card(card):
            return {}  # declined and echoed, not refused
        # otherwise the documented checks below: the expiry date, cvc and holder
    errors: Errors = {}
    if card.get("number") is None:
        errors["number"] = [BLANK]
    elif card_number(card) is None:
        errors["number"] = ["is invalid"]
    month = as_int(card.get("exp_month"))
    year = as_int(card.get("exp_year"))
    if card.get("exp_month") is None:
        errors["exp_month"] = [BLANK]
    elif month is None or not 1 <= month <= 12:
        errors["exp_month"] = ["is invalid"]
    if card.get("exp_year") is None:
        errors["exp_year"] = [BLANK]
    elif year is None or not 1000 <= year <= 9999:
        errors["exp_year"] = ["is invalid"]
    if "exp_month" not in errors and "exp_year" not in errors:
        today = datetime.fromtimestamp(now, UTC)
        if (year, month) < (today.year, today.month):
            errors["exp_month"] = [EXPIRED]
    if odd_echoes:
        return errors
    cvc = card.get("verification_value")
    if cvc is not None and not (isinstance(cvc, str) and _CVC.fullmatch(cvc)):
        errors["verification_value"] = ["is invalid"]
    holder = card.get("holder")
    if holder is not None and not (isinstance(holder, str) and len(holder) <= 255):
        errors["holder"] = ["is invalid"]
    return errors


def as_int(value: Any) -> int | None:
    if isinstance(value, str) and value.isdigit():
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def _flatten(errors: Errors, prefix: str = "") -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for name, value in errors.items():
        path = prefix if name == "base" else f"{prefix} {name.replace('_', ' ')}".strip()
        if isinstance(value, dict):
            out.extend(_flatten(value, path))
        else:
            out.extend((path, str(text)) for text in value)
    return out
