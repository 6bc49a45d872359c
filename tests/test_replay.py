"""A failing generated case on a real clock carries its request (redacted) and a command that sends it again."""

from __future__ import annotations

import contextvars
import json
import shlex
import threading
from collections.abc import Iterator

import pytest
from hypothesis import strategies as st

from asyncpay.errors import ContractViolation
from asyncpay.http import replay
from asyncpay.http.recording import Exchange, Recording, activate
from asyncpay.http.recording import current as current_recording
from asyncpay.schemas.generation import GeneratedCases, check_batches
from asyncpay.testing.runs import CREDENTIALS, profile_toml
from asyncpay.tools import replay as replay_tool
from asyncpay.wire.server import BackgroundServer

URL = "https://gw.example/async/transactions/payments"


def _exchange(body: str) -> Exchange:
    return Exchange("POST", URL, {"Accept": "application/json", "Authorization": "Basic [redacted]",
                                  "Content-Type": "application/json"}, body, 200, {}, "{}", started=0.0, elapsed=0.1)


def test_a_failing_real_time_case_names_its_request_and_a_replay_command():
    def check(case):
        body = json.dumps({"request": {"amount": case}})
        current_recording().exchange(_exchange(body))
        if case == -1:
            raise ContractViolation("overpay.task-answer", "no task", expected="a task", received="nothing")

    generated = GeneratedCases(st.integers(0, 5), explicit=[-1])
    test_recording = Recording()

    def run() -> None:
        activate(test_recording)
        check_batches(generated, check, real_time=True)

    replay.use_profile("sandbox.toml")  # as the plugin does when it loads a profile
    try:
        with pytest.raises(ContractViolation) as raised:
            contextvars.copy_context().run(run)
    finally:
        replay.use_profile(None)

    notes = "\n".join(raised.value.__notes__)
    assert 'POST https://gw.example/async/transactions/payments\n  Authorization: Basic [redacted]' in notes
    assert ("send it again: python -m asyncpay.tools.replay --profile sandbox.toml POST " + URL +
            " -H 'Content-Type: application/json' --data '{\"request\": {\"amount\": -1}}'") in notes
    assert len(test_recording.exchanges) >= 2, "each case's exchanges still reach the test's recording"


def test_the_command_names_the_profile_of_the_run():
    replay.use_profile("profiles/sandbox.toml")
    try:
        assert replay.command(_exchange("{}")).startswith(
            "python -m asyncpay.tools.replay --profile profiles/sandbox.toml POST ")
    finally:
        replay.use_profile(None)


class Recorder:
    """An ASGI app answering ``{}``, keeping each request's headers and body."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self._lock = threading.Lock()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        with self._lock:
            self.requests.append(({k.decode(): v.decode() for k, v in scope["headers"]}, body))
        await send({"type": "http.response.start", "status": 201,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": b'{"request_id": "r1"}'})


@pytest.fixture
def recorder() -> Iterator[tuple[Recorder, str]]:
    app = Recorder()
    server = BackgroundServer(app).start()
    try:
        yield app, server.url
    finally:
        server.stop()


def test_replay_sends_the_printed_request_with_the_profiles_credentials(recorder, tmp_path, monkeypatch, capsys):
    app, url = recorder
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    profile = tmp_path / "profile.toml"
    profile.write_text(profile_toml(overpay=url, timing={"clock": "real"}))
    printed = _exchange(json.dumps({"request": {"amount": 5, "credit_card": {
        "number": "420000******0000", "verification_value": "***"}}}))
    printed.url = url + "/async/transactions/payments"
    command = replay.command(printed, profile=str(profile))
    argv = shlex.split(command)[3:]  # after "python -m asyncpay.tools.replay"

    assert replay_tool.main(argv) == 0

    (headers, body), = app.requests
    assert headers["authorization"].startswith("Basic ")
    assert json.loads(body) == {"request": {"amount": 5, "credit_card": {
        "number": replay_tool.TEST_CARD, "verification_value": replay_tool.TEST_CVV}}}
    out = capsys.readouterr().out
    assert "sent as the test card: request.credit_card.number, request.credit_card.verification_value" in out
    assert "HTTP 201" in out
