"""HTTP clients for the gateways: pinned to the profile's origin, never redirected, bounded.

Every request goes through :meth:`GatewayClient.send`, which

* refuses any URL off the configured origin *before* anything is sent (the gateway gave it to
  us, so that is a contract violation of the rule the caller names) — credentials are only
  ever attached after that check;
* never follows redirects, never uses proxy settings from the environment;
* bounds each exchange by the profile's request timeout and the response by a size limit, so
  a gateway that hangs, drips or floods fails one check instead of the run; the timeout counts
  the harness's running time only (:mod:`asyncpay.waiting.stall`);
* gives each exchange a connection of its own, in a pool of its own (one TLS context shared),
  so no thread's exchange can end another's;
* records the exchange, redacted, in the current test's recording.

It never retries on its own, with one exception: an HTTP 429 answer to a request the caller
marks safe to repeat (``repeatable=True``: a status read, a query) or to a POST carrying a
``RequestID`` header is sent again after the wait ``Retry-After`` asks for, within the
profile's ``max_wait`` (see :mod:`asyncpay.http.throttle`); every attempt is recorded. A one-time
result read twice by accident would be a false alarm, so result reads are never repeated.

Usage::

    client = GatewayClient("https://gateway.overpay.io", auth=basic("361", "secret"), timeout=10,
                           redactor=Redactor(["secret"]), origin_rule="overpay.urls-on-gateway",
                           checks=asyncpay.checks.transport)
    answer = client.send("GET", "/transactions/abc", rule="overpay.uid-query")
"""

from __future__ import annotations

import base64
import copy
import json
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn, Protocol

import httpx

from asyncpay.errors import ContractViolation, NotVerified, TransportViolation
from asyncpay.http.recording import Exchange, Recording
from asyncpay.http.recording import current as current_recording
from asyncpay.http.redaction import Redactor
from asyncpay.http.throttle import TOO_MANY_REQUESTS, Throttle
from asyncpay.http.throttle import repeatable as may_repeat
from asyncpay.waiting.deadline import Deadline
from asyncpay.waiting.stall import stalled
from asyncpay.waiting.watchdog import CutAtDeadline

MAX_BODY = 4 << 20  # 4 MiB: far above any documented answer, far below a flood


class TransportChecks(Protocol):
    """The transport rules every answer is held to, decided above this layer
    (:mod:`asyncpay.checks.transport` is the one implementation; the gateways layer hands it to
    each client it makes). The client reports what happened; these raise or return."""

    def no_complete_answer(self, summary: str, *, expected: str, received: Any) -> NoReturn: ...

    def no_redirect(self, status_code: int, where: str, location: str) -> None: ...

    def json_content_type(self, content_type: str | None, body_is_json: bool, where: str) -> None: ...


