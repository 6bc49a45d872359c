import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from asyncpay.errors import ContractViolation, HarnessError
from asyncpay.schemas import contracts
from asyncpay.testing import json_objects

# --- the seed pages' example messages, verbatim ------------------------------------------

SEED_TASK = """{
  "status": "processing",
  "request_id": "a2ac9f8e-1b22-486b-be46-528e48be6c76",
  "status_url": "https://gateway.overpay.io/async/status/a2ac9f8e-1b22-486b-be46-528e48be6c76",
  "response_url": "https://gateway.overpay.io/async/result/a2ac9f8e-1b22-486b-be46-528e48be6c76"
}"""
SEED_PROCESSING = """{
  "status": "processing",
  "request_id": "a2ac9f8e-1b22-486b-be46-528e48be6c76"
}"""
SEED_COMPLETED = """{
  "status": "completed",
  "request_id": "a2ac9f8e-1b22-486b-be46-528e48be6c76",
  "response_url": "https://gateway.overpay.io/async/result/a2ac9f8e-1b22-486b-be46-528e48be6c76"
}"""
SEED_UNKNOWN = """{
  "status": "unknown",
  "request_id": "a2ac9f8e-1b22-486b-be46-528e48be6c76"
}"""
SEED_TASK_ERROR = """{
  "message": "We're sorry, but something went wrong"
}"""
SEED_UNKNOWN_AFTER_24H = """{
"status":"unknown",
"request_id":"10203"
}"""
SEED_UNKNOWN_AFTER_ERROR = """{
"status":"unknown",
"request_id":"52168"
}"""
SEED_RESOURCE_PATH = "/v1/payments/01234567890123456789012345678901"

# --- documented shapes, as a conforming gateway answers them ----------------------

PAYMENT = {
    "transaction": {
        "uid": "38698066-22838a613a",
        "id": "38698066-22838a613a",
        "status": "successful",
        "amount": 100,
        "currency": "USD",
        "description": "Order 1",
        "type": "payment",
        "payment_method_type": "credit_card",
        "tracking_id": "order-1",
        "message": "Successfully processed",
        "test": True,
        "created_at": "2026-11-22T10:00:00.000Z",
        "updated_at": "2026-11-22T10:00:01.000Z",
        "paid_at": "2026-11-22T10:00:01.000+00:00",
        "expired_at": None,
        "closed_at": None,
        "settled_at": None,
        "recurring_type": None,
        "language": "en",
        "receipt_url": "https://gateway.overpay.io/customer/transactions/38698066-22838a613a",
        "redirect_url": "https://gateway.overpay.io/process/38698066-22838a613a",
        "status_code": None,
        "credit_card": {
            "holder": "JOHN DOE", "stamp": "b3839d33", "brand": "visa", "last_4": "0000",
            "first_1": "4", "bin": "420000", "issuer_country": "US", "issuer_name": "VISA Demo Bank",
            "product": "F", "exp_month": 1, "exp_year": 2030, "token_provider": None, "token": "c6e0c2ad",
        },
        "customer": {"ip": "127.0.0.1", "email": "john@example.com", "device_id": None},
        "billing_address": {"first_name": "John", "last_name": "Doe", "country": "US", "state": None},
        "additional_data": {"receipt_text": ["Some text"], "contract": [], "meta": []},
        "be_protected_verification": {"status": "successful", "message": None},
        "three_d_secure_verification": None,
        "avs_cvc_verification": {"avs_verification": {"result_code": "1"}},
        "payment": {
            "auth_code": "654321", "bank_code": "05", "rrn": "999", "ref_id": "777888",
            "message": "Payment was approved", "amount": 100, "currency": "USD",
            "billing_descriptor": "test descriptor", "gateway_id": 477, "status": "successful",
        },
    }
}
VOID = {
    "transaction": {
        "uid": "38698179-3e0c051257", "status": "successful", "amount": 100, "currency": "USD",
        "type": "void", "message": "Successfully processed", "test": True,
        "parent_uid": "38698066-22838a613a",
        "void": {"message": "Void was approved", "ref_id": "8889913", "rrn": None, "auth_code": None,
                 "gateway_id": 477, "status": "successful"},
    }
}
INCOMPLETE = {
    "transaction": {
        "uid": "37746555-bbdad687b0", "status": "incomplete", "amount": 100, "currency": "EUR",
        "type": "authorization", "tracking_id": None,
        "redirect_url": "https://gateway.overpay.io/process/37746555-bbdad687b0",
    }
}
VALIDATION_ERROR = {
    "message": "Currency can't be blank. Amount must be greater than 0",
    "errors": {
        "currency": ["can't be blank"],
        "amount": ["must be greater than 0"],
        "credit_card": {"exp_year": ["Date is expired"]},
        "base": ["Duplicate transaction"],
    },
}
OPP_PAYMENT = {
    "id": "8ac7a4a17b1d5c2a017b1e4f5a1e2b3c",
    "paymentType": "DB",
    "paymentBrand": "VISA",
    "amount": "92.00",
    "currency": "EUR",
    "descriptor": "4862.1234.5678 OPP_Channel",
    "merchantTransactionId": "order-1",
    "result": {"code": "000.100.110",
               "description": "Request successfully processed in 'Merchant in Integrator Test Mode'"},
    "resultDetails": {"ExtendedDescription": "Successfully processed", "AcquirerResponse": "00"},
    "card": {"bin": "420000", "last4Digits": "0000", "holder": "Jane Jones", "expiryMonth": "05",
             "expiryYear": "2034"},
    "risk": {"score": "100"},
    "customParameters": {"SHOPPER_promoCode": "AT052"},
    "buildNumber": "b4508276b8d82f7ba8e2d5d1b8f0e4e2c4f5c6d7@2024-01-01 00:00:00 +0000",
    "timestamp": "2015-12-07 16:46:07+0000",
    "ndc": "8a8294174b7ecb28014b9699220015ca_3c2b1d7e0f6a4b5c8d9e0f1a2b3c4d5e",
}
OPP_PENDING = {
    **OPP_PAYMENT,
    "paymentType": "PA",
    "result": {"code": "000.200.000", "description": "transaction pending"},
    "redirect": {"url": "https://eu-test.oppwa.com/connectors/demo/simulator.link",
                 "parameters": [{"name": "TermUrl", "value": "https://eu-test.oppwa.com/return"}]},
    "timestamp": "2015-12-07 16:46:07.123+0000",
}
OPP_INVALID = {
    "result": {
        "code": "200.300.404",
        "description": "invalid or missing parameter",
        "parameterErrors": [
            {"name": "amount", "value": "92.0", "message": "must match ^[0-9]{1,12}(\\.[0-9]{2})?$"},
        ],
    },
    "buildNumber": "b4508276b8d82f7ba8e2d5d1b8f0e4e2c4f5c6d7@2024-01-01 00:00:00 +0000",
    "timestamp": "2015-12-07 16:46:07+0000",
    "ndc": "8a8294174b7ecb28014b9699220015ca_3c2b1d7e0f6a4b5c8d9e0f1a2b3c4d5e",
}


