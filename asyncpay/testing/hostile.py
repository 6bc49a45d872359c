"""A hostile gateway: the mock gateway with one attack on the merchant's client switched on.

The suites are run against gateways nobody here wrote, and some of those attack the client:
they never answer, drip, reset connections, flood, send compression bombs, redirect, or hand
out status URLs and resource paths on another host to collect the merchant's credentials.
``HostileGateway(mode)`` serves the embedded mock (``asyncpay.mock``) on loopback and applies
``mode`` to the routes it names; every other request reaches the mock untouched, so the rest
of a scenario behaves as documented.

Routes (``ROUTES``)::

    overpay-create   POST /async/transactions/{kind}
    overpay-status   GET  /async/status/{request_id}
    overpay-result   GET  /async/result/{request_id}
    opp-pay          POST /v1/payments
    opp-status       GET  /v1/payments/{id}

Modes (``MODES``; default routes in brackets)::

    hang, drip, flood, gzip-bomb,        transport attacks [all routes]: never answer; drip the
    garbage, deep-json                   body; stream forever; inflate to 256 MiB; HTML as JSON;
                                         JSON nested 100,000 deep
    wrong-content-type, bad-encoding     the mock's answer with a lying Content-Type or
                                         Content-Encoding [all routes]
    redirect                             302 to the evil origin [status and result reads]
    leak-urls                            status_url and response_url on the evil origin
                                         [overpay-create]
    leak-resource-path                   notifications whose resourcePath leads to the evil
                                         origin, //host:port/... and http://... [opp-pay]
    notification-flood                   each notification 500 times at once [opp-pay]
    reset, slow-headers                  TCP reset mid-answer; headers dripped forever [every
                                         request: a raw TCP server serves these two]

Usage::

    with Receiver() as evil, HostileGateway("leak-urls", evil_url=evil.url) as gateway:
        ...  # run the suites with a profile whose base_url is gateway.url
        assert evil.requests() == [] and gateway.hits["overpay-create"] > 0
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import re
import socket
import socketserver
import struct
import threading
import time
import zlib
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import Message, Receive, Scope, Send

from asyncpay.mock import MockConfig, create_app
from asyncpay.wire.server import BackgroundServer

HANG = 3600.0  # seconds a hanging request waits: longer than any run
DRIP_INTERVAL = 0.5  # seconds between dripped bytes: shorter than any read timeout
FLOOD_LIMIT = 1 << 30  # a flood goes on until the client leaves, or this many bytes
BOMB_BYTES = 256 << 20  # inflated size of the gzip bomb (about 1.1 MiB compressed)
NESTING = 100_000  # depth of the deep-json answer
NOTIFICATION_FLOOD = 500
_CHUNK = 64 << 10
_HEAD_LIMIT = 64 << 10
_NOTIFY_CONCURRENCY = 25
_STOP_CHECK = 0.05  # seconds: how soon a hanging request notices the gateway stopping
_DRAIN = 10.0  # seconds stop() waits for notifications under way to be sent

ROUTES: dict[str, tuple[str, re.Pattern[str]]] = {
    "overpay-create": ("POST", re.compile(r"/async/transactions/[^/]+")),
    "overpay-status": ("GET", re.compile(r"/async/status/[^/]+")),
    "overpay-result": ("GET", re.compile(r"/async/result/[^/]+")),
    "opp-pay": ("POST", re.compile(r"/v1/payments")),
    "opp-status": ("GET", re.compile(r"/v1/payments/[^/]+")),
}
_ALL = tuple(ROUTES)
_READS = ("overpay-status", "overpay-result", "opp-status")


class HostileGatewayError(RuntimeError):
    """The hostile gateway was misused: an unknown mode or route, or a missing evil_url."""


@dataclass(frozen=True)
class Mode:
    name: str
    routes: tuple[str, ...]  # where it applies unless the caller names other routes
    description: str
    needs_evil: bool = False  # it points the client at the evil origin
    raw: bool = False  # served by a raw TCP server, for every request

    def __str__(self) -> str:
        return f"{self.name:<20} {self.description}"


MODES: dict[str, Mode] = {mode.name: mode for mode in (
    Mode("hang", _ALL, "never answers (the request waits an hour)"),
    Mode("drip", _ALL, f"sends the headers, then one byte of body every {DRIP_INTERVAL:g} s, forever"),
    Mode("flood", _ALL, "answers an endless chunked body, as fast as the client reads"),
    Mode("gzip-bomb", _ALL, f"answers ~1 MiB of gzip that inflates to {BOMB_BYTES >> 20} MiB"),
    Mode("garbage", _ALL, "answers HTTP 200 with an HTML page labelled application/json"),
    Mode("wrong-content-type", _ALL, "answers the mock's JSON labelled text/html"),
    Mode("bad-encoding", _ALL, "answers the mock's JSON labelled Content-Encoding: gzip, uncompressed"),
    Mode("deep-json", _ALL, f"answers HTTP 200 with {NESTING:,} nested JSON arrays"),
    Mode("redirect", _READS, "answers status and result reads with 302 to the evil origin", needs_evil=True),
    Mode("leak-urls", ("overpay-create",),
         "the task answer's status_url and response_url are on the evil origin", needs_evil=True),
    Mode("leak-resource-path", ("opp-pay",),
         "notifications carry a resourcePath on the evil origin: //host:port/... and "
         "http://host:port/..., alternately", needs_evil=True),
    Mode("notification-flood", ("opp-pay",),
         f"each payment's notification comes {NOTIFICATION_FLOOD} times at once (correct id and "
         "resourcePath)"),
    Mode("reset", (), "every connection is reset (TCP RST) part-way through the answer", raw=True),
    Mode("slow-headers", (), f"sends the status line, then one header byte every {DRIP_INTERVAL:g} s, "
         "forever", raw=True),
)}


def default_mock() -> MockConfig:
    """The mock behind a hostile gateway: real time, short delays, so a scenario takes seconds."""
    return MockConfig(clock="real", processing_delay=0.2, pending_delay=0.5, retention=4.0)


@functools.cache
def gzip_bomb() -> bytes:
    compressor = zlib.compressobj(1, zlib.DEFLATED, zlib.MAX_WBITS | 16)  # level 1: 0.4 s to build
    zeros = bytes(1 << 20)
    parts = [compressor.compress(zeros) for _ in range(BOMB_BYTES >> 20)]
    return b"".join(parts) + compressor.flush()


@dataclass
class _Captured:
    status: int = 0
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


class HostileApp:
    """The ASGI app: the mock, with ``mode`` applied to ``routes``."""

    def __init__(self, mode: Mode, routes: tuple[str, ...], evil_url: str | None,
                 mock: MockConfig, stopping: threading.Event) -> None:
        self.mode = mode
        self.stopping = stopping
        self.routes = routes
        self.evil_url = evil_url.rstrip("/") if evil_url else None
        self.mock = create_app(mock)
        self.notify_after = mock.pending_delay + 0.2  # once the mock has made the payment final
        self.hits: Counter[str] = Counter()
        self.notifications: list[str] = []  # resourcePaths this gateway sent itself
        self._lock = threading.Lock()
        self._sending = 0  # notification rounds under way
        self._idle = threading.Condition(self._lock)
        self._tasks: set[asyncio.Task[None]] = set()
        self._variants = itertools.count()
        handlers: dict[str, Callable[[str, Scope, Receive, Send], Awaitable[None]]] = {
            "hang": self._hang, "drip": self._drip, "flood": self._flood,
            "gzip-bomb": self._gzip_bomb, "garbage": self._garbage, "deep-json": self._deep_json,
            "wrong-content-type": self._relabel, "bad-encoding": self._relabel,
            "redirect": self._redirect, "leak-urls": self._leak_urls,
            "leak-resource-path": self._notify_ourselves,
            "notification-flood": self._notify_ourselves,
        }
        self._handler = handlers.get(mode.name, self._pass)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self._route(scope) if scope["type"] == "http" else None
        if route is None:
            await self.mock(scope, receive, send)
            return
        with self._lock:
            self.hits[route] += 1
        await self._handler(route, scope, receive, send)

    def _route(self, scope: Scope) -> str | None:
        for name in self.routes:
            method, path = ROUTES[name]
            if scope["method"] == method and path.fullmatch(scope["path"]):
                return name
        return None

    async def _pass(self, route: str, scope: Scope, receive: Receive, send: Send) -> None:
        await self.mock(scope, receive, send)

    # --- transport attacks ----------------------------------------------------------------

    async def _hang(self, route: str, scope: Scope, receive: Receive, send: Send) -> None:
        deadline = time.monotonic() + HANG
        while time.monotonic() < deadline and not self.stopping.is_set():
            await asyncio.sleep(_STOP_CHECK)
        await Response("shutting down", 503)(scope, receive, send)

    async def _drip(self, route: str, scope: Scope, receive: Receive, send: Send) -> None:
        await self._stream(receive, send, itertools.repeat(b" "), DRIP_INTERVAL)

    async def _flood(self, route: str, scope: Scope, receive: Receive, send: Send) -> None:
        # JSON whitespace: a parser reading it all would still be waiting for the value.
        chunks = itertools.chain(itertools.repeat(b" " * _CHUNK, FLOOD_LIMIT // _CHUNK), [b"{}"])
        await self._stream(receive, send, chunks, 0.0)

    async def _gzip_bomb(self, route: str, scope: Scope, receive: Receive, send: Send) -> None:
        response = Response(gzip_bomb(), media_type="application/json",
                            headers={"Content-Encoding": "gzip"})
        await response(scope, receive, send)

    async def _garbage(self, route: str, scope: Scope, receive: Receive, send: Send) -> None:
        page = b"<!doctype html><title>Gateway</title><p>Service temporarily unavailable"
        await Response(page, media_type="application/json")(scope, receive, send)

    async def _deep_json(self, route: str, scope: Scope, receive: Receive, send: Send) -> None:
        body = b"[" * NESTING + b"]" * NESTING
        await Response(body, media_type="application/json")(scope, receive, send)

    async def _relabel(self, route: str, scope: Scope, receive: Receive, send: Send) -> None:
        """The mock's own answer with a lying header: Content-Type or Content-Encoding."""
        answer = await self._forward(scope, await Request(scope, receive).body())
        if self.mode.name == "wrong-content-type":
            headers = [(k, v) for k, v in answer.headers if k.lower() != b"content-type"]
            headers.append((b"content-type", b"text/html; charset=utf-8"))
        else:
            headers = [*answer.headers, (b"content-encoding", b"gzip")]
        await _reply(send, answer.status, headers, answer.body)

    # --- attacks on the credentials -------------------------------------------------------

    async def _redirect(self, route: str, scope: Scope, receive: Receive, send: Send) -> None:
        query = scope.get("query_string", b"").decode("latin-1")
        target = f"{self._evil()}{scope['path']}" + (f"?{query}" if query else "")
        await RedirectResponse(target, status_code=302)(scope, receive, send)

    async def _leak_urls(self, route: str, scope: Scope, receive: Receive, send: Send) -> None:
        answer = await self._forward(scope, await Request(scope, receive).body())
        body = answer.json()
        if isinstance(body, dict):
            for key in ("status_url", "response_url"):
                if isinstance(body.get(key), str):
                    body[key] = self._evil() + urlsplit(body[key]).path
            answer.body = json.dumps(body).encode()
        await _reply(send, answer.status, answer.headers, answer.body)

    async def _notify_ourselves(self, route: str, scope: Scope, receive: Receive, send: Send) -> None:
        """Pay through the mock without its notification; this gateway sends its own."""
        form = dict(parse_qsl((await Request(scope, receive).body()).decode("utf-8", "replace"),
                              keep_blank_values=True))
        # Both go, or the mock would still notify shopperResultUrl itself.
        notification_url, shopper_result_url = form.pop("notificationUrl", None), form.pop("shopperResultUrl", None)
        hook = notification_url or shopper_result_url
        answer = await self._forward(scope, urlencode(form).encode())
        body = answer.json()
        if hook and answer.status == 200 and isinstance(body, dict) and isinstance(body.get("id"), str):
            with self._lock:
                self._sending += 1
            task = asyncio.get_running_loop().create_task(self._notify(hook, body["id"]))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        await _reply(send, answer.status, answer.headers, answer.body)

    async def _notify(self, hook: str, payment_id: str) -> None:
        try:
            await self._send_notifications(hook, payment_id)
        finally:
            with self._idle:
                self._sending -= 1
                self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no notification round is under way; False if one still is."""
        with self._idle:
            return self._idle.wait_for(lambda: self._sending == 0, timeout)

    async def _send_notifications(self, hook: str, payment_id: str) -> None:
        await asyncio.sleep(self.notify_after)
        if self.mode.name == "leak-resource-path":
            evil = self._evil()
            leaked = (f"//{urlsplit(evil).netloc}/v1/payments/{payment_id}",
                      f"{evil}/v1/payments/{payment_id}")
            paths = [leaked[next(self._variants) % 2]]
        else:
            paths = [f"/v1/payments/{payment_id}"] * NOTIFICATION_FLOOD
        limit = asyncio.Semaphore(_NOTIFY_CONCURRENCY)
        async with httpx.AsyncClient(timeout=5.0, trust_env=False, follow_redirects=False) as client:
            async def one(path: str) -> None:
                url = httpx.URL(hook).copy_merge_params({"id": payment_id, "resourcePath": path})
                async with limit:
                    try:
                        await client.get(url)
                    except httpx.HTTPError:
                        pass  # a flood is allowed to overrun the receiver
                with self._lock:
                    self.notifications.append(path)

            await asyncio.gather(*(one(path) for path in paths))

    # --- helpers ---------------------------------------------------------------------------

    def _evil(self) -> str:
        if self.evil_url is None:
            raise HostileGatewayError(f"hostile mode {self.mode.name!r} needs evil_url")
        return self.evil_url

    async def _stream(self, receive: Receive, send: Send, chunks: Iterable[bytes],
                      interval: float) -> None:
        """Send ``chunks`` as a chunked JSON body, ``interval`` s apart, until the client leaves."""
        gone = asyncio.Event()

        async def watch() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            gone.set()

        watcher = asyncio.get_running_loop().create_task(watch())
        try:
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"application/json")]})
            for chunk in chunks:
                if gone.is_set() or self.stopping.is_set():
                    return
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
                # Even with no interval, yield to the loop so it notices a closed connection.
                await asyncio.sleep(interval)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            watcher.cancel()

    async def _forward(self, scope: Scope, body: bytes) -> _Captured:
        """Ask the mock, with ``body`` as the request body; its answer, whole."""
        headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        delivered = False
        captured = _Captured()

        async def receive() -> Message:
            nonlocal delivered
            if delivered:
                return {"type": "http.disconnect"}
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured.status = message["status"]
                captured.headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                captured.body += message.get("body", b"")

        await self.mock(dict(scope, headers=headers), receive, send)
        return captured


async def _reply(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class _RawServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], gateway: HostileGateway) -> None:
        self.gateway = gateway
        super().__init__(address, _RawHandler)


class _RawHandler(socketserver.BaseRequestHandler):
    server: _RawServer

    def handle(self) -> None:
        sock: socket.socket = self.request
        gateway = self.server.gateway
        sock.settimeout(5.0)
        try:
            head = b""
            while b"\r\n\r\n" not in head and len(head) < _HEAD_LIMIT:
                chunk = sock.recv(4096)
                if not chunk:
                    return
                head += chunk
            gateway._hit("any")
            if gateway.mode.name == "reset":
                sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Content-Length: 4096\r\n\r\n{\"status\": \"proc")
                # Linger 0: close() sends RST, not FIN: the connection is reset, not ended.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                sock.close()
                return
            sock.sendall(b"HTTP/1.1 200 OK\r\nX-Drip: ")
            while not gateway._stopping.wait(DRIP_INTERVAL):
                sock.sendall(b"a")
        except OSError:
            pass  # the client gave up: that is the point


class HostileGateway:
    """A hostile gateway on an ephemeral loopback port; see the module docstring.

    ``hits`` counts the requests the attack was applied to, by route (``"any"`` for the raw
    modes); ``notifications`` lists the resourcePaths of the notifications it sent itself.

    >>> with HostileGateway("redirect", evil_url="http://127.0.0.1:9") as gateway:
    ...     httpx.get(gateway.url + "/async/status/1").status_code
    302
    """

    def __init__(self, mode: str, *, evil_url: str | None = None, routes: Iterable[str] | None = None,
                 mock: MockConfig | None = None, host: str = "127.0.0.1") -> None:
        if mode not in MODES:
            raise HostileGatewayError(f"unknown hostile mode {mode!r}; known: {', '.join(MODES)}")
        self.mode = MODES[mode]
        chosen = tuple(routes) if routes is not None else self.mode.routes
        unknown = [name for name in chosen if name not in ROUTES]
        if unknown:
            raise HostileGatewayError(f"unknown route(s) {', '.join(unknown)}; known: {', '.join(ROUTES)}")
        if self.mode.needs_evil and not evil_url:
            raise HostileGatewayError(f"hostile mode {mode!r} needs evil_url (where it points the client)")
        self.host = host
        self.mock_config = mock if mock is not None else default_mock()
        self._stopping = threading.Event()
        self.app = HostileApp(self.mode, chosen, evil_url, self.mock_config, self._stopping)
        self._raw_hits: Counter[str] = Counter()
        self._server: BackgroundServer | None = None
        self._raw: _RawServer | None = None
        self._raw_thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is not None:
            return self._server.url
        if self._raw is not None:
            return f"http://{self.host}:{self._raw.server_address[1]}"
        raise HostileGatewayError("the hostile gateway is not started")

    @property
    def hits(self) -> Counter[str]:
        with self.app._lock:
            return Counter(self.app.hits) + Counter(self._raw_hits)

    @property
    def notifications(self) -> list[str]:
        with self.app._lock:
            return list(self.app.notifications)

    def start(self) -> HostileGateway:
        self._stopping.clear()
        if self.mode.raw:
            self._raw = _RawServer((self.host, 0), self)
            self._raw_thread = threading.Thread(target=self._raw.serve_forever, daemon=True,
                                                name=f"asyncpay-hostile-{self.mode.name}")
            self._raw_thread.start()
        else:
            self._server = BackgroundServer(self.app, host=self.host).start()
        return self

    def stop(self) -> None:
        # Let notifications under way go out: cut off mid-connect they would leave the
        # server's loop with half-made connections.
        self.app.wait_idle(_DRAIN)
        self._stopping.set()
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._raw is not None:
            self._raw.shutdown()
            self._raw.server_close()
            self._raw = None
        if self._raw_thread is not None:
            self._raw_thread.join(timeout=5)
            self._raw_thread = None

    def _hit(self, route: str) -> None:
        with self.app._lock:
            self._raw_hits[route] += 1

    def __enter__(self) -> HostileGateway:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
