"""One timeline per transaction: observations from every channel in time order, and the checks
that judge a whole timeline (a final state never changes; order between channels is free)."""

from __future__ import annotations

import json

import pytest

from asyncpay.checks import timeline as checks
from asyncpay.errors import ContractViolation
from asyncpay.http.recording import Exchange, Recording
from asyncpay.timeline import Timeline, from_recording
from asyncpay.waiting.receiver import ReceivedRequest

UID = "38698066-22838a613a"
PAYMENT = "8ac7a4a1845f7e3501846b1c0bbd4d5b"


def transaction(status: str, **fields: object) -> dict[str, object]:
    return {"transaction": {"uid": UID, "status": status, "amount": 100, "currency": "USD", **fields}}


def webhook(status: str, arrived: float) -> ReceivedRequest:
    return ReceivedRequest(method="POST", path="/hooks/overpay-webhook/1", query={}, raw_query="",
                           headers={}, body=json.dumps(transaction(status)).encode(), arrived=arrived)


def exchange(label: str, task: str | None, body: object, started: float, status: int = 200,
             method: str = "GET") -> Exchange:
    return Exchange(method, f"https://gateway.example/async/result/{task}?x=1", {}, "", status, {},
                    json.dumps(body), started, 0.01, label=label, task=task)


def test_from_recording_keeps_one_transactions_exchanges_in_time_order():
    recording = Recording()
    recording.exchange(exchange("result pay", "r1", transaction("successful"), 2.0))
    recording.exchange(exchange("status pay", "r1", {"status": "completed"}, 1.0))
    recording.exchange(exchange("result other", "r2", transaction("failed"), 1.5))
    recording.exchange(exchange("uid query", "r1", transaction("successful"), 3.0))

    line = from_recording(recording, "r1")

    assert [(o.channel, o.at) for o in line.observations] == [
        ("status_url", 1.0), ("response_url", 2.0), ("uid query", 3.0)]
    assert line.observations[1].source == "GET /async/result/r1"


def test_deliveries_join_the_timeline_by_arrival():
    line = Timeline("r1")
    line.add("response_url", "GET /async/result/r1", 200, transaction("successful"), at=2.0)
    line.deliveries("webhook", [webhook("successful", 1.0), webhook("successful", 3.0)])
    assert [o.channel for o in line.observations] == ["webhook", "response_url", "webhook"]
    assert line.on("webhook")[0].http_status is None


def test_identical_repeats_and_any_channel_order_keep_the_final_state():
    line = Timeline("r1")
    line.deliveries("webhook", [webhook("successful", 1.0), webhook("successful", 1.1)])
    line.add("response_url", "GET /async/result/r1", 200, transaction("successful"), at=2.0)
    line.add("tracking query", "GET /v2/transactions/tracking_id/t", 200,
             {"transactions": [transaction("successful")["transaction"]]}, at=3.0)
    checks.overpay_final_state(line)


def test_incomplete_then_final_is_not_a_change():
    line = Timeline("r1")
    line.add("response_url", "GET /async/result/r1", 200, transaction("incomplete"), at=1.0)
    line.add("tracking query", "GET /v2/transactions/tracking_id/t", 200,
             {"transactions": [transaction("successful")["transaction"]]}, at=2.0)
    checks.overpay_final_state(line)


@pytest.mark.parametrize("order", [(1.0, 2.0), (2.0, 1.0)], ids=["webhook after", "webhook before"])
def test_a_contradicting_webhook_fails_final_state_whatever_the_order(order):
    line = Timeline("r1")
    line.add("response_url", "GET /async/result/r1", 200, transaction("successful"), at=order[0])
    line.deliveries("webhook", [webhook("failed", order[1])])
    with pytest.raises(ContractViolation) as caught:
        checks.overpay_final_state(line)
    assert caught.value.rule == "overpay.final-state"
    assert "webhook" in str(caught.value) and "response_url" in str(caught.value)


def checkout_read(code: str, at: float, payment: str | None = PAYMENT) -> tuple[str, str, int, dict, float]:
    body: dict[str, object] = {"result": {"code": code, "description": "x"}, "ndc": "C.uat01"}
    if payment is not None:
        body["id"] = payment
    return ("checkout status", "GET /v1/checkouts/C/payment", 200, body, at)


def line_of(*reads: tuple[str, str, int, dict, float]) -> Timeline:
    line = Timeline("C.uat01")
    for channel, source, status, body, at in reads:
        line.add(channel, source, status, body, at=at)
    return line


def test_pending_without_id_then_final_then_the_same_final_is_kept():
    checks.opp_final_result(line_of(checkout_read("000.200.000", 1.0, payment=None),
                                    checkout_read("000.100.110", 2.0), checkout_read("000.100.110", 3.0)))


def test_a_final_result_that_changes_fails():
    with pytest.raises(ContractViolation) as caught:
        checks.opp_final_result(line_of(checkout_read("000.100.110", 1.0), checkout_read("800.100.152", 2.0)))
    assert caught.value.rule == "opp.final-result-kept"


def test_a_final_result_that_reads_pending_again_fails():
    with pytest.raises(ContractViolation):
        checks.opp_final_result(line_of(checkout_read("000.100.110", 1.0), checkout_read("000.200.000", 2.0)))


def test_a_session_error_after_the_payment_is_no_result_change():
    gone = ("checkout status", "GET /v1/checkouts/C/payment", 400,
            {"result": {"code": "200.300.404", "description": "No payment session found"}}, 2.0)
    checks.opp_final_result(line_of(checkout_read("000.100.110", 1.0), gone))


def test_the_report_draws_every_channel_of_a_task_in_one_row_and_marks_a_disagreement():
    from asyncpay.reporting.html_report import timelines
    from asyncpay.verdicts import CheckRecord, Verdict

    events = [{"at": 1.0 + i, "target_time": 10.0 + i, "task": "r1", "kind": kind, "detail": detail}
              for i, (kind, detail) in enumerate([
                  ("created", "payments"), ("result:result", "200 successful"),
                  ("webhook", "status successful"), ("webhook", "status failed"),
                  ("uid query", "HTTP 200, status successful"),
                  ("channels disagree", "[overpay.final-state] read as successful, then as failed")])]
    record = CheckRecord("suites/scenarios/overpay/test_webhook.py::test_webhook", ["overpay.final-state"],
                         Verdict.FAILED, failed_rule="overpay.final-state",
                         recording={"exchanges": [], "events": events, "shapes": {}})

    [group] = timelines([record])
    [row] = group.timelines
    assert [p.label for p in row.points] == [e["kind"] for e in events]
    assert row.points[-1].colour == "#dc2626" and row.failing