def amended(message: Any, path: str, value: Any = ...) -> Any:
    """A copy of ``message`` with the dotted ``path`` set to ``value`` (or removed)."""
    copy = json.loads(json.dumps(message))
    *parents, last = path.split(".")
    target = copy
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    if value is ...:
        del target[last]
    else:
        target[last] = value
    return copy


RESPONSE_CONTRACTS = [name for name in contracts.names() if "/request-" not in name]


# --- the contracts themselves ---------------------------------------------------------


def test_names_cover_every_documented_message():
    assert {
        "overpay/task", "overpay/status-processing", "overpay/status-completed", "overpay/status-unknown",
        "overpay/task-error", "overpay/transaction", "overpay/transaction-response", "overpay/result",
        "overpay/result-payment", "overpay/result-authorization", "overpay/result-capture",
        "overpay/result-void", "overpay/result-refund", "overpay/result-credit", "overpay/result-payout",
        "overpay/error", "overpay/tracking-query", "overpay/webhook", "overpay/request-payment",
        "overpay/request-capture", "overpay/request-refund",
        "opp/result", "opp/payment", "opp/payment-pending", "opp/status", "opp/error",
        "opp/notification-query", "opp/webhook", "opp/request-payment",
    } <= set(contracts.names())
    assert "opp/result-codes" not in contracts.names()


@pytest.mark.parametrize("name", contracts.names())
def test_contract_is_a_valid_2020_12_schema(name):
    schema = contracts.schema(name)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"https://asyncpay.dev/contracts/{name}.json"
    assert schema["title"] and schema["description"]




@pytest.mark.parametrize("name", RESPONSE_CONTRACTS)
def test_response_contracts_allow_extra_fields(name):
    # "New fields may appear at any time": a response contract never closes an object.
    assert all(node.get("additionalProperties") is not False for node in json_objects(contracts.schema(name)))


