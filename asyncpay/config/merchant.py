"""The profile's ``[merchant]`` table: how asyncpay reaches a merchant's shop when it plays the
platform against it (``suites/merchant``).

::

    [merchant]
    command = ["python", "examples/shop/shop.py"]  # or: base_url = "http://127.0.0.1:8000"
    ready_path = "/"              # any HTTP answer there means the shop is up
    start_timeout = 20            # seconds to wait for it
    status_read_within = 5        # seconds: the shop reads the status this soon after a notification
    status_reads_per_minute = 2   # OPP status reads per payment and minute (live systems: 2)
    opp_webhook_path = "/opp/webhook"  # optional: the shop takes OPP encrypted webhooks there
    [merchant.env]                # what the started shop is told (templates, see PLATFORM_VALUES)
    OPP_BASE_URL = "{opp_base_url}"
    [merchant.pay.opp]            # one per method: overpay, opp, checkout
    method = "POST"
    path = "/pay/opp"
    json = {amount = "{amount}", currency = "{currency}", card = {number = "{card_number}"}}
    order_id = "/order_id"        # a JSON pointer (or a top-level key) into the shop's answer
    [merchant.order]              # optional: a read-only view of an order
    path = "/orders/{order_id}"
    state = "/state"
    paid = ["paid"]

A string that is exactly one placeholder becomes the value with its type (``"{amount}"`` → the
integer 1000); inside a longer string it is formatted in. Errors raise
:class:`~asyncpay.errors.ProfileError` naming the file and key.
"""

from __future__ import annotations

import math
import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from asyncpay.errors import ProfileError

METHODS = ("overpay", "opp", "checkout")
#: Values the platform hands the shop it starts (``[merchant.env]`` templates).
PLATFORM_VALUES = ("shop_port", "shop_url", "overpay_base_url", "overpay_shop_id", "overpay_secret_key",
                   "overpay_public_key", "opp_base_url", "opp_access_token", "opp_entity_id",
                   "opp_webhook_secret")
#: Values a payment request may carry (``[merchant.pay.*]`` templates).
PAYMENT_VALUES = ("amount", "amount_decimal", "currency", "order_id", "card_number", "holder",
                  "exp_month", "exp_year", "cvv")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True)
class StartPayment:
    """The shop request that starts a payment, and where its answer names the order."""

    method: str
    path: str
    json: Any = None
    form: dict[str, str] | None = None
    order_id: str = "/order_id"
    checkout_id: str | None = None
    #: COPYandPAY: where the shopper's form sends the shopper back (a path of the shop), for
    #: shops that put it in the payment form rather than in the checkout request.
    shopper_result_path: str | None = None


@dataclass(frozen=True)
class OrderEndpoint:
    """A read-only view of an order: ``path`` with ``{order_id}``, the pointer to its state."""

    path: str
    state: str = "/state"
    paid: tuple[str, ...] = ("paid",)
    failed: tuple[str, ...] = ("failed",)
    pending: tuple[str, ...] = ("pending",)


@dataclass
class MerchantConfig:
    """How to reach and drive the merchant's shop. Durations in seconds."""

    base_url: str | None = None
    command: list[str] | None = None
    cwd: Path | None = None
    env: dict[str, str] = field(default_factory=dict)
    ready_path: str = "/"
    start_timeout: float = 20.0
    status_read_within: float = 5.0
    #: OPP status reads the shop may make per payment per minute (documented: 2 on live systems).
    status_reads_per_minute: int = 2
    pay: dict[str, StartPayment] = field(default_factory=dict)
    order: OrderEndpoint | None = None
    #: OPP encrypted webhooks: the shop's path that receives them (set up in the OPP portal), or
    #: None when the shop does not take them.
    opp_webhook_path: str | None = None


def fill(template: Any, values: dict[str, Any]) -> Any:
    """``template`` with its ``{name}`` placeholders replaced, recursively through lists and tables.

    >>> fill({"amount": "{amount}", "note": "order {order_id}"}, {"amount": 1000, "order_id": "7"})
    {'amount': 1000, 'note': 'order 7'}
    """
    if isinstance(template, dict):
        return {key: fill(value, values) for key, value in template.items()}
    if isinstance(template, list):
        return [fill(value, values) for value in template]
    if isinstance(template, str):
        whole = _PLACEHOLDER.fullmatch(template)
        if whole is not None and whole.group(1) in values:
            return values[whole.group(1)]
        return _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), template)
    return template


