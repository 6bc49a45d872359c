from __future__ import annotations

import base64
import json
import logging

import pytest

from asyncpay.http.redaction import BODY_LIMIT, REDACTED, RedactingFilter, Redactor

SECRET = "sk-test-7Hq2Lm9Xw4Rt"
TOKEN = "OGE4Mjk0MTc0YjdlY2IyODAxNGI5Njk5MjIwMDE1Y2N8c3k2S0pzVDg="
SHOP = "361"


@pytest.fixture
def redactor() -> Redactor:
    redactor = Redactor([SECRET, TOKEN])
    redactor.add_basic(SHOP, SECRET)
    return redactor


# --- secrets --------------------------------------------------------------------------------

def test_secret_hidden_in_text(redactor: Redactor) -> None:
    assert redactor.text(f"key={SECRET}; again {SECRET}.") == f"key={REDACTED}; again {REDACTED}."


def test_short_and_empty_secrets_are_ignored() -> None:
    redactor = Redactor(["", "abc", "x"])
    assert redactor.text("abc x the alphabet") == "abc x the alphabet"


def test_secrets_added_later_are_hidden() -> None:
    redactor = Redactor()
    assert redactor.text("late-secret-123") == "late-secret-123"
    redactor.add("late-secret-123")
    assert redactor.text("late-secret-123") == REDACTED


def test_longer_secret_containing_a_shorter_one_is_hidden_whole() -> None:
    redactor = Redactor(["abcd", "abcdefgh-more"])
    assert redactor.text("abcdefgh-more") == REDACTED


def test_url_encoded_and_json_escaped_forms_are_hidden(redactor: Redactor) -> None:
    assert TOKEN not in redactor.text(f"token%3D{TOKEN}")
    assert redactor.text("x=OGE4Mjk0MTc0YjdlY2IyODAxNGI5Njk5MjIwMDE1Y2N8c3k2S0pzVDg%3D") == f"x={REDACTED}"
    slashed = Redactor(["a/b/c/secret"])
    assert slashed.text(json.dumps({"k": "a/b/c/secret"}).replace("/", "\\/")) == f'{{"k": "{REDACTED}"}}'


def test_literal_basic_token_of_add_basic_is_hidden(redactor: Redactor) -> None:
    token = base64.b64encode(f"{SHOP}:{SECRET}".encode()).decode()
    assert token not in redactor.text(f"sent {token} to the gateway")
    assert redactor.text(f"sent {token} to the gateway") == f"sent {REDACTED} to the gateway"


@pytest.mark.parametrize("user", ["", "someone-else", "a", "ab", "abcdef:x"])
def test_base64_of_anything_colon_secret_is_hidden(redactor: Redactor, user: str) -> None:
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        token = encode(f"{user}:{SECRET}".encode()).decode()
        out = redactor.text(f"('authorization', '{token}')")
        assert token not in out and token.rstrip("=") not in out
        assert REDACTED in out


def test_basic_header_redacted_for_any_credentials() -> None:
    # No secrets known at all: a Basic credential is still never written out.
    token = base64.b64encode(b"shop:unknown-secret").decode()
    out = Redactor().text(f"GET / headers: Authorization: Basic {token}")
    assert out == f"GET / headers: Authorization: Basic {REDACTED}"
    out = Redactor().text(f"[('authorization', 'Basic {token}')]")
    assert out == f"[('authorization', 'Basic {REDACTED}')]"


def test_bearer_token_redacted_but_prose_kept() -> None:
    out = Redactor().text("Bearer authentication failed for Bearer eyJhbGciOi.J9x-y_z")
    assert out == f"Bearer authentication failed for Bearer {REDACTED}"


def test_overpay_authorization_object_and_prose_are_kept() -> None:
    # Overpay names a transaction's sub-object after its type; it holds no credential.
    redactor = Redactor()
    transaction = {"type": "authorization", "authorization": {"auth_code": "654321", "rrn": "999"}}
    assert redactor.json({"transaction": transaction}) == {"transaction": transaction}
    assert redactor.text(json.dumps(transaction)) == json.dumps(transaction)
    assert redactor.text("authorization: declined by the bank") == "authorization: declined by the bank"
    assert redactor.json({"Authorization": "Basic abc"}) == {"Authorization": REDACTED}
    assert redactor.text("authorization=k1x2y3z4w5&x=1") == f"authorization={REDACTED}&x=1"


def test_redaction_is_idempotent(redactor: Redactor) -> None:
    text = (f'Authorization: Basic {REDACTED} {{"cvv": "***", "token": "{REDACTED}"}} '
            f"card.number=420000******0000 password={REDACTED}")
    assert redactor.text(text) == text
    once = redactor.text(f"Authorization: Bearer {TOKEN}, cvv=123, pan 4200000000000000")
    assert redactor.text(once) == once


