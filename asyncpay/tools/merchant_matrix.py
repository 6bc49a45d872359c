"""The merchant half of the mutation matrix: every merchant scenario against the reference shop
(``examples/shop``), once correct and once per naive switch, each in its own platform.

The correct shop must fail no rule and hand the canary no credential; each naive switch must
fail exactly the rule it breaks ("killed"; another rule failing too is "NOT EXACT").

    python -m asyncpay.tools.merchant_matrix                      # every row, 2 at a time
    python -m asyncpay.tools.merchant_matrix no-webhook-auth      # one switch (and the correct shop)
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from asyncpay.checks.merchant import credentials_in
from asyncpay.config.profile import load_profile
from asyncpay.errors import ContractViolation
from asyncpay.platform.driver import Platform
from asyncpay.platform.scenarios import SCENARIOS, credentials, whole_run_leaks

ROOT = Path(__file__).resolve().parents[2]
PROFILE = ROOT / "examples" / "shop" / "shop.toml"
#: Each naive behaviour of the reference shop (``SHOP_NAIVE``) → the one merchant rule it breaks.
NAIVE_RULES = {
    "base-plus-resourcepath": "merchant.status-origin",
    "follow-any-status-url": "merchant.status-origin",
    "no-status-read": "merchant.reads-status",
    "no-webhook-auth": "merchant.refuses-forged",
    "fulfil-every-delivery": "merchant.fulfils-once",
    "ignore-429": "merchant.honours-throttle",
    "reread-every-notification": "merchant.spaces-status-reads",
    "new-requestid-on-retry": "merchant.same-request-id",
    "reread-result": "merchant.one-time-result",
    "result-url-on-webhook": "merchant.result-retention",
    "paid-on-return": "merchant.checkout-expired",
}


@dataclass(frozen=True)
class MerchantRow:
    """One shop: its naive switch ('' for the correct shop), the rules that failed with their
    first messages, the credential kinds the canary received, and the wall time (seconds)."""

    naive: str
    failed: dict[str, str]
    leaked: list[str]
    seconds: float

    @property
    def expected(self) -> str | None:
        return NAIVE_RULES.get(self.naive)

    @property
    def verdict(self) -> str:
        if not self.naive:
            return "passed" if not self.failed and not self.leaked else "FALSE ALARM"
        if set(self.failed) == {self.expected}:
            return "killed"
        return "NOT EXACT" if self.expected in self.failed else "SURVIVED"


def judge(naive: str, profile: Path = PROFILE) -> MerchantRow:
    """Every merchant scenario against the shop of ``profile`` with ``SHOP_NAIVE=naive``."""
    merchant = load_profile(profile).merchant
    if merchant is None:
        raise SystemExit(f"{profile}: no [merchant] table")
    failed: dict[str, str] = {}
    started = time.monotonic()
    with Platform(merchant, shop_env={"SHOP_NAIVE": naive}) as platform:
        for scenarios in SCENARIOS.values():
            for scenario in scenarios:
                try:
                    scenario(platform)
                except ContractViolation as violation:
                    failed.setdefault(violation.rule, str(violation).splitlines()[0])
        leaked = sorted({kind for landed in platform.canary.landed
                         for kind in credentials_in(landed, credentials(platform))})
        if "merchant.status-origin" not in failed:
            try:
                whole_run_leaks(platform)
            except ContractViolation as violation:
                failed[violation.rule] = str(violation).splitlines()[0]
    return MerchantRow(naive, failed, leaked, time.monotonic() - started)


def table(rows: list[MerchantRow]) -> str:
    lines = [f"{'shop':<28} {'breaks':<30} {'verdict':<12} {'s':>5}  failed rules"]
    for row in rows:
        lines.append(f"{row.naive or '(correct)':<28} {row.expected or '-':<30} {row.verdict:<12} "
                     f"{row.seconds:5.1f}  {', '.join(sorted(row.failed)) or '-'}"
                     + (f"  canary got: {', '.join(row.leaked)}" if row.leaked else ""))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("naive", nargs="*", help=f"switches to run (default: all): {', '.join(NAIVE_RULES)}")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    unknown = [n for n in args.naive if n not in NAIVE_RULES]
    if unknown:
        parser.error(f"unknown switch(es) {', '.join(unknown)}; known: {', '.join(NAIVE_RULES)}")
    wanted = ["", *(args.naive or NAIVE_RULES)]
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, args.workers)) as pool:
        rows = list(pool.map(judge, wanted))
    print(table(rows))
    print(f"{len(rows)} shops in {time.monotonic() - started:.1f} s on {os.cpu_count()} cores")
    return 0 if all(row.verdict in ("passed", "killed") for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
