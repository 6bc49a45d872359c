"""Authenticate and decrypt the webhooks the gateways send.

Overpay authenticates a webhook with HTTP Basic (shop id, secret key) or with a
``Content-Signature`` header: base64 of an RSA PKCS#1 v1.5 / SHA-256 signature of the raw body.
OPP's encrypted webhooks are AES-256-GCM, with the IV and tag in ``X-Initialization-Vector`` and
``X-Authentication-Tag`` (hex) and the ciphertext as the hex body. The ``sign_*``/``encrypt_*``
inverses exist for the mock gateway and the tests.

>>> body, headers = encrypt_opp_webhook({"type": "PAYMENT"}, "00" * 32)
>>> decrypt_opp_webhook(body, headers, "00" * 32)
{'type': 'PAYMENT'}
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import os
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

IV_HEADER = "X-Initialization-Vector"
TAG_HEADER = "X-Authentication-Tag"
_KEY_BYTES = 32
_IV_BYTES = 12
_TAG_BYTES = 16


class WebhookError(ValueError):
    """An OPP encrypted webhook cannot be read; the message says exactly why."""


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """Look a header up by name, ignoring case (plain dicts are not case-insensitive).

    >>> _header({"content-signature": "abc"}, "Content-Signature")
    'abc'
    """
    value = headers.get(name)
    if value is not None:
        return value
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def basic_credentials(headers: Mapping[str, str]) -> tuple[str, str] | None:
    """The (user, password) of an ``Authorization: Basic`` header; None if absent or garbled.

    >>> basic_credentials({"authorization": "Basic MzYxOnNlY3JldA=="})
    ('361', 'secret')
    """
    value = _header(headers, "Authorization")
    if value is None:
        return None
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "basic" or not token.strip():
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, colon, password = decoded.partition(":")
    if not colon:
        return None
    return user, password


def basic_authorization(user: str, password: str) -> str:
    """The ``Authorization`` header value for HTTP Basic credentials (as the mock sends them).

    >>> basic_authorization("361", "secret")
    'Basic MzYxOnNlY3JldA=='
    """
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def verify_basic(headers: Mapping[str, str], shop_id: str, secret_key: str) -> bool:
    """True when the request carries HTTP Basic credentials equal to shop id and secret key.

    >>> verify_basic({"Authorization": "Basic MzYxOnNlY3JldA=="}, "361", "secret")
    True
    """
    credentials = basic_credentials(headers)
    if credentials is None:
        return False
    user, password = credentials
    # Both comparisons always run, so the timing says nothing about which part was wrong.
    user_ok = hmac.compare_digest(user.encode(), shop_id.encode())
    password_ok = hmac.compare_digest(password.encode(), secret_key.encode())
    return user_ok & password_ok


def _public_key(key: bytes) -> rsa.RSAPublicKey:
    text = key.strip()
    if b"-----BEGIN" in text:
        loaded = serialization.load_pem_public_key(text)
    else:
        # The shop panel shows the key as bare base64 (DER), which integrations wrap in PEM.
        loaded = serialization.load_der_public_key(base64.b64decode(b"".join(text.split())))
    if not isinstance(loaded, rsa.RSAPublicKey):
        raise TypeError("not an RSA public key")
    return loaded


def verify_content_signature(body: bytes, signature_b64: str, public_key_pem: bytes) -> bool:
    """Check Overpay's ``Content-Signature`` (RSA PKCS#1 v1.5, SHA-256) over the raw body.

    The key may be PEM or the bare base64 the shop panel shows. Any error — bad base64, bad
    key, wrong signature — gives False.

    >>> from cryptography.hazmat.primitives import serialization
    >>> from cryptography.hazmat.primitives.asymmetric import rsa
    >>> key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    >>> private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
    ...                                 serialization.NoEncryption())
    >>> public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
    ...                                            serialization.PublicFormat.SubjectPublicKeyInfo)
    >>> body = b'{"transaction": {"uid": "1-ab"}}'
    >>> headers = {"content-signature": sign_content(body, private_pem)}   # as the request came
    >>> verify_content_signature(body, headers["content-signature"], public_pem)
    True
    >>> verify_content_signature(body + b" ", headers["content-signature"], public_pem)
    False
    """
    if not signature_b64:  # header absent: callers pass headers.get("content-signature")
        return False
    try:
        signature = base64.b64decode(signature_b64.strip(), validate=True)
        _public_key(public_key_pem).verify(signature, body, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError):
        return False
    return True


def sign_content(body: bytes, private_key_pem: bytes) -> str:
    """The ``Content-Signature`` value for a body: base64 of its RSA-SHA256 signature.

    >>> from cryptography.hazmat.primitives import serialization
    >>> from cryptography.hazmat.primitives.asymmetric import rsa
    >>> key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    >>> private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
    ...                                 serialization.NoEncryption())
    >>> public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
    ...                                            serialization.PublicFormat.SubjectPublicKeyInfo)
    >>> verify_content_signature(b"{}", sign_content(b"{}", private_pem), public_pem)
    True
    """
    key = serialization.load_pem_private_key(private_key_pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TypeError("Content-Signature needs an RSA private key")
    signature = key.sign(body, padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode("ascii")


def _hex(value: str, what: str, size: int | None) -> bytes:
    try:
        raw = bytes.fromhex(value.strip())
    except ValueError:
        raise WebhookError(f"{what} is not hex") from None
    if size is not None and len(raw) != size:
        raise WebhookError(f"wrong length: {what} is {len(raw)} bytes, expected {size}")
    return raw


def _secret(secret_hex: str) -> bytes:
    try:
        key = bytes.fromhex(secret_hex.strip())
    except ValueError:
        raise WebhookError("the webhook secret is not hex") from None
    if len(key) != _KEY_BYTES:
        raise WebhookError(f"the webhook secret is {len(key)} bytes, expected {_KEY_BYTES} "
                           f"({2 * _KEY_BYTES} hex characters)")
    return key


def _ciphertext(body: bytes) -> bytes:
    text = body.strip()
    if not text:
        raise WebhookError("the body is empty")
    if text.startswith(b"{"):
        try:
            wrapper = json.loads(text)
        except ValueError:
            raise WebhookError("the body starts with '{' but is not JSON") from None
        if not isinstance(wrapper, dict) or not isinstance(wrapper.get("encryptedBody"), str):
            raise WebhookError("the JSON body has no string field encryptedBody")
        return _hex(wrapper["encryptedBody"], "encryptedBody", None)
    try:
        hex_text = text.decode("ascii")
    except UnicodeDecodeError:
        raise WebhookError("the body is not hex") from None
    return _hex(hex_text, "the body", None)


def decrypt_opp_webhook(body: bytes, headers: Mapping[str, str], secret_hex: str) -> dict[str, Any]:
    """Decrypt and authenticate an OPP encrypted webhook; the plaintext JSON object.

    ``body`` is the hex ciphertext, bare or as ``{"encryptedBody": hex}``. Raises WebhookError
    naming what is wrong: a missing header, bad hex, a wrong IV/tag length, failed
    authentication, or a plaintext that is not a JSON object.

    >>> secret = "00" * 32                          # e.g. profile.opp.webhook_secret
    >>> body, headers = encrypt_opp_webhook(
    ...     {"type": "PAYMENT", "action": "CREATED", "payload": {"id": "8ac7a4a1", "amount": "92.00"}}, secret)
    >>> decrypt_opp_webhook(body, headers, secret)    # the request's raw body and its headers
    {'type': 'PAYMENT', 'action': 'CREATED', 'payload': {...}}
    >>> decrypt_opp_webhook(body, headers, "11" * 32)
    Traceback (most recent call last):
    ...
    asyncpay.wire.webhooks.WebhookError: authentication failed: the tag does not match...
    """
    key = _secret(secret_hex)
    iv_hex = _header(headers, IV_HEADER)
    if iv_hex is None:
        raise WebhookError(f"missing header {IV_HEADER}")
    tag_hex = _header(headers, TAG_HEADER)
    if tag_hex is None:
        raise WebhookError(f"missing header {TAG_HEADER}")
    iv = _hex(iv_hex, f"the IV ({IV_HEADER})", _IV_BYTES)
    tag = _hex(tag_hex, f"the tag ({TAG_HEADER})", _TAG_BYTES)
    ciphertext = _ciphertext(body)
    try:
        # cryptography's AESGCM takes the tag appended to the ciphertext; OPP uses no AAD.
        plaintext = AESGCM(key).decrypt(iv, ciphertext + tag, None)
    except InvalidTag:
        raise WebhookError("authentication failed: the tag does not match (wrong secret, or the "
                           "body, IV or tag was altered)") from None
    try:
        payload = json.loads(plaintext.decode("utf-8"))
    except ValueError:
        raise WebhookError(f"the plaintext ({len(plaintext)} bytes) is not JSON") from None
    if not isinstance(payload, dict):
        raise WebhookError(f"the plaintext is JSON but not an object: {type(payload).__name__}")
    return payload


def encrypt_opp_webhook(payload: dict[str, Any], secret_hex: str, iv: bytes | None = None, *,
                        wrapped: bool = False) -> tuple[bytes, dict[str, str]]:
    """Encrypt a payload the way OPP does: the body and its IV and tag headers.

    Hex is upper-case, as in OPP's examples; ``wrapped`` gives ``{"encryptedBody": hex}``.

    >>> body, headers = encrypt_opp_webhook({"type": "PAYMENT"}, "00" * 32, wrapped=True)
    >>> sorted(headers)
    ['X-Authentication-Tag', 'X-Initialization-Vector']
    >>> body[:18]
    b'{"encryptedBody": '
    """
    key = _secret(secret_hex)
    nonce = os.urandom(_IV_BYTES) if iv is None else iv
    if len(nonce) != _IV_BYTES:
        raise WebhookError(f"wrong length: the IV is {len(nonce)} bytes, expected {_IV_BYTES}")
    plaintext = json.dumps(payload, separators=(",", ":")).encode("utf-8")
    sealed = AESGCM(key).encrypt(nonce, plaintext, None)
    ciphertext, tag = sealed[:-_TAG_BYTES], sealed[-_TAG_BYTES:]
    hex_body = ciphertext.hex().upper()
    body = json.dumps({"encryptedBody": hex_body}).encode() if wrapped else hex_body.encode()
    return body, {IV_HEADER: nonce.hex().upper(), TAG_HEADER: tag.hex().upper()}