def pointer(document: Any, where: str) -> Any:
    """The value at a JSON pointer (``/a/b``) or top-level key (``a``); None when absent.

    >>> pointer({"order": {"id": "7"}}, "/order/id"), pointer({"id": "7"}, "id")
    ('7', '7')
    """
    parts = where[1:].split("/") if where.startswith("/") else [where]
    for part in parts:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(document, dict) and part in document:
            document = document[part]
        elif isinstance(document, list) and part.isdigit() and int(part) < len(document):
            document = document[int(part)]
        else:
            return None
    return document


def parse_merchant(where: str, profile_dir: Path, data: Any) -> MerchantConfig:
    """Read the ``[merchant]`` table (``where`` names the file in errors)."""
    table = _table(where, "merchant", data)
    known = {"base_url", "command", "cwd", "env", "ready_path", "start_timeout", "status_read_within",
             "status_reads_per_minute", "pay", "order", "opp_webhook_path"}
    _no_unknown(where, "merchant", table, known)
    base_url = table.get("base_url")
    command = table.get("command")
    if (base_url is None) == (command is None):
        raise ProfileError(f"{where}: [merchant]: give exactly one of base_url or command")
    if base_url is not None:
        base_url = _url(where, "merchant", "base_url", base_url)
    if command is not None and (not isinstance(command, list) or not command
                                or not all(isinstance(c, str) for c in command)):
        raise ProfileError(f"{where}: [merchant] command: expected a list of strings, got {command!r}")
    env = _table(where, "merchant.env", table.get("env", {}))
    for name, value in env.items():
        if not isinstance(value, str):
            raise ProfileError(f"{where}: [merchant.env] {name}: expected a string, got {value!r}")
        _placeholders(where, f"merchant.env] {name}", value, PLATFORM_VALUES)
    cwd = table.get("cwd")
    config = MerchantConfig(
        base_url=base_url, command=command,
        cwd=((profile_dir / cwd) if isinstance(cwd, str) else profile_dir).resolve(),
        env=dict(env),
        ready_path=_path(where, "merchant", "ready_path", table.get("ready_path", "/")),
        start_timeout=_seconds(where, "start_timeout", table.get("start_timeout", 20.0)),
        status_read_within=_seconds(where, "status_read_within", table.get("status_read_within", 5.0)),
        status_reads_per_minute=_count(where, "status_reads_per_minute", table.get("status_reads_per_minute", 2)),
    )
    pay = _table(where, "merchant.pay", table.get("pay", {}))
    for method, spec in pay.items():
        if method not in METHODS:
            raise ProfileError(f"{where}: [merchant.pay.{method}]: expected one of {', '.join(METHODS)}")
        config.pay[method] = _start_payment(where, method, spec)
    if not config.pay:
        raise ProfileError(f"{where}: [merchant.pay]: describe how the shop starts at least one payment "
                           f"({', '.join(METHODS)})")
    if "order" in table:
        config.order = _order(where, table["order"])
    if "opp_webhook_path" in table:
        config.opp_webhook_path = _path(where, "merchant", "opp_webhook_path", table["opp_webhook_path"])
    return config


