"""Playing the merchant against Overpay's asynchronous API.

Creates tasks with the documented request shape, follows the URLs the gateway returned (never
building them where the gateway gave one), and puts every answer through the lifecycle model.

Usage (against an Overpay target)::

    task = gateway.create(Outcome.SUCCESSFUL)
    done = gateway.wait_result(task)
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, NoReturn

from asyncpay.checks import overpay as checks
from asyncpay.checks import overpay_children, transport
from asyncpay.checks import timeline as timeline_checks
from asyncpay.config.profile import OverpayTarget
from asyncpay.errors import ContractViolation, NotVerified
from asyncpay.gateways.overpay.lifecycle import AnswerKind, Outcome, Task, TaskModel, show
from asyncpay.gateways.randomness import RANDOM
from asyncpay.http.client import Answer, GatewayClient, basic
from asyncpay.http.recording import Recording
from asyncpay.http.throttle import Throttle
from asyncpay.schemas import api_versions, contracts
from asyncpay.schemas.api_versions import transaction_of
from asyncpay.timeline import Timeline, from_recording
from asyncpay.waiting.clock import TargetClock
from asyncpay.waiting.polling import poll
from asyncpay.waiting.receiver import ReceivedRequest, Receiver

OPERATION_TYPES = contracts.OVERPAY_TRANSACTION_TYPES
#: Reads of a task's URLs made in a row while the gateway answers 429.
THROTTLED_READS = 4
#: The documented idempotency header: one request, one transaction, for 24 h.
REQUEST_ID = "RequestID"

_counter = itertools.count(1)
#: Amounts and ids the harness picks (asyncpay.gateways.randomness).
_RANDOM = RANDOM


def unique_tracking_id(run_id: str, label: str) -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw")
    return f"asyncpay-{run_id}-{worker}-{next(_counter)}-{label}"[:255]


def deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def base_payment(tracking_id: str, amount: int) -> dict[str, Any]:
    year = dt.date.today().year + 3
    return {
        "amount": amount,
        "currency": "USD",
        "description": f"asyncpay check {tracking_id}"[:255],
        "tracking_id": tracking_id,
        "test": True,
        "duplicate_check": False,  # the harness repeats amounts and cards within 30 s on purpose
        "language": "en",
        "credit_card": {"number": "4200000000000000", "verification_value": "123",
                        "holder": "JOHN DOE", "exp_month": 12, "exp_year": year},
        "customer": {"ip": "127.0.0.1", "email": "merchant@example.com"},
        "billing_address": {"first_name": "John", "last_name": "Doe", "country": "US",
                            "city": "Denver", "state": "CO", "zip": "96002",
                            "address": "1st Street"},
    }


@dataclass
class OverpayMerchant:
    target: OverpayTarget
    client: GatewayClient
    clock: TargetClock
    run_id: str
    models: dict[str, TaskModel] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def recording(self) -> Recording:
        return self.client.recording

    @property
    def slack(self) -> float:
        return 0.5 if self.clock.virtual else max(1.0, 0.02 * self.target.timing.retention)

    def model(self, task: Task) -> TaskModel:
        """The lifecycle model of ``task`` (one per request_id, kept for the run)."""
        with self._lock:
            return self.models.setdefault(task.request_id,
                                          TaskModel(task, self.target.timing.retention, self.slack,
                                                    api_version=self.target.api_version))

    def planned_reads(self, task: Task, count: int, *, rule: str = "overpay.result-stable",
                      at_least: int = 0, step: float | None = None) -> Iterator[int]:
        """Yield up to ``count`` times, moving the clock on between yields, only while a read made
        then still falls inside the task's retention window (the profile's retention from the
        task's creation, less the slack): a read planned past it would be judged on expiry.

        ``step`` (seconds) is the wait before each read: by default the polling interval, shortened
        so that ``count`` reads fit the window. Raises :class:`NotVerified` (``rule``) when fewer
        than ``at_least`` reads fit the window.
        """
        step = max(min(step or self.target.timing.poll_interval, self.window_left(task) / (count + 1)), 0.05)
        made = 0
        while made < count and self.window_left(task) > step:
            self.clock.advance(step)
            made += 1
            yield made
        if made < at_least:
            raise NotVerified(rule, f"the retention window ({self.target.timing.retention:g} s from creation) "
                              f"left room for {made} of the {at_least} reads this check needs after completion")

    def latest_kept_read(self, task: Task) -> float:
        """The latest target time (seconds) to send a read that must still find the 200 result:
        the end of the retention window (the retention from creation, less one slack), less the
        time its answer may take to arrive (half a slack, at most the request timeout) — a read
        answered past the window is no longer judged on "kept"."""
        margin = min(self.slack / 2, self.target.timing.request_timeout)
        return task.sent_at + self.target.timing.retention - self.slack - margin

    def kept_window(self, task: Task) -> tuple[float, float]:
        """``(due, due_until)``: the target times between which a later run makes the "still
        kept" read of ``task`` (its retention longer than a run): the last four slacks before
        :meth:`latest_kept_read`, wide enough for a scheduled run to land in."""
        until = self.latest_kept_read(task)
        return max(task.answered_at, until - 4 * self.slack), until

    def window_left(self, task: Task) -> float:
        """Seconds (target time) from now until the task's 200 result may start to expire."""
        return task.sent_at + self.target.timing.retention - self.slack - self.clock.now()

    # --- creating tasks ---------------------------------------------------------------
    def require_operation(self, operation: str, rule: str) -> None:
        """Raise :class:`NotVerified` (``rule``) unless the profile says the shop's account may use
        ``operation`` (``[overpay] operations``; by default every documented one)."""
        if operation not in self.target.operations:
            raise NotVerified(rule, f"the profile's [overpay] operations leave out {operation}: the shop's "
                              f"account may not use them (it lists {', '.join(self.target.operations) or 'none'})")

    def trigger(self, outcome: Outcome) -> dict[str, Any]:
        fields = self.target.outcomes.get(outcome.value)
        if fields is None:
            raise NotVerified(
                outcome.once_rule if outcome.one_time else "overpay.result-matches-request",
                f"the profile names no request that makes this gateway produce a {outcome.value} "
                f"result (no documented test trigger); add [overpay.outcomes.{outcome.value}]")
        return fields

    def request_body(self, outcome: Outcome, label: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        tracking_id = unique_tracking_id(self.run_id, label)
        body = base_payment(tracking_id, _RANDOM.randint(100, 99_999))
        body = deep_merge(body, self.trigger(outcome) if outcome is not Outcome.ANY else {})
        body = deep_merge(body, extra or {})
        return body

    def create(self, outcome: Outcome, *, operation: str = "payments", label: str = "task",
               extra: dict[str, Any] | None = None, body: dict[str, Any] | None = None,
               headers: dict[str, str] | None = None) -> Task:
        request = body if body is not None else self.request_body(outcome, label, extra)
        sent_at = self.clock.now()
        answer = self.post(f"/async/transactions/{operation}", json_body={"request": request}, headers=headers,
                           label=f"create {label}")
        answered_at = self.clock.now()
        return self.task_from(answer, operation, request, outcome, sent_at, answered_at, label)

    def post(self, path: str, *, headers: dict[str, str] | None = None, label: str, **options: Any) -> Answer:
        """POST to the gateway with a fresh ``RequestID`` (unless ``headers`` name one), as a careful
        merchant does: the documented idempotency makes the request safe to send again after a
        429 or a timeout, so the client's back-off may repeat it."""
        return self.client.send("POST", path, headers={REQUEST_ID: str(uuid.uuid4()), **(headers or {})},
                                label=label, **options)

    def task_from(self, answer: Answer, operation: str, request: dict[str, Any], outcome: Outcome,
                  sent_at: float, answered_at: float, label: str, *, documented: bool = True) -> Task:
        """The task an async POST answered, its URLs checked to stay on the gateway's origin."""
        body = checks.task_answer(answer, operation, api_version=self.target.api_version)
        for key in ("status_url", "response_url"):
            checks.urls_on_gateway(self.client, body[key], key)
        task = Task(str(body["request_id"]), body["status_url"], body["response_url"], operation,
                    request, outcome, sent_at, answered_at, label, documented)
        self.recording.event(task.request_id, "created", f"{operation} ({outcome.value})", answered_at)
        return task

    # --- reading ----------------------------------------------------------------------
    def read(self, task: Task, which: str) -> tuple[AnswerKind, Answer]:
        """One read of the status (``"status"``) or result (``"result"``) URL, checked by the model.

        A throttled read (HTTP 429) hands out nothing, so it is made again after the wait the
        gateway asks for (``Retry-After``), a few times at most; only then is THROTTLED returned.
        """
        url = task.status_url if which == "status" else task.response_url
        waited = 0.0
        for attempt in range(THROTTLED_READS):
            answer = self.client.send("GET", url, rule="overpay.urls-on-gateway", what=f"{which}_url",
                                      label=f"{which} {task.label}", task=task.request_id,
                                      repeatable=which == "status")  # the client never repeats a result read
            at = self.clock.now()
            kind = self.model(task).observe(which, answer, at)
            self.recording.event(task.request_id, f"{which}:{kind.value}", show(answer), at)
            if kind is not AnswerKind.THROTTLED:
                break
            # Documented: on 429 back off and retry. The wait the gateway asks for, within bounds.
            wait = self.client.throttle.back_off(answer.headers.get("retry-after"), attempt=attempt, waited=waited)
            if wait is None:
                break
            waited += wait
        if kind in (AnswerKind.RESULT, AnswerKind.ERROR):
            self._note_result_shape(answer)
        return kind, answer

    def _note_result_shape(self, answer: Answer) -> None:
        """Which documented result shape this was, for contract coverage (already validated)."""
        version = self.target.api_version
        for name in (api_versions.contract_for(version, kind)
                     for kind in ("transaction-response", "error", "task-error")):
            if contracts.conforms(name, answer.json):
                self.recording.shape(name)
                return

    def wait_completed(self, task: Task) -> tuple[AnswerKind, Answer]:
        """Poll the status URL until the task is no longer processing (documented: completes)."""
        return self._wait(task, "status", f"task {task.request_id} to complete")

    def wait_result(self, task: Task) -> tuple[AnswerKind, Answer]:
        """Poll the result URL until it answers something other than processing."""
        return self._wait(task, "result", f"the result of task {task.request_id}")

    def _wait(self, task: Task, which: str, describe: str) -> tuple[AnswerKind, Answer]:
        """Poll ``which`` URL until the task is no longer waiting, within the profile's processing
        bound. A bound longer than the retention leaves (less twice the slack) is capped there: a
        task still processing then can no longer keep its result for the documented time. Past
        the bound the task fails ``overpay.completes`` only if the gateway itself said
        ``processing`` that late: reads it did not serve (HTTP 429) say nothing about the task, so
        a bound used up by throttling is *not verified*."""
        timing = self.target.timing
        said_processing: list[float] = []
        cap = timing.retention - 2 * self.slack  # seconds after the task answer
        capped = 0 < cap < timing.processing_timeout
        bound = cap if capped else timing.processing_timeout

        def read() -> tuple[AnswerKind, Answer]:
            kind, answer = self.read(task, which)
            if kind is AnswerKind.PROCESSING:
                said_processing.append(self.clock.now())
            return kind, answer

        def on_timeout(what: str, timeout: float, elapsed: float, seen: list[object]) -> NoReturn:
            last = said_processing[-1] - task.answered_at if said_processing else 0.0
            if task.operation in overpay_children.CHILD_OPERATIONS:  # a capture, void or refund
                overpay_children.child_completes(what, bound, self.clock.now() - task.answered_at, seen,
                                                 last_processing=last)
            if capped:  # the bound is the retention's: say so when the task broke it
                checks.completes_while_kept(task.request_id, last, timing.retention, 2 * self.slack,
                                            self.model(task).history)
            # Decided there: processing said at the bound fails the rule; said only before it
            # (the later reads throttled) is not verified.
            checks.completes(what, bound, self.clock.now() - task.answered_at, seen, last_processing=last)

        timeout = max(task.answered_at + cap - self.clock.now(), 0.01) if capped else timing.processing_timeout
        return poll(read, until=lambda r: not r[0].waiting, clock=self.clock, timeout=timeout,
                    interval=timing.poll_interval, on_timeout=on_timeout, describe=describe,
                    show=lambda r: show(r[1]))

    def outcome(self, task: Task) -> tuple[AnswerKind, Answer]:
        """Wait for completion on the status URL, then read the result (unless the status URL
        already delivered it): once, or again after a throttled read, which hands out nothing."""
        kind, answer = self.wait_completed(task)
        if kind is AnswerKind.COMPLETED:
            kind, answer = self.wait_result(task)
        return kind, answer

    def expect(self, task: Task, got: tuple[AnswerKind, Answer], expected: AnswerKind, *, rule: str) -> Answer:
        """The answer of ``got`` (a kind and an answer the lifecycle model already accepted), which a
        check needs to be of kind ``expected`` to go on.

        The model accepts a 404 ``unknown`` only past the window the profile's retention keeps a
        result (counted from creation); when processing and throttling used that window up, the
        check cannot be made: :class:`NotVerified` (``rule``), never a failure. Any other kind
        than ``expected`` fails the check (an ``AssertionError`` on the test's rule).
        """
        kind, answer = got
        if kind is AnswerKind.UNKNOWN:
            age = self.clock.now() - task.answered_at
            raise NotVerified(rule, f"task {task.request_id} was no longer kept {age:.1f} s after its creation, "
                              f"when its outcome could be read (retention {self.target.timing.retention:g} s): "
                              "processing and throttling used the window up; a longer retention makes the check")
        if kind is AnswerKind.THROTTLED:
            raise NotVerified(rule, f"every read of task {task.request_id} was throttled (HTTP 429)")
        assert kind is expected, f"expected {expected.value}, received {answer.summary()}"
        return answer

    def completed_result(self, task: Task) -> Answer:
        return self.outcome(task)[1]

    def unknown_url(self, task: Task, which: str) -> tuple[str, str]:
        """A request_id never issued, and the gateway's ``which`` URL for it (its own layout)."""
        fresh = self.fresh_request_id(task.request_id)
        own = task.status_url if which == "status" else task.response_url
        return fresh, self.sibling_url(own, task.request_id, fresh, f"/async/{which}/{fresh}")

    def sibling_url(self, url: str, request_id: str, fresh_id: str, fallback: str) -> str:
        """The gateway's URL for another request_id: its own layout when the id is in it."""
        if request_id and request_id in url:
            return url.replace(request_id, fresh_id)
        return fallback

    def fresh_request_id(self, like: str) -> str:
        return str(_RANDOM.randint(10**9, 10**10)) if re.fullmatch(r"\d+", like) else str(uuid.uuid4())

    # --- queries ----------------------------------------------------------------------
    def tracking_query(self, tracking_id: str, *, task: Task | None = None) -> list[dict[str, Any]]:
        """GET /v2/transactions/tracking_id/{tracking_id}: the transactions listed (checked); with
        ``task`` the answer joins that task's timeline."""
        answer = self.client.send("GET", f"/v2/transactions/tracking_id/{tracking_id}",
                                  rule="overpay.tracking-query", label="tracking-id query", repeatable=True,
                                  task=task.request_id if task is not None else None)
        listed = checks.tracking_query(answer, tracking_id, api_version=self.target.api_version)
        if task is not None:
            statuses = ", ".join(str(t.get("status")) for t in listed) or "none listed"
            self.recording.event(task.request_id, "tracking query", statuses, self.clock.now())
        return listed

    def uid_query(self, uid: str, *, task: Task | None = None) -> Answer:
        """GET /transactions/{uid}; with ``task`` the answer joins that task's timeline."""
        answer = self.client.send("GET", f"/transactions/{uid}", rule="overpay.uid-query",
                                  label="uid query", repeatable=True,
                                  task=task.request_id if task is not None else None)
        if task is not None:
            status = (transaction_of(answer.json) or {}).get("status")
            self.recording.event(task.request_id, "uid query", f"HTTP {answer.status_code}, status {status}",
                                 self.clock.now())
        return answer

    # --- the timeline -------------------------------------------------------------------
    def timeline(self, task: Task) -> Timeline:
        """Every answer this test read about ``task`` (task answer, status_url and response_url
        reads, queries made with ``task=``), in time order; add deliveries with
        :meth:`~asyncpay.timeline.Timeline.deliveries`."""
        return from_recording(self.recording, task.request_id)

    def webhooks(self, receiver: Receiver, path: str) -> list[ReceivedRequest]:
        """Every webhook delivered to ``path`` so far, repeats included, after listening two
        poll intervals (target clock) more: a repeat sent right after the first is on it too."""
        settle = 2 * self.target.timing.poll_interval
        if self.clock.virtual:
            self.clock.advance(settle)  # the mock delivers what falls due on the way
            return receiver.requests(path)
        end = self.clock.now() + settle
        while (left := end - self.clock.now()) > 0:
            known = {id(r) for r in receiver.requests(path)}

            def new_delivery(r: ReceivedRequest, known: set[int] = known) -> bool:
                return r.path == path and id(r) not in known

            try:
                receiver.wait_for(new_delivery, left, describe="a repeated webhook")
            except TimeoutError:
                break
        return receiver.requests(path)

    def judge_timeline(self, task: Task, webhooks: Iterable[ReceivedRequest] = ()) -> Timeline:
        """Judge ``task``'s whole timeline, ``webhooks`` (every delivery, repeats included) joined
        to it: a final status never changes on any channel (``overpay.final-state``). Each
        webhook is noted on the task's row of the report. Returns the timeline."""
        line = self.timeline(task).deliveries("webhook", webhooks)
        for delivery in line.on("webhook"):
            status = (transaction_of(delivery.body) or {}).get("status")
            self.recording.event(task.request_id, "webhook", f"status {status} ({delivery.source})",
                                 self.clock.now())
        try:
            timeline_checks.overpay_final_state(line)
        except ContractViolation as exc:
            # Marked on the task's row of the report, where the channels that disagree are drawn.
            self.recording.event(task.request_id, "channels disagree", str(exc).splitlines()[0], self.clock.now())
            raise
        return line


def make_client(target: OverpayTarget, redactor: Any, *, pause: Callable[[float], None] = time.sleep,
                **kwargs: Any) -> GatewayClient:
    """The Overpay client for ``target``; ``pause`` waits out a 429 (pass the target clock's
    ``advance``: on a virtual clock, time moves on instead of sleeping)."""
    redactor.add(target.secret_key)
    redactor.add_basic(target.shop_id, target.secret_key)
    return GatewayClient(target.base_url, auth=basic(target.shop_id, target.secret_key),
                         timeout=target.timing.request_timeout, redactor=redactor,
                         origin_rule="overpay.urls-on-gateway", checks=transport,
                         headers=api_versions.headers(target.api_version),
                         throttle=Throttle(budget=target.timing.max_wait, pause=pause), **kwargs)
