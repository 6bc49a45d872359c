"""The public API a suite of one's own is written against: pinned, sorted, and all of it loads."""

from __future__ import annotations

import subprocess
import sys

import asyncpay

PUBLIC = [
    "Answer", "CheckRecord", "ContractViolation", "Deferred", "GatewayClient", "HarnessError", "NotVerified",
    "Profile", "ProfileError", "RULES", "Redactor", "Rule", "TransportViolation", "Verdict", "basic",
    "bearer", "check", "embedded_profile", "load_profile", "transport_checks",
]


def test_the_public_names_are_pinned_and_sorted() -> None:
    assert asyncpay.__all__ == sorted(asyncpay.__all__) == PUBLIC


def test_every_public_name_loads() -> None:
    for name in asyncpay.__all__:
        assert getattr(asyncpay, name) is not None, name
    assert asyncpay.transport_checks.json_content_type is not None  # the hooks a GatewayClient takes


def test_importing_the_package_loads_no_client() -> None:
    loaded = subprocess.run([sys.executable, "-c", "import sys, asyncpay; "
                             "print('asyncpay.http.client' in sys.modules, 'httpx' in sys.modules)"],
                            capture_output=True, text=True, check=True).stdout.split()
    assert loaded == ["False", "False"]
