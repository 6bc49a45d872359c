from __future__ import annotations

import base64

import httpx
import pytest

from asyncpay.config.profile import DAY, MOCK_OVERPAY_OUTCOMES, OVERPAY_OUTCOMES
from asyncpay.mock.testing import MockServer, overpay_request
from asyncpay.waiting.receiver import ReceivedRequest, Receiver

EXPIRED = OVERPAY_OUTCOMES["validation_error"]["credit_card"]
FAIL_THE_TASK = MOCK_OVERPAY_OUTCOMES["task_failure"]["description"]


def arrived(receiver: Receiver, url: str, count: int = 1) -> list[ReceivedRequest]:
    """The first ``count`` requests at ``url``, waiting (briefly) for those still to come."""
    receiver.wait_for(lambda r: len(receiver.requests(url)) >= count, timeout=5,
                      describe=f"{count} request(s) at {url}")
    return receiver.requests(url)


def unknown(request_id: str) -> dict[str, str]:
    return {"status": "unknown", "request_id": request_id}


def test_task_lifecycle_to_expiry_24h_after_creation(mock: MockServer) -> None:
    task = mock.create_task(amount=250, currency="EUR")
    request_id = task["request_id"]
    assert task == {"status": "processing", "request_id": request_id,
                    "status_url": f"{mock.url}/async/status/{request_id}",
                    "response_url": f"{mock.url}/async/result/{request_id}"}
    processing = {"status": "processing", "request_id": request_id}
    assert mock.overpay.get(task["status_url"]).json() == processing
    assert mock.overpay.get(task["response_url"]).json() == processing

    mock.advance(mock.config.processing_delay)
    status = mock.overpay.get(task["status_url"])
    assert (status.status_code, status.json()) == (200, {
        "status": "completed", "request_id": request_id, "response_url": task["response_url"]})
    first = mock.overpay.get(task["response_url"])
    second = mock.overpay.get(task["response_url"])
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    transaction = first.json()["transaction"]
    assert (transaction["status"], transaction["amount"], transaction["currency"],
            transaction["type"]) == ("successful", 250, "EUR", "payment")
    assert transaction["id"] == transaction["uid"]

    # Retention counts from the task's creation, not its completion.
    mock.advance(DAY - mock.config.processing_delay - 1)
    assert mock.overpay.get(task["response_url"]).content == first.content
    mock.advance(1)
    for url in (task["status_url"], task["response_url"]):
        gone = mock.overpay.get(url)
        assert (gone.status_code, gone.json()) == (404, unknown(request_id))


def test_validation_error_is_returned_once(mock: MockServer) -> None:
    request_id = mock.create_task(card=EXPIRED)["request_id"]
    mock.advance(mock.config.processing_delay)
    assert mock.status(request_id).json()["status"] == "completed"
    error = mock.result(request_id)
    assert error.status_code == 422
    assert error.json()["errors"] == {"credit_card": {"exp_month": ["Date is expired"]}}
    assert error.json()["message"]
    for read in (mock.result, mock.status):
        again = read(request_id)
        assert (again.status_code, again.json()) == (404, unknown(request_id))


@pytest.mark.parametrize("first_reader", ["status", "result"])
def test_task_failure_is_returned_once_by_either_url(mock: MockServer, first_reader: str) -> None:
    request_id = mock.create_task(description=FAIL_THE_TASK)["request_id"]
    mock.advance(mock.config.processing_delay)
    reads = (mock.status, mock.result) if first_reader == "status" else (mock.result, mock.status)
    failure = reads[0](request_id)
    assert (failure.status_code, failure.json()) == (500, {
        "message": "We're sorry, but something went wrong"})
    for read in reads:
        assert read(request_id).status_code == 404


@pytest.mark.parametrize("request_id", ["10203", "a2ac9f8e-1b22-486b-be46-528e48be6c76"])
def test_unknown_request_id_is_echoed_with_404(mock: MockServer, request_id: str) -> None:
    for read in (mock.status, mock.result):
        answer = read(request_id)
        assert (answer.status_code, answer.json()) == (404, unknown(request_id))


