"""A failing request, shown so it can be sent again: the exchange as recorded (redacted) and one command.

On a real clock a failing generated case is real traffic: Hypothesis cannot shrink it or print a
``@reproduce_failure`` blob for it (see :func:`asyncpay.schemas.generation.check_batches`). What
can be repeated is the request itself. :func:`note` renders one recorded
:class:`~asyncpay.http.recording.Exchange` — already redacted when it was recorded — as the
request line, its headers and body, and a ``python -m asyncpay.tools.replay`` command that sends
it again through the profile's client (credentials from the profile, never from the text).

>>> exchange = Exchange("POST", "https://gw.example/async/transactions/payments",
...                     {"Accept": "application/json", "Authorization": "Basic [redacted]",
...                      "Content-Type": "application/json"}, '{"request": {"amount": -1}}',
...                     200, {}, "{}", started=0.0, elapsed=0.1)
>>> print(note(exchange, profile="sandbox.toml"))
the request as sent (redacted):
  POST https://gw.example/async/transactions/payments
  Authorization: Basic [redacted]
  Content-Type: application/json
  {"request": {"amount": -1}}
send it again: python -m asyncpay.tools.replay --profile sandbox.toml POST https://gw.example/async/...
    -H 'Content-Type: application/json' --data '{"request": {"amount": -1}}'
"""

from __future__ import annotations

import shlex

from asyncpay.http.recording import Exchange
from asyncpay.http.redaction import REDACTED

#: Headers the replaying client sets itself (``Accept``; credentials are hidden in the recording).
OWN_HEADERS = frozenset({"accept"})
_PROFILE: list[str] = []


def use_profile(path: str | None) -> None:
    """Name the profile the printed commands use (the plugin calls it when it loads one)."""
    _PROFILE[:] = [path] if path else []


def _sent_headers(exchange: Exchange) -> dict[str, str]:
    return {name: value for name, value in exchange.request_headers.items()
            if name.lower() not in OWN_HEADERS and REDACTED not in value}


def command(exchange: Exchange, profile: str | None = None) -> str:
    """The shell command that sends ``exchange``'s request again (``profile``: the profile's path)."""
    where = profile or (_PROFILE[0] if _PROFILE else "PROFILE.toml")
    parts = ["python", "-m", "asyncpay.tools.replay", "--profile", where, exchange.method, exchange.url]
    for name, value in _sent_headers(exchange).items():
        parts += ["-H", f"{name}: {value}"]
    if exchange.request_body:
        parts += ["--data", exchange.request_body]
    return shlex.join(parts)


def note(exchange: Exchange, profile: str | None = None) -> str:
    """The request line, headers and body as recorded (redacted), then :func:`command`."""
    lines = ["the request as sent (redacted):", f"  {exchange.method} {exchange.url}"]
    lines += [f"  {name}: {value}" for name, value in exchange.request_headers.items()
              if name.lower() not in OWN_HEADERS]
    if exchange.request_body:
        lines.append(f"  {exchange.request_body}")
    lines.append(f"send it again: {command(exchange, profile)}")
    return "\n".join(lines)
