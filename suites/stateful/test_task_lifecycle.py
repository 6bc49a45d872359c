"""A Hypothesis state machine over Overpay's asynchronous task lifecycle.

It interleaves creating tasks of every outcome, reading their status and result URLs in any
order and any number of times, reading unknown request ids, and moving time on — in small steps,
and to just before and just after each task's retention edge. Every answer goes through the
lifecycle model (asyncpay.gateways.overpay.lifecycle), so faults that only show in some interleaving (reading the
status consumes the one-time error; a result that vanishes after its first read) fail here.
On a real clock its waits are short (a polling interval each) and add up to at most the
profile's retention over the whole run: the machine is for interleavings, and never outlasts
the retention scenario, the run's longest wait.
"""

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    multiple,
    rule,
    run_state_machine_as_test,
)

from asyncpay.checks import overpay as checks
from asyncpay.errors import NotVerified
from asyncpay.gateways.overpay.lifecycle import AnswerKind, Outcome
from asyncpay.gateways.overpay.merchant import OPERATION_TYPES
from asyncpay.pytest.plugin import undecided
from asyncpay.schemas.api_versions import transaction_of

pytestmark = pytest.mark.overpay


#: The rules a read may settle only at some moment of a task's life, and what the machine must
#: have seen for a pass to count for them.
SETTLED_BY = {
    "overpay.completes": "a task seen to leave processing",
    "overpay.retention-kept": "a 200 result read inside its retention window",
    "overpay.retention-expiry": "a read past a task's retention",
    "overpay.error-once": "a validation error's task read again after its one-time delivery",
    "overpay.task-failure-once": "a failed task read again after its one-time delivery",
}


def settled_by(model, kind, at, delivered_before):
    """The rules of ``SETTLED_BY`` one read (of ``kind``, at target time ``at``) gave the machine
    something decisive for; a read that saw a task still processing settles none of them."""
    rules = set()
    if kind in (AnswerKind.RESULT, AnswerKind.COMPLETED, AnswerKind.ERROR):
        rules.add("overpay.completes")
    if kind is AnswerKind.RESULT and model.kept(at):
        rules.add("overpay.retention-kept")
    if kind is AnswerKind.UNKNOWN and model.expired(at):
        rules.add("overpay.retention-expiry")
    if delivered_before and kind is not AnswerKind.THROTTLED:
        rules.add(model.task.outcome.once_rule)
    return rules


