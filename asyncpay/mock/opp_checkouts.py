"""OPP COPYandPAY checkouts: prepare, the shopper's payment form, the redirect back to the shop,
the notification, status reads, the lifetime and the per-checkout throttle.

Documented behaviour (https://peachpayments.docs.oppwa.com/widget) unless a fault switch says otherwise:

1. ``POST /v1/checkouts`` (bearer token) answers 200 ``{result: 000.200.100, id, ndc, ...}``.
2. The shopper's form posts the card, without credentials, to ``POST /v1/checkouts/{id}/payment``;
   the answer is a 302 to ``{shopperResultUrl}?id={checkoutId}&resourcePath=%2Fv1%2Fcheckouts%2F…``.
3. Once the payment is final the platform notifies ``notificationUrl`` (else ``shopperResultUrl``),
   naming the checkout or the payment (``MockConfig.checkout_notification``; the docs leave it open).
4. ``GET /v1/checkouts/{id}/payment`` answers the checkout's latest payment (``ndc`` = checkout id);
   before any payment a pending result; unknown or expired: 400 ``200.300.404``.
5. A successful payment closes the checkout for new payments; ``checkout_lifetime`` after its
   creation it is gone altogether. Reads are throttled per checkout (429 ``800.120.100``).
"""

from __future__ import annotations

import random
import re
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from asyncpay.mock.notifier import OPP_NOTIFICATION_RETRIES, Delivery
from asyncpay.mock.opp import OppApi, _form, _stored, over_rate
from asyncpay.mock.opp_payments import (
    AMOUNT,
    INVALID_PARAMETER,
    NOT_FOUND,
    PENDING,
    SYNC_SUCCESS,
    THROTTLED,
    custom_parameters,
    envelope,
    error,
    initial_result,
    new_payment_id,
)
from asyncpay.mock.store import Payment
from asyncpay.mock.urls import is_http_url, off_origin
from asyncpay.mock.variants import CHECKOUT_PENDING_FOR

CHECKOUT_CREATED = "000.200.100"
NO_SESSION = ("invalid or missing parameter - (opp) No payment session found for the requested id - "
              "are you mixing test/live servers or have you paid more than 30min ago?")
#: The documented "successful" result-code group: a payment in it ends its checkout.
#: checkout-result-changes: the decline a successful payment turns into ("rejected by the bank" group).
DECLINED = "800.100.152"
SUCCESSFUL = re.compile(r"^(000\.000\.|000\.100\.1|000\.[36]|000\.400\.[1][12]0)")

# name → (required, pattern the whole value must match)
_CHECKOUT_FIELDS: dict[str, tuple[bool, str]] = {
    "amount": (True, AMOUNT),
    "currency": (True, r"[A-Z]{3}"),
    "paymentType": (True, r"(PA|DB)"),
    "merchantTransactionId": (False, r".{1,255}"),
}
_SHOPPER_FIELDS: dict[str, tuple[bool, str]] = {
    "paymentBrand": (True, r"[A-Z0-9_]{1,32}"),
    "card.number": (True, r"[0-9]{12,19}"),
    "card.holder": (False, r".{1,128}"),
    "card.expiryMonth": (True, r"(0[1-9]|1[0-2])"),
    "card.expiryYear": (True, r"(19|20)([0-9]{2})"),
    "card.cvv": (False, r"[0-9]{3,4}"),
}
_URL_FIELDS = ("shopperResultUrl", "notificationUrl")


@dataclass
class Checkout:
    """A prepared checkout: the merchant's form, its payments (oldest first) and its state."""

    id: str
    form: dict[str, str]
    base_url: str  # the public origin it was created on
    created_at: float
    payments: list[str] = field(default_factory=list)
    closed_at: float | None = None  # when a payment on it succeeded
    reads: deque[float] = field(default_factory=deque)  # status-read times, for throttling


def new_checkout_id() -> str:
    """32 upper-case hex characters, a dot and a host tag, as the documented examples show."""
    return f"{uuid.uuid4().hex.upper()}.uat01-vm-tx{random.randint(1, 9):02d}"


def field_errors(form: dict[str, str], fields: dict[str, tuple[bool, str]]) -> list[dict[str, str]]:
    """The parameterErrors of a form against ``fields`` (and the callback URLs it carries)."""
    errors: list[dict[str, str]] = []
    for name, (required, pattern) in fields.items():
        value = form.get(name)
        if not value:
            if required:
                errors.append({"name": name, "value": "", "message": "may not be empty"})
        elif not re.fullmatch(pattern, value):
            errors.append({"name": name, "value": value, "message": f"must match ^{pattern}$"})
    errors.extend({"name": name, "value": form[name], "message": "must be a valid URL"}
                  for name in _URL_FIELDS if name in form and not is_http_url(form[name]))
    return errors