@pytest.mark.parametrize("name", contracts.names())
def test_every_reference_resolves(name):
    resolver = contracts.registry().resolver(base_uri=f"{contracts.ID_BASE}{name}.json")
    refs = [node["$ref"] for node in json_objects(contracts.schema(name)) if isinstance(node.get("$ref"), str)]
    for ref in refs:
        assert resolver.lookup(ref).contents is not None


@pytest.mark.parametrize("name", contracts.names())
def test_examples_in_a_contract_conform_to_it(name):
    for example in contracts.schema(name).get("examples", []):
        assert contracts.problems(name, example) == []


def test_schema_returns_a_copy():
    contracts.schema("overpay/task")["required"].clear()
    assert "request_id" in contracts.schema("overpay/task")["required"]


def test_unknown_contract_is_a_harness_error():
    with pytest.raises(HarnessError, match="no contract 'overpay/nope'"):
        contracts.problems("overpay/nope", {})


# --- the seed examples -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("overpay/task", SEED_TASK),
        ("overpay/status-processing", SEED_PROCESSING),
        ("overpay/status-completed", SEED_COMPLETED),
        ("overpay/status-unknown", SEED_UNKNOWN),
        ("overpay/task-error", SEED_TASK_ERROR),
        ("overpay/status-unknown", SEED_UNKNOWN_AFTER_24H),
        ("overpay/status-unknown", SEED_UNKNOWN_AFTER_ERROR),
        ("overpay/status", SEED_PROCESSING),
        ("overpay/status", SEED_COMPLETED),
        ("overpay/status", SEED_UNKNOWN),
        ("overpay/status", SEED_TASK_ERROR),
        ("overpay/result", SEED_TASK_ERROR),
    ],
)
def test_seed_examples_conform(name, text):
    assert contracts.problems(name, json.loads(text)) == []
    assert contracts.conforms(name, json.loads(text))


def test_seed_resource_path_conforms():
    query = {"id": "01234567890123456789012345678901", "resourcePath": SEED_RESOURCE_PATH}
    assert contracts.problems("opp/notification-query", query) == []


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("overpay/transaction-response", PAYMENT),
        ("overpay/result-payment", PAYMENT),
        ("overpay/result", PAYMENT),
        ("overpay/webhook", PAYMENT),
        ("overpay/result-void", VOID),
        ("overpay/result-authorization", INCOMPLETE),
        ("overpay/tracking-query", {"transactions": [PAYMENT["transaction"], VOID["transaction"]]}),
        ("overpay/tracking-query", {"transactions": []}),
        ("overpay/error", VALIDATION_ERROR),
        ("overpay/error", {"response": VALIDATION_ERROR}),
        ("overpay/error", {"message": "Record not found"}),
        ("overpay/result", VALIDATION_ERROR),
        ("overpay/result", {"response": VALIDATION_ERROR}),
        ("opp/payment", OPP_PAYMENT),
        ("opp/status", OPP_PAYMENT),
        ("opp/payment", OPP_PENDING),
        ("opp/payment-pending", OPP_PENDING),
        ("opp/error", OPP_INVALID),
        ("opp/webhook", {"type": "PAYMENT", "action": None, "payload": OPP_PAYMENT}),
        ("opp/webhook", {"type": "REGISTRATION", "payload": {"id": "x"}}),
    ],
)
def test_documented_shapes_conform(name, message):
    assert contracts.problems(name, message) == []


# --- silent in the docs: accepted ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("overpay/task", {**json.loads(SEED_TASK), "request_id": "10203", "created_at": "now"}),
        ("overpay/task", {**json.loads(SEED_TASK), "status_url": "http://127.0.0.1:8080/async/status/1"}),
        ("overpay/status-processing", {"status": "processing", "request_id": "1", "eta": 3}),
        ("overpay/task-error", {"message": "boom", "errors": {"base": ["boom"]}}),
        ("overpay/result-payment", amended(PAYMENT, "transaction.status", "expired")),
        ("overpay/result-payout", {"transaction": {**VOID["transaction"], "type": "payout"}}),
        ("overpay/transaction", {**PAYMENT["transaction"], "brand_new_field": {"x": 1}}),
        ("overpay/transaction", amended(PAYMENT["transaction"], "credit_card", None)),
        ("overpay/transaction", amended(PAYMENT["transaction"], "type", "checkup")),
        ("opp/payment", amended(OPP_PAYMENT, "amount", "92")),
        ("opp/payment", amended(OPP_PAYMENT, "id", "8AC7A4A17B1D5C2A017B1E4F5A1E2B3C")),
        ("opp/payment", {"id": "8ac7a4a17b1d5c2a017b1e4f5a1e2b3c", "result": OPP_PAYMENT["result"]}),
        ("opp/payment", {**OPP_PAYMENT, "descriptor": None, "newField": [1]}),
        ("opp/notification-query", {"id": "abc", "resourcePath": "/"}),
        # Real traffic (FACTS part D): a webhook payload's redirect without url.
        ("opp/payment", {**OPP_PENDING, "redirect": {"parameters": []}}),
        ("opp/webhook", {"type": "PAYMENT", "action": "CREATED",
                         "payload": {**OPP_PENDING, "redirect": {"parameters": []}}}),
    ],
)
def test_reasonable_choices_are_accepted(name, message):
    assert contracts.problems(name, message) == []


