"""A gateway that cannot be reached stops the run before the suites start, with one line."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from asyncpay.config.profile import embedded_profile
from asyncpay.errors import HarnessError
from asyncpay.http.reachability import check_reachable, problem
from asyncpay.mock.testing import MockServer
from asyncpay.testing.runs import FAST_TIMING, profile_toml, run_suites

ROOT = Path(__file__).resolve().parent.parent
USAGE_ERROR = 4  # pytest's exit code for a usage error: a bad profile's too


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens there once the socket is closed


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never says a word."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield int(sock.getsockname()[1])


def test_a_closed_port_is_refused(closed_port: int) -> None:
    assert "connection refused" in (problem(f"http://127.0.0.1:{closed_port}/async", 2.0) or "")


def test_a_listening_gateway_is_reachable(mock: MockServer) -> None:
    assert problem(mock.url, 2.0) is None  # the mock answers / with 404: any answer will do


def test_a_connection_that_opens_is_left_to_the_suites(silent_port: int) -> None:
    assert problem(f"http://127.0.0.1:{silent_port}", 0.5) is None


def test_a_host_that_does_not_resolve_is_named() -> None:
    assert problem("https://gateway.example.invalid", 2.0) is not None


def test_the_embedded_mock_is_not_checked() -> None:
    check_reachable(embedded_profile())  # no base URL yet, nothing to check: no error


def test_the_message_names_gateway_url_and_what_to_check(closed_port: int, tmp_path: Path) -> None:
    from asyncpay.config.profile import load_profile
    profile_path = tmp_path / "p.toml"
    profile_path.write_text(profile_toml(overpay=f"http://127.0.0.1:{closed_port}/base"))
    with pytest.MonkeyPatch.context() as env:
        env.setenv("MOCK_SHOP_ID", "1")
        env.setenv("MOCK_SECRET_KEY", "k")
        profile = load_profile(profile_path, [])
    with pytest.raises(HarnessError) as caught:
        check_reachable(profile)
    message = str(caught.value)
    assert "\n" not in message
    assert f"overpay gateway http://127.0.0.1:{closed_port}/ cannot be reached: connection refused" in message
    assert "base_url" in message and str(profile_path) in message


def test_a_run_against_nothing_stops_with_one_line(closed_port: int, tmp_path: Path) -> None:
    profile = tmp_path / "nothing.toml"
    profile.write_text(profile_toml(overpay=f"http://127.0.0.1:{closed_port}", timing=FAST_TIMING))
    run = run_suites(["suites/scenarios/overpay"], profile=profile, reports=tmp_path / "reports", cwd=ROOT)

    assert run.returncode == USAGE_ERROR, run.tail()
    errors = [line for line in run.output.splitlines() if line.startswith("ERROR")]
    assert len(errors) == 1 and "cannot be reached: connection refused" in errors[0], run.tail()
    assert "transport.answers" not in run.output
    assert not (tmp_path / "reports").exists()

    bad = tmp_path / "bad.toml"
    bad.write_text("[overpay]\n")
    assert run_suites(["suites/scenarios/overpay"], profile=bad, reports=tmp_path / "r2",
                      cwd=ROOT).returncode == USAGE_ERROR  # a profile error: the same exit code
