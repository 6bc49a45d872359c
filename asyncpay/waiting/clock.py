"""The target's clock, as the suites see it.

Against a real gateway time is wall time and waiting is real. Against an asyncpay mock with a
virtual clock (the embedded default), the suites *advance* its clock through the control route,
so a 24-hour retention passes in milliseconds. Suites never sleep; they ask the clock to pass
time, and the clock knows how.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

import httpx

from asyncpay.errors import HarnessError
from asyncpay.waiting import progress
from asyncpay.waiting.deadline import Deadline
from asyncpay.waiting.watchdog import cut_at

CONTROL_PATH = "/_asyncpay/clock"


class TargetClock(Protocol):
    virtual: bool

    def now(self) -> float: ...

    def advance(self, seconds: float) -> None: ...

    def can_wait(self, seconds: float) -> bool: ...


class RealClock:
    """Wall time. ``advance`` really waits, so callers bound it by the profile's ``max_wait``."""

    virtual = False

    def __init__(self, max_wait: float) -> None:
        self.max_wait = max_wait

    def now(self) -> float:
        return time.time()

    def advance(self, seconds: float) -> None:
        if seconds > 0:
            # The one place the harness waits in real time: the target lives in real time.
            with progress.waiting(f"{seconds:.0f} s of the gateway's time to pass", kind="expiry",
                                  deadline=time.monotonic() + seconds):
                progress.pause(seconds)

    def can_wait(self, seconds: float) -> bool:
        return seconds <= self.max_wait


class VirtualClock:
    """An asyncpay mock's virtual clock, moved through its control route (no credentials)."""

    virtual = True

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.timeout = timeout
        # A connection per call: the watchdog bounds each call by cutting the socket it opened.
        self._http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout,
                                  follow_redirects=False, trust_env=False,
                                  limits=httpx.Limits(max_keepalive_connections=0))
        try:
            answer = self._call("GET", CONTROL_PATH)
            answer.raise_for_status()
            data = answer.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise HarnessError(
                f"{base_url} has no asyncpay clock control route ({CONTROL_PATH}): {exc}; "
                "use clock = \"real\" in the profile's timing") from None
        if data.get("mode") != "virtual":
            raise HarnessError(f"{base_url} runs its clock in {data.get('mode')!r} mode; "
                               "use clock = \"real\" in the profile's timing")
        self._now = float(data["now"])

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        if seconds <= 0:
            return
        answer = self._call("POST", CONTROL_PATH + "/advance", json={"seconds": seconds})
        answer.raise_for_status()
        self._now = float(answer.json()["now"])

    def can_wait(self, seconds: float) -> bool:
        return True

    def _call(self, method: str, path: str, **options: Any) -> httpx.Response:
        """One control call, bounded as every exchange is (:mod:`asyncpay.waiting.watchdog`)."""
        with cut_at(Deadline(self.timeout)) as cut:
            return self._http.request(method, path, extensions={"trace": cut.trace}, **options)

    def close(self) -> None:
        self._http.close()
