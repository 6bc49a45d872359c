"""Overpay transactions: how a valid request becomes one (the documented test cards decide its
status) and the standard response that shows it.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from datetime import UTC, datetime
from typing import Any

from asyncpay.mock.overpay_validation import KINDS, card_number, odd_card
from asyncpay.mock.store import Transaction

# Documented test cards (Overpay test mode: https://docs.overpay.io/en/integration/card_api/statuses/).
DECLINED_CARD = "4005550000000019"
FRICTIONLESS_CARD = "4012000000001006"
_CHALLENGE_CARD = re.compile(r"40120000000010[0-9]{2}")

SUCCESSFUL = "Successfully processed"
DECLINED = "Authorization was declined"
INCOMPLETE = "The operation requires 3-D Secure verification"


def iso_time(when: float) -> str:
    return datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_uid() -> str:
    # Shaped like the platform's uids: "{digits}-{10 hex}".
    return f"{secrets.randbelow(10**9)}-{secrets.token_hex(5)}"


def new_transaction(kind: str, request: dict[str, Any], base_url: str, now: float,
                    parent: Transaction | None) -> Transaction:
    """The transaction a valid ``request`` creates; ``parent`` for captures, voids and refunds."""
    amount = int(request["amount"])
    if parent is not None:
        return Transaction(new_uid(), KINDS[kind], "successful", amount,
                           request.get("currency") or parent.currency, request, base_url, now, now,
                           SUCCESSFUL, paid_at=now, parent_uid=parent.uid,
                           credit_card=parent.credit_card)
    card = request["credit_card"]
    number = card_number(card) or ""
    status, message, three_d_secure = "successful", SUCCESSFUL, None
    if odd_card(card):  # only valid under the odd-echoes variant: declined, echoed as sent
        uid = new_uid()
        return Transaction(uid, KINDS[kind], "failed", amount, request["currency"], request,
                           base_url, now, now, DECLINED, credit_card=_echoed_card(card))
    if number == DECLINED_CARD:
        status, message = "failed", DECLINED
    elif number == FRICTIONLESS_CARD:
        three_d_secure = "successful"
    elif _CHALLENGE_CARD.fullmatch(number):
        status, message, three_d_secure = "incomplete", INCOMPLETE, "pending"
    uid = new_uid()
    return Transaction(uid, KINDS[kind], status, amount, request["currency"], request,
                       base_url, now, now, message,
                       paid_at=now if status == "successful" else None,
                       three_d_secure=three_d_secure, credit_card=_card(card, number),
                       verification_url=f"{base_url}/process/{uid}" if status == "incomplete" else None)


def complete_verification(transaction: Transaction, now: float) -> None:
    """The shopper passed 3-D Secure: an incomplete transaction becomes successful."""
    transaction.status = "successful"
    transaction.message = SUCCESSFUL
    transaction.three_d_secure = "successful"
    transaction.updated_at = transaction.paid_at = now


def render(tx: Transaction) -> dict[str, Any]:
    """The transaction as the standard response shows it (the classic v2 shape)."""
    request = tx.request
    language = request.get("language") or "en"
    body: dict[str, Any] = {
        "uid": tx.uid,
        "id": tx.uid,
        "status": tx.status,
        "amount": tx.amount,
        "currency": tx.currency,
        "description": request.get("description"),
        "type": tx.type,
        "payment_method_type": "credit_card",
        "tracking_id": request.get("tracking_id"),
        "message": tx.message,
        "test": request.get("test", False),
        "created_at": iso_time(tx.created_at),
        "updated_at": iso_time(tx.updated_at),
        "paid_at": iso_time(tx.paid_at) if tx.paid_at is not None else None,
        "language": language,
        "redirect_url": tx.verification_url if tx.status == "incomplete" else None,
        "receipt_url": f"{tx.base_url}/customer/transactions/{tx.uid}?language={language}",
        "credit_card": tx.credit_card,
        "customer": request.get("customer"),
        "billing_address": request.get("billing_address"),
        "additional_data": request.get("additional_data"),
        tx.type: _processing_details(tx),
        "three_d_secure_verification": _verification(tx.three_d_secure),
    }
    if tx.parent_uid is not None:
        body["parent_uid"] = tx.parent_uid
    return body


def _card(card: dict[str, Any], number: str) -> dict[str, Any]:
    stamp = hashlib.sha256(number.encode()).hexdigest()
    return {
        "holder": card.get("holder"),
        "stamp": stamp,
        "brand": _brand(number),
        "last_4": number[-4:],
        "first_1": number[:1],
        "bin": number[:6],
        "issuer_country": "US",
        "issuer_name": "ASYNCPAY MOCK BANK",
        "exp_month": int(card["exp_month"]),
        "exp_year": int(card["exp_year"]),
        "token": hashlib.sha256(b"token:" + number.encode()).hexdigest(),
    }


def _echoed_card(card: dict[str, Any]) -> dict[str, Any]:
    """The card stamp of an odd card: built from what was sent, as a gateway that did not
    validate it would ("-1.594" gives first_1 "-", last_4 "594"; exp_month false stays false)."""
    raw = card.get("number")
    number = raw if isinstance(raw, str) else json.dumps(raw)
    return {
        "holder": card.get("holder"),
        "stamp": hashlib.sha256(number.encode()).hexdigest(),
        "brand": "unknown",
        "last_4": "".join(ch for ch in number[-4:] if ch.isdigit()),
        "first_1": number[:1],
        "bin": "".join(ch for ch in number[:6] if ch.isdigit()),
        "issuer_country": None,
        "issuer_name": None,
        "exp_month": card.get("exp_month"),
        "exp_year": card.get("exp_year"),
        "token": hashlib.sha256(b"token:" + number.encode()).hexdigest(),
    }


def _brand(number: str) -> str:
    if number[:2] in ("34", "37"):
        return "amex"
    if "51" <= number[:2] <= "55" or "2221" <= number[:4] <= "2720":
        return "master"
    return "visa"


def _processing_details(tx: Transaction) -> dict[str, Any]:
    approved = tx.status == "successful"
    digits = int(hashlib.sha256(tx.uid.encode()).hexdigest()[:12], 16)
    return {
        "auth_code": f"{digits % 10**6:06d}" if approved else None,
        "bank_code": {"successful": "00", "failed": "05"}.get(tx.status),
        "rrn": f"{digits % 10**12:012d}",
        "ref_id": f"{digits % 10**8:08d}",
        "message": {"successful": "Payment was approved", "failed": DECLINED}.get(tx.status,
                                                                                tx.message),
        "amount": tx.amount,
        "currency": tx.currency,
        "billing_descriptor": "ASYNCPAY MOCK",
        "gateway_id": 1,
        "status": tx.status,
    }


def _verification(status: str | None) -> dict[str, Any] | None:
    if status is None:
        return None
    message = {"pending": "Authentication is required",
               "successful": "Authentication was successful"}[status]
    return {"status": status, "message": message, "eci": "05" if status == "successful" else None}
