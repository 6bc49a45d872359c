"""Overpay routes: asynchronous tasks (create, status, result), the synchronous transaction
endpoints, the status queries, the 3-D Secure page and webhooks.

Documented behaviour (FACTS part A and the seed page) unless a fault switch says otherwise:
a task completes ``processing_delay`` after creation; a 200 result reads the same until
``retention`` after the task's creation; any other result is handed out once, by whichever
URL asks first for a task failure, by the result URL for an error.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import copy
import hmac
import html
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from asyncpay.mock import overpay_v3
from asyncpay.mock.idempotency import RequestIds
from asyncpay.mock.notifier import OVERPAY_WEBHOOK_RETRIES, Delivery
from asyncpay.mock.overpay_validation import KINDS, as_amount, card_number, error_body, validate
from asyncpay.mock.runtime import MockRuntime
from asyncpay.mock.store import Task, Transaction
from asyncpay.mock.transactions import complete_verification, iso_time, new_transaction, render
from asyncpay.mock.urls import off_origin
from asyncpay.profile import MOCK_OVERPAY_OUTCOMES

FAIL_THE_TASK = MOCK_OVERPAY_OUTCOMES["task_failure"]["description"]
TASK_FAILURE = {"message": "We're sorry, but something went wrong"}
TASK_FAILURE_STATUS = 500  # documented only as "not 200"
DUPLICATE_WINDOW = 30.0  # seconds: documented for duplicate_check
HANG = 30.0  # seconds a result read hangs under the result-hangs fault


Handler = Callable[[Request], Awaitable[Response]]


@dataclass
class Outcome:
    status: int
    body: dict[str, Any]
    transaction: Transaction | None = None


class OverpayApi:
    def __init__(self, runtime: MockRuntime) -> None:
        self.rt = runtime
        self.faults = runtime.faults
        self.store = runtime.store
        self.request_ids = RequestIds(runtime.clock)

    def routes(self) -> list[Route]:
        api = self._with_basic_auth
        return [
            Route("/async/transactions/{kind}", api(self.create_task), methods=["POST"]),
            Route("/async/status/{request_id}", api(self.status), methods=["GET"]),
            Route("/async/result/{request_id}", api(self.result), methods=["GET"]),
            Route("/transactions/{kind}", api(self.process_now), methods=["POST"]),
            Route("/transactions/{uid}", api(self.transaction), methods=["GET"]),
            Route("/v2/transactions/tracking_id/{tracking_id}", api(self.by_tracking_id),
                  methods=["GET"]),
            # The shopper's browser follows redirect_url: no credentials there.
            Route("/process/{uid}", self.verification_page, methods=["GET", "POST"]),
        ]

    # --- routes --------------------------------------------------------------------------

    async def create_task(self, request: Request) -> Response:
        body = await self._accepted_request(request)
        if isinstance(body, Response):
            return body
        key = None if self.faults.on("request-id-ignored") else RequestIds.key(request)
        first = self.request_ids.replay(key) if key else None
        if first is not None:
            return JSONResponse(first)  # the same request again: the same task, no new transaction
        now = self.rt.clock.now()
        task = Task(str(uuid.uuid4()), request.path_params["kind"], body,
                    str(request.base_url).rstrip("/"), now)
        self.store.tasks[task.request_id] = task
        if not self.faults.on("stuck-processing"):
            self.rt.timeline.at(now + self.rt.config.processing_delay,
                                lambda: self._complete(task))
        base = self._task_base(task)
        answer = {"status": "pending" if self.faults.on("task-not-processing") else "processing",
                  "request_id": task.request_id,
                  "status_url": f"{base}/async/status/{task.request_id}",
                  "response_url": f"{base}/async/result/{task.request_id}"}
        if self.faults.on("task-without-status-url"):
            del answer["status_url"]
        if key:
            self.request_ids.remember(key, answer)
        return JSONResponse(answer)

    async def _accepted_request(self, request: Request) -> dict[str, Any] | Response:
        """The body's ``request`` object, or the synchronous refusal (unknown kind, bad body)."""
        refused = _unknown_kind(request)
        if refused is not None:
            return refused
        body = await _request_object(request)
        if isinstance(body, Response) and self.faults.on("refusal-undocumented"):
            return JSONResponse({"error": "bad request"}, body.status_code)
        return body

    async def status(self, request: Request) -> Response:
        request_id = request.path_params["request_id"]
        if self.faults.on("status-redirects"):
            target = off_origin(str(request.base_url))
            return RedirectResponse(f"{target}/async/status/{request_id}", status_code=302)
        task = self._done_task(request_id)
        if isinstance(task, Response):
            return task
        if task.result_status == TASK_FAILURE_STATUS:
            return self._hand_out_once(task)  # either URL delivers a task failure
        if self.faults.on("completed-goes-back") and task.completed_reads == 1 \
                and not task.went_back:
            task.went_back = True
            return JSONResponse({"status": "processing", "request_id": request_id})
        task.completed_reads += 1
        if task.one_time and self.faults.on("status-read-consumes-error"):
            task.gone = True
        answer = {"status": "completed", "request_id": request_id,
                  "response_url": f"{self._task_base(task)}/async/result/{request_id}"}
        if self.faults.on("completed-without-response-url"):
            del answer["response_url"]
        return JSONResponse(answer)

    async def result(self, request: Request) -> Response:
        if self.faults.on("result-hangs"):
            await asyncio.sleep(HANG)
        task = self._done_task(request.path_params["request_id"])
        if isinstance(task, Response):
            return task
        if task.one_time:
            return self._hand_out_once(task)
        assert task.result_body is not None and task.completed_at is not None
        task.result_reads += 1
        body = task.result_body
        if self.faults.on("result-changes"):
            body = copy.deepcopy(body)
            body["transaction"]["updated_at"] = iso_time(task.completed_at + task.result_reads)
        if self.faults.on("result-vanishes-after-read"):
            task.gone = True
        return JSONResponse(body)

    async def process_now(self, request: Request) -> Response:
        """The synchronous endpoints: the standard response straight away."""
        body = await self._accepted_request(request)
        if isinstance(body, Response):
            return body
        outcome = self._decide(request.path_params["kind"], body, str(request.base_url).rstrip("/"))
        return JSONResponse(outcome.body, outcome.status)

    async def transaction(self, request: Request) -> Response:
        tx = self.store.transactions.get(request.path_params["uid"])
        if tx is None or self.faults.on("uid-query-not-found"):
            return JSONResponse({"message": "Record not found"}, 404)
        return JSONResponse({"transaction": render(tx)})

    async def by_tracking_id(self, request: Request) -> Response:
        found = self.store.by_tracking_id(request.path_params["tracking_id"])
        if self.faults.on("tracking-query-empty"):
            found = []
        return JSONResponse({"transactions": [render(tx) for tx in found]})

    async def verification_page(self, request: Request) -> Response:
        """Where an incomplete transaction's redirect_url sends the shopper (no credentials)."""
        tx = self.store.transactions.get(request.path_params["uid"])
        if tx is None:
            return HTMLResponse("<!doctype html><title>Not found</title><p>No such transaction.",
                                404)
        self._finish_incomplete(tx)
        return_url = tx.request.get("return_url")
        link = f'<p><a href="{html.escape(return_url)}">Back to the shop</a>' if return_url else ""
        return HTMLResponse("<!doctype html><title>3-D Secure</title>"
                            f"<p>Verification complete: the transaction is {tx.status}.{link}")

    # --- the task's lifecycle ------------------------------------------------------------

    def _complete(self, task: Task) -> None:
        now = self.rt.clock.now()
        outcome = self._decide(task.kind, task.request, task.base_url)
        task.completed_at = now
        task.result_status = outcome.status
        task.result_body = (outcome.body if outcome.transaction is None
                            else self._as_task_result(outcome.body))

    def _decide(self, kind: str, request: dict[str, Any], base_url: str) -> Outcome:
        """What the gateway answers to ``request`` now; creates the transaction if valid."""
        now = self.rt.clock.now()
        if request.get("description") == FAIL_THE_TASK:
            return Outcome(TASK_FAILURE_STATUS, dict(TASK_FAILURE))
        errors = validate(kind, request, now, self.store.transactions)
        if self.faults.on("invalid-amount-accepted"):
            errors.pop("amount", None)
            if not isinstance(request.get("amount"), int) or request["amount"] <= 0:
                request = {**request, "amount": 1}
        if errors:
            return Outcome(422, error_body(errors))
        if self._duplicate(request, now):
            return Outcome(422, error_body({"base": ["Duplicate transaction"]},
                                           "Duplicate transaction"))
        parent = self.store.transactions.get(request.get("parent_uid") or "")
        tx = new_transaction(kind, self._as_recorded(request), base_url, now, parent)
        if self.faults.on("incomplete-without-redirect") and tx.verification_url is not None:
            tx.verification_url = f"{base_url}/"
        self.store.add_transaction(tx)
        if tx.status == "incomplete":
            # The shopper may never follow the redirect; the mock then completes it itself.
            self.rt.timeline.at(now + 2 * self.rt.config.processing_delay,
                                lambda: self._finish_incomplete(tx))
        else:
            self._send_webhook(tx)
        return Outcome(200, {"transaction": render(tx)}, tx)

    def _duplicate(self, request: dict[str, Any], now: float) -> bool:
        number = card_number(request.get("credit_card"))
        amount = as_amount(request.get("amount"))
        if number is None or amount is None:
            return False
        last = self.store.recent_cards.get((amount, number))
        self.store.recent_cards[(amount, number)] = now
        return request.get("duplicate_check", True) is not False and last is not None \
            and now - last < DUPLICATE_WINDOW

    def _as_recorded(self, request: dict[str, Any]) -> dict[str, Any]:
        """The request as the transaction records it. The mismatch faults alter the record
        itself, so the result, the queries and the webhook still agree with one another."""
        if self.faults.on("result-amount-mismatch"):
            request = {**request, "amount": int(request["amount"]) + 1}
        if self.faults.on("result-tracking-id-mismatch"):
            request = {**request, "tracking_id": f"{request.get('tracking_id') or 'none'}-other"}
        return request

    def _as_task_result(self, body: dict[str, Any]) -> dict[str, Any]:
        """The task's stored result, with the result faults applied once (so it stays stable)."""
        if self.faults.on("result-missing-uid"):
            del body["transaction"]["uid"]
        return body

    def _finish_incomplete(self, tx: Transaction) -> None:
        if tx.status != "incomplete":
            return
        complete_verification(tx, self.rt.clock.now())
        self._send_webhook(tx)

    def _send_webhook(self, tx: Transaction) -> None:
        url = tx.request.get("notification_url")
        if not url or self.faults.on("webhook-never-sent"):
            return
        body = {"transaction": render(tx)}
        if self.faults.on("webhook-other-amount"):
            body["transaction"]["amount"] += 1
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if not self.faults.on("webhook-without-credentials"):
            headers["Authorization"] = _basic(self.rt.config.shop_id, self.rt.config.secret_key)
        self.rt.notifier.send(Delivery("overpay webhook", "POST", url, headers,
                                       json.dumps(body).encode(), OVERPAY_WEBHOOK_RETRIES))

    # --- reading tasks -------------------------------------------------------------------

    def _done_task(self, request_id: str) -> Task | Response:
        """The task once it is done; else the answer both URLs give: unknown or processing."""
        task = self._live_task(request_id)
        if task is None:
            return self._unknown(request_id)
        if not task.done:
            return JSONResponse({"status": "processing", "request_id": request_id})
        return task

    def _live_task(self, request_id: str) -> Task | None:
        """The task if the gateway still answers for it; None means 404 unknown."""
        task = self.store.tasks.get(request_id)
        if task is None or task.gone or self._expired(task):
            return None
        if task.result_status == 422 and self.faults.on("error-never-returned"):
            return None
        return task

    def _expired(self, task: Task) -> bool:
        if self.faults.on("result-never-expires"):
            return False
        start, kept = task.created_at, self.rt.config.retention
        if self.faults.on("retention-from-completion") and task.completed_at is not None:
            start = task.completed_at
        if self.faults.on("retention-too-short"):
            kept /= 2
        return self.rt.clock.now() >= start + kept

    def _hand_out_once(self, task: Task) -> Response:
        assert task.result_status is not None and task.result_body is not None
        task.deliveries += 1
        twice = (self.faults.on("task-failure-twice") if task.result_status == TASK_FAILURE_STATUS
                 else self.faults.on("error-returned-twice"))
        if task.deliveries >= (2 if twice else 1):
            task.gone = True
        return JSONResponse(task.result_body, task.result_status)

    def _unknown(self, request_id: str) -> Response:
        body = {"status": "unknown", "request_id": request_id}
        status = 404
        # The unknown-id faults only touch ids never issued: a task that expired or was
        # delivered reads unknown as documented, so these faults break no other rule.
        if request_id not in self.store.tasks:
            if self.faults.on("unknown-with-200"):
                status = 200
            if self.faults.on("unknown-wrong-request-id"):
                body["request_id"] = str(uuid.uuid4())
        return JSONResponse(body, status)

    def _task_base(self, task: Task) -> str:
        if self.faults.on("status-url-off-origin"):
            return off_origin(task.base_url)
        return task.base_url

    def _with_basic_auth(self, handler: Handler) -> Handler:
        async def guarded(request: Request) -> Response:
            response = self._refuse(request) or await handler(request)
            if self.faults.on("api-version-ignored"):
                return response
            return overpay_v3.answer_for(request, response)  # v3 when X-API-Version: 3
        return guarded

    def _refuse(self, request: Request) -> Response | None:
        """401 unless the request carries the shop's HTTP Basic credentials."""
        if self.faults.on("auth-not-checked"):
            return None
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "basic":
            try:
                user, sep, password = base64.b64decode(encoded, validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                sep = ""
            config = self.rt.config
            if sep and hmac.compare_digest(user.encode(), config.shop_id.encode()) \
                    and hmac.compare_digest(password.encode(), config.secret_key.encode()):
                return None
        return JSONResponse({"message": "Unauthorized"}, 401,
                            headers={"WWW-Authenticate": 'Basic realm="Overpay"'})


async def _request_object(request: Request) -> dict[str, Any] | Response:
    """The body's ``request`` object, or the synchronous 422 for a body that has none."""
    try:
        body = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        body = None
        problem = "Request body is not valid JSON"
    else:
        problem = "Request parameters must be wrapped in a \"request\" object"
    if isinstance(body, dict) and isinstance(body.get("request"), dict):
        return body["request"]
    return JSONResponse({"message": problem, "errors": {"base": [problem]}}, 422)


def _unknown_kind(request: Request) -> Response | None:
    if request.path_params["kind"] in KINDS:
        return None
    return JSONResponse({"message": "Not found"}, 404)


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
