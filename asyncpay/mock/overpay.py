"""Overpay routes: asynchronous tasks (create, status, result), the synchronous transaction
endpoints, the status queries and the 3-D Secure page.

Documented behaviour (https://docs.overpay.io/en/integration/card_api/asynchronous/)
unless a fault or variant switch says otherwise: a task completes ``processing_delay`` seconds
after creation; a 200 result reads the same until ``retention`` seconds after the task's
creation; any other result is handed out once, by whichever URL asks first for a task failure,
by the result URL for an error (by either URL under the status-delivers-result variant).
"""

from __future__ import annotations

import asyncio
import copy
import html
import itertools
import json
import secrets
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from asyncpay.mock import overpay_v3
from asyncpay.mock.idempotency import RequestIds
from asyncpay.mock.overpay_children import amount_left
from asyncpay.mock.overpay_processing import Processor
from asyncpay.mock.overpay_validation import KINDS, PARENT_KINDS
from asyncpay.mock.runtime import MockRuntime
from asyncpay.mock.store import Task
from asyncpay.mock.transactions import iso_time, render
from asyncpay.mock.urls import off_origin
from asyncpay.mock.variants import THROTTLE_EVERY
from asyncpay.wire.webhooks import verify_basic

HANG = 30.0  # seconds a result read hangs under the result-hangs fault
RETRY_AFTER = "1"  # seconds, the throttles variant's Retry-After

Handler = Callable[[Request], Awaitable[Response]]


#: v3-status-undocumented: the status a v3 transaction shows instead of "successful".
UNDOCUMENTED_STATUS = "success"


