from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import httpx
import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from asyncpay.config.profile import OPP_OUTCOMES
from asyncpay.mock.testing import MockServer, opp_form
from asyncpay.waiting.receiver import ReceivedRequest, Receiver

TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\+0000")
PENDING = OPP_OUTCOMES["pending"]


def arrived(receiver: Receiver, url: str) -> ReceivedRequest:
    return receiver.wait_for(lambda r: r.path == urlsplit(url).path, timeout=5,
                             describe=f"a request at {url}")


def test_successful_payment_answers_synchronously(mock: MockServer) -> None:
    answer = mock.pay(amount="92", merchantTransactionId="order-7",
                      **{"customParameters[SHOPPER_note]": "gift"})
    assert answer.status_code == 200
    payment = answer.json()
    assert re.fullmatch(r"[0-9a-f]{32}", payment["id"])
    assert payment["result"] == {
        "code": "000.100.110",
        "description": "Request successfully processed in 'Merchant in Integrator Test Mode'"}
    assert (payment["amount"], payment["currency"], payment["paymentType"],
            payment["paymentBrand"], payment["merchantTransactionId"]) == (
        "92.00", "EUR", "DB", "VISA", "order-7")
    assert payment["card"]["bin"] == "420000" and payment["card"]["last4Digits"] == "0000"
    assert payment["customParameters"] == {"SHOPPER_note": "gift"}
    assert TIMESTAMP.fullmatch(payment["timestamp"])
    assert "redirect" not in payment and "cvv" not in json.dumps(payment)


def test_card_holder_result_code_forces_a_decline(mock: MockServer) -> None:
    payment = mock.pay(**OPP_OUTCOMES["declined"]).json()
    assert payment["result"]["code"] == "800.100.151"
    assert mock.read_payment(payment["id"]).json()["result"]["code"] == "800.100.151"


@pytest.mark.parametrize(("field", "value"), [
    ("amount", "92.0"), ("currency", "eur"), ("paymentType", "XX"), ("card.number", "42"),
    ("card.expiryMonth", "5"), ("card.expiryYear", "25"), ("notificationUrl", "not a url"),
])
def test_invalid_parameter_answers_400(mock: MockServer, field: str, value: str) -> None:
    answer = mock.pay(**{field: value})
    assert answer.status_code == 400
    result = answer.json()["result"]
    assert (result["code"], result["description"]) == ("200.300.404",
                                                        "invalid or missing parameter")
    assert result["parameterErrors"] == [{"name": field, "value": value,
                                          "message": result["parameterErrors"][0]["message"]}]


def test_credentials_and_entity_are_checked(mock: MockServer) -> None:
    payment_id = mock.pay().json()["id"]
    entity = mock.config.entity_id
    with httpx.Client(base_url=mock.url, headers={"Authorization": "Bearer nope"}) as wrong_token:
        cases = [
            (mock.anonymous, {"entityId": entity}, 401, "800.900.300"),
            (wrong_token, {"entityId": entity}, 401, "800.900.300"),
            (mock.opp, {}, 400, "200.300.404"),
            (mock.opp, {"entityId": "8a8294174b7ecb28014b9699220015cb"}, 403, "800.900.303"),
        ]
        for client, params, status, code in cases:
            answer = client.get(f"/v1/payments/{payment_id}", params=params)
            assert (answer.status_code, answer.json()["result"]["code"]) == (status, code), params
    missing = mock.opp.post("/v1/payments", data={k: v for k, v in opp_form(entity).items()
                                                  if k != "entityId"})
    assert missing.json()["result"]["parameterErrors"][0]["name"] == "entityId"
    assert mock.anonymous.post("/v1/payments", data=opp_form(entity)).status_code == 401


def test_unknown_payment_is_404(mock: MockServer) -> None:
    answer = mock.read_payment("0" * 32)
    assert answer.status_code == 404
    assert answer.json()["result"] == {"code": "700.400.580",
                                       "description": "cannot find transaction"}


