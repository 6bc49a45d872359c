"""Playing the merchant for the operations that follow a payment: captures, voids and refunds
of an earlier transaction, and the credits and payouts that send money to a card.

Request shapes, from the card API's pages (Overpay's are the same as bePaid's):

* capture, void: ``{"request": {"parent_uid", "amount"}}``
  (https://docs.bepaid.by/en/integration/card_api/transactions/capture/, ``.../void/``);
* refund: ``{"request": {"parent_uid", "amount", "reason"}}``
  (https://docs.bepaid.by/en/integration/card_api/transactions/refund/);
* credit, payout: ``amount``, ``currency``, ``description``, ``tracking_id`` and the card the
  money goes to (``credit_card``: the profile's outcome trigger)
  (https://docs.bepaid.by/en/integration/card_api/transactions/payout/).

Usage (a capture of half an authorization)::

    parent = settled(gateway, "authorizations", rule="overpay.child-amount")
    task = create_child(gateway, "captures", parent, parent["amount"] // 2, rule="overpay.child-amount")
    capture = child_result(gateway, task, parent["uid"], rule="overpay.child-amount")
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from asyncpay.checks import overpay as checks
from asyncpay.checks import overpay_children
from asyncpay.errors import NotVerified
from asyncpay.gateways.overpay.lifecycle import AnswerKind, Outcome, Task
from asyncpay.schemas.api_versions import transaction_of
from asyncpay.schemas.contracts import OVERPAY_TRANSACTION_TYPES

if TYPE_CHECKING:
    from asyncpay.gateways.overpay.merchant import OverpayMerchant
    from asyncpay.http.client import Answer

REASON = "Customer request"
CHILD_OPERATIONS = overpay_children.CHILD_OPERATIONS


def child_request(operation: str, parent_uid: str, amount: int, *, reason: str | None = REASON) -> dict[str, Any]:
    """The documented request of a capture, void or refund of ``parent_uid`` (``amount`` in minor
    units; ``reason`` only for refunds)."""
    request: dict[str, Any] = {"parent_uid": parent_uid, "amount": amount}
    if operation == "refunds" and reason is not None:
        request["reason"] = reason
    return request


def settled(gateway: OverpayMerchant, operation: str, *, rule: str, label: str = "parent") -> dict[str, Any]:
    """A successful payment or authorization (``operation``) to be the parent of a child: its
    transaction, once its task is done. Raises :class:`NotVerified` (``rule``) when the
    profile's successful trigger does not give a successful transaction."""
    gateway.require_operation(operation, rule)
    return settle(gateway, gateway.create(Outcome.SUCCESSFUL, operation=operation, label=label), rule=rule)


def settle(gateway: OverpayMerchant, task: Task, *, rule: str) -> dict[str, Any]:
    """The successful transaction a parent's ``task`` gave, or :class:`NotVerified` (``rule``)."""
    transaction = result_transaction(gateway, task, rule=rule)
    if transaction.get("status") != "successful":
        raise NotVerified(rule, f"the successful trigger gave a {transaction.get('status')!r} {task.operation[:-1]}, "
                          "which no capture, void or refund can follow; set [overpay.outcomes.successful]")
    return transaction


def create_child(gateway: OverpayMerchant, operation: str, parent: Mapping[str, Any], amount: int, *,
                 rule: str, reason: str | None = REASON, label: str = "") -> Task:
    """POST a capture, void or refund of ``parent`` (a transaction) for ``amount``: the task."""
    gateway.require_operation(operation, rule)
    request = child_request(operation, str(parent["uid"]), amount, reason=reason)
    return gateway.create(Outcome.SUCCESSFUL, operation=operation, body=request,
                          label=label or f"{operation[:-1]}-of-{parent['uid']}")


def money_out(gateway: OverpayMerchant, operation: str, *, rule: str, outcome: Outcome = Outcome.SUCCESSFUL) -> Task:
    """POST a credit or payout (``operation``) to the profile's ``outcome`` card: the task."""
    gateway.require_operation(operation, rule)
    return gateway.create(outcome, operation=operation, label=operation[:-1])


def result_transaction(gateway: OverpayMerchant, task: Task, *, rule: str) -> dict[str, Any]:
    """The transaction of ``task``'s 200 result, held to the contract of its type
    (``result-capture``, ``result-refund``...)."""
    answer = gateway.expect(task, gateway.outcome(task), AnswerKind.RESULT, rule=rule)
    type_name = OVERPAY_TRANSACTION_TYPES[task.operation]
    checks.result_shape(answer.json, f"task {task.request_id}", kind=f"result-{type_name}",
                        api_version=gateway.target.api_version)
    return dict(transaction_of(answer.json) or {})