class OverpayApi:
    def __init__(self, runtime: MockRuntime) -> None:
        self.rt = runtime
        self.faults = runtime.faults
        self.variants = runtime.variants
        self.store = runtime.store
        self.answers = runtime.answers
        self.processor = Processor(runtime)
        self._posts = itertools.count()
        self._reads = itertools.count(1)
        self._numeric_ids = itertools.count(10000 + secrets.randbelow(80000))
        self.request_ids = RequestIds(runtime.clock)

    def routes(self) -> list[Route]:
        api = self._with_basic_auth
        return [
            Route("/async/transactions/{kind}", api(self.create_task), methods=["POST"]),
            Route("/async/status/{request_id}", api(self.status), methods=["GET"]),
            Route("/async/result/{request_id}", api(self.result), methods=["GET"]),
            # The url-layout variant's URLs (the task answer names whichever are in use).
            Route("/async/tasks/{request_id}", api(self.status), methods=["GET"]),
            Route("/async/tasks/{request_id}/result", api(self.result), methods=["GET"]),
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
            # The same request again: the same task, no new transaction.
            return self.answers.overpay(first, 202 if self.variants.on("processing-202") else 200)
        now = self.rt.clock.now()
        task = Task(self._new_request_id(), request.path_params["kind"], body,
                    str(request.base_url).rstrip("/"), now)
        task.api_version = 3 if overpay_v3.wants_v3(request) else 2
        self.store.tasks[task.request_id] = task
        if not self.faults.on("stuck-processing") and not (
                self.faults.on("child-stuck-processing") and task.kind in PARENT_KINDS):
            self.rt.timeline.at(now + self.rt.config.draw_processing_delay(),
                                lambda: self.processor.complete(task))
        answer = {"status": "pending" if self.faults.on("task-not-processing") else "processing",
                  "request_id": task.request_id,
                  "status_url": self._status_url(task),
                  "response_url": self._result_url(task)}
        if self.faults.on("task-without-status-url"):
            del answer["status_url"]
        if key:
            self.request_ids.remember(key, answer)
        return self.answers.overpay(answer, 202 if self.variants.on("processing-202") else 200)

    async def status(self, request: Request) -> Response:
        request_id = request.path_params["request_id"]
        if self.faults.on("status-redirects"):
            target = off_origin(str(request.base_url))
            return RedirectResponse(f"{target}/async/status/{request_id}", status_code=302)
        task = self._done_task(request_id, self._processing_status(result_url=False))
        if isinstance(task, Response):
            return task
        if task.failed:
            return self._hand_out_once(task)  # either URL delivers a task failure
        if self.variants.on("status-delivers-result"):
            return self._result(task)
        if self.faults.on("completed-goes-back") and task.completed_reads == 1 \
                and not task.went_back:
            task.went_back = True
            return self.answers.overpay({"status": "processing", "request_id": request_id},
                                        self._processing_status(result_url=False))
        task.completed_reads += 1
        if task.one_time and self.faults.on("status-read-consumes-error"):
            task.gone = True
        answer = {"status": "completed", "request_id": request_id,
                  "response_url": self._result_url(task)}
        if self.faults.on("completed-without-response-url"):
            del answer["response_url"]
        return self.answers.overpay(answer)

    async def result(self, request: Request) -> Response:
        if self.faults.on("result-hangs"):
            await asyncio.sleep(HANG)
        task = self._done_task(request.path_params["request_id"],
                               self._processing_status(result_url=True))
        if isinstance(task, Response):
            return task
        return self._result(task)

    async def process_now(self, request: Request) -> Response:
        """The synchronous endpoints: the standard response straight away."""
        body = await self._accepted_request(request)
        if isinstance(body, Response):
            return body
        outcome = self.processor.decide(request.path_params["kind"], body,
                                        str(request.base_url).rstrip("/"),
                                        api_version=3 if overpay_v3.wants_v3(request) else 2)
        return self.answers.overpay(outcome.body, outcome.status)

    async def transaction(self, request: Request) -> Response:
        tx = self.store.transactions.get(request.path_params["uid"])
        if tx is None or self.faults.on("uid-query-not-found"):
            return self.answers.overpay({"message": "Record not found"}, 404)
        body = render(tx)
        if self.variants.on("parent-shows-children"):
            body["amount"] = amount_left(tx, self.store.transactions)
        return self.answers.overpay({"transaction": body})

    async def by_tracking_id(self, request: Request) -> Response:
        found = self.store.by_tracking_id(request.path_params["tracking_id"])
        if self.faults.on("tracking-query-empty"):
            found = []
        return self.answers.overpay({"transactions": [render(tx) for tx in found]})

    async def verification_page(self, request: Request) -> Response:
        """Where an incomplete transaction's redirect_url sends the shopper (no credentials)."""
        tx = self.store.transactions.get(request.path_params["uid"])
        if tx is None:
            return HTMLResponse("<!doctype html><title>Not found</title><p>No such transaction.",
                                404)
        self.processor.finish_incomplete(tx)
        return_url = tx.request.get("return_url")
        link = f'<p><a href="{html.escape(return_url)}">Back to the shop</a>' if return_url else ""
        return HTMLResponse("<!doctype html><title>3-D Secure</title>"
                            f"<p>Verification complete: the transaction is {tx.status}.{link}")

    # --- reading tasks -------------------------------------------------------------------

    def _result(self, task: Task) -> Response:
        """A done task's result: a one-time answer handed out, or the stored 200 result."""
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
        return self.answers.overpay(body)

    def _done_task(self, request_id: str, processing_status: int) -> Task | Response:
        """The task once it is done; else the answer both URLs give: unknown or processing."""
        task = self._live_task(request_id)
        if task is None:
            return self._unknown(request_id)
        if not task.done:
            return self.answers.overpay({"status": "processing", "request_id": request_id},
                                        processing_status)
        return task

    def _processing_status(self, *, result_url: bool) -> int:
        if result_url and self.variants.on("processing-425"):
            return 425
        return 202 if self.variants.on("processing-202") else 200

    def _live_task(self, request_id: str) -> Task | None:
        """The task if the gateway still answers for it; None means 404 unknown."""
        task = self.store.tasks.get(request_id)
        if task is None or task.gone or self._expired(task):
            return None
        if task.one_time and not task.failed and self.faults.on("error-never-returned"):
            return None
        return task

    def _expired(self, task: Task) -> bool:
        if self.faults.on("result-never-expires"):
            return False
        start, kept = task.created_at, self.rt.config.retention
        if self.faults.on("retention-from-completion") and task.completed_at is not None:
            start = task.completed_at
        if self.faults.on("expires-early") and task.result_status == 200:
            kept /= 2  # the fault shortens what the rule is about: 200 results
        return self.rt.clock.now() >= start + kept

    def _hand_out_once(self, task: Task) -> Response:
        assert task.result_status is not None and task.result_body is not None
        task.deliveries += 1
        twice = self.faults.on("task-failure-twice" if task.failed else "error-returned-twice")
        if task.deliveries >= (2 if twice else 1):
            task.gone = True
        return self.answers.overpay(task.result_body, task.result_status)

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
        return self.answers.overpay(body, status)

    # --- task ids and URLs ---------------------------------------------------------------

    def _new_request_id(self) -> str:
        if self.variants.on("numeric-request-ids"):
            return str(next(self._numeric_ids))
        return str(uuid.uuid4())

    def _status_url(self, task: Task) -> str:
        if self.variants.on("url-layout"):
            return f"{self._task_base(task)}/async/tasks/{task.request_id}"
        return f"{self._task_base(task)}/async/status/{task.request_id}"

    def _result_url(self, task: Task) -> str:
        if self.variants.on("url-layout"):
            return f"{self._task_base(task)}/async/tasks/{task.request_id}/result"
        return f"{self._task_base(task)}/async/result/{task.request_id}"

    def _task_base(self, task: Task) -> str:
        if self.faults.on("status-url-off-origin"):
            return off_origin(task.base_url)
        return task.base_url

    # --- requests: credentials, throttling, the body -------------------------------------

    def _with_basic_auth(self, handler: Handler) -> Handler:
        async def guarded(request: Request) -> Response:
            response = self._refuse(request) or self._throttle(request) or await handler(request)
            if self.faults.on("api-version-ignored") or self.variants.on("v2-only"):
                return response
            return overpay_v3.answer_for(  # v3 when X-API-Version: 3
                request, response,
                status_word=UNDOCUMENTED_STATUS if self.faults.on("v3-status-undocumented") else None)
        return guarded

    def _refuse(self, request: Request) -> Response | None:
        """401 unless the request carries the shop's HTTP Basic credentials."""
        if self.faults.on("auth-not-checked"):
            return None
        config = self.rt.config
        if verify_basic(request.headers, config.shop_id, config.secret_key):
            return None
        return self.answers.overpay({"message": "Unauthorized"}, 401,
                                    {"WWW-Authenticate": 'Basic realm="Overpay"'})

    def _throttle(self, request: Request) -> Response | None:
        """The throttles variant: 429 with Retry-After to the first POST of every few, and to the
        first read of every few task status or result reads (a throttled read hands out nothing)."""
        if not self.variants.on("throttles"):
            return None
        if request.method == "POST":
            counter = self._posts
        elif request.url.path.startswith("/async/"):
            counter = self._reads
        else:
            return None
        if next(counter) % THROTTLE_EVERY:
            return None
        return self.answers.overpay({"message": "Too many requests: retry later"}, 429,
                                    {"Retry-After": RETRY_AFTER})

    async def _accepted_request(self, request: Request) -> dict[str, Any] | Response:
        """The body's ``request`` object, or the synchronous refusal (unknown kind, bad body)."""
        if request.path_params["kind"] not in KINDS:
            return self.answers.overpay({"message": "Not found"}, 404)
        try:
            body = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError):
            body = None
            problem = "Request body is not valid JSON"
        else:
            problem = "Request parameters must be wrapped in a \"request\" object"
        if isinstance(body, dict) and isinstance(body.get("request"), dict):
            return dict(body["request"])
        refusal = self.processor.validation_error({"base": [problem]}, problem)
        if self.faults.on("refusal-undocumented"):
            return self.answers.overpay({"error": "bad request"}, refusal.status)
        return self.answers.overpay(refusal.body, refusal.status)
