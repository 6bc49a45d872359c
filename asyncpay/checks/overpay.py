"""Checks of Overpay's asynchronous task API, one function per documented rule or sub-rule.

Where the documentation is silent (the HTTP code of a ``processing`` answer, the request_id's
format, extra fields, the URL layout) these checks accept any reasonable choice; where it is
explicit (404 ``unknown``, 24 h from creation, a non-200 result once) they are strict.
Source of the asynchronous rules: https://docs.overpay.io/en/integration/card_api/asynchronous/
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NoReturn

from asyncpay.checks import check
from asyncpay.checks.api_version import answer_in_version
from asyncpay.errors import ContractViolation, NotVerified
from asyncpay.schemas import contracts
from asyncpay.schemas.api_versions import transaction_of

if TYPE_CHECKING:
    from asyncpay.http.client import Answer, GatewayClient

UNKNOWN_BODY = '{"status": "unknown", "request_id": ...}'
#: The request fields a transaction echoes back; the docs give them no format of their own
#: beyond what the request documented, so an echo of an undocumented value is not judged.
ECHO_FIELDS = frozenset({"credit_card", "billing_address", "customer", "additional_data", "description",
                         "language", "tracking_id", "return_url", "notification_url", "expired_at",
                         "test", "three_d_secure_verification"})


def _same_request_id(answer: Answer, request_id: str, rule: str, where: str) -> None:
    body = answer.json
    if isinstance(body, dict) and str(body.get("request_id")) != str(request_id):
        raise ContractViolation(rule, f"{where} answered for another request_id",
                                expected={"request_id": request_id}, received=answer.summary())


@check("overpay.task-answer")
def task_answer(answer: Answer, operation: str, *, api_version: int = 2) -> dict[str, Any]:
    """The async POST answers a task: any 2xx with status processing, request_id and both URLs."""
    if not 200 <= answer.status_code < 300:
        raise ContractViolation(
            "overpay.task-answer", f"POST /async/transactions/{operation} was not accepted as a task",
            expected="a 2xx answer with {status: processing, request_id, status_url, response_url}",
            received=answer.summary())
    answer_in_version(answer.json, api_version=api_version, kind="task", rule="overpay.task-answer",
                      what=f"answer to POST /async/transactions/{operation}")
    return dict(answer.json)


def says_processing(answer: Answer) -> bool:
    """Whether the answer is a task's ``{status: processing}`` (any HTTP code)."""
    return isinstance(answer.json, dict) and answer.json.get("status") == "processing"


def says_unknown(answer: Answer) -> bool:
    """Whether the answer says the task is not (or no longer) there: ``{status: unknown}``, or a
    bare 404 that is not an error body (the shape itself is :func:`unknown_404`'s to judge)."""
    body = answer.json
    if isinstance(body, dict) and isinstance(body.get("status"), str):
        return bool(body["status"] == "unknown")
    return answer.status_code == 404 and not (isinstance(body, dict) and ("message" in body or "response" in body))


def says_completed(answer: Answer) -> bool:
    """Whether the answer is the status URL's ``{status: completed}`` (not the result itself)."""
    body = answer.json
    return isinstance(body, dict) and body.get("status") == "completed" and "transaction" not in body


def _processing(answer: Answer, request_id: str, rule: str, where: str) -> None:
    # The docs give no HTTP code for a processing answer: 200, 202 and 425 are all seen in the
    # field. 404 is the documented code of "unknown" and a 5xx is a server failure.
    if answer.status_code == 404 or answer.status_code >= 500:
        raise ContractViolation(rule, f"{where} answered processing with HTTP {answer.status_code}",
                                expected="{status: processing} with a 2xx (or 425) code",
                                received=answer.summary())
    contracts.check("overpay/status-processing", answer.json, rule=rule, what=f"processing answer of {where}")
    _same_request_id(answer, request_id, rule, where)


@check("overpay.urls-on-gateway")
def urls_on_gateway(client: GatewayClient, url: str, what: str) -> None:
    """status_url and response_url stay on the configured origin (scheme, host, port); a URL
    elsewhere is a violation and is never requested, so credentials never leave the origin."""
    client.resolve(url, rule="overpay.urls-on-gateway", what=what)


@check("overpay.status-shape")
def status_processing(answer: Answer, request_id: str, where: str) -> None:
    """status_url answers a running task as {status: processing, request_id}."""
    _processing(answer, request_id, "overpay.status-shape", where)
    contracts.check("overpay/status", answer.json, rule="overpay.status-shape", what=f"answer of {where}")