def child_result(gateway: OverpayMerchant, task: Task, parent_uid: str, *, rule: str) -> dict[str, Any]:
    """The child's transaction, held to its contract and to its request: amount as requested,
    ``parent_uid`` naming the parent. Raises :class:`NotVerified` (``rule``) when the gateway
    declined it (a failed child says nothing of the amount it would have been made for)."""
    transaction = result_transaction(gateway, task, rule=rule)
    where = f"the {task.operation[:-1]} of task {task.request_id}"
    overpay_children.child_amount(transaction, task.request, where)
    overpay_children.child_parent(transaction, parent_uid, where)
    if transaction.get("status") != "successful":
        raise NotVerified(rule, f"{where} was {transaction.get('status')!r}, not successful: "
                          "the gateway declined a valid request of the shop's own transaction")
    return transaction


def send(gateway: OverpayMerchant, operation: str, request: dict[str, Any], *, label: str) -> Task | Answer:
    """POST ``request`` where any documented answer is acceptable: the task it created, or the
    synchronous 4xx refusal it got."""
    sent_at = gateway.clock.now()
    answer = gateway.post(f"/async/transactions/{operation}", json_body={"request": request}, label=label)
    if 400 <= answer.status_code < 500 and answer.status_code not in (401, 403, 429):
        return answer
    return gateway.task_from(answer, operation, request, Outcome.ANY, sent_at, gateway.clock.now(), label)


def answers(gateway: OverpayMerchant, sent: list[Task | Answer]) -> tuple[list[Answer], list[Answer]]:
    """``(processed, refusals)`` of what :func:`send` gave: the 200 results of its tasks (a one-time
    error result is neither), and its synchronous refusals."""
    processed, refusals = [], []
    for one in sent:
        if isinstance(one, Task):
            kind, result = gateway.wait_result(one)
            if kind is AnswerKind.RESULT:
                processed.append(result)
        else:
            refusals.append(one)
    return processed, refusals


def refusal(gateway: OverpayMerchant, operation: str, request: dict[str, Any], *,
            label: str) -> tuple[Answer | None, Answer | None]:
    """Send a request the docs say is refused: ``(processed, refusal)`` — the 200 result it got
    if it was processed, the synchronous 4xx answer if it was refused at once (else None each).
    A one-time error result is read once more, inside the retention window, so the lifecycle
    model sees that it is not handed out twice."""
    sent_at = gateway.clock.now()
    answer = gateway.post(f"/async/transactions/{operation}", json_body={"request": request}, label=label)
    if 400 <= answer.status_code < 500 and answer.status_code not in (401, 403, 429):
        return None, answer
    task = gateway.task_from(answer, operation, request, Outcome.ANY, sent_at, gateway.clock.now(), label,
                             documented=False)
    kind, result = gateway.wait_result(task)
    for _ in gateway.planned_reads(task, 1):
        gateway.read(task, "result")  # the model: the one-time error is not handed out again
    return (result if kind is AnswerKind.RESULT else None), None


class Parents:
    """Real parents for generated captures, voids and refunds: successful authorizations and
    payments of this run. One of each is started at once (its processing overlaps with whatever
    runs next) and settled when a child first needs it; :meth:`add` pools more as they appear.

    ``of("captures")`` is a parent transaction for that child operation, or None when the run has
    none (the profile leaves its operation out, or its trigger gave no successful one).
    """

    KINDS = {"captures": "authorization", "voids": "authorization", "refunds": "payment"}

    def __init__(self, gateway: OverpayMerchant, *, rule: str) -> None:
        self.gateway, self.rule = gateway, rule
        self._lock = threading.Lock()
        self._pool: dict[str, list[dict[str, Any]]] = {"authorization": [], "payment": []}
        self._started = {kind: gateway.create(Outcome.SUCCESSFUL, operation=f"{kind}s", label=f"parent-{kind}")
                         for kind in self._pool if f"{kind}s" in gateway.target.operations}

    def add(self, transaction: Mapping[str, Any]) -> None:
        """Pool a successful payment or authorization (any other transaction is ignored)."""
        if transaction.get("status") == "successful" and transaction.get("type") in self._pool:
            with self._lock:
                self._pool[str(transaction["type"])].append(dict(transaction))

    def of(self, operation: str) -> dict[str, Any] | None:
        kind = self.KINDS.get(operation)
        if kind is None:
            return None
        with self._lock:
            task = self._started.pop(kind, None)
        if task is not None:
            try:
                self.add(settle(self.gateway, task, rule=self.rule))
            except NotVerified:
                pass  # no successful parent from the trigger: the children keep their drawn parent_uid
        with self._lock:
            pool = self._pool[kind]
            return pool[-1] if pool else None
