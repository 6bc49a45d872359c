"""OPP routes: payments, status reads, back-office operations and the shopper's 3-D Secure
redirect — and the async notifications a pending payment's status change sets off.

Documented behaviour (https://docs.oppwa.com/tutorials/manage-payments/async-notifications)
unless a fault switch says otherwise: a pending payment becomes final when the shopper follows
its redirect or ``pending_delay`` after creation; then
``GET {notificationUrl}?id={id}&resourcePath=/v1/payments/{id}`` is sent (to ``shopperResultUrl``
when there is no notificationUrl) and retried until answered 2xx.
Variants: the notification may go out early (while pending), twice, or with a plain resourcePath.
"""

from __future__ import annotations

import hmac
from collections import deque
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from asyncpay.mock.notifier import OPP_NOTIFICATION_RETRIES, Delivery
from asyncpay.mock.opp_payments import (
    ASYNC_SUCCESS,
    INVALID_PARAMETER,
    NOT_AUTHENTICATED,
    NOT_FOUND,
    NOT_PERMITTED,
    SYNC_SUCCESS,
    THROTTLED,
    UNDOCUMENTED,
    back_office_errors,
    custom_parameters,
    error,
    initial_result,
    missing_entity,
    new_payment_id,
    payment_errors,
    render,
)
from asyncpay.mock.opp_webhooks import WEBHOOK_URL_PARAMETER, encrypted_webhook
from asyncpay.mock.runtime import MockRuntime
from asyncpay.mock.store import Payment
from asyncpay.mock.urls import is_http_url, off_origin
from asyncpay.mock.variants import EARLY_NOTICE

THROTTLE_WINDOW = 60.0  # clock seconds: documented as "per minute"


def over_rate(reads: deque[float], per_minute: int, now: float) -> bool:
    """Whether one more read at ``now`` would exceed ``per_minute`` (0: no limit); counts it if not.

    ``reads`` holds the clock times (seconds) of the reads counted in the last minute.
    """
    if not per_minute:
        return False
    while reads and reads[0] <= now - THROTTLE_WINDOW:
        reads.popleft()
    if len(reads) >= per_minute:
        return True
    reads.append(now)
    return False
_NOT_STORED = ("entityId", "card.cvv")  # never kept, never shown


