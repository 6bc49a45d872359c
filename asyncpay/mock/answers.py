"""How the mock writes its JSON: one place that takes the answer-shaping variants — extra
fields, timestamp spelling, key order, charset — for every answer and webhook body of both
gateways.

Every transformation is a pure function of the body, so a stored result reads byte for byte
the same on every read (the documented stability of a 200 result).

>>> Answers(VariantSwitches(["charset-and-key-order"])).overpay({"a": 1, "b": 2}).body
b'{"b":2,"a":1}'
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

from asyncpay.mock.variants import VariantSwitches

PLAIN_JSON = "application/json"
CHARSET_JSON = "application/json; charset=utf-8"

#: extra-fields: what every decorated object gains (names no documentation uses).
EXTRA_TOP = {"meta": {"api_version": "2", "node": "asyncpay-mock-1"}, "trace_id": "a5e1f0c2"}
EXTRA_OBJECT = {"extensions": {"source": "asyncpay-mock"}}
#: Overpay transaction sub-objects the gateway makes (echoes of the request are left alone).
_OVERPAY_MADE = ("credit_card", "three_d_secure_verification", "avs_cvc_verification",
                 "be_protected_verification", "payment", "authorization", "capture", "void",
                 "refund", "credit", "payout")
#: OPP answer sub-objects the platform makes.
_OPP_MADE = ("result", "resultDetails", "card", "risk", "redirect")
#: mixed-timestamps: unused transaction fields a gateway shows as null.
_UNUSED_NULLS = ("expired_at", "closed_at", "settled_at", "manually_corrected_at",
                 "recurring_type", "avs_cvc_verification", "be_protected_verification")


class Answers:
    """JSON answers and bodies for one mock, shaped by its variant switches."""

    def __init__(self, variants: VariantSwitches) -> None:
        self.variants = variants

    # --- Overpay -------------------------------------------------------------------------

    def overpay(self, body: Mapping[str, Any], status: int = 200,
                headers: Mapping[str, str] | None = None) -> Response:
        return self._response(self.overpay_body(body), status, headers)

    def overpay_body(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """An Overpay answer or webhook body with the variants applied (a new dict)."""
        out = copy.deepcopy(dict(body))
        transactions = [out["transaction"]] if isinstance(out.get("transaction"), dict) else []
        if isinstance(out.get("transactions"), list):
            transactions += [tx for tx in out["transactions"] if isinstance(tx, dict)]
        if self.variants.on("mixed-timestamps"):
            for tx in transactions:
                _mixed_timestamps(tx)
        if self.variants.on("extra-fields"):
            out.update(EXTRA_TOP)
            if isinstance(out.get("response"), dict):  # a wrapped error
                out["response"].update(EXTRA_OBJECT)
            for tx in transactions:
                tx.update(EXTRA_OBJECT)
                for name in _OVERPAY_MADE:
                    if isinstance(tx.get(name), dict):
                        tx[name].update(EXTRA_OBJECT)
        return self._ordered(out)

    # --- OPP -----------------------------------------------------------------------------

    def opp(self, body: Mapping[str, Any], status: int = 200,
            headers: Mapping[str, str] | None = None) -> Response:
        return self._response(self.opp_body(body), status, headers)

    def opp_body(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """An OPP answer (payment, status read or error) with the variants applied."""
        out = copy.deepcopy(dict(body))
        if self.variants.on("mixed-timestamps") and isinstance(out.get("timestamp"), str):
            out["timestamp"] = _with_milliseconds(out["timestamp"], out.get("id"))
        if self.variants.on("extra-fields"):
            out.update(EXTRA_TOP)
            for name in _OPP_MADE:
                if isinstance(out.get(name), dict):
                    out[name].update(EXTRA_OBJECT)
        return self._ordered(out)

    # --- both ----------------------------------------------------------------------------

    @property
    def media_type(self) -> str:
        return CHARSET_JSON if self.variants.on("charset-and-key-order") else PLAIN_JSON

    def _ordered(self, body: dict[str, Any]) -> dict[str, Any]:
        return _reversed(body) if self.variants.on("charset-and-key-order") else body

    def _response(self, body: dict[str, Any], status: int,
                  headers: Mapping[str, str] | None) -> Response:
        # Starlette's JSONResponse would add no charset; the bytes are the same json.dumps.
        content = json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        return Response(content.encode("utf-8"), status, dict(headers or {}),
                        media_type=self.media_type)


def _reversed(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _reversed(value[key]) for key in reversed(value)}
    if isinstance(value, list):
        return [_reversed(item) for item in value]
    return value


def _mixed_timestamps(tx: dict[str, Any]) -> None:
    """created_at keeps ``…Z``; every other timestamp is spelt ``…+00:00``; unused fields null."""
    for name in ("updated_at", "paid_at"):
        stamp = tx.get(name)
        if isinstance(stamp, str) and stamp.endswith("Z"):
            tx[name] = stamp[:-1] + "+00:00"
    for name in _UNUSED_NULLS:
        tx.setdefault(name, None)
    if isinstance(tx.get("credit_card"), dict):
        tx["credit_card"].setdefault("product", None)
        tx["credit_card"].setdefault("token_provider", None)


def _with_milliseconds(stamp: str, seed: Any) -> str:
    """``2015-12-07 16:46:07+0000`` → ``2015-12-07 16:46:07.123+0000`` (same second)."""
    head, sep, zone = stamp.rpartition("+")
    if not sep or "." in head:
        return stamp
    millis = sum(map(ord, str(seed or head))) % 1000
    return f"{head}.{millis:03d}+{zone}"
