"""asyncpay: contract and regression harness for asynchronous payment-gateway APIs."""

from asyncpay.errors import (
    ContractViolation,
    HarnessError,
    NotVerified,
    Pending,
    ProfileError,
    TransportViolation,
)
from asyncpay.rules import RULES, Rule

__all__ = [
    "RULES",
    "ContractViolation",
    "HarnessError",
    "NotVerified",
    "Pending",
    "ProfileError",
    "Rule",
    "TransportViolation",
]
__version__ = "0.1.0"
