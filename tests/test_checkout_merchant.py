"""The shop and its shopper against the mock over real HTTP: the whole COPYandPAY flow in both
notification styles, no token on the shopper's request, repeated notifications tolerated, a
form that cannot be submitted reported not verified, and a resourcePath leading off the
platform refused before any request reaches the other host."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from asyncpay.checks import transport
from asyncpay.config.profile import MOCK_TIMING, OPP_OUTCOMES, OppTarget
from asyncpay.errors import ContractViolation, NotVerified
from asyncpay.gateways.opp.checkout import CheckoutMerchant
from asyncpay.gateways.opp.merchant import OppMerchant
from asyncpay.http.client import GatewayClient, bearer
from asyncpay.http.redaction import Redactor
from asyncpay.mock.testing import MockServer
from asyncpay.mock.urls import OFF_ORIGIN_HOST
from asyncpay.waiting.clock import VirtualClock
from asyncpay.waiting.receiver import Receiver

Handler = Callable[[httpx.Request], httpx.Response | None]


class Spy(httpx.BaseTransport):
    """Passes every request on over real HTTP, keeping a copy; ``answer`` may stand in for the gateway."""

    def __init__(self, answer: Handler | None = None) -> None:
        self.sent: list[httpx.Request] = []
        self.answer = answer
        self._real = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        canned = self.answer(request) if self.answer is not None else None
        return canned if canned is not None else self._real.handle_request(request)

    def close(self) -> None:
        self._real.close()


@pytest.fixture
def shop_on(receiver: Receiver) -> Iterator[Callable[..., tuple[CheckoutMerchant, Spy, MockServer]]]:
    """``shop_on(**MockConfig fields, answer=...)``: a shop against a fresh mock, with a spy."""
    running: list[tuple[MockServer, GatewayClient, VirtualClock]] = []

    def start(answer: Handler | None = None, **config: object) -> tuple[CheckoutMerchant, Spy, MockServer]:
        mock = MockServer(**config).__enter__()
        target = OppTarget(mock.url, mock.config.entity_id, mock.config.token, copy.deepcopy(MOCK_TIMING),
                           dict(OPP_OUTCOMES))
        spy = Spy(answer)
        client = GatewayClient(target.base_url, auth=bearer(target.token), timeout=5,
                               redactor=Redactor([target.token]), origin_rule="opp.resource-path", checks=transport,
                               transport=spy)
        clock = VirtualClock(mock.url)
        running.append((mock, client, clock))
        return CheckoutMerchant(OppMerchant(target, client, clock, receiver, "test")), spy, mock

    yield start
    for mock, client, clock in running:
        client.close()
        clock.close()
        mock.__exit__(None, None, None)


@pytest.mark.parametrize(("style", "named"), [("checkout", "/v1/checkouts/"), ("payment", "/v1/payments/")])
def test_the_whole_flow_in_either_notification_style(shop_on, style: str, named: str) -> None:
    shop, _, _ = shop_on(checkout_notification=style)
    prepared = shop.prepare(label=style)

    paid = shop.paid(prepared, rule="opp.checkout-notification")
    resource_path = shop.next_notification(prepared)
    read = shop.status(prepared, resource_path)

    assert resource_path.startswith(named)
    assert paid["id"] == read["id"] == prepared.payments[0] != prepared.id
    kinds = [e.kind for e in shop.recording.events if e.task == prepared.id]
    assert kinds == ["created", "shopper paid", "redirect", "status", "notified", "status"]


def test_the_shopper_s_request_never_carries_the_token(shop_on) -> None:
    shop, spy, _ = shop_on()
    prepared = shop.prepare(label="token")
    shop.paid(prepared, rule="opp.checkout-status")

    by_call = {(r.method, urlsplit(str(r.url)).path): "authorization" in r.headers for r in spy.sent}
    assert by_call == {("POST", "/v1/checkouts"): True,
                       ("POST", prepared.resource_path): False,
                       ("GET", prepared.resource_path): True}
    shopper = next(r for r in spy.sent if r.method == "POST" and r.url.path == prepared.resource_path)
    assert shop.target.token not in str(shopper.headers) + shopper.content.decode()
    assert b"entityId" not in shopper.content


def test_a_repeated_notification_is_tolerated(shop_on, receiver: Receiver) -> None:
    shop, _, _ = shop_on()
    prepared = shop.prepare(label="again")
    receiver.answer_with(prepared.hook_path, 503)  # the platform will retry

    shop.paid(prepared, rule="opp.checkout-notification")
    first = shop.next_notification(prepared)
    receiver.answer_with(prepared.hook_path, 200)
    second = shop.next_notification(prepared)

    assert first == second == prepared.resource_path
    assert len(prepared.seen) == 2


def test_a_form_that_cannot_be_submitted_leaves_the_later_steps_not_verified(shop_on) -> None:
    def html_page(request: httpx.Request) -> httpx.Response | None:
        if request.method == "POST" and request.url.path.endswith("/payment"):
            return httpx.Response(200, headers={"content-type": "text/html; charset=utf-8"},
                                  stream=httpx.ByteStream(b"<!doctype html><script>wpwl.submit()</script>"))
        return None

    shop, _, _ = shop_on(answer=html_page)
    prepared = shop.prepare(label="widget")

    with pytest.raises(NotVerified) as refused:
        shop.paid(prepared, rule="opp.checkout-notification")
    assert refused.value.rule == "opp.checkout-notification"
    assert "cannot be submitted over plain HTTP" in refused.value.reason


def test_a_redirect_elsewhere_than_the_shop_leaves_the_later_steps_not_verified(shop_on) -> None:
    def three_d_secure(request: httpx.Request) -> httpx.Response | None:
        if request.method == "POST" and request.url.path.endswith("/payment"):
            return httpx.Response(302, headers={"location": "https://acs.example/challenge?session=1"},
                                  stream=httpx.ByteStream(b""))
        return None

    shop, _, _ = shop_on(answer=three_d_secure)
    prepared = shop.prepare(label="acs")

    with pytest.raises(NotVerified) as refused:
        shop.shopper_pays(prepared)
    assert refused.value.rule == "opp.checkout-redirect"
    assert "continues in a browser" in refused.value.reason


@pytest.mark.parametrize("fault", ["checkout-resource-path-protocol-relative", "checkout-resource-path-absolute"])
def test_a_resource_path_off_the_platform_is_refused_and_the_other_host_gets_nothing(shop_on, fault: str) -> None:
    shop, spy, mock = shop_on(faults=[fault])
    with Receiver(OFF_ORIGIN_HOST, httpx.URL(mock.url).port or 0) as canary:
        prepared = shop.prepare(label="canary")
        shop.paid(prepared, rule="opp.checkout-notification")

        with pytest.raises(ContractViolation) as refused:
            resource_path = shop.next_notification(prepared)
            shop.status(prepared, resource_path)

        assert refused.value.rule == "opp.resource-path"
        assert OFF_ORIGIN_HOST in str(refused.value.received)
        assert canary.requests() == []
    assert all(r.url.host != OFF_ORIGIN_HOST for r in spy.sent)
