"""One transaction's timeline: what each channel said about it, and when.

Built from what a test already records: every exchange the client makes carries a ``task``
label (an Overpay ``request_id``, an OPP checkout or payment id), so
:func:`from_recording` picks a transaction's reads out of the test's
:class:`~asyncpay.http.recording.Recording`; deliveries that reach the receiver (webhooks,
notifications) are added with :meth:`Timeline.delivery`.

>>> line = Timeline("4f1c")
>>> line.add("response_url", "GET /async/result/4f1c", 200, {"transaction": {"status": "successful"}}, at=1.0)
>>> line.add("webhook", "POST /hooks/overpay-webhook", None, {"transaction": {"status": "failed"}}, at=2.0)
>>> [o.channel for o in line.observations]
['response_url', 'webhook']
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from asyncpay.http.recording import Exchange, Recording
from asyncpay.waiting.receiver import ReceivedRequest


@dataclass(frozen=True)
class Observation:
    """One thing one channel said about the transaction.

    ``at`` is wall-clock time (``time.time()``) when it was seen; ``channel`` names the way it came
    (``"status_url"``, ``"webhook"``, ``"checkout status"`` …); ``source`` is the request line;
    ``http_status`` is the answer's code (None for a delivery we received); ``body`` is the parsed
    JSON (None when there was none).
    """

    at: float
    channel: str
    source: str
    http_status: int | None
    body: Any

    def summary(self) -> str:
        """``channel source -> HTTP code``, for a failure message or a report row."""
        code = "" if self.http_status is None else f" -> HTTP {self.http_status}"
        return f"{self.channel} {self.source}{code}"


@dataclass
class Timeline:
    """Every observation of one transaction (``key``: its request_id, checkout id, uid …)."""

    key: str
    observations: list[Observation] = field(default_factory=list)

    def add(self, channel: str, source: str, http_status: int | None, body: Any, *, at: float) -> None:
        """Add one observation; the list stays in time order (ties keep arrival order)."""
        bisect.insort(self.observations, Observation(at, channel, source, http_status, body),
                      key=lambda o: o.at)

    def delivery(self, channel: str, request: ReceivedRequest) -> None:
        """Add a webhook or notification the receiver got (its JSON body, or its query for a GET)."""
        body: Any
        try:
            body = json.loads(request.body) if request.body else dict(
                (name, values[0]) for name, values in request.query.items() if values)
        except ValueError:
            body = None
        self.add(channel, f"{request.method} {request.path}", None, body, at=request.arrived)

    def deliveries(self, channel: str, requests: Iterable[ReceivedRequest]) -> Timeline:
        """Add every request in ``requests`` as a delivery on ``channel``; returns self."""
        for request in requests:
            self.delivery(channel, request)
        return self

    def on(self, *channels: str) -> list[Observation]:
        """The observations that came on any of ``channels``, in time order."""
        return [o for o in self.observations if o.channel in channels]


def channel_of(label: str) -> str:
    """The channel an exchange label names: its first word(s) before the task's own label.

    >>> channel_of("status webhook"), channel_of("result webhook"), channel_of("uid query")
    ('status_url', 'response_url', 'uid query')
    """
    first = label.split(" ", 1)[0]
    return {"status": "status_url", "result": "response_url", "create": "task answer"}.get(first, label)


def from_recording(recording: Recording, key: str, *,
                   channel: Callable[[Exchange], str] | None = None) -> Timeline:
    """The timeline of ``key`` from every exchange ``recording`` holds with ``task == key``.

    ``channel(exchange)`` names each exchange's channel; by default it comes from the exchange's
    label (:func:`channel_of`).
    """
    timeline = Timeline(key)
    for exchange in recording.exchanges:
        if exchange.task != key:
            continue
        try:
            body = json.loads(exchange.response_body) if exchange.response_body else None
        except ValueError:
            body = None
        name = channel(exchange) if channel else channel_of(exchange.label)
        timeline.add(name, f"{exchange.method} {urlsplit(exchange.url).path}", exchange.status, body,
                     at=exchange.started)
    return timeline
