"""OPP payments: form validation, the documented test triggers, result codes and the JSON
the platform answers with.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from asyncpay.mock.store import Payment
from asyncpay.mock.urls import is_http_url

BUILD_NUMBER = "5f7c3f1a9e0b4d2c8a6e1b3d5f7a9c0e2b4d6f81@2025-01-01 00:00:00 +0000"

SYNC_SUCCESS = "000.100.110"
ASYNC_SUCCESS = "000.000.000"
PENDING = "000.200.000"
CARD_EXPIRED = "100.100.303"
INVALID_PARAMETER = "200.300.404"
NOT_AUTHENTICATED = "800.900.300"
NOT_PERMITTED = "800.900.303"
NOT_FOUND = "700.400.580"
THROTTLED = "800.120.100"
UNDOCUMENTED = "123.456.789"  # the undocumented-result-code fault: in no documented group

DESCRIPTIONS = {
    SYNC_SUCCESS: "Request successfully processed in 'Merchant in Integrator Test Mode'",
    ASYNC_SUCCESS: "Transaction succeeded",
    PENDING: "transaction pending",
    CARD_EXPIRED: "card expired",
    INVALID_PARAMETER: "invalid or missing parameter",
    NOT_AUTHENTICATED: "invalid authentication information",
    NOT_PERMITTED: "not permitted: the entity is not accessible with these credentials",
    NOT_FOUND: "cannot find transaction",
    THROTTLED: "too many requests: status reads are limited per payment per minute",
    UNDOCUMENTED: "undocumented result",
    "800.100.151": "transaction declined (invalid card)",
    "800.100.152": "transaction declined by authorization system",
    "800.100.153": "transaction declined (invalid CVV)",
    "800.100.155": "transaction declined (amount exceeds credit)",
}

# Documented test cards: 4200000000000000 succeeds; this 3-D Secure card gives a pending payment.
PENDING_CARD = "4711100000000000"
RESULT_CODE = re.compile(r"[0-9]{3}\.[0-9]{3}\.[0-9]{3}")
AMOUNT = r"[0-9]{1,12}(\.[0-9]{2})?"

# The documented parameter constraints of POST /v1/payments:
# name → (required, pattern the whole value must match).
_PAYMENT_FIELDS: dict[str, tuple[bool, str]] = {
    "amount": (True, AMOUNT),
    "currency": (True, r"[A-Z]{3}"),
    "paymentBrand": (True, r"[A-Z0-9_]{1,32}"),
    "paymentType": (True, r"(PA|DB|CD|PA\.CP)"),
    "card.number": (True, r"[0-9]{12,19}"),
    "card.holder": (False, r".{1,128}"),
    "card.expiryMonth": (True, r"(0[1-9]|1[0-2])"),
    "card.expiryYear": (True, r"(19|20)([0-9]{2})"),
    "card.cvv": (False, r"[0-9]{3,4}"),
    "merchantTransactionId": (False, r".{1,255}"),
    "testMode": (False, r"(INTERNAL|EXTERNAL)"),
}
_BACK_OFFICE_FIELDS: dict[str, tuple[bool, str]] = {
    "paymentType": (True, r"(CP|RF|RV)"),
    "amount": (False, AMOUNT),
    "currency": (False, r"[A-Z]{3}"),
}
_URL_FIELDS = ("shopperResultUrl", "notificationUrl")
_CUSTOM = re.compile(r"customParameters\[(.+)\]")

ParameterError = dict[str, str]


def payment_errors(form: dict[str, str]) -> list[ParameterError]:
    """The parameterErrors of a POST /v1/payments form (entityId is checked before this)."""
    errors = _check(form, _PAYMENT_FIELDS)
    for name in _URL_FIELDS:
        if name in form and not is_http_url(form[name]):
            errors.append({"name": name, "value": form[name], "message": "must be a valid URL"})
    return errors


def back_office_errors(form: dict[str, str]) -> list[ParameterError]:
    """The parameterErrors of a capture, refund or reversal (POST /v1/payments/{id})."""
    errors = _check(form, _BACK_OFFICE_FIELDS)
    if form.get("paymentType") in ("CP", "RF"):
        errors.extend({"name": name, "value": "", "message": "may not be empty"}
                      for name in ("amount", "currency") if not form.get(name))
    return errors


def missing_entity() -> ParameterError:
    return {"name": "entityId", "value": "", "message": "may not be empty"}


def custom_parameters(form: dict[str, str]) -> dict[str, str]:
    return {m.group(1): value for key, value in form.items() if (m := _CUSTOM.fullmatch(key))}


def initial_result(form: dict[str, str], now: float) -> tuple[str, str | None]:
    """(result code now, final code if pending) for a valid payment form.

    ``card.holder`` set to a result code forces that code as the final result (test system).
    """
    holder = form.get("card.holder", "")
    forced = holder if RESULT_CODE.fullmatch(holder) else None
    if form.get("card.number") == PENDING_CARD:
        return PENDING, forced or ASYNC_SUCCESS
    if forced is not None:
        return forced, None
    today = datetime.fromtimestamp(now, UTC)
    expiry = (int(form["card.expiryYear"]), int(form["card.expiryMonth"]))
    if expiry < (today.year, today.month):
        return CARD_EXPIRED, None
    return SYNC_SUCCESS, None


def new_payment_id(hex_id: bool = True) -> str:
    return uuid.uuid4().hex if hex_id else str(uuid.uuid4())


def render(payment: Payment, now: float, entity_id: str) -> dict[str, Any]:
    """The payment as POST /v1/payments and the status read answer it."""
    form = payment.form
    body: dict[str, Any] = {"id": payment.id, "paymentType": form.get("paymentType")}
    if payment.referenced_id is not None:
        body["referencedId"] = payment.referenced_id
    for key, name in (("paymentBrand", "paymentBrand"), ("amount", "amount"),
                      ("currency", "currency")):
        if key in form:
            body[name] = normalise_amount(form[key]) if key == "amount" else form[key]
    body["descriptor"] = _descriptor(payment.id)
    if "merchantTransactionId" in form:
        body["merchantTransactionId"] = form["merchantTransactionId"]
    body["result"] = result(payment.result_code)
    body["resultDetails"] = {"clearingInstituteName": "ASYNCPAY MOCK"}
    if "card.number" in form:
        number = form["card.number"]
        body["card"] = {"bin": number[:6], "last4Digits": number[-4:],
                        "holder": form.get("card.holder", ""),
                        "expiryMonth": form.get("card.expiryMonth", ""),
                        "expiryYear": form.get("card.expiryYear", "")}
    if payment.pending:
        verify_url = f"{payment.base_url}/v1/threeDSecure/{payment.id}"
        body["redirect"] = {"url": verify_url, "method": "POST",
                            "parameters": [{"name": "TermUrl",
                                            "value": form.get("shopperResultUrl", verify_url)}]}
    body["risk"] = {"score": "100"}
    if payment.custom_parameters:
        body["customParameters"] = dict(payment.custom_parameters)
    return envelope(body, now, entity_id)


def error(code: str, now: float, entity_id: str,
          parameter_errors: list[ParameterError] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = result(code)
    if parameter_errors:
        body["parameterErrors"] = parameter_errors
    return envelope({"result": body}, now, entity_id)


def result(code: str) -> dict[str, str]:
    return {"code": code, "description": DESCRIPTIONS.get(code, "transaction declined")}


def envelope(body: dict[str, Any], now: float, entity_id: str) -> dict[str, Any]:
    stamp = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%d %H:%M:%S+0000")
    return {**body, "buildNumber": BUILD_NUMBER, "timestamp": stamp,
            "ndc": f"{entity_id}_{uuid.uuid4().hex}"}


def normalise_amount(amount: str) -> str:
    """"92" → "92.00"; anything else is shown as sent."""
    return f"{amount}.00" if amount.isdigit() else amount


def _check(form: dict[str, str], fields: dict[str, tuple[bool, str]]) -> list[ParameterError]:
    errors: list[ParameterError] = []
    for name, (required, pattern) in fields.items():
        value = form.get(name)
        if value is None or value == "":
            if required:
                errors.append({"name": name, "value": "", "message": "may not be empty"})
        elif not re.fullmatch(pattern, value):
            errors.append({"name": name, "value": value, "message": f"must match ^{pattern}$"})
    return errors


def _descriptor(payment_id: str) -> str:
    digits = f"{int(hashlib.sha256(payment_id.encode()).hexdigest()[:12], 16) % 10**12:012d}"
    return f"{digits[:4]}.{digits[4:8]}.{digits[8:]} ASYNCPAY_MOCK"

