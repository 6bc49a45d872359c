"""The process's watchdog: one thread fires each deadline's callback once it has passed."""

from __future__ import annotations

import threading

from asyncpay.waiting.deadline import Deadline
from asyncpay.waiting.watchdog import Watchdog

#: Generous bound on waiting for a callback that is due now (not a speed requirement).
PATIENCE = 30.0


class PushedBack:
    """A deadline the harness's stalls push back once: due at first, then ``extra`` s more."""

    def __init__(self, extra: float) -> None:
        self.answers = [0.0, extra]
        self.asked = 0

    def remaining(self) -> float:
        self.asked += 1
        return self.answers.pop(0) if self.answers else 0.0


def test_a_passed_deadline_fires_its_callback_once() -> None:
    dog, fired = Watchdog(), []
    done = threading.Event()
    watch = dog.watch(Deadline(0.0), lambda: (fired.append(1), done.set()))

    assert done.wait(PATIENCE)
    assert fired == [1] and watch.fired


def test_a_cancelled_watch_never_fires() -> None:
    dog, fired = Watchdog(), []
    cancelled = dog.watch(Deadline(0.0), lambda: fired.append("cancelled"))
    cancelled.cancel()
    done = threading.Event()
    dog.watch(Deadline(0.0), done.set)  # due after the cancelled one: it has been passed over

    assert done.wait(PATIENCE)
    assert fired == [] and not cancelled.fired


def test_a_deadline_pushed_back_by_a_stall_is_re_armed_not_fired() -> None:
    dog = Watchdog()
    deadline = PushedBack(extra=0.05)
    done = threading.Event()
    dog.watch(deadline, done.set)

    assert done.wait(PATIENCE)
    # Asked when registered (due now), at the due time (0.05 s more: re-armed), and again (spent).
    assert deadline.asked == 3


def test_a_failing_callback_does_not_stop_the_watchdog() -> None:
    dog = Watchdog()

    def broken() -> None:
        raise RuntimeError("a bad callback")

    dog.watch(Deadline(0.0), broken)
    done = threading.Event()
    dog.watch(Deadline(0.0), done.set)

    assert done.wait(PATIENCE)