# --- card numbers ---------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "masked"), [
    ("4200000000000000", "420000******0000"),
    ("4005550000000019", "400555******0019"),
    ("4012000000001006", "401200******1006"),
    ("5555555555554444", "555555******4444"),
    ("378282246310005", "378282*****0005"),
    ("4222222222222", "422222***2222"),
    ("4200 0000 0000 0000", "4200 00** **** 0000"),
    ("4200-0000-0000-0000", "4200-00**-****-0000"),
    ("6011000990139420007", "601100*********0007"),
])
def test_luhn_valid_card_numbers_are_masked(raw: str, masked: str) -> None:
    assert Redactor().text(f"card {raw} used") == f"card {masked} used"


@pytest.mark.parametrize("text", [
    "order 1234567890123 shipped",       # 13 digits, fails Luhn
    "ref 4200000000000001",             # 16 digits, fails Luhn
    "id 42000000000000000000 is long",  # 20 digits: no card number
    "epoch 1732240000",                 # 10 digits
    "amount 92.00 EUR at 2024-01-15 12:00:00",
    "uid 8ac7a4a18f7e4b2c9d1e0f3a5b6c7d8e",
    "4200  0000 0000 0000",             # double space: not one number
])
def test_non_card_numbers_are_left_alone(text: str) -> None:
    assert Redactor().text(text) == text


def test_card_number_fields_masked_without_luhn() -> None:
    redactor = Redactor()
    assert redactor.text('{"number": "123456789012"}') == '{"number": "123456**9012"}'
    assert redactor.text('{"pan": 4200000000000001}') == '{"pan": "420000******0001"}'
    assert redactor.text("card.number=4200000000000001&x=1") == "card.number=420000******0001&x=1"
    assert redactor.text('{"number": 42}') == '{"number": 42}'
    assert redactor.text("house number: 12") == "house number: 12"


# --- CVV ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ('{"verification_value": "123"}', '{"verification_value": "***"}'),
    ('{"cvv": 123}', '{"cvv": "***"}'),
    ("{'cvc': '1234'}", "{'cvc': '***'}"),
    ("card.cvv=123&amount=1", "card.cvv=***&amount=1"),
    ("card[cvv]=123", "card[cvv]=***"),
    ("card%5Bcvv%5D=123", "card%5Bcvv%5D=***"),
    ('{"securityCode":"999"}', '{"securityCode":"***"}'),
    ('{"note": "cvv=999 given"}', '{"note": "cvv=*** given"}'),
])
def test_cvv_values_are_masked_in_text(text: str, expected: str) -> None:
    assert Redactor().text(text) == expected


# --- structured -----------------------------------------------------------------------------

def test_json_masks_nested_fields_and_keeps_the_original(redactor: Redactor) -> None:
    original = {
        "request": {
            "amount": 100,
            "description": f"paid with {SECRET}",
            "credit_card": {"number": "4200000000000000", "verification_value": "123",
                            "holder": "John Doe", "token": "tok_123", "exp_year": 2030},
            "customer": {"password": "hunter22", "email": "a@b.test"},
            "items": [{"pan": 4111111111111111}, {"Authorization": "Basic abc"}],
            "empty_token": None,
        },
        "card.number": "5555555555554444",
        "card[cvv]": "321",
        "secret_key": "whatever",
        "unrelated": 4200000000000000,
        "count": 3,
        "flag": True,
    }
    snapshot = json.loads(json.dumps(original))
    out = redactor.json(original)
    assert original == snapshot
    request = out["request"]
    assert request["amount"] == 100
    assert request["description"] == f"paid with {REDACTED}"
    assert request["credit_card"] == {"number": "420000******0000", "verification_value": "***",
                                      "holder": "John Doe", "token": REDACTED, "exp_year": 2030}
    assert request["customer"] == {"password": REDACTED, "email": "a@b.test"}
    assert request["items"] == [{"pan": "411111******1111"}, {"Authorization": REDACTED}]
    assert request["empty_token"] is None
    assert out["card.number"] == "555555******4444"
    assert out["card[cvv]"] == "***"
    assert out["secret_key"] == REDACTED
    assert out["unrelated"] == "420000******0000"
    assert (out["count"], out["flag"]) == (3, True)


