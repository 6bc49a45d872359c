from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from asyncpay.wire.webhooks import (
    WebhookError,
    basic_credentials,
    decrypt_opp_webhook,
    encrypt_opp_webhook,
    sign_content,
    verify_basic,
    verify_content_signature,
)

DATA = Path(__file__).parent / "data"
PRIVATE_PEM = (DATA / "overpay_webhook_private.pem").read_bytes()
PUBLIC_PEM = (DATA / "overpay_webhook_public.pem").read_bytes()

# Known answer for Overpay's Content-Signature: the body signed once with the fixture key by
# `openssl dgst -sha256 -sign tests/data/overpay_webhook_private.pem` (an implementation
# independent of the code under test) and pasted here.
SIGNED_BODY = (
    b'{"transaction":{"uid":"202-310b0da80b","status":"successful","amount":100,'
    b'"currency":"USD","type":"authorization","tracking_id":"asyncpay-7f3a","test":true,'
    b'"credit_card":{"bin":"420000","last_4":"0000","brand":"visa"}}}'
)
SIGNATURE = (
    "wYh2IN6towmoIQEpZiNNHHkgubEoqXq890bE2/L/izaYBVriTbrM2MbFHDvT1mMGzgRbp02wRT80H/54diFsgp0f5J"
    "MUpfkp96Zssc3MeVpWNXw9fN20IxSq5rcR4pKFaWgrv6TmScJQx6Npkh/1kT8JC+Y1JxA7w8UL1RCbcuEoNejW7y2W"
    "uH97MWUaKWyB66el8KkZAXJFFbmZZ70HpYjPnFZckv+xXcUUdABSGHfwbqzIo38VUpTWCExiO2Q/oY5//JLOEyWoZL"
    "OYhl+RVLs3foIQv4yEzUM/4se1DqLO+4O/KA5xEWDYB2CjQnHBiMFB5UUcD5ycRnScgVUMrg=="
)

# The example published in OPP's webhook documentation ("Payload {"type": "PAYMENT"}").
OPP_DOC_KEY = "000102030405060708090A0B0C0D0E0F000102030405060708090A0B0C0D0E0F"
OPP_DOC_IV = "3D575574536D450F71AC76D8"
OPP_DOC_TAG = "19FDD068C6F383C173D3A906F7BD1D83"
OPP_DOC_BODY = b"F8E2F759E528CB69375E51DB2AF9B53734E393"

# A full payment notification, encrypted once with a fixed key and IV and pasted here.
KEY = "6d0b1f9e2a4c83d7e5f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9"
IV = "a1b2c3d4e5f60718293a4b5c"
PAYLOAD = {
    "type": "PAYMENT",
    "action": "CREATED",
    "payload": {
        "id": "8ac7a4a18f7e4b2c9d1e0f3a5b6c7d8e", "paymentType": "DB", "paymentBrand": "VISA",
        "amount": "92.00", "currency": "EUR",
        "result": {"code": "000.100.110", "description": "Request successfully processed"},
    },
}
CIPHERTEXT = (
    "AECFE2429A180904DAFC68FE7D99C3F6E0E4DB2B5D0EA2006F3C43BE2F954F5FB119B48E5834EDEEA45FE39E546A"
    "7CAA9595A813D5BF0A721C3B893DA737219C4BC8DE4AD5CA2F0B22FE8A176AEB571ABE62A81B71BBB3AD549395FC"
    "BCF987A10EDCC79088249155ADD35DAFF6E9C0E41DEC3D86D8A288397F9187A84E1E85789479D9DAD6E30B10F26D"
    "1EB6A8DAEA39C37E5BF1D02861A931E0C9DEDFD2038C589D18E7CA54DD99356A938A13BE3BEE6E3ED6CA6E1D8472"
    "EAB79A87F7E6E32A0D3ED67C41E545E0BF976A6FC22A640A973D6835AC5C38C67FC74132861F8939A09863AFFE99"
    "F365EE59154601009CDE164518"
)
TAG = "6CECCD3BA1D6B23B69895F0D898F0CD6"
HEADERS = {"X-Initialization-Vector": IV.upper(), "X-Authentication-Tag": TAG}


def _flip_hex(value: str, index: int) -> str:
    raw = bytearray(bytes.fromhex(value))
    raw[index] ^= 0x01
    return raw.hex().upper()


@pytest.fixture(scope="module")
def other_public_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


# --- HTTP Basic -----------------------------------------------------------------------------

