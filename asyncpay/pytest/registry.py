"""The gateways the suites can ask for: one registration each.

A registration names the pytest fixture a test asks for, the marker that says a test needs it,
the profile section (target) it talks to, the rule that is *not verified* when the profile has no
such target, and the factory that makes the merchant role. The plugin's markers, the fixtures,
the runtime and "is this an asyncpay test" all read this list: adding a gateway is one
:func:`register` call at the end of this module (see ARCHITECTURE.md, "Adding a gateway"); the
fixtures are made from the list when the plugin loads.

>>> [role.fixture for role in GATEWAYS]
['overpay', 'opp', 'checkout']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from asyncpay.pytest.runtime import Runtime


@dataclass(frozen=True)
class GatewayRole:
    """One gateway (or role on a gateway) a test can ask for by fixture name."""

    #: The fixture a test asks for (``def test_x(overpay): ...``); also the early-start name.
    fixture: str
    #: The profile attribute holding its target (``Profile.overpay``, ``Profile.opp``).
    target: str
    #: The rule reported *not verified* when the profile has no such target.
    missing_rule: str
    #: ``make(runtime, target)`` → the merchant role; it has a ``client`` (a GatewayClient).
    make: Callable[[Runtime, Any], Any]
    #: ``"name: help"`` for ``pytest --markers``; None when the role has no marker of its own.
    marker: str | None = None
    #: True: one merchant per process, shared by every test; False: a fresh one per test.
    shared: bool = True


GATEWAYS: list[GatewayRole] = []


def register(role: GatewayRole) -> GatewayRole:
    """Add ``role``; its fixture name must be new (ValueError otherwise)."""
    if any(known.fixture == role.fixture for known in GATEWAYS):
        raise ValueError(f"a gateway role with fixture {role.fixture!r} is already registered")
    GATEWAYS.append(role)
    return role


def role(fixture: str) -> GatewayRole:
    """The registration for ``fixture`` (KeyError when none)."""
    for known in GATEWAYS:
        if known.fixture == fixture:
            return known
    raise KeyError(fixture)


def markers() -> list[str]:
    """The gateway markers' names (``overpay``, ``opp``)."""
    return [known.marker.split(":", 1)[0] for known in GATEWAYS if known.marker]


def _overpay(runtime: Runtime, target: Any) -> Any:
    from asyncpay.gateways.overpay.merchant import OverpayMerchant, make_client
    clock = runtime.clock(target.timing, target.base_url)
    client = runtime.keep(make_client(target, runtime.redactor, pause=clock.advance))
    return OverpayMerchant(target, client, clock, runtime.run_id)


def _opp(runtime: Runtime, target: Any) -> Any:
    from asyncpay.gateways.opp.merchant import OppMerchant, make_client
    clock = runtime.clock(target.timing, target.base_url)
    client = runtime.keep(make_client(target, runtime.redactor, pause=clock.advance))
    return OppMerchant(target, client, clock, runtime.receiver(), runtime.run_id)


def _checkout(runtime: Runtime, target: Any) -> Any:
    """A COPYandPAY shop and shopper on the OPP target (one per test: it tracks its checkouts)."""
    from asyncpay.gateways.opp.checkout import CheckoutMerchant
    return CheckoutMerchant(runtime.merchant("opp"))


register(GatewayRole("overpay", "overpay", "overpay.task-answer", _overpay,
                     marker="overpay: needs an Overpay target"))
register(GatewayRole("opp", "opp", "opp.payment-answer", _opp,
                     marker="opp: needs an Open Payment Platform target"))
register(GatewayRole("checkout", "opp", "opp.payment-answer", _checkout, shared=False))