class CheckoutApi:
    """The COPYandPAY routes, next to the Server-to-Server ones of ``opp`` (whose payments,
    credentials check and notifier they share)."""

    def __init__(self, opp: OppApi) -> None:
        self.opp = opp
        self.rt = opp.rt
        self.faults = opp.faults
        self.checkouts: dict[str, Checkout] = {}
        self._read_successful: set[str] = set()  # checkout-result-changes: payments read as successful

    def routes(self) -> list[Route]:
        return [
            Route("/v1/checkouts", self.prepare, methods=["POST"]),
            Route("/v1/checkouts/{id}/payment", self.shopper_pays, methods=["POST"]),
            Route("/v1/checkouts/{id}/payment", self.read, methods=["GET"]),
        ]

    # --- routes --------------------------------------------------------------------------

    async def prepare(self, request: Request) -> Response:
        """POST /v1/checkouts: the merchant's server prepares a checkout."""
        form = await _form(request)
        refused = self.opp._refuse(request, form.get("entityId"))
        if refused is not None:
            return refused
        errors = field_errors(form, _CHECKOUT_FIELDS)
        if self.faults.on("checkout-invalid-accepted") and all(e["name"] == "amount" for e in errors):
            errors = []
        if errors:
            return self.opp._error(400, INVALID_PARAMETER, errors)
        checkout = Checkout(new_checkout_id(), _stored(form), str(request.base_url).rstrip("/"),
                            self.rt.clock.now())
        self.checkouts[checkout.id] = checkout
        body = self._envelope({"result": {"code": CHECKOUT_CREATED,
                                          "description": "successfully created checkout"}}, checkout)
        if not self.faults.on("checkout-without-id"):
            body["id"] = checkout.id
        return JSONResponse(body)

    async def shopper_pays(self, request: Request) -> Response:
        """POST /v1/checkouts/{id}/payment: the shopper's browser submits the payment form.

        No credentials are asked for (the shopper has none). The answer sends the shopper back
        to the shop with a 302.
        """
        checkout = self._live(request.path_params["id"])
        if checkout is None or (checkout.closed_at is not None
                                and not self.faults.on("checkout-reuse-after-success")):
            return self._no_session()
        form = await _form(request)
        errors = field_errors(form, _SHOPPER_FIELDS)
        if errors:
            return self.opp._error(400, INVALID_PARAMETER, errors)
        now = self.rt.clock.now()
        # The shopper brings the card and the way back; amount, currency and the rest are the checkout's.
        shopper = {key: value for key, value in _stored(form).items()
                   if key in _SHOPPER_FIELDS or key == "shopperResultUrl"}
        payment_form = {**checkout.form, **shopper}
        code, final_code = initial_result(payment_form, now)
        pending_for = self.rt.config.pending_delay
        if final_code is None and self.rt.variants.on("checkout-pending-briefly"):
            code, final_code, pending_for = PENDING, code, CHECKOUT_PENDING_FOR
        payment = Payment(new_payment_id(), payment_form, custom_parameters(checkout.form), checkout.base_url,
                          now, self.opp._code(code), final_code)
        self.rt.store.payments[payment.id] = payment
        checkout.payments.append(payment.id)
        if payment.pending:
            self.rt.timeline.at(now + pending_for, lambda: self._finalise(checkout, payment))
        else:
            self._settled(checkout, payment)
        return self._redirect(checkout, payment_form.get("shopperResultUrl"))

    async def read(self, request: Request) -> Response:
        """GET /v1/checkouts/{id}/payment: the merchant reads the checkout's payment."""
        refused = self.opp._refuse(request, request.query_params.get("entityId"), status_read=True)
        if refused is not None and not (refused.status_code == 401
                                        and self.faults.on("checkout-status-without-token")):
            return refused
        checkout_id = request.path_params["id"]
        if checkout_id not in self.checkouts and self.faults.on("checkout-unknown-not-found"):
            return self.opp._error(404, NOT_FOUND)
        checkout = self._live(checkout_id)
        if checkout is None:
            return self._no_session()
        if self._throttled(checkout):
            status = 400 if self.faults.on("checkout-throttle-not-429") else 429
            return self.opp._error(status, THROTTLED)
        if not checkout.payments:
            if self.faults.on("checkout-unpaid-reads-paid"):
                unpaid = Payment(new_payment_id(), {**checkout.form, "paymentBrand": "VISA"}, {},
                                 checkout.base_url, self.rt.clock.now(), SYNC_SUCCESS)
                return JSONResponse(self._render(checkout, unpaid))
            return JSONResponse(self._envelope(
                {"result": {"code": PENDING, "description": "transaction pending"}}, checkout))
        latest = self.rt.store.payments[checkout.payments[-1]]
        if latest.pending and self.rt.variants.on("checkout-pending-without-id"):
            return JSONResponse(self._envelope(
                {"result": {"code": latest.result_code, "description": "transaction pending"}}, checkout))
        body = self._render(checkout, latest)
        if self.faults.on("checkout-result-changes") and SUCCESSFUL.match(latest.result_code):
            if latest.id in self._read_successful:
                body["result"] = {"code": DECLINED, "description": "Transaction declined (invalid card)"}
            self._read_successful.add(latest.id)
        return JSONResponse(body)

    # --- the payment's outcome and its notification ---------------------------------------

    def _finalise(self, checkout: Checkout, payment: Payment) -> None:
        if payment.pending and payment.final_code is not None:
            payment.result_code = self.opp._code(payment.final_code)
            self._settled(checkout, payment)

    def _settled(self, checkout: Checkout, payment: Payment) -> None:
        """The payment is final: a success ends the checkout; either way the merchant is told."""
        if SUCCESSFUL.match(payment.result_code) and checkout.closed_at is None:
            checkout.closed_at = self.rt.clock.now()
        self._notify(checkout, payment)

    def _notify(self, checkout: Checkout, payment: Payment) -> None:
        if self.faults.on("checkout-notification-never-sent"):
            return
        target = checkout.form.get("notificationUrl")
        if not target and not self.faults.on("checkout-no-shopper-fallback"):
            target = payment.form.get("shopperResultUrl")
        if not target:
            return
        if self.rt.config.checkout_notification == "payment" or self.rt.variants.on("checkout-notifies-payment"):
            named, path = payment.id, f"/v1/payments/{payment.id}"
        else:
            named, path = checkout.id, f"/v1/checkouts/{checkout.id}/payment"
        if self.faults.on("checkout-notification-other-payment"):
            other = new_payment_id()
            named, path = other, f"/v1/payments/{other}"
        if self.faults.on("checkout-resource-path-protocol-relative"):
            path = "//" + off_origin(checkout.base_url).split("://", 1)[1] + path
        elif self.faults.on("checkout-resource-path-absolute"):
            path = off_origin(checkout.base_url) + path
        url = httpx.URL(target).copy_merge_params({"id": named, "resourcePath": path})
        method = "POST" if self.faults.on("notification-as-post") else "GET"
        self.rt.notifier.send(Delivery("opp checkout notification", method, str(url),
                                       retry_delays=OPP_NOTIFICATION_RETRIES))

    # --- helpers -------------------------------------------------------------------------

    def _live(self, checkout_id: str) -> Checkout | None:
        """The checkout, unless unknown or past its lifetime."""
        checkout = self.checkouts.get(checkout_id)
        if checkout is None:
            return None
        if (self.rt.clock.now() >= checkout.created_at + self.rt.config.checkout_lifetime
                and not self.faults.on("checkout-never-expires")):
            return None
        return checkout

    def _redirect(self, checkout: Checkout, target: str | None) -> Response:
        if not target:
            return HTMLResponse("<!doctype html><title>Payment</title><p>Payment submitted.")
        params = {"id": checkout.id}
        if not self.faults.on("checkout-redirect-without-resource-path"):
            params["resourcePath"] = f"/v1/checkouts/{checkout.id}/payment"
        return Response(status_code=302, headers={"Location": str(httpx.URL(target).copy_merge_params(params))})

    def _throttled(self, checkout: Checkout) -> bool:
        return over_rate(checkout.reads, self.rt.config.checkout_reads_per_minute, self.rt.clock.now())

    def _render(self, checkout: Checkout, payment: Payment) -> dict[str, Any]:
        body = self.opp._render(payment)
        body["ndc"] = checkout.id
        return body

    def _envelope(self, body: dict[str, Any], checkout: Checkout) -> dict[str, Any]:
        return {**envelope(body, self.rt.clock.now(), self.rt.config.entity_id), "ndc": checkout.id}

    def _no_session(self) -> Response:
        body = error(INVALID_PARAMETER, self.rt.clock.now(), self.rt.config.entity_id)
        body["result"]["description"] = NO_SESSION
        return JSONResponse(body, 400)
