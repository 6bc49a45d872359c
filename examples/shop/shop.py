"""A small reference shop integrating Overpay (asynchronous card API), OPP Server-to-Server and
OPP COPYandPAY the way their documentation asks — and, for the merchant suites' own proof,
with switchable naive behaviours that real shops have shipped.

It is an example of a merchant's integration, not part of asyncpay: it imports nothing of it.

Run: ``python examples/shop/shop.py`` with the environment below; ``SHOP_NAIVE`` takes a
comma-separated list of the naive behaviours in ``NAIVE``.

Environment: ``SHOP_PORT``, ``SHOP_PUBLIC_URL`` (where the platforms reach the shop),
``OVERPAY_BASE_URL``, ``OVERPAY_SHOP_ID``, ``OVERPAY_SECRET_KEY``, ``OVERPAY_PUBLIC_KEY``
(optional PEM, for ``Content-Signature``), ``OPP_BASE_URL``, ``OPP_ACCESS_TOKEN``,
``OPP_ENTITY_ID``, ``OPP_WEBHOOK_SECRET`` (optional: 64 hex characters, for encrypted webhooks).

Routes: ``POST /pay/overpay|/pay/opp|/pay/checkout`` (JSON ``{"amount": minor units,
"currency", "card": {"number", "holder", "exp_month", "exp_year", "cvv"}}`` → 201
``{"order_id", "state", "checkout_id"?}``), ``POST /overpay/webhook``, ``GET /opp/notify``,
``GET /opp/return``, ``POST /opp/webhook`` (encrypted), ``GET /orders/{order_id}`` →
``{"state": "pending"|"paid"|"failed"}``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hmac
import json
import os
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

#: Naive behaviour → what it does wrong (each breaks one merchant rule).
NAIVE = {
    "base-plus-resourcepath": "OPP: status URL built from the base URL and the raw resourcePath (pretix-oppwa's bug)",
    "follow-any-status-url": "Overpay: follows status_url wherever it points, with the shop's credentials",
    "no-status-read": "OPP: marks the order from the notification alone, never reads the status",
    "reread-result": "Overpay: reads a task's result twice (a look, then the real read) and uses the second",
    "result-url-on-webhook": "Overpay: a webhook is only a ping; the outcome is re-read from the task's response_url",
    "paid-on-return": "COPYandPAY: the shopper's return means paid; the status read is only logged",
    "no-webhook-auth": "acknowledges a webhook without checking it (Basic, Content-Signature, the AES-GCM tag)",
    "fulfil-every-delivery": "captures on every successful delivery, repeats included",
    "reread-every-notification": "OPP: reads the status on every notification, a settled payment's repeats too",
    "ignore-429": "repeats a throttled request at once, ignoring Retry-After",
    "new-requestid-on-retry": "Overpay: a new RequestID on every repeat of a POST",
}
#: OPP: the only resource paths a notification or redirect may name (relative to the server).
RESOURCE_PATH = re.compile(r"/v1/(payments/[0-9a-f]{32}|checkouts/[A-Za-z0-9.\-]{1,64}/payment)")
#: OPP result codes (documented groups): successful, and pending.
OPP_SUCCESS = re.compile(r"^(000\.000\.|000\.100\.1|000\.[36]|000\.400\.[1][12]0)")
OPP_PENDING = re.compile(r"^(000\.200|800\.400\.5|100\.400\.500)")
#: The longest Retry-After the shop honours before giving up on a request (seconds).
RETRY_AFTER_CAP = 5.0
TRIES = 3


@dataclass
class Order:
    id: str
    method: str
    amount: int
    currency: str
    state: str = "pending"
    gateway_id: str | None = None  # Overpay uid, OPP payment id, or the checkout id
    captured: bool = False
    result_url: str | None = None  # Overpay: the task's response_url
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class Settings:
    def __init__(self, env: dict[str, str]) -> None:
        self.port = int(env.get("SHOP_PORT", "8000"))
        self.public_url = env.get("SHOP_PUBLIC_URL", f"http://127.0.0.1:{self.port}").rstrip("/")
        self.overpay_url = env.get("OVERPAY_BASE_URL", "").rstrip("/")
        self.shop_id = env.get("OVERPAY_SHOP_ID", "")
        self.secret_key = env.get("OVERPAY_SECRET_KEY", "")
        self.public_key = env.get("OVERPAY_PUBLIC_KEY", "")
        self.opp_url = env.get("OPP_BASE_URL", "").rstrip("/")
        self.token = env.get("OPP_ACCESS_TOKEN", "")
        self.entity_id = env.get("OPP_ENTITY_ID", "")
        self.webhook_secret = env.get("OPP_WEBHOOK_SECRET", "")
        self.naive = {n.strip() for n in env.get("SHOP_NAIVE", "").split(",") if n.strip()}
        unknown = self.naive - set(NAIVE)
        if unknown:
            raise SystemExit(f"SHOP_NAIVE: unknown behaviour(s) {sorted(unknown)}; known: {sorted(NAIVE)}")


def same_origin(url: str, base: str) -> bool:
    try:
        a, b = httpx.URL(url), httpx.URL(base)
    except httpx.InvalidURL:
        return False
    return (a.scheme, a.host, a.port, a.userinfo) == (b.scheme, b.host, b.port, b"")


def create_app(settings: Settings) -> Starlette:
    orders: dict[str, Order] = {}
    by_gateway_id: dict[str, str] = {}
    naive = settings.naive.__contains__
    http = httpx.AsyncClient(timeout=10.0, follow_redirects=False)
    basic = "Basic " + base64.b64encode(f"{settings.shop_id}:{settings.secret_key}".encode()).decode()
    bearer = {"Authorization": f"Bearer {settings.token}"}

    async def send(method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One request, repeated after a 429 (after Retry-After), a 5xx or a timeout; an Overpay
        POST keeps its RequestID so the platform can tell a repeat from a new payment."""
        headers = dict(kwargs.pop("headers", {}))
        for attempt in range(TRIES):
            if naive("new-requestid-on-retry") and "RequestID" in headers:
                headers["RequestID"] = str(uuid.uuid4())
            try:
                response = await http.request(method, url, headers=headers, **kwargs)
            except httpx.TimeoutException:
                if attempt == TRIES - 1:
                    raise
                continue
            if response.status_code == 429 and attempt < TRIES - 1:
                if not naive("ignore-429"):
                    await asyncio.sleep(retry_after(response))
                continue
            if response.status_code >= 500 and attempt < TRIES - 1:
                continue
            return response
        return response

    # --- Overpay ---------------------------------------------------------------------------

    async def overpay(method: str, url: str, body: dict[str, Any] | None = None) -> httpx.Response:
        headers = {"Authorization": basic, "Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
            headers["RequestID"] = str(uuid.uuid4())
        return await send(method, url, headers=headers, json=body)

    async def pay_overpay(order: Order, card: dict[str, Any]) -> None:
        answer = await overpay("POST", f"{settings.overpay_url}/async/transactions/authorizations", {"request": {
            "amount": order.amount, "currency": order.currency, "description": f"Order {order.id}",
            "tracking_id": order.id, "test": True,
            "notification_url": f"{settings.public_url}/overpay/webhook",
            "credit_card": {"number": card.get("number"), "verification_value": card.get("cvv", "123"),
                            "holder": card.get("holder", "J Doe"), "exp_month": card.get("exp_month", 12),
                            "exp_year": card.get("exp_year", 2035)}}})
        task = answer.json() if answer.status_code < 300 else {}
        status_url = task.get("status_url")
        if isinstance(task.get("response_url"), str):
            order.result_url = task["response_url"]
        if not isinstance(status_url, str):
            return
        # A task's URLs are followed only on the configured gateway; the webhook brings the rest.
        if not (same_origin(status_url, settings.overpay_url) or naive("follow-any-status-url")):
            return
        status = await overpay("GET", status_url)
        answer = json_of(status)
        if status.status_code != 200 and "message" in answer and order.state == "pending":
            order.state = "failed"  # the task itself failed: said once, kept here
            return
        result_url = answer.get("response_url")
        if answer.get("status") != "completed" or not isinstance(result_url, str) \
                or not same_origin(result_url, settings.overpay_url):
            return
        result = await overpay("GET", result_url)
        if naive("reread-result"):
            result = await overpay("GET", result_url)
        if result.status_code == 200:
            await overpay_outcome(json_of(result).get("transaction") or {})
        elif result.status_code != 404 and order.state == "pending":
            order.state = "failed"  # a one-time error result (validation): it is not given again

    async def overpay_outcome(transaction: dict[str, Any]) -> None:
        order = orders.get(str(transaction.get("tracking_id")))
        if order is None or transaction.get("type") != "authorization":
            return
        async with order.lock:
            if transaction.get("status") == "successful":
                if order.captured and not naive("fulfil-every-delivery"):
                    return
                order.gateway_id = transaction.get("uid")
                await overpay("POST", f"{settings.overpay_url}/transactions/captures", {"request": {
                    "parent_uid": transaction.get("uid"), "amount": order.amount}})
                order.captured, order.state = True, "paid"
            elif transaction.get("status") in ("failed", "expired") and order.state == "pending":
                order.state = "failed"  # a failed attempt never undoes a paid order

    async def overpay_webhook(request: Request) -> Response:
        body = await request.body()
        if not (naive("no-webhook-auth") or authentic(request, body)):
            return JSONResponse({"message": "unauthenticated"}, 401)
        try:
            transaction = (await request.json()).get("transaction") or {}
        except ValueError:
            return JSONResponse({"message": "not JSON"}, 400)
        order = orders.get(str(transaction.get("tracking_id")))
        if naive("result-url-on-webhook") and order is not None and order.result_url \
                and same_origin(order.result_url, settings.overpay_url):
            result = await overpay("GET", order.result_url)
            if result.status_code != 200:
                return JSONResponse({"ok": True})  # nothing to learn: the order waits
            transaction = result.json().get("transaction") or {}
        await overpay_outcome(transaction)
        return JSONResponse({"ok": True})

    def authentic(request: Request, body: bytes) -> bool:
        credentials = request.headers.get("authorization", "")
        if credentials and hmac.compare_digest(credentials.encode(), basic.encode()):
            return True
        signature = request.headers.get("content-signature")
        return bool(signature and settings.public_key and verify_signature(body, signature, settings.public_key))

    # --- OPP -------------------------------------------------------------------------------

    def opp_card(card: dict[str, Any]) -> dict[str, str]:
        return {"paymentBrand": "VISA", "card.number": str(card.get("number", "")),
                "card.holder": str(card.get("holder", "J Doe")),
                "card.expiryMonth": f"{int(card.get('exp_month', 12)):02d}",
                "card.expiryYear": str(card.get("exp_year", 2035)), "card.cvv": str(card.get("cvv", "123"))}

    async def pay_opp(order: Order, card: dict[str, Any]) -> None:
        answer = await send("POST", f"{settings.opp_url}/v1/payments", headers=bearer, data={
            "entityId": settings.entity_id, "amount": f"{order.amount / 100:.2f}",
            "currency": order.currency, "paymentType": "PA", "merchantTransactionId": order.id,
            "notificationUrl": f"{settings.public_url}/opp/notify",
            "shopperResultUrl": f"{settings.public_url}/opp/return", **opp_card(card)})
        payment = answer.json()
        order.gateway_id = payment.get("id")
        by_gateway_id[str(payment.get("id"))] = order.id
        await opp_outcome(order, payment)

    async def pay_checkout(order: Order) -> None:
        answer = await send("POST", f"{settings.opp_url}/v1/checkouts", headers=bearer, data={
            "entityId": settings.entity_id, "amount": f"{order.amount / 100:.2f}",
            "currency": order.currency, "paymentType": "PA", "merchantTransactionId": order.id,
            "notificationUrl": f"{settings.public_url}/opp/notify",
            "shopperResultUrl": f"{settings.public_url}/opp/return"})
        order.gateway_id = answer.json().get("id")
        by_gateway_id[str(order.gateway_id)] = order.id

    async def opp_outcome(order: Order, payment: dict[str, Any]) -> None:
        code = str((payment.get("result") or {}).get("code", ""))
        async with order.lock:
            if OPP_SUCCESS.match(code):
                if order.captured and not naive("fulfil-every-delivery"):
                    return
                payment_id = payment.get("id")
                await send("POST", f"{settings.opp_url}/v1/payments/{payment_id}", headers=bearer, data={
                    "entityId": settings.entity_id, "paymentType": "CP",
                    "amount": f"{order.amount / 100:.2f}", "currency": order.currency})
                order.captured, order.state = True, "paid"
            elif not OPP_PENDING.match(code) and order.state == "pending" and order.method != "checkout":
                order.state = "failed"

    def status_url(resource_path: str) -> str | None:
        if naive("base-plus-resourcepath"):
            # Joined, not checked: a resourcePath written as //host/... or a full URL names the host.
            return urljoin(settings.opp_url + "/", resource_path)
        if not RESOURCE_PATH.fullmatch(resource_path):
            return None  # names nothing the shop knows: never sent anywhere
        return f"{settings.opp_url}{resource_path}"

    async def opp_status(request: Request) -> Response:
        """Notification and shopper return alike: read the status from the configured server."""
        resource_path = request.query_params.get("resourcePath", "")
        notified_id = request.query_params.get("id", "")
        order_id = by_gateway_id.get(notified_id)
        returned = request.url.path == "/opp/return"
        if naive("no-status-read") and not returned:
            order = orders.get(order_id or "")
            if order is not None and order.state == "pending":
                order.state = "paid"
            return JSONResponse({"ok": True})
        known = orders.get(order_id or "")
        if known is not None and known.state != "pending" and not naive("reread-every-notification"):
            # A settled payment does not change: its repeats are acknowledged without another read,
            # which the platform throttles (2 a minute per payment on live systems).
            return JSONResponse({"ok": True, "state": known.state})
        url = status_url(resource_path)
        if url is None:
            return JSONResponse({"ok": True})
        answer = await send("GET", url, headers=bearer, params={"entityId": settings.entity_id})
        try:
            payment = answer.json()
        except ValueError:
            return JSONResponse({"ok": True})
        order_id = order_id or by_gateway_id.get(str(payment.get("ndc"))) \
            or by_gateway_id.get(str(payment.get("id"))) or payment.get("merchantTransactionId")
        order = orders.get(str(order_id))
        if order is not None and returned and naive("paid-on-return"):
            order.state = "paid"
        elif order is not None and answer.status_code == 200:
            await opp_outcome(order, payment)
        return JSONResponse({"ok": True, "state": order.state if order else None})

    async def opp_webhook(request: Request) -> Response:
        """An encrypted webhook: acted on only when it decrypts under the shop's secret."""
        body = await request.body()
        payload = decrypt(body, request.headers, settings.webhook_secret)
        if payload is None:
            if naive("no-webhook-auth"):
                return JSONResponse({"ok": True})  # "acknowledge everything, or it comes back"
            return JSONResponse({"message": "cannot decrypt"}, 401)
        payment = payload.get("payload") or {}
        order = orders.get(by_gateway_id.get(str(payment.get("id")), "")) \
            or orders.get(str(payment.get("merchantTransactionId")))
        if order is not None and payload.get("type") == "PAYMENT" and payment.get("paymentType") in ("PA", "DB"):
            await opp_outcome(order, payment)
        return JSONResponse({"ok": True})

    # --- the shop's own routes ---------------------------------------------------------------

    async def pay(request: Request) -> Response:
        method = request.path_params["method"]
        if method not in ("overpay", "opp", "checkout"):
            return JSONResponse({"message": "no such method"}, 404)
        body = await request.json()
        order = Order(uuid.uuid4().hex[:16], method, int(body["amount"]), str(body["currency"]))
        orders[order.id] = order
        card = body.get("card") or {}
        if method == "overpay":
            await pay_overpay(order, card)
        elif method == "opp":
            await pay_opp(order, card)
        else:
            await pay_checkout(order)
        answer = {"order_id": order.id, "state": order.state}
        if method == "checkout":
            answer["checkout_id"] = order.gateway_id
        return JSONResponse(answer, 201)

    async def order(request: Request) -> Response:
        found = orders.get(request.path_params["order_id"])
        if found is None:
            return JSONResponse({"message": "no such order"}, 404)
        return JSONResponse({"order_id": found.id, "state": found.state, "method": found.method})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await http.aclose()

    return Starlette(routes=[
        Route("/pay/{method}", pay, methods=["POST"]),
        Route("/overpay/webhook", overpay_webhook, methods=["POST"]),
        Route("/opp/notify", opp_status, methods=["GET"]),
        Route("/opp/return", opp_status, methods=["GET"]),
        Route("/opp/webhook", opp_webhook, methods=["POST"]),
        Route("/orders/{order_id}", order, methods=["GET"]),
    ], lifespan=lifespan)


def json_of(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def retry_after(response: httpx.Response) -> float:
    try:
        return min(max(float(response.headers.get("retry-after", "1")), 0.0), RETRY_AFTER_CAP)
    except ValueError:
        return 1.0


def decrypt(body: bytes, headers: Any, secret_hex: str) -> dict[str, Any] | None:
    """An OPP encrypted webhook's plaintext (AES-256-GCM, IV and tag in headers), or None."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    try:
        text = body.decode().strip()
        if text.startswith("{"):
            text = json.loads(text)["encryptedBody"]
        sealed = bytes.fromhex(text) + bytes.fromhex(headers.get("x-authentication-tag", ""))
        plain = AESGCM(bytes.fromhex(secret_hex)).decrypt(bytes.fromhex(headers.get("x-initialization-vector", "")),
                                                          sealed, None)
        payload = json.loads(plain)
    except (InvalidTag, ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None
    return payload if isinstance(payload, dict) else None


def verify_signature(body: bytes, signature: str, public_key_pem: str) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding
    try:
        key = serialization.load_pem_public_key(public_key_pem.encode())
        key.verify(base64.b64decode(signature), body, padding.PKCS1v15(), hashes.SHA256())  # type: ignore[union-attr,call-arg]
    except (InvalidSignature, ValueError, TypeError, binascii.Error):
        return False
    return True


if __name__ == "__main__":
    settings = Settings(dict(os.environ))
    uvicorn.run(create_app(settings), host="127.0.0.1", port=settings.port, log_level="warning")