def test_basic_credentials_parse_any_header_case() -> None:
    token = base64.b64encode(b"361:s3cr3t:with:colons").decode()
    assert basic_credentials({"AUTHORIZATION": f"Basic {token}"}) == ("361", "s3cr3t:with:colons")
    assert basic_credentials({"authorization": f"basic {token}"}) == ("361", "s3cr3t:with:colons")


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Bearer abc"},
    {"Authorization": "Basic"},
    {"Authorization": "Basic not*base64"},
    {"Authorization": "Basic " + base64.b64encode(b"no-colon").decode()},
    {"Authorization": "Basic " + base64.b64encode(b"\xff\xfe:x").decode()},
])
def test_basic_credentials_absent_or_garbled_is_none(headers: dict[str, str]) -> None:
    assert basic_credentials(headers) is None


def test_verify_basic() -> None:
    headers = {"authorization": "Basic " + base64.b64encode(b"361:s3cr3t").decode()}
    assert verify_basic(headers, "361", "s3cr3t")
    assert not verify_basic(headers, "361", "s3cr3T")
    assert not verify_basic(headers, "362", "s3cr3t")
    assert not verify_basic({}, "361", "s3cr3t")


# --- Overpay Content-Signature --------------------------------------------------------------

def test_known_signature_verifies() -> None:
    assert verify_content_signature(SIGNED_BODY, SIGNATURE, PUBLIC_PEM)


def test_sign_content_reproduces_the_known_signature() -> None:
    # PKCS#1 v1.5 is deterministic: same key and body, same signature.
    assert sign_content(SIGNED_BODY, PRIVATE_PEM) == SIGNATURE


@pytest.mark.parametrize("index", [0, 57, len(SIGNED_BODY) - 1])
def test_one_byte_change_of_body_fails(index: int) -> None:
    body = bytearray(SIGNED_BODY)
    body[index] ^= 0x01
    assert not verify_content_signature(bytes(body), SIGNATURE, PUBLIC_PEM)


@pytest.mark.parametrize("index", [0, 128, 255])
def test_one_byte_change_of_signature_fails(index: int) -> None:
    signature = bytearray(base64.b64decode(SIGNATURE))
    signature[index] ^= 0x01
    assert not verify_content_signature(SIGNED_BODY, base64.b64encode(signature).decode(), PUBLIC_PEM)


def test_wrong_key_fails(other_public_pem: bytes) -> None:
    assert not verify_content_signature(SIGNED_BODY, SIGNATURE, other_public_pem)


@pytest.mark.parametrize("signature", ["", "not base64 at all!", "QUJD", SIGNATURE[:-4]])
def test_garbage_signature_fails(signature: str) -> None:
    assert not verify_content_signature(SIGNED_BODY, signature, PUBLIC_PEM)


