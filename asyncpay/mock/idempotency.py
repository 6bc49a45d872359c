"""Idempotent requests: the answer to each request carrying a ``RequestID`` header, kept 24 h.

Documented: a request with ``RequestID`` is idempotent for 24 hours. The mock answers a repeat
within that time (on its own clock) with the first answer, so no second task or transaction is
made; the ``request-id-ignored`` fault switch turns the memory off.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from asyncpay.mock.clock import Clock

HEADER = "RequestID"
WINDOW = 86400.0  # seconds


class RequestIds:
    """RequestID → (when first seen, the answer given), on the mock's clock."""

    def __init__(self, clock: Clock, window: float = WINDOW) -> None:
        self.clock = clock
        self.window = window
        self._seen: dict[str, tuple[float, dict[str, Any]]] = {}

    @staticmethod
    def key(request: Request) -> str | None:
        value = request.headers.get(HEADER, "").strip()
        return value or None

    def replay(self, key: str) -> dict[str, Any] | None:
        """The answer first given for ``key``, if it is still within the window."""
        seen = self._seen.get(key)
        if seen is None or self.clock.now() >= seen[0] + self.window:
            return None
        return seen[1]

    def remember(self, key: str, answer: dict[str, Any]) -> None:
        self._seen[key] = (self.clock.now(), answer)
