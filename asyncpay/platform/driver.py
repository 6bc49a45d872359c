"""asyncpay plays the platform against a merchant's shop: the embedded mock serves the shop's API
calls (Overpay tasks, OPP payments, COPYandPAY checkouts) behind a tap that records them, a
canary stands for another host, and the driver does what the platform and the shopper do —
start a payment through the shop, move the platform's clock, deliver notifications and webhooks,
pay a checkout as the shopper's browser and follow the redirect back.

>>> from asyncpay.config.merchant import MerchantConfig
>>> with Platform(MerchantConfig(base_url="http://127.0.0.1:9")) as platform:  # doctest: +SKIP
...     order = platform.start_payment("opp", "pending")
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from asyncpay.config.merchant import MerchantConfig, fill, pointer
from asyncpay.errors import HarnessError
from asyncpay.http.recording import SHOP_SIDE, Exchange, Recording
from asyncpay.http.redaction import Redactor
from asyncpay.mock import MockConfig, create_app
from asyncpay.platform.canary import Canary, Landed
from asyncpay.platform.shop import Shop
from asyncpay.platform.tap import Seen, Tap
from asyncpay.wire.server import BackgroundServer
from asyncpay.wire.testdata import OPP_OUTCOMES, OVERPAY_OUTCOMES

#: The card a payment uses per outcome: Overpay and OPP documented test cards.
CARDS = {
    ("overpay", "successful"): OVERPAY_OUTCOMES["successful"]["credit_card"]["number"],
    ("overpay", "failed"): OVERPAY_OUTCOMES["failed"]["credit_card"]["number"],
    ("opp", "successful"): OPP_OUTCOMES["successful"]["card.number"],
    ("opp", "pending"): OPP_OUTCOMES["pending"]["card.number"],
    ("checkout", "successful"): OPP_OUTCOMES["checkout"]["card.number"],
    ("overpay", "validation_error"): OVERPAY_OUTCOMES["validation_error"]["credit_card"]["number"],
}
#: (month, year) of the card per outcome; the others expire in 12/2035.
EXPIRY = {("overpay", "validation_error"): (OVERPAY_OUTCOMES["validation_error"]["credit_card"]["exp_month"],
                                            OVERPAY_OUTCOMES["validation_error"]["credit_card"]["exp_year"])}
#: Amount of the first payment, in minor units; each further one is a cent more, so no two look
#: like the same payment to a gateway's duplicate check (same amount and card within 30 s).
AMOUNT = 1000
CURRENCY = "EUR"
REQUEST_TIMEOUT = 15.0


@dataclass(frozen=True)
class Order:
    """A payment the shop started: its order id, checkout id (COPYandPAY) and the shop's answer."""

    method: str
    order_id: str | None
    checkout_id: str | None
    status: int
    answer: Any


