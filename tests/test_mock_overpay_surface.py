"""The mock's RequestID memory (24 h on its clock) and its API v3 answers."""

from collections.abc import Iterator

import pytest

from asyncpay.config.profile import DAY, OVERPAY_OUTCOMES
from asyncpay.mock.testing import MockServer, overpay_request
from asyncpay.schemas import contracts

V3 = {"X-API-Version": "3"}
EXPIRED = OVERPAY_OUTCOMES["validation_error"]["credit_card"]


@pytest.fixture(scope="module")
def ignoring() -> Iterator[MockServer]:
    with MockServer(faults=["request-id-ignored", "api-version-ignored"]) as running:
        yield running


def post(mock: MockServer, request: dict, **headers: str) -> dict:
    response = mock.overpay.post("/async/transactions/payments", json={"request": request}, headers=headers)
    response.raise_for_status()
    return dict(response.json())


def test_a_repeat_with_the_same_request_id_gets_the_same_task_for_24_hours(mock: MockServer) -> None:
    request = overpay_request()
    first = post(mock, request, RequestID="key-a")
    assert post(mock, request, RequestID="key-a") == first
    assert post(mock, request, RequestID="key-b")["request_id"] != first["request_id"]
    assert post(mock, request)["request_id"] != first["request_id"]

    mock.advance(mock.config.processing_delay)
    listed = mock.overpay.get(f"/v2/transactions/tracking_id/{request['tracking_id']}").json()["transactions"]
    assert len(listed) == 3  # key-a once, key-b, and the request without a RequestID

    mock.advance(DAY)
    assert post(mock, request, RequestID="key-a")["request_id"] != first["request_id"]


def test_request_id_ignored_creates_a_second_task(ignoring: MockServer) -> None:
    request = overpay_request()
    first = post(ignoring, request, RequestID="key-a")
    assert post(ignoring, request, RequestID="key-a")["request_id"] != first["request_id"]


def test_v3_answers_hold_to_the_v3_contracts(mock: MockServer) -> None:
    request = overpay_request()
    task = post(mock, request, **V3)
    assert contracts.problems("overpay/v3-task", task) == [] and task["code"] == "8010"
    processing = mock.overpay.get(task["status_url"], headers=V3).json()
    assert processing == {"status": "processing", "request_id": task["request_id"]}

    mock.advance(mock.config.processing_delay)
    result = mock.overpay.get(task["response_url"], headers=V3).json()
    assert contracts.problems("overpay/v3-result-payment", result) == []
    assert (result["status"], result["code"], result["amount"]) == ("successful", "S.0000", request["amount"])
    assert result["payment_method"]["last_4"] == "0000"
    assert mock.overpay.get(task["response_url"]).json()["transaction"]["uid"] == result["uid"]  # v2 without
    query = mock.overpay.get(f"/transactions/{result['uid']}", headers=V3).json()
    assert contracts.problems("overpay/v3-transaction", query) == []
    listed = mock.overpay.get(f"/v2/transactions/tracking_id/{request['tracking_id']}", headers=V3).json()
    assert contracts.problems("overpay/v3-tracking-query", listed) == [] and len(listed["transactions"]) == 1


def test_a_v3_validation_error_carries_a_code(mock: MockServer) -> None:
    task = post(mock, overpay_request(card=EXPIRED), **V3)
    mock.advance(mock.config.processing_delay)
    error = mock.overpay.get(task["response_url"], headers=V3)
    assert error.status_code == 422
    assert contracts.problems("overpay/v3-error", error.json()) == [] and error.json()["code"] == "E.1025"


def test_api_version_ignored_answers_v2(ignoring: MockServer) -> None:
    task = post(ignoring, overpay_request(), **V3)
    assert "code" not in task
    ignoring.advance(ignoring.config.processing_delay)
    assert "transaction" in ignoring.overpay.get(task["response_url"], headers=V3).json()