@check("overpay.status-shape")
def status_completed(answer: Answer, request_id: str, where: str) -> None:
    """status_url answers a done task as {status: completed, request_id, response_url}."""
    if not 200 <= answer.status_code < 300:
        raise ContractViolation("overpay.status-shape", f"{where} answered completed with a non-2xx code",
                                expected="HTTP 200 {status: completed, request_id, response_url}",
                                received=answer.summary())
    contracts.check("overpay/status-completed", answer.json, rule="overpay.status-shape",
                    what=f"completed answer of {where}")
    contracts.check("overpay/status", answer.json, rule="overpay.status-shape", what=f"answer of {where}")
    _same_request_id(answer, request_id, "overpay.status-shape", where)


@check("overpay.status-shape")
def status_task_error(answer: Answer, where: str) -> None:
    """status_url answers a failed task as {message} with a code other than 200."""
    contracts.check("overpay/task-error", answer.json, rule="overpay.status-shape",
                    what=f"non-200 answer of {where}")


@check("overpay.result-shape")
def result_processing(answer: Answer, request_id: str, where: str) -> None:
    """response_url answers a running task as {status: processing, request_id}."""
    _processing(answer, request_id, "overpay.result-shape", where)


@check("overpay.result-shape")
def result_is_a_result(answer: Answer, url: str, where: str) -> None:
    """response_url (``url="result"``) answers the result (or processing/unknown), never a
    {status: completed}; status_url (``url="status"``) may say completed."""
    if url == "result" and says_completed(answer):
        raise ContractViolation("overpay.result-shape", f"{where} answered a status instead of the result",
                                expected="the standard response ({transaction}) or a one-time error",
                                received=answer.summary())


def without_echoes(body: Any) -> Any:
    """``body`` with the transaction's echoes of the request set to null (which every contract
    allows): v2 wraps the transaction, v3 is the transaction itself."""
    if isinstance(body, dict) and isinstance(body.get("transaction"), dict):
        transaction = {k: (None if k in ECHO_FIELDS else v) for k, v in body["transaction"].items()}
        return {**body, "transaction": transaction}
    if isinstance(body, dict) and "uid" in body:
        return {k: (None if k in ECHO_FIELDS else v) for k, v in body.items()}
    return body


@check("overpay.result-shape")
def result_shape(body: Any, where: str, *, kind: str = "result", request_documented: bool = True,
                 api_version: int = 2) -> None:
    """The result is the standard synchronous response ({transaction}) or an error body.

    ``request_documented`` False: the request itself broke the documented request formats
    (generated negative data), so what the transaction echoes of it (card stamp, addresses,
    customer, description…) is not held to a format; everything else still is.
    """
    answer_in_version(body if request_documented else without_echoes(body), api_version=api_version, kind=kind,
                      rule="overpay.result-shape", what=f"result from {where}")


@check("overpay.result-matches-request")
def result_matches_request(transaction: Mapping[str, Any], request: Mapping[str, Any], transaction_type: str,
                           where: str) -> None:
    """The result answers its request: same type, amount, currency and tracking_id."""
    expected = {"type": transaction_type, "amount": request.get("amount"), "currency": request.get("currency"),
                "tracking_id": request.get("tracking_id")}
    received = {key: transaction.get(key) for key in expected}
    if received != expected:
        raise ContractViolation("overpay.result-matches-request", f"{where} does not answer its request",
                                expected=expected, received=received)


#: The triggers of a valid request: each must get a transaction, never an error.
VALID_OUTCOMES = frozenset({"successful", "failed", "incomplete"})


@check("overpay.result-matches-request")
def valid_request_not_refused(outcome: str, answer: Answer, where: str) -> None:
    """A valid request (a successful, failed or 3-D Secure trigger: ``outcome``) gets a
    transaction, not an error: a non-200 result for it breaks the rule."""
    if outcome in VALID_OUTCOMES and answer.status_code != 200:
        raise ContractViolation("overpay.result-matches-request",
                                f"{where} answered an error to a valid request ({outcome} trigger)",
                                expected="HTTP 200 with the standard response {transaction: ...}",
                                received=answer.summary())


@check("overpay.result-stable")
def result_stable(first: Any, again: Answer, where: str) -> None:
    """A 200 result reads the same on every read within its retention."""
    if again.json != first:
        raise ContractViolation("overpay.result-stable", f"{where} reads differently on a later read",
                                expected=_diff(first, again.json, "first read"),
                                received=_diff(again.json, first, "this read"))


