"""``python -m asyncpay.mock``: serve the mock gateway on its own, or list its faults."""

from __future__ import annotations

import argparse
import logging
import sys

import uvicorn

from asyncpay.mock.app import create_app
from asyncpay.mock.config import CHECKOUT_NOTIFICATIONS, CLOCK_MODES, MockConfig
from asyncpay.mock.faults import FAULTS


def fault_table() -> str:
    """Every fault switch: name, the rule it breaks, what it does — one per line."""
    rows = [("FAULT", "RULE", "DESCRIPTION")]
    rows += [(f.name, f.rule, f.description) for f in sorted(FAULTS.values(), key=lambda f: f.name)]
    name_width = max(len(row[0]) for row in rows)
    rule_width = max(len(row[1]) for row in rows)
    return "".join(f"{name:<{name_width}}  {rule:<{rule_width}}  {text}\n"
                   for name, rule, text in rows)


def parser() -> argparse.ArgumentParser:
    defaults = MockConfig()
    p = argparse.ArgumentParser(
        prog="python -m asyncpay.mock",
        description="Serve the asyncpay mock gateway (Overpay async tasks, OPP payments and "
                    "COPYandPAY checkouts).")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    p.add_argument("--port", type=int, default=8080, help="port to listen on (default: %(default)s)")
    p.add_argument("--clock", choices=CLOCK_MODES, default=defaults.clock,
                   help="virtual: time moves only via POST /_asyncpay/clock/advance; "
                        "real: wall time (default: %(default)s)")
    p.add_argument("--processing-delay", type=float, default=defaults.processing_delay,
                   metavar="SECONDS", help="task creation to completion (default: %(default)s)")
    p.add_argument("--pending-delay", type=float, default=defaults.pending_delay,
                   metavar="SECONDS",
                   help="OPP: a pending payment turns final after this (default: %(default)s)")
    p.add_argument("--retention", type=float, default=defaults.retention, metavar="SECONDS",
                   help="Overpay: 200 results kept this long from task creation "
                        "(default: %(default)s)")
    p.add_argument("--status-reads-per-minute", type=int,
                   default=defaults.status_reads_per_minute, metavar="N",
                   help="OPP: status reads per payment per minute, 0 = unlimited "
                        "(default: %(default)s)")
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
    p.add_argument("--list-faults", action="store_true", help="list the fault switches and exit")
    return p


def main(argv: list[str] | None = None) -> int:
    cli = parser()
    args = cli.parse_args(argv)
    if args.list_faults:
        sys.stdout.write(fault_table())
        return 0
    try:
        config = MockConfig(clock=args.clock, processing_delay=args.processing_delay,
                            pending_delay=args.pending_delay, retention=args.retention,
                            status_reads_per_minute=args.status_reads_per_minute,
                            checkout_lifetime=args.checkout_lifetime,
                            checkout_notification=args.checkout_notification,
                            checkout_reads_per_minute=args.checkout_reads_per_minute,
                            faults=args.fault)
    except ValueError as exc:
        cli.error(str(exc))
    server_config = uvicorn.Config(create_app(config), host=args.host, port=args.port,
                                   log_level="info")  # sets up uvicorn's loggers, used below
    how = ("virtual: it moves only with POST /_asyncpay/clock/advance" if config.clock == "virtual"
           else "real")
    logging.getLogger("uvicorn.error").info(
        "asyncpay mock: clock %s; processing %.6gs, retention %.6gs; checkouts live %.6gs and "
        "notify the %s; faults: %s", how, config.processing_delay, config.retention,
        config.checkout_lifetime, config.checkout_notification, ", ".join(config.faults) or "none")
    uvicorn.Server(server_config).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
