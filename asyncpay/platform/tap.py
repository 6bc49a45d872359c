"""What reaches the platform: every request the shop sends to the embedded mock, as the platform
sees it, and the one answer the platform may alter for a scenario (an attack it plays).

An ASGI middleware around the mock's app. ``Seen`` holds one request: method, path, query,
headers (names in lower case), body bytes, the answer's status, and ``time.monotonic()`` when it
arrived.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: The most of an answer's body kept (bytes): enough for any status answer.
ANSWER_LIMIT = 64_000
#: Alters one JSON answer: (path, body) → new body, or None to leave it.
Tamper = Callable[[str, dict[str, Any]], dict[str, Any] | None]
#: Answers a request in the platform's stead: the request → (status, headers, JSON body), or None.
Override = Callable[["Seen"], tuple[int, dict[str, str], dict[str, Any]] | None]


@dataclass
class Seen:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    at: float
    status: int | None = None
    answer: bytes = b""

    def answer_json(self) -> Any:
        try:
            return json.loads(self.answer)
        except ValueError:
            return None

    @property
    def params(self) -> dict[str, str]:
        return dict(parse_qsl(self.query, keep_blank_values=True))

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def describe(self) -> str:
        return f"{self.method} {self.path}{'?' + self.query if self.query else ''} → {self.status}"


@dataclass
class Tap:
    """The platform's log of what reached it (thread-safe), and a pending answer tamper."""

    seen: list[Seen] = field(default_factory=list)
    tamper: Tamper | None = None
    override: Override | None = None
    #: Rewrites a request's body before the platform serves it: the request → new body, or None.
    rewrite: Callable[[Seen], bytes | None] | None = None
    #: Told of each request once its answer is complete.
    on_answered: Callable[[Seen], None] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, entry: Seen) -> None:
        with self._lock:
            self.seen.append(entry)

    def since(self, mark: int) -> list[Seen]:
        """What arrived after ``mark`` (a ``len(tap)`` taken earlier), control routes left out."""
        with self._lock:
            return [s for s in self.seen[mark:] if not s.path.startswith("/_asyncpay")]

    def __len__(self) -> int:
        with self._lock:
            return len(self.seen)

    def answered(self, entry: Seen) -> None:
        listener = self.on_answered
        if listener is not None:
            listener(entry)

    def wrap(self, app: ASGIApp) -> ASGIApp:
        return _TapMiddleware(app, self)


class _TapMiddleware:
    def __init__(self, app: ASGIApp, tap: Tap) -> None:
        self.app, self.tap = app, tap

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        entry = Seen(scope["method"], scope["path"], scope.get("query_string", b"").decode("latin-1"),
                     {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]},
                     body, time.monotonic())
        self.tap.add(entry)
        rewrite = self.tap.rewrite
        if rewrite is not None:
            body = rewrite(entry) or body
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if delivered:
                return {"type": "http.disconnect"}
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        override = self.tap.override
        planted = override(entry) if override is not None else None
        if planted is not None:
            status, extra, document = planted
            entry.status = status
            answer = json.dumps(document).encode()
            raw = [(b"content-type", b"application/json"), (b"content-length", str(len(answer)).encode()),
                   *((k.lower().encode(), v.encode()) for k, v in extra.items())]
            await send({"type": "http.response.start", "status": status, "headers": raw})
            await send({"type": "http.response.body", "body": answer, "more_body": False})
            self.tap.answered(entry)
            return
        tamper = self.tap.tamper
        if tamper is None:
            async def note(message: Message) -> None:
                if message["type"] == "http.response.start":
                    entry.status = message["status"]
                elif message["type"] == "http.response.body" and len(entry.answer) < ANSWER_LIMIT:
                    entry.answer += message.get("body", b"")
                await send(message)
            await self.app(scope, replay, note)
            self.tap.answered(entry)
            return
        # Buffer the answer so the scenario's tamper can rewrite its JSON body.
        start: Message = {}
        parts: list[bytes] = []

        async def hold(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                parts.append(message.get("body", b""))
        await self.app(scope, replay, hold)
        entry.status = start.get("status")
        answer = b"".join(parts)
        entry.answer = answer[:ANSWER_LIMIT]
        try:
            document = json.loads(answer)
            changed = tamper(scope["path"], document) if isinstance(document, dict) else None
        except ValueError:
            changed = None
        if changed is not None:
            answer = json.dumps(changed).encode()
        headers = [(k, str(len(answer)).encode() if k.lower() == b"content-length" else v)
                   for k, v in start.get("headers", [])]
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": answer, "more_body": False})
        self.tap.answered(entry)
