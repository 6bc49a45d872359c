import datetime
import json
from typing import Any

import httpx
import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import content_type_conformance, response_schema_conformance, status_code_conformance

from asyncpay.schemas import contracts
from asyncpay.testing import json_objects

OPERATIONS = {
    "overpay": {
        ("POST", "/async/transactions/payments"): "createPaymentTask",
        ("POST", "/async/transactions/authorizations"): "createAuthorizationTask",
        ("POST", "/async/transactions/captures"): "createCaptureTask",
        ("POST", "/async/transactions/voids"): "createVoidTask",
        ("POST", "/async/transactions/refunds"): "createRefundTask",
        ("POST", "/async/transactions/credits"): "createCreditTask",
        ("POST", "/async/transactions/payouts"): "createPayoutTask",
        ("GET", "/async/status/{request_id}"): "getTaskStatus",
        ("GET", "/async/result/{request_id}"): "getTaskResult",
        ("GET", "/transactions/{uid}"): "getTransaction",
        ("GET", "/v2/transactions/tracking_id/{tracking_id}"): "getTransactionsByTrackingId",
    },
    "opp": {
        ("POST", "/v1/payments"): "createPayment",
        ("GET", "/v1/payments/{id}"): "getPaymentStatus",
        ("POST", "/v1/checkouts"): "prepareCheckout",
        ("POST", "/v1/checkouts/{id}/payment"): "payCheckout",
        ("GET", "/v1/checkouts/{id}/payment"): "getCheckoutPayment",
    },
}
CHECKS = [response_schema_conformance, status_code_conformance, content_type_conformance]
TASK = {
    "status": "processing",
    "request_id": "a2ac9f8e-1b22-486b-be46-528e48be6c76",
    "status_url": "https://gateway.overpay.io/async/status/a2ac9f8e-1b22-486b-be46-528e48be6c76",
    "response_url": "https://gateway.overpay.io/async/result/a2ac9f8e-1b22-486b-be46-528e48be6c76",
}
TRANSACTION = {"uid": "1-a", "status": "failed", "amount": 100, "currency": "USD", "type": "payment",
               "payment": {"message": "Authorization was declined", "status": "failed"}}
OPP_PAYMENT = {"id": "8ac7a4a17b1d5c2a017b1e4f5a1e2b3c", "amount": "92.00", "currency": "EUR",
               "paymentType": "DB", "result": {"code": "000.100.110", "description": "ok"}}




@pytest.fixture(scope="module", params=["overpay", "opp"])
def gateway(request):
    return request.param


def test_document_is_openapi_3_1_with_an_operation_id_for_every_operation(gateway):
    document = yaml.safe_load((contracts.CONTRACTS_DIR / f"{gateway}.openapi.yaml").read_text())
    assert document["openapi"].startswith("3.1")
    found = {
        (method.upper(), path): operation["operationId"]
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }
    assert found == OPERATIONS[gateway]


def test_bundled_document_is_self_contained(gateway):
    document = contracts.openapi_document(gateway)
    refs = [node["$ref"] for node in json_objects(document) if isinstance(node.get("$ref"), str)]
    assert refs and all(ref.startswith("#/") for ref in refs)
    assert not any("$id" in node for node in json_objects(document["components"]["schemas"]))
    assert contracts.openapi_document(gateway) == document  # a fresh, equal copy each time


@pytest.mark.parametrize("how", ["from_path", "from_dict"])
def test_every_operation_generates_a_case(gateway, how):
    if how == "from_path":
        schema = schemathesis.openapi.from_path(contracts.CONTRACTS_DIR / f"{gateway}.openapi.yaml")
    else:
        schema = schemathesis.openapi.from_dict(contracts.openapi_document(gateway))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {(op.method.upper(), op.path) for op in operations} == set(OPERATIONS[gateway])
    for operation in operations:
        assert _one_case(operation).operation is operation


def _one_case(operation: Any) -> Any:
    drawn = []

    @settings(max_examples=1, phases=[Phase.generate], database=None, suppress_health_check=list(HealthCheck))
    @given(operation.as_strategy())
    def generate(case):
        drawn.append(case)

    generate()
    return drawn[0]


@pytest.fixture(scope="module")
def loaded():
    return {gateway: schemathesis.openapi.from_dict(contracts.openapi_document(gateway))
            for gateway in ("overpay", "opp")}


def _answer(method: str, url: str, status: int, body: Any,
            content_type: str = "application/json; charset=utf-8") -> httpx.Response:
    # Content-type parameters are silent in the docs: the contracts must not mind them.
    response = httpx.Response(status, content=json.dumps(body).encode(), request=httpx.Request(method, url),
                              headers={"content-type": content_type})
    response.elapsed = datetime.timedelta(milliseconds=5)
    return response


STATUS = "/async/status/{request_id}"
RESULT = "/async/result/{request_id}"
TRACKING = "/v2/transactions/tracking_id/{tracking_id}"
DECLINED = {"message": "Amount must be greater than 0", "errors": {"amount": ["must be greater than 0"]}}


