"""Real-time overlap keeps pytest's semantics: a test pytest would not run sends nothing.

Each run points a real-clock profile at a gateway that counts what it is sent (every answer an
empty JSON object). A suite test "sends" by asking its gateway for ``/sent/<name>``; the
assertions read which of those paths the gateway saw.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from asyncpay.testing.runs import CREDENTIALS, FAST_TIMING, profile_toml
from asyncpay.wire.server import BackgroundServer

pytest_plugins = ["pytester"]


class CountingGateway:
    """An ASGI app that answers every request with ``{}`` and keeps the paths it was sent."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self._lock = threading.Lock()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        with self._lock:
            self.paths.append(scope["path"])
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": b"{}"})

    def sent(self) -> set[str]:
        """The names of the tests whose bodies sent (``/sent/<name>``)."""
        with self._lock:
            return {path.removeprefix("/sent/") for path in self.paths if path.startswith("/sent/")}


@pytest.fixture
def gateway() -> Iterator[CountingGateway]:
    app = CountingGateway()
    server = BackgroundServer(app).start()
    app.url = server.url  # type: ignore[attr-defined]
    try:
        yield app
    finally:
        server.stop()


def _run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, gateway: CountingGateway, suite: str,
         *args: str, conftest: str = "") -> pytest.RunResult:
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    profile = pytester.path / "profile.toml"
    profile.write_text(profile_toml(overpay=gateway.url, timing=FAST_TIMING))  # type: ignore[attr-defined]
    pytester.makepyfile(test_suite=HEADER + suite)
    if conftest:
        pytester.makeconftest(conftest)
    return pytester.runpytest("-p", "no:cacheprovider", "-p", "no:randomly", "--asyncpay-profile", str(profile),
                              "--asyncpay-no-reports", *args)


HEADER = '''
import threading
import pytest

LAST_STARTED = threading.Event()
SET_UP, TORN_DOWN = [], []

def send(gateway, name):
    gateway.client.send("GET", "/sent/" + name)

@pytest.mark.rule("overpay.task-answer")
def test_first(overpay):
    send(overpay, "first")
    # Overlap is on: the last test's body starts while this one still runs.
    assert LAST_STARTED.wait(10), "the last overlapped body had not started"
'''

LAST = '''
@pytest.mark.rule("overpay.task-answer")
def test_last_overlapped(overpay):
    LAST_STARTED.set()
    send(overpay, "last")

@pytest.mark.rule("overpay.task-answer")
def test_zz_in_place(overpay):
    send(overpay, "in-place")
'''


def test_a_skip_marked_test_sends_nothing(pytester, monkeypatch, gateway):
    result = _run(pytester, monkeypatch, gateway, '''
@pytest.mark.skip(reason="not today")
@pytest.mark.rule("overpay.task-answer")
def test_skipped(overpay):
    send(overpay, "skipped")
''' + LAST)

    result.assert_outcomes(passed=3, skipped=1)
    assert gateway.sent() == {"first", "last", "in-place"}


def test_a_skipif_test_sends_nothing(pytester, monkeypatch, gateway):
    result = _run(pytester, monkeypatch, gateway, '''
@pytest.mark.skipif(True, reason="not here")
@pytest.mark.rule("overpay.task-answer")
def test_skipped_if(overpay):
    send(overpay, "skipped-if")
''' + LAST)

    result.assert_outcomes(passed=3, skipped=1)
    assert gateway.sent() == {"first", "last", "in-place"}


def test_an_xfail_not_run_test_sends_nothing(pytester, monkeypatch, gateway):
    result = _run(pytester, monkeypatch, gateway, '''
@pytest.mark.xfail(run=False, reason="known broken")
@pytest.mark.rule("overpay.task-answer")
def test_not_run(overpay):
    send(overpay, "not-run")
''' + LAST)

    result.assert_outcomes(passed=3, xfailed=1)
    assert gateway.sent() == {"first", "last", "in-place"}


def test_an_xfail_that_runs_is_reported_as_pytest_would(pytester, monkeypatch, gateway):
    result = _run(pytester, monkeypatch, gateway, '''
@pytest.mark.xfail(reason="known broken")
@pytest.mark.rule("overpay.task-answer")
def test_expected_to_fail(overpay):
    send(overpay, "expected-to-fail")
    assert False
''' + LAST)

    result.assert_outcomes(passed=3, xfailed=1)
    assert gateway.sent() == {"first", "expected-to-fail", "last", "in-place"}


