"""Property-based: generated async requests, every answer held to its documented schema.

schemathesis generates valid and invalid requests from contracts/overpay.openapi.yaml. Each
answer must be a documented shape; an accepted task is followed to its result through the
lifecycle model. A request that breaks a documented constraint may be accepted as a task, but
then its result must be a non-200 error, delivered once (schemathesis' own negative check
expects a synchronous refusal, which the async docs do not promise).
"""

import pytest
from schemathesis.core import NotSet
from schemathesis.generation import GenerationMode

from asyncpay.checks.api_version import answer_in_version
from asyncpay.constraints import overpay_documented_breach
from asyncpay.errors import ContractViolation
from asyncpay.generation import openapi_schema
from asyncpay.lifecycle import Kind, Outcome

pytestmark = pytest.mark.overpay

schema = openapi_schema("overpay")
async_posts = schema.include(method="POST", path_regex=r"^/async/transactions/")


def _sanitise(body, hook):
    """Keep generated requests from sending the gateway's callbacks anywhere but our receiver."""
    if isinstance(body, dict) and isinstance(body.get("request"), dict):
        request = body["request"]
        for key in ("notification_url", "return_url"):
            if key in request:
                request[key] = hook
        request["duplicate_check"] = False
    return body


@async_posts.parametrize()
@pytest.mark.rule("overpay.contract", "overpay.invalid-rejected")
def test_generated_async_requests(case, overpay, receiver):
    operation = case.formatted_path.rsplit("/", 1)[-1]
    body = None if isinstance(case.body, NotSet) else _sanitise(case.body, receiver.endpoint("overpay-generated"))
    negative = case.meta is not None and case.meta.generation.mode is GenerationMode.NEGATIVE
    breach = overpay_documented_breach(body) if negative else None
    created_lo = overpay.clock.now()

    raw = body if isinstance(body, (bytes, str)) else None
    answer = overpay.client.send("POST", case.formatted_path, label="generated",
                                 json_body=None if raw is not None else body,
                                 raw_body=raw.encode() if isinstance(raw, str) else raw,
                                 headers={"Content-Type": "application/json"})

    if answer.status_code in (401, 403) or answer.status_code >= 500:
        raise ContractViolation("overpay.contract", f"POST {case.formatted_path} failed on a generated request",
                                expected="a task (2xx) or a documented error (4xx)", received=answer.summary())
    if not 200 <= answer.status_code < 300:
        answer_in_version(answer.json, api_version=overpay.target.api_version, kind="error", rule="overpay.contract",
                          what=f"synchronous refusal of POST {case.formatted_path}")
        return
    request = body["request"] if isinstance(body, dict) and isinstance(body.get("request"), dict) else {}
    task = overpay.task_from(answer, operation, request, Outcome.ANY, created_lo, overpay.clock.now(), "generated")
    kind, result = overpay.wait_result(task)  # the lifecycle model checks every answer on the way
    if breach and kind is Kind.RESULT:
        raise ContractViolation("overpay.invalid-rejected", f"an invalid request was processed: {breach}",
                                expected="a non-200 error result, delivered once", received=result.summary())
    if kind is Kind.ERROR:
        again_kind, again = overpay.read(task, "result")  # must now be 404 unknown
        assert again_kind is Kind.UNKNOWN, again.summary()