@check("overpay.result-stable")
def no_error_after_result(first: Any, answer: Answer, where: str) -> None:
    """After a 200 result (``first``, None before one was read), a read never answers an error
    (a non-200 answer that is not 404 unknown) instead."""
    if first is not None and answer.status_code != 200 and not says_unknown(answer) and not says_processing(answer):
        raise ContractViolation("overpay.result-stable", f"{where} answered an error after a 200 result",
                                expected="the same 200 result on every read within retention",
                                received=answer.summary())


@check("overpay.no-going-back")
def no_going_back(done: bool, answer: Answer, where: str, history: list[str]) -> None:
    """Once completed (or its result delivered: ``done``), a task never reads processing again."""
    if done and says_processing(answer):
        raise ContractViolation("overpay.no-going-back", f"{where} reads processing after the task was done",
                                expected="completed or the result (a task never goes back to processing)",
                                received=answer.summary(), hint=f"reads so far: {history[-6:]}")


@check("overpay.completes")
def completes(describe: str, timeout: float, elapsed: float, seen: list[object], *,
              last_processing: float | None = None) -> NoReturn:
    """A task leaves processing within the profile's processing bound (``timeout``, seconds).

    Called when a wait for the task ended at its bound without the task leaving processing (the
    decisive observation); ``last_processing`` is how long after the task answer (seconds) the
    gateway itself last said processing (None: at ``elapsed``, the end of the wait). Reads the
    gateway did not serve (HTTP 429) say nothing about the task: a task last *said* processing
    before the bound is *not verified* (``NotVerified``), never failed, never passed.
    """
    timed_out("overpay.completes", describe, timeout, elapsed, seen, last_processing=last_processing)


def timed_out(rule: str, describe: str, timeout: float, elapsed: float, seen: list[object], *,
              last_processing: float | None, expected: str | None = None) -> NoReturn:
    """The decision of a wait for a task that ended at its bound (``timeout``, seconds) still
    processing: failed under ``rule`` when the gateway itself said processing at the bound, *not
    verified* when it last said so earlier (the later reads throttled, HTTP 429)."""
    said = elapsed if last_processing is None else last_processing
    if said < timeout:
        raise NotVerified(rule, f"{describe}: the gateway said processing until {said:.1f} s after the task "
                                f"answer, and its later reads were throttled (HTTP 429) up to the {timeout:g} s bound")
    raise ContractViolation(rule, f"timed out waiting for {describe}",
                            expected=expected or f"{describe} within {timeout:g} s",
                            received=f"after {elapsed:.1f} s, answers seen (in order): {seen[-8:]}",
                            hint="raise the profile's processing_timeout if the gateway is merely slow")


@check("overpay.completes")
def processing_within_bound(answer: Answer, where: str, *, since_answer: float, bound: float,
                            seen: list[str]) -> None:
    """A read at any moment: an answer still saying processing ``since_answer`` seconds after the
    task answer, past the profile's processing bound (``bound``, seconds), breaks the rule."""
    if says_processing(answer) and since_answer > bound:
        raise ContractViolation("overpay.completes", f"{where} still says processing {since_answer:.1f} s "
                                "after the task answer",
                                expected=f"the task completed within {bound:g} s (profile processing_timeout)",
                                received=f"answers seen (in order): {seen[-8:]}",
                                hint="raise the profile's processing_timeout if the gateway is merely slow")


@check("overpay.completes")
def completes_while_kept(request_id: str, processing_at: float, retention: float, margin: float,
                         seen: list[str]) -> None:
    """A task completes while its result can still be kept for the documented time: one still
    answering processing ``retention`` less ``margin`` seconds after its task answer (or later)
    would hand out a result that lives less than ``margin`` seconds.

    ``processing_at`` is how long after the task answer (seconds) the gateway last said processing.
    """
    if processing_at >= retention - margin:
        raise ContractViolation(
            "overpay.completes", f"task {request_id} was still processing when its result should already "
                                 f"have been kept for most of its retention",
            expected=f"a result well within the {retention:g} s a result is kept from creation (profile "
                     f"retention), at the latest {retention - margin:g} s after the task answer",
            received=f"processing {processing_at:.1f} s after the task answer; answers seen (in order): {seen[-8:]}",
            hint="a task that completes only at the end of its retention has no result to keep")