class OppApi:
    def __init__(self, runtime: MockRuntime) -> None:
        self.rt = runtime
        self.faults = runtime.faults
        self.store = runtime.store

    def routes(self) -> list[Route]:
        return [
            Route("/v1/payments", self.create_payment, methods=["POST"]),
            Route("/v1/payments/{id}", self.read_payment, methods=["GET"]),
            Route("/v1/payments/{id}", self.back_office, methods=["POST"]),
            Route("/v1/threeDSecure/{id}", self.shopper_redirect, methods=["GET", "POST"]),
        ]

    # --- routes --------------------------------------------------------------------------

    async def create_payment(self, request: Request) -> Response:
        form = await _form(request)
        refused = self._refuse(request, form.get("entityId"))
        if refused is not None:
            return refused
        errors = payment_errors(form)
        if self.faults.on("invalid-accepted") and all(e["name"] == "amount" for e in errors):
            errors = []
        if errors:
            return self._error(400, INVALID_PARAMETER, errors)
        now = self.rt.clock.now()
        code, final_code = initial_result(form, now)
        payment = Payment(new_payment_id(hex_id=not self.faults.on("payment-id-not-hex")),
                          _stored(form), custom_parameters(form),
                          str(request.base_url).rstrip("/"), now, self._code(code), final_code)
        self.store.payments[payment.id] = payment
        if payment.pending and not self.faults.on("never-final"):
            self.rt.timeline.at(now + self.rt.config.pending_delay,
                                lambda: self._finalise(payment))
        if payment.pending and self.rt.variants.on("early-notification"):
            self.rt.timeline.at(now + EARLY_NOTICE, lambda: self._notify(payment))
        self._send_encrypted_webhook(payment, "CREATED")
        return self.rt.answers.opp(self._render(payment))

    async def read_payment(self, request: Request) -> Response:
        refused = self._refuse(request, request.query_params.get("entityId"), status_read=True)
        if refused is not None:
            return refused
        payment = self.store.payments.get(request.path_params["id"])
        if payment is None:
            return self._error(404, NOT_FOUND)
        if self._throttled(payment):
            return self._error(429, THROTTLED)
        body = self._render(payment)
        if self.faults.on("status-other-amount") and "amount" in body:
            body["amount"] = _plus_one(body["amount"])
        return self.rt.answers.opp(body)

    async def back_office(self, request: Request) -> Response:
        """Capture (CP), refund (RF) or reversal (RV) of a payment: a new, referencing payment."""
        form = await _form(request)
        refused = self._refuse(request, form.get("entityId"))
        if refused is not None:
            return refused
        referenced = self.store.payments.get(request.path_params["id"])
        if referenced is None:
            return self._error(404, NOT_FOUND)
        errors = back_office_errors(form)
        if errors:
            return self._error(400, INVALID_PARAMETER, errors)
        inherited: dict[str, str] = {key: referenced.form[key]
                                     for key in ("amount", "currency", "paymentBrand")
                                     if key in referenced.form}
        now = self.rt.clock.now()
        payment = Payment(new_payment_id(hex_id=not self.faults.on("payment-id-not-hex")),
                          {**inherited, **_stored(form)}, custom_parameters(form),
                          str(request.base_url).rstrip("/"), now, self._code(SYNC_SUCCESS),
                          referenced_id=referenced.id)
        self.store.payments[payment.id] = payment
        self._send_encrypted_webhook(payment, "CREATED")
        return self.rt.answers.opp(self._render(payment))

    async def shopper_redirect(self, request: Request) -> Response:
        """Where a pending payment's redirect sends the shopper (no credentials needed)."""
        payment = self.store.payments.get(request.path_params["id"])
        if payment is None:
            return HTMLResponse("<!doctype html><title>Not found</title><p>No such payment.", 404)
        if not self.faults.on("never-final"):
            self._finalise(payment)
        state = "pending" if payment.pending else "complete"
        return HTMLResponse(f"<!doctype html><title>3-D Secure</title><p>Verification {state}.")

    # --- status changes and notifications ------------------------------------------------

    def _finalise(self, payment: Payment) -> None:
        if not payment.pending or payment.final_code is None:
            return
        payment.result_code = self._code(payment.final_code)
        if not self.rt.variants.on("early-notification"):  # that one was sent already
            self._notify(payment)
        self._send_encrypted_webhook(payment, "UPDATED")

    def _notify(self, payment: Payment) -> None:
        if self.faults.on("notification-never-sent"):
            return
        target = payment.form.get("notificationUrl")
        if not target and not self.faults.on("no-shopper-fallback"):
            target = payment.form.get("shopperResultUrl")
        if not target:
            return
        notified_id = new_payment_id() if self.faults.on("notification-other-id") else payment.id
        query = {"id": notified_id, "resourcePath": self._resource_path(payment)}
        if self.rt.variants.on("plain-resource-path"):
            url = f"{target}{'&' if '?' in target else '?'}{urlencode(query, safe='/:')}"
        else:
            url = str(httpx.URL(target).copy_merge_params(query))
        method = "POST" if self.faults.on("notification-as-post") else "GET"
        self.rt.deliver(Delivery("opp notification", method, url,
                                 retry_delays=OPP_NOTIFICATION_RETRIES))

    def _resource_path(self, payment: Payment) -> str:
        path = f"/v1/payments/{payment.id}"
        if self.faults.on("resource-path-absolute"):
            return off_origin(payment.base_url) + path
        if self.faults.on("resource-path-protocol-relative"):
            return "//" + off_origin(payment.base_url).split("://", 1)[1] + path
        if self.faults.on("resource-path-no-slash"):
            return path.lstrip("/")
        return path

    def _send_encrypted_webhook(self, payment: Payment, action: str) -> None:
        url = payment.custom_parameters.get(WEBHOOK_URL_PARAMETER)
        secret = self.rt.config.webhook_secret
        if secret is None or not is_http_url(url):
            return
        assert url is not None
        payload = self.rt.answers.opp_body(self._render(payment))
        if "redirect" in payload and self.rt.variants.on("webhook-redirect-without-url"):
            payload["redirect"] = {"parameters": []}
        self.rt.deliver(encrypted_webhook(url, secret, payload, action,
                                          self.faults.on("encrypted-webhook-bad-tag")))

    # --- helpers -------------------------------------------------------------------------

    def _code(self, code: str) -> str:
        if code in (SYNC_SUCCESS, ASYNC_SUCCESS) and self.faults.on("undocumented-result-code"):
            return UNDOCUMENTED
        return code

    def _render(self, payment: Payment) -> dict[str, Any]:
        body = render(payment, self.rt.clock.now(), self.rt.config.entity_id)
        if self.faults.on("amount-as-number") and "amount" in body:
            body["amount"] = float(body["amount"])
        return body

    def _throttled(self, payment: Payment) -> bool:
        return over_rate(payment.reads, self.rt.config.status_reads_per_minute, self.rt.clock.now())

    def _refuse(self, request: Request, entity_id: str | None,
                status_read: bool = False) -> Response | None:
        """401 without the bearer token, 400 without entityId, 403 with another entity."""
        config = self.rt.config
        if not (status_read and self.faults.on("status-without-token")):
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(token.encode(),
                                                                     config.token.encode()):
                return self._error(401, NOT_AUTHENTICATED)
        if not entity_id:
            if status_read and self.faults.on("status-without-entity"):
                return None
            return self._error(400, INVALID_PARAMETER, [missing_entity()])
        if not hmac.compare_digest(entity_id.encode(), config.entity_id.encode()):
            return self._error(403, NOT_PERMITTED)
        return None

    def _error(self, status: int, code: str,
               parameter_errors: list[dict[str, str]] | None = None) -> Response:
        return self.rt.answers.opp(error(code, self.rt.clock.now(), self.rt.config.entity_id,
                                         parameter_errors), status)


async def _form(request: Request) -> dict[str, str]:
    # Parsed here rather than with request.form(): that needs python-multipart, and OPP bodies
    # are always urlencoded.
    try:
        text = (await request.body()).decode("utf-8")
    except UnicodeDecodeError:
        return {}
    return dict(parse_qsl(text, keep_blank_values=True))


def _stored(form: dict[str, str]) -> dict[str, str]:
    return {key: value for key, value in form.items() if key not in _NOT_STORED}


def _plus_one(amount: str) -> str:
    try:
        return f"{Decimal(amount) + 1:.2f}"
    except InvalidOperation:
        return amount + "1"
