from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from asyncpay.mock.__main__ import parser
from asyncpay.mock.testing import MockServer
from asyncpay.waiting.receiver import ReceivedRequest, Receiver

CHECKOUT_ID = re.compile(r"[0-9A-F]{32}\.uat01-vm-tx0[1-9]")


@pytest.fixture(scope="module")
def by_payment() -> Iterator[MockServer]:
    with MockServer(checkout_notification="payment") as running:
        yield running


def arrived(receiver: Receiver, url: str) -> ReceivedRequest:
    return receiver.wait_for(lambda r: r.path == urlsplit(url).path, timeout=5, describe=f"a request at {url}")


def paid_checkout(mock: MockServer, receiver: Receiver, **fields: str) -> tuple[str, str, str]:
    """(checkout id, notificationUrl, shopperResultUrl) of a checkout the shopper paid."""
    notify, back = receiver.endpoint("checkout-notify"), receiver.endpoint("checkout-back")
    checkout_id = mock.prepare_checkout(notificationUrl=notify, shopperResultUrl=back, **fields).json()["id"]
    assert mock.shopper_pays(checkout_id).status_code == 302
    return checkout_id, notify, back


def test_prepare_answers_the_checkout(mock: MockServer) -> None:
    answer = mock.prepare_checkout()
    assert answer.status_code == 200
    body = answer.json()
    assert CHECKOUT_ID.fullmatch(body["id"]) and body["ndc"] == body["id"]
    assert body["result"] == {"code": "000.200.100", "description": "successfully created checkout"}


@pytest.mark.parametrize(("field", "value"), [("amount", "92.0"), ("currency", "eur"), ("paymentType", "RF"),
                                              ("notificationUrl", "not a url")])
def test_invalid_checkout_parameters_answer_400(mock: MockServer, field: str, value: str) -> None:
    answer = mock.prepare_checkout(**{field: value})
    assert answer.status_code == 400
    result = answer.json()["result"]
    assert result["code"] == "200.300.404" and result["parameterErrors"][0]["name"] == field


def test_prepare_needs_the_token_but_the_shopper_does_not(mock: MockServer) -> None:
    assert mock.anonymous.post("/v1/checkouts", data={"entityId": mock.config.entity_id}).status_code == 401
    checkout_id = mock.prepare_checkout(shopperResultUrl="https://shop.example/back").json()["id"]
    assert mock.shopper_pays(checkout_id).status_code == 302


def test_shopper_is_sent_back_with_id_and_resource_path_keeping_the_shop_s_parameters(mock: MockServer) -> None:
    checkout_id = mock.prepare_checkout().json()["id"]
    answer = mock.shopper_pays(checkout_id, shopperResultUrl="https://shop.example/back?order=42&lang=de")
    location = answer.headers["location"]
    assert answer.status_code == 302
    assert location.startswith("https://shop.example/back?order=42&lang=de&id=")
    assert f"resourcePath=%2Fv1%2Fcheckouts%2F{checkout_id}%2Fpayment" in location
    assert parse_qs(urlsplit(location).query) == {
        "order": ["42"], "lang": ["de"], "id": [checkout_id],
        "resourcePath": [f"/v1/checkouts/{checkout_id}/payment"]}


def test_status_before_and_after_the_shopper_paid(mock: MockServer, receiver: Receiver) -> None:
    notify = receiver.endpoint("checkout")
    checkout_id = mock.prepare_checkout(notificationUrl=notify, amount="12.34",
                                        merchantTransactionId="order-9").json()["id"]
    before = mock.read_checkout(checkout_id)
    assert before.status_code == 200 and before.json()["result"]["code"] == "000.200.000"
    mock.shopper_pays(checkout_id, shopperResultUrl=receiver.endpoint("back"))
    paid = mock.read_checkout(checkout_id).json()
    assert re.fullmatch(r"[0-9a-f]{32}", paid["id"]) and paid["ndc"] == checkout_id
    assert (paid["amount"], paid["currency"], paid["merchantTransactionId"], paid["result"]["code"]) == (
        "12.34", "EUR", "order-9", "000.100.110")
    assert "cvv" not in str(paid) and paid["card"]["last4Digits"] == "0000"


def test_notification_names_the_checkout(mock: MockServer, receiver: Receiver) -> None:
    checkout_id, notify, back = paid_checkout(mock, receiver)
    hit = arrived(receiver, notify)
    assert hit.method == "GET"
    assert hit.query == {"id": [checkout_id], "resourcePath": [f"/v1/checkouts/{checkout_id}/payment"]}
    assert receiver.requests(back) == []


