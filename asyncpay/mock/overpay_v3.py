"""Overpay's API v3 answers: what the mock serves to a request with ``X-API-Version: 3``.

The routes build every answer in the classic v2 shape; :func:`answer_for` re-renders it in the
v3 shape when the request asked for it (https://docs.overpay.io/en/reference/api_v3/): the
transaction flattened to the top level with ``code``, ``friendly_message`` and
``payment_method``, errors with a code, the task answer with code ``8010`` ("async transaction
was created"). The task's own status answers are the same in both versions.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

HEADER = "x-api-version"
TASK_CREATED = {"code": "8010", "friendly_message": "The request is being processed.",
                "message": "Async transaction was created"}
#: Processing codes by transaction status (the docs give codes such as S.0000; the mock's own).
CODES = {
    "successful": ("S.0000", "The operation is successful."),
    "failed": ("F.0001", "The operation was declined."),
    "incomplete": ("P.0001", "The operation requires verification."),
    "expired": ("E.2004", "The operation has expired."),
}
INVALID = ("E.1025", "Invalid request params")
FAILURE = ("F.1000", "We are sorry, but something went wrong.")


def wants_v3(request: Request) -> bool:
    return request.headers.get(HEADER, "").strip() == "3"


def answer_for(request: Request, response: Response, *, status_word: str | None = None) -> Response:
    """``response`` as the version the request asked for: re-rendered for v3, else as it is.

    ``status_word`` (the v3-status-undocumented fault) replaces status ``successful`` in v3
    transactions."""
    if not wants_v3(request) or "json" not in (response.media_type or response.headers.get("content-type", "")):
        return response
    try:
        body = json.loads(bytes(response.body))
    except (ValueError, AttributeError):
        return response
    headers = {k: v for k, v in response.headers.items() if k.lower() not in ("content-length", "content-type")}
    return JSONResponse(to_v3(body, response.status_code, status_word), response.status_code, headers=headers)


def to_v3(body: Any, status_code: int, status_word: str | None = None) -> Any:
    """A v2 answer body in the v3 shape (bodies v3 leaves alone come back unchanged)."""
    if not isinstance(body, dict):
        return body
    if isinstance(body.get("response"), dict) and "errors" in body["response"]:
        body = body["response"]  # a wrapped v2 error: v3 has one error shape
    if isinstance(body.get("transaction"), dict):
        return transaction(body["transaction"], status_word)
    if isinstance(body.get("transactions"), list):
        return {**body, "transactions": [transaction(t, status_word) for t in body["transactions"]]}
    if body.get("status") == "processing" and "status_url" in body:
        return {**body, **TASK_CREATED}
    if "status" in body:
        return body  # the task's status answers: processing, completed, unknown
    if "errors" in body:
        code, friendly = INVALID
        return {"code": code, "friendly_message": friendly, **body}
    if "message" in body and status_code >= 500:
        code, friendly = FAILURE
        return {"code": code, "friendly_message": friendly, **body}
    return body


def transaction(tx: dict[str, Any], status_word: str | None = None) -> dict[str, Any]:
    """A v2 transaction object flattened to the v3 standard response (``status_word`` in place
    of status ``successful``, when given)."""
    kind, status = str(tx.get("type")), str(tx.get("status"))
    flat = {k: v for k, v in tx.items() if k not in ("credit_card", "payment_method_type", kind)}
    code, friendly = CODES.get(status, FAILURE)
    card = tx.get("credit_card")
    details = tx.get(kind)
    flat.update({
        "code": code,
        "friendly_message": friendly,
        "payment_method": ({"payment_method_type": tx.get("payment_method_type") or "credit_card", **card}
                           if isinstance(card, dict) else None),
        "transaction": details if isinstance(details, dict) else None,
    })
    if status_word is not None and status == "successful":
        flat["status"] = status_word
    return flat
