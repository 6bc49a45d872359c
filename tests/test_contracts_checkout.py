"""The COPYandPAY contracts: documented checkout messages accepted, documented-silent choices
accepted, each single break of a documented rule rejected."""

import datetime
import json
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from asyncpay.schemas import contracts

CHECKOUT_ID = "0033E3B0DA7F4867166FCB43FBB0FF0F.uat01-vm-tx04"
CHECKOUT = {
    "result": {"code": "000.200.100", "description": "successfully created checkout"},
    "buildNumber": "b6e5d3b5d6e1d5d0b3f2c0e7b4a1d6c9f3e2b1a0@2024-01-01 00:00:00 +0000",
    "timestamp": "2024-01-01 12:00:00+0000",
    "ndc": CHECKOUT_ID,
    "id": CHECKOUT_ID,
}
PAID = {
    "id": "8ac7a4a1845f7e3501846b1c0bbd4d5b",
    "paymentType": "DB",
    "paymentBrand": "VISA",
    "amount": "92.00",
    "currency": "EUR",
    "merchantTransactionId": "order-42",
    "result": {"code": "000.100.110",
               "description": "Request successfully processed in 'Merchant in Integrator Test Mode'"},
    "card": {"bin": "420000", "last4Digits": "0000", "holder": "Jane Jones", "expiryMonth": "05",
             "expiryYear": "2034"},
    "buildNumber": "b6e5d3b5d6e1d5d0b3f2c0e7b4a1d6c9f3e2b1a0@2024-01-01 00:00:00 +0000",
    "timestamp": "2024-01-01 12:01:30+0000",
    "ndc": CHECKOUT_ID,
}
NO_SESSION = {
    "result": {"code": "200.300.404",
               "description": "invalid or missing parameter - (opp) No payment session found for the "
                              "requested id - are you mixing test/live servers or have you paid more "
                              "than 30min ago?"},
    "buildNumber": "b6e5d3b5d6e1d5d0b3f2c0e7b4a1d6c9f3e2b1a0@2024-01-01 00:00:00 +0000",
    "timestamp": "2024-01-01 12:31:00+0000",
    "ndc": CHECKOUT_ID,
}
INVALID = {
    "result": {"code": "200.300.404", "description": "invalid or missing parameter",
               "parameterErrors": [{"name": "amount", "value": "92.0",
                                    "message": "must match ^[0-9]{1,12}(\\.[0-9]{2})?$"}]},
}


def amended(message: Any, **changes: Any) -> Any:
    """A copy of ``message`` with top-level fields replaced (``...`` removes one)."""
    copy = json.loads(json.dumps(message))
    for key, value in changes.items():
        if value is ...:
            del copy[key]
        else:
            copy[key] = value
    return copy


@pytest.mark.parametrize(("name", "message"), [
    ("opp/checkout", CHECKOUT),
    ("opp/checkout", amended(CHECKOUT, id="A03A5F2526733FBB37C419B815E1C091.sbg-vm-tx02")),
    ("opp/checkout-payment", PAID),
    ("opp/checkout-session-error", NO_SESSION),
    ("opp/error", NO_SESSION),
    ("opp/error", INVALID),
])
def test_documented_checkout_messages_conform(name, message):
    assert contracts.problems(name, message) == []


@pytest.mark.parametrize(("name", "message"), [
    # Silent in the docs: ndc other than the id, a partner's id format, extra fields, no ndc.
    ("opp/checkout", amended(CHECKOUT, ndc="8a8294174b7ecb28014b9699220015ca_3c2b1d7e")),
    ("opp/checkout", amended(CHECKOUT, id="a03a5f2526733fbb37c419b815e1c091", ndc=...)),
    ("opp/checkout", amended(CHECKOUT, id="8ac7a4a1-845f-7e35-0184-6b1c0bbd4d5b.prod01-vm-tx108")),
    ("opp/checkout", amended(CHECKOUT, newField={"x": 1}, buildNumber=None)),
    ("opp/checkout-payment", amended(PAID, ndc="something else", customParameters={"SHOPPER_x": "1"})),
    ("opp/checkout-payment", {"id": PAID["id"], "result": PAID["result"]}),
    ("opp/checkout-session-error", amended(NO_SESSION, ndc=...)),
    ("opp/checkout-session-error", amended(NO_SESSION, result={"code": "200.300.404", "description": "x"})),
    # Real traffic (FACTS part D): a pending checkout read with no id; or with the payment's id.
    ("opp/checkout-pending", {"result": {"code": "000.200.000", "description": "transaction pending"},
                              "buildNumber": CHECKOUT["buildNumber"], "timestamp": CHECKOUT["timestamp"],
                              "ndc": CHECKOUT_ID}),
    ("opp/checkout-pending", amended(PAID, result={"code": "000.200.000", "description": "transaction pending"})),
])
def test_reasonable_checkout_choices_are_accepted(name, message):
    assert contracts.problems(name, message) == []


