"""The receiver must answer at the profile's public_url before a sandbox run starts."""

from __future__ import annotations

import dataclasses
import socket
from pathlib import Path

import httpx
import pytest

from asyncpay.config.profile import ReceiverConfig, embedded_profile
from asyncpay.errors import HarnessError
from asyncpay.waiting.receiver_check import check_receiver
from asyncpay.wire.server import BackgroundServer


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _remote_profile(public_url: str | None, port: int):
    profile = embedded_profile()
    profile.overpay = dataclasses.replace(profile.overpay, base_url="https://gateway.overpay.test",
                                          embedded=False)
    profile.receiver = ReceiverConfig("127.0.0.1", port, public_url)
    profile.path = Path("sandbox.toml")
    return profile


class _Forwarder:
    """A stand-in tunnel: forwards every request to the receiver's port."""

    def __init__(self, port: int) -> None:
        self.port = port

    async def __call__(self, scope, receive, send) -> None:
        from starlette.requests import Request
        from starlette.responses import Response
        request = Request(scope, receive)
        async with httpx.AsyncClient(trust_env=False) as client:
            answer = await client.get(f"http://127.0.0.1:{self.port}{request.url.path}")
        await Response(answer.content, status_code=answer.status_code)(scope, receive, send)


def test_a_public_url_forwarded_to_the_receiver_passes() -> None:
    port = _free_port()
    with BackgroundServer(_Forwarder(port)) as tunnel:
        check_receiver(_remote_profile(str(tunnel.url), port))


def test_a_public_url_where_something_else_answers_is_one_line_naming_what_to_fix() -> None:
    port = _free_port()
    with BackgroundServer(_Forwarder(_free_port())) as elsewhere:  # forwards to the wrong port
        with pytest.raises(HarnessError) as refused:
            check_receiver(_remote_profile(str(elsewhere.url), port), timeout=5)
    message = str(refused.value)
    assert "never reached the receiver" in message and "[receiver] public_url" in message
    assert f"127.0.0.1:{port}" in message and "sandbox.toml" in message
    assert "\n" not in message


def test_a_public_url_where_nothing_listens_is_one_line() -> None:
    closed = _free_port()
    with pytest.raises(HarnessError, match=r"never reached the receiver.*\[receiver\] listen"):
        check_receiver(_remote_profile(f"http://127.0.0.1:{closed}", _free_port()), timeout=5)


def test_nothing_is_checked_without_public_url_or_for_the_embedded_mock() -> None:
    check_receiver(_remote_profile(None, 0))
    profile = embedded_profile()
    profile.receiver = ReceiverConfig("127.0.0.1", 0, "http://127.0.0.1:9")
    check_receiver(profile)