@pytest.mark.parametrize(
    ("gateway_name", "method", "path", "status", "body", "valid"),
    [
        ("overpay", "POST", "/async/transactions/payments", 202, TASK, True),
        ("overpay", "POST", "/async/transactions/refunds", 200, TASK, True),
        ("overpay", "POST", "/async/transactions/payments", 200, {**TASK, "status_url": "/status"}, False),
        ("overpay", "POST", "/async/transactions/captures", 422, DECLINED, True),
        ("overpay", "GET", STATUS, 202, {"status": "processing", "request_id": "1"}, True),
        ("overpay", "GET", STATUS, 200,
         {"status": "completed", "request_id": "1", "response_url": TASK["response_url"]}, True),
        ("overpay", "GET", STATUS, 404, {"status": "unknown", "request_id": "10203"}, True),
        ("overpay", "GET", STATUS, 404, {"status": "processing", "request_id": "1"}, False),
        ("overpay", "GET", STATUS, 500, {"message": "We're sorry, but something went wrong"}, True),
        ("overpay", "GET", RESULT, 200, {"transaction": TRANSACTION}, True),
        ("overpay", "GET", RESULT, 200, {"status": "processing", "request_id": "1"}, True),
        ("overpay", "GET", RESULT, 200, {"transaction": {**TRANSACTION, "amount": "1"}}, False),
        ("overpay", "GET", RESULT, 422, DECLINED, True),
        ("overpay", "GET", RESULT, 404, {"status": "unknown", "request_id": "52168"}, True),
        ("overpay", "GET", "/transactions/{uid}", 200, {"transaction": TRANSACTION}, True),
        ("overpay", "GET", "/transactions/{uid}", 404, {"message": "Record not found"}, True),
        ("overpay", "GET", TRACKING, 200, {"transactions": []}, True),
        ("overpay", "GET", TRACKING, 200, {"transaction": TRANSACTION}, False),
        ("opp", "POST", "/v1/payments", 200, OPP_PAYMENT, True),
        ("opp", "POST", "/v1/payments", 200, {**OPP_PAYMENT, "amount": "92.0"}, False),
        ("opp", "POST", "/v1/payments", 400,
         {"result": {"code": "200.300.404", "description": "invalid or missing parameter",
                     "parameterErrors": [{"name": "amount", "value": "92.0", "message": "invalid"}]}}, True),
        ("opp", "GET", "/v1/payments/{id}", 200, OPP_PAYMENT, True),
        ("opp", "GET", "/v1/payments/{id}", 401,
         {"result": {"code": "800.900.300", "description": "invalid authentication information"}}, True),
        ("opp", "GET", "/v1/payments/{id}", 429,
         {"result": {"code": "800.120.100", "description": "Too many requests"}}, True),
        ("opp", "GET", "/v1/payments/{id}", 404, {"message": "not found"}, False),
    ],
)
def test_schemathesis_validates_answers_against_the_contracts(
    loaded, gateway_name, method, path, status, body, valid
):
    operation = loaded[gateway_name][path][method]
    parameters = {name: "1" for name in ("request_id", "uid", "tracking_id", "id") if f"{{{name}}}" in path}
    case = operation.Case(path_parameters=parameters or None)
    answer = _answer(method, f"https://gateway.example{path}", status, body)
    if valid:
        case.validate_response(answer, checks=CHECKS)
    else:
        with pytest.raises(BaseException, match="Response violates schema"):
            case.validate_response(answer, checks=CHECKS)


# --- generated instances conform ------------------------------------------------------------


def _generation_document(name: str) -> dict[str, Any]:
    """An OpenAPI document whose request body is contract ``name``: schemathesis generates it.

    ``bundle`` keeps the contracts it uses under ``$defs``; an OpenAPI document resolves
    ``#/...`` against its own root, so they move to ``components/schemas``.
    """
    bundled = json.loads(json.dumps(contracts.bundle(name)).replace('"#/$defs/', '"#/components/schemas/'))
    used = bundled.pop("$defs")
    del bundled["$schema"]
    return {
        "openapi": "3.1.0",
        "info": {"title": name, "version": "1"},
        "paths": {"/message": {"post": {
            "requestBody": {"required": True, "content": {"application/json": {"schema": bundled}}},
            "responses": {"200": {"description": "ok"}},
        }}},
        "components": {"schemas": used},
    }


GENERATED = [
    "overpay/task", "overpay/status", "overpay/status-completed", "overpay/status-unknown",
    "overpay/task-error", "overpay/result", "overpay/result-payment", "overpay/result-capture",
    "overpay/result-payout", "overpay/error", "overpay/tracking-query", "overpay/webhook",
    "overpay/request-payment", "overpay/request-refund", "opp/payment", "opp/payment-pending", "opp/status",
    "opp/error", "opp/notification-query", "opp/webhook", "opp/request-payment",
]


@pytest.mark.parametrize("name", GENERATED)
def test_generated_messages_conform(name):
    operation = schemathesis.openapi.from_dict(_generation_document(name))["/message"]["POST"]

    @settings(database=None, suppress_health_check=list(HealthCheck))
    @given(operation.as_strategy())
    def generated_message_conforms(case):
        assert contracts.problems(name, case.body) == []

    generated_message_conforms()
