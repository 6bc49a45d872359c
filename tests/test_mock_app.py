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
from asyncpay.config.profile import MOCK_ENTITY_ID, MOCK_SECRET_KEY, MOCK_SHOP_ID, MOCK_TOKEN, OPP_OUTCOMES
from asyncpay.mock import FAULTS, Fault, MockConfig, create_app
from asyncpay.mock.__main__ import fault_table, main
from asyncpay.mock.testing import MockServer
from asyncpay.waiting.receiver import Receiver

#: Seconds to wait for what should happen by itself (a task completing on the real clock, a
#: server starting): a guard against a hang that fails with a clear message, never a measured property.
HANG_GUARD = 30.0


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    with MockServer(faults=["stuck-processing"]) as running:
        yield running


def wait_until(condition: Callable[[], Any], what: str) -> Any:
    """Poll ``condition`` until it returns something truthy; fail if it still has not after
    ``HANG_GUARD`` seconds (a hang, not slowness)."""
    deadline = time.monotonic() + HANG_GUARD
    while not (outcome := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: still not after {HANG_GUARD:g} s, so it hangs")
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


def test_virtual_clock_starts_at_the_wall_time_and_moves_only_when_advanced() -> None:
    created = time.time()
    with MockServer() as mock:
        started = time.time()
        before = mock.anonymous.get("/_asyncpay/clock").json()
        assert before["mode"] == "virtual"
        assert created <= before["now"] <= started  # the wall time of the mock's creation
        assert mock.anonymous.get("/_asyncpay/clock").json()["now"] == before["now"]
        assert mock.advance(90.5) == before["now"] + 90.5
        assert mock.anonymous.get("/_asyncpay/clock").json()["now"] == before["now"] + 90.5


@pytest.mark.parametrize("body", [{"seconds": -1}, {"seconds": "1"}, {}, [], {"seconds": True}])
def test_advance_refuses_bad_input(mock: MockServer, body: Any) -> None:
    assert mock.anonymous.post("/_asyncpay/clock/advance", json=body).status_code == 422


def test_real_clock_runs_tasks_and_notifications_by_itself() -> None:
    with MockServer(clock="real", processing_delay=0.1, pending_delay=0.1) as mock, \
            Receiver() as receiver:
        asked = time.time()
        clock = mock.anonymous.get("/_asyncpay/clock").json()
        answered = time.time()
        assert clock["mode"] == "real" and asked <= clock["now"] <= answered  # the wall clock
        assert mock.anonymous.post("/_asyncpay/clock/advance",
                                   json={"seconds": 1}).status_code == 409
        request_id = mock.create_task()["request_id"]
        wait_until(lambda: mock.status(request_id).json()["status"] == "completed",
                   "the task completes")
        assert mock.result(request_id).status_code == 200

        url = receiver.endpoint("real-clock")
        # No request reaches the mock while the ticker alone makes the payment final.
        payment_id = mock.pay(notificationUrl=url, **OPP_OUTCOMES["pending"]).json()["id"]
        hit = receiver.wait_for(lambda r: r.path == urlsplit(url).path, timeout=HANG_GUARD,
                                describe="the notification")
        assert hit.param("id") == payment_id


def test_real_clock_expires_results_by_itself() -> None:
    """Results are kept ``retention`` seconds from the task's creation, then answer 404, with no
    request moving the clock. Each read is judged by the wall clock around it, so slow reads race
    nothing: a read that ended before the earliest possible expiry must not be 404, a read sent
    after the latest possible expiry must be. (That a 200 result is kept, read for read, is
    checked on the virtual clock: tests/test_mock_faults.py, expires-early.)"""
    retention = 0.5
    reads: list[tuple[float, float, int]] = []  # (sent, answered, HTTP status)
    with MockServer(clock="real", processing_delay=0.1, retention=retention) as mock:
        before = time.time()
        request_id = mock.create_task()["request_id"]
        after = time.time()
        earliest, latest = before + retention, after + retention  # the expiry lies in between
        while not reads or reads[-1][0] < latest:
            sent = time.time()
            status = mock.result(request_id).status_code
            reads.append((sent, time.time(), status))
            time.sleep(0.02)
    kept = [status for sent, answered, status in reads if answered < earliest]
    gone = [status for sent, answered, status in reads if sent >= latest]
    assert 404 not in kept, f"the result was gone before the retention: {reads}"
    assert gone == [404], f"the result was still there after the retention: {reads}"


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

        assert wait_until(health, "the CLI server answers") == {
            "ok": True, "faults": ["result-changes"]}
        clock = httpx.get(f"http://127.0.0.1:{port}/_asyncpay/clock").json()
        assert clock["mode"] == "real"
    finally:
        server.terminate()
        server.wait(timeout=10)
        if server.stderr:
            server.stderr.close()



def test_the_readme_recipe_for_a_separate_mock_tests_both_gateways(
        capsys: pytest.CaptureFixture[str], tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    # README: start the mock, export the credentials its --help prints, run with profiles/mock.toml.
    from pathlib import Path

    from asyncpay.config.profile import load_profile
    from asyncpay.wire import testdata

    with pytest.raises(SystemExit):
        main(["--help"])
    exports = dict(pair.split("=", 1) for line in capsys.readouterr().out.splitlines()
                   if line.startswith("  export ") for pair in line.split()[1:])
    root = Path(__file__).resolve().parent.parent
    assert "profiles/mock.toml" in (root / "README.md").read_text(encoding="utf-8")
    for name, value in exports.items():
        monkeypatch.setenv(name, value)

    profile = load_profile(root / "profiles" / "mock.toml")

    assert exports["MOCK_SECRET_KEY"] == testdata.MOCK_SECRET_KEY
    assert profile.overpay is not None and profile.overpay.shop_id == testdata.MOCK_SHOP_ID
    assert profile.opp is not None and profile.opp.token == testdata.MOCK_TOKEN