def test_a_test_a_setup_hook_skips_sends_nothing(pytester, monkeypatch, gateway):
    result = _run(pytester, monkeypatch, gateway, '''
@pytest.mark.rule("overpay.task-answer")
def test_hook_skips_me(overpay):
    send(overpay, "hook-skips-me")
''' + LAST, conftest='''
import pytest

def pytest_runtest_setup(item):
    if "skips_me" in item.name:
        pytest.skip("the user's conftest skips it")
''')

    result.assert_outcomes(passed=3, skipped=1)
    assert gateway.sent() == {"first", "last", "in-place"}


def test_a_deselected_test_sends_nothing(pytester, monkeypatch, gateway):
    result = _run(pytester, monkeypatch, gateway, '''
@pytest.mark.rule("overpay.task-answer")
def test_deselected(overpay):
    send(overpay, "deselected")
''' + LAST, "-k", "not deselected")

    result.assert_outcomes(passed=3)
    assert gateway.sent() == {"first", "last", "in-place"}


def test_an_autouse_fixture_runs_before_the_body(pytester, monkeypatch, gateway):
    # A test with a fixture of the user's runs in place: set up before its body, torn down after it.
    result = _run(pytester, monkeypatch, gateway, """
@pytest.mark.rule("overpay.task-answer")
@pytest.mark.parametrize("n", range(3))
def test_sees_its_fixture(overpay, n):
    name = f"test_sees_its_fixture[{n}]"
    assert name in SET_UP, SET_UP
    assert name not in TORN_DOWN, TORN_DOWN
    send(overpay, name)
""", "-k", "sees_its_fixture", conftest="""
import pytest

@pytest.fixture(autouse=True)
def record(request):
    import test_suite
    test_suite.SET_UP.append(request.node.name)
    yield
    test_suite.TORN_DOWN.append(request.node.name)
""")

    result.assert_outcomes(passed=3)
    assert gateway.sent() == {f"test_sees_its_fixture[{n}]" for n in range(3)}


def test_after_an_x_stop_no_further_test_sends(pytester, monkeypatch, gateway):
    result = _run(pytester, monkeypatch, gateway, '''
@pytest.mark.rule("overpay.task-answer")
def test_fails(overpay):
    assert False, "broken"

@pytest.fixture
def gate():
    """A fixture of the test file's own: its test runs in place, after the failing bodies have ended."""
    for thread in threading.enumerate():
        if thread.name.startswith("asyncpay-body"):
            thread.join(10)

def test_gate(overpay, gate):
    send(overpay, "gate")
''' + LAST, "-x", "--deselect", "test_suite.py::test_first")

    # The gate runs only if the failure was not reported yet when pytest reached it.
    outcomes = result.parseoutcomes()
    assert outcomes["failed"] == 1 and outcomes.get("passed", 0) <= 1, outcomes
    assert gateway.sent() <= {"gate"}


def test_maxfail_stops_new_work_at_its_count(pytester, monkeypatch, gateway):
    result = _run(pytester, monkeypatch, gateway, '''
@pytest.mark.rule("overpay.task-answer")
def test_fails_once(overpay):
    assert False, "broken"

@pytest.mark.rule("overpay.task-answer")
def test_fails_twice(overpay):
    assert False, "broken"

@pytest.fixture
def gate():
    for thread in threading.enumerate():
        if thread.name.startswith("asyncpay-body"):
            thread.join(10)

def test_gate(overpay, gate):
    send(overpay, "gate")
''' + LAST, "--maxfail", "2", "--deselect", "test_suite.py::test_first")

    outcomes = result.parseoutcomes()
    assert outcomes["failed"] == 2 and outcomes.get("passed", 0) <= 1, outcomes
    assert gateway.sent() <= {"gate"}


def test_sequential_option_turns_the_overlap_off(pytester, monkeypatch, gateway):
    result = _run(pytester, monkeypatch, gateway, LAST, "--asyncpay-sequential")

    result.assert_outcomes(failed=1, passed=2)
    result.stdout.fnmatch_lines(["*the last overlapped body had not started*"])


def test_no_private_pytest_attribute_in_the_package():
    import re
    from pathlib import Path

    private = re.compile(r"\._fixtureinfo|item\._|_pytest\.")
    package = Path(__file__).resolve().parent.parent / "asyncpay"
    found = [f"{path.relative_to(package.parent)}:{number}: {line.strip()}"
             for path in sorted(package.rglob("*.py"))
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if private.search(line)]
    assert found == []
