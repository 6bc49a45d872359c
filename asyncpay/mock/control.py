"""The mock's own routes under ``/_asyncpay``: health, the clock, the effective settings and
the delivery log.

They need no credentials: they are not part of either gateway and carry no secrets.
"""

from __future__ import annotations

import json
import math

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from asyncpay.mock.runtime import MockRuntime

PREFIX = "/_asyncpay"


def control_routes(runtime: MockRuntime) -> list[Route]:
    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True, "faults": runtime.faults.names})

    async def clock(request: Request) -> Response:
        return JSONResponse({"now": runtime.clock.now(), "mode": runtime.clock.mode})

    async def config(request: Request) -> Response:
        """What the mock runs with: clock mode and time, timing (seconds), faults, variants."""
        return JSONResponse({"mode": runtime.clock.mode, "now": runtime.clock.now(),
                             **runtime.config.effective()})

    async def advance(request: Request) -> Response:
        if not runtime.clock.virtual:
            return JSONResponse({"message": "the clock is real: it cannot be advanced"}, 409)
        try:
            seconds = json.loads(await request.body())["seconds"]
        except (ValueError, KeyError, TypeError):
            seconds = None
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) \
                or not math.isfinite(seconds) or seconds < 0:
            return JSONResponse({"message": 'expected {"seconds": a number >= 0}'}, 422)
        return JSONResponse({"now": await runtime.advance(float(seconds))})

    async def deliveries(request: Request) -> Response:
        """Every attempt to deliver a webhook or notification, oldest first."""
        return JSONResponse({"attempts": [a.as_json() for a in runtime.notifier.attempts]})

    return [
        Route(f"{PREFIX}/health", health, methods=["GET"]),
        Route(f"{PREFIX}/clock", clock, methods=["GET"]),
        Route(f"{PREFIX}/clock/advance", advance, methods=["POST"]),
        Route(f"{PREFIX}/config", config, methods=["GET"]),
        Route(f"{PREFIX}/deliveries", deliveries, methods=["GET"]),
    ]