@pytest.mark.parametrize("key", [
    b"", b"garbage", b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", PRIVATE_PEM])
def test_garbage_key_fails(key: bytes) -> None:
    assert not verify_content_signature(SIGNED_BODY, SIGNATURE, key)


def test_bare_base64_key_from_the_shop_panel_is_accepted() -> None:
    bare = b"".join(line for line in PUBLIC_PEM.splitlines() if not line.startswith(b"-----"))
    assert verify_content_signature(SIGNED_BODY, SIGNATURE, bare)


def test_sign_then_verify_round_trip() -> None:
    body = json.dumps({"transaction": {"uid": "1-abc", "status": "failed"}}).encode()
    assert verify_content_signature(body, sign_content(body, PRIVATE_PEM), PUBLIC_PEM)


# --- OPP encrypted webhooks -----------------------------------------------------------------

def test_opp_documentation_example_decrypts() -> None:
    headers = {"X-Initialization-Vector": OPP_DOC_IV, "X-Authentication-Tag": OPP_DOC_TAG}
    assert decrypt_opp_webhook(OPP_DOC_BODY, headers, OPP_DOC_KEY) == {"type": "PAYMENT"}


def test_known_answer_bare_hex_body() -> None:
    assert decrypt_opp_webhook(CIPHERTEXT.encode(), HEADERS, KEY) == PAYLOAD


def test_known_answer_wrapped_body() -> None:
    body = json.dumps({"encryptedBody": CIPHERTEXT}).encode()
    assert decrypt_opp_webhook(body, HEADERS, KEY) == PAYLOAD


def test_hex_case_and_header_case_do_not_matter() -> None:
    headers = {"x-initialization-vector": IV.lower(), "x-authentication-tag": TAG.lower()}
    assert decrypt_opp_webhook(CIPHERTEXT.lower().encode() + b"\n", headers, KEY.upper()) == PAYLOAD


def test_encrypt_with_fixed_iv_gives_the_known_answer() -> None:
    body, headers = encrypt_opp_webhook(PAYLOAD, KEY, bytes.fromhex(IV))
    assert body == CIPHERTEXT.encode()
    assert headers == HEADERS


@pytest.mark.parametrize("index", [0, 15])
def test_flipped_tag_byte_fails_authentication(index: int) -> None:
    headers = {**HEADERS, "X-Authentication-Tag": _flip_hex(TAG, index)}
    with pytest.raises(WebhookError, match="authentication failed"):
        decrypt_opp_webhook(CIPHERTEXT.encode(), headers, KEY)


@pytest.mark.parametrize("index", [0, 100, len(CIPHERTEXT) // 2 - 1])
def test_flipped_ciphertext_byte_fails_authentication(index: int) -> None:
    with pytest.raises(WebhookError, match="authentication failed"):
        decrypt_opp_webhook(_flip_hex(CIPHERTEXT, index).encode(), HEADERS, KEY)


def test_wrong_secret_fails_authentication() -> None:
    with pytest.raises(WebhookError, match="authentication failed"):
        decrypt_opp_webhook(CIPHERTEXT.encode(), HEADERS, OPP_DOC_KEY)


@pytest.mark.parametrize("missing", ["X-Initialization-Vector", "X-Authentication-Tag"])
def test_missing_header_is_named(missing: str) -> None:
    headers = {name: value for name, value in HEADERS.items() if name != missing}
    with pytest.raises(WebhookError, match=f"missing header {missing}"):
        decrypt_opp_webhook(CIPHERTEXT.encode(), headers, KEY)


@pytest.mark.parametrize(("body", "headers", "secret", "message"), [
    (CIPHERTEXT.encode(), {**HEADERS, "X-Initialization-Vector": "zz" * 12}, KEY,
     r"IV \(X-Initialization-Vector\) is not hex"),
    (CIPHERTEXT.encode(), {**HEADERS, "X-Initialization-Vector": "00" * 16}, KEY,
     r"wrong length: the IV \(X-Initialization-Vector\) is 16 bytes, expected 12"),
    (CIPHERTEXT.encode(), {**HEADERS, "X-Authentication-Tag": "00" * 12}, KEY,
     r"wrong length: the tag \(X-Authentication-Tag\) is 12 bytes, expected 16"),
    (b"not hex", HEADERS, KEY, "the body is not hex"),
    (b"", HEADERS, KEY, "the body is empty"),
    (b"\xff\xfe", HEADERS, KEY, "the body is not hex"),
    (b'{"encrypted": "00"}', HEADERS, KEY, "no string field encryptedBody"),
    (b"{oops", HEADERS, KEY, "not JSON"),
    (CIPHERTEXT.encode(), HEADERS, "xyz", "the webhook secret is not hex"),
    (CIPHERTEXT.encode(), HEADERS, "00" * 16, "the webhook secret is 16 bytes, expected 32"),
])
def test_malformed_input_says_what_is_wrong(body: bytes, headers: dict[str, str], secret: str,
                                            message: str) -> None:
    with pytest.raises(WebhookError, match=message):
        decrypt_opp_webhook(body, headers, secret)


def test_nist_gcm_vector_authenticates_but_is_not_json() -> None:
    # NIST GCM test case 15 (AES-256, 96-bit IV, no AAD): the tag checks out, so the cipher is
    # the standard one; the plaintext is binary, so the webhook is rejected as not JSON.
    key = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"
    headers = {"X-Initialization-Vector": "cafebabefacedbaddecaf888",
               "X-Authentication-Tag": "b094dac5d93471bdec1a502270e3cc6c"}
    body = (b"522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
            b"8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad")
    with pytest.raises(WebhookError, match=r"the plaintext \(64 bytes\) is not JSON"):
        decrypt_opp_webhook(body, headers, key)


def test_plaintext_json_that_is_not_an_object_is_rejected() -> None:
    sealed = AESGCM(bytes.fromhex(KEY)).encrypt(bytes.fromhex(IV), b"[1, 2]", None)
    headers = {"X-Initialization-Vector": IV, "X-Authentication-Tag": sealed[-16:].hex()}
    with pytest.raises(WebhookError, match="not an object: list"):
        decrypt_opp_webhook(sealed[:-16].hex().encode(), headers, KEY)


@pytest.mark.parametrize("wrapped", [False, True])
def test_encrypt_decrypt_round_trip(wrapped: bool) -> None:
    body, headers = encrypt_opp_webhook(PAYLOAD, KEY, wrapped=wrapped)
    assert body.startswith(b"{") is wrapped
    assert decrypt_opp_webhook(body, headers, KEY) == PAYLOAD


def test_fresh_iv_per_encryption() -> None:
    first = encrypt_opp_webhook(PAYLOAD, KEY)
    second = encrypt_opp_webhook(PAYLOAD, KEY)
    assert first[1]["X-Initialization-Vector"] != second[1]["X-Initialization-Vector"]
    assert first[0] != second[0]


def test_encrypt_rejects_wrong_iv_length() -> None:
    with pytest.raises(WebhookError, match="expected 12"):
        encrypt_opp_webhook(PAYLOAD, KEY, b"\x00" * 16)


def test_webhook_error_is_a_value_error() -> None:
    assert issubclass(WebhookError, ValueError)
