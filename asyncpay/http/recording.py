"""What a run saw: every HTTP exchange and every lifecycle event, credentials already redacted.

The plugin gives each test its own ``Recording``; clients and suites append to it; at the end
of a test it becomes part of the run's evidence (see ``report.py``).
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from hypothesis import currently_in_test_context

#: Label prefix of the exchanges a shop made with the platform asyncpay plays (asyncpay.platform):
#: no gateway answered them, so the transport rules do not apply to them.
SHOP_SIDE = "shop → "


@dataclass
class Exchange:
    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str
    status: int | None
    response_headers: dict[str, str]
    response_body: str
    started: float  # wall clock, time.time()
    elapsed: float  # seconds
    error: str | None = None
    label: str = ""
    task: str | None = None
    # Sent while Hypothesis was drawing examples: what it shows depends on the random draw.
    drawn: bool = False

    def to_dict(self) -> dict[str, Any]:
        # Field by field, not dataclasses.asdict: that deep-copies every string of every exchange,
        # and a run reports thousands (a fifth of a real-time run's CPU).
        data = dict(self.__dict__)
        data["request_headers"] = dict(self.request_headers)
        data["response_headers"] = dict(self.response_headers)
        return data


@dataclass
class Event:
    """One point on a task's timeline: created, processing, completed, result, expired, notified…"""

    at: float  # wall clock
    target_time: float | None  # the target's clock (virtual on the mock)
    task: str
    kind: str
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)  # every field a scalar


@dataclass
class Recording:
    exchanges: list[Exchange] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    shapes: dict[str, int] = field(default_factory=dict)  # contract name → times validated

    def exchange(self, exchange: Exchange) -> None:
        if currently_in_test_context():
            exchange.drawn = True
        self.exchanges.append(exchange)

    def event(self, task: str, kind: str, detail: str = "", target_time: float | None = None) -> None:
        self.events.append(Event(time.time(), target_time, task, kind, detail))

    def shape(self, contract: str) -> None:
        self.shapes[contract] = self.shapes.get(contract, 0) + 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "exchanges": [e.to_dict() for e in self.exchanges],
            "events": [e.to_dict() for e in self.events],
            "shapes": dict(self.shapes),
        }


_CURRENT: ContextVar[Recording | None] = ContextVar("asyncpay_recording", default=None)


def activate(recording: Recording | None) -> None:
    """Make ``recording`` the one validated shapes are noted in (the plugin does it per test)."""
    _CURRENT.set(recording)


def current() -> Recording | None:
    return _CURRENT.get()
