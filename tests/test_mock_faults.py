"""Every fault switch breaks the rule it names: a probe per fault observes that rule, holds on a
clean mock and fails on a mock with the fault on."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import httpx
import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from asyncpay.config.profile import DAY, MOCK_OVERPAY_OUTCOMES, OPP_OUTCOMES, OVERPAY_OUTCOMES
from asyncpay.mock import FAULTS
from asyncpay.mock.testing import MockServer, overpay_request
from asyncpay.rules import RULES
from asyncpay.waiting.receiver import ReceivedRequest, Receiver

EXPIRED = OVERPAY_OUTCOMES["validation_error"]["credit_card"]
CHALLENGE = OVERPAY_OUTCOMES["incomplete"]["credit_card"]
FAIL_THE_TASK = MOCK_OVERPAY_OUTCOMES["task_failure"]["description"]
PENDING = OPP_OUTCOMES["pending"]
SUCCESSFUL_CODE = re.compile(r"^(000\.000\.|000\.100\.1|000\.[36]|000\.400\.[1][12]0)")

Probe = Callable[[MockServer, Receiver], bool]
PROBES: dict[str, Probe] = {}


def probe(*faults: str) -> Callable[[Probe], Probe]:
    """Register a probe: True when the documented behaviour the faults break is observed."""
    def register(function: Probe) -> Probe:
        for fault in faults:
            PROBES[fault] = function
        return function
    return register


def only_request(receiver: Receiver, url: str) -> ReceivedRequest | None:
    """The one request that reached ``url``; deliveries are awaited by the clock advance."""
    hits = receiver.requests(url)
    return hits[0] if len(hits) == 1 else None


# --- Overpay --------------------------------------------------------------------------------

@probe("task-without-status-url", "task-not-processing")
def task_answer(mock: MockServer, receiver: Receiver) -> bool:
    task = mock.create_task()
    return task.get("status") == "processing" and {"status_url", "response_url"} <= set(task)


@probe("status-url-off-origin")
def urls_on_gateway(mock: MockServer, receiver: Receiver) -> bool:
    task = mock.create_task()
    return all(task[key].startswith(mock.url + "/") for key in ("status_url", "response_url"))


@probe("completed-without-response-url")
def completed_shape(mock: MockServer, receiver: Receiver) -> bool:
    request_id = mock.create_task()["request_id"]
    mock.advance(mock.config.processing_delay)
    return mock.status(request_id).json() == {
        "status": "completed", "request_id": request_id,
        "response_url": f"{mock.url}/async/result/{request_id}"}


@probe("stuck-processing")
def completes(mock: MockServer, receiver: Receiver) -> bool:
    request_id = mock.create_task()["request_id"]
    mock.advance(60)
    return bool(mock.status(request_id).json()["status"] == "completed")


@probe("completed-goes-back")
def no_going_back(mock: MockServer, receiver: Receiver) -> bool:
    request_id = mock.create_task()["request_id"]
    mock.advance(mock.config.processing_delay)
    return [mock.status(request_id).json()["status"] for _ in range(3)] == ["completed"] * 3


@probe("result-amount-mismatch", "result-tracking-id-mismatch")
def result_matches_request(mock: MockServer, receiver: Receiver) -> bool:
    transaction = mock.completed_result(amount=4321, tracking_id="order-probe")
    return (transaction["amount"], transaction["tracking_id"]) == (4321, "order-probe")


@probe("result-missing-uid")
def result_shape(mock: MockServer, receiver: Receiver) -> bool:
    return "uid" in mock.completed_result()


@probe("result-vanishes-after-read", "result-changes")
def result_stable(mock: MockServer, receiver: Receiver) -> bool:
    request_id = mock.create_task()["request_id"]
    mock.advance(mock.config.processing_delay)
    first, second = mock.result(request_id), mock.result(request_id)
    return first.status_code == second.status_code == 200 and first.content == second.content


@probe("invalid-amount-accepted")
def invalid_rejected(mock: MockServer, receiver: Receiver) -> bool:
    request_id = mock.create_task(amount=0)["request_id"]
    mock.advance(mock.config.processing_delay)
    return mock.result(request_id).status_code == 422


@probe("refusal-undocumented")
def documented_refusal(mock: MockServer, receiver: Receiver) -> bool:
    answer = mock.overpay.post("/async/transactions/payments", json={"amount": 100})
    return answer.status_code == 422 and {"message", "errors"} <= set(answer.json())


@probe("unknown-with-200", "unknown-wrong-request-id")
def unknown_404(mock: MockServer, receiver: Receiver) -> bool:
    answers = [mock.status("10203"), mock.result("10203")]
    return all((a.status_code, a.json()) == (404, {"status": "unknown", "request_id": "10203"})
               for a in answers)


@probe("result-never-expires", "retention-from-completion")
def retention_expiry(mock: MockServer, receiver: Receiver) -> bool:
    request_id = mock.create_task()["request_id"]
    mock.advance(mock.config.processing_delay)
    assert mock.result(request_id).status_code == 200
    mock.advance(DAY - mock.config.processing_delay)  # exactly 24 h after creation
    return mock.status(request_id).status_code == mock.result(request_id).status_code == 404


@probe("expires-early")
def retention_kept(mock: MockServer, receiver: Receiver) -> bool:
    request_id = mock.create_task()["request_id"]
    mock.advance(DAY - 1)
    return mock.result(request_id).status_code == 200


@probe("error-returned-twice", "error-never-returned", "status-read-consumes-error")
def error_once(mock: MockServer, receiver: Receiver) -> bool:
    request_id = mock.create_task(card=EXPIRED)["request_id"]
    mock.advance(mock.config.processing_delay)
    reads = [mock.status(request_id), mock.result(request_id), mock.result(request_id),
             mock.status(request_id)]
    return [r.status_code for r in reads] == [200, 422, 404, 404]


@probe("task-failure-twice")
def task_failure_once(mock: MockServer, receiver: Receiver) -> bool:
    request_id = mock.create_task(description=FAIL_THE_TASK)["request_id"]
    mock.advance(mock.config.processing_delay)
    reads = [mock.result(request_id), mock.status(request_id), mock.result(request_id)]
    return [r.status_code for r in reads] == [500, 404, 404]


@probe("incomplete-without-redirect")
def incomplete_final(mock: MockServer, receiver: Receiver) -> bool:
    transaction = mock.completed_result(card=CHALLENGE)
    return bool(transaction["redirect_url"] == f"{mock.url}/process/{transaction['uid']}")


@probe("tracking-query-empty")
def tracking_query(mock: MockServer, receiver: Receiver) -> bool:
    transaction = mock.completed_result()
    found = mock.overpay.get(f"/v2/transactions/tracking_id/{transaction['tracking_id']}")
    return [t["uid"] for t in found.json()["transactions"]] == [transaction["uid"]]


@probe("uid-query-not-found")
def uid_query(mock: MockServer, receiver: Receiver) -> bool:
    uid = mock.completed_result()["uid"]
    found = mock.overpay.get(f"/transactions/{uid}")
    return found.status_code == 200 and found.json()["transaction"]["uid"] == uid


@probe("auth-not-checked")
def auth_required(mock: MockServer, receiver: Receiver) -> bool:
    answer = mock.anonymous.post("/async/transactions/payments", json={"request": {}})
    return answer.status_code == 401


@probe("request-id-ignored")
def idempotent_request(mock: MockServer, receiver: Receiver) -> bool:
    request = {"request": overpay_request()}
    first, repeat = (mock.overpay.post("/async/transactions/payments", json=request, headers={"RequestID": "probe"})
                     for _ in range(2))
    return bool(first.json()["request_id"] == repeat.json()["request_id"])


@probe("api-version-ignored")
def api_version(mock: MockServer, receiver: Receiver) -> bool:
    task = mock.overpay.post("/async/transactions/payments", json={"request": overpay_request()},
                             headers={"X-API-Version": "3"}).json()
    mock.advance(mock.config.processing_delay)
    result = mock.overpay.get(task["response_url"], headers={"X-API-Version": "3"}).json()
    return task.get("code") == "8010" and "uid" in result and "code" in result


@probe("webhook-without-credentials", "webhook-never-sent", "webhook-other-amount")
def webhook(mock: MockServer, receiver: Receiver) -> bool:
    url = receiver.endpoint("webhook-probe")
    transaction = mock.completed_result(notification_url=url, amount=555)
    hit = only_request(receiver, url)
    if hit is None or not hit.headers.get("authorization", "").startswith("Basic "):
        return False
    sent = hit.json()["transaction"]
    return (sent["uid"], sent["amount"]) == (transaction["uid"], 555)


@probe("webhook-contradicts")
def webhooks_agree(mock: MockServer, receiver: Receiver) -> bool:
    url = receiver.endpoint("webhook-agree-probe")
    transaction = mock.completed_result(notification_url=url)
    statuses = {hit.json()["transaction"]["status"] for hit in receiver.requests(url)}
    return statuses == {transaction["status"]}


@probe("v3-status-undocumented")
def v3_status_documented(mock: MockServer, receiver: Receiver) -> bool:
    task = mock.create_task()
    mock.advance(mock.config.longest_processing)
    result = mock.overpay.get(task["response_url"], headers={"X-API-Version": "3"}).json()
    return result.get("status") in ("successful", "failed", "incomplete", "expired")


@probe("checkout-result-changes")
def checkout_result_kept(mock: MockServer, receiver: Receiver) -> bool:
    checkout_id = mock.prepare_checkout().json()["id"]
    mock.shopper_pays(checkout_id)
    mock.advance(mock.config.pending_delay)
    codes = [mock.read_checkout(checkout_id).json()["result"]["code"] for _ in range(2)]
    return bool(SUCCESSFUL_CODE.match(codes[0])) and codes[1] == codes[0]


# --- Overpay: captures, voids, refunds -------------------------------------------------------

def child_result(mock: MockServer, kind: str, parent_kind: str = "authorizations", amount: int = 50,
                 **fields: object) -> httpx.Response:
    """A child of a fresh successful parent, once its task had time to complete: its result."""
    parent = mock.completed_result(kind=parent_kind, amount=500)
    request_id = mock.create_child(kind, parent["uid"], amount, **fields)["request_id"]
    mock.advance(mock.config.longest_processing)
    return mock.result(request_id)


@probe("child-stuck-processing")
def child_completes(mock: MockServer, receiver: Receiver) -> bool:
    return child_result(mock, "voids").json().get("transaction", {}).get("type") == "void"


@probe("capture-amount-mismatch")
def child_amount(mock: MockServer, receiver: Receiver) -> bool:
    return child_result(mock, "captures", amount=123).json()["transaction"]["amount"] == 123


@probe("refund-other-parent")
def child_parent(mock: MockServer, receiver: Receiver) -> bool:
    payment = mock.completed_result(amount=500)
    mock.completed_result(amount=700)  # another transaction the refund could name
    request_id = mock.create_child("refunds", payment["uid"], 100)["request_id"]
    mock.advance(mock.config.longest_processing)
    return mock.result(request_id).json()["transaction"]["parent_uid"] == payment["uid"]


@probe("refund-reason-not-required")
def refund_reason(mock: MockServer, receiver: Receiver) -> bool:
    answer = child_result(mock, "refunds", "payments", reason=None)
    return answer.status_code == 422 and "reason" in answer.json()["errors"]


@probe("duplicate-refund-accepted")
def child_duplicate(mock: MockServer, receiver: Receiver) -> bool:
    payment = mock.completed_result(amount=500)
    first, again = (mock.create_child("refunds", payment["uid"], 100)["request_id"] for _ in range(2))
    mock.advance(mock.config.longest_processing)
    # Whichever task completes first is the original; the other is the repeat.
    return sorted(mock.result(request_id).status_code for request_id in (first, again)) == [200, 422]


@probe("status-redirects")
def no_redirect(mock: MockServer, receiver: Receiver) -> bool:
    return not mock.status(mock.create_task()["request_id"]).is_redirect


@probe("json-labelled-html")
def json_content_type(mock: MockServer, receiver: Receiver) -> bool:
    answer = mock.status(mock.create_task()["request_id"])
    return answer.headers["content-type"].split(";")[0] == "application/json"


@probe("result-hangs")
def answers(mock: MockServer, receiver: Receiver) -> bool:
    request_id = mock.create_task()["request_id"]
    try:
        mock.overpay.get(f"/async/result/{request_id}", timeout=0.5)
    except httpx.TimeoutException:
        return False
    return True


# --- OPP ------------------------------------------------------------------------------------

@probe("notification-never-sent", "notification-as-post", "notification-other-id",
       "resource-path-absolute", "resource-path-protocol-relative", "resource-path-no-slash")
def notification(mock: MockServer, receiver: Receiver) -> bool:
    url = receiver.endpoint("opp-probe")
    payment_id = mock.pay(notificationUrl=url, **PENDING).json()["id"]
    mock.advance(mock.config.pending_delay)
    hit = only_request(receiver, url)
    return hit is not None and hit.method == "GET" and hit.query == {
        "id": [payment_id], "resourcePath": [f"/v1/payments/{payment_id}"]}


@probe("no-shopper-fallback")
def shopper_result_fallback(mock: MockServer, receiver: Receiver) -> bool:
    url = receiver.endpoint("shopper-probe")
    mock.pay(shopperResultUrl=url, **PENDING)
    mock.advance(mock.config.pending_delay)
    return only_request(receiver, url) is not None


@probe("never-final")
def final_state(mock: MockServer, receiver: Receiver) -> bool:
    payment_id = mock.pay(**PENDING).json()["id"]
    mock.advance(mock.config.pending_delay)
    return bool(SUCCESSFUL_CODE.match(mock.read_payment(payment_id).json()["result"]["code"]))


@probe("status-without-token")
def opp_auth_required(mock: MockServer, receiver: Receiver) -> bool:
    payment_id = mock.pay().json()["id"]
    answer = mock.anonymous.get(f"/v1/payments/{payment_id}",
                                params={"entityId": mock.config.entity_id})
    return answer.status_code == 401


@probe("status-without-entity")
def entity_required(mock: MockServer, receiver: Receiver) -> bool:
    payment_id = mock.pay().json()["id"]
    return mock.opp.get(f"/v1/payments/{payment_id}").status_code == 400


@probe("status-other-amount")
def status_read(mock: MockServer, receiver: Receiver) -> bool:
    payment = mock.pay(amount="12.34").json()
    read = mock.read_payment(payment["id"]).json()
    return (read["id"], read["amount"]) == (payment["id"], "12.34")


@probe("undocumented-result-code")
def result_code_documented(mock: MockServer, receiver: Receiver) -> bool:
    return bool(SUCCESSFUL_CODE.match(mock.pay().json()["result"]["code"]))


@probe("invalid-accepted")
def validation_error(mock: MockServer, receiver: Receiver) -> bool:
    answer = mock.pay(**OPP_OUTCOMES["invalid"])
    return answer.status_code == 400 and answer.json()["result"]["code"] == "200.300.404"


@probe("amount-as-number")
def opp_contract(mock: MockServer, receiver: Receiver) -> bool:
    return isinstance(mock.pay().json()["amount"], str)


@probe("payment-id-not-hex")
def payment_answer(mock: MockServer, receiver: Receiver) -> bool:
    return bool(re.fullmatch(r"[0-9a-f]{32}", mock.pay().json()["id"]))


@probe("encrypted-webhook-bad-tag")
def encrypted_webhook(mock: MockServer, receiver: Receiver) -> bool:
    url = receiver.endpoint("encrypted-probe")
    mock.pay(**{"customParameters[SHOPPER_webhookUrl]": url})
    hit = receiver.wait_for(lambda r: r.path == urlsplit(url).path, timeout=5,
                            describe=f"the encrypted webhook at {url}")
    key = bytes.fromhex(mock.config.webhook_secret or "")
    try:
        plain = AESGCM(key).decrypt(bytes.fromhex(hit.headers["x-initialization-vector"]),
                                    bytes.fromhex(hit.body.decode())
                                    + bytes.fromhex(hit.headers["x-authentication-tag"]), None)
    except InvalidTag:
        return False
    return bool(json.loads(plain)["type"] == "PAYMENT")


# --- OPP: COPYandPAY checkouts -------------------------------------------------------------

def paid_checkout(mock: MockServer, receiver: Receiver, **fields: str) -> tuple[str, str]:
    """A checkout the shopper paid: (its id, its notificationUrl)."""
    url = receiver.endpoint("checkout-probe")
    checkout_id = mock.prepare_checkout(notificationUrl=url, shopperResultUrl=receiver.endpoint("back"),
                                        **fields).json().get("id", "")
    mock.shopper_pays(checkout_id)
    return checkout_id, url


def delivered(receiver: Receiver, url: str) -> ReceivedRequest | None:
    """The one request that reached ``url``, waiting briefly: a checkout notifies as soon as it is
    paid, outside any clock advance."""
    try:
        receiver.wait_for(lambda r: r.path == urlsplit(url).path, timeout=2, describe=url)
    except TimeoutError:
        return None
    return only_request(receiver, url)


@probe("checkout-without-id")
def checkout_answer(mock: MockServer, receiver: Receiver) -> bool:
    answer = mock.prepare_checkout()
    return answer.status_code == 200 and "id" in answer.json()


@probe("checkout-invalid-accepted")
def checkout_validation_error(mock: MockServer, receiver: Receiver) -> bool:
    answer = mock.prepare_checkout(amount="92.0")
    return answer.status_code == 400 and answer.json()["result"]["code"] == "200.300.404"


@probe("checkout-redirect-without-resource-path")
def checkout_redirect(mock: MockServer, receiver: Receiver) -> bool:
    checkout_id = mock.prepare_checkout(shopperResultUrl="https://shop.example/back").json()["id"]
    location = mock.shopper_pays(checkout_id).headers.get("location", "")
    return f"resourcePath=%2Fv1%2Fcheckouts%2F{checkout_id}%2Fpayment" in location


@probe("checkout-notification-never-sent", "checkout-notification-other-payment",
       "checkout-resource-path-protocol-relative", "checkout-resource-path-absolute")
def checkout_notification(mock: MockServer, receiver: Receiver) -> bool:
    checkout_id, url = paid_checkout(mock, receiver)
    hit = delivered(receiver, url)
    return hit is not None and hit.method == "GET" and hit.query == {
        "id": [checkout_id], "resourcePath": [f"/v1/checkouts/{checkout_id}/payment"]}


@probe("checkout-no-shopper-fallback")
def checkout_shopper_result_fallback(mock: MockServer, receiver: Receiver) -> bool:
    url = receiver.endpoint("checkout-back-probe")
    mock.shopper_pays(mock.prepare_checkout(shopperResultUrl=url).json()["id"])
    return delivered(receiver, url) is not None


@probe("checkout-unpaid-reads-paid")
def checkout_status(mock: MockServer, receiver: Receiver) -> bool:
    code = mock.read_checkout(mock.prepare_checkout().json()["id"]).json()["result"]["code"]
    return not SUCCESSFUL_CODE.match(code)


@probe("checkout-status-without-token")
def checkout_auth_required(mock: MockServer, receiver: Receiver) -> bool:
    checkout_id, _ = paid_checkout(mock, receiver)
    answer = mock.anonymous.get(f"/v1/checkouts/{checkout_id}/payment",
                                params={"entityId": mock.config.entity_id})
    return answer.status_code == 401


@probe("checkout-unknown-not-found")
def checkout_session_error(mock: MockServer, receiver: Receiver) -> bool:
    answer = mock.read_checkout("0" * 32 + ".uat01-vm-tx01")
    return answer.status_code == 400 and answer.json()["result"]["code"] == "200.300.404"


@probe("checkout-never-expires")
def checkout_expires(mock: MockServer, receiver: Receiver) -> bool:
    checkout_id, _ = paid_checkout(mock, receiver)
    mock.advance(mock.config.checkout_lifetime)
    return mock.read_checkout(checkout_id).status_code == 400


@probe("checkout-reuse-after-success")
def checkout_ends_on_success(mock: MockServer, receiver: Receiver) -> bool:
    checkout_id, _ = paid_checkout(mock, receiver)
    return mock.shopper_pays(checkout_id).status_code == 400


@probe("checkout-throttle-not-429")
def checkout_throttle(mock: MockServer, receiver: Receiver) -> bool:
    checkout_id = mock.prepare_checkout().json()["id"]
    answers = [mock.read_checkout(checkout_id) for _ in range(mock.config.checkout_reads_per_minute + 1)]
    return answers[-1].status_code == 429 and all(a.status_code == 200 for a in answers[:-1])


# --- the tests ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def clean() -> Iterator[MockServer]:
    with MockServer() as running:
        yield running


@pytest.fixture(scope="module")
def with_fault() -> Iterator[Callable[[str], MockServer]]:
    """A mock per fault; all stopped together at the end, as each stop idles ~0.2 s in uvicorn."""
    running: list[MockServer] = []

    def start(name: str) -> MockServer:
        running.append(MockServer(faults=[name]).__enter__())
        return running[-1]

    yield start
    with ThreadPoolExecutor(max_workers=max(1, len(running))) as pool:
        list(pool.map(lambda mock: mock.__exit__(None, None, None), running))


def test_every_fault_has_a_probe_and_a_documented_rule() -> None:
    assert sorted(PROBES) == sorted(FAULTS)
    assert {name: fault.rule for name, fault in FAULTS.items() if fault.rule not in RULES} == {}
    assert all(name == fault.name for name, fault in FAULTS.items())


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_fault_breaks_its_rule(name: str, clean: MockServer, receiver: Receiver,
                               with_fault: Callable[[str], MockServer]) -> None:
    check = PROBES[name]
    assert check(clean, receiver), f"{check.__name__} fails on a clean mock"
    assert not check(with_fault(name), receiver), f"{check.__name__} still holds with {name} on"
