"""The notification receiver: the merchant's endpoint, a real HTTP server on loopback.

One receiver per pytest worker records every request that reaches it — OPP notifications
(``GET ?id=&resourcePath=``), OPP encrypted webhooks and Overpay webhooks (``POST``) — and
answers ``200 OK`` unless a suite asked for another status on a path (to make the gateway
retry). Suites give each payment its own :meth:`Receiver.endpoint` URL and match by path.

It is built for hostile senders: bodies are capped (413, recorded as truncated), the number of
stored requests is capped (oldest dropped and counted), and garbage never stops the server.

>>> import httpx
>>> with Receiver() as receiver:
...     url = receiver.endpoint("opp-payment")      # give this to the gateway
...     # here the gateway notifies; in this example, httpx stands in for it
...     _ = httpx.get(url, params={"id": "8ac7a4a1", "resourcePath": "/v1/payments/8ac7a4a1"})
...     hit = receiver.wait_for(lambda r: r.path == urlsplit(url).path, timeout=60,
...                             describe=f"the notification for {url}")
...     hit.param("resourcePath")
'/v1/payments/8ac7a4a1'
"""

from __future__ import annotations

import http
import itertools
import json
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from asyncpay.errors import HarnessError
from asyncpay.wire.server import BackgroundServer

# After the cap the rest of an oversized body is still read (and thrown away), so the sender
# gets its 413 instead of a connection reset mid-upload; beyond this much we stop reading.
_DRAIN_LIMIT = 16 << 20
_SHOWN_ON_TIMEOUT = 10
_NO_BODY_STATUSES = (204, 304)
_WILDCARD_HOSTS = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}


@dataclass(frozen=True)
class ReceivedRequest:
    """One request as it reached the receiver.

    >>> hit = ReceivedRequest(method="GET", path="/hooks/opp/5f0c", query={"id": ["8ac7a4a1"]},
    ...                       raw_query="id=8ac7a4a1", headers={}, body=b"", arrived=0.0)
    >>> hit.method, hit.path, hit.param("id")
    ('GET', '/hooks/opp/5f0c', '8ac7a4a1')
    """

    method: str
    path: str
    query: dict[str, list[str]]
    raw_query: str
    headers: dict[str, str]  # lower-cased names; repeated headers joined with ", "
    body: bytes
    arrived: float  # time.time()
    truncated: bool = False

    def param(self, name: str) -> str | None:
        """The first value of a query parameter, or None.

        >>> hit = ReceivedRequest(method="GET", path="/hooks/opp/5f0c",
        ...                       query={"resourcePath": ["/v1/payments/8ac7a4a1"]},
        ...                       raw_query="resourcePath=%2Fv1%2Fpayments%2F8ac7a4a1", headers={},
        ...                       body=b"", arrived=0.0)
        >>> hit.param("resourcePath"), hit.param("id")
        ('/v1/payments/8ac7a4a1', None)
        """
        values = self.query.get(name)
        return values[0] if values else None

    def json(self) -> Any:
        """The body parsed as JSON; ValueError if it is not JSON.

        >>> hit = ReceivedRequest(method="POST", path="/hooks/overpay/5f0c", query={}, raw_query="",
        ...                       headers={"content-type": "application/json"},
        ...                       body=b'{"transaction": {"status": "successful"}}', arrived=0.0)
        >>> hit.json()["transaction"]["status"]
        'successful'
        """
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise ValueError(f"the body of {self.method} {self.path} ({len(self.body)} bytes"
                             f"{', truncated' if self.truncated else ''}) is not JSON: {exc}") from None


class ReceiverTimeout(TimeoutError):
    """What a suite waited for never reached the receiver; the message lists what did.

    >>> with Receiver() as receiver:
    ...     receiver.wait_for(lambda r: False, timeout=0.1)
    Traceback (most recent call last):
    ...
    asyncpay.waiting.receiver.ReceiverTimeout: timed out after 0.1 s waiting for a matching request at http://127.0.0.1:....
    No request arrived at all.
    Next step: ...
    """

    def __init__(self, describe: str, timeout: float, url: str,
                 received: list[ReceivedRequest], dropped: int) -> None:
        self.describe = describe
        self.timeout = timeout
        self.received = received
        lines = [f"timed out after {timeout:g} s waiting for {describe} at {url}."]
        if not received:
            lines.append("No request arrived at all.")
        else:
            shown = received[-_SHOWN_ON_TIMEOUT:]
            lines.append(f"{len(received)} request(s) did arrive; the last {len(shown)}:")
            lines.extend(f"  {_summary(request)}" for request in shown)
        if dropped:
            lines.append(f"({dropped} older request(s) were dropped at the storage cap.)")
        lines.append(f"Next step: check that the gateway can reach {url} (against a sandbox, "
                     "set [receiver] public_url) and that it was given a receiver.endpoint() URL.")
        super().__init__("\n".join(lines))


