"""Recordings as the reports store them: every field of every exchange and event, copied."""

from __future__ import annotations

from dataclasses import asdict

from asyncpay.http.recording import Event, Exchange, Recording


def _exchange() -> Exchange:
    return Exchange(method="GET", url="https://gateway/async/status/1", request_headers={"Accept": "application/json"},
                    request_body="", status=200, response_headers={"Content-Type": "application/json"},
                    response_body='{"status": "processing"}', started=1.5, elapsed=0.02, error=None,
                    label="status", task="1")


def test_a_recording_as_a_dict_holds_every_field() -> None:
    recording = Recording(exchanges=[_exchange()], events=[Event(1.0, None, "1", "created", "POST")])
    recording.shape("task")

    assert recording.to_dict() == {"exchanges": [asdict(_exchange())],
                                   "events": [asdict(Event(1.0, None, "1", "created", "POST"))],
                                   "shapes": {"task": 1}}


def test_an_exchange_s_headers_are_copied_not_shared() -> None:
    exchange = _exchange()
    stored = exchange.to_dict()
    exchange.response_headers["Content-Type"] = "text/html"

    assert stored["response_headers"] == {"Content-Type": "application/json"}
