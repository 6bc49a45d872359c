from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from asyncpay.errors import HarnessError
from asyncpay.waiting.receiver import ReceivedRequest, Receiver, ReceiverTimeout


@pytest.fixture(scope="module")
def server() -> Iterator[Receiver]:
    with Receiver() as receiver:
        yield receiver


@pytest.fixture
def receiver(server: Receiver) -> Receiver:
    server.clear()
    return server


#: Seconds a test waits for something that should happen at once: a guard against a hang,
#: never a measured property.
HANG_GUARD = 30.0


def _path(url: str) -> str:
    return urlsplit(url).path


def test_get_notification_recorded_exactly(receiver: Receiver) -> None:
    url = receiver.endpoint("opp")
    query = "id=8ac7a4a1&resourcePath=%2Fv1%2Fpayments%2F8ac7a4a1&empty=&dup=1&dup=2"
    sent = time.time()
    response = httpx.get(f"{url}?{query}")
    answered = time.time()

    assert response.status_code == 200
    assert response.text == "OK"
    assert response.headers["content-type"].startswith("text/plain")
    [hit] = receiver.requests(url)
    assert (hit.method, hit.path, hit.raw_query) == ("GET", _path(url), query)
    assert hit.query == {"id": ["8ac7a4a1"], "resourcePath": ["/v1/payments/8ac7a4a1"],
                         "empty": [""], "dup": ["1", "2"]}
    assert hit.param("resourcePath") == "/v1/payments/8ac7a4a1"
    assert hit.param("dup") == "1"
    assert hit.param("absent") is None
    assert hit.body == b""
    assert not hit.truncated
    assert sent <= hit.arrived <= answered  # stamped on arrival, on the wall clock


def test_post_body_and_headers_recorded(receiver: Receiver) -> None:
    url = receiver.endpoint("overpay")
    body = b'{"transaction": {"uid": "1-abc", "status": "successful"}}'
    headers = [("Content-Type", "application/json"), ("X-Dup", "a"), ("x-dup", "b"),
               ("Content-Signature", "c2ln")]
    response = httpx.post(url, content=body, headers=headers)

    assert response.status_code == 200
    [hit] = receiver.requests(url)
    assert hit.method == "POST"
    assert hit.body == body
    assert hit.json() == {"transaction": {"uid": "1-abc", "status": "successful"}}
    assert hit.headers["content-type"] == "application/json"
    assert hit.headers["content-signature"] == "c2ln"
    assert hit.headers["x-dup"] == "a, b"
    assert all(name == name.lower() for name in hit.headers)


def test_json_of_garbage_raises_value_error(receiver: Receiver) -> None:
    url = receiver.endpoint("garbage")
    httpx.post(url, content=b"\xff\x00 not json")
    [hit] = receiver.requests(url)
    with pytest.raises(ValueError, match="is not JSON"):
        hit.json()


