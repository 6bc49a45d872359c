"""Waiting for a task: past the processing bound, only the gateway's own "processing" fails
overpay.completes; reads it did not serve (HTTP 429) leave the rule not verified."""

from __future__ import annotations

import dataclasses
import json

import httpx
import pytest

from asyncpay.config.profile import Timing, embedded_profile
from asyncpay.errors import ContractViolation, NotVerified
from asyncpay.gateways.overpay.lifecycle import Outcome, Task
from asyncpay.gateways.overpay.merchant import OverpayMerchant, make_client
from asyncpay.http.redaction import Redactor

BASE = "https://gateway.overpay.test"


class Clock:
    """A virtual clock of the test's own: waiting costs no real time."""

    virtual = True

    def __init__(self) -> None:
        self.t = 1000.0

    def now(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += max(seconds, 0.0)

    def can_wait(self, seconds: float) -> bool:
        return True


def _gateway(answer, **timing: float) -> tuple[OverpayMerchant, Task]:
    target = embedded_profile().overpay
    target.base_url = BASE
    target.timing = dataclasses.replace(Timing(), **{"processing_timeout": 5.0, "poll_interval": 1.0, **timing},
                                        clock="virtual")
    clock = Clock()
    client = make_client(target, Redactor([]), transport=httpx.MockTransport(answer), pause=clock.advance)
    gateway = OverpayMerchant(target, client, clock, "run")
    task = Task("r-1", f"{BASE}/async/status/r-1", f"{BASE}/async/result/r-1", "payments", {},
                Outcome.SUCCESSFUL, clock.now(), clock.now())
    return gateway, task


class Body(httpx.SyncByteStream):
    """An answer body as a gateway streams it (the client reads every answer raw)."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __iter__(self):
        yield self.data


def _processing() -> httpx.Response:
    body = {"status": "processing", "request_id": "r-1", "status_url": f"{BASE}/async/status/r-1",
            "response_url": f"{BASE}/async/result/r-1"}
    return httpx.Response(200, headers={"Content-Type": "application/json"}, stream=Body(json.dumps(body).encode()))


def _processing_then_throttled():
    """A gateway that says processing once, then answers every read with HTTP 429."""
    reads = []

    def answer(request: httpx.Request) -> httpx.Response:
        reads.append(request.url.path)
        if len(reads) == 1:
            return _processing()
        return httpx.Response(429, headers={"Retry-After": "1"}, stream=Body(b""))

    return answer


def test_a_bound_used_up_by_throttling_is_not_verified() -> None:
    answer = _processing_then_throttled()
    gateway, task = _gateway(answer)
    with pytest.raises(NotVerified) as unjudged:
        gateway.wait_completed(task)

    assert unjudged.value.rule == "overpay.completes"
    assert "throttled" in unjudged.value.reason


def test_processing_past_the_bound_fails_completes() -> None:
    gateway, task = _gateway(lambda request: _processing())

    with pytest.raises(ContractViolation) as failed:
        gateway.wait_completed(task)

    assert failed.value.rule == "overpay.completes"


def test_processing_to_the_end_of_the_retention_fails_completes() -> None:
    # The profile allows a minute of processing, but results are kept 10 s from creation: a task
    # still processing at the end of that (less twice the slack) has no result to keep.
    read_at: list[float] = []

    def answer(request: httpx.Request) -> httpx.Response:
        read_at.append(gateway.clock.now() - task.sent_at)
        return _processing()

    gateway, task = _gateway(answer, processing_timeout=60.0, retention=10.0)
    with pytest.raises(ContractViolation) as failed:
        gateway.wait_completed(task)

    assert failed.value.rule == "overpay.completes"
    assert "should already have been kept" in str(failed.value)
    assert 10.0 - 2 * gateway.slack <= read_at[-1] < 10.0  # the last read: at the cap, before the result's end


def test_a_retention_window_closed_by_throttling_is_not_verified() -> None:
    answer = _processing_then_throttled()
    gateway, task = _gateway(answer, processing_timeout=60.0, retention=10.0)
    with pytest.raises(NotVerified) as unjudged:
        gateway.wait_completed(task)

    assert unjudged.value.rule == "overpay.completes"
    assert "throttled" in unjudged.value.reason and "9 s bound" in unjudged.value.reason