@check("overpay.unknown-404")
def unknown_404(answer: Answer, request_id: str, where: str) -> None:
    """An unknown (or no longer kept) request_id answers HTTP 404 {status: unknown, request_id}."""
    expected = {"http": 404, "body": {"status": "unknown", "request_id": request_id}}
    if answer.status_code != 404:
        raise ContractViolation("overpay.unknown-404", f"{where} answered unknown with HTTP {answer.status_code}",
                                expected=expected, received=answer.summary())
    contracts.check("overpay/status-unknown", answer.json, rule="overpay.unknown-404",
                    what=f"unknown answer of {where}")
    if str(answer.json.get("request_id")) != str(request_id):
        raise ContractViolation("overpay.unknown-404", f"{where} answered unknown for another request_id",
                                expected=expected, received=answer.summary())


@check("overpay.incomplete-final")
def incomplete_redirect(transaction: Mapping[str, Any]) -> None:
    """An incomplete transaction carries redirect_url to /process/{uid}."""
    uid, redirect = transaction.get("uid"), str(transaction.get("redirect_url") or "")
    if not redirect.split("?")[0].rstrip("/").endswith(f"/process/{uid}"):
        raise ContractViolation("overpay.incomplete-final", "incomplete transaction without its redirect_url",
                                expected={"redirect_url": f".../process/{uid}"},
                                received={"redirect_url": transaction.get("redirect_url")})


@check("overpay.incomplete-final")
def incomplete_becomes_final(listed: Mapping[str, Any], tracking_id: str) -> None:
    """The tracking query shows the incomplete transaction's final state."""
    if listed.get("status") not in ("successful", "failed", "expired") or listed.get("tracking_id") != tracking_id:
        raise ContractViolation("overpay.incomplete-final", "the transaction did not reach a final state",
                                expected={"status": "successful | failed | expired", "tracking_id": tracking_id},
                                received={k: listed.get(k) for k in ("uid", "status", "tracking_id")})


@check("overpay.tracking-query")
def tracking_query(answer: Answer, tracking_id: str, *, api_version: int = 2) -> list[dict[str, Any]]:
    """GET /v2/transactions/tracking_id/{id} answers 200 {transactions: [...]}, at most 10, all matching."""
    if answer.status_code != 200:
        raise ContractViolation("overpay.tracking-query", "the tracking_id query was not answered 200",
                                expected="HTTP 200 {transactions: [...]}", received=answer.summary())
    answer_in_version(answer.json, api_version=api_version, kind="tracking-query", rule="overpay.tracking-query",
                      what=f"answer to GET /v2/transactions/tracking_id/{tracking_id}")
    listed = list(answer.json["transactions"])
    others = [t.get("tracking_id") for t in listed if t.get("tracking_id") != tracking_id]
    if others or len(listed) > 10:
        raise ContractViolation("overpay.tracking-query", "the tracking_id query lists other transactions",
                                expected=f"at most 10 transactions with tracking_id {tracking_id}",
                                received={"count": len(listed), "other tracking_ids": others[:3]})
    return listed


@check("overpay.tracking-query")
def tracking_lists(listed: list[dict[str, Any]], uid: str | None) -> None:
    """The tracking_id query lists the transaction (``uid``), or nothing for an unknown id (None)."""
    uids = [t.get("uid") for t in listed]
    if (uid is None and listed) or (uid is not None and uid not in uids):
        raise ContractViolation("overpay.tracking-query", "the tracking_id query lists the wrong transactions",
                                expected={"transactions": [] if uid is None else [{"uid": uid}]},
                                received={"transactions": uids[:5]})


@check("overpay.uid-query")
def uid_query(answer: Answer, transaction: Mapping[str, Any], *, api_version: int = 2) -> None:
    """GET /transactions/{uid} answers 200 {transaction} for that very transaction."""
    uid = transaction.get("uid")
    if answer.status_code != 200:
        raise ContractViolation("overpay.uid-query", f"GET /transactions/{uid} is not 200",
                                expected="HTTP 200 {transaction: ...}", received=answer.summary())
    answer_in_version(answer.json, api_version=api_version, kind="transaction-response", rule="overpay.uid-query",
                      what=f"answer to GET /transactions/{uid}")
    keys = ("uid", "amount", "currency", "tracking_id", "type")
    got = transaction_of(answer.json) or {}
    if {k: got.get(k) for k in keys} != {k: transaction.get(k) for k in keys}:
        raise ContractViolation("overpay.uid-query", "the uid query answers another transaction",
                                expected={k: transaction.get(k) for k in keys}, received={k: got.get(k) for k in keys})