def test_headers(redactor: Redactor) -> None:
    token = base64.b64encode(f"{SHOP}:{SECRET}".encode()).decode()
    out = redactor.headers({
        "Authorization": f"Basic {token}",
        "proxy-authorization": "Bearer abc.def",
        "Cookie": "session=1",
        "set-cookie": "session=2; HttpOnly",
        "X-Api-Key": "k-123",
        "X-Echo": f"token {TOKEN}",
        "Accept": "application/json",
        "X-Bare": "onlyatoken",
    })
    assert out == {
        "Authorization": f"Basic {REDACTED}",
        "proxy-authorization": f"Bearer {REDACTED}",
        "Cookie": REDACTED,
        "set-cookie": REDACTED,
        "X-Api-Key": REDACTED,
        "X-Echo": f"token {REDACTED}",
        "Accept": "application/json",
        "X-Bare": "onlyatoken",
    }
    assert redactor.headers({"authorization": "justatoken"}) == {"authorization": REDACTED}


def test_url(redactor: Redactor) -> None:
    url = (f"https://gw.test/v1/payments/abc?entityId=8a82&card.number=4200000000000000"
           f"&card.cvv=123&access_token={TOKEN}&note={SECRET}#frag")
    assert redactor.url(url) == (
        "https://gw.test/v1/payments/abc?entityId=8a82&card.number=420000******0000"
        f"&card.cvv=***&access_token={REDACTED}&note={REDACTED}#frag")
    assert redactor.url("https://shop:pw-1234@gw.test/x") == f"https://shop:{REDACTED}@gw.test/x"
    assert redactor.url(f"https://gw.test/async/result/{SECRET}") == f"https://gw.test/async/result/{REDACTED}"
    assert redactor.url("http://[::1") == "http://[::1"


def test_form(redactor: Redactor) -> None:
    body = ("entityId=8a82&amount=92.00&card.number=4200000000000000&card.cvv=123"
            "&card.holder=Jane+Doe&card%5Bnumber%5D=4111+1111+1111+1111&password=p%40ss"
            f"&customParameters%5Bkey%5D={SECRET}&flag")
    assert redactor.form(body) == (
        "entityId=8a82&amount=92.00&card.number=420000******0000&card.cvv=***"
        "&card.holder=Jane+Doe&card%5Bnumber%5D=4111 11** **** 1111&password=[redacted]"
        f"&customParameters%5Bkey%5D={REDACTED}&flag")


# --- bodies ---------------------------------------------------------------------------------

def test_body_json_by_content_type_and_by_sniffing(redactor: Redactor) -> None:
    raw = json.dumps({"credit_card": {"number": "4200000000000000", "verification_value": "123"}})
    expected = '{"credit_card": {"number": "420000******0000", "verification_value": "***"}}'
    assert redactor.body(raw.encode(), "application/json; charset=utf-8") == expected
    assert redactor.body(raw, None) == expected
    assert redactor.body(raw.encode(), "application/problem+json") == expected


def test_body_form_and_text(redactor: Redactor) -> None:
    form = b"card.number=4200000000000000&card.cvv=123"
    ctype = "application/x-www-form-urlencoded; charset=UTF-8"
    assert redactor.body(form, ctype) == "card.number=420000******0000&card.cvv=***"
    assert redactor.body(f"<p>{SECRET}</p>", "text/html") == f"<p>{REDACTED}</p>"


def test_body_that_claims_json_but_is_not_falls_back_to_text(redactor: Redactor) -> None:
    assert redactor.body(b'{"cvv": "123", broken', "application/json") == '{"cvv": "***", broken'


def test_binary_body() -> None:
    assert Redactor().body(b"\x89PNG\r\n\x1a\n\xff\x00", "image/png") == "<10 bytes binary>"


def test_body_is_capped_after_redaction(redactor: Redactor) -> None:
    body = ("x" * (BODY_LIMIT - 8) + " 4200000000000000 " + SECRET).encode()
    out = redactor.body(body, "text/plain")
    assert out == "x" * (BODY_LIMIT - 8) + f" 420000*… ({len(body)} bytes)"
    assert redactor.body(b"short", "text/plain") == "short"
    assert redactor.body(b"", None) == ""


# --- logging --------------------------------------------------------------------------------

def test_logging_filter_redacts_message_args_and_traceback(redactor: Redactor) -> None:
    record = logging.LogRecord("asyncpay.http.client", logging.INFO, __file__, 1,
                               "POST %s with card %s", (f"https://gw.test/?t={SECRET}",
                                                        "4200000000000000"), None)
    assert RedactingFilter(redactor).filter(record)
    assert record.getMessage() == f"POST https://gw.test/?t={REDACTED} with card 420000******0000"

    try:
        raise RuntimeError(f"gateway said {SECRET}")
    except RuntimeError:
        import sys
        exc_info = sys.exc_info()
    record = logging.LogRecord("asyncpay", logging.ERROR, __file__, 1, "failed", None, exc_info)
    RedactingFilter(redactor).filter(record)
    formatted = logging.Formatter().format(record)
    assert SECRET not in formatted
    assert f"RuntimeError: gateway said {REDACTED}" in formatted