def basic(user: str, secret: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def origin_of(url: str | httpx.URL) -> tuple[str, str, int]:
    parsed = httpx.URL(url) if isinstance(url, str) else url
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    return (parsed.scheme.lower(), (parsed.host or "").lower(), port)


@dataclass
class Answer:
    """A complete HTTP answer, already read (bounded) and recorded."""

    method: str
    url: str
    status_code: int
    headers: httpx.Headers
    body: bytes
    elapsed: float
    _json: Any = field(default=None, repr=False)
    _json_error: str | None = field(default=None, repr=False)
    _parsed: bool = field(default=False, repr=False)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def _parse(self) -> None:
        if not self._parsed:
            self._parsed = True
            try:
                self._json = json.loads(self.body) if self.body else None
                if not self.body:
                    self._json_error = "empty body"
            except (ValueError, RecursionError) as exc:
                self._json_error = f"not JSON (or nested too deep): {type(exc).__name__}"

    @property
    def json(self) -> Any:
        """The parsed JSON body, or None when it is not JSON (see ``json_error``)."""
        self._parse()
        return self._json

    @property
    def json_error(self) -> str | None:
        self._parse()
        return self._json_error

    def summary(self) -> dict[str, Any]:
        body: Any = self.json if self.json_error is None else self.text[:300]
        return {"http": self.status_code, "body": body}


class GatewayClient:
    """One gateway's client. Exchanges go to the current test's recording (the plugin activates
    one per test, and one per scenario it runs concurrently), else to ``recording``."""

    def __init__(
        self,
        base_url: str,
        *,
        auth: Mapping[str, str],
        timeout: float,
        redactor: Redactor,
        origin_rule: str,
        checks: TransportChecks,
        max_body: int = MAX_BODY,
        transport: httpx.BaseTransport | None = None,
        on_send: Callable[[], None] | None = None,
        headers: Mapping[str, str] | None = None,
        throttle: Throttle | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.origin = origin_of(self.base_url)
        self.auth = dict(auth)
        self.timeout = timeout
        self.redactor = redactor
        self.origin_rule = origin_rule
        #: Decides the transport rules on each exchange (see :class:`TransportChecks`).
        self.checks = checks
        self.max_body = max_body
        self._recording = Recording()
        self.on_send = on_send
        #: Sent with every request (e.g. ``X-API-Version``); a request's own headers win.
        self.headers = dict(headers or {})
        self.throttle = throttle if throttle is not None else Throttle(budget=timeout)
        # Each exchange gets a connection pool of its own (sharing one TLS context): a pool shared
        # by many threads can close a connection it has just handed to another request, which then
        # reads from a closed socket (encode/httpcore#1110) — a transport failure the gateway never
        # caused. An injected transport (a test's fake gateway) is used as it is.
        self._injected = transport
        self._tls = httpx.create_ssl_context(trust_env=False) if transport is None else None
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            trust_env=False,  # never route credentials through a proxy from the environment
            transport=transport,
            # One connection per exchange: the watchdog below may have to cut a socket, and a
            # kept-alive one could carry a half-read answer into the next exchange.
            limits=httpx.Limits(max_keepalive_connections=0),
            headers={"User-Agent": "asyncpay", "Accept-Encoding": "gzip, deflate"},
        )

    @property
    def recording(self) -> Recording:
        """Where this client's exchanges go now: the active recording, else its own."""
        return current_recording() or self._recording

    @recording.setter
    def recording(self, recording: Recording) -> None:
        self._recording = recording

    def close(self) -> None:
        self._http.close()

    def _exchange_transport(self) -> httpx.HTTPTransport | None:
        """A transport for one exchange (its own single-connection pool), or ``None`` to send
        through the injected transport."""
        if self._tls is None:
            return None
        return httpx.HTTPTransport(verify=self._tls, trust_env=False,
                                   limits=httpx.Limits(max_connections=1, max_keepalive_connections=0))

    def with_headers(self, extra: Mapping[str, str], drop: tuple[str, ...] = ()) -> GatewayClient:
        """A view of this client (same connection, recording and throttle) that also sends
        ``extra`` with every request and no longer sends the default headers named in ``drop``."""
        view = copy.copy(self)
        dropped = {name.lower() for name in drop}
        view.headers = {k: v for k, v in self.headers.items() if k.lower() not in dropped} | dict(extra)
        return view

    def resolve(self, url: str, *, rule: str | None = None, what: str = "URL") -> httpx.URL:
        """Turn a path or a gateway-given URL into an absolute URL on the origin, or refuse it."""
        if url.startswith("/") and not url.startswith("//") and "\\" not in url:
            return httpx.URL(self.base_url + url)
        try:
            parsed = httpx.URL(url)
        except Exception:
            raise ContractViolation(rule or self.origin_rule, f"{what} is not a valid URL; not requested",
                                    expected=f"a URL on {self.base_url}", received=url) from None
        if (not parsed.is_absolute_url or origin_of(parsed) != self.origin or "\\" in url
                or parsed.userinfo):
            raise ContractViolation(
                rule or self.origin_rule,
                f"{what} leads off the configured server; it was not requested",
                expected=f"a URL on {self.base_url} (scheme, host and port)",
                received=url,
                hint="the harness never sends credentials to another origin",
            )
        return parsed

    def on_origin(self, url: str) -> bool:
        try:
            self.resolve(url)
        except ContractViolation:
            return False
        return True

    def send(self, method: str, url: str, *, repeatable: bool = False, **options: Any) -> Answer:
        """Send one request (see :meth:`_send_once` for ``options``) and return its answer.

        On HTTP 429 the request is sent again only if it is safe to repeat: ``repeatable``
        (the caller knows it hands out nothing once: a status read, a query) for a GET, a
        ``RequestID`` header for a POST. The wait is ``Retry-After`` (else 1 s, doubling),
        on the target's clock, within the throttle's budget; past it the 429 is returned.
        """
        headers = {**self.headers, **(options.get("headers") or {})}
        safe = may_repeat(method, headers, safe_read=repeatable)
        label = options.pop("label", "")
        attempt, waited = 0, 0.0
        while True:
            tag = label if attempt == 0 else f"{label} (attempt {attempt + 1}, after 429)".strip()
            answer = self._send_once(method, url, label=tag, **options)
            if answer.status_code != TOO_MANY_REQUESTS or not safe:
                return answer
            wait = self.throttle.back_off(answer.headers.get("retry-after"), attempt=attempt, waited=waited)
            if wait is None:
                return answer
            waited += wait
            attempt += 1

    def _send_once(
        self,
        method: str,
        url: str,
        *,
        rule: str | None = None,
        what: str = "URL",
        json_body: Any = None,
        raw_body: bytes | None = None,
        form: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        authenticated: bool = True,
        auth_override: Mapping[str, str] | None = None,
        label: str = "",
        task: str | None = None,
        redirect_expected: bool = False,
    ) -> Answer:
        """One exchange. ``redirect_expected``: a 3xx answer is documented here (the shopper's
        form submission); it is returned, never followed."""
        target = self.resolve(url, rule=rule, what=what)
        request_headers: dict[str, str] = {"Accept": "application/json", **self.headers}
        if authenticated:
            request_headers.update(self.auth if auth_override is None else auth_override)
        request_headers.update(headers or {})
        content: bytes | None = raw_body
        if json_body is not None:
            content = json.dumps(json_body).encode()
            request_headers["Content-Type"] = "application/json"
        elif form is not None:
            content = httpx.QueryParams(form).__str__().encode()
            request_headers["Content-Type"] = "application/x-www-form-urlencoded; charset=UTF-8"
        if params:
            target = target.copy_merge_params(dict(params))
        if self.on_send is not None:
            self.on_send()
        started, t0 = time.time(), time.monotonic()
        # httpx bounds each socket read, not the exchange: a gateway dripping its headers a byte
        # at a time would hold us for hours. The watchdog cuts the socket at the deadline.
        # The deadline counts the harness's running time: a moment this process could not run
        # (asyncpay.waiting.stall) is not the gateway's delay, so the watchdog re-arms for it.
        deadline = Deadline(self.timeout, stalls=stalled)
        cut = CutAtDeadline(deadline)
        expired = cut.expired
        status: int | None = None
        response_headers = httpx.Headers()
        body = b""
        error: str | None = None
        try:
            request = self._http.build_request(method, target, headers=request_headers, content=content,
                                               extensions={"trace": cut.trace})
            pool = self._exchange_transport()
            try:
                if pool is None:
                    response = self._http.send(request, stream=True)
                else:
                    response = pool.handle_request(request)
                    response.request = request
                try:
                    status = response.status_code
                    response_headers = response.headers
                    body = self._read_bounded(response, deadline)
                finally:
                    response.close()
            finally:
                if pool is not None:
                    pool.close()
        except TransportViolation as exc:
            error = exc.summary
            raise
        except httpx.TimeoutException as exc:
            error = f"timeout: {type(exc).__name__}"
            self.checks.no_complete_answer(
                f"{method} {self.redactor.url(str(target))} got no complete answer",
                expected=f"an HTTP answer within {self.timeout:g} s (profile request_timeout)",
                received=f"{type(exc).__name__} after {time.monotonic() - t0:.1f} s")
        except httpx.HTTPError as exc:
            if expired.is_set() and deadline.stall_bound():
                error = "not verified: the harness itself could not run for most of the request timeout"
                raise NotVerified("transport.answers", f"{method} {self.redactor.url(str(target))}: this "
                                  f"process was stalled for {deadline.wall() - deadline.effective():.1f} s of "
                                  f"{deadline.wall():.1f} s, so the answer's timing cannot be judged") from None
            if expired.is_set():
                error = "no complete answer within the request timeout"
                self.checks.no_complete_answer(
                    f"{method} {self.redactor.url(str(target))} got no complete answer",
                    expected=f"an HTTP answer within {self.timeout:g} s (profile request_timeout)",
                    received=f"still incomplete after {time.monotonic() - t0:.1f} s")
            error = f"{type(exc).__name__}: {exc}"
            self.checks.no_complete_answer(
                f"{method} {self.redactor.url(str(target))} failed at the transport level",
                expected="a complete HTTP answer",
                received=self.redactor.text(f"{type(exc).__name__}: {exc}" or type(exc).__name__))
        finally:
            cut.cancel()
            self.recording.exchange(Exchange(
                method=method,
                url=self.redactor.url(str(target)),
                request_headers=self.redactor.headers(request_headers),
                request_body=self.redactor.body(content or b"", request_headers.get("Content-Type")),
                status=status,
                response_headers=self.redactor.headers(dict(response_headers)),
                response_body=self.redactor.body(body, response_headers.get("content-type")),
                started=started,
                elapsed=time.monotonic() - t0,
                error=error,
                label=label,
                task=task,
            ))
        answer = Answer(method, str(target), status or 0, response_headers, body, time.monotonic() - t0)
        where = f"{method} {self.redactor.url(str(target))}"
        if not redirect_expected:
            self.checks.no_redirect(answer.status_code, where,
                                  self.redactor.url(response_headers.get("location", "")))
        self.checks.json_content_type(response_headers.get("content-type"),
                                    bool(body) and answer.json_error is None, where)
        return answer

    def _read_bounded(self, response: httpx.Response, deadline: Deadline) -> bytes:
        chunks: list[bytes] = []
        size = 0
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.max_body:
            self.checks.no_complete_answer(
                f"answer to {response.request.method} declares {declared} bytes",
                expected=f"at most {self.max_body} bytes", received=f"Content-Length: {declared}")
        length = int(declared) if declared and declared.isdigit() else None
        for chunk in response.iter_raw():
            size += len(chunk)
            if size > self.max_body:
                self.checks.no_complete_answer(
                    f"answer to {response.request.method} exceeded the size limit",
                    expected=f"at most {self.max_body} bytes", received=f"more than {size} bytes")
            # Late only while more is to come: a body complete by its Content-Length is an answer.
            if (length is None or size < length) and deadline.remaining() <= 0:
                if deadline.stall_bound():
                    raise NotVerified("transport.answers", f"answer to {response.request.method}: this process "
                                      f"was stalled for {deadline.wall() - deadline.effective():.1f} s of "
                                      f"{deadline.wall():.1f} s, so the answer's timing cannot be judged")
                self.checks.no_complete_answer(
                    f"answer to {response.request.method} kept streaming",
                    expected=f"a complete answer within {self.timeout:g} s (profile request_timeout)",
                    received=f"{size} bytes after {deadline.wall():.1f} s, still incomplete")
            chunks.append(chunk)
        raw = b"".join(chunks)
        encoding = response.headers.get("content-encoding", "").lower()
        if encoding in ("gzip", "deflate", "br", "zstd") and raw:
            # Decode here, still bounded, rather than trusting httpx to inflate a bomb.
            if encoding in ("gzip", "deflate"):
                decoder = zlib.decompressobj(zlib.MAX_WBITS | 32)
                try:
                    raw = decoder.decompress(raw, self.max_body + 1)
                except zlib.error as exc:
                    self.checks.no_complete_answer(
                        f"answer to {response.request.method} is not valid {encoding}",
                        expected=f"a body encoded as its Content-Encoding ({encoding}) says",
                        received=str(exc))
                if len(raw) > self.max_body:
                    self.checks.no_complete_answer(
                        "compressed answer inflates past the size limit",
                        expected=f"at most {self.max_body} bytes", received="a compression bomb")
        return raw
