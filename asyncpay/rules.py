"""Every documented rule asyncpay checks, in one place.

Suites name the rule they check (``@pytest.mark.rule("overpay.error-once")``), violations
carry its id, the check functions in :mod:`asyncpay.checks` are registered under it, the mock's
fault switches say which rule each one breaks, and the reports give a verdict per rule.
``text`` restates the documentation; ``source`` is the public page it comes from.

``python -m asyncpay.tools.rulemap`` prints every rule with its check functions and the suite tests
that exercise it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """One documented rule: ``id`` (``gateway.name``), ``text`` (the documented sentence),
    ``source`` (the public URL it comes from)."""

    id: str
    gateway: str  # "overpay", "opp", "transport" or "merchant"
    text: str
    source: str


#: The public pages the rules come from.
OVERPAY_ASYNC = "https://docs.overpay.io/en/integration/card_api/asynchronous/"
OVERPAY_STATUSES = "https://docs.overpay.io/en/integration/card_api/statuses/"
OVERPAY_QUERIES = "https://docs.overpay.io/en/integration/apm_api/transactions/status_query"
OVERPAY_WEBHOOKS = "https://docs.overpay.io/en/dev_tools/webhooks/"
OVERPAY_AUTH = "https://docs.bepaid.by/en/using_api/id_key/"
OVERPAY_V3 = "https://docs.overpay.io/en/reference/api_v3/"
#: Request headers (Content-Type, Accept, X-API-Version, RequestID) and HTTP 429 handling.
OVERPAY_REQUESTS = OVERPAY_AUTH
#: The card API's child transactions (Overpay's pages are the same, word for word, as bePaid's).
OVERPAY_CAPTURE = "https://docs.bepaid.by/en/integration/card_api/transactions/capture/"
OVERPAY_VOID = "https://docs.bepaid.by/en/integration/card_api/transactions/void/"
OVERPAY_REFUND = "https://docs.bepaid.by/en/integration/card_api/transactions/refund/"
OPP_ASYNC = "https://docs.oppwa.com/tutorials/manage-payments/async-notifications"
OPP_PARAMETERS = "https://paynt.docs.oppwa.com/reference/parameters"
OPP_RESULT_CODES = "https://vr-pay-ecommerce.docs.oppwa.com/reference/resultCodes"
OPP_WEBHOOKS = "https://hyperpay.docs.oppwa.com/tutorials/webhooks"
OPP_COPYANDPAY = "https://peachpayments.docs.oppwa.com/widget"
HTTP_SEMANTICS = "https://www.rfc-editor.org/rfc/rfc9110"
HTTP_CONTENT_TYPE = "https://www.rfc-editor.org/rfc/rfc9110#name-content-type"
WEB_ORIGIN = "https://www.rfc-editor.org/rfc/rfc6454"

_SEED_OP = OVERPAY_ASYNC
_SEED_OPP = OPP_ASYNC
_DESIGN = HTTP_SEMANTICS

_ALL = [
    # --- transport: what every answer must be before any contract applies -------------
    Rule("transport.answers", "transport",
         "Every request gets a complete HTTP answer within the profile's request timeout, "
         "without a connection reset and within the response size limit.", _DESIGN),
    Rule("transport.json-content-type", "transport",
         "A JSON answer is labelled Content-Type: application/json (parameters such as charset "
         "allowed; any +json media type too).", HTTP_CONTENT_TYPE),
    Rule("transport.no-redirect", "transport",
         "The gateway answers API requests directly; a 3xx redirect is never followed "
         "(it could carry credentials to another host).", _DESIGN),
    # --- Overpay asynchronous tasks ----------------------------------------------------
    Rule("overpay.task-answer", "overpay",
         "POST /async/transactions/... answers (2xx) with the task: status \"processing\", "
         "request_id, status_url, response_url.", _SEED_OP),
    Rule("overpay.urls-on-gateway", "overpay",
         "status_url and response_url are on the gateway's own origin; the harness never "
         "sends credentials anywhere else.", WEB_ORIGIN),
    Rule("overpay.status-shape", "overpay",
         "status_url answers {status: processing, request_id}, {status: completed, request_id, "
         "response_url}, 404 {status: unknown, request_id}, or a non-200 {message}.", _SEED_OP),
    Rule("overpay.completes", "overpay",
         "A task moves from processing to completed within the profile's processing bound.",
         _SEED_OP),
    Rule("overpay.no-going-back", "overpay",
         "Once a task reads completed (or its result was delivered) it never reads processing "
         "again.", _SEED_OP),
    Rule("overpay.result-shape", "overpay",
         "Once the task is done, response_url answers the standard synchronous response: "
         "{transaction: {...}} or an error {message, errors}.", _SEED_OP),
    Rule("overpay.result-matches-request", "overpay",
         "The result answers the request that created the task: same type, amount, currency "
         "and tracking_id.", _SEED_OP),
    Rule("overpay.result-stable", "overpay",
         "A result with HTTP 200 reads the same on every request within its retention.",
         _SEED_OP),
    Rule("overpay.unknown-404", "overpay",
         "A request_id not in the system answers HTTP 404 {status: unknown, request_id} on "
         "the status and the result URL.", _SEED_OP),
    Rule("overpay.retention-kept", "overpay",
         "A result with HTTP 200 stays available for 24 hours from the creation of the task.",
         _SEED_OP),
    Rule("overpay.retention-expiry", "overpay",
         "24 hours after the creation of the task, both URLs answer 404 {status: unknown, "
         "request_id}.", _SEED_OP),
    Rule("overpay.error-once", "overpay",
         "A result with an HTTP code other than 200 (e.g. a 422 validation error) is returned "
         "once; every later request answers 404 {status: unknown, request_id}.", _SEED_OP),
    Rule("overpay.task-failure-once", "overpay",
         "A failed task answers {message} with a code other than 200, once; every later "
         "request answers 404 {status: unknown, request_id}.", _SEED_OP),
    Rule("overpay.incomplete-final", "overpay",
         "An incomplete transaction carries redirect_url to /process/{uid}; its final state "
         "is read with the tracking_id status query.", OVERPAY_STATUSES),
    Rule("overpay.tracking-query", "overpay",
         "GET /v2/transactions/tracking_id/{tracking_id} answers {transactions: [...]} with "
         "the matching transactions ([] when none).", OVERPAY_QUERIES),
    Rule("overpay.uid-query", "overpay",
         "GET /transactions/{uid} answers {transaction: {...}} for the transaction's uid.",
         OVERPAY_QUERIES),
    Rule("overpay.auth-required", "overpay",
         "Requests without valid HTTP Basic credentials (shop id, secret key) are refused.",
         OVERPAY_AUTH),
    Rule("overpay.webhook", "overpay",
         "With notification_url, the gateway POSTs the transaction JSON there, authenticated "
         "by HTTP Basic or a Content-Signature (RSA-SHA256), carrying the same transaction as "
         "the task's result.", OVERPAY_WEBHOOKS),
    Rule("overpay.contract", "overpay",
         "Every answer to a generated request conforms to its documented schema.", OVERPAY_ASYNC),
    Rule("overpay.invalid-rejected", "overpay",
         "A request that breaks a documented constraint is refused: synchronously with an "
         "error, or as a task whose result is a non-200 error delivered once.", OVERPAY_ASYNC),
    Rule("overpay.idempotent-request", "overpay",
         "A request carrying a RequestID header is idempotent for 24 hours: repeating it with "
         "the same RequestID creates no second transaction (the repeat names the same task, or "
         "a task whose result is the same transaction); another RequestID is a new request.",
         OVERPAY_REQUESTS),
    Rule("overpay.api-version", "overpay",
         "X-API-Version: 3 gets the v3 answers (the transaction flattened: uid, code, "
         "friendly_message, status, payment_method at the top level; code 8010 for a created "
         "asynchronous transaction); without the header the classic v2 shape is the default.",
         OVERPAY_V3),
    # --- Overpay: captures, voids and refunds of an earlier transaction --------------
    Rule("overpay.child-completes", "overpay",
         "A capture, void or refund sent to /async/transactions/{captures|voids|refunds} is an "
         "asynchronous task like any other: it moves from processing to completed within the "
         "profile's processing bound.", _SEED_OP),
    Rule("overpay.child-amount", "overpay",
         "A capture, void or refund is made for the amount requested (\"amount: A transaction "
         "amount ... in minimal currency units\"): its transaction, and its type sub-object, carry "
         "that amount.", OVERPAY_CAPTURE),
    Rule("overpay.child-parent", "overpay",
         "A capture, void or refund refers to the transaction named by parent_uid (\"A UID of the "
         "authorization transaction\", \"A UID of the payment or capture transaction\"): its "
         "transaction names that parent, never another.", OVERPAY_REFUND),
    Rule("overpay.refund-reason", "overpay",
         "A refund requires reason (\"reason * required: A note why a refund was made\"): a refund "
         "without it is refused, synchronously or as a non-200 error result delivered once.",
         OVERPAY_REFUND),
    Rule("overpay.child-duplicate", "overpay",
         "With duplicate_check (default true) \"requests with the same parent_uid and amount within "
         "30 seconds will be rejected\": the repeat is refused, synchronously or as a non-200 error "
         "result delivered once.", OVERPAY_REFUND),
    # --- Open Payment Platform -------------------------------------------------------
    Rule("opp.payment-answer", "opp",
         "POST /v1/payments answers a documented payment: 32-hex id, result.code ddd.ddd.ddd, "
         "amount and currency as requested.", OPP_PARAMETERS),
    Rule("opp.result-code-documented", "opp",
         "Every result.code is well-formed and falls in a documented result-code group.",
         OPP_RESULT_CODES),
    Rule("opp.validation-error", "opp",
         "Invalid parameters answer HTTP 400 with result.code 200.300.404 and "
         "result.parameterErrors.", OPP_PARAMETERS),
    Rule("opp.notification-arrives", "opp",
         "A notification arrives at notificationUrl for the payment's status change.",
         _SEED_OPP),
    Rule("opp.notification-get", "opp",
         "The notification is an HTTP GET {notificationUrl}?id={id}&resourcePath={path}.",
         _SEED_OPP),
    Rule("opp.notification-id", "opp",
         "The notification's id is the payment's id.", _SEED_OPP),
    Rule("opp.resource-path", "opp",
         "resourcePath is a path starting with / relative to the platform's server; it never "
         "leads off the configured server (and is never followed if it does).", _SEED_OPP),
    Rule("opp.status-read", "opp",
         "GET {server}{resourcePath}?entityId=… with the bearer token answers the payment's "
         "status: same id, amount, currency, brand and type.", _SEED_OPP),
    Rule("opp.final-state", "opp",
         "A pending payment reaches a final result within the profile's bound, and a "
         "notification tells of it.", OPP_RESULT_CODES),
    Rule("opp.shopper-result-fallback", "opp",
         "Without notificationUrl the notification is sent to shopperResultUrl.", _SEED_OPP),
    Rule("opp.auth-required", "opp",
         "A status read without the bearer token is refused (401, 800.900.300).", OPP_PARAMETERS),
    Rule("opp.entity-required", "opp",
         "A status read without entityId is refused.", OPP_PARAMETERS),
    Rule("opp.contract", "opp",
         "Every answer to a generated request conforms to its documented schema.", OPP_PARAMETERS),
    # --- Open Payment Platform: COPYandPAY checkouts ---------------------------------
    Rule("opp.checkout-answer", "opp",
         "POST /v1/checkouts answers HTTP 200 with result.code 000.200.100 and the checkout id "
         "(32 hex characters, a dot and a host tag, e.g. 0033E3B0DA7F4867166FCB43FBB0FF0F.uat01-vm-tx04).",
         OPP_COPYANDPAY),
    Rule("opp.checkout-redirect", "opp",
         "After the shopper paid, the shopper is sent to {shopperResultUrl}?id={checkoutId}"
         "&resourcePath=%2Fv1%2Fcheckouts%2F{checkoutId}%2Fpayment, keeping the parameters already "
         "in shopperResultUrl; resourcePath decodes (once) to /v1/checkouts/{checkoutId}/payment.",
         OPP_COPYANDPAY),
    Rule("opp.checkout-notification", "opp",
         "A paid checkout is notified: GET {notificationUrl}?id=…&resourcePath=… naming the checkout "
         "(/v1/checkouts/{checkoutId}/payment) or its payment (/v1/payments/{paymentId}), with the "
         "checkout's or the payment's id.", _SEED_OPP),
    Rule("opp.checkout-status", "opp",
         "GET {server}/v1/checkouts/{checkoutId}/payment?entityId=… with the bearer token answers the "
         "checkout's payment once the shopper paid (id the payment's 32-hex id; amount, currency and "
         "merchantTransactionId as sent), and never a successful payment before.", OPP_COPYANDPAY),
    Rule("opp.checkout-session-error", "opp",
         "A status read of an unknown or expired checkout answers HTTP 400 with result.code "
         "200.300.404 (\"No payment session found for the requested id\").", OPP_COPYANDPAY),
    Rule("opp.checkout-lifetime", "opp",
         "A checkout expires when a payment on it succeeds, and not later than 30 minutes after its "
         "creation: a new payment on it is then refused, and after the 30 minutes a status read "
         "answers 200.300.404.", OPP_COPYANDPAY),
    Rule("opp.checkout-throttle", "opp",
         "Status reads of a checkout are throttled (9 a minute per checkout on live systems): a "
         "throttled read answers HTTP 429 with result.code 800.120.100.", OPP_COPYANDPAY),
    Rule("opp.encrypted-webhook", "opp",
         "An encrypted webhook decrypts (AES-256-GCM, IV and tag in headers) to {type, action, "
         "payload} with the payment.", OPP_WEBHOOKS),
    # --- one timeline per transaction: every channel agrees ---------------------------
    Rule("overpay.final-state", "overpay",
         "successful and failed are final transaction statuses: once a transaction reads as one "
         "of them on any channel (result, status query, webhook), no channel reports another "
         "status for it.", OVERPAY_STATUSES),
    Rule("opp.final-result-kept", "opp",
         "Only pending result codes (000.200, 800.400.5, 100.400.500) change; once a payment "
         "reads with a final result code, no later status read or notification shows another "
         "outcome for it.", OPP_RESULT_CODES),
    # --- merchant: what the docs ask of the merchant's own shop (asyncpay plays the platform) ---
    Rule("merchant.status-origin", "merchant",
         "The merchant reads the status only at {its configured server}{resourcePath}?entityId=… with "
         "its own token: the notification carries no data, so it cannot be spoofed provided the "
         "merchant only ever calls its configured server (and follows Overpay's status_url and "
         "response_url only on the gateway).", OPP_ASYNC),
    Rule("merchant.reads-status", "merchant",
         "On a notification the merchant answers it (HTTP 2xx) and reads the payment's status with "
         "GET {server}{resourcePath}?entityId=…; an Overpay webhook is answered 200, otherwise it is "
         "retried with growing delays.", OPP_ASYNC),
    Rule("merchant.refuses-forged", "merchant",
         "The merchant checks a webhook's authenticity — HTTP Basic with its shop id and secret key, "
         "or the Content-Signature RSA signature over the raw body — and acts on no delivery that "
         "fails it.", OVERPAY_WEBHOOKS),
    Rule("merchant.fulfils-once", "merchant",
         "Webhooks and notifications are delivered more than once and out of order: the merchant "
         "fulfils an order once (no second capture, refund or void) and a failed attempt's delivery "
         "never undoes a successful payment.", OVERPAY_WEBHOOKS),
    Rule("merchant.honours-throttle", "merchant",
         "On HTTP 429 the merchant backs off and retries no sooner than Retry-After says.",
         OVERPAY_REQUESTS),
    Rule("merchant.same-request-id", "merchant",
         "A repeated request (after a timeout, a 5xx or a 429) carries the same RequestID as the "
         "first, which makes it idempotent for 24 hours; a new RequestID makes it a new request.",
         OVERPAY_REQUESTS),
    Rule("merchant.spaces-status-reads", "merchant",
         "Status reads are throttled on live systems (GET /v1/payments/{id}: 2 a minute per payment, "
         "800.120.100 when exceeded): the merchant spaces its reads, and repeated notifications of a "
         "settled payment do not each cost one.", OPP_ASYNC),
    Rule("merchant.one-time-result", "merchant",
         "A result with any HTTP code other than 200 (a validation error, a failed task) is returned "
         "once; every later request gets 404 unknown: the shop keeps what that one read told it.",
         OVERPAY_ASYNC),
    Rule("merchant.result-retention", "merchant",
         "A result with HTTP 200 stays available for 24 hours from the creation of the task; after "
         "that every request gets 404 unknown: the shop does not depend on it, so a webhook that "
         "arrives later (retries go on for about 36 hours) still settles the order.", OVERPAY_ASYNC),
    Rule("merchant.checkout-expired", "merchant",
         "A checkout id expires when a payment has been finalized successfully by user, but not later "
         "than 30 minutes: the shop takes the outcome from the status read, so a shopper who comes "
         "back after the checkout expired without paying has not paid.", OPP_COPYANDPAY),
]

RULES: dict[str, Rule] = {rule.id: rule for rule in _ALL}


def rule(rule_id: str) -> Rule:
    """Look a rule up by id; an unknown id is a harness bug."""
    try:
        return RULES[rule_id]
    except KeyError:
        raise KeyError(f"no documented rule {rule_id!r}; known: {sorted(RULES)}") from None

