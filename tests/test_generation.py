"""Property-based runs: every drawn case is checked, concurrently against a real-time gateway."""

from __future__ import annotations

import threading

import pytest
from hypothesis import settings
from hypothesis import strategies as st

from asyncpay.schemas.generation import GeneratedCases, check_batches


def test_real_time_cases_all_run_and_overlap() -> None:
    examples = settings().max_examples
    seen: list[int] = []
    together = threading.Barrier(2, timeout=10)  # only passes if two checks wait at the same time

    def check(case: int) -> None:
        if len(seen) < 2:
            seen.append(case)
            together.wait()
        else:
            seen.append(case)

    check_batches(GeneratedCases(st.integers(), 3), check, real_time=True)

    assert len(seen) == examples * 3


def test_real_time_failure_names_its_case_after_every_case_ran() -> None:
    checked: list[int] = []

    def check(case: int) -> None:
        checked.append(case)
        if case == 0:  # Hypothesis's first, simplest case
            raise AssertionError("case 0 broke its rule")

    with pytest.raises(AssertionError, match="case 0 broke its rule") as failed:
        check_batches(GeneratedCases(st.integers(min_value=0), 2), check, real_time=True)

    assert "while checking" in "".join(getattr(failed.value, "__notes__", []))
    assert len(checked) == settings().max_examples * 2  # nothing cut short by the failure


def test_virtual_clock_cases_run_in_order_in_batches() -> None:
    running = threading.Lock()

    def check(case: int) -> None:
        assert running.acquire(blocking=False), "two checks ran at once on the virtual clock"
        running.release()

    check_batches(GeneratedCases(st.integers(), 4), check, real_time=False)


@pytest.mark.parametrize("real_time", [True, False])
def test_a_case_that_cannot_be_checked_never_hides_one_that_failed(real_time: bool) -> None:
    from asyncpay.errors import NotVerified

    def check(case: int) -> None:
        if case == 0:  # drawn first: Hypothesis's simplest case
            raise NotVerified("overpay.completes", "every read was throttled")
        if case >= 5:
            raise AssertionError(f"case {case} broke its rule")

    with pytest.raises(AssertionError, match="broke its rule"):
        check_batches(GeneratedCases(st.integers(min_value=0, max_value=1000), 2), check, real_time=real_time)


@pytest.mark.parametrize("real_time", [True, False])
def test_cases_that_cannot_be_checked_leave_the_run_not_verified(real_time: bool) -> None:
    from asyncpay.errors import NotVerified

    checked: list[int] = []

    def check(case: int) -> None:
        checked.append(case)
        if case == 0:
            raise NotVerified("overpay.completes", "every read was throttled")

    with pytest.raises(NotVerified):
        check_batches(GeneratedCases(st.integers(min_value=0, max_value=1000), 2), check, real_time=real_time)
    assert len(checked) == settings().max_examples * 2  # the others were still checked


@pytest.mark.parametrize("real_time", [True, False])
def test_explicit_cases_are_checked_on_every_run_whatever_is_drawn(real_time: bool) -> None:
    from asyncpay.schemas.generation import explicit_case

    checked: list[object] = []
    unwrapped = explicit_case("POST", "/async/transactions/payments", {"amount": 100})
    generated = GeneratedCases(st.integers(), 2, explicit=[unwrapped])

    check_batches(generated, checked.append, real_time=real_time)

    assert sum(case is unwrapped for case in checked) == 1 and unwrapped.negative
    assert len(checked) == 1 + settings().max_examples * 2
