"""The mock's variant switches: each one takes one freedom the documentation leaves open — a
choice a real, conforming gateway may make — and breaks no documented rule.

Variants are the mirror image of faults (``faults.py``): the suites must *fail* on a fault and
must *pass* on every variant, alone and all together. Switch them on by name
(``MockConfig(variants=["processing-425"])``, ``python -m asyncpay.mock --variant
processing-425``, ``--variant all`` for every one; ``--list-variants`` prints the table).

A variant may carry ``settings``: MockConfig values it needs (``short-retention`` shortens the
retention to 6 s); they apply unless the caller set that value explicitly. Settings are in
seconds on the mock's clock.

>>> VARIANTS["processing-425"].source
'https://docs.overpay.io/en/integration/card_api/asynchronous/'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

OVERPAY_ASYNC = "https://docs.overpay.io/en/integration/card_api/asynchronous/"
OVERPAY_STATUSES = "https://docs.overpay.io/en/integration/card_api/statuses/"
OVERPAY_CAPTURE = "https://docs.bepaid.by/en/integration/card_api/transactions/capture/"
OVERPAY_VOID = "https://docs.bepaid.by/en/integration/card_api/transactions/void/"
OVERPAY_REFUND = "https://docs.bepaid.by/en/integration/card_api/transactions/refund/"
OPP_NOTIFICATIONS = "https://docs.oppwa.com/tutorials/manage-payments/async-notifications"
OPP_PARAMETERS = "https://paynt.docs.oppwa.com/reference/parameters"
OPP_RESULT_CODES = "https://vr-pay-ecommerce.docs.oppwa.com/reference/resultCodes"
OVERPAY_API_V3 = "https://docs.overpay.io/en/reference/api_v3/"
OPP_COPYANDPAY = "https://peachpayments.docs.oppwa.com/widget"
OPP_WEBHOOKS = "https://hyperpay.docs.oppwa.com/tutorials/webhooks"

#: ``--variant all`` switches every variant on.
ALL = "all"
#: throttles: the first Overpay API POST of every this many is answered 429.
THROTTLE_EVERY = 4
#: throttles: OPP status reads allowed per payment per minute (the profile is told).
THROTTLED_READS_PER_MINUTE = 30
#: early-notification: seconds (mock clock) after creation the notification goes out.
EARLY_NOTICE = 0.5
#: checkout-pending-briefly: seconds (mock clock) a checkout's payment reads pending after the redirect.
CHECKOUT_PENDING_FOR = 2.0


@dataclass(frozen=True)
class Variant:
    """One freedom the docs leave open, and the choice this variant makes there.

    ``source`` is the public documentation page that leaves it open; ``settings`` are the
    MockConfig values the variant needs (seconds on the mock's clock).
    """

    name: str
    freedom: str
    source: str
    settings: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


_ALL = (
    # --- Overpay: the task and its URLs ------------------------------------------------
    Variant("numeric-request-ids",
            "request_id format is not specified (the docs show UUIDs and \"10203\"): "
            "request ids are short numeric strings.", OVERPAY_ASYNC),
    Variant("url-layout",
            "status_url and response_url are whatever the task answer says: they are "
            "/async/tasks/{id} and /async/tasks/{id}/result on the same origin.", OVERPAY_ASYNC),
    Variant("processing-202",
            "the HTTP code of the task answer and of processing answers is not documented: "
            "both are 202 Accepted.", OVERPAY_ASYNC),
    Variant("processing-425",
            "the HTTP code of a processing answer is not documented: response_url answers "
            "425 {status: processing} while the task runs, as beGateway's own client tests do.",
            OVERPAY_ASYNC),
    Variant("status-delivers-result",
            "a result may be \"requested from status_url or response_url\": once done, "
            "status_url answers the result itself, and a one-time error goes to whichever URL "
            "asks first (still once across both).", OVERPAY_ASYNC),
    Variant("short-retention",
            "retention is 24 h on the live gateway but a sandbox's is not documented: results "
            "are kept 6 s, tasks take 2.5-3 s (the profile is told).", OVERPAY_ASYNC,
            MappingProxyType({"retention": 6.0, "processing_delay": 2.5,
                              "processing_delay_max": 3.0})),
    Variant("task-failure-503",
            "a failed task's {message} answer is documented only as not 200: it is HTTP 503.",
            OVERPAY_ASYNC),
    # --- Overpay: answers ----------------------------------------------------------------
    Variant("extra-fields",
            "the docs warn new fields may appear at any time: every JSON answer (task, status, "
            "result, transaction and its sub-objects, unknown, OPP payment/status/errors) "
            "carries undocumented fields.", OVERPAY_STATUSES),
    Variant("charset-and-key-order",
            "Content-Type parameters and JSON key order are not specified: answers say "
            "application/json; charset=utf-8 and list their keys in reverse order.",
            OVERPAY_ASYNC),
    Variant("validation-400",
            "the validation-error code is not documented (the client expects 422, live "
            "traffic shows 400): validation errors answer HTTP 400.", OVERPAY_ASYNC),
    Variant("validation-wrapped",
            "some errors come wrapped: validation-error bodies are "
            "{\"response\": {\"message\", \"errors\"}}.", OVERPAY_STATUSES),
    Variant("odd-echoes",
            "the docs give no format for what the gateway echoes of input outside the "
            "documented formats: an odd card (number \"-1.594\" or \"\", exp_month false) or "
            "billing_address false is declined (failed) and echoed as received.",
            OVERPAY_STATUSES),
    Variant("mixed-timestamps",
            "timestamp spelling is not specified: one transaction spells them ...Z and "
            "...+00:00, unused fields are null, OPP timestamps carry milliseconds.",
            OVERPAY_STATUSES),
    Variant("throttles",
            "\"On HTTP 429, back off and retry\": the first Overpay POST of every "
            f"{THROTTLE_EVERY}, and one task status or result read of every {THROTTLE_EVERY}, answers "
            "429 with Retry-After: 1; OPP status reads beyond "
            f"{THROTTLED_READS_PER_MINUTE} a minute per payment answer 429 800.120.100 "
            "(the profile is told the rate).", OVERPAY_ASYNC,
            MappingProxyType({"status_reads_per_minute": THROTTLED_READS_PER_MINUTE})),
    Variant("v2-only",
            "X-API-Version is optional and v2 is the default shape (the only one the async page "
            "shows; many white-label deployments run it alone): the gateway speaks v2 only and "
            "ignores X-API-Version: 3 (its effective api_versions are [2]).", OVERPAY_API_V3),
    # --- Overpay: captures and voids ----------------------------------------------------
    Variant("capture-above-authorized-fails",
            "the docs do not say what a capture above the amount the authorization has left "
            "gets: it is a failed capture transaction (HTTP 200), not a refused request.",
            OVERPAY_CAPTURE),
    Variant("second-void-fails",
            "the docs do not say what a second void of an authorization gets: it is a failed "
            "void transaction (HTTP 200), not a refused request.", OVERPAY_VOID),
    Variant("parent-shows-children",
            "the docs do not say what a transaction's uid query shows after its captures, voids "
            "or refunds: its amount reads what is left (an authorization less its captures and "
            "voids, a payment less its refunds).", OVERPAY_REFUND),
    # --- deliveries ----------------------------------------------------------------------
    Variant("duplicate-deliveries",
            "webhooks and notifications may be delivered more than once, header names in any "
            "case: every webhook and notification is sent twice, header names in lower case.",
            OPP_NOTIFICATIONS),
    Variant("early-notification",
            "a notification says only that the status changed: it is sent while the payment "
            "is still pending (000.200.000), and the payment turns final later without "
            "another notification.", OPP_NOTIFICATIONS),
    Variant("plain-resource-path",
            "the notification's query encoding is not specified beyond the template "
            "?id={id}&resourcePath={resourcePath}: resourcePath's slashes are not "
            "percent-encoded.", OPP_NOTIFICATIONS),
    Variant("checkout-notifies-payment",
            "for a COPYandPAY checkout the docs do not say which resource the notification names: "
            "it names the payment, id={paymentId}&resourcePath=/v1/payments/{paymentId}, not the "
            "checkout (python -m asyncpay.mock --checkout-notification payment).", OPP_NOTIFICATIONS),
    # --- COPYandPAY and webhook payloads as real test systems answer --------------------
    Variant("checkout-pending-briefly",
            "the docs do not say when a checkout's payment turns final: after the shopper's "
            f"redirect it reads pending (000.200.000) for {CHECKOUT_PENDING_FOR:g} s, then final "
            "(one notification, when final).", OPP_COPYANDPAY),
    Variant("checkout-pending-without-id",
            "the answer of a checkout status read while its payment is pending is not documented: "
            "it carries only result (000.200.000), buildNumber, timestamp and ndc, no id, as two "
            "white-label test systems answer.", OPP_COPYANDPAY),
    Variant("webhook-redirect-without-url",
            "the docs show redirect {url, parameters} for a payment waiting for 3-D Secure but do "
            "not promise it in a webhook payload: encrypted webhooks carry "
            "redirect {\"parameters\": []} without url, as a test system sends.", OPP_WEBHOOKS),
)

VARIANTS: dict[str, Variant] = {variant.name: variant for variant in _ALL}


def expand_variant_names(names: Iterable[str]) -> list[str]:
    """The names with ``all`` replaced by every variant; duplicates dropped, order kept."""
    out: list[str] = []
    for name in names:
        for one in (sorted(VARIANTS) if name == ALL else [name]):
            if one not in out:
                out.append(one)
    return out


def check_variant_names(names: Iterable[str]) -> None:
    """Raise ValueError naming every unknown variant and listing the known ones."""
    unknown = [name for name in names if name not in VARIANTS and name != ALL]
    if unknown:
        raise ValueError(f"unknown mock variant(s): {', '.join(unknown)}; "
                         f"known: {', '.join(sorted(VARIANTS))} (or {ALL})")


class VariantSwitches:
    """The variants switched on for one mock instance.

    Asking about a name not in VARIANTS raises KeyError, so a misspelt switch in the mock fails
    the first test that reaches it instead of silently staying off.
    """

    def __init__(self, names: Iterable[str]) -> None:
        names = list(names)
        check_variant_names(names)
        self._on = frozenset(expand_variant_names(names))

    def on(self, name: str) -> bool:
        if name not in VARIANTS:
            raise KeyError(f"no mock variant {name!r}")
        return name in self._on

    @property
    def names(self) -> list[str]:
        return sorted(self._on)
