"""Installed but not used, the plugin does nothing: a project's unrelated test run loads no profile,
starts no server, installs no logging hook and writes no reports."""

from __future__ import annotations

import json
from pathlib import Path

from asyncpay.testing.runs import start_pytest

pytest_plugins = ["pytester"]

UNRELATED = '''
def test_arithmetic():
    assert 1 + 1 == 2
'''
# Written where the run starts: it looks at the process from inside, after everything ran.
PROBE = '''
import atexit, gc, json, logging, threading

# Registered first, so it runs last: what the interpreter's final garbage collection will see.
atexit.register(lambda: open("frozen.txt", "w").write(str(gc.get_freeze_count())))

def pytest_unconfigure(config):
    from asyncpay.pytest import plugin
    from asyncpay.waiting import progress
    state = {
        "plugin_loaded": config.pluginmanager.has_plugin("asyncpay"),
        "profile_loaded": plugin.in_use(config),
        "servers": [t.name for t in threading.enumerate() if t.name.startswith("asyncpay")],
        "logging_hook": bool(getattr(logging.getLogRecordFactory(), "asyncpay", False)),
        "progress_board": progress.current() is not None,
    }
    with open("state.json", "w") as f:
        json.dump(state, f)
'''


def test_an_unrelated_run_leaves_no_trace(tmp_path: Path) -> None:
    (tmp_path / "test_unrelated.py").write_text(UNRELATED)
    (tmp_path / "conftest.py").write_text(PROBE)
    run = start_pytest(["test_unrelated.py", "-p", "no:cacheprovider"], cwd=tmp_path,
                       log=tmp_path / "output.txt").wait()

    assert run.returncode == 0, run.tail()
    state = json.loads((tmp_path / "state.json").read_text())
    assert state == {"plugin_loaded": True, "profile_loaded": False, "servers": [], "logging_hook": False,
                     "progress_board": False}
    assert not (tmp_path / "reports").exists()
    assert (tmp_path / "frozen.txt").read_text() == "0"  # the heap is left to the usual exit
    assert "asyncpay:" not in run.output  # no section, no progress line (the plugins line names it)


def test_naming_an_option_puts_it_to_use(tmp_path: Path) -> None:
    (tmp_path / "test_unrelated.py").write_text(UNRELATED)
    (tmp_path / "conftest.py").write_text(PROBE)
    run = start_pytest(["test_unrelated.py", "-p", "no:cacheprovider", "--asyncpay-request-timeout", "3"],
                       cwd=tmp_path, log=tmp_path / "output.txt").wait()

    assert run.returncode == 0, run.tail()
    state = json.loads((tmp_path / "state.json").read_text())
    assert state["profile_loaded"] and state["logging_hook"]
    assert not (tmp_path / "reports").exists()  # no check ran: nothing to report
    assert int((tmp_path / "frozen.txt").read_text()) > 0  # no last walk over the heap at exit


FROZEN_DURING_RUN = '''
import gc
import pytest

@pytest.mark.rule("overpay.task-answer")
def test_the_start_up_heap_is_frozen(overpay):
    assert gc.get_freeze_count() > 0
'''


def test_a_suite_run_freezes_its_start_up_heap_and_thaws_it_at_the_end(pytester) -> None:
    import gc

    pytester.makepyfile(test_frozen=FROZEN_DURING_RUN)
    result = pytester.runpytest("-p", "no:cacheprovider", "--asyncpay-no-reports")

    result.assert_outcomes(passed=1)
    assert gc.get_freeze_count() == 0


KEEPS_OBJECTS = '''
import gc
import pytest

KEPT = []

@pytest.mark.rule("overpay.task-answer")
def test_keeps_objects_alive(overpay):
    KEPT.extend([] for _ in range(10_000))
    with open("frozen-during-test.txt", "w") as out:
        out.write(str(gc.get_freeze_count()))
'''


def test_pytests_own_last_collections_skip_the_run_s_heap(pytester, monkeypatch) -> None:
    # pytest collects garbage at its end (unraisable-exception checks); by then a suite run has
    # frozen all it keeps (here 10,000 lists made during the test), and thaws it only after them.
    import gc

    import _pytest.unraisableexception as unraisable

    frozen_at_collection: list[int] = []
    collect = unraisable.gc_collect_harder
    monkeypatch.setattr(unraisable, "gc_collect_harder",
                        lambda iterations: (frozen_at_collection.append(gc.get_freeze_count()), collect(iterations)))
    pytester.makepyfile(test_kept=KEEPS_OBJECTS)
    result = pytester.runpytest("-p", "no:cacheprovider", "--asyncpay-no-reports")

    result.assert_outcomes(passed=1)
    during = int((pytester.path / "frozen-during-test.txt").read_text())
    assert len(frozen_at_collection) == 2
    assert all(count >= during + 10_000 for count in frozen_at_collection)
    assert gc.get_freeze_count() == 0
