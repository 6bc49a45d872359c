"""Property-based: generated async requests, every answer held to its documented schema.

schemathesis generates valid and invalid requests from contracts/overpay.openapi.yaml, for every
async operation. Each answer must be a documented shape; an accepted task is followed to its
result through the lifecycle model. A request that breaks a documented constraint may be accepted
as a task, but then its result must be a non-200 error, delivered once (schemathesis' own
negative check expects a synchronous refusal, which the async docs do not promise).

Each Hypothesis example is a batch of generated requests; against a real-time gateway the batch
is sent and followed concurrently, each task still judged on its own by the lifecycle model.
"""

import copy

import pytest
from schemathesis.core import NotSet

from asyncpay.checks import overpay as checks
from asyncpay.checks import overpay_children
from asyncpay.gateways.overpay.children import CHILD_OPERATIONS, Parents
from asyncpay.gateways.overpay.lifecycle import AnswerKind, Outcome
from asyncpay.schemas.api_versions import transaction_of
from asyncpay.schemas.constraints import overpay_documented_breach
from asyncpay.schemas.contracts import OVERPAY_TRANSACTION_TYPES
from asyncpay.schemas.generation import check_batches, explicit_case, generated_cases, is_negative

pytestmark = pytest.mark.overpay

# A batch is one request to every async operation. Whatever Hypothesis draws, every run also
# sends the two bodies the docs refuse (every body is wrapped as {"request": {...}}): one that is
# not JSON, and parameters without the wrapper.
CASES = generated_cases("overpay", method="POST", path_regex=r"^/async/transactions/", per_operation=True,
                        explicit=[explicit_case("POST", "/async/transactions/payments", "{not json"),
                                  explicit_case("POST", "/async/transactions/payments",
                                                {"amount": 100, "currency": "USD", "description": "unwrapped"})])


def _sanitise(body, hook):
    """Keep generated requests from sending the gateway's callbacks anywhere but our receiver."""
    if isinstance(body, dict) and isinstance(body.get("request"), dict):
        request = body["request"]
        for key in ("notification_url", "return_url"):
            if key in request:
                request[key] = hook
        request["duplicate_check"] = False
    return body


def _with_parent(body, parent):
    """A valid child request names a real parent of this run, for no more than it has: its valid
    path is exercised, not only its refusals."""
    request = body["request"]
    request["parent_uid"] = parent["uid"]
    request["amount"] = min(request["amount"], parent["amount"])
    return parent["uid"]


def _one(overpay, receiver, parents, case):
    """Send one generated request and follow it; the checks raise on any broken rule."""
    operation = case.formatted_path.rsplit("/", 1)[-1]
    if operation not in overpay.target.operations:
        return  # the profile says the account may not use it: nothing is sent, nothing is judged
    body = None if isinstance(case.body, NotSet) else _sanitise(case.body, receiver.endpoint("overpay-generated"))
    negative = is_negative(case)
    parent = parents.of(operation) if operation in CHILD_OPERATIONS and not negative and isinstance(body, dict) \
        and isinstance(body.get("request"), dict) else None
    parent_uid = None
    if parent is not None:
        # A copy: Hypothesis may hand the same drawn object (a documented example) to a later
        # negative case, which must not inherit a real parent.
        body = copy.deepcopy(body)
        parent_uid = _with_parent(body, parent)
    breach = overpay_documented_breach(body) if negative else None
    sent_at = overpay.clock.now()

    raw = body if isinstance(body, (bytes, str)) else None
    answer = overpay.post(case.formatted_path, label="generated", json_body=None if raw is not None else body,
                          raw_body=raw.encode() if isinstance(raw, str) else raw,
                          headers={"Content-Type": "application/json"})

    checks.generated_answer(answer, case.formatted_path, api_version=overpay.target.api_version)
    if not 200 <= answer.status_code < 300:
        return
    request = body["request"] if isinstance(body, dict) and isinstance(body.get("request"), dict) else {}
    task = overpay.task_from(answer, operation, request, Outcome.ANY, sent_at, overpay.clock.now(), "generated",
                             documented=not negative)
    kind, result = overpay.wait_result(task)  # the lifecycle model checks every answer on the way
    if breach:
        checks.invalid_rejected(breach, processed=result if kind is AnswerKind.RESULT else None)
    if kind is AnswerKind.RESULT and not negative:
        type_name = OVERPAY_TRANSACTION_TYPES[operation]
        checks.result_shape(result.json, f"task {task.request_id}", kind=f"result-{type_name}",
                            api_version=overpay.target.api_version)
        transaction = transaction_of(result.json) or {}
        parents.add(transaction)
        if parent_uid is not None and transaction.get("status") == "successful":
            where = f"the generated {operation[:-1]} of task {task.request_id}"
            overpay_children.child_amount(transaction, request, where)
            overpay_children.child_parent(transaction, parent_uid, where)
    if kind is AnswerKind.ERROR:
        for _ in overpay.planned_reads(task, 1, step=0.1):
            overpay.read(task, "result")  # the model: a one-time error is not handed out twice


@pytest.mark.rule("overpay.contract", "overpay.invalid-rejected", "overpay.child-amount", "overpay.child-parent")
def test_generated_async_requests(overpay, receiver):
    parents = Parents(overpay, rule="overpay.contract")
    check_batches(CASES, lambda case: _one(overpay, receiver, parents, case), real_time=not overpay.clock.virtual)
