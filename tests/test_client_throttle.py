"""The client on HTTP 429: it backs off as Retry-After asks and sends again only what is safe to
repeat (a safe read, a POST with a RequestID), within the budget; every attempt is recorded."""

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from asyncpay.checks import transport
from asyncpay.http.client import GatewayClient, basic
from asyncpay.http.redaction import Redactor
from asyncpay.http.throttle import Throttle, repeatable, retry_after

BASE = "https://gateway.test"


class Gateway:
    """Answers 429 (with ``retry_after``) ``throttled`` times, then 200; records what came."""

    def __init__(self, throttled: int, retry_after: str | None = "2") -> None:
        self.throttled = throttled
        self.retry_after = retry_after
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if len(self.requests) <= self.throttled:
            headers = {"Retry-After": self.retry_after} if self.retry_after is not None else {}
            return httpx.Response(429, headers={"Content-Type": "application/json", **headers},
                                  stream=httpx.ByteStream(json.dumps({"message": "Too Many Requests"}).encode()))
        return httpx.Response(200, headers={"Content-Type": "application/json"},
                              stream=httpx.ByteStream(json.dumps({"status": "processing", "request_id": "1"}).encode()))


def client_for(gateway: Gateway, budget: float = 60.0, **options) -> tuple[GatewayClient, list[float]]:
    waits: list[float] = []
    client = GatewayClient(BASE, auth=basic("361", "secret"), timeout=2.0, redactor=Redactor(["secret"]),
                           origin_rule="overpay.urls-on-gateway", checks=transport,
                           transport=httpx.MockTransport(gateway),
                           throttle=Throttle(budget=budget, pause=waits.append), **options)
    return client, waits


def test_a_safe_read_is_sent_again_after_the_wait_retry_after_asks_for():
    gateway = Gateway(throttled=2, retry_after="3")
    client, waits = client_for(gateway)

    answer = client.send("GET", "/async/status/1", repeatable=True, label="status")

    assert answer.status_code == 200
    assert waits == [3.0, 3.0]
    assert [e.status for e in client.recording.exchanges] == [429, 429, 200]
    assert [e.label for e in client.recording.exchanges] == [
        "status", "status (attempt 2, after 429)", "status (attempt 3, after 429)"]


def test_a_result_read_is_never_sent_again():
    gateway = Gateway(throttled=1)
    client, waits = client_for(gateway)

    answer = client.send("GET", "/async/result/1", label="result")  # repeatable defaults to False

    assert answer.status_code == 429
    assert len(gateway.requests) == 1 and waits == []


def test_a_post_without_request_id_is_never_sent_again():
    gateway = Gateway(throttled=1)
    client, waits = client_for(gateway)

    answer = client.send("POST", "/async/transactions/payments", json_body={"request": {}}, repeatable=True)

    assert answer.status_code == 429
    assert len(gateway.requests) == 1 and waits == []


def test_a_post_with_request_id_is_sent_again_with_the_same_request_id_and_body():
    gateway = Gateway(throttled=1, retry_after="1")
    client, waits = client_for(gateway)

    answer = client.send("POST", "/async/transactions/payments", json_body={"request": {"amount": 1}},
                         headers={"RequestID": "key-1"})

    assert answer.status_code == 200
    assert waits == [1.0]
    assert [r.headers["RequestID"] for r in gateway.requests] == ["key-1", "key-1"]
    assert gateway.requests[0].content == gateway.requests[1].content


def test_without_retry_after_the_wait_doubles():
    gateway = Gateway(throttled=3, retry_after=None)
    client, waits = client_for(gateway)

    assert client.send("GET", "/async/status/1", repeatable=True).status_code == 200
    assert waits == [1.0, 2.0, 4.0]


def test_the_429_is_returned_once_the_budget_would_be_exceeded():
    gateway = Gateway(throttled=5, retry_after="4")
    client, waits = client_for(gateway, budget=10.0)

    answer = client.send("GET", "/async/status/1", repeatable=True)

    assert answer.status_code == 429
    assert waits == [4.0, 4.0]  # a third wait would pass the 10 s budget
    assert len(gateway.requests) == 3


def test_attempts_are_capped():
    gateway = Gateway(throttled=100, retry_after="0")
    client, waits = client_for(gateway)

    assert client.send("GET", "/async/status/1", repeatable=True).status_code == 429
    assert len(gateway.requests) == Throttle().max_attempts


@pytest.mark.parametrize(("value", "attempt", "seconds"), [
    ("5", 0, 5.0), ("0", 3, 0.0), (None, 0, 1.0), (None, 2, 4.0), ("soon", 1, 2.0), ("-3", 0, 1.0),
])
def test_retry_after_reads_delay_seconds_or_falls_back_to_doubling(value, attempt, seconds):
    assert retry_after(value, attempt=attempt) == seconds


def test_retry_after_reads_an_http_date():
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    value = format_datetime(now + timedelta(seconds=7), usegmt=True)
    assert retry_after(value, attempt=0, now=now.timestamp()) == 7.0
    assert retry_after(format_datetime(now - timedelta(seconds=7), usegmt=True), attempt=0,
                       now=now.timestamp()) == 0.0


@pytest.mark.parametrize(("method", "headers", "safe_read", "expected"), [
    ("GET", {}, True, True), ("GET", {}, False, False), ("POST", {"RequestID": "k"}, False, True),
    ("POST", {"requestid": "k"}, False, True), ("POST", {"RequestID": ""}, True, False),
    ("POST", {}, True, False), ("DELETE", {"RequestID": "k"}, True, False),
])
def test_what_is_safe_to_repeat(method, headers, safe_read, expected):
    assert repeatable(method, headers, safe_read=safe_read) is expected


def test_default_headers_go_with_every_request_and_a_view_can_change_them():
    gateway = Gateway(throttled=0)
    client, _ = client_for(gateway, headers={"X-API-Version": "3"})
    plain = client.with_headers({}, drop=("x-api-version",))
    tagged = client.with_headers({"RequestID": "k"})

    client.send("GET", "/async/status/1")
    plain.send("GET", "/async/status/1")
    tagged.send("GET", "/async/status/1", headers={"X-API-Version": "2"})

    first, second, third = gateway.requests
    assert first.headers["X-API-Version"] == "3"
    assert "X-API-Version" not in second.headers
    assert third.headers["X-API-Version"] == "2" and third.headers["RequestID"] == "k"
    assert client.headers == {"X-API-Version": "3"}  # the views left the client alone
    assert len(client.recording.exchanges) == 3  # one recording for the client and its views


def test_a_merchant_read_backs_off_through_the_same_throttle():
    # The merchant roles' own throttled reads (an Overpay result read, OPP status and checkout
    # reads) ask the client's Throttle too: its first wait, doubling, its budget, its pause.
    waits: list[float] = []
    throttle = Throttle(budget=100.0, pause=waits.append)
    assert throttle.back_off(None, attempt=0, waited=0.0, first=30.0) == 30.0
    assert throttle.back_off(None, attempt=1, waited=30.0, first=30.0) == 60.0
    assert throttle.back_off(None, attempt=2, waited=90.0, first=30.0) is None  # 120 s more: past the budget
    assert throttle.back_off("5", attempt=2, waited=90.0, first=30.0) == 5.0  # Retry-After wins
    assert waits == [30.0, 60.0, 5.0]
