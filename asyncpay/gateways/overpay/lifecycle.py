"""The documented lifecycle of an Overpay asynchronous task, as a model every answer is held to.

States, as the documentation gives them::

    created ──► processing ──► completed ──► (200 result kept 24 h from creation) ──► unknown (404)
                                   └───────► (non-200 result, delivered once) ──────► unknown (404)

The model does not assume an HTTP code where the docs are silent (a ``processing`` answer may be
any 2xx; a task error any code but 200) and accepts both URLs in any order. What it holds firm:

* a task never goes back to ``processing`` once ``completed`` (or once its result was delivered);
* a 200 result reads the same on every read, and is there until 24 h after creation;
* 24 h after creation both URLs answer 404 ``unknown`` with the request_id;
* a non-200 result is delivered exactly once across both URLs, then 404 ``unknown``.

Time is the target's clock. Creation is only known to lie between the moment the POST was sent
(``sent_at``) and the moment its answer arrived (``answered_at``), so "kept" and "expired" are
judged with that interval and a slack; in between, either answer is accepted.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from asyncpay.checks import overpay as checks
from asyncpay.checks import overpay_availability as availability
from asyncpay.errors import NotVerified
from asyncpay.http.client import Answer


class Outcome(enum.StrEnum):
    """What the request that created the task was meant to produce (by its trigger)."""

    SUCCESSFUL = "successful"
    FAILED = "failed"
    INCOMPLETE = "incomplete"
    VALIDATION_ERROR = "validation_error"
    TASK_FAILURE = "task_failure"
    ANY = "any"  # generated requests: any documented result is acceptable

    @property
    def one_time(self) -> bool:
        return self in (Outcome.VALIDATION_ERROR, Outcome.TASK_FAILURE)

    @property
    def once_rule(self) -> str:
        return "overpay.task-failure-once" if self is Outcome.TASK_FAILURE else "overpay.error-once"


class AnswerKind(enum.StrEnum):
    PROCESSING = "processing"
    COMPLETED = "completed"
    UNKNOWN = "unknown"
    RESULT = "result"  # HTTP 200 standard response
    ERROR = "error"  # non-200 one-time answer: {message[, errors]}
    THROTTLED = "throttled"  # HTTP 429: the read was not served, so nothing was delivered

    @property
    def waiting(self) -> bool:
        """Still nothing to judge the task by: processing, or a read the gateway did not serve."""
        return self in (AnswerKind.PROCESSING, AnswerKind.THROTTLED)


@dataclass
class Task:
    request_id: str
    status_url: str
    response_url: str
    operation: str
    request: dict[str, Any]
    outcome: Outcome
    sent_at: float  # target time the POST was sent (seconds)
    answered_at: float  # target time its answer arrived (seconds)
    label: str = ""
    #: whether the request met the documented request formats (generated negative data does not)
    documented: bool = True


def classify(answer: Answer) -> AnswerKind:
    if answer.status_code == 429:
        return AnswerKind.THROTTLED  # documented: back off and retry; a throttled read hands out nothing
    body = answer.json
    if isinstance(body, dict):
        status = body.get("status")
        if status == "processing":
            return AnswerKind.PROCESSING
        if status == "unknown":
            return AnswerKind.UNKNOWN
        if status == "completed" and "transaction" not in body:
            return AnswerKind.COMPLETED
    if answer.status_code == 200:
        return AnswerKind.RESULT
    if answer.status_code == 404 and not (isinstance(body, dict) and ("message" in body or "response" in body)):
        return AnswerKind.UNKNOWN
    return AnswerKind.ERROR


def show(answer: Answer) -> str:
    body = answer.json
    if isinstance(body, dict) and isinstance(body.get("status"), str):
        return f"{answer.status_code} {body['status']}"
    if isinstance(body, dict) and isinstance(body.get("transaction"), dict):
        return f"{answer.status_code} transaction {body['transaction'].get('status')}"
    if isinstance(body, dict) and "message" in body:
        return f"{answer.status_code} message"
    return f"{answer.status_code} {answer.text[:40]!r}"


@dataclass
class TaskModel:
    """Holds one task's answers to the documented rules; raises on the first broken one.

    Every rule is a named check in :mod:`asyncpay.checks.overpay` or
    :mod:`asyncpay.checks.overpay_availability`, and that check decides it from what the model
    hands it (the answer, its target time, the window, what was delivered before); the model
    keeps the task's state and routes each answer to the checks that apply.
    """

    task: Task
    retention: float  # seconds, from the task's creation
    slack: float  # seconds of uncertainty either side of the retention edge
    seen_completed: bool = False
    result: Any = None  # the first 200 result body
    result_reads: int = 0
    deliveries: int = 0  # one-time (non-200) answers delivered
    delivered: Any = None  # the one-time answer's body
    history: list[str] = field(default_factory=list)
    api_version: int = 2  # the Overpay API version spoken: which contracts hold the results

    # --- time windows ---------------------------------------------------------------
    @property
    def kept_until(self) -> float:
        """Target time (seconds) until which a 200 result must still be there: the retention from
        the earliest possible creation (the POST sent), less the slack."""
        return self.task.sent_at + self.retention - self.slack

    @property
    def expired_from(self) -> float:
        """Target time (seconds) from which both URLs must answer 404 unknown: the retention from
        the latest possible creation (the task answer), plus the slack."""
        return self.task.answered_at + self.retention + self.slack

    def kept(self, at: float) -> bool:
        """Whether a 200 result must still be there at target time ``at``."""
        return at < self.kept_until

    def expired(self, at: float) -> bool:
        """Whether both URLs must answer 404 unknown at target time ``at``."""
        return at >= self.expired_from

    @property
    def done(self) -> bool:
        return self.seen_completed or self.result is not None or self.deliveries > 0

    # --- observation ----------------------------------------------------------------
    def observe(self, url: str, answer: Answer, at: float) -> AnswerKind:
        """Check one answer from the status (``url="status"``) or result URL at target time ``at``.

        The model routes each answer to the checks of the rules that apply to it; each check
        decides its rule from what it is given (:mod:`asyncpay.checks.overpay`).
        """
        kind = classify(answer)
        self.history.append(f"{url}: {show(answer)}")
        where = f"{url}_url of task {self.task.request_id}"
        if kind is AnswerKind.THROTTLED:
            return kind
        availability.retention_expiry(answer, where, at=at, expired_from=self.expired_from, retention=self.retention,
                                history=self.history)
        if self.expired(at):
            checks.unknown_404(answer, self.task.request_id, where)
            return kind
        if self.task.outcome.one_time or self.deliveries:
            self._once(answer, where, at)
        handler = {
            AnswerKind.PROCESSING: self._processing,
            AnswerKind.COMPLETED: self._completed,
            AnswerKind.UNKNOWN: self._unknown,
            AnswerKind.RESULT: self._result,
            AnswerKind.ERROR: self._error,
        }[kind]
        handler(url, answer, at, where)
        return kind

    def _processing(self, url: str, answer: Answer, at: float, where: str) -> None:
        checks.no_going_back(self.done, answer, where, self.history)
        if url == "status":
            checks.status_processing(answer, self.task.request_id, where)
        else:
            checks.result_processing(answer, self.task.request_id, where)

    def _completed(self, url: str, answer: Answer, at: float, where: str) -> None:
        checks.result_is_a_result(answer, url, where)
        checks.status_completed(answer, self.task.request_id, where)
        self.seen_completed = True

    def _unknown(self, url: str, answer: Answer, at: float, where: str) -> None:
        checks.unknown_404(answer, self.task.request_id, where)
        if self.deliveries or (self.task.outcome.one_time and self.result is None):
            return  # a one-time result's task: "once" judged it (a 404 after delivery is right)
        availability.retention_kept(answer, where, at=at, kept_until=self.kept_until, created=self.task.answered_at,
                              retention=self.retention, history=self.history)

    def _result(self, url: str, answer: Answer, at: float, where: str) -> None:
        checks.result_shape(answer.json, where, request_documented=self.task.documented,
                            api_version=self.api_version)
        if self.task.outcome.one_time and self.result is None:
            raise NotVerified(
                self.task.outcome.once_rule,
                f"the {self.task.outcome.value} trigger produced an HTTP 200 result, not a one-time "
                "error; set [overpay.outcomes." + self.task.outcome.value + "] in the profile to a "
                "request this gateway rejects")
        if self.result is None:
            self.result = answer.json
        else:
            checks.result_stable(self.result, answer, where)
        self.result_reads += 1

    def _error(self, url: str, answer: Answer, at: float, where: str) -> None:
        checks.no_error_after_result(self.result, answer, where)
        if url == "result" or is_validation_error(answer.json):
            checks.result_shape(answer.json, where, api_version=self.api_version)
        else:
            checks.status_task_error(answer, where)
        self.deliveries += 1
        self.delivered = answer.json
        checks.valid_request_not_refused(self.task.outcome.value, answer, where)

    def _once(self, answer: Answer, where: str, at: float) -> None:
        """A one-time result's task, judged on "once" by the rule of what it delivered (or, before
        a delivery, of what its trigger was meant to produce): a validation error's or a task
        failure's."""
        validation = (is_validation_error(self.delivered) if self.deliveries
                      else self.task.outcome is not Outcome.TASK_FAILURE)
        once = availability.error_once if validation else availability.task_failure_once
        owed = self.kept_until if self.result is None else None  # a 200 result instead: nothing owed
        once(answer, where, self.history, delivered=self.deliveries, at=at, owed_until=owed)


def is_validation_error(body: Any) -> bool:
    """A validation error body: {message, errors}, possibly wrapped as {response: {...}}."""
    if isinstance(body, dict) and isinstance(body.get("response"), dict):
        body = body["response"]
    return isinstance(body, dict) and "errors" in body