def test_any_method_is_recorded_and_answered(receiver: Receiver) -> None:
    url = receiver.endpoint("methods")
    for method in ("PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "PROPFIND"):
        assert httpx.request(method, url).status_code == 200
    assert [hit.method for hit in receiver.requests(url)] == [
        "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "PROPFIND"]


def test_wait_for_returns_an_earlier_request_immediately(receiver: Receiver) -> None:
    url = receiver.endpoint("early")
    httpx.get(url, params={"id": "early"})
    # No time to wait at all: a stored request is found without waiting for another.
    hit = receiver.wait_for(lambda r: r.param("id") == "early", timeout=0)
    assert hit.path == _path(url)


def test_wait_for_returns_a_later_request_when_it_arrives(receiver: Receiver) -> None:
    url = receiver.endpoint("late")
    httpx.get(receiver.endpoint("other"))  # an earlier request that does not match
    examined = threading.Event()  # the waiter has looked at the stored request: it is waiting
    returned: list[ReceivedRequest] = []

    def late(request: ReceivedRequest) -> bool:
        examined.set()
        return request.path == _path(url)

    waiter = threading.Thread(target=lambda: returned.append(
        receiver.wait_for(late, timeout=HANG_GUARD, describe="the late one")))
    waiter.start()
    try:
        assert examined.wait(HANG_GUARD), "wait_for never looked at the stored request"
        assert not returned, f"wait_for returned before the late request was sent: {returned}"
        httpx.post(url, json={"late": True})
    finally:
        waiter.join(HANG_GUARD)
    assert not waiter.is_alive(), f"wait_for still waiting {HANG_GUARD:g} s after the request arrived"
    [hit] = returned
    assert hit.json() == {"late": True}


def test_wait_for_treats_value_errors_in_the_predicate_as_no_match(receiver: Receiver) -> None:
    url = receiver.endpoint("mixed")
    httpx.post(url, content=b"<html>garbage</html>")
    httpx.post(url, json={"id": "wanted"})
    hit = receiver.wait_for(lambda r: r.json()["id"] == "wanted", timeout=5)
    assert hit.json() == {"id": "wanted"}


def test_wait_for_propagates_other_predicate_errors(receiver: Receiver) -> None:
    httpx.get(receiver.endpoint("bug"))

    def broken(request: ReceivedRequest) -> bool:
        raise KeyError("typo")

    with pytest.raises(KeyError):
        receiver.wait_for(broken, timeout=1)


def test_timeout_lists_what_did_arrive(receiver: Receiver) -> None:
    first, second = receiver.endpoint("first"), receiver.endpoint("second")
    httpx.get(first, params={"id": "abc", "resourcePath": "/v1/payments/abc"})
    httpx.post(second, content=b"12345")
    with pytest.raises(ReceiverTimeout) as caught:
        receiver.wait_for(lambda r: False, timeout=0.2, describe="the notification for payment xyz")
    message = str(caught.value)
    assert isinstance(caught.value, TimeoutError)
    assert "timed out after 0.2 s waiting for the notification for payment xyz" in message
    assert receiver.public_url in message
    assert "2 request(s) did arrive" in message
    assert f"GET {_path(first)}?id=abc&resourcePath=%2Fv1%2Fpayments%2Fabc" in message
    assert f"POST {_path(second)} (5 bytes)" in message
    assert len(caught.value.received) == 2


def test_timeout_shows_at_most_ten_requests(receiver: Receiver) -> None:
    url = receiver.endpoint("many")
    for n in range(12):
        httpx.get(url, params={"n": n})
    with pytest.raises(ReceiverTimeout) as caught:
        receiver.wait_for(lambda r: False, timeout=0.05)
    message = str(caught.value)
    assert "12 request(s) did arrive; the last 10:" in message
    assert "?n=1\n" not in message
    assert "?n=2\n" in message and "?n=11\n" in message


def test_timeout_when_nothing_arrived(receiver: Receiver) -> None:
    with pytest.raises(ReceiverTimeout, match="No request arrived at all"):
        receiver.wait_for(lambda r: True, timeout=0.05)


def test_oversized_body_is_refused_truncated_and_the_server_goes_on(receiver: Receiver) -> None:
    url = receiver.endpoint("huge")
    response = httpx.post(url, content=b"x" * (2 << 20))
    assert response.status_code == 413
    [hit] = receiver.requests(url)
    assert hit.truncated
    assert hit.body == b"x" * (1 << 20)

    after = receiver.endpoint("after")
    assert httpx.get(after).status_code == 200
    assert [r.truncated for r in receiver.requests(after)] == [False]


def test_body_cap_is_inclusive() -> None:
    with Receiver(max_body=16) as small:
        url = small.endpoint("cap")
        assert httpx.post(url, content=b"a" * 16).status_code == 200
        assert httpx.post(url, content=b"b" * 17).status_code == 413
        assert [(len(r.body), r.truncated) for r in small.requests(url)] == [(16, False), (16, True)]


def test_request_cap_drops_the_oldest_and_counts_them() -> None:
    with Receiver(max_requests=5) as small:
        url = small.endpoint("cap")
        for n in range(7):
            httpx.get(url, params={"n": n})
        assert [r.param("n") for r in small.requests()] == ["2", "3", "4", "5", "6"]
        assert small.dropped == 2
        with pytest.raises(ReceiverTimeout, match="2 older request"):
            small.wait_for(lambda r: r.param("n") == "0", timeout=0.05)
        small.clear()
        assert small.dropped == 0 and small.requests() == []


def test_answer_with_sets_the_status_per_path_prefix(receiver: Receiver) -> None:
    retried, normal = receiver.endpoint("retry"), receiver.endpoint("normal")
    receiver.answer_with(retried, 503)
    assert httpx.post(retried, json={}).status_code == 503
    assert httpx.post(normal, json={}).status_code == 200

    receiver.answer_with("/hooks/", 500)
    receiver.answer_with(_path(normal), 202)  # the longest prefix wins
    assert httpx.get(normal).status_code == 202
    assert httpx.get(receiver.endpoint("any")).status_code == 500
    receiver.answer_with(normal, 204)
    assert httpx.get(normal).status_code == 204

    receiver.clear()
    assert httpx.post(retried, json={}).status_code == 200
    assert len(receiver.requests(retried)) == 1


@pytest.mark.parametrize("status", [0, 100, 199, 600])
def test_answer_with_rejects_a_status_that_is_no_final_answer(receiver: Receiver, status: int) -> None:
    with pytest.raises(HarnessError, match="200-599"):
        receiver.answer_with("/", status)


def test_endpoints_are_unique_and_under_the_public_url() -> None:
    receiver = Receiver(public_url="https://hooks.example.test/")
    assert receiver.public_url == "https://hooks.example.test"
    urls = {receiver.endpoint("opp payment/1") for _ in range(200)}
    assert len(urls) == 200
    assert all(url.startswith("https://hooks.example.test/hooks/opp-payment-1/") for url in urls)


def test_public_url_defaults_to_the_local_url(receiver: Receiver) -> None:
    assert receiver.public_url == receiver.url
    assert receiver.url.startswith("http://127.0.0.1:")
    assert receiver.endpoint("x").startswith(receiver.url + "/hooks/x/")


def test_requests_match_public_endpoint_urls() -> None:
    with Receiver(public_url="https://tunnel.example.test/merchant") as receiver:
        public = receiver.endpoint("overpay")
        # The tunnel strips its path prefix before forwarding to the local listener.
        local = receiver.url + _path(public).removeprefix("/merchant")
        httpx.post(local, json={"n": 1})
        httpx.post(receiver.url + "/elsewhere", json={"n": 2})
        assert [r.json() for r in receiver.requests(public)] == [{"n": 1}]
        assert [r.json() for r in receiver.requests(_path(local))] == [{"n": 1}]
        assert len(receiver.requests()) == 2


@pytest.mark.parametrize(("max_body", "max_requests"), [(-1, 10), (10, 0)])
def test_nonsense_limits_are_a_harness_error(max_body: int, max_requests: int) -> None:
    with pytest.raises(HarnessError, match="receiver limits"):
        Receiver(max_body=max_body, max_requests=max_requests)


def test_url_before_start_is_a_harness_error() -> None:
    with pytest.raises(HarnessError, match="not started"):
        _ = Receiver().url


def test_survives_garbage_on_the_wire(receiver: Receiver) -> None:
    host, port = urlsplit(receiver.url).hostname, urlsplit(receiver.url).port
    assert host is not None and port is not None
    with socket.create_connection((host, port), timeout=5) as raw:
        raw.sendall(b"\x16\x03\x01\x02\x00garbage that is no HTTP\r\n\r\n")
        raw.recv(1024)
    with socket.create_connection((host, port), timeout=5) as raw:
        raw.sendall(b"POST /hooks/cut HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nshort")
    cut = receiver.wait_for(lambda r: r.path == "/hooks/cut", timeout=5, describe="the cut-off POST")
    assert cut.truncated and cut.body == b"short"
    url = receiver.endpoint("after-garbage")
    assert httpx.get(url).status_code == 200


def _non_loopback_address() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # UDP connect sends nothing; it only picks a route
        except OSError:
            return None
        address: str = probe.getsockname()[0]
    return None if address.startswith("127.") else address


def test_listens_on_loopback_only(receiver: Receiver) -> None:
    address = _non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address to probe from")
    port = urlsplit(receiver.url).port
    assert port is not None
    with pytest.raises(OSError):
        socket.create_connection((address, port), timeout=2).close()