def _summary(request: ReceivedRequest) -> str:
    line = f"{request.method} {request.path}"
    if request.raw_query:
        line += f"?{request.raw_query}"
    if request.body or request.truncated:
        line += f" ({len(request.body)} bytes{', truncated' if request.truncated else ''})"
    return line


def _local_paths(url_or_path: str, public_url: str | None) -> set[str]:
    """The paths a request for this URL can have at the receiver (a proxy may strip a prefix)."""
    path = unquote(urlsplit(url_or_path).path) or "/"
    paths = {path}
    if public_url:
        prefix = unquote(urlsplit(public_url).path).rstrip("/")
        if prefix and path.startswith(prefix + "/"):
            paths.add(path[len(prefix):])
    return paths


class _Capture:
    """The ASGI endpoint behind every path: read, record, answer."""

    def __init__(self, receiver: Receiver) -> None:
        self.receiver = receiver

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        arrived = time.time()
        request = Request(scope, receive)
        limit = self.receiver.max_body
        chunks: list[bytes] = []
        size = seen = 0
        truncated = disconnected = False
        try:
            async for chunk in request.stream():
                seen += len(chunk)
                if not truncated:
                    room = limit - size
                    truncated = len(chunk) > room
                    kept = chunk[:room] if truncated else chunk
                    chunks.append(kept)
                    size += len(kept)
                elif seen > limit + _DRAIN_LIMIT:
                    break
        except ClientDisconnect:
            disconnected = truncated = True
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope.get("headers", []):
            name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        raw_query = scope.get("query_string", b"").decode("utf-8", "replace")
        path = scope.get("path", "/")
        self.receiver._record(ReceivedRequest(
            method=scope.get("method", "?"), path=path,
            query=parse_qs(raw_query, keep_blank_values=True), raw_query=raw_query,
            headers=headers, body=b"".join(chunks), arrived=arrived, truncated=truncated))
        if disconnected:
            return
        if truncated:
            response = PlainTextResponse(f"request body larger than {limit} bytes", status_code=413)
        else:
            status = self.receiver._status_for(path)
            text = "" if status in _NO_BODY_STATUSES else "OK" if status == 200 else _phrase(status)
            response = PlainTextResponse(text, status_code=status)
        await response(scope, receive, send)


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"