def test_the_variant_makes_the_notification_name_the_payment(receiver: Receiver) -> None:
    with MockServer(variants=["checkout-notifies-payment"]) as mock:
        checkout_id, notify, _ = paid_checkout(mock, receiver)
        payment_id = mock.read_checkout(checkout_id).json()["id"]
        assert arrived(receiver, notify).query == {"id": [payment_id], "resourcePath": [f"/v1/payments/{payment_id}"]}


def test_notification_may_name_the_payment(by_payment: MockServer, receiver: Receiver) -> None:
    checkout_id, notify, _ = paid_checkout(by_payment, receiver)
    payment_id = by_payment.read_checkout(checkout_id).json()["id"]
    assert arrived(receiver, notify).query == {"id": [payment_id], "resourcePath": [f"/v1/payments/{payment_id}"]}
    assert by_payment.read_payment(payment_id).json()["amount"] == "92.00"


def test_notification_falls_back_to_the_shopper_result_url(mock: MockServer, receiver: Receiver) -> None:
    back = receiver.endpoint("back") + "?order=7"
    checkout_id = mock.prepare_checkout(shopperResultUrl=back).json()["id"]
    mock.shopper_pays(checkout_id, shopperResultUrl=back)
    hit = arrived(receiver, back)
    assert (hit.param("order"), hit.param("id")) == ("7", checkout_id)


def test_a_declined_attempt_leaves_the_checkout_open_a_success_closes_it(mock: MockServer,
                                                                        receiver: Receiver) -> None:
    checkout_id = mock.prepare_checkout(shopperResultUrl=receiver.endpoint("back")).json()["id"]
    assert mock.shopper_pays(checkout_id, **{"card.holder": "800.100.151"}).status_code == 302
    assert mock.read_checkout(checkout_id).json()["result"]["code"] == "800.100.151"
    assert mock.shopper_pays(checkout_id).status_code == 302
    assert mock.read_checkout(checkout_id).json()["result"]["code"] == "000.100.110"
    again = mock.shopper_pays(checkout_id)
    assert (again.status_code, again.json()["result"]["code"]) == (400, "200.300.404")
    assert mock.read_checkout(checkout_id).status_code == 200  # still readable until it expires


def test_checkout_expires_30_minutes_after_creation(mock: MockServer, receiver: Receiver) -> None:
    paid, _, _ = paid_checkout(mock, receiver)
    unpaid = mock.prepare_checkout().json()["id"]
    mock.advance(1799)
    assert mock.read_checkout(paid).status_code == 200
    mock.advance(1)
    for checkout_id in (paid, unpaid):
        gone = mock.read_checkout(checkout_id)
        assert gone.status_code == 400
        assert gone.json()["result"]["code"] == "200.300.404"
        assert "No payment session found" in gone.json()["result"]["description"]
    assert mock.shopper_pays(unpaid).status_code == 400


def test_unknown_checkout_is_a_session_error(mock: MockServer) -> None:
    answer = mock.read_checkout("0" * 32 + ".uat01-vm-tx01")
    assert (answer.status_code, answer.json()["result"]["code"]) == (400, "200.300.404")


def test_checkout_status_reads_are_throttled_9_a_minute(mock: MockServer) -> None:
    checkout_id = mock.prepare_checkout().json()["id"]
    answers = [mock.read_checkout(checkout_id) for _ in range(10)]
    assert [a.status_code for a in answers] == [200] * 9 + [429]
    assert answers[-1].json()["result"]["code"] == "800.120.100"
    mock.advance(60)
    assert mock.read_checkout(checkout_id).status_code == 200


def test_command_line_selects_the_notification_style() -> None:
    args = parser().parse_args(["--checkout-notification", "payment", "--checkout-lifetime", "20"])
    assert (args.checkout_notification, args.checkout_lifetime, args.checkout_reads_per_minute) == (
        "payment", 20.0, 9)
    with pytest.raises(SystemExit):
        parser().parse_args(["--checkout-notification", "both"])


def test_the_shopper_cannot_change_what_the_checkout_charges(mock: MockServer) -> None:
    checkout_id = mock.prepare_checkout(amount="12.34", shopperResultUrl="https://shop.example/back").json()["id"]
    mock.shopper_pays(checkout_id, amount="0.01", currency="USD")
    paid = mock.read_checkout(checkout_id).json()
    assert (paid["amount"], paid["currency"]) == ("12.34", "EUR")
