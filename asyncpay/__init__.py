"""asyncpay: contract and regression harness for asynchronous payment-gateway APIs.

What a suite of one's own needs, from one place::

    from asyncpay import ContractViolation, GatewayClient, RULES, Verdict, check, load_profile

The errors, rules and verdicts load with the package; the client, the profile loader and the check
decorator load on first use (so ``python -m asyncpay.mock`` stays free of the harness).
"""

from __future__ import annotations

import importlib
from typing import Any

from asyncpay.errors import (
    ContractViolation,
    Deferred,
    HarnessError,
    NotVerified,
    ProfileError,
    TransportViolation,
)
from asyncpay.rules import RULES, Rule
from asyncpay.verdicts import CheckRecord, Verdict

#: Public names loaded on first use: name → module.
_LAZY = {
    "Answer": "asyncpay.http.client",
    "GatewayClient": "asyncpay.http.client",
    "basic": "asyncpay.http.client",
    "bearer": "asyncpay.http.client",
    "Redactor": "asyncpay.http.redaction",
    "Profile": "asyncpay.config.profile",
    "embedded_profile": "asyncpay.config.profile",
    "load_profile": "asyncpay.config.profile",
    "check": "asyncpay.checks",
    "transport_checks": "asyncpay.checks.transport",
}

__all__ = [
    "Answer",
    "CheckRecord",
    "ContractViolation",
    "Deferred",
    "GatewayClient",
    "HarnessError",
    "NotVerified",
    "Profile",
    "ProfileError",
    "RULES",
    "Redactor",
    "Rule",
    "TransportViolation",
    "Verdict",
    "basic",
    "bearer",
    "check",
    "embedded_profile",
    "load_profile",
    "transport_checks",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'asyncpay' has no attribute {name!r}")
    # ``transport_checks`` is the module itself: the hooks a GatewayClient takes as ``checks``.
    value = importlib.import_module(module) if name == "transport_checks" else getattr(
        importlib.import_module(module), name)
    globals()[name] = value
    return value
