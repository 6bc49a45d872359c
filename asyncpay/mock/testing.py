"""A mock gateway served on loopback with clients that hold its credentials, and well-formed
requests for both gateways — for tests that talk to the mock over real HTTP.

>>> with MockServer(processing_delay=1) as mock:
...     task = mock.create_task(amount=250)
...     _ = mock.advance(1)              # the virtual clock: no real waiting
...     mock.result(task["request_id"]).json()["transaction"]["status"]
'successful'
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import httpx

from asyncpay.mock.app import create_app
from asyncpay.mock.config import MockConfig
from asyncpay.wire.server import BackgroundServer

#: An expiry year that stays in the future for a while (the virtual clock starts at wall time).
FUTURE_YEAR = datetime.now(UTC).year + 5


def overpay_request(card: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    """A valid payment request (successful test card, unique tracking_id); ``card`` updates
    ``credit_card``, ``fields`` replace top-level fields."""
    request: dict[str, Any] = {
        "amount": 100, "currency": "USD", "description": "Order 1",
        "tracking_id": f"order-{uuid.uuid4().hex[:12]}", "test": True, "duplicate_check": False,
        "credit_card": {"number": "4200000000000000", "verification_value": "123",
                        "holder": "JOHN DOE", "exp_month": 12, "exp_year": FUTURE_YEAR},
    }
    request["credit_card"].update(card or {})
    request.update(fields)
    return request


def opp_form(entity_id: str, **fields: str) -> dict[str, str]:
    """A valid OPP debit form (successful test card) with ``fields`` replaced."""
    form = {"entityId": entity_id, "amount": "92.00", "currency": "EUR", "paymentBrand": "VISA",
            "paymentType": "DB", "card.number": "4200000000000000", "card.holder": "Jane Jones",
            "card.expiryMonth": "05", "card.expiryYear": str(FUTURE_YEAR), "card.cvv": "123"}
    form.update(fields)
    return form


def checkout_form(entity_id: str, **fields: str) -> dict[str, str]:
    """A valid COPYandPAY checkout form (POST /v1/checkouts) with ``fields`` replaced."""
    return {"entityId": entity_id, "amount": "92.00", "currency": "EUR", "paymentType": "DB",
            "merchantTransactionId": f"order-{uuid.uuid4().hex[:12]}", **fields}


def shopper_form(**fields: str) -> dict[str, str]:
    """What the shopper's payment form posts (successful test card) with ``fields`` replaced."""
    return {"paymentBrand": "VISA", "card.number": "4200000000000000", "card.holder": "Jane Jones",
            "card.expiryMonth": "05", "card.expiryYear": str(FUTURE_YEAR), "card.cvv": "123", **fields}


class MockServer:
    """A mock gateway on an ephemeral loopback port; ``MockServer(**MockConfig fields)``."""

    def __init__(self, **config: Any) -> None:
        self.config = MockConfig(**config)
        self._server = BackgroundServer(create_app(self.config))
        self._clients: list[httpx.Client] = []
        # One transport for all three clients: building one costs ~25 ms (its TLS context).
        self._transport = httpx.HTTPTransport()

    @property
    def url(self) -> str:
        return self._server.url

    def __enter__(self) -> MockServer:
        self._server.start()
        self.overpay = self._client(auth=(self.config.shop_id, self.config.secret_key))
        self.opp = self._client(headers={"Authorization": f"Bearer {self.config.token}"})
        self.anonymous = self._client()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        for client in self._clients:
            client.close()
        self._transport.close()
        self._server.stop()

    def advance(self, seconds: float) -> float:
        """Move the virtual clock on; returns the new time."""
        response = self.anonymous.post("/_asyncpay/clock/advance", json={"seconds": seconds})
        response.raise_for_status()
        return float(response.json()["now"])

    def create_task(self, kind: str = "payments", **fields: Any) -> dict[str, Any]:
        """POST an async Overpay request built by ``overpay_request(**fields)``; the task answer."""
        response = self.overpay.post(f"/async/transactions/{kind}",
                                     json={"request": overpay_request(**fields)})
        response.raise_for_status()
        return dict(response.json())

    def create_child(self, kind: str, parent_uid: str, amount: int, **fields: Any) -> dict[str, Any]:
        """POST an async capture, void or refund (``kind``) of ``parent_uid``; a refund gets a
        ``reason`` unless ``fields`` set one (``reason=None`` leaves it out). The task answer."""
        request = {"parent_uid": parent_uid, "amount": amount,
                   **({"reason": "Customer request"} if kind == "refunds" else {}), **fields}
        request = {key: value for key, value in request.items() if value is not None}
        response = self.overpay.post(f"/async/transactions/{kind}", json={"request": request})
        response.raise_for_status()
        return dict(response.json())

    def status(self, request_id: str) -> httpx.Response:
        return self.overpay.get(f"/async/status/{request_id}")

    def result(self, request_id: str) -> httpx.Response:
        return self.overpay.get(f"/async/result/{request_id}")

    def completed_result(self, **fields: Any) -> dict[str, Any]:
        """Create a task, let it complete, and return its result's transaction (HTTP 200)."""
        task = self.create_task(**fields)
        self.advance(self.config.longest_processing)
        response = self.result(task["request_id"])
        response.raise_for_status()
        return dict(response.json()["transaction"])

    def pay(self, **fields: str) -> httpx.Response:
        """POST /v1/payments with ``opp_form(**fields)``."""
        return self.opp.post("/v1/payments", data=opp_form(self.config.entity_id, **fields))

    def read_payment(self, payment_id: str) -> httpx.Response:
        return self.opp.get(f"/v1/payments/{payment_id}",
                            params={"entityId": self.config.entity_id})

    def prepare_checkout(self, **fields: str) -> httpx.Response:
        """POST /v1/checkouts with ``checkout_form(**fields)``."""
        return self.opp.post("/v1/checkouts", data=checkout_form(self.config.entity_id, **fields))

    def shopper_pays(self, checkout_id: str, **fields: str) -> httpx.Response:
        """The shopper's form submission (no credentials, redirect not followed)."""
        return self.anonymous.post(f"/v1/checkouts/{checkout_id}/payment", data=shopper_form(**fields))

    def read_checkout(self, checkout_id: str) -> httpx.Response:
        return self.opp.get(f"/v1/checkouts/{checkout_id}/payment",
                            params={"entityId": self.config.entity_id})

    def _client(self, **options: Any) -> httpx.Client:
        client = httpx.Client(base_url=self.url, timeout=10, transport=self._transport, **options)
        self._clients.append(client)
        return client