class Receiver:
    """A real HTTP server that plays the merchant's notification endpoint.

    ``url`` is where it listens; ``public_url`` is what the gateway is told (a tunnel or
    ingress in front of it for a sandbox; the same as ``url`` for the embedded mock).

    >>> receiver = Receiver(public_url="https://hooks.example.test").start()
    >>> receiver.url
    'http://127.0.0.1:...'
    >>> receiver.endpoint("overpay-auth")
    'https://hooks.example.test/hooks/overpay-auth/...'
    >>> receiver.stop()
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, public_url: str | None = None,
                 max_body: int = 1 << 20, max_requests: int = 10_000) -> None:
        if max_body < 0 or max_requests < 1:
            raise HarnessError(f"receiver limits: need max_body >= 0 and max_requests >= 1, got "
                               f"max_body={max_body}, max_requests={max_requests}")
        self.host = host
        self.port = port
        self.max_body = max_body
        self.max_requests = max_requests
        self.dropped = 0
        self._public_url = public_url.rstrip("/") if public_url else None
        # Re-entrant: a wait_for predicate may itself call requests().
        self._cond = threading.Condition(threading.RLock())
        self._requests: deque[ReceivedRequest] = deque()
        self._received = 0  # ever recorded, so a waiter can tell new requests from seen ones
        self._answers: dict[str, int] = {}
        self._server: BackgroundServer | None = None
        self._app = Starlette(routes=[Route("/{path:path}", _Capture(self))])

    @property
    def url(self) -> str:
        """The local base URL, e.g. ``http://127.0.0.1:43125``."""
        if self._server is None or self._server.port is None:
            raise HarnessError("the receiver is not started: call start() or use it in a with block")
        host = _WILDCARD_HOSTS.get(self.host, self.host)
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self._server.port}"

    @property
    def public_url(self) -> str:
        """The base URL the gateway is given (no trailing slash)."""
        return self._public_url if self._public_url is not None else self.url

    def start(self) -> Receiver:
        """Start listening (idempotent); returns the receiver.

        >>> receiver = Receiver().start()
        >>> receiver.start() is receiver
        True
        >>> receiver.stop()
        """
        if self._server is None:
            self._server = BackgroundServer(self._app, host=self.host, port=self.port).start()
        return self

    def stop(self) -> None:
        """Stop listening; recorded requests stay readable.

        >>> import httpx
        >>> receiver = Receiver().start()
        >>> httpx.post(receiver.endpoint("opp"), content=b"{}").status_code
        200
        >>> receiver.stop()
        >>> [r.method for r in receiver.requests()]
        ['POST']
        """
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def endpoint(self, label: str) -> str:
        """A fresh, unique URL under ``public_url``; give one per payment or task.

        Characters other than letters, digits, ``.``, ``_`` and ``-`` in the label become ``-``.

        >>> receiver = Receiver(public_url="http://127.0.0.1:43125")
        >>> receiver.endpoint("opp payment")
        'http://127.0.0.1:43125/hooks/opp-payment/...'
        """
        safe = re.sub(r"[^A-Za-z0-9._-]+", "-", label).strip("-") or "hook"
        return f"{self.public_url}/hooks/{safe}/{uuid.uuid4().hex}"

    def requests(self, path: str | None = None) -> list[ReceivedRequest]:
        """A snapshot of the stored requests, oldest first; only one endpoint's if ``path`` is given.

        ``path`` may be an endpoint URL or its path.

        >>> import httpx
        >>> with Receiver() as receiver:
        ...     url = receiver.endpoint("opp-payment")
        ...     _ = httpx.get(url, params={"id": "8ac7a4a1"})
        ...     _ = httpx.get(receiver.endpoint("another-payment"), params={"id": "8ac7b0f2"})
        ...     [r.param("id") for r in receiver.requests(url)]
        ['8ac7a4a1']
        """
        with self._cond:
            snapshot = list(self._requests)
        if path is None:
            return snapshot
        wanted = _local_paths(path, self._public_url)
        return [request for request in snapshot if request.path in wanted]

    def wait_for(self, predicate: Callable[[ReceivedRequest], bool], timeout: float, *,
                 describe: str = "a matching request") -> ReceivedRequest:
        """The first request, stored or still to come, that matches; ReceiverTimeout if none does.

        A predicate raising ValueError (say, ``r.json()`` on a garbage body) counts as no match.

        >>> import httpx
        >>> payment_id = "8ac7a4a1"
        >>> with Receiver() as receiver:
        ...     _ = httpx.get(receiver.endpoint("opp"), params={"id": payment_id})  # the gateway
        ...     receiver.wait_for(lambda r: r.param("id") == payment_id, timeout=60,
        ...                       describe=f"the notification for payment {payment_id}")
        ReceivedRequest(method='GET', ...)
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            checked = self._received - len(self._requests)
            while True:
                new = self._received - checked
                if new > 0:
                    stored = len(self._requests)
                    for request in itertools.islice(self._requests, max(0, stored - new), stored):
                        if _matches(predicate, request):
                            return request
                    checked = self._received
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            received, dropped = list(self._requests), self.dropped
        raise ReceiverTimeout(describe, timeout, self._public_url or self._url_or_unstarted(),
                              received, dropped)

    def answer_with(self, path_prefix: str, status: int) -> None:
        """Answer requests under a path prefix with ``status`` (the longest prefix wins).

        ``path_prefix`` may be a path or a full URL, e.g. an endpoint URL.

        >>> import httpx
        >>> with Receiver() as receiver:
        ...     url = receiver.endpoint("opp")
        ...     receiver.answer_with(url, 503)     # the gateway should retry this one
        ...     httpx.get(url).status_code, httpx.get(receiver.endpoint("other")).status_code
        (503, 200)
        """
        if not 200 <= status <= 599:
            raise HarnessError(f"answer_with: status must be 200-599, got {status}")
        with self._cond:
            for prefix in _local_paths(path_prefix, self._public_url):
                self._answers[prefix] = status

    def clear(self) -> None:
        """Forget stored requests, answer overrides and the dropped count (between tests).

        >>> receiver = Receiver(public_url="https://hooks.example.test")
        >>> receiver.answer_with("/hooks/opp", 503)
        >>> receiver.clear()
        >>> receiver.requests(), receiver.dropped
        ([], 0)
        """
        with self._cond:
            self._requests.clear()
            self._answers.clear()
            self.dropped = 0

    def _url_or_unstarted(self) -> str:
        return self.url if self._server is not None else "(receiver not started)"

    def _record(self, request: ReceivedRequest) -> None:
        with self._cond:
            if len(self._requests) >= self.max_requests:
                self._requests.popleft()
                self.dropped += 1
            self._requests.append(request)
            self._received += 1
            self._cond.notify_all()

    def _status_for(self, path: str) -> int:
        with self._cond:
            matching = [prefix for prefix in self._answers if path.startswith(prefix)]
            return self._answers[max(matching, key=len)] if matching else 200


def _matches(predicate: Callable[[ReceivedRequest], bool], request: ReceivedRequest) -> bool:
    try:
        return bool(predicate(request))
    except ValueError:
        # Hostile or broken senders post garbage; a predicate that cannot parse it has simply
        # not found its request. Anything else is a bug in the suite and propagates.
        return False
