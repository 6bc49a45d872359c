from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

import asyncpay.mock
from asyncpay.mock import FAULTS, Fault, MockConfig, create_app
from asyncpay.mock.__main__ import fault_table, main
from asyncpay.mock.testing import MockServer
from asyncpay.profile import MOCK_ENTITY_ID, MOCK_SECRET_KEY, MOCK_SHOP_ID, MOCK_TOKEN, OPP_OUTCOMES
from asyncpay.receiver import Receiver

CLOCK_SLACK = 5.0  # seconds between the mock's start and a test reading its clock


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    with MockServer(faults=["stuck-processing"]) as running:
        yield running


def wait_until(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not (outcome := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout}s")
        time.sleep(0.02)
    return outcome


def test_public_api() -> None:
    assert asyncpay.mock.__all__ == sorted(asyncpay.mock.__all__) == [
        "FAULTS", "Fault", "MockConfig", "VARIANTS", "Variant", "create_app"]
    assert all(isinstance(fault, Fault) for fault in FAULTS.values())
    config = MockConfig()
    assert (config.shop_id, config.secret_key, config.entity_id, config.token) == (
        MOCK_SHOP_ID, MOCK_SECRET_KEY, MOCK_ENTITY_ID, MOCK_TOKEN)
    assert (config.clock, config.processing_delay, config.pending_delay, config.retention,
            config.faults) == ("virtual", 2.0, 5.0, 86400.0, [])


def test_unknown_fault_is_refused_listing_the_known_ones() -> None:
    with pytest.raises(ValueError, match="no-such-fault") as refused:
        MockConfig(faults=["stuck-processing", "no-such-fault"])
    assert "stuck-processing" in str(refused.value).split("known:")[1]


@pytest.mark.parametrize("settings", [{"clock": "sundial"}, {"retention": -1},
                                      {"webhook_secret": "abc"}, {"status_reads_per_minute": -2}])
def test_bad_settings_are_refused(settings: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        MockConfig(**settings)


def test_create_app_checks_a_config_changed_after_creation() -> None:
    config = MockConfig()
    config.faults.append("typo")
    with pytest.raises(ValueError, match="typo"):
        create_app(config)


def test_health_lists_the_faults(mock: MockServer) -> None:
    answer = mock.anonymous.get("/_asyncpay/health")
    assert (answer.status_code, answer.json()) == (200, {"ok": True,
                                                         "faults": ["stuck-processing"]})


def test_virtual_clock_moves_only_when_advanced(mock: MockServer) -> None:
    before = mock.anonymous.get("/_asyncpay/clock").json()
    assert before["mode"] == "virtual"
    assert abs(before["now"] - time.time()) < CLOCK_SLACK
    assert mock.anonymous.get("/_asyncpay/clock").json()["now"] == before["now"]
    assert mock.advance(90.5) == before["now"] + 90.5
    assert mock.anonymous.get("/_asyncpay/clock").json()["now"] == before["now"] + 90.5


@pytest.mark.parametrize("body", [{"seconds": -1}, {"seconds": "1"}, {}, [], {"seconds": True}])
def test_advance_refuses_bad_input(mock: MockServer, body: Any) -> None:
    assert mock.anonymous.post("/_asyncpay/clock/advance", json=body).status_code == 422


def test_real_clock_runs_tasks_notifications_and_retention_by_itself() -> None:
    with MockServer(clock="real", processing_delay=0.1, pending_delay=0.1, retention=0.6) as mock, \
            Receiver() as receiver:
        clock = mock.anonymous.get("/_asyncpay/clock").json()
        assert clock["mode"] == "real" and abs(clock["now"] - time.time()) < 1
        assert mock.anonymous.post("/_asyncpay/clock/advance",
                                   json={"seconds": 1}).status_code == 409
        request_id = mock.create_task()["request_id"]
        wait_until(lambda: mock.status(request_id).json()["status"] == "completed", 3,
                   "the task completes")
        assert mock.result(request_id).status_code == 200
        wait_until(lambda: mock.result(request_id).status_code == 404, 3,
                   "the result expires after the retention")

        url = receiver.endpoint("real-clock")
        # No request reaches the mock while the ticker alone makes the payment final.
        payment_id = mock.pay(notificationUrl=url, **OPP_OUTCOMES["pending"]).json()["id"]
        hit = receiver.wait_for(lambda r: r.path == urlsplit(url).path, timeout=3,
                                describe="the notification")
        assert hit.param("id") == payment_id


def test_list_faults_prints_every_fault_and_its_rule(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--list-faults"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == fault_table().splitlines()
    rows = {line.split()[0]: line.split()[1] for line in lines[1:]}
    assert rows == {name: fault.rule for name, fault in FAULTS.items()}


def test_cli_refuses_an_unknown_fault(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--fault", "no-such-fault"])
    assert exited.value.code == 2
    assert "no-such-fault" in capsys.readouterr().err


def test_cli_serves_the_mock() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "asyncpay.mock", "--port", str(port), "--clock", "real",
         "--retention", "20", "--processing-delay", "1", "--fault", "result-changes"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        def health() -> dict[str, Any] | None:
            try:
                return dict(httpx.get(f"http://127.0.0.1:{port}/_asyncpay/health").json())
            except httpx.TransportError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                return None

        assert wait_until(health, 10, "the CLI server answers") == {
            "ok": True, "faults": ["result-changes"]}
        clock = httpx.get(f"http://127.0.0.1:{port}/_asyncpay/clock").json()
        assert clock["mode"] == "real"
    finally:
        server.terminate()
        server.wait(timeout=10)
        if server.stderr:
            server.stderr.close()

