"""The profile's [merchant] table, and the merchant checks deciding on plain observations."""

from pathlib import Path
from types import SimpleNamespace

import pytest

from asyncpay.checks.merchant import (
    fulfils_once,
    honours_throttle,
    reads_status,
    refuses_forged,
    same_request_id,
    spaces_status_reads,
    status_origin,
)
from asyncpay.config.merchant import fill
from asyncpay.config.profile import load_profile
from asyncpay.errors import ContractViolation, ProfileError

SHOP = """
[merchant]
base_url = "http://127.0.0.1:8000"
[merchant.pay.opp]
path = "/pay/opp"
json = {amount = "{amount}", currency = "{currency}", card = {number = "{card_number}"}}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "shop.toml"
    path.write_text(text)
    return path


def test_merchant_table_next_to_the_embedded_mock(tmp_path):
    profile = load_profile(write(tmp_path, SHOP))
    assert profile.embedded and profile.merchant is not None
    assert profile.merchant.base_url == "http://127.0.0.1:8000"
    spec = profile.merchant.pay["opp"]
    assert (spec.method, spec.order_id, profile.merchant.order) == ("POST", "/order_id", None)
    assert fill(spec.json, {"amount": 1000, "currency": "EUR", "card_number": "4200000000000000"}) == \
        {"amount": 1000, "currency": "EUR", "card": {"number": "4200000000000000"}}


def test_command_runs_in_the_profile_directory(tmp_path):
    text = SHOP.replace('base_url = "http://127.0.0.1:8000"', 'command = ["python", "shop.py"]')
    merchant = load_profile(write(tmp_path, text)).merchant
    assert merchant is not None and merchant.command == ["python", "shop.py"]
    assert merchant.cwd == tmp_path.resolve()


@pytest.mark.parametrize(("change", "message"), [
    (('base_url = "http://127.0.0.1:8000"', ""), "give exactly one of base_url or command"),
    (('base_url = "http://127.0.0.1:8000"', 'base_url = "x"\ncommand = ["a"]'), "exactly one"),
    (('"{amount}"', '"{amount_cents}"'), "unknown placeholder {amount_cents}"),
    (('path = "/pay/opp"', 'path = "pay/opp"'), "expected a path starting with /"),
    (("[merchant.pay.opp]", "[merchant.pay.paypal]"), "expected one of overpay, opp, checkout"),
    (("[merchant]", "[merchant]\nstatus_read_within = 0"), "positive number of seconds"),
    (("[merchant]", "[merchant]\ncolour = 1"), "unknown key(s): colour"),
])
def test_merchant_table_mistakes_name_file_and_key(tmp_path, change, message):
    with pytest.raises(ProfileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_profile(write(tmp_path, SHOP.replace(*change, 1)))


def test_checkout_needs_the_checkout_id(tmp_path):
    text = SHOP.replace("[merchant.pay.opp]", "[merchant.pay.checkout]")
    with pytest.raises(ProfileError, match="checkout_id: required"):
        load_profile(write(tmp_path, text))


def test_order_endpoint_needs_the_order_id(tmp_path):
    with pytest.raises(ProfileError, match="must contain {order_id}"):
        load_profile(write(tmp_path, SHOP + '[merchant.order]\npath = "/orders"\n'))


TOKEN = "t0ken-Zq81"
SECRETS = {"OPP bearer token": TOKEN}


def landed(**headers: str) -> SimpleNamespace:
    return SimpleNamespace(method="GET", url="http://localhost:9/v1/payments/x", headers=headers, body=b"")


def test_status_origin_fails_on_a_token_elsewhere_and_names_no_secret():
    status_origin([landed()], SECRETS, lure="a lure")  # a request without credentials is no leak
    with pytest.raises(ContractViolation) as caught:
        status_origin([landed(authorization=f"Bearer {TOKEN}")], SECRETS, lure="a lure")
    assert caught.value.rule == "merchant.status-origin"
    assert "OPP bearer token" in str(caught.value) and TOKEN not in str(caught.value)


def test_reads_status_needs_an_acknowledgement_and_a_read():
    reads_status(200, ["/v1/payments/a"], delivery="d", resource="/v1/payments/a", within=5)
    reads_status(204, [], delivery="d", resource=None, within=5)
    for answer, reads in ((500, ["/v1/payments/a"]), (None, ["/v1/payments/a"]), (200, ["/v1/payments/b"])):
        with pytest.raises(ContractViolation, match="merchant.reads-status"):
            reads_status(answer, reads, delivery="d", resource="/v1/payments/a", within=5)


def test_refuses_forged_wants_a_refusal_and_no_change():
    refuses_forged(401, "pending", "pending", forgery="f")
    refuses_forged(403, None, None, forgery="f")
    with pytest.raises(ContractViolation, match="accepted"):
        refuses_forged(200, "pending", "pending", forgery="f")
    with pytest.raises(ContractViolation, match="changed the order"):
        refuses_forged(401, "pending", "paid", forgery="f")


def test_fulfils_once_counts_follow_ups_answers_and_final_states():
    fulfils_once(["POST /transactions/captures"], [200, 200, 200], ["paid", "paid"], deliveries="d")
    for follow_ups, answers, states in ((["c", "c"], [200], ["paid"]), (["c"], [200, 409], ["paid"]),
                                        (["c"], [200], ["paid", "failed"])):
        with pytest.raises(ContractViolation, match="merchant.fulfils-once"):
            fulfils_once(follow_ups, answers, states, deliveries="d")


def test_polite_checks():
    honours_throttle(1.0, 1.2, request="r")
    honours_throttle(1.0, None, request="r")  # giving up is polite too
    with pytest.raises(ContractViolation, match="merchant.honours-throttle"):
        honours_throttle(1.0, 0.01, request="r")
    same_request_id(["a", "a", "a"], request="r")
    same_request_id([None], request="r")
    for ids in (["a", "b"], [None, None]):
        with pytest.raises(ContractViolation, match="merchant.same-request-id"):
            same_request_id(ids, request="r")


def test_status_reads_are_counted_in_any_sixty_seconds():
    spaces_status_reads([0.0, 1.0, 61.0, 62.5], 2, resource="/v1/payments/a")
    with pytest.raises(ContractViolation, match="merchant.spaces-status-reads"):
        spaces_status_reads([0.0, 30.0, 59.9], 2, resource="/v1/payments/a")


def test_status_reads_per_minute_is_a_whole_number(tmp_path):
    merchant = load_profile(write(tmp_path, SHOP)).merchant
    assert merchant is not None and merchant.status_reads_per_minute == 2
    with pytest.raises(ProfileError, match="status_reads_per_minute: expected a whole number"):
        load_profile(write(tmp_path, SHOP.replace("[merchant]", "[merchant]\nstatus_reads_per_minute = 0.5", 1)))


def test_opp_webhook_path_is_a_path(tmp_path):
    text = SHOP.replace("[merchant]", '[merchant]\nopp_webhook_path = "/opp/webhook"', 1)
    merchant = load_profile(write(tmp_path, text)).merchant
    assert merchant is not None and merchant.opp_webhook_path == "/opp/webhook"
    with pytest.raises(ProfileError, match="opp_webhook_path: expected a path"):
        load_profile(write(tmp_path, text.replace('"/opp/webhook"', '"opp/webhook"')))


def test_checkout_may_name_the_shoppers_way_back(tmp_path):
    text = SHOP.replace("[merchant.pay.opp]", "[merchant.pay.checkout]", 1).replace(
        'path = "/pay/opp"', 'path = "/pay/checkout"\ncheckout_id = "/checkout_id"\nshopper_result_path = "/back"')
    merchant = load_profile(write(tmp_path, text)).merchant
    assert merchant is not None and merchant.pay["checkout"].shopper_result_path == "/back"