@check("overpay.auth-required")
def auth_required(answer: Answer, credentials: str) -> None:
    """A request without valid HTTP Basic credentials is refused (401 or 403)."""
    if answer.status_code not in (401, 403):
        raise ContractViolation("overpay.auth-required", f"a POST with {credentials} credentials was not refused",
                                expected="HTTP 401 (or 403), no task", received=answer.summary())


@check("overpay.webhook")
def webhook_arrives(describe: str, timeout: float, arrived: object) -> NoReturn:
    """With notification_url, the webhook arrives within the profile's notification_timeout."""
    raise ContractViolation("overpay.webhook", f"{describe} never arrived",
                            expected=f"{describe} within {timeout:g} s", received=f"what did arrive: {arrived}",
                            hint="check that the gateway can reach the receiver ([receiver] public_url)")


@check("overpay.webhook")
def webhook_is_post(method: str) -> None:
    """The webhook is an HTTP POST carrying the transaction JSON."""
    if method != "POST":
        raise ContractViolation("overpay.webhook", "the webhook is not a POST",
                                expected="POST with the transaction JSON", received=method)


@check("overpay.webhook")
def webhook_authenticated(authenticated: bool, headers: Mapping[str, str]) -> None:
    """The webhook carries HTTP Basic shop credentials or a valid Content-Signature."""
    if not authenticated:
        raise ContractViolation("overpay.webhook", "the webhook carries no valid credentials",
                                expected="HTTP Basic shop id / secret key, or a valid Content-Signature",
                                received={"authorization": "present" if "authorization" in headers else "absent",
                                          "content-signature": headers.get("content-signature")})


@check("overpay.webhook")
def webhook_body(raw: bytes, transaction: Mapping[str, Any], *, api_version: int = 2) -> None:
    """The webhook body is the transaction JSON, the same transaction as the task's result."""
    import json

    try:
        body = json.loads(raw)
    except ValueError:
        raise ContractViolation("overpay.webhook", "the webhook body is not JSON",
                                expected="the transaction JSON", received=raw[:200]) from None
    answer_in_version(body, api_version=api_version, kind="webhook", rule="overpay.webhook", what="webhook body")
    keys = ("uid", "status", "amount", "currency", "tracking_id", "type")
    got, want = {k: (transaction_of(body) or {}).get(k) for k in keys}, {k: transaction.get(k) for k in keys}
    if got != want:
        raise ContractViolation("overpay.webhook", "the webhook carries another transaction than the result",
                                expected=want, received=got)


@check("overpay.contract")
def generated_answer(answer: Answer, path: str, *, api_version: int = 2) -> None:
    """A generated request gets a task (2xx) or a documented synchronous refusal (4xx)."""
    if answer.status_code in (401, 403) or answer.status_code >= 500:
        raise ContractViolation("overpay.contract", f"POST {path} failed on a generated request",
                                expected="a task (2xx) or a documented error (4xx)", received=answer.summary())
    if not 200 <= answer.status_code < 300:
        answer_in_version(answer.json, api_version=api_version, kind="error", rule="overpay.contract",
                          what=f"synchronous refusal of POST {path}")


@check("overpay.invalid-rejected")
def invalid_rejected(breach: str, processed: Answer | None, refusal: Answer | None = None, *,
                     api_version: int = 2) -> None:
    """A request breaking a documented constraint is refused: at once (4xx error) or as a one-time error."""
    if refusal is not None:
        answer_in_version(refusal.json, api_version=api_version, kind="error", rule="overpay.invalid-rejected",
                          what=f"synchronous refusal of a request with {breach}")
    if processed is not None:
        raise ContractViolation("overpay.invalid-rejected", f"a request with {breach} was processed",
                                expected="a synchronous 4xx error, or a non-200 error result delivered once",
                                received=processed.summary())


def _diff(a: Any, b: Any, label: str) -> Any:
    """The parts of ``a`` that differ from ``b`` (top level and transaction level)."""
    if isinstance(a, dict) and isinstance(b, dict):
        inner_a, inner_b = a.get("transaction"), b.get("transaction")
        if isinstance(inner_a, dict) and isinstance(inner_b, dict):
            keys = sorted(k for k in set(inner_a) | set(inner_b) if inner_a.get(k) != inner_b.get(k))
            return {label: {f"transaction.{k}": inner_a.get(k) for k in keys}}
        keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
        return {label: {k: a.get(k) for k in keys}}
    return {label: a}