def test_pending_payment_notifies_then_reads_final(mock: MockServer, receiver: Receiver) -> None:
    url = receiver.endpoint("opp")
    payment = mock.pay(notificationUrl=url, **PENDING).json()
    assert payment["result"]["code"] == "000.200.000"
    assert payment["redirect"]["url"] == f"{mock.url}/v1/threeDSecure/{payment['id']}"
    assert receiver.requests(url) == []

    mock.advance(mock.config.pending_delay)
    notification = arrived(receiver, url)
    assert notification.method == "GET"
    assert notification.query == {"id": [payment["id"]],
                                  "resourcePath": [f"/v1/payments/{payment['id']}"]}
    status = mock.opp.get(notification.param("resourcePath") or "",
                          params={"entityId": mock.config.entity_id})
    assert status.status_code == 200
    assert status.json()["result"]["code"] == "000.000.000"
    assert (status.json()["id"], status.json()["amount"]) == (payment["id"], payment["amount"])


def test_shopper_redirect_makes_the_payment_final(mock: MockServer, receiver: Receiver) -> None:
    url = receiver.endpoint("opp")
    payment = mock.pay(notificationUrl=url, **PENDING, **{"card.holder": "800.100.152"}).json()
    assert mock.anonymous.post(payment["redirect"]["url"]).status_code == 200
    assert arrived(receiver, url).param("id") == payment["id"]
    assert mock.read_payment(payment["id"]).json()["result"]["code"] == "800.100.152"


def test_notification_falls_back_to_shopper_result_url(mock: MockServer,
                                                       receiver: Receiver) -> None:
    url = receiver.endpoint("shopper")
    payment = mock.pay(shopperResultUrl=url, **PENDING).json()
    mock.advance(mock.config.pending_delay)
    assert arrived(receiver, url).param("id") == payment["id"]


def test_no_notification_for_synchronous_payments(mock: MockServer, receiver: Receiver) -> None:
    url = receiver.endpoint("sync")
    mock.pay(notificationUrl=url)
    mock.advance(mock.config.pending_delay + 60)
    assert receiver.requests(url) == []


def test_notification_is_retried_until_answered(mock: MockServer, receiver: Receiver) -> None:
    url = receiver.endpoint("retry")
    receiver.answer_with(url, 500)
    mock.pay(notificationUrl=url, **PENDING)
    mock.advance(mock.config.pending_delay + 1 + 2)
    assert len(receiver.requests(url)) == 3
    receiver.answer_with(url, 200)
    mock.advance(4)
    mock.advance(600)
    assert len(receiver.requests(url)) == 4


def test_status_reads_are_throttled_when_configured() -> None:
    with MockServer(status_reads_per_minute=2) as mock:
        payment_id = mock.pay().json()["id"]
        assert [mock.read_payment(payment_id).status_code for _ in range(3)] == [200, 200, 429]
        assert mock.read_payment(payment_id).json()["result"]["code"] == "800.120.100"
        mock.advance(60)
        assert mock.read_payment(payment_id).status_code == 200


def test_capture_refers_to_the_preauthorization(mock: MockServer) -> None:
    preauth = mock.pay(paymentType="PA").json()
    capture = mock.opp.post(f"/v1/payments/{preauth['id']}", data={
        "entityId": mock.config.entity_id, "paymentType": "CP", "amount": "92.00",
        "currency": "EUR"})
    assert capture.status_code == 200
    assert (capture.json()["referencedId"], capture.json()["paymentType"],
            capture.json()["result"]["code"]) == (preauth["id"], "CP", "000.100.110")
    refused = mock.opp.post(f"/v1/payments/{preauth['id']}", data={
        "entityId": mock.config.entity_id, "paymentType": "RF"})
    assert refused.status_code == 400


def test_encrypted_webhook_decrypts_to_the_payment(mock: MockServer, receiver: Receiver) -> None:
    url = receiver.endpoint("encrypted")
    payment = mock.pay(**{"customParameters[SHOPPER_webhookUrl]": url}).json()
    webhook = arrived(receiver, url)
    assert webhook.method == "POST"
    key = bytes.fromhex(mock.config.webhook_secret or "")
    sealed = bytes.fromhex(webhook.body.decode()) + bytes.fromhex(
        webhook.headers["x-authentication-tag"])
    plain = AESGCM(key).decrypt(bytes.fromhex(webhook.headers["x-initialization-vector"]),
                                sealed, None)
    message = json.loads(plain)
    assert (message["type"], message["payload"]["id"]) == ("PAYMENT", payment["id"])
