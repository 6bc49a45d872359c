"""Checks of the Open Payment Platform's payments and async notifications (Server-to-Server).

The notification carries no payment data: the merchant reads the status from ``resourcePath``
on its own configured server. Source: https://docs.oppwa.com/tutorials/manage-payments/async-notifications
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, NoReturn

from asyncpay.checks import check
from asyncpay.errors import ContractViolation
from asyncpay.schemas import contracts

if TYPE_CHECKING:
    from asyncpay.http.client import Answer, GatewayClient
    from asyncpay.waiting.receiver import ReceivedRequest


def amounts_equal(a: Any, b: Any) -> bool:
    """Whether two OPP amounts are the same number ("92.00" and "92" are)."""
    try:
        return Decimal(str(a)) == Decimal(str(b))
    except (InvalidOperation, ValueError):
        return False


def _mismatched(body: Mapping[str, Any], want: Mapping[str, str]) -> set[str]:
    """Fields of ``want`` the body contradicts (a field the answer leaves out contradicts nothing)."""
    out = {k for k in want if k != "amount" and body.get(k) is not None and body.get(k) != want[k]}
    if "amount" in want and body.get("amount") is not None and not amounts_equal(body.get("amount"), want["amount"]):
        out.add("amount")
    return out


def _same(rule: str, body: Mapping[str, Any], want: Mapping[str, str], what: str) -> None:
    mismatched = _mismatched(body, want)
    if mismatched:
        raise ContractViolation(rule, f"the {what} does not match the payment",
                                expected={k: want[k] for k in sorted(mismatched)},
                                received={k: body.get(k) for k in sorted(mismatched)})


def _payment_fields(form: Mapping[str, str]) -> dict[str, str]:
    return {k: form[k] for k in ("amount", "currency", "paymentBrand", "paymentType") if k in form}


@check("opp.result-code-documented")
def result_code_documented(code: Any, what: str) -> contracts.ResultCodeGroup:
    """Every result.code is ddd.ddd.ddd and falls in a documented result-code group."""
    group = contracts.classify_result_code(code) if isinstance(code, str) else None
    if group is None:
        raise ContractViolation("opp.result-code-documented", f"the {what} has an undocumented result code",
                                expected="ddd.ddd.ddd in a documented result-code group", received=code)
    return group


@check("opp.payment-answer")
def payment_answer(answer: Answer, form: Mapping[str, str]) -> dict[str, Any]:
    """POST /v1/payments of a valid payment answers HTTP 200 with the documented payment."""
    if answer.status_code != 200:
        raise ContractViolation("opp.payment-answer", "POST /v1/payments of a valid payment was not processed",
                                expected="HTTP 200 with a payment (declines are 200 too)",
                                received=answer.summary())
    contracts.check("opp/payment", answer.json, rule="opp.payment-answer", what="payment answer")
    body = dict(answer.json)
    if str((body.get("result") or {}).get("code", "")).startswith("000.200") and body.get("redirect"):
        # Waiting for the shopper's 3-D Secure: the documented pending answer with its redirect.
        contracts.check("opp/payment-pending", body, rule="opp.payment-answer", what="pending payment answer")
    _same("opp.payment-answer", body, _payment_fields(form), "payment answer")
    return body


@check("opp.validation-error")
def validation_error(answer: Answer, form: Mapping[str, str]) -> None:
    """Invalid parameters answer HTTP 400, result.code 200.300.404 with parameterErrors."""
    if answer.status_code != 400:
        raise ContractViolation("opp.validation-error", f"amount {form.get('amount')!r} was not refused",
                                expected="HTTP 400 with result.code 200.300.404", received=answer.summary())
    contracts.check("opp/error", answer.json, rule="opp.validation-error", what="validation error answer")
    result = answer.json["result"]
    if result["code"] != "200.300.404" or not result.get("parameterErrors"):
        raise ContractViolation("opp.validation-error", "the refusal is not the documented validation error",
                                expected={"code": "200.300.404", "parameterErrors": "[{name, value, message}]"},
                                received=result)


@check("opp.validation-error")
def breach_refused(breach: str, answer: Answer) -> None:
    """A generated payment that breaks a documented constraint is not processed."""
    if answer.status_code == 200:
        raise ContractViolation("opp.validation-error", f"an invalid payment was processed: {breach}",
                                expected="HTTP 400 with result.code 200.300.404", received=answer.summary())


@check("opp.contract")
def generated_answer(answer: Answer) -> None:
    """A generated payment gets a documented payment (200) or a documented refusal (4xx)."""
    if answer.status_code == 200:
        contracts.check("opp/payment", answer.json, rule="opp.contract", what="answer to a generated payment")
    elif 400 <= answer.status_code < 500 and answer.status_code not in (401, 403):
        contracts.check("opp/error", answer.json, rule="opp.contract", what="refusal of a generated payment")
    else:
        raise ContractViolation("opp.contract", "a generated payment got an undocumented answer",
                                expected="HTTP 200 (payment) or 400 (invalid parameters)", received=answer.summary())


@check("opp.notification-arrives")
def notification_arrives(describe: str, timeout: float, arrived: object) -> NoReturn:
    """A notification arrives at notificationUrl within the profile's notification_timeout."""
    raise ContractViolation("opp.notification-arrives", f"{describe} never arrived",
                            expected=f"{describe} within {timeout:g} s", received=f"what did arrive: {arrived}",
                            hint="check that the gateway can reach the receiver ([receiver] public_url)")


