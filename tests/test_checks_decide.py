"""A check function is its rule's decision: it takes the observations it needs and raises or
returns. A ``@check`` whose body can only raise is a report of a decision made elsewhere — unless
its input is itself the decisive observation (a wait that ended at its bound with nothing to
show). Those few are listed here, each with why; every other check must be able to return."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import httpx
import pytest

from asyncpay.checks import overpay as checks
from asyncpay.checks import overpay_availability as availability
from asyncpay.errors import ContractViolation, NotVerified
from asyncpay.http.client import Answer

CHECKS = Path(__file__).resolve().parent.parent / "asyncpay" / "checks"

#: ``module.function`` → why its input is already the decisive observation.
DECISIVE_INPUT = {
    "overpay.completes": "called when a wait for the task ended at the processing bound; it decides between "
                         "failed (the gateway said processing at the bound) and not verified (throttled reads)",
    "overpay_children.child_completes": "as overpay.completes, for a capture, void or refund task",
    "overpay.webhook_arrives": "called when the wait for the webhook ended at notification_timeout with none",
    "opp.notification_arrives": "called when the wait for the notification ended at notification_timeout with none",
    "opp.shopper_result_fallback": "called when the wait at shopperResultUrl ended at notification_timeout with none",
    "opp.encrypted_webhook_arrives": "called when the wait for the encrypted webhook ended at its timeout with none",
    "opp.final_state": "called when the wait for a pending payment ended at the profile's bound still pending",
    "opp.status_not_throttled_forever": "called when spaced, backed-off status reads stayed throttled to the end",
    "checkout.checkout_notification_arrives": "called when the wait for the checkout's notification ended with none",
    "transport.no_complete_answer": "called for an exchange that ended without a complete HTTP answer",
}

_BRANCHES = (ast.If, ast.For, ast.While, ast.Try, ast.Match, ast.With, ast.IfExp, ast.BoolOp)


def _is_check(node: ast.FunctionDef) -> bool:
    return any(isinstance(d, ast.Call) and getattr(d.func, "id", "") == "check" for d in node.decorator_list)


def _no_return(node: ast.FunctionDef) -> bool:
    return isinstance(node.returns, ast.Name) and node.returns.id == "NoReturn" or \
        isinstance(node.returns, ast.Constant) and node.returns.value == "NoReturn"


def _always_raises(node: ast.FunctionDef, helpers: dict[str, ast.FunctionDef]) -> bool:
    """No branch in the body, and it ends in ``raise`` (or in a call of a helper that can only raise)."""
    body = [s for s in node.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    if not body or any(isinstance(n, _BRANCHES) for s in body for n in ast.walk(s)
                       if not isinstance(n, ast.BoolOp) or not isinstance(s, ast.Raise)):
        return _no_return(node)
    last = body[-1]
    if isinstance(last, ast.Raise):
        return True
    if isinstance(last, ast.Expr) and isinstance(last.value, ast.Call) and isinstance(last.value.func, ast.Name):
        helper = helpers.get(last.value.func.id)
        return _always_raises(helper, helpers) if helper is not None else _no_return(node)
    return _no_return(node)


def always_raising_checks() -> dict[str, int]:
    found: dict[str, int] = {}
    for path in sorted(CHECKS.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
        for node in functions.values():
            if _is_check(node) and _always_raises(node, functions):
                found[f"{path.stem}.{node.name}"] = node.lineno
    return found


def test_every_check_decides_unless_its_input_is_the_decisive_observation() -> None:
    found = always_raising_checks()
    assert {name: line for name, line in found.items() if name not in DECISIVE_INPUT} == {}, (
        "these @check functions can only raise: move the decision into them (take the observations, "
        "raise or return), or document why their input is itself decisive")


def test_the_documented_exceptions_still_exist_and_still_only_raise() -> None:
    assert sorted(set(DECISIVE_INPUT) - set(always_raising_checks())) == []


def test_the_scan_sees_a_check_that_only_raises() -> None:
    source = '''
@check("x")
def reports(answer) -> None:
    """doc"""
    raise ContractViolation("x", "always")

@check("x")
def delegates(answer) -> None:
    _fail(answer)

def _fail(answer) -> NoReturn:
    raise ContractViolation("x", "always")

@check("x")
def decides(answer) -> None:
    if answer.status_code != 200:
        raise ContractViolation("x", "not 200")
'''
    tree = ast.parse(source)
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert [name for name, node in functions.items() if _is_check(node) and _always_raises(node, functions)] == [
        "reports", "delegates"]


# --- the Overpay lifecycle checks decide: each returns on what keeps its rule ------------------

RID = "a2ac9f8e-1b22-486b-be46-528e48be6c76"


def answer(status_code: int, body: object) -> Answer:
    return Answer("GET", f"https://gw.test/async/result/{RID}", status_code,
                  httpx.Headers({"content-type": "application/json"}), json.dumps(body).encode(), 0.01)


PROCESSING = answer(200, {"status": "processing", "request_id": RID})
COMPLETED = answer(200, {"status": "completed", "request_id": RID, "response_url": "https://gw.test/r"})
UNKNOWN = answer(404, {"status": "unknown", "request_id": RID})
RESULT = answer(200, {"transaction": {"uid": "1-ab", "status": "successful"}})
ERROR = answer(422, {"message": "Date is expired", "errors": {"credit_card": {"exp_year": ["is expired"]}}})


def test_no_going_back_decides_on_done_and_the_answer() -> None:
    checks.no_going_back(False, PROCESSING, "status_url", [])
    checks.no_going_back(True, COMPLETED, "status_url", [])
    with pytest.raises(ContractViolation, match="overpay.no-going-back"):
        checks.no_going_back(True, PROCESSING, "status_url", [])


def test_result_is_a_result_only_on_the_result_url() -> None:
    checks.result_is_a_result(COMPLETED, "status", "status_url")
    checks.result_is_a_result(RESULT, "result", "response_url")
    with pytest.raises(ContractViolation, match="overpay.result-shape"):
        checks.result_is_a_result(COMPLETED, "result", "response_url")


def test_error_after_a_result_and_an_error_for_a_valid_request() -> None:
    checks.no_error_after_result(None, ERROR, "response_url")
    checks.no_error_after_result({"transaction": {}}, UNKNOWN, "response_url")
    with pytest.raises(ContractViolation, match="overpay.result-stable"):
        checks.no_error_after_result({"transaction": {}}, ERROR, "response_url")
    checks.valid_request_not_refused("validation_error", ERROR, "response_url")
    with pytest.raises(ContractViolation, match="overpay.result-matches-request"):
        checks.valid_request_not_refused("successful", ERROR, "response_url")


def test_retention_kept_and_expiry_decide_on_the_time_of_the_answer() -> None:
    kept = dict(kept_until=100.0, created=1.0, retention=100.0, history=[])
    availability.retention_kept(UNKNOWN, "response_url", at=100.0, **kept)
    availability.retention_kept(RESULT, "response_url", at=50.0, **kept)
    with pytest.raises(ContractViolation, match="overpay.retention-kept"):
        availability.retention_kept(UNKNOWN, "response_url", at=99.9, **kept)
    expiry = dict(expired_from=102.0, retention=100.0, history=[])
    availability.retention_expiry(RESULT, "response_url", at=101.9, **expiry)
    availability.retention_expiry(UNKNOWN, "response_url", at=102.0, **expiry)
    with pytest.raises(ContractViolation, match="overpay.retention-expiry"):
        availability.retention_expiry(RESULT, "response_url", at=102.0, **expiry)


def test_once_decides_on_deliveries_and_what_is_owed() -> None:
    once = dict(at=10.0, owed_until=100.0)
    availability.error_once(ERROR, "response_url", [], delivered=0, **once)  # the one delivery
    availability.error_once(UNKNOWN, "response_url", [], delivered=1, **once)  # then 404
    availability.error_once(UNKNOWN, "response_url", [], delivered=0, at=10.0, owed_until=None)  # nothing owed
    with pytest.raises(ContractViolation, match="overpay.error-once"):
        availability.error_once(ERROR, "response_url", [], delivered=1, **once)
    with pytest.raises(ContractViolation, match="never delivered"):
        availability.task_failure_once(UNKNOWN, "status_url", [], delivered=0, **once)


def test_completes_fails_only_when_the_gateway_said_processing_at_the_bound() -> None:
    with pytest.raises(ContractViolation, match="overpay.completes"):
        checks.completes("task a2ac… to complete", 60.0, 60.5, ["200 processing"], last_processing=60.2)
    with pytest.raises(NotVerified, match="throttled"):
        checks.completes("task a2ac… to complete", 60.0, 60.5, ["200 processing", "429"], last_processing=12.0)


def test_a_read_still_processing_past_the_bound_breaks_completes() -> None:
    checks.processing_within_bound(PROCESSING, "status_url", since_answer=59.0, bound=60.0, seen=[])
    checks.processing_within_bound(COMPLETED, "status_url", since_answer=600.0, bound=60.0, seen=[])
    with pytest.raises(ContractViolation, match="overpay.completes"):
        checks.processing_within_bound(PROCESSING, "status_url", since_answer=61.0, bound=60.0, seen=[])