def test_incomplete_payment_may_lack_its_sub_object():
    message = amended(amended(PAYMENT, "transaction.payment"), "transaction.status", "incomplete")
    assert contracts.conforms("overpay/result-payment", message)


# --- broken messages: rejected ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "message", "problem"),
    [
        ("overpay/task", amended(json.loads(SEED_TASK), "response_url"), "'response_url' is a required"),
        ("overpay/task", amended(json.loads(SEED_TASK), "status", "completed"), "at $.status"),
        ("overpay/task", amended(json.loads(SEED_TASK), "request_id", ""), "at $.request_id"),
        ("overpay/task", amended(json.loads(SEED_TASK), "request_id", 10203), "at $.request_id"),
        ("overpay/task", amended(json.loads(SEED_TASK), "status_url", "/async/status/1"), "at $.status_url"),
        ("overpay/status-completed", amended(json.loads(SEED_COMPLETED), "response_url"), "response_url"),
        ("overpay/status-unknown", amended(json.loads(SEED_UNKNOWN), "status", "Unknown"), "at $.status"),
        ("overpay/task-error", {"message": ""}, "at $.message"),
        ("overpay/task-error", {"status": "processing", "message": "x"}, "at $:"),
        ("overpay/status", {"status": "done", "request_id": "1"}, "at $"),
        ("overpay/transaction", amended(PAYMENT["transaction"], "status", "pending"), "at $.status"),
        ("overpay/transaction", amended(PAYMENT["transaction"], "amount", "100"),
         "at $.amount: '100' is not of type 'integer'"),
        ("overpay/transaction", amended(PAYMENT["transaction"], "amount", -1), "at $.amount"),
        ("overpay/transaction", amended(PAYMENT["transaction"], "currency", "usd"), "at $.currency"),
        ("overpay/transaction", amended(PAYMENT["transaction"], "uid"), "'uid' is a required property"),
        ("overpay/transaction", amended(PAYMENT["transaction"], "credit_card.last_4", "00000"),
         "at $.credit_card.last_4"),
        ("overpay/result-payment", amended(PAYMENT, "transaction.type", "capture"), "at $.transaction.type"),
        ("overpay/result-payment", amended(PAYMENT, "transaction.payment"),
         "at $.transaction: 'payment' is a required property"),
        ("overpay/result-authorization", amended(INCOMPLETE, "transaction.redirect_url"),
         "'redirect_url' is a required property"),
        ("overpay/result", amended(PAYMENT, "transaction.amount", "x"),
         "at $.transaction.amount: 'x' is not of type 'integer'"),
        ("overpay/result", json.loads(SEED_PROCESSING), "at $"),
        ("overpay/error", {"message": "bad", "errors": {"amount": "must be greater than 0"}}, "at $"),
        ("overpay/error", {"errors": {"base": ["x"]}}, "at $"),
        ("overpay/tracking-query", {"transactions": PAYMENT["transaction"]}, "at $.transactions"),
        ("overpay/tracking-query", {"transactions": [{"uid": "1"}]}, "at $.transactions[0]"),
        ("opp/notification-query", {"id": "x", "resourcePath": "//evil.example/x"}, "at $.resourcePath"),
        ("opp/notification-query", {"id": "x", "resourcePath": "/\\evil.example/x"}, "at $.resourcePath"),
        ("opp/notification-query", {"id": "x", "resourcePath": "http://evil/x"}, "at $.resourcePath"),
        ("opp/notification-query", {"id": "x", "resourcePath": "v1/payments/x"}, "at $.resourcePath"),
        ("opp/notification-query", {"id": "", "resourcePath": SEED_RESOURCE_PATH}, "at $.id"),
        ("opp/notification-query", {"resourcePath": SEED_RESOURCE_PATH}, "'id' is a required property"),
        ("opp/payment", amended(OPP_PAYMENT, "id", "8ac7a4a17b1d5c2a017b1e4f5a1e2b3"), "at $.id"),
        ("opp/payment", amended(OPP_PAYMENT, "id", "8ac7a4a17b1d5c2a017b1e4f5a1e2b3g"), "at $.id"),
        ("opp/payment", amended(OPP_PAYMENT, "amount", "92.0"), "at $.amount"),
        ("opp/payment", amended(OPP_PAYMENT, "amount", 92.0), "at $.amount"),
        ("opp/payment", amended(OPP_PAYMENT, "result.code", "12.345.678"), "at $.result.code"),
        ("opp/payment", amended(OPP_PAYMENT, "paymentType", "XX"), "at $.paymentType"),
        ("opp/payment", amended(OPP_PAYMENT, "card.last4Digits", "000"), "at $.card.last4Digits"),
        ("opp/payment", amended(OPP_PAYMENT, "result"), "'result' is a required property"),
        ("opp/payment-pending", amended(OPP_PENDING, "redirect.url"), "at $.redirect"),
        ("opp/result", {"code": "12.345.678", "description": "x"}, "at $.code"),
        ("opp/result", {"code": "000.000.000"}, "'description' is a required property"),
        ("opp/error", amended(OPP_INVALID, "result.parameterErrors.0.name"), "at $.result.parameterErrors"),
        ("opp/error", {"buildNumber": "x"}, "'result' is a required property"),
        ("opp/payment-pending", OPP_PAYMENT, "at $"),
        ("opp/payment-pending", amended(OPP_PENDING, "redirect"), "'redirect' is a required property"),
        ("opp/webhook", {"type": "PAYMENT", "payload": {"result": OPP_PAYMENT["result"]}}, "at $.payload"),
        ("opp/webhook", {"type": "PAYMENT"}, "'payload' is a required property"),
    ],
)
def test_broken_messages_are_rejected(name, message, problem):
    found = contracts.problems(name, message)
    assert found, f"{name} accepted {message}"
    assert not contracts.conforms(name, message)
    assert any(problem in text for text in found), found


