"""The mock's fault switches: each one breaks exactly one documented rule and nothing else.

A fault is switched on by name (``MockConfig(faults=["stuck-processing"])`` or
``python -m asyncpay.mock --fault stuck-processing``). The mutation matrix runs the suites
against the mock once per fault and expects the suite for ``Fault.rule`` to fail.

>>> FAULTS["stuck-processing"].rule
'overpay.completes'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Fault:
    """One way the mock can misbehave: ``rule`` is the id (in ``asyncpay.rules.RULES``) it breaks."""

    name: str
    rule: str
    description: str


_ALL = (
    # --- Overpay: the task answer and its URLs --------------------------------------------
    Fault("task-without-status-url", "overpay.task-answer",
          "The task answer leaves out status_url."),
    Fault("task-not-processing", "overpay.task-answer",
          "The task answer says status \"pending\" instead of \"processing\"."),
    Fault("status-url-off-origin", "overpay.urls-on-gateway",
          "status_url and response_url point at http://127.0.0.2 (same port): another origin."),
    # --- Overpay: status reads ----------------------------------------------------------
    Fault("completed-without-response-url", "overpay.status-shape",
          "A completed status answer leaves out response_url."),
    Fault("stuck-processing", "overpay.completes",
          "Tasks never complete: both URLs answer processing until the task expires."),
    Fault("completed-goes-back", "overpay.no-going-back",
          "After the first completed status read, the next status read says processing (once)."),
    # --- Overpay: the result ------------------------------------------------------------
    Fault("result-amount-mismatch", "overpay.result-matches-request",
          "Transactions record the requested amount plus one (result, queries and webhook agree)."),
    Fault("result-tracking-id-mismatch", "overpay.result-matches-request",
          "Transactions record another tracking_id than the request's (and are queried by it)."),
    Fault("result-missing-uid", "overpay.result-shape",
          "The transaction in the task's result has no uid."),
    Fault("result-vanishes-after-read", "overpay.retention-kept",
          "A 200 result answers 404 unknown after its first read."),
    Fault("result-changes", "overpay.result-stable",
          "Every read of a 200 result shows a different updated_at."),
    Fault("invalid-amount-accepted", "overpay.invalid-rejected",
          "A request whose amount is not an integer > 0 (or is missing) is processed as valid."),
    Fault("refusal-undocumented", "overpay.contract",
          "Synchronous refusals (body not JSON or not wrapped in \"request\") answer "
          "{\"error\": ...} instead of the documented {message, errors}."),
    # --- Overpay: unknown ids and retention ---------------------------------------------
    Fault("unknown-with-200", "overpay.unknown-404",
          "A request_id never issued answers {status: unknown} with HTTP 200."),
    Fault("unknown-wrong-request-id", "overpay.unknown-404",
          "A request_id never issued answers 404 unknown echoing another request_id."),
    Fault("result-never-expires", "overpay.retention-expiry",
          "200 results stay available forever."),
    Fault("retention-from-completion", "overpay.retention-expiry",
          "Retention is counted from the task's completion instead of its creation."),
    Fault("expires-early", "overpay.retention-kept",
          "200 results vanish at half the retention period (answer 404 unknown from then on)."),
    # --- Overpay: single delivery -------------------------------------------------------
    Fault("error-returned-twice", "overpay.error-once",
          "A one-time error result (e.g. 422) is returned twice before 404 unknown."),
    Fault("error-never-returned", "overpay.error-once",
          "A one-time error result is never returned: the task answers 404 unknown once done."),
    Fault("status-read-consumes-error", "overpay.error-once",
          "A status read of a done task consumes its pending one-time error result."),
    Fault("task-failure-twice", "overpay.task-failure-once",
          "A failed task answers its {message} twice before 404 unknown."),
    # --- Overpay: transactions, queries, auth, webhooks ---------------------------------
    Fault("incomplete-without-redirect", "overpay.incomplete-final",
          "An incomplete transaction's redirect_url points at the gateway's root, not /process/{uid}."),
    Fault("tracking-query-empty", "overpay.tracking-query",
          "The tracking_id query always answers {transactions: []}."),
    Fault("uid-query-not-found", "overpay.uid-query",
          "The uid query answers 404 Record not found for every uid."),
    Fault("request-id-ignored", "overpay.idempotent-request",
          "The RequestID header is ignored: a repeated request creates a second task and transaction."),
    Fault("api-version-ignored", "overpay.api-version",
          "X-API-Version: 3 is ignored: every answer keeps the classic v2 shape."),
    Fault("auth-not-checked", "overpay.auth-required",
          "Overpay API requests are served without checking HTTP Basic credentials."),
    Fault("webhook-without-credentials", "overpay.webhook",
          "Webhooks are sent without HTTP Basic credentials."),
    Fault("webhook-never-sent", "overpay.webhook",
          "No webhook is ever sent."),
    Fault("webhook-other-amount", "overpay.webhook",
          "Webhooks carry the transaction with its amount plus one."),
    # --- Overpay: captures, voids, refunds (child transactions) -------------------------
    Fault("child-stuck-processing", "overpay.child-completes",
          "Capture, void and refund tasks never complete: both URLs answer processing until the "
          "task expires (payments and authorizations still complete)."),
    Fault("capture-amount-mismatch", "overpay.child-amount",
          "Captures record the requested amount plus one (result, queries and webhook agree)."),
    Fault("refund-other-parent", "overpay.child-parent",
          "A refund's transaction names another transaction's uid as its parent_uid."),
    Fault("refund-reason-not-required", "overpay.refund-reason",
          "A refund without reason is processed as valid."),
    Fault("duplicate-refund-accepted", "overpay.child-duplicate",
          "A capture, void or refund repeated with the same parent_uid and amount within 30 s is "
          "processed again, duplicate_check notwithstanding."),
    # --- transport ----------------------------------------------------------------------
    Fault("status-redirects", "transport.no-redirect",
          "Status reads answer 302 with a Location on http://127.0.0.2 (same port)."),
    Fault("result-hangs", "transport.answers",
          "Result reads hang for 30 seconds before answering."),
    Fault("json-labelled-html", "transport.json-content-type",
          "Every JSON answer of both gateways is labelled Content-Type: text/html."),
    # --- OPP: notifications -------------------------------------------------------------
    Fault("notification-never-sent", "opp.notification-arrives",
          "No notification is ever sent."),
    Fault("notification-as-post", "opp.notification-get",
          "Notifications are sent as POST instead of GET."),
    Fault("notification-other-id", "opp.notification-id",
          "Notifications carry an id other than the payment's."),
    Fault("resource-path-absolute", "opp.resource-path",
          "resourcePath is an absolute URL on http://127.0.0.2 (same port)."),
    Fault("resource-path-protocol-relative", "opp.resource-path",
          "resourcePath is a protocol-relative URL: //127.0.0.2:{port}/v1/payments/{id}."),
    Fault("resource-path-no-slash", "opp.resource-path",
          "resourcePath lacks its leading slash: v1/payments/{id}."),
    Fault("no-shopper-fallback", "opp.shopper-result-fallback",
          "Without notificationUrl no notification is sent (no shopperResultUrl fallback)."),
    Fault("encrypted-webhook-bad-tag", "opp.encrypted-webhook",
          "Encrypted webhooks carry an X-Authentication-Tag that does not verify."),
    # --- OPP: payments and status reads -------------------------------------------------
    Fault("status-without-token", "opp.auth-required",
          "Status reads succeed without the bearer token."),
    Fault("status-without-entity", "opp.entity-required",
          "Status reads succeed without entityId."),
    Fault("status-other-amount", "opp.status-read",
          "Status reads show the payment's amount plus 1.00."),
    Fault("never-final", "opp.final-state",
          "Pending payments stay pending forever, even after the shopper's redirect."),
    Fault("undocumented-result-code", "opp.result-code-documented",
          "Successful payments carry result code 123.456.789, in no documented group."),
    Fault("amount-as-number", "opp.contract",
          "Payment answers carry amount as a JSON number instead of the documented string."),
    Fault("invalid-accepted", "opp.validation-error",
          "An invalid amount (e.g. \"92.0\") is accepted and the payment succeeds."),
    Fault("payment-id-not-hex", "opp.payment-answer",
          "Payment ids are dashed UUIDs instead of 32 hex characters."),
    # --- OPP: COPYandPAY checkouts ------------------------------------------------------
    Fault("checkout-without-id", "opp.checkout-answer",
          "The checkout answer leaves out id."),
    Fault("checkout-invalid-accepted", "opp.validation-error",
          "A checkout with an invalid amount (e.g. \"92.0\") is created."),
    Fault("checkout-redirect-without-resource-path", "opp.checkout-redirect",
          "The shopper's redirect back to the shop carries id but no resourcePath."),
    Fault("checkout-notification-never-sent", "opp.checkout-notification",
          "No notification is sent for checkout payments."),
    Fault("checkout-notification-other-payment", "opp.checkout-notification",
          "A checkout's notification names another payment: /v1/payments/{another id}."),
    Fault("checkout-no-shopper-fallback", "opp.shopper-result-fallback",
          "A checkout without notificationUrl is not notified (no shopperResultUrl fallback)."),
    Fault("checkout-resource-path-protocol-relative", "opp.resource-path",
          "A checkout's notification resourcePath is //127.0.0.2:{port}/v1/checkouts/{id}/payment."),
    Fault("checkout-resource-path-absolute", "opp.resource-path",
          "A checkout's notification resourcePath is a full URL on http://127.0.0.2 (same port)."),
    Fault("checkout-unpaid-reads-paid", "opp.checkout-status",
          "Before the shopper paid, the checkout's status read answers a successful payment."),
    Fault("checkout-status-without-token", "opp.auth-required",
          "Checkout status reads succeed without the bearer token."),
    Fault("checkout-unknown-not-found", "opp.checkout-session-error",
          "An unknown checkout id answers 404 700.400.580 instead of 400 200.300.404."),
    Fault("checkout-never-expires", "opp.checkout-lifetime",
          "Checkouts never expire: status reads and payments are served after 30 minutes."),
    Fault("checkout-reuse-after-success", "opp.checkout-lifetime",
          "A checkout stays open after a successful payment: a second payment on it is accepted."),
    Fault("checkout-throttle-not-429", "opp.checkout-throttle",
          "Throttled checkout status reads answer HTTP 400 (with 800.120.100) instead of 429."),
    # --- one timeline per transaction ---------------------------------------------------
    Fault("webhook-contradicts", "overpay.final-state",
          "After a final transaction's webhook, a second webhook for the same uid carries the "
          "other final status (successful <-> failed); the stored transaction does not change."),
    Fault("checkout-result-changes", "opp.final-result-kept",
          "A checkout's successful payment reads as declined (800.100.152) on every status read "
          "after the first one that showed it successful."),
    Fault("v3-status-undocumented", "overpay.api-version",
          "v3 transactions (results and queries) say status \"success\" instead of the "
          "documented \"successful\"."),
)

FAULTS: dict[str, Fault] = {fault.name: fault for fault in _ALL}


def check_fault_names(names: Iterable[str]) -> None:
    """Raise ValueError naming every unknown fault and listing the known ones."""
    unknown = [name for name in names if name not in FAULTS]
    if unknown:
        raise ValueError(f"unknown mock fault(s): {', '.join(unknown)}; "
                         f"known: {', '.join(sorted(FAULTS))}")


class FaultSwitches:
    """The faults switched on for one mock instance.

    Asking about a name not in FAULTS raises KeyError, so a misspelt switch in the mock fails
    the first test that reaches it instead of silently staying off.
    """

    def __init__(self, names: Iterable[str]) -> None:
        names = list(names)
        check_fault_names(names)
        self._on = frozenset(names)

    def on(self, name: str) -> bool:
        if name not in FAULTS:
            raise KeyError(f"no mock fault {name!r}")
        return name in self._on

    @property
    def names(self) -> list[str]:
        return sorted(self._on)