@pytest.mark.parametrize("auth", [None, ("361", "wrong"), ("someone", "else")])
def test_every_overpay_route_needs_basic_auth(mock: MockServer, auth: tuple[str, str] | None) -> None:
    request_id = mock.create_task()["request_id"]
    client = httpx.Client(base_url=mock.url, auth=auth)
    for method, path in [("POST", "/async/transactions/payments"),
                         ("POST", "/transactions/payments"),
                         ("GET", f"/async/status/{request_id}"),
                         ("GET", f"/async/result/{request_id}"),
                         ("GET", "/transactions/1-abc"),
                         ("GET", "/v2/transactions/tracking_id/t")]:
        answer = client.request(method, path, json={"request": overpay_request()})
        assert (answer.status_code, answer.json()) == (401, {"message": "Unauthorized"}), path
    client.close()


def test_malformed_body_is_refused_synchronously(mock: MockServer) -> None:
    for content in (b"not json", b'{"amount": 100}', b'{"request": 5}'):
        answer = mock.overpay.post("/async/transactions/payments", content=content)
        assert answer.status_code == 422
        assert set(answer.json()) == {"message", "errors"}
        assert answer.json()["errors"]["base"]


def test_unknown_transaction_kind_is_404(mock: MockServer) -> None:
    for path in ("/async/transactions/checkouts", "/transactions/checkouts"):
        answer = mock.overpay.post(path, json={"request": overpay_request()})
        assert (answer.status_code, answer.json()) == (404, {"message": "Not found"})


def test_incomplete_transaction_completes_on_the_process_page(mock: MockServer) -> None:
    transaction = mock.completed_result(card={"number": "4012000000001097"})
    assert transaction["status"] == "incomplete"
    assert transaction["redirect_url"] == f"{mock.url}/process/{transaction['uid']}"
    # The shopper's browser carries no credentials.
    assert mock.anonymous.get(transaction["redirect_url"]).status_code == 200
    found = mock.overpay.get(f"/v2/transactions/tracking_id/{transaction['tracking_id']}")
    assert [(t["uid"], t["status"]) for t in found.json()["transactions"]] == [
        (transaction["uid"], "successful")]


def test_incomplete_transaction_completes_without_the_shopper(mock: MockServer) -> None:
    transaction = mock.completed_result(card={"number": "4012000000001097"})
    mock.advance(2 * mock.config.processing_delay)
    current = mock.overpay.get(f"/transactions/{transaction['uid']}").json()["transaction"]
    assert current["status"] == "successful"
    assert current["three_d_secure_verification"]["status"] == "successful"


@pytest.mark.parametrize(("number", "status", "message"), [
    ("4200000000000000", "successful", "Successfully processed"),
    ("4005550000000019", "failed", "Authorization was declined"),
    ("4012000000001006", "successful", "Successfully processed"),
])
def test_test_cards_decide_the_status(mock: MockServer, number: str, status: str, message: str) -> None:
    transaction = mock.completed_result(card={"number": number})
    assert (transaction["status"], transaction["message"]) == (status, message)
    assert transaction["credit_card"]["last_4"] == number[-4:]
    assert transaction["payment"]["status"] == status


def test_uid_query_and_unknown_uid(mock: MockServer) -> None:
    transaction = mock.completed_result()
    found = mock.overpay.get(f"/transactions/{transaction['uid']}")
    assert found.json() == {"transaction": transaction}
    missing = mock.overpay.get("/transactions/1-0000000000")
    assert (missing.status_code, missing.json()) == (404, {"message": "Record not found"})