@pytest.mark.parametrize(("name", "message", "problem"), [
    ("opp/checkout", amended(CHECKOUT, id=...), "'id' is a required property"),
    ("opp/checkout", amended(CHECKOUT, id="0033E3B0DA7F"), "at $.id"),
    ("opp/checkout", amended(CHECKOUT, id=CHECKOUT_ID + "/payment"), "at $.id"),
    ("opp/checkout", amended(CHECKOUT, id="../" + CHECKOUT_ID), "at $.id"),
    ("opp/checkout", amended(CHECKOUT, result={"code": "000.100.110", "description": "ok"}), "at $.result.code"),
    ("opp/checkout", amended(CHECKOUT, result=...), "'result' is a required property"),
    ("opp/checkout-payment", amended(PAID, id=CHECKOUT_ID), "at $.id"),
    ("opp/checkout-payment", amended(PAID, amount="92.0"), "at $.amount"),
    ("opp/checkout-payment", amended(PAID, result=...), "'result' is a required property"),
    ("opp/checkout-session-error", amended(NO_SESSION, result={"code": "700.400.580", "description": "x"}),
     "at $.result.code"),
    ("opp/checkout-session-error", {"message": "No payment session found"}, "'result' is a required property"),
    ("opp/checkout-pending", amended(PAID, result={"code": "000.100.110", "description": "ok"}), "at $.result"),
    ("opp/checkout-pending", amended(PAID, id=CHECKOUT_ID, result={"code": "000.200.000", "description": "x"}),
     "at $.id"),
])
def test_broken_checkout_messages_are_rejected(name, message, problem):
    found = contracts.problems(name, message)
    assert any(problem in text for text in found), found


@pytest.mark.parametrize(("name", "field", "value"), [
    ("opp/request-checkout", "amount", "92.0"),
    ("opp/request-checkout", "paymentType", "RF"),
    ("opp/request-checkout", "card.number", "4200000000000000"),  # card data is the shopper's
    ("opp/request-checkout-payment", "card.cvv", "12"),
    ("opp/request-checkout-payment", "entityId", "8a8294174b7ecb28014b9699220015ca"),  # never the merchant's
])
def test_requests_keep_to_their_side_of_the_flow(name, field, value):
    example = contracts.schema(name)["examples"][0]
    assert contracts.problems(name, example) == []
    assert contracts.problems(name, {**example, field: value})


# --- the OpenAPI document validates answers of the checkout operations --------------------

@pytest.fixture(scope="module")
def opp_schema():
    return schemathesis.openapi.from_dict(contracts.openapi_document("opp"))


def _answer(method: str, status: int, body: Any) -> httpx.Response:
    response = httpx.Response(status, content=json.dumps(body).encode(),
                              request=httpx.Request(method, "https://eu-test.oppwa.com/"),
                              headers={"content-type": "application/json;charset=UTF-8"})
    response.elapsed = datetime.timedelta(milliseconds=5)
    return response


@pytest.mark.parametrize(("method", "path", "status", "body", "valid"), [
    ("POST", "/v1/checkouts", 200, CHECKOUT, True),
    ("POST", "/v1/checkouts", 200, amended(CHECKOUT, id=...), False),
    ("POST", "/v1/checkouts", 400, INVALID, True),
    ("GET", "/v1/checkouts/{id}/payment", 200, PAID, True),
    ("GET", "/v1/checkouts/{id}/payment", 200,
     {"result": {"code": "000.200.000", "description": "transaction pending"}}, True),
    ("GET", "/v1/checkouts/{id}/payment", 400, NO_SESSION, True),
    ("GET", "/v1/checkouts/{id}/payment", 429,
     {"result": {"code": "800.120.100", "description": "Too many requests"}}, True),
    ("GET", "/v1/checkouts/{id}/payment", 400, {"message": "gone"}, False),
])
def test_checkout_answers_are_validated_by_the_openapi_document(opp_schema, method, path, status, body, valid):
    from schemathesis.checks import response_schema_conformance, status_code_conformance

    operation = opp_schema[path][method]
    case = operation.Case(path_parameters={"id": CHECKOUT_ID} if "{id}" in path else None)
    answer = _answer(method, status, body)
    checks = [response_schema_conformance, status_code_conformance]
    if valid:
        case.validate_response(answer, checks=checks)
    else:
        with pytest.raises(BaseException, match="Response violates schema"):
            case.validate_response(answer, checks=checks)


@pytest.mark.parametrize("name", ["opp/request-checkout", "opp/request-checkout-payment"])
def test_generated_checkout_requests_conform(name):
    operation = schemathesis.openapi.from_dict({
        "openapi": "3.1.0", "info": {"title": name, "version": "1"},
        "paths": {"/message": {"post": {
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/request"}}}},
            "responses": {"200": {"description": "ok"}}}}},
        "components": {"schemas": {"request": _local(name)}},
    })["/message"]["POST"]

    @settings(database=None, max_examples=25, suppress_health_check=list(HealthCheck))
    @given(operation.as_strategy())
    def conforms(case):
        assert contracts.problems(name, case.body) == []

    conforms()


def _local(name: str) -> dict[str, Any]:
    text = json.dumps(contracts.bundle(name)).replace('"#/$defs/', '"#/components/schemas/request/$defs/')
    bundled = json.loads(text)
    del bundled["$schema"]
    return bundled