class Platform:
    """The simulated platform, the canary and the shop, started together."""

    def __init__(self, merchant: MerchantConfig, mock: MockConfig | None = None,
                 shop_env: dict[str, str] | None = None) -> None:
        self.merchant = merchant
        self.mock_config = mock or MockConfig()
        self.tap = Tap()
        self.canary = Canary()
        self.http = httpx.Client(timeout=REQUEST_TIMEOUT, follow_redirects=False)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.signing_key = key
        self.public_key_pem = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        self._shop_env = shop_env
        self._payments = 0
        self._server: BackgroundServer | None = None
        self._app: Any = None
        self.shop: Shop | None = None

    # --- life -------------------------------------------------------------------------------

    def start(self) -> Platform:
        try:
            self._app = create_app(self.mock_config)
            self._server = BackgroundServer(self.tap.wrap(self._app)).start()
            self.canary.start()
            self.shop = Shop(self.merchant, self.platform_values, self._shop_env).start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.shop is not None:
            self.shop.stop()
            self.shop = None
        self.canary.stop()
        if self._server is not None:
            self._server.stop()
            self._server = None
        self.http.close()

    def __enter__(self) -> Platform:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # --- what the shop is told ------------------------------------------------------------

    @property
    def origin(self) -> str:
        """The platform's base URL: the shop's configured server for both gateways."""
        if self._server is None:
            raise HarnessError("the platform is not started")
        return self._server.url

    @property
    def platform_values(self) -> dict[str, str]:
        config = self.mock_config
        return {"overpay_base_url": self.origin, "opp_base_url": self.origin,
                "overpay_shop_id": config.shop_id, "overpay_secret_key": config.secret_key,
                "overpay_public_key": self.public_key_pem, "opp_access_token": config.token,
                "opp_entity_id": config.entity_id, "opp_webhook_secret": config.webhook_secret or ""}

    @property
    def shop_url(self) -> str:
        assert self.shop is not None
        return self.shop.url

    # --- the shop's own endpoints -----------------------------------------------------------

    def start_payment(self, method: str, outcome: str = "successful") -> Order:
        """Ask the shop to start a payment (``[merchant.pay.<method>]``) with the outcome's test card."""
        spec = self.merchant.pay.get(method)
        if spec is None:
            raise HarnessError(f"[merchant.pay.{method}] is not in the profile")
        amount = AMOUNT + self._payments
        self._payments += 1
        values = {"amount": amount, "amount_decimal": f"{amount / 100:.2f}", "currency": CURRENCY,
                  "order_id": f"asyncpay-{time.monotonic_ns()}", "card_number": CARDS[(method, outcome)],
                  "holder": "Jane Roe", "cvv": "123"}
        values["exp_month"], values["exp_year"] = EXPIRY.get((method, outcome), (12, 2035))
        url = self.shop_url + str(fill(spec.path, values))
        kwargs: dict[str, Any] = {}
        if spec.json is not None:
            kwargs["json"] = fill(spec.json, values)
        elif spec.form is not None:
            kwargs["data"] = {k: str(v) for k, v in fill(spec.form, values).items()}
        response = self.http.request(spec.method, url, **kwargs)
        try:
            answer = response.json()
        except ValueError:
            answer = response.text
        order_id = pointer(answer, spec.order_id)
        checkout_id = pointer(answer, spec.checkout_id) if spec.checkout_id else None
        if not 200 <= response.status_code < 300 or order_id is None:
            raise HarnessError(f"the shop did not start a {method} payment: {spec.method} {spec.path} "
                               f"answered {response.status_code} {str(answer)[:300]} "
                               f"(order id expected at {spec.order_id!r}; check [merchant.pay.{method}])")
        return Order(method, str(order_id), str(checkout_id) if checkout_id is not None else None,
                     response.status_code, answer)

    def order_state(self, order_id: str | None) -> str | None:
        """The order's state word from ``[merchant.order]``; None without that endpoint."""
        endpoint = self.merchant.order
        if endpoint is None or order_id is None:
            return None
        response = self.http.get(self.shop_url + endpoint.path.replace("{order_id}", order_id))
        try:
            state = pointer(response.json(), endpoint.state)
        except ValueError:
            return None
        return None if state is None else str(state)

    # --- the platform's side ----------------------------------------------------------------

    @contextlib.contextmanager
    def tasks_done_at_once(self) -> Iterator[None]:
        """Overpay tasks created meanwhile are done the moment they are created (the docs say
        nothing of how long a task takes), so the shop's first status read finds the result."""
        config = self._app.state.mock.config
        kept = config.processing_delay, config.processing_delay_max
        config.processing_delay, config.processing_delay_max = 0.0, None
        try:
            yield
        finally:
            config.processing_delay, config.processing_delay_max = kept

    def advance(self, seconds: float) -> None:
        """Move the platform's clock on; what falls due (completions, deliveries) happens."""
        self.http.post(self.origin + "/_asyncpay/clock/advance", json={"seconds": seconds}).raise_for_status()

    def deliveries(self) -> list[dict[str, Any]]:
        """Every attempt the platform made to deliver a notification or webhook, oldest first."""
        return list(self.http.get(self.origin + "/_asyncpay/deliveries").json()["attempts"])

    def send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """A request from the platform (or the shopper's browser) to the shop."""
        return self.http.request(method, url, **kwargs)

    def mark(self) -> tuple[int, int]:
        return len(self.tap), len(self.canary)

    def seen_since(self, mark: tuple[int, int]) -> list[Seen]:
        return self.tap.since(mark[0])

    def landed_since(self, mark: tuple[int, int]) -> list[Landed]:
        return self.canary.since(mark[1])

    def sent_by_shop(self, method: str, path_prefix: str, mark: tuple[int, int] = (0, 0)) -> list[Seen]:
        return [s for s in self.tap.since(mark[0]) if s.method == method and s.path.startswith(path_prefix)]

    def record_into(self, recording: Recording | None, redactor: Redactor | None = None) -> None:
        """From now on, every request the shop sends the platform or another host goes into
        ``recording``, redacted (labels ``shop → platform``, ``shop → another host``); None stops."""
        if recording is None or redactor is None:
            self.tap.on_answered = None
            self.canary.on_landed = None
            return
        offset = time.time() - time.monotonic()

        def platform_side(s: Seen) -> None:
            recording.exchange(Exchange(
                s.method, redactor.url(f"{self.origin}{s.path}{'?' + s.query if s.query else ''}"),
                redactor.headers(s.headers), redactor.body(s.body, s.headers.get("content-type")),
                s.status, {}, redactor.body(s.answer, "application/json"), s.at + offset,
                time.monotonic() - s.at, label=SHOP_SIDE + "platform"))

        def elsewhere(landed: Landed) -> None:
            recording.exchange(Exchange(
                landed.method, redactor.url(landed.url), redactor.headers(landed.headers),
                redactor.body(landed.body, landed.headers.get("content-type")), 200, {}, "", time.time(),
                0.0, label=SHOP_SIDE + "another host"))

        self.tap.on_answered = platform_side
        self.canary.on_landed = elsewhere

    def wait_for(self, predicate: Callable[[], bool], within: float) -> bool:
        """Poll ``predicate()`` until true or ``within`` seconds pass (a deadline, not a sleep)."""
        deadline = time.monotonic() + within
        while True:
            if predicate():
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)


__all__ = ["AMOUNT", "CARDS", "CURRENCY", "Order", "Platform"]
