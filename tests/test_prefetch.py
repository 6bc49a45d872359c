"""Generated cases drawn ahead in a child process: every batch arrives, errors come back."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings
from hypothesis import strategies as st

from asyncpay.errors import HarnessError
from asyncpay.realtime import prefetch
from asyncpay.schemas.generation import GeneratedCases, check_batches, draw_batches

pytestmark = pytest.mark.skipif(not prefetch.FORK_SAFE, reason="no safe fork here: the suites draw in-process")


def _drawer_pid(_: object) -> int:
    return os.getpid()


def test_every_batch_is_drawn_in_another_process_and_arrives() -> None:
    triples = GeneratedCases(st.integers().map(_drawer_pid), 3)
    singles = GeneratedCases(st.text(), 1)
    ahead = prefetch.start([triples, singles], draw_batches)
    assert ahead is not None
    try:
        batches = list(prefetch.take(triples) or [])
        assert len(batches) == settings().max_examples
        assert all(len(batch) == 3 for batch in batches)
        assert {pid for batch in batches for pid in batch} == {ahead.pid} != {os.getpid()}
        assert len(list(prefetch.take(singles) or [])) == settings().max_examples
        assert prefetch.take(triples) is None  # taken once; a second use draws in-process
    finally:
        prefetch.stop(ahead)


def test_a_drawing_error_is_raised_in_the_suite_that_asked() -> None:
    broken = GeneratedCases(st.integers().map(lambda n: n // 0), 1)
    fine = GeneratedCases(st.integers(), 1)
    ahead = prefetch.start([broken, fine], draw_batches)
    try:
        with pytest.raises(HarnessError, match="ZeroDivisionError"):
            list(prefetch.take(broken) or [])
        assert len(list(prefetch.take(fine) or [])) == settings().max_examples  # the others still come
    finally:
        prefetch.stop(ahead)


def test_a_drawing_process_that_dies_fails_the_suites_still_waiting() -> None:
    dying = GeneratedCases(st.integers().map(lambda n: os._exit(3)), 1)
    ahead = prefetch.start([dying], draw_batches)
    try:
        with pytest.raises(HarnessError, match="ended before it had drawn every case"):
            list(prefetch.take(dying) or [])
    finally:
        prefetch.stop(ahead)


def test_a_silent_drawing_process_is_given_up_on(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    monkeypatch.setattr(prefetch, "SILENCE_LIMIT", 0.5)
    silent = GeneratedCases(st.integers().map(lambda n: time.sleep(3600)), 1)
    ahead = prefetch.start([silent], draw_batches)
    try:
        with pytest.raises(HarnessError, match="sent no generated case for 0.5 s"):
            list(prefetch.take(silent) or [])
    finally:
        prefetch.stop(ahead)  # and the child is killed


def test_a_real_time_suite_checks_the_drawn_ahead_cases() -> None:
    generated = GeneratedCases(st.integers().map(_drawer_pid), 2)
    ahead = prefetch.start([generated], draw_batches)
    assert ahead is not None
    checked: list[int] = []
    try:
        check_batches(generated, checked.append, real_time=True)
    finally:
        prefetch.stop(ahead)

    assert len(checked) == settings().max_examples * 2
    assert set(checked) == {ahead.pid}


def test_without_a_drawing_process_a_suite_draws_in_process() -> None:
    generated = GeneratedCases(st.integers().map(_drawer_pid), 2)
    checked: list[int] = []

    check_batches(generated, checked.append, real_time=True)

    assert set(checked) == {os.getpid()} and len(checked) == settings().max_examples * 2
