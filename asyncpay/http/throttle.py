"""Backing off on HTTP 429 Too Many Requests, politely and only where it is safe.

Overpay documents "on HTTP 429, back off and retry"; OPP throttles status reads (429,
``800.120.100``). A gateway that throttles breaks no rule, so the harness must stay correct
through it: it waits as long as ``Retry-After`` asks (RFC 9110 §10.2.3: delay-seconds or an
HTTP-date; without one, 1 s doubling), and sends again only a request that is safe to repeat:

* a read that hands out nothing once (a task's ``status_url``, a status query);
* a POST carrying a ``RequestID`` header (idempotent for 24 h).

Never a read that may deliver a one-time result (``response_url``), never a POST without a
``RequestID``: a 429 on those goes back to the caller as it is.

This module is the one home of the policy: the client's own re-sends and the merchant roles'
throttled reads (an Overpay result read, OPP status and checkout reads) all ask a
:class:`Throttle` how long to wait and wait through it, on the target's clock.

>>> retry_after("3", attempt=0), retry_after(None, attempt=2)
(3.0, 4.0)
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

TOO_MANY_REQUESTS = 429
#: The idempotency header (Overpay): a POST carrying it is safe to send again.
REQUEST_ID_HEADER = "requestid"
#: Without a usable Retry-After: 1 s, doubling.
FIRST_BACKOFF = 1.0


def retry_after(value: str | None, *, attempt: int, now: float | None = None,
                first: float = FIRST_BACKOFF) -> float:
    """Seconds to wait before attempt ``attempt + 1``: ``Retry-After`` if usable, else ``first``
    seconds doubling with each attempt.

    ``value`` is the header (delay-seconds or an HTTP-date); ``now`` the wall clock for a date.
    """
    if value is not None:
        text = value.strip()
        if text.isdigit():
            return float(text)
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            when = None
        if when is not None and when.tzinfo is not None:
            return max(0.0, when.timestamp() - (time.time() if now is None else now))
    return float(first * (2 ** attempt))


def repeatable(method: str, headers: Mapping[str, str] | None, *, safe_read: bool) -> bool:
    """Whether a request may be sent again after a 429: a safe read, or a POST with a RequestID."""
    if method.upper() == "GET":
        return safe_read
    if method.upper() == "POST":
        return any(name.lower() == REQUEST_ID_HEADER and value for name, value in (headers or {}).items())
    return False


@dataclass
class Throttle:
    """How the client backs off: at most ``budget`` seconds of waiting per request (the
    profile's ``max_wait``) over at most ``max_attempts`` sendings; ``pause`` waits on the
    target's clock (a virtual clock moves on instead of sleeping)."""

    budget: float = 120.0
    max_attempts: int = 6
    pause: Callable[[float], None] = field(default=time.sleep)

    def next_wait(self, value: str | None, *, attempt: int, waited: float,
                  first: float = FIRST_BACKOFF) -> float | None:
        """Seconds to wait before sending again, or None when the request should give up.

        ``value`` is the answer's ``Retry-After``; ``waited`` the seconds already waited for this
        request; ``first`` the wait without a usable ``Retry-After`` (doubling per attempt).
        """
        if attempt + 1 >= self.max_attempts:
            return None
        wait = retry_after(value, attempt=attempt, first=first)
        if not math.isfinite(wait) or waited + wait > self.budget:
            return None
        return wait

    def back_off(self, value: str | None, *, attempt: int, waited: float,
                 first: float = FIRST_BACKOFF) -> float | None:
        """Wait (``pause``) as :meth:`next_wait` says and return the seconds waited, or None
        without waiting when the request should give up."""
        wait = self.next_wait(value, attempt=attempt, waited=waited, first=first)
        if wait is not None:
            self.pause(wait)
        return wait