def test_problems_name_the_json_path():
    message = amended(amended(OPP_PAYMENT, "card.last4Digits", "abc"), "amount", "92.0")
    assert contracts.problems("opp/payment", message) == [
        "at $.amount: '92.0' does not match '^[0-9]{1,12}(\\\\.[0-9]{2})?$'",
        "at $.card.last4Digits: 'abc' does not match '^[0-9]{4}$'",
    ]
    request = contracts.schema("opp/request-payment")["examples"][0] | {"card.cvv": "12"}
    assert contracts.problems("opp/request-payment", request)[0].startswith('at $["card.cvv"]: ')


def test_problems_stay_short_for_huge_messages():
    message = {"transactions": [{"uid": "x" * 5000}]}
    assert all(len(text) < 300 for text in contracts.problems("overpay/tracking-query", message))


# --- check ---------------------------------------------------------------------------------


def test_check_passes_a_conforming_message():
    contracts.check("overpay/task", json.loads(SEED_TASK), rule="overpay.task-answer", what="the task")


def test_check_raises_a_contract_violation_with_expected_and_received():
    message = amended(json.loads(SEED_TASK), "status_url")
    with pytest.raises(ContractViolation) as caught:
        contracts.check("overpay/task", message, rule="overpay.task-answer", what="POST /async answer")
    violation = caught.value
    assert isinstance(violation, AssertionError)
    assert violation.rule == "overpay.task-answer"
    assert violation.summary == "POST /async answer does not conform to contract overpay/task"
    assert "Overpay asynchronous task" in violation.expected
    assert "at $: 'status_url' is a required property" in violation.expected
    assert violation.received == message
    text = str(violation)
    assert text.startswith("[overpay.task-answer] POST /async answer does not conform")
    assert "Expected:" in text and "Received:" in text


def test_check_shows_at_most_three_problems():
    with pytest.raises(ContractViolation) as caught:
        contracts.check("overpay/transaction", {"status": "nope"}, rule="overpay.result-shape", what="result")
    # uid, amount, currency and type are missing, and the status is not documented: five problems.
    assert caught.value.expected.endswith("; and 2 more")
    assert caught.value.expected.count("at $") == 3