def _start_payment(where: str, method: str, data: Any) -> StartPayment:
    name = f"merchant.pay.{method}"
    spec = _table(where, name, data)
    _no_unknown(where, name, spec, {"method", "path", "json", "form", "order_id", "checkout_id",
                                    "shopper_result_path"})
    if "json" in spec and "form" in spec:
        raise ProfileError(f"{where}: [{name}]: json or form, not both")
    form = spec.get("form")
    if form is not None and not all(isinstance(v, str) for v in _table(where, name + ".form", form).values()):
        raise ProfileError(f"{where}: [{name}] form: every value must be a string")
    for key in ("json", "form"):
        _placeholders(where, f"{name}] {key}", spec.get(key), PAYMENT_VALUES)
    http_method = spec.get("method", "POST")
    if not isinstance(http_method, str) or http_method.upper() not in ("POST", "PUT", "GET"):
        raise ProfileError(f"{where}: [{name}] method: expected POST, PUT or GET, got {http_method!r}")
    checkout_id = spec.get("checkout_id")
    if method == "checkout" and not isinstance(checkout_id, str):
        raise ProfileError(f"{where}: [{name}] checkout_id: required (where the shop's answer names the checkout)")
    order_id = spec.get("order_id", "/order_id")
    if not isinstance(order_id, str):
        raise ProfileError(f"{where}: [{name}] order_id: expected a JSON pointer, got {order_id!r}")
    result_path = spec.get("shopper_result_path")
    if result_path is not None:
        result_path = _path(where, name, "shopper_result_path", result_path)
    return StartPayment(http_method.upper(), _path(where, name, "path", spec.get("path")), spec.get("json"),
                        form, order_id, checkout_id, result_path)


def _order(where: str, data: Any) -> OrderEndpoint:
    spec = _table(where, "merchant.order", data)
    _no_unknown(where, "merchant.order", spec, {"path", "state", "paid", "failed", "pending"})
    path = _path(where, "merchant.order", "path", spec.get("path"))
    if "{order_id}" not in path:
        raise ProfileError(f"{where}: [merchant.order] path: must contain {{order_id}}, got {path!r}")
    values: dict[str, tuple[str, ...]] = {}
    for key in ("paid", "failed", "pending"):
        raw = spec.get(key, [key])
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
            raise ProfileError(f"{where}: [merchant.order] {key}: expected a list of strings, got {raw!r}")
        values[key] = tuple(raw)
    state = spec.get("state", "/state")
    if not isinstance(state, str):
        raise ProfileError(f"{where}: [merchant.order] state: expected a JSON pointer, got {state!r}")
    return OrderEndpoint(path, state, values["paid"], values["failed"], values["pending"])


def _table(where: str, name: str, data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ProfileError(f"{where}: [{name}] must be a table")
    return data


def _no_unknown(where: str, name: str, table: dict[str, Any], known: set[str]) -> None:
    unknown = set(table) - known
    if unknown:
        raise ProfileError(f"{where}: [{name}] unknown key(s): {', '.join(sorted(unknown))}")


def _placeholders(where: str, name: str, template: Any, allowed: tuple[str, ...]) -> None:
    if isinstance(template, dict):
        for value in template.values():
            _placeholders(where, name, value, allowed)
    elif isinstance(template, list):
        for value in template:
            _placeholders(where, name, value, allowed)
    elif isinstance(template, str):
        for _, field_name, _, _ in string.Formatter().parse(template.replace("{{", "").replace("}}", "")):
            if field_name is not None and field_name not in allowed:
                raise ProfileError(f"{where}: [{name}: unknown placeholder {{{field_name}}}; "
                                   f"known: {', '.join(allowed)}")


def _url(where: str, name: str, key: str, raw: Any) -> str:
    try:
        url = httpx.URL(raw) if isinstance(raw, str) else None
    except httpx.InvalidURL:
        url = None
    if url is None or url.scheme not in ("http", "https") or not url.host:
        raise ProfileError(f"{where}: [{name}] {key}: expected an http(s) URL, got {raw!r}")
    return str(raw).rstrip("/")


def _path(where: str, name: str, key: str, raw: Any) -> str:
    if not isinstance(raw, str) or not raw.startswith("/"):
        raise ProfileError(f"{where}: [{name}] {key}: expected a path starting with /, got {raw!r}")
    return raw


def _seconds(where: str, key: str, raw: Any) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw) or raw <= 0:
        raise ProfileError(f"{where}: [merchant] {key}: expected a positive number of seconds, got {raw!r}")
    return float(raw)


def _count(where: str, key: str, raw: Any) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
        raise ProfileError(f"{where}: [merchant] {key}: expected a whole number of at least 1, got {raw!r}")
    return raw


__all__ = ["METHODS", "MerchantConfig", "OrderEndpoint", "StartPayment", "fill", "parse_merchant", "pointer"]