@check("opp.shopper-result-fallback")
def shopper_result_fallback(describe: str, timeout: float, arrived: object) -> NoReturn:
    """Without notificationUrl, the notification arrives at shopperResultUrl."""
    raise ContractViolation("opp.shopper-result-fallback", f"{describe} never arrived at shopperResultUrl",
                            expected=f"{describe} within {timeout:g} s", received=f"what did arrive: {arrived}")


@check("opp.notification-get")
def notification_get(request: ReceivedRequest) -> dict[str, str]:
    """The notification is GET {notificationUrl}?id={id}&resourcePath={resourcePath}."""
    if request.method != "GET":
        raise ContractViolation("opp.notification-get", "the notification is not a GET",
                                expected="GET {notificationUrl}?id={id}&resourcePath={resourcePath}",
                                received={"method": request.method, "query": request.raw_query[:200]})
    query = {"id": request.param("id"), "resourcePath": request.param("resourcePath")}
    if query["id"] is None or query["resourcePath"] is None:
        raise ContractViolation("opp.notification-get", "the notification lacks id or resourcePath",
                                expected="?id={id}&resourcePath={resourcePath}",
                                received={"query": request.raw_query[:200]})
    return {"id": str(query["id"]), "resourcePath": str(query["resourcePath"])}


@check("opp.notification-id")
def notification_id(query: Mapping[str, str], ids: tuple[str, ...]) -> None:
    """The notification's id names the payment (or, for a checkout, the checkout or its payment)."""
    if query["id"] not in ids:
        raise ContractViolation("opp.notification-id", "the notification names another payment",
                                expected={"id": " or ".join(ids)}, received={"id": query["id"]})


@check("opp.resource-path")
def resource_path(client: GatewayClient, path: str) -> str:
    """resourcePath is a path starting with "/" on the configured server; anything that would
    leave it (a full URL, //host, a backslash) is a violation and is never requested."""
    contracts.check("opp/notification-query", {"id": "x", "resourcePath": path}, rule="opp.resource-path",
                    what="notification resourcePath")
    client.resolve(path, rule="opp.resource-path", what="resourcePath")
    return path


@check("opp.status-read")
def status_read(answer: Answer, form: Mapping[str, str], payment_id: str, resource: str) -> dict[str, Any]:
    """GET {server}{resourcePath}?entityId=… answers 200 with this payment's status."""
    if answer.status_code != 200:
        raise ContractViolation("opp.status-read", f"reading {resource} was not answered 200",
                                expected="HTTP 200 with the payment's status", received=answer.summary())
    contracts.check("opp/status", answer.json, rule="opp.status-read", what=f"status read of {resource}")
    body = dict(answer.json)
    if body.get("id") != payment_id:
        raise ContractViolation("opp.status-read", "the status read answers another payment",
                                expected={"id": payment_id}, received={"id": body.get("id")})
    _same("opp.status-read", body, _payment_fields(form), "status read")
    return body


@check("opp.status-read")
def status_not_throttled_forever(resource: str, answer: Answer) -> NoReturn:
    """Status reads, spaced and backing off as the platform asks, are answered in the end."""
    raise ContractViolation("opp.status-read", f"status reads of {resource} stayed throttled",
                            expected="a status answer after polite, spaced reads", received=answer.summary())


@check("opp.final-state")
def final_state(payment_id: str, code: str, group: str, waited: float, reads: list[str]) -> NoReturn:
    """A pending payment reaches a final result within the profile's bound (seconds)."""
    raise ContractViolation("opp.final-state", f"payment {payment_id} is still pending after {waited:g} s",
                            expected="a final result (and a notification of the change)",
                            received={"result.code": code, "group": group, "reads": reads[-6:]})


@check("opp.auth-required")
def auth_required(answer: Answer) -> None:
    """A status read without the bearer token is refused (401, 800.900.300)."""
    if answer.status_code not in (401, 403):
        raise ContractViolation("opp.auth-required", "a status read without the bearer token was answered",
                                expected="HTTP 401 (800.900.300)", received=answer.summary())


@check("opp.entity-required")
def entity_required(answer: Answer) -> None:
    """A status read without entityId is refused (4xx)."""
    if answer.status_code < 400 or answer.status_code >= 500:
        raise ContractViolation("opp.entity-required", "a status read without entityId was answered",
                                expected="HTTP 400/403 refusing the read", received=answer.summary())


@check("opp.encrypted-webhook")
def encrypted_webhook_arrives(describe: str, timeout: float, arrived: object) -> NoReturn:
    """An encrypted webhook arrives for the payment within the notification timeout."""
    raise ContractViolation("opp.encrypted-webhook", f"{describe} never arrived",
                            expected=f"{describe} within {timeout:g} s", received=f"what did arrive: {arrived}")


@check("opp.encrypted-webhook")
def encrypted_webhook(body: bytes, headers: Mapping[str, str], secret_hex: str, payment_id: str) -> dict[str, Any]:
    """The webhook decrypts (AES-256-GCM, IV and tag in headers) to {type, action, payload} of the payment."""
    from asyncpay.wire import webhooks

    try:
        plaintext = webhooks.decrypt_opp_webhook(body, headers, secret_hex)
    except webhooks.WebhookError as exc:
        raise ContractViolation("opp.encrypted-webhook", "the encrypted webhook does not decrypt",
                                expected="AES-256-GCM with the shared secret, IV and tag from the headers",
                                received=str(exc)) from None
    contracts.check("opp/webhook", plaintext, rule="opp.encrypted-webhook", what="decrypted webhook")
    got = (plaintext.get("payload") or {}).get("id")
    if got != payment_id:
        raise ContractViolation("opp.encrypted-webhook", "the webhook is about another payment",
                                expected={"payload.id": payment_id}, received={"payload.id": got})
    return dict(plaintext)