def test_logging_filter_on_a_handler_sees_child_loggers(redactor: Redactor) -> None:
    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    handler = Collect()
    handler.addFilter(RedactingFilter(redactor))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        logging.getLogger("asyncpay.test.child").warning("token %s", TOKEN)
    finally:
        root.removeHandler(handler)
    assert records == [f"token {REDACTED}"]


def test_logging_filter_survives_a_bad_format_string(redactor: Redactor) -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%d items", (SECRET,), None)
    RedactingFilter(redactor).filter(record)
    assert SECRET not in record.getMessage()


def test_cvv_in_a_url_query_inside_free_text_is_masked() -> None:
    redactor = Redactor()
    text = redactor.text("failed: GET https://gw.test/v1/payments?card.cvv=987&entityId=8a82 (timeout)")
    assert "987" not in text and "card.cvv=***" in text and "entityId=8a82" in text


# --- ids are not card numbers ----------------------------------------------------------------

PAN = "4200000000000000"  # Luhn-valid, the documented Overpay test card
MASKED_PAN = "420000******0000"


def _luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char) * (2 if position % 2 else 1)
        total += digit - 9 if digit > 9 else digit
    return total % 10 == 0


# Each id holds a Luhn-valid run of 12-19 digits (asserted below), so a redactor that ignores
# the digit boundaries masks part of it.
IDS = [
    # Overpay request_id (UUID) as in /async/status/{request_id}; "2-4361-8123-4499" is 13 digits.
    "361d8bd5-ede2-4361-8123-4499a9e4604b",
    # a UUID whose last group is all digits
    "0f3c9a2e-77ab-4cde-9f01-420000000000",
    # UUID groups of digits only, 4+4+12 of them: too long for a PAN, 12 of them Luhn-valid
    "abcdef12-3456-7890-1234-567890123452",
    # OPP payment id: 32 lower-case hex with a long digit run
    "8ac7a4a17b1d4200000000000000abcd",
    # OPP checkout id: upper-case hex and a build suffix
    "E2A5F1C94200000000000000A1B2C3D4.uat01-vm-tx02",
    # OPP ndc: entity id, underscore, hex
    "8a8294174b7ecb28014b9699220015ca_4200000000000000ab",
]


def test_every_id_sample_holds_a_luhn_valid_digit_run() -> None:
    import re

    def runs(text: str) -> list[str]:
        digits = re.findall(r"\d(?:-?\d)*", text)
        flat = [d.replace("-", "") for d in digits]
        return [f[i:j] for f in flat for i in range(len(f)) for j in range(i + 12, min(len(f), i + 19) + 1)]

    for sample in IDS:
        assert any(_luhn_valid(run) for run in runs(sample)), sample


@pytest.mark.parametrize("identifier", IDS)
def test_ids_are_left_whole_in_urls_text_and_json(identifier: str) -> None:
    redactor = Redactor()
    url = f"https://gw.test/async/status/{identifier}"
    assert redactor.url(url) == url
    assert redactor.text(f"task {identifier} done") == f"task {identifier} done"
    body = {"request_id": identifier, "id": identifier, "ndc": identifier}
    assert redactor.json(body) == body
    assert redactor.body(json.dumps(body), "application/json") == json.dumps(body)


@pytest.mark.parametrize("identifier", IDS)
def test_a_card_number_beside_an_id_is_still_masked(identifier: str) -> None:
    redactor = Redactor()
    assert redactor.text(f"{identifier} card {PAN}") == f"{identifier} card {MASKED_PAN}"
    assert redactor.text(f"{PAN} {identifier}") == f"{MASKED_PAN} {identifier}"
    assert redactor.text(f"id={identifier}&pan={PAN}") == f"id={identifier}&pan={MASKED_PAN}"
    masked = redactor.json({"id": identifier, "note": f"card {PAN}", "credit_card": {"number": PAN}})
    assert masked == {"id": identifier, "note": f"card {MASKED_PAN}", "credit_card": {"number": MASKED_PAN}}


def test_split_card_numbers_and_a_card_beside_its_cvv_are_masked() -> None:
    redactor = Redactor()
    assert redactor.text("card 4200-0000-0000-0000.") == "card 4200-00**-****-0000."
    assert redactor.text("card 4200000000000000 123") == "card 420000******0000 123"
