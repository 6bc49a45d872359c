"""Calls from the mock to the merchant — Overpay webhooks, OPP notifications, encrypted
webhooks — each retried with growing delays on the mock's timeline until answered 2xx.

Attempts run as background tasks on the server's event loop; a virtual-clock advance awaits
the ones it started (``drain``) so a caller can then look at its receiver straight away.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import httpx

from asyncpay.mock.clock import Clock, Timeline

#: Growing delays before each retry: 1, 2, 4, ... clock seconds.
OVERPAY_WEBHOOK_RETRIES = tuple(2.0 ** n for n in range(14))  # 15 tries, like the card service
OPP_NOTIFICATION_RETRIES = tuple(2.0 ** n for n in range(9))  # 10 tries
REQUEST_TIMEOUT = 5.0


@dataclass(frozen=True)
class Delivery:
    """One message to deliver, however many attempts it takes."""

    label: str  # what it is, for the attempt log: "overpay webhook", "opp notification", ...
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    retry_delays: tuple[float, ...] = ()


@dataclass(frozen=True)
class Attempt:
    label: str
    method: str
    url: str
    number: int
    at: float  # clock time the attempt started
    status: int | None  # the receiver's HTTP status; None when there was no answer
    error: str | None

    def as_json(self) -> dict[str, Any]:
        return {"label": self.label, "method": self.method, "url": self.url, "number": self.number,
                "at": self.at, "status": self.status, "error": self.error}


class Notifier:
    def __init__(self, clock: Clock, timeline: Timeline, history: int = 1000) -> None:
        self.clock = clock
        self.timeline = timeline
        self.attempts: deque[Attempt] = deque(maxlen=history)
        self._in_flight: set[asyncio.Task[None]] = set()
        self._client: httpx.AsyncClient | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None

    def send(self, delivery: Delivery, number: int = 1) -> None:
        """Start attempt ``number`` now; must be called on the server's event loop."""
        task = asyncio.get_running_loop().create_task(
            self._attempt(delivery, number, self.clock.now()))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def drain(self, deadline: float) -> None:
        """Wait (until the ``time.monotonic()`` deadline at most) for the attempts under way."""
        remaining = deadline - time.monotonic()
        if self._in_flight and remaining > 0:
            await asyncio.wait(set(self._in_flight), timeout=remaining)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _attempt(self, delivery: Delivery, number: int, at: float) -> None:
        status: int | None = None
        error: str | None = None
        try:
            response = await self._http().request(delivery.method, delivery.url,
                                                  headers=delivery.headers, content=delivery.body)
            status = response.status_code
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            error = f"{type(exc).__name__}: {exc}"
        self.attempts.append(Attempt(delivery.label, delivery.method, delivery.url, number, at,
                                     status, error))
        delivered = status is not None and 200 <= status < 300
        if not delivered and number <= len(delivery.retry_delays):
            self.timeline.at(at + delivery.retry_delays[number - 1],
                             lambda: self.send(delivery, number + 1))

    def _http(self) -> httpx.AsyncClient:
        # One client per event loop: a client is bound to the loop it first ran on.
        loop = asyncio.get_running_loop()
        if self._client is None or self._client_loop is not loop:
            # No keep-alive: receivers come and go between tests, and a stale pooled connection
            # would turn into a spurious failed attempt.
            self._client = httpx.AsyncClient(timeout=REQUEST_TIMEOUT, follow_redirects=False,
                                             limits=httpx.Limits(max_keepalive_connections=0))
            self._client_loop = loop
        return self._client
