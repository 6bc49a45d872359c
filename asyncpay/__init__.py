"""asyncpay: contract and regression harness for asynchronous payment-gateway APIs."""

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

__all__ = [
    "RULES",
    "CheckRecord",
    "ContractViolation",
    "Deferred",
    "HarnessError",
    "NotVerified",
    "ProfileError",
    "Rule",
    "TransportViolation",
    "Verdict",
]
__version__ = "0.1.0"