def lifecycle_machine(gateway, created=None, settled=None):
    """The state machine class; every task it creates is appended to ``created``, and the rules
    of ``SETTLED_BY`` its reads settled are added to ``settled``."""
    created = created if created is not None else []
    settled = settled if settled is not None else set()
    outcomes = [o for o in (Outcome.SUCCESSFUL, Outcome.FAILED, Outcome.VALIDATION_ERROR,
                            Outcome.TASK_FAILURE) if o.value in gateway.target.outcomes]
    timing = gateway.target.timing
    clock = gateway.clock
    # In real time the machine is for interleavings: its waits stay within a polling interval
    # each, and within the profile's retention in all (the longest any scenario waits), so the
    # machine never outlasts the run's critical path. On the virtual clock waiting is free.
    budget = {"left": timing.retention}

    def real_wait(seconds: float) -> None:
        if seconds <= budget["left"]:
            budget["left"] -= seconds
            clock.advance(seconds)

    class TaskLifecycle(RuleBasedStateMachine):
        tasks = Bundle("tasks")

        def __init__(self):
            super().__init__()
            self.mine = []  # this example's tasks, for the retention sweep at its end

        @initialize(target=tasks)
        def one_task_of_each_outcome(self):
            tasks = [gateway.create(o, label=f"stateful-{o.value}") for o in outcomes]
            created.extend(tasks)
            self.mine.extend(tasks)
            return multiple(*tasks)

        @rule(target=tasks, outcome=st.sampled_from(outcomes),
              operation=st.sampled_from(["payments", "authorizations"]))
        def create(self, outcome, operation):
            task = gateway.create(outcome, operation=operation, label=f"stateful-{outcome.value}")
            created.append(task)
            self.mine.append(task)
            return task

        @rule(task=tasks, which=st.sampled_from(["status", "result"]))
        def read(self, task, which):
            model = gateway.model(task)
            delivered = model.deliveries
            try:
                kind, answer = gateway.read(task, which)  # the model raises on any broken rule
            except NotVerified:
                return  # this gateway does not honour the trigger: nothing to hold the task to
            settled.update(settled_by(model, kind, clock.now(), delivered))
            checks.processing_within_bound(answer, f"{which}_url of task {task.request_id}",
                                           since_answer=clock.now() - task.answered_at,
                                           bound=timing.processing_timeout, seen=list(model.history))
            transaction = transaction_of(answer.json)
            if kind is AnswerKind.RESULT and isinstance(transaction, dict):
                checks.result_matches_request(transaction, task.request, OPERATION_TYPES[task.operation],
                                              f"the result of task {task.request_id}")

        @rule(task=tasks, which=st.sampled_from(["status", "result"]))
        def read_twice(self, task, which):
            """Back-to-back reads: where one-time results get delivered twice."""
            self.read(task, which)
            self.read(task, which)

        @rule(task=tasks, first=st.sampled_from(["status", "result"]))
        def read_both(self, task, first):
            """Both URLs, one after the other: where one URL consumes what the other owes."""
            self.read(task, first)
            self.read(task, "result" if first == "status" else "status")

        @rule(which=st.sampled_from(["status", "result"]), task=tasks)
        def read_unknown(self, which, task):
            fresh, url = gateway.unknown_url(task, which)
            answer = gateway.client.send("GET", url, rule="overpay.urls-on-gateway", label="unknown id",
                                         repeatable=True)
            checks.unknown_404(answer, fresh, f"{which} URL of an unknown request_id")

        @rule(seconds=st.sampled_from([0.2, 1.0, 2.0, 5.0, 30.0]))
        def wait(self, seconds):
            if clock.virtual:
                clock.advance(seconds)
            elif seconds <= timing.poll_interval:
                real_wait(seconds)

        @rule(task=tasks, edge=st.sampled_from(["before", "after"]), which=st.sampled_from(["status", "result"]))
        def to_retention_edge(self, task, edge, which):
            """Move to a retention edge of ``task`` and read it there: the read that decides
            "kept" (before) or "expired" (after)."""
            slack = gateway.slack
            # "before": the latest read that must still find a 200 result (the retention less
            # one slack, less the time its answer may take); "after": both URLs 404 from then on.
            when = (gateway.latest_kept_read(task) if edge == "before"
                    else task.answered_at + timing.retention + slack)
            step = when - clock.now()
            # In real time an edge is only waited for when it is near: the retention scenario
            # waits for a whole retention once; the machine is for interleavings.
            near = clock.virtual or step <= max(timing.poll_interval, 0.25 * timing.retention)
            if step > 0 and near and clock.can_wait(step):
                if clock.virtual:
                    clock.advance(step)
                else:
                    real_wait(step)
                self.read(task, which)

        def teardown(self):
            """Every example ends with its tasks at their retention edges, in time order: the read
            that must still find each result, then the reads past each expiry (where the clock can
            get there: always on the virtual clock, only near edges in real time). Whatever the
            rules drew, the retention is judged on every task at least once."""
            for edge in ("before", "after"):
                for task in sorted(self.mine, key=lambda t: t.sent_at):
                    self.to_retention_edge(task, edge, "result")

    return TaskLifecycle


@pytest.mark.rule("overpay.task-answer", "overpay.status-shape", "overpay.completes", "overpay.no-going-back",
                  "overpay.result-shape", "overpay.result-matches-request", "overpay.result-stable",
                  "overpay.unknown-404", "overpay.retention-kept", "overpay.retention-expiry",
                  "overpay.error-once", "overpay.task-failure-once")
def test_task_lifecycle_state_machine(overpay, request):
    created, settled = [], set()
    machine = lifecycle_machine(overpay, created, settled)
    base = settings.default
    # On the mock's virtual clock runs are cheap; in real time every step is real traffic.
    examples, steps = (max(base.max_examples, 25), 40) if overpay.clock.virtual else (4, 15)
    run_state_machine_as_test(machine, settings=settings(base, max_examples=examples,
                                                         stateful_step_count=steps))
    # A pass counts only for the rules the machine saw something decisive for: its short waits
    # (in real time) may end before any task completes, keeps, expires or is read again.
    for rule_id, needed in SETTLED_BY.items():
        if rule_id not in settled:
            undecided(request.node, rule_id, f"the state machine ({len(created)} tasks) saw no {needed}")
