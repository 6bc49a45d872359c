"""Before the suites start: does each gateway the profile names answer at all?

A ``base_url`` where nothing listens would otherwise fail every check on ``transport.answers``.
One plain request without credentials goes to each origin that is not the embedded mock: any HTTP
answer, whatever its status, means the gateway is there. So does a connection that opens and then
misbehaves (a reset, headers that never end): that is the suites' business, not a setup mistake.
Refused connections, unknown hosts, failed TLS handshakes and connect timeouts stop the run with
one line.

>>> import dataclasses, socket
>>> from asyncpay.config.profile import embedded_profile
>>> with socket.socket() as unused:                 # a loopback port nobody listens on
...     unused.bind(("127.0.0.1", 0))
...     port = unused.getsockname()[1]
>>> profile = embedded_profile()
>>> profile.overpay = dataclasses.replace(profile.overpay, base_url=f"http://127.0.0.1:{port}",
...                                       embedded=False)
>>> check_reachable(profile)
Traceback (most recent call last):
...
asyncpay.errors.HarnessError: overpay gateway http://127.0.0.1:.../ cannot be reached: connection refused ...
"""

from __future__ import annotations

from typing import Any

import httpx

from asyncpay.config.profile import Profile
from asyncpay.errors import HarnessError
from asyncpay.waiting.deadline import Deadline
from asyncpay.waiting.watchdog import cut_at

__all__ = ["check_reachable", "origin", "problem"]

_MAX_WAIT = 15.0  # seconds: the check never holds a run up longer, whatever request_timeout says


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    lowered = text.lower()
    if isinstance(exc, httpx.ConnectTimeout):
        return "the connection timed out"
    if "refused" in lowered:
        return f"connection refused ({text})"
    if "name or service not known" in lowered or "nodename nor servname" in lowered \
            or "name resolution" in lowered or "getaddrinfo" in lowered:
        return f"the host name does not resolve ({text})"
    if "ssl" in lowered or "certificate" in lowered or "tls" in lowered:
        return f"the TLS handshake failed ({text})"
    return text


def origin(url: str) -> str:
    """``scheme://host:port`` of ``url``: where the check goes, and what its message names."""
    parsed = httpx.URL(url)
    return str(parsed.copy_with(path="/", query=None, fragment=None, username=None, password=None))


def problem(url: str, timeout: float) -> str | None:
    """Why ``url``'s origin cannot be reached, or None when something answers there."""
    # The transport is up once TCP (and, for https, TLS) is established.
    established = "connection.start_tls.complete" if url.lower().startswith("https:") \
        else "connection.connect_tcp.complete"
    stages: list[str] = []
    outcome: dict[str, Any] = {}

    def trace(event: str, info: dict[str, Any]) -> None:
        stages.append(event)

    client = httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False, trust_env=False,
                          limits=httpx.Limits(max_keepalive_connections=0),
                          headers={"User-Agent": "asyncpay reachability check"})

    # A gateway that drips its headers forever would hold a plain request forever: the watchdog
    # cuts it at the deadline, as it does every exchange. Past the deadline an opened connection
    # counts as an answer, an unopened one as a timeout.
    with client, cut_at(Deadline(min(timeout, _MAX_WAIT) + 1.0)) as cut:
        def traced(event: str, info: dict[str, Any]) -> None:
            trace(event, info)
            cut.trace(event, info)

        try:
            client.get(origin(url), extensions={"trace": traced})
            outcome["answered"] = True
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.UnsupportedProtocol) as exc:
            outcome["error"] = exc
        except httpx.HTTPError:
            outcome["answered"] = True  # connected; what it sent is for the suites to judge
        except Exception as exc:  # the check must explain, never crash the run
            outcome["error"] = exc
    if "error" in outcome:
        return _reason(outcome["error"])
    if outcome.get("answered") or established in stages:
        return None
    return "the connection timed out"


def check_reachable(profile: Profile) -> None:
    """Raise ``HarnessError`` (one line) for the first gateway of ``profile`` that cannot be reached."""
    for name, target in (("overpay", profile.overpay), ("opp", profile.opp)):
        if target is None or target.embedded:
            continue
        why = problem(target.base_url, min(target.timing.request_timeout, _MAX_WAIT))
        if why is not None:
            where = f" (profile {profile.path})" if profile.path else ""
            raise HarnessError(
                f"{name} gateway {origin(target.base_url)} cannot be reached: {why}; check [{name}] "
                f"base_url{where}, that the gateway is up, and that this machine may connect to it "
                "(VPN, firewall, allow-listed IP)")
