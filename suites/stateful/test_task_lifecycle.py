"""A Hypothesis state machine over Overpay's asynchronous task lifecycle.

It interleaves creating tasks of every outcome, reading their status and result URLs in any
order and any number of times, reading unknown request ids, and moving time on — in small steps,
and to just before and just after each task's retention edge. Every answer goes through the
lifecycle model (asyncpay.lifecycle), so faults that only show in some interleaving (reading the
status consumes the one-time error; a result that vanishes after its first read) fail here.
On a real clock, time only moves as far as the profile's max_wait allows.
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

from asyncpay.api_versions import transaction_of
from asyncpay.errors import ContractViolation, NotVerified
from asyncpay.lifecycle import Kind, Outcome
from asyncpay.overpay import OPERATION_TYPES

pytestmark = pytest.mark.overpay


def lifecycle_machine(gateway):
    outcomes = [o for o in (Outcome.SUCCESSFUL, Outcome.FAILED, Outcome.VALIDATION_ERROR,
                            Outcome.TASK_FAILURE) if o.value in gateway.target.outcomes]
    timing = gateway.target.timing
    clock = gateway.clock

    class TaskLifecycle(RuleBasedStateMachine):
        tasks = Bundle("tasks")

        @initialize(target=tasks)
        def one_task_of_each_outcome(self):
            return multiple(*(gateway.create(o, label=f"stateful-{o.value}") for o in outcomes))

        @rule(target=tasks, outcome=st.sampled_from(outcomes),
              operation=st.sampled_from(["payments", "authorizations"]))
        def create(self, outcome, operation):
            return gateway.create(outcome, operation=operation, label=f"stateful-{outcome.value}")

        @rule(task=tasks, which=st.sampled_from(["status", "result"]))
        def read(self, task, which):
            try:
                kind, answer = gateway.read(task, which)  # the model raises on any broken rule
            except NotVerified:
                return  # this gateway does not honour the trigger: nothing to hold the task to
            model = gateway.model(task)
            if kind is Kind.PROCESSING and clock.now() > task.created_hi + timing.processing_timeout:
                raise ContractViolation("overpay.completes", f"task {task.request_id} still processing",
                                        expected=f"completed within {timing.processing_timeout:g} s",
                                        received=model.history[-6:])
            if kind is Kind.RESULT:
                self.matches_request(task, answer.json)

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

        def matches_request(self, task, body):
            transaction = transaction_of(body)
            if transaction is None:
                return
            want = {"type": OPERATION_TYPES[task.operation], "amount": task.request.get("amount"),
                    "currency": task.request.get("currency"), "tracking_id": task.request.get("tracking_id")}
            got = {k: transaction.get(k) for k in want}
            if got != want:
                raise ContractViolation("overpay.result-matches-request",
                                        f"the result of task {task.request_id} does not answer its request",
                                        expected=want, received=got)

        @rule(which=st.sampled_from(["status", "result"]), task=tasks)
        def read_unknown(self, which, task):
            fresh = gateway.fresh_request_id(task.request_id)
            own = task.status_url if which == "status" else task.response_url
            url = gateway.sibling_url(own, task.request_id, fresh, f"/async/{which}/{fresh}")
            answer = gateway.client.send("GET", url, rule="overpay.urls-on-gateway", label="unknown id")
            body = answer.json if isinstance(answer.json, dict) else {}
            if answer.status_code != 404 or body.get("status") != "unknown" or str(body.get("request_id")) != fresh:
                raise ContractViolation("overpay.unknown-404", f"{which} URL of an unknown request_id",
                                        expected={"http": 404, "body": {"status": "unknown", "request_id": fresh}},
                                        received=answer.summary())

        @rule(seconds=st.sampled_from([0.2, 1.0, 2.0, 5.0, 30.0]))
        def wait(self, seconds):
            # In real time, waits stay at polling scale: the machine is for interleavings.
            if clock.virtual or seconds <= 2 * timing.poll_interval:
                clock.advance(seconds)

        @rule(task=tasks, edge=st.sampled_from(["before", "after"]))
        def to_retention_edge(self, task, edge):
            slack = gateway.slack
            when = (task.created_lo + timing.retention - 2 * slack if edge == "before"
                    else task.created_hi + timing.retention + slack)
            step = when - clock.now()
            if step > 0 and clock.can_wait(step):
                clock.advance(step)

    return TaskLifecycle


@pytest.mark.rule("overpay.task-answer", "overpay.status-shape", "overpay.completes", "overpay.no-going-back",
                  "overpay.result-shape", "overpay.result-matches-request", "overpay.result-stable",
                  "overpay.unknown-404", "overpay.retention-kept", "overpay.retention-expiry",
                  "overpay.error-once", "overpay.task-failure-once")
def test_task_lifecycle_state_machine(overpay):
    machine = lifecycle_machine(overpay)
    base = settings.default
    # On the mock's virtual clock runs are cheap; in real time every step is real traffic.
    examples, steps = (max(base.max_examples, 25), 40) if overpay.clock.virtual else (5, 20)
    run_state_machine_as_test(machine, settings=settings(base, max_examples=examples,
                                                         stateful_step_count=steps))