def test_tracking_query_lists_ten_newest_first(mock: MockServer) -> None:
    tracking_id = "order-many"
    tasks = [mock.create_task(tracking_id=tracking_id, amount=100 + n) for n in range(12)]
    assert mock.overpay.get(f"/v2/transactions/tracking_id/{tracking_id}").json() == {
        "transactions": []}  # transactions exist only once their task completes
    mock.advance(mock.config.processing_delay)
    uids = [mock.result(t["request_id"]).json()["transaction"]["uid"] for t in tasks]
    found = mock.overpay.get(f"/v2/transactions/tracking_id/{tracking_id}").json()
    assert [t["uid"] for t in found["transactions"]] == uids[::-1][:10]
    assert mock.overpay.get("/v2/transactions/tracking_id/nothing").json() == {"transactions": []}


def test_capture_refers_to_its_authorization(mock: MockServer) -> None:
    authorization = mock.completed_result(kind="authorizations")
    assert authorization["type"] == "authorization"
    capture = mock.overpay.post("/transactions/captures", json={"request": {
        "parent_uid": authorization["uid"], "amount": 100}}).json()["transaction"]
    assert (capture["type"], capture["parent_uid"], capture["currency"]) == (
        "capture", authorization["uid"], authorization["currency"])
    orphan = mock.overpay.post("/transactions/refunds", json={"request": {
        "parent_uid": "1-0000000000", "amount": 100, "reason": "returned"}})
    assert orphan.status_code == 422
    assert orphan.json()["errors"]["parent_uid"] == ["Transaction not found"]


def test_duplicate_check_is_on_by_default(mock: MockServer) -> None:
    card = {"number": "4111111111111111"}
    first = mock.overpay.post("/transactions/payments", json={"request": overpay_request(
        card=card, amount=777, duplicate_check=True)})
    second = mock.overpay.post("/transactions/payments", json={"request": {
        key: value for key, value in overpay_request(card=card, amount=777).items()
        if key != "duplicate_check"}})
    assert first.status_code == 200
    assert (second.status_code, second.json()["message"]) == (422, "Duplicate transaction")
    mock.advance(31)
    third = mock.overpay.post("/transactions/payments", json={"request": overpay_request(
        card=card, amount=777, duplicate_check=True)})
    assert third.status_code == 200


def test_webhook_posts_the_transaction_with_basic_auth(mock: MockServer,
                                                      receiver: Receiver) -> None:
    url = receiver.endpoint("overpay")
    transaction = mock.completed_result(notification_url=url)
    [webhook] = arrived(receiver, url)
    assert webhook.method == "POST"
    assert webhook.headers["content-type"] == "application/json"
    credentials = f"{mock.config.shop_id}:{mock.config.secret_key}".encode()
    assert webhook.headers["authorization"] == "Basic " + base64.b64encode(credentials).decode()
    assert webhook.json() == {"transaction": transaction}


def test_webhook_for_incomplete_transaction_waits_for_the_final_state(
        mock: MockServer, receiver: Receiver) -> None:
    url = receiver.endpoint("overpay")
    transaction = mock.completed_result(notification_url=url,
                                        card={"number": "4012000000001097"})
    assert receiver.requests(url) == []
    mock.anonymous.get(transaction["redirect_url"])
    [webhook] = arrived(receiver, url)
    assert webhook.json()["transaction"]["status"] == "successful"


def test_webhook_is_retried_with_growing_delays(mock: MockServer, receiver: Receiver) -> None:
    url = receiver.endpoint("overpay")
    receiver.answer_with(url, 503)
    mock.completed_result(notification_url=url)
    assert len(arrived(receiver, url)) == 1
    mock.advance(1)
    assert len(arrived(receiver, url, 2)) == 2
    mock.advance(1)
    assert len(receiver.requests(url)) == 2  # the second retry comes 2 s after the second try
    receiver.answer_with(url, 200)
    mock.advance(1)
    assert len(arrived(receiver, url, 3)) == 3
    mock.advance(600)
    assert len(receiver.requests(url)) == 3  # answered 200: no more tries
