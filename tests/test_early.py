"""Against a real-time gateway the suite bodies start together, so their waits overlap."""

import pytest

from asyncpay.mock.testing import MockServer
from asyncpay.testing.runs import CREDENTIALS, FAST_TIMING, profile_toml

pytest_plugins = ["pytester"]

# The first test can only finish if the second one's body runs while the first is still waiting:
# one after another, the first would wait out its 10 s guard and fail.
SUITE = '''
import threading
import pytest

SECOND_STARTED = threading.Event()

@pytest.mark.rule("overpay.task-answer")
def test_first(overpay):
    assert SECOND_STARTED.wait(10), "the second test's body had not started"

@pytest.mark.rule("overpay.task-answer")
def test_second(overpay):
    SECOND_STARTED.set()

@pytest.mark.rule("overpay.task-answer")
def test_asks_for_another_fixture(overpay, tmp_path):
    pass
'''


@pytest.fixture(scope="module")
def real_mock():
    with MockServer(clock="real", retention=30) as running:
        yield running


def _run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, mock: MockServer, *args: str):
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    profile = pytester.path / "profile.toml"
    profile.write_text(profile_toml(overpay=mock.url, timing=FAST_TIMING))
    pytester.makepyfile(test_suite=SUITE)
    return pytester.runpytest("-p", "no:cacheprovider", "--asyncpay-profile", str(profile),
                              "--asyncpay-no-reports", *args)


def test_bodies_start_together_in_real_time(pytester, monkeypatch, real_mock):
    result = _run(pytester, monkeypatch, real_mock)

    result.assert_outcomes(passed=3)


def test_sequential_option_runs_them_in_order(pytester, monkeypatch, real_mock):
    result = _run(pytester, monkeypatch, real_mock, "--asyncpay-sequential", "-k", "first", "-o",
                  "python_functions=test_first")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*the second test's body had not started*"])


# Early bodies ask for the session's gateways and receiver from many threads at once: each must
# still be made once, or tests would wait for notifications on a receiver nobody sends to.
SHARED = '''
import pytest

SEEN = []

@pytest.mark.rule("overpay.task-answer")
@pytest.mark.parametrize("n", range(12))
def test_asks(overpay, receiver, n):
    SEEN.append((id(overpay), id(receiver)))

@pytest.mark.rule("overpay.task-answer")
def test_zz_all_the_same(overpay, receiver):
    assert set(SEEN) == {(id(overpay), id(receiver))}, SEEN
'''


def test_early_bodies_share_one_gateway_and_one_receiver(pytester, monkeypatch, real_mock):
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    profile = pytester.path / "profile.toml"
    profile.write_text(profile_toml(overpay=real_mock.url, timing=FAST_TIMING))
    pytester.makepyfile(test_suite=SHARED)

    result = pytester.runpytest("-p", "no:cacheprovider", "--asyncpay-profile", str(profile),
                                "--asyncpay-no-reports")

    result.assert_outcomes(passed=13)
