"""OPP encrypted webhooks: the payment, sealed with AES-256-GCM under the shop's secret.

On the platform the webhook URL is set up in the merchant portal; the mock has no portal, so a
payment names it in ``customParameters[SHOPPER_webhookUrl]``. The sealing itself is
``asyncpay.wire.webhooks.encrypt_opp_webhook``, the codec the harness decrypts with.
"""

from __future__ import annotations

from typing import Any

from asyncpay.mock.notifier import OPP_NOTIFICATION_RETRIES, Delivery
from asyncpay.wire.webhooks import TAG_HEADER, encrypt_opp_webhook

WEBHOOK_URL_PARAMETER = "SHOPPER_webhookUrl"


def encrypted_webhook(url: str, secret_hex: str, payment: dict[str, Any], action: str,
                      spoil_tag: bool = False) -> Delivery:
    """The POST carrying ``{"type": "PAYMENT", "action": action, "payload": payment}``."""
    body, headers = encrypt_opp_webhook({"type": "PAYMENT", "action": action, "payload": payment},
                                        secret_hex)
    if spoil_tag:
        tag = bytes.fromhex(headers[TAG_HEADER])
        headers[TAG_HEADER] = bytes(byte ^ 0xFF for byte in tag).hex().upper()
    return Delivery("opp encrypted webhook", "POST", url, {"Content-Type": "text/plain", **headers},
                    body, OPP_NOTIFICATION_RETRIES)
