"""``python -m asyncpay.mock``: serve the mock gateway on its own, or list its switches.

    python -m asyncpay.mock --clock real --variant all --retention 4 --processing-delay 0.3-1.2
    python -m asyncpay.mock --list-variants
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import Any

import uvicorn

from asyncpay.mock.app import create_app
from asyncpay.mock.config import CHECKOUT_NOTIFICATIONS, CLOCK_MODES, MockConfig
from asyncpay.mock.faults import FAULTS
from asyncpay.mock.variants import ALL, VARIANTS
from asyncpay.wire.testdata import MOCK_ENTITY_ID, MOCK_SECRET_KEY, MOCK_SHOP_ID, MOCK_TOKEN, MOCK_WEBHOOK_SECRET


def _table(header: Sequence[str], rows: list[Sequence[str]]) -> str:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]
    return "".join("  ".join(f"{cell:<{width}}" for cell, width in zip(row, widths, strict=False))
                   + f"  {row[-1]}\n" for row in [header, *rows])


def fault_table() -> str:
    """Every fault switch: name, the rule it breaks, what it does — one per line."""
    return _table(("FAULT", "RULE", "DESCRIPTION"),
                  [(f.name, f.rule, f.description) for f in sorted(FAULTS.values(),
                                                                   key=lambda f: f.name)])


def variant_table() -> str:
    """Every variant switch: name, and the freedom it takes — one per line."""
    return _table(("VARIANT", "FREEDOM (what the docs leave open, and this variant's choice)"),
                  [(v.name, v.freedom) for v in sorted(VARIANTS.values(), key=lambda v: v.name)])


def credentials_help() -> str:
    """The mock's fixed credentials, as the environment variables a profile names (``*_env``)."""
    return ("credentials (fixed, test use only; a profile names these variables):\n"
            f"  export MOCK_SHOP_ID={MOCK_SHOP_ID} MOCK_SECRET_KEY={MOCK_SECRET_KEY}\n"
            f"  export MOCK_ENTITY_ID={MOCK_ENTITY_ID} MOCK_TOKEN={MOCK_TOKEN}\n"
            f"  export MOCK_WEBHOOK_SECRET={MOCK_WEBHOOK_SECRET}\n")


def seconds_range(text: str) -> tuple[float, float]:
    """``"2"`` → (2, 2); ``"0.3-1.2"`` → (0.3, 1.2): seconds, low end first."""
    low, sep, high = text.partition("-")
    try:
        bounds = (float(low), float(high) if sep else float(low))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected SECONDS or MIN-MAX, got {text!r}") from None
    if bounds[0] > bounds[1]:
        raise argparse.ArgumentTypeError(f"the range's low end is above its high end: {text!r}")
    return bounds


def parser() -> argparse.ArgumentParser:
    defaults = MockConfig()
    p = argparse.ArgumentParser(
        prog="python -m asyncpay.mock",
        description="Serve the asyncpay mock gateway (Overpay async tasks, OPP payments and "
                    "COPYandPAY checkouts).",
        epilog=credentials_help(), formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    p.add_argument("--port", type=int, default=8080, help="port to listen on (default: %(default)s)")
    p.add_argument("--clock", choices=CLOCK_MODES, default=defaults.clock,
                   help="virtual: time moves only via POST /_asyncpay/clock/advance; "
                        "real: wall time (default: %(default)s)")
    # Timing options default to None: only values given here override a variant's settings.
    p.add_argument("--processing-delay", type=seconds_range, default=None, metavar="SECONDS|MIN-MAX",
                   help="task creation to completion; a range draws each task's delay uniformly "
                        f"(default: {defaults.processing_delay:g})")
    p.add_argument("--pending-delay", type=float, default=None, metavar="SECONDS",
                   help=f"OPP: a pending payment turns final after this (default: {defaults.pending_delay:g})")
    p.add_argument("--retention", type=float, default=None, metavar="SECONDS",
                   help=f"Overpay: 200 results kept this long from task creation (default: {defaults.retention:g})")
    p.add_argument("--status-reads-per-minute", type=int, default=None, metavar="N",
                   help="OPP: status reads per payment per minute, 0 = unlimited (default: 0)")
    p.add_argument("--notification-delay", type=float, default=None, metavar="MAX",
                   help="webhooks and notifications go out after a random delay of up to MAX "
                        "seconds (default: 0)")
    p.add_argument("--checkout-notification", choices=CHECKOUT_NOTIFICATIONS,
                   default=defaults.checkout_notification,
                   help="OPP COPYandPAY: what a checkout's notification names, the checkout "
                        "(/v1/checkouts/{id}/payment) or its payment (/v1/payments/{id}) "
                        "(default: %(default)s)")
    p.add_argument("--checkout-lifetime", type=float, default=defaults.checkout_lifetime,
                   metavar="SECONDS",
                   help="OPP COPYandPAY: a checkout lives this long from its creation "
                        "(default: %(default)s)")
    p.add_argument("--checkout-reads-per-minute", type=int,
                   default=defaults.checkout_reads_per_minute, metavar="N",
                   help="OPP COPYandPAY: status reads per checkout per minute, 0 = unlimited "
                        "(default: %(default)s)")
    p.add_argument("--fault", action="append", default=[], metavar="NAME",
                   help="switch a fault on (repeatable); see --list-faults")
    p.add_argument("--variant", action="append", default=[], metavar="NAME",
                   help=f"switch a variant on (repeatable; {ALL!r} = every one); see --list-variants")
    p.add_argument("--list-faults", action="store_true", help="list the fault switches and exit")
    p.add_argument("--list-variants", action="store_true", help="list the variant switches and exit")
    return p


def config_from(args: argparse.Namespace) -> MockConfig:
    """The MockConfig the command line asks for; raises ValueError on a bad combination."""
    settings: dict[str, Any] = {"clock": args.clock, "faults": args.fault, "variants": args.variant}
    if args.processing_delay is not None:
        low, high = args.processing_delay
        settings["processing_delay"] = low
        settings["processing_delay_max"] = high if high != low else None
    for name in ("pending_delay", "retention", "status_reads_per_minute", "notification_delay"):
        if getattr(args, name) is not None:
            settings[name] = getattr(args, name)
    for name in ("checkout_lifetime", "checkout_notification", "checkout_reads_per_minute"):
        settings[name] = getattr(args, name)
    return MockConfig(**settings)


def main(argv: list[str] | None = None) -> int:
    cli = parser()
    args = cli.parse_args(argv)
    if args.list_faults:
        sys.stdout.write(fault_table())
        return 0
    if args.list_variants:
        sys.stdout.write(variant_table())
        return 0
    try:
        config = config_from(args)
    except ValueError as exc:
        cli.error(str(exc))
    server_config = uvicorn.Config(create_app(config), host=args.host, port=args.port,
                                   log_level="info")  # sets up uvicorn's loggers, used below
    how = ("virtual: it moves only with POST /_asyncpay/clock/advance" if config.clock == "virtual"
           else "real")
    processing = (f"{config.processing_delay:.6g}" if config.longest_processing == config.processing_delay
                  else f"{config.processing_delay:.6g}-{config.longest_processing:.6g}")
    logging.getLogger("uvicorn.error").info(
        "asyncpay mock: clock %s; processing %s s, retention %.6g s; checkouts live %.6g s and "
        "notify the %s; faults: %s; variants: %s", how, processing,
        config.retention, config.checkout_lifetime, config.checkout_notification,
        ", ".join(config.faults) or "none", ", ".join(config.variants) or "none")
    uvicorn.Server(server_config).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
