"""The canary: a server on another loopback port that stands for "another host". The platform
names it in crafted ``resourcePath`` values and off-origin task URLs; every request it gets is
recorded, and any that carries one of the shop's credentials is a leak.

>>> with Canary() as canary:
...     canary.origin.startswith("http://127.0.0.1:")
True
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from asyncpay.wire.server import BackgroundServer


@dataclass(frozen=True)
class Landed:
    """One request that reached the canary: method, the full URL, headers (lower-case names), body."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Canary:
    landed: list[Landed] = field(default_factory=list)
    #: Told of each request as it lands.
    on_landed: Callable[[Landed], None] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: BackgroundServer | None = None

    @property
    def port(self) -> int:
        assert self._server is not None and self._server.port is not None
        return self._server.port

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def since(self, mark: int) -> list[Landed]:
        with self._lock:
            return list(self.landed[mark:])

    def __len__(self) -> int:
        with self._lock:
            return len(self.landed)

    def start(self) -> Canary:
        async def record(request: Request) -> Response:
            landed = Landed(request.method, str(request.url),
                            {k.lower(): v for k, v in request.headers.items()}, await request.body())
            with self._lock:
                self.landed.append(landed)
            if self.on_landed is not None:
                self.on_landed(landed)
            # Reads as "not done yet" to both gateways' clients, so a shop that got this far goes
            # on as it would rather than fail on an odd answer.
            return JSONResponse({"result": {"code": "000.200.000", "description": "transaction pending"},
                                 "status": "processing"})

        app = Starlette(routes=[Route("/{path:path}", record,
                                      methods=["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"])])
        self._server = BackgroundServer(app).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> Canary:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
