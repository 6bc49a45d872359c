"""OPP encrypted webhooks: the payment, sealed with AES-256-GCM under the shop's secret.

On the platform the webhook URL is set up in the merchant portal; the mock has no portal, so a
payment names it in ``customParameters[SHOPPER_webhookUrl]``.
"""

from __future__ import annotations

import json
import os
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from asyncpay.mock.notifier import OPP_NOTIFICATION_RETRIES, Delivery

WEBHOOK_URL_PARAMETER = "SHOPPER_webhookUrl"
_TAG_BYTES = 16


def encrypted_webhook(url: str, secret_hex: str, payment: dict[str, Any], action: str,
                      spoil_tag: bool = False) -> Delivery:
    """The POST carrying ``{"type": "PAYMENT", "action": action, "payload": payment}``."""
    plaintext = json.dumps({"type": "PAYMENT", "action": action, "payload": payment}).encode()
    iv = os.urandom(12)
    sealed = AESGCM(bytes.fromhex(secret_hex)).encrypt(iv, plaintext, None)
    ciphertext, tag = sealed[:-_TAG_BYTES], sealed[-_TAG_BYTES:]
    if spoil_tag:
        tag = bytes(byte ^ 0xFF for byte in tag)
    headers = {"Content-Type": "text/plain", "X-Initialization-Vector": iv.hex().upper(),
               "X-Authentication-Tag": tag.hex().upper()}
    return Delivery("opp encrypted webhook", "POST", url, headers, ciphertext.hex().upper().encode(),
                    OPP_NOTIFICATION_RETRIES)
