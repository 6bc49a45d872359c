"""Each variant switch takes the freedom it names: the answers show it (status code, header,
body, URL, delivery), and everything else stays as documented. All of them combine."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from asyncpay.mock import VARIANTS, MockConfig, Variant
from asyncpay.mock.__main__ import config_from, main, parser, variant_table
from asyncpay.mock.notifier import Delivery
from asyncpay.mock.runtime import MockRuntime
from asyncpay.mock.testing import MockServer, overpay_request
from asyncpay.mock.variants import CHECKOUT_PENDING_FOR, THROTTLE_EVERY, THROTTLED_READS_PER_MINUTE
from asyncpay.waiting.receiver import ReceivedRequest, Receiver
from asyncpay.wire.testdata import MOCK_OVERPAY_OUTCOMES, OPP_OUTCOMES, OVERPAY_OUTCOMES
from asyncpay.wire.webhooks import decrypt_opp_webhook

EXPIRED = OVERPAY_OUTCOMES["validation_error"]["credit_card"]
FAIL_THE_TASK = MOCK_OVERPAY_OUTCOMES["task_failure"]["description"]
PENDING = OPP_OUTCOMES["pending"]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


def served(*variants: str, **config: Any) -> MockServer:
    return MockServer(variants=list(variants), **config)


def post_task(mock: MockServer, **fields: Any) -> httpx.Response:
    return mock.overpay.post("/async/transactions/payments",
                             json={"request": overpay_request(**fields)})


def arrivals(receiver: Receiver, url: str, count: int) -> list[ReceivedRequest]:
    path = urlsplit(url).path
    receiver.wait_for(lambda r: r.path == path and len(receiver.requests(path)) >= count,
                      timeout=5, describe=f"{count} requests at {url}")
    return receiver.requests(path)


# --- the table ---------------------------------------------------------------------------

def test_every_variant_names_its_freedom_and_a_public_source() -> None:
    assert len(VARIANTS) >= 15
    for name, variant in VARIANTS.items():
        assert isinstance(variant, Variant) and variant.name == name
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name)
        assert variant.freedom.endswith(".") and ":" in variant.freedom
        assert variant.source.startswith("https://") and "docs" in variant.source


def test_list_variants_prints_name_and_freedom(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--list-variants"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == variant_table().splitlines()
    assert lines[0].split()[:2] == ["VARIANT", "FREEDOM"]
    rows = {line.split(maxsplit=1)[0]: line.split(maxsplit=1)[1] for line in lines[1:]}
    assert rows == {name: variant.freedom for name, variant in VARIANTS.items()}


def test_cli_takes_variants_ranges_and_notification_delay() -> None:
    args = parser().parse_args(["--variant", "all", "--retention", "4", "--processing-delay",
                                "0.3-1.2", "--notification-delay", "0.5", "--clock", "real"])
    config = config_from(args)
    assert sorted(config.variants) == sorted(VARIANTS)
    assert (config.retention, config.processing_delay, config.processing_delay_max,
            config.notification_delay) == (4, 0.3, 1.2, 0.5)
    # The caller's values win over short-retention's; its others apply.
    assert config.status_reads_per_minute == THROTTLED_READS_PER_MINUTE
    assert config_from(parser().parse_args(["--processing-delay", "2"])).processing_delay_max is None


@pytest.mark.parametrize("argv", [["--variant", "no-such-variant"], ["--processing-delay", "3-1"],
                                  ["--processing-delay", "soon"]])
def test_cli_refuses_bad_variants_and_ranges(argv: list[str],
                                             capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert argv[1] in capsys.readouterr().err


def test_unknown_variant_is_refused_listing_the_known_ones() -> None:
    with pytest.raises(ValueError, match="no-such-variant") as refused:
        MockConfig(variants=["processing-425", "no-such-variant"])
    assert "processing-425" in str(refused.value).split("known:")[1]


def test_processing_delay_range_draws_each_task_uniformly() -> None:
    config = MockConfig(processing_delay=0.3, processing_delay_max=1.2)
    draws = [config.draw_processing_delay() for _ in range(200)]
    assert all(0.3 <= d <= 1.2 for d in draws) and max(draws) - min(draws) > 0.5
    assert config.longest_processing == 1.2
    with pytest.raises(ValueError, match="processing_delay_max"):
        MockConfig(processing_delay=2, processing_delay_max=1)


def test_config_route_shows_the_effective_settings() -> None:
    with served("short-retention", "throttles", faults=["result-changes"],
                notification_delay=1.5) as mock:
        config = mock.anonymous.get("/_asyncpay/config").json()
    assert config["mode"] == "virtual" and isinstance(config["now"], float)
    assert (config["retention"], config["processing_delay"], config["notification_delay"]) == (
        6.0, [2.5, 3.0], 1.5)
    assert config["status_reads_per_minute"] == THROTTLED_READS_PER_MINUTE
    assert (config["variants"], config["faults"]) == (["short-retention", "throttles"],
                                                      ["result-changes"])


def test_notification_delay_holds_deliveries_back(receiver: Receiver) -> None:
    url = receiver.endpoint("delayed")
    config = MockConfig(notification_delay=10)
    assert all(0 <= config.draw_notification_delay() <= 10 for _ in range(100))
    with served(notification_delay=10) as mock:
        mock.config.draw_notification_delay = lambda: 7.0  # type: ignore[method-assign]
        mock.completed_result(notification_url=url)
        mock.advance(6.9)
        assert receiver.requests(urlsplit(url).path) == []
        mock.advance(0.2)
        assert len(arrivals(receiver, url, 1)) == 1


# --- Overpay: the task and its URLs ------------------------------------------------------

def test_numeric_request_ids() -> None:
    with served("numeric-request-ids") as mock:
        first, second = mock.create_task(), mock.create_task()
        assert re.fullmatch(r"[0-9]{5,6}", first["request_id"])
        assert int(second["request_id"]) == int(first["request_id"]) + 1
        assert first["status_url"].endswith(f"/async/status/{first['request_id']}")


def test_url_layout_serves_the_urls_it_hands_out() -> None:
    with served("url-layout") as mock:
        task = mock.create_task()
        rid = task["request_id"]
        assert task["status_url"] == f"{mock.url}/async/tasks/{rid}"
        assert task["response_url"] == f"{mock.url}/async/tasks/{rid}/result"
        assert mock.overpay.get(task["status_url"]).json()["status"] == "processing"
        mock.advance(mock.config.longest_processing)
        completed = mock.overpay.get(task["status_url"]).json()
        assert completed["response_url"] == task["response_url"]
        assert mock.overpay.get(task["response_url"]).json()["transaction"]["status"] == "successful"
        assert mock.overpay.get(f"{mock.url}/async/tasks/10203").status_code == 404


def test_processing_202() -> None:
    with served("processing-202") as mock:
        answer = post_task(mock)
        assert answer.status_code == 202 and answer.json()["status"] == "processing"
        rid = answer.json()["request_id"]
        assert mock.status(rid).status_code == mock.result(rid).status_code == 202
        mock.advance(mock.config.longest_processing)
        assert mock.status(rid).status_code == mock.result(rid).status_code == 200


def test_processing_425_on_the_result_url() -> None:
    with served("processing-425") as mock:
        answer = post_task(mock)
        assert answer.status_code == 200
        rid = answer.json()["request_id"]
        running = mock.result(rid)
        assert (running.status_code, running.json()) == (425, {"status": "processing",
                                                               "request_id": rid})
        assert mock.status(rid).status_code == 200
        mock.advance(mock.config.longest_processing)
        assert mock.result(rid).status_code == 200


def test_status_delivers_result() -> None:
    with served("status-delivers-result") as mock:
        rid = mock.create_task()["request_id"]
        assert mock.status(rid).json()["status"] == "processing"
        mock.advance(mock.config.longest_processing)
        by_status, by_result = mock.status(rid), mock.result(rid)
        assert by_status.status_code == by_result.status_code == 200
        assert by_status.json() == by_result.json() and by_status.json()["transaction"]["uid"]

        error_id = mock.create_task(card=EXPIRED)["request_id"]
        mock.advance(mock.config.longest_processing)
        once = mock.status(error_id)
        assert once.status_code == 422 and once.json()["errors"]
        assert mock.result(error_id).status_code == mock.status(error_id).status_code == 404


def test_short_retention_keeps_results_six_seconds() -> None:
    with served("short-retention") as mock:
        assert (mock.config.retention, mock.config.processing_delay,
                mock.config.processing_delay_max) == (6.0, 2.5, 3.0)
        rid = mock.create_task()["request_id"]
        mock.advance(2.4)
        assert mock.status(rid).json()["status"] == "processing"
        mock.advance(0.6)
        assert mock.result(rid).status_code == 200
        mock.advance(3.0)
        assert mock.result(rid).json() == {"status": "unknown", "request_id": rid}
    assert MockConfig(variants=["short-retention"], retention=86400.0).retention == 86400.0


def test_task_failure_503() -> None:
    with served("task-failure-503") as mock:
        rid = mock.create_task(description=FAIL_THE_TASK)["request_id"]
        mock.advance(mock.config.longest_processing)
        failed = mock.status(rid)
        assert failed.status_code == 503 and "message" in failed.json()
        assert mock.result(rid).status_code == 404


# --- Overpay: answers --------------------------------------------------------------------

def test_extra_fields_everywhere() -> None:
    with served("extra-fields") as mock:
        task = mock.create_task()
        assert {"meta", "trace_id"} <= set(task)
        rid = task["request_id"]
        assert "meta" in mock.status(rid).json() and "meta" in mock.result(rid).json()
        mock.advance(mock.config.longest_processing)
        assert "meta" in mock.status(rid).json()
        result = mock.result(rid).json()
        tx = result["transaction"]
        assert "meta" in result and "extensions" in tx
        assert all("extensions" in tx[name] for name in ("credit_card", "payment"))
        assert "extensions" not in json.dumps(tx["customer"] or {})  # echoes left alone
        assert "meta" in mock.status("10203").json()
        query = mock.overpay.get(f"/v2/transactions/tracking_id/{tx['tracking_id']}").json()
        assert "meta" in query and "extensions" in query["transactions"][0]
        payment = mock.pay().json()
        assert {"meta", "trace_id"} <= set(payment) and "extensions" in payment["result"]
        assert "extensions" in payment["card"]
        assert "meta" in mock.read_payment(payment["id"]).json()
        assert "meta" in mock.pay(amount="92.0").json()


def test_charset_and_key_order() -> None:
    with served("charset-and-key-order") as mock:
        answer = post_task(mock)
        assert answer.headers["content-type"] == "application/json; charset=utf-8"
        assert list(answer.json()) == ["response_url", "status_url", "request_id", "status"]
        mock.advance(mock.config.longest_processing)
        tx = mock.result(answer.json()["request_id"]).json()["transaction"]
        assert list(tx)[-2:] == ["id", "uid"]
        payment = mock.pay()
        assert payment.headers["content-type"] == "application/json; charset=utf-8"
        assert list(payment.json())[-2:] == ["paymentType", "id"]


def test_validation_400() -> None:
    with served("validation-400") as mock:
        rid = mock.create_task(card=EXPIRED)["request_id"]
        mock.advance(mock.config.longest_processing)
        error = mock.result(rid)
        assert error.status_code == 400 and error.json()["errors"]["credit_card"]
        assert mock.result(rid).status_code == 404
        refused = mock.overpay.post("/async/transactions/payments", json={"amount": 1})
        assert refused.status_code == 400 and refused.json()["errors"]["base"]


def test_validation_wrapped() -> None:
    with served("validation-wrapped") as mock:
        rid = mock.create_task(card=EXPIRED)["request_id"]
        mock.advance(mock.config.longest_processing)
        error = mock.result(rid)
        assert error.status_code == 422 and set(error.json()) == {"response"}
        assert set(error.json()["response"]) == {"message", "errors"}
        assert error.json()["response"]["errors"]["credit_card"]["exp_month"] == ["Date is expired"]


@pytest.mark.parametrize(("card", "fields", "echo"), [
    ({"number": "-1.594"}, {}, {"first_1": "-", "last_4": "594"}),
    ({"number": ""}, {}, {"first_1": "", "last_4": ""}),
    ({"exp_month": False}, {}, {"exp_month": False, "last_4": "0000"}),
    ({}, {"billing_address": False}, {}),
])
def test_odd_echoes_are_declined_and_echoed(card: dict[str, Any], fields: dict[str, Any],
                                            echo: dict[str, Any]) -> None:
    with served("odd-echoes") as mock:
        tx = mock.completed_result(card=card, **fields)
        assert tx["status"] == ("successful" if not card else "failed")
        assert {key: tx["credit_card"][key] for key in echo} == echo
        if "billing_address" in fields:
            assert tx["billing_address"] is False
        # Documented constraints still give a validation error.
        rid = mock.create_task(amount=0, card=card)["request_id"]
        mock.advance(mock.config.longest_processing)
        assert mock.result(rid).json()["errors"]["amount"]


def child_result(mock: MockServer, kind: str, parent_uid: str, amount: int) -> httpx.Response:
    request_id = mock.create_child(kind, parent_uid, amount)["request_id"]
    mock.advance(mock.config.longest_processing)
    return mock.result(request_id)


@pytest.mark.parametrize(("variants", "status"), [((), 422), (("capture-above-authorized-fails",), 200)])
def test_capture_above_the_authorized_amount(variants: tuple[str, ...], status: int) -> None:
    with served(*variants) as mock:
        authorization = mock.completed_result(kind="authorizations", amount=500)
        answer = child_result(mock, "captures", authorization["uid"], 501)
        assert answer.status_code == status
        if status == 200:
            assert answer.json()["transaction"]["status"] == "failed"
            assert answer.json()["transaction"]["capture"]["status"] == "failed"
        # Up to the amount left is captured either way.
        assert child_result(mock, "captures", authorization["uid"], 500).json()["transaction"]["status"] == "successful"


@pytest.mark.parametrize(("variants", "status"), [((), 422), (("second-void-fails",), 200)])
def test_second_void(variants: tuple[str, ...], status: int) -> None:
    with served(*variants) as mock:
        authorization = mock.completed_result(kind="authorizations", amount=500)
        assert child_result(mock, "voids", authorization["uid"], 500).json()["transaction"]["status"] == "successful"
        answer = child_result(mock, "voids", authorization["uid"], 499)
        assert answer.status_code == status
        if status == 200:
            assert answer.json()["transaction"]["status"] == "failed"


@pytest.mark.parametrize(("variants", "shown"), [((), 500), (("parent-shows-children",), 300)])
def test_parent_uid_query_after_a_refund(variants: tuple[str, ...], shown: int) -> None:
    with served(*variants) as mock:
        payment = mock.completed_result(amount=500)
        assert child_result(mock, "refunds", payment["uid"], 200).status_code == 200
        assert mock.overpay.get(f"/transactions/{payment['uid']}").json()["transaction"]["amount"] == shown


def test_mixed_timestamps() -> None:
    with served("mixed-timestamps") as mock:
        tx = mock.completed_result()
        assert tx["created_at"].endswith("Z") and tx["updated_at"].endswith("+00:00")
        assert tx["paid_at"].endswith("+00:00")
        assert tx["expired_at"] is None and tx["settled_at"] is None
        payment = mock.pay().json()
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\+0000", payment["timestamp"])


def test_throttles_overpay_posts_and_opp_status_reads() -> None:
    with served("throttles") as mock:
        codes = [post_task(mock) for _ in range(2 * THROTTLE_EVERY)]
        throttled = [i for i, answer in enumerate(codes) if answer.status_code == 429]
        assert throttled == [0, THROTTLE_EVERY]
        assert codes[0].headers["retry-after"] == "1" and codes[0].json()["message"]
        payment_id = mock.pay().json()["id"]
        reads = [mock.read_payment(payment_id) for _ in range(THROTTLED_READS_PER_MINUTE + 1)]
        assert [r.status_code for r in reads[:-1]] == [200] * THROTTLED_READS_PER_MINUTE
        assert (reads[-1].status_code, reads[-1].json()["result"]["code"]) == (429, "800.120.100")
        mock.advance(60)
        assert mock.read_payment(payment_id).status_code == 200
        request_id = codes[1].json()["request_id"]
        task_reads = [mock.status(request_id).status_code for _ in range(THROTTLE_EVERY)]
        assert task_reads.count(429) == 1 and set(task_reads) <= {200, 202, 429}, task_reads


# --- deliveries ----------------------------------------------------------------------------

def test_duplicate_deliveries_with_lower_case_headers(receiver: Receiver) -> None:
    webhook_url, notify_url = receiver.endpoint("webhook"), receiver.endpoint("notify")
    with served("duplicate-deliveries") as mock:
        mock.completed_result(notification_url=webhook_url)
        webhooks = arrivals(receiver, webhook_url, 2)
        assert len(webhooks) == 2 and webhooks[0].body == webhooks[1].body
        mock.pay(notificationUrl=notify_url, **PENDING)
        mock.advance(mock.config.pending_delay)
        notifications = arrivals(receiver, notify_url, 2)
        assert len(notifications) == 2 and notifications[0].raw_query == notifications[1].raw_query
        attempts = mock.anonymous.get("/_asyncpay/deliveries").json()["attempts"]
        assert [a["label"] for a in attempts].count("overpay webhook") == 2


def test_duplicate_deliveries_send_header_names_in_lower_case() -> None:
    runtime = MockRuntime(MockConfig(variants=["duplicate-deliveries"]))
    sent: list[Delivery] = []
    runtime.notifier.send = lambda delivery, number=1: sent.append(delivery)  # type: ignore[method-assign]
    runtime.deliver(Delivery("overpay webhook", "POST", "http://127.0.0.1:9/h",
                             {"Content-Type": "application/json", "Authorization": "Basic eDp5"}))
    assert [d.headers for d in sent] == [{"content-type": "application/json",
                                          "authorization": "Basic eDp5"}] * 2


def test_early_notification_while_pending_and_none_when_final(receiver: Receiver) -> None:
    url = receiver.endpoint("early")
    with served("early-notification") as mock:
        payment_id = mock.pay(notificationUrl=url, **PENDING).json()["id"]
        mock.advance(1)
        hit = arrivals(receiver, url, 1)[0]
        assert hit.param("id") == payment_id
        assert mock.read_payment(payment_id).json()["result"]["code"] == "000.200.000"
        mock.advance(mock.config.pending_delay)
        assert mock.read_payment(payment_id).json()["result"]["code"] == "000.000.000"
        assert len(receiver.requests(urlsplit(url).path)) == 1


def test_plain_resource_path(receiver: Receiver) -> None:
    url = receiver.endpoint("plain") + "?shop=1"
    with served("plain-resource-path") as mock:
        payment_id = mock.pay(notificationUrl=url, **PENDING).json()["id"]
        mock.advance(mock.config.pending_delay)
        hit = arrivals(receiver, url, 1)[0]
        assert hit.raw_query == f"shop=1&id={payment_id}&resourcePath=/v1/payments/{payment_id}"
        assert hit.param("resourcePath") == f"/v1/payments/{payment_id}"


def test_checkout_pending_briefly_then_final_and_closed(receiver: Receiver) -> None:
    url = receiver.endpoint("pending-briefly")
    with served("checkout-pending-briefly") as mock:
        checkout_id = mock.prepare_checkout(notificationUrl=url).json()["id"]
        assert mock.shopper_pays(checkout_id).is_success
        pending = mock.read_checkout(checkout_id).json()
        assert pending["result"]["code"] == "000.200.000" and "id" in pending
        assert receiver.requests(url) == []
        mock.advance(CHECKOUT_PENDING_FOR)
        final = mock.read_checkout(checkout_id).json()
        assert final["result"]["code"] == "000.100.110" and final["id"] == pending["id"]
        assert len(arrivals(receiver, url, 1)) == 1
        assert mock.shopper_pays(checkout_id).status_code == 400  # the successful payment closed it


def test_checkout_pending_without_id() -> None:
    with served("checkout-pending-briefly", "checkout-pending-without-id") as mock:
        checkout_id = mock.prepare_checkout().json()["id"]
        mock.shopper_pays(checkout_id)
        assert set(mock.read_checkout(checkout_id).json()) == {"result", "buildNumber", "timestamp", "ndc"}
        mock.advance(CHECKOUT_PENDING_FOR)
        assert "id" in mock.read_checkout(checkout_id).json()


def test_webhook_redirect_without_url(receiver: Receiver) -> None:
    url = receiver.endpoint("redirect-without-url")
    with served("webhook-redirect-without-url") as mock:
        mock.pay(**{"customParameters[SHOPPER_webhookUrl]": url}, **PENDING)
        mock.advance(0.1)
        hit = arrivals(receiver, url, 1)[0]
        plain = decrypt_opp_webhook(hit.body, hit.headers, mock.config.webhook_secret or "")
        assert plain["payload"]["redirect"] == {"parameters": []}


# --- all together ------------------------------------------------------------------------------

def test_all_variants_combine(receiver: Receiver) -> None:
    webhook_url, notify_url = receiver.endpoint("all-webhook"), receiver.endpoint("all-notify")
    with served("all") as mock:
        assert sorted(mock.config.variants) == sorted(VARIANTS)
        answers = [post_task(mock, notification_url=webhook_url) for _ in range(2)]
        assert [a.status_code for a in answers] == [429, 202]
        task = answers[1].json()
        assert re.fullmatch(r"[0-9]+", task["request_id"]) and "/async/tasks/" in task["status_url"]
        assert mock.overpay.get(task["response_url"]).status_code == 425
        mock.advance(mock.config.longest_processing)
        result = mock.overpay.get(task["status_url"])
        assert result.status_code == 200 and result.headers["content-type"].endswith("utf-8")
        tx = result.json()["transaction"]
        assert tx["status"] == "successful" and "extensions" in tx and tx["expired_at"] is None
        assert mock.overpay.get(task["response_url"]).json() == result.json()
        assert len(arrivals(receiver, webhook_url, 2)) == 2

        error = post_task(mock, card=EXPIRED).json()
        mock.advance(mock.config.longest_processing)
        once = mock.overpay.get(error["status_url"])
        if once.status_code == 429:  # throttles: one task read in four answers 429 and hands out nothing
            once = mock.overpay.get(error["status_url"])
        assert once.status_code == 400 and set(once.json()) >= {"response", "meta"}
        assert mock.overpay.get(error["response_url"]).status_code == 404
        mock.advance(mock.config.retention)
        assert mock.overpay.get(task["response_url"]).status_code == 404

        payment_id = mock.pay(notificationUrl=notify_url, **PENDING).json()["id"]
        mock.advance(1)
        assert len(arrivals(receiver, notify_url, 2)) == 2
        mock.advance(mock.config.pending_delay)
        assert mock.read_payment(payment_id).json()["result"]["code"] == "000.000.000"


def test_v2_only_ignores_the_version_header_and_says_so() -> None:
    with served("v2-only") as mock:
        task = mock.overpay.post("/async/transactions/payments", json={"request": overpay_request()},
                                 headers={"X-API-Version": "3"}).json()
        assert "code" not in task and task["status"] == "processing"
        mock.advance(mock.config.processing_delay)
        assert "transaction" in mock.overpay.get(task["response_url"], headers={"X-API-Version": "3"}).json()
        assert mock.anonymous.get("/_asyncpay/config").json()["api_versions"] == [2]
    with served() as mock:
        assert mock.anonymous.get("/_asyncpay/config").json()["api_versions"] == [2, 3]
