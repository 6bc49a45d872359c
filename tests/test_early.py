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
