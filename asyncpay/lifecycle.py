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
(``created_lo``) and the moment its answer arrived (``created_hi``), so "kept" and "expired" are
judged with that interval and a slack; in between, either answer is accepted.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from asyncpay import contracts
from asyncpay.checks.api_version import answer_in_version
from asyncpay.client import Answer
from asyncpay.errors import ContractViolation, NotVerified


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


class Kind(enum.StrEnum):
    PROCESSING = "processing"
    COMPLETED = "completed"
    UNKNOWN = "unknown"
    RESULT = "result"  # HTTP 200 standard response
    ERROR = "error"  # non-200 one-time answer: {message[, errors]}


@dataclass
class Task:
    request_id: str
    status_url: str
    response_url: str
    operation: str
    request: dict[str, Any]
    outcome: Outcome
    created_lo: float
    created_hi: float
    label: str = ""

    @property
    def short(self) -> str:
        return self.request_id if len(self.request_id) <= 12 else self.request_id[:8] + "…"


def classify(answer: Answer) -> Kind:
    body = answer.json
    if isinstance(body, dict):
        status = body.get("status")
        if status == "processing":
            return Kind.PROCESSING
        if status == "unknown":
            return Kind.UNKNOWN
        if status == "completed" and "transaction" not in body:
            return Kind.COMPLETED
    if answer.status_code == 200:
        return Kind.RESULT
    if answer.status_code == 404 and not (isinstance(body, dict) and "message" in body):
        return Kind.UNKNOWN
    return Kind.ERROR


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
    """Holds one task's answers to the documented rules; raises on the first broken one."""

    task: Task
    retention: float
    slack: float
    seen_completed: bool = False
    result: Any = None  # the first 200 result body
    result_reads: int = 0
    deliveries: int = 0  # one-time (non-200) answers delivered
    history: list[str] = field(default_factory=list)
    api_version: int = 2  # the Overpay API version spoken: which contracts hold the results

    # --- time windows ---------------------------------------------------------------
    def kept(self, at: float) -> bool:
        return at < self.task.created_lo + self.retention - self.slack

    def expired(self, at: float) -> bool:
        return at >= self.task.created_hi + self.retention + self.slack

    # --- observation ----------------------------------------------------------------
    def observe(self, url: str, answer: Answer, at: float) -> Kind:
        """Check one answer from the status (``url="status"``) or result URL at target time ``at``."""
        kind = classify(answer)
        self.history.append(f"{url}: {show(answer)}")
        where = f"{url}_url of task {self.task.request_id}"
        if self.expired(at):
            if kind is not Kind.UNKNOWN:
                raise ContractViolation(
                    "overpay.retention-expiry",
                    f"{where} still answers {self.retention:g} s after the task's creation",
                    expected='HTTP 404 {"status": "unknown", "request_id": ...}',
                    received=answer.summary(),
                    hint=f"reads so far: {self.history[-6:]}")
            self._check_unknown(answer, where)
            return kind
        handler = {
            Kind.PROCESSING: self._processing,
            Kind.COMPLETED: self._completed,
            Kind.UNKNOWN: self._unknown,
            Kind.RESULT: self._result,
            Kind.ERROR: self._error,
        }[kind]
        handler(url, answer, at, where)
        return kind

    def _processing(self, url: str, answer: Answer, at: float, where: str) -> None:
        rule = "overpay.status-shape" if url == "status" else "overpay.result-shape"
        if self.seen_completed or self.result is not None or self.deliveries:
            raise ContractViolation(
                "overpay.no-going-back", f"{where} reads processing after the task was done",
                expected="completed or the result (a task never goes back to processing)",
                received=answer.summary(), hint=f"reads so far: {self.history[-6:]}")
        if not 200 <= answer.status_code < 300:
            raise ContractViolation(rule, f"{where} answered processing with a non-2xx code",
                                    expected="a 2xx code with {status: processing}",
                                    received=answer.summary())
        contracts.check("overpay/status-processing", answer.json, rule=rule,
                        what=f"processing answer of {where}")
        self._same_request_id(answer, rule, where)

    def _completed(self, url: str, answer: Answer, at: float, where: str) -> None:
        if url != "status":
            raise ContractViolation(
                "overpay.result-shape", f"{where} answered a status instead of the result",
                expected="the standard response ({transaction}) or a one-time error",
                received=answer.summary())
        if not 200 <= answer.status_code < 300:
            raise ContractViolation("overpay.status-shape", f"{where} answered completed with a non-2xx code",
                                    expected="HTTP 200 {status: completed, request_id, response_url}",
                                    received=answer.summary())
        contracts.check("overpay/status-completed", answer.json, rule="overpay.status-shape",
                        what=f"completed answer of {where}")
        self._same_request_id(answer, "overpay.status-shape", where)
        self.seen_completed = True

    def _unknown(self, url: str, answer: Answer, at: float, where: str) -> None:
        self._check_unknown(answer, where)
        if self.deliveries or not self.kept(at):
            return  # after a one-time delivery, or near the retention edge: 404 is right
        if self.task.outcome.one_time and self.result is None:
            raise ContractViolation(
                self.task.outcome.once_rule,
                f"{where} answers 404 unknown, but the one-time result was never delivered",
                expected="the non-200 result exactly once, then 404 unknown",
                received=answer.summary(), hint=f"reads so far: {self.history[-6:]}")
        raise ContractViolation(
            "overpay.retention-kept",
            f"{where} answers 404 unknown {at - self.task.created_hi:.1f} s after creation",
            expected=f"the task kept for {self.retention:g} s from its creation",
            received=answer.summary(), hint=f"reads so far: {self.history[-6:]}")

    def _result(self, url: str, answer: Answer, at: float, where: str) -> None:
        if self.deliveries:
            raise ContractViolation(
                self.task.outcome.once_rule if self.task.outcome.one_time else "overpay.error-once",
                f"{where} answers again after its one-time result was delivered",
                expected='HTTP 404 {"status": "unknown", "request_id": ...}',
                received=answer.summary(), hint=f"reads so far: {self.history[-6:]}")
        answer_in_version(answer.json, api_version=self.api_version, kind="result",
                          rule="overpay.result-shape", what=f"result from {where}")
        if self.task.outcome.one_time and self.result is None:
            raise NotVerified(
                self.task.outcome.once_rule,
                f"the {self.task.outcome.value} trigger produced an HTTP 200 result, not a one-time "
                "error; set [overpay.outcomes." + self.task.outcome.value + "] in the profile to a "
                "request this gateway rejects")
        if self.result is None:
            self.result = answer.json
        elif answer.json != self.result:
            raise ContractViolation(
                "overpay.result-stable", f"{where} reads differently on a later read",
                expected=_diff_hint(self.result, answer.json, "first read"),
                received=_diff_hint(answer.json, self.result, "this read"))
        self.result_reads += 1

    def _error(self, url: str, answer: Answer, at: float, where: str) -> None:
        body = answer.json
        one_time_rule = ("overpay.error-once" if isinstance(body, dict) and "errors" in body
                         else self.task.outcome.once_rule if self.task.outcome.one_time
                         else "overpay.task-failure-once")
        if self.deliveries:
            raise ContractViolation(
                one_time_rule, f"{where} returned its non-200 result a second time",
                expected='the non-200 result once, then HTTP 404 {"status": "unknown", ...}',
                received=answer.summary(), hint=f"reads so far: {self.history[-6:]}")
        if self.result is not None:
            raise ContractViolation(
                "overpay.result-stable", f"{where} answered an error after a 200 result",
                expected="the same 200 result on every read within retention",
                received=answer.summary())
        rule = "overpay.status-shape" if url == "status" else "overpay.result-shape"
        answer_in_version(body, api_version=self.api_version, kind="result" if url == "result" else "task-error",
                          rule=rule, what=f"non-200 answer of {where}")
        self.deliveries += 1
        if self.task.outcome in (Outcome.SUCCESSFUL, Outcome.FAILED, Outcome.INCOMPLETE):
            raise ContractViolation(
                "overpay.result-matches-request",
                f"{where} answered an error to a valid request ({self.task.outcome.value} trigger)",
                expected="HTTP 200 with the standard response {transaction: ...}",
                received=answer.summary())

    # --- helpers --------------------------------------------------------------------
    def _check_unknown(self, answer: Answer, where: str) -> None:
        body = answer.json
        if answer.status_code != 404:
            raise ContractViolation("overpay.unknown-404", f"{where} answered unknown with HTTP {answer.status_code}",
                                    expected='HTTP 404 {"status": "unknown", "request_id": ...}',
                                    received=answer.summary())
        contracts.check("overpay/status-unknown", body, rule="overpay.unknown-404",
                        what=f"unknown answer of {where}")
        if str(body.get("request_id")) != str(self.task.request_id):
            raise ContractViolation("overpay.unknown-404", f"{where} answered unknown for another request_id",
                                    expected={"status": "unknown", "request_id": self.task.request_id},
                                    received=answer.summary())

    def _same_request_id(self, answer: Answer, rule: str, where: str) -> None:
        body = answer.json
        if isinstance(body, dict) and str(body.get("request_id")) != str(self.task.request_id):
            raise ContractViolation(rule, f"{where} answered for another request_id",
                                    expected={"request_id": self.task.request_id},
                                    received=answer.summary())


def _diff_hint(a: Any, b: Any, label: str) -> Any:
    """The parts of ``a`` that differ from ``b`` (top level and transaction level)."""
    if isinstance(a, dict) and isinstance(b, dict):
        inner_a, inner_b = a.get("transaction"), b.get("transaction")
        if isinstance(inner_a, dict) and isinstance(inner_b, dict):
            keys = sorted(k for k in set(inner_a) | set(inner_b) if inner_a.get(k) != inner_b.get(k))
            return {label: {f"transaction.{k}": inner_a.get(k) for k in keys}}
        keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
        return {label: {k: a.get(k) for k in keys}}
    return {label: a}
