"""The mock gateway's ASGI app: both gateways' routes and the control routes on one server.

>>> import httpx
>>> from asyncpay.wire.server import BackgroundServer
>>> with BackgroundServer(create_app(MockConfig())) as server:
...     httpx.get(server.url + "/_asyncpay/health").json()
{'ok': True, 'faults': []}
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from asyncpay.mock.config import MockConfig
from asyncpay.mock.control import control_routes
from asyncpay.mock.opp import OppApi
from asyncpay.mock.opp_checkouts import CheckoutApi
from asyncpay.mock.overpay import OverpayApi
from asyncpay.mock.runtime import MockRuntime


def create_app(config: MockConfig) -> Starlette:
    """A new mock gateway with its own state; the runtime is at ``app.state.mock``."""
    config.validate()
    runtime = MockRuntime(config)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Only a tidy shutdown: everything else starts lazily, since BackgroundServer serves
        # with lifespan off.
        yield
        await runtime.shutdown()

    opp = OppApi(runtime)
    app = Starlette(
        routes=[*control_routes(runtime), *OverpayApi(runtime).routes(), *opp.routes(),
                *CheckoutApi(opp).routes()],
        middleware=[Middleware(_CatchUpWithTime, runtime=runtime), Middleware(_MislabelJson, runtime=runtime)],
        lifespan=lifespan,
    )
    app.state.mock = runtime
    return app


class _CatchUpWithTime:
    """Runs whatever fell due before each request is served, so every answer reflects the
    clock exactly (in real mode the ticker alone would lag by up to a tick)."""

    def __init__(self, app: ASGIApp, runtime: MockRuntime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.runtime.on_request()
        await self.app(scope, receive, send)


class _MislabelJson:
    """The ``json-labelled-html`` fault: API answers keep their JSON body but say text/html."""

    def __init__(self, app: ASGIApp, runtime: MockRuntime) -> None:
        self.app = app
        self.on = runtime.faults.on("json-labelled-html")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.on or scope["type"] != "http" or scope["path"].startswith("/_asyncpay"):
            await self.app(scope, receive, send)
            return

        async def mislabel(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [(k, b"text/html; charset=utf-8" if k.lower() == b"content-type" else v)
                                      for k, v in message.get("headers", [])]
            await send(message)

        await self.app(scope, receive, mislabel)
