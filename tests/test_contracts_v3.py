"""The Overpay API v3 contracts against the documented v3 shapes, and the version seam."""

import copy

import pytest

from asyncpay.checks.api_version import answer_in_version
from asyncpay.errors import ContractViolation
from asyncpay.schemas import api_versions, contracts

# --- the documented v3 shapes (the API v3 reference page and the official client's examples) ---

# "The API v.3 responses have the following parameters: uid, status, code, friendly_message,
# message, amount, currency, description, type, tracking_id, test, created_at, updated_at, ...";
# the official Ruby client's v3 example adds payment_method {...} and the processing details
# under transaction {...}.
AUTHORIZATION = {
    "customer": {"ip": "127.0.0.1", "email": "john@example.com", "first_name": "John", "last_name": "Doe",
                 "address": "1st Street", "country": "US", "city": "Denver", "zip": "96002", "state": "CO"},
    "payment_method": {
        "payment_method_type": "credit_card", "holder": "John Doe",
        "stamp": "5f854c844e3007f2ecff2aa614f6a4cc6b8a2c241aab3e5776fe7912dc7b9d92", "brand": "visa",
        "last_4": "0000", "first_1": "4", "bin": "420000", "issuer_country": None, "issuer_name": None,
        "product": None, "exp_month": 5, "exp_year": 2030, "token_provider": None,
        "token": "2efef4c9-d4de-4603-bc84-7a9bc5456939",
    },
    "transaction": {"auth_code": "654321", "bank_code": "00", "rrn": "999", "ref_id": "777888",
                    "message": "The operation was successfully processed.", "gateway_id": 317,
                    "billing_descriptor": "TEST GATEWAY BILLING DESCRIPTOR", "status": "successful"},
    "uid": "4107-310b0da80b", "code": "S.0000", "status": "successful",
    "friendly_message": "The operation is successful.", "message": "Successfully processed",
    "amount": 100, "currency": "USD", "description": "Test order", "type": "authorization",
    "tracking_id": "your_uniq_number", "language": "en",
}
# A v3 validation error (HTTP 422) and the client's own failure answer.
INVALID = {"code": "E.1025", "friendly_message": "Invalid request params",
           "message": "Description can't be blank. Currency can't be blank.",
           "errors": {"description": ["can't be blank"], "currency": ["can't be blank"]}}
FAILURE = {"code": "F.1000", "friendly_message": "We are sorry, but something went wrong.",
           "message": "Unknown error: Contact the payment service provider for details.", "errors": {}}
# The async task answer under v3: the documented task, with code 8010 ("async transaction was created").
TASK = {"status": "processing", "request_id": "a2ac9f8e-1b22-486b-be46-528e48be6c76",
        "status_url": "https://gateway.overpay.io/async/status/a2ac9f8e-1b22-486b-be46-528e48be6c76",
        "response_url": "https://gateway.overpay.io/async/result/a2ac9f8e-1b22-486b-be46-528e48be6c76",
        "code": "8010"}
V2_RESULT = {"transaction": {"uid": "38698066-22838a613a", "status": "successful", "amount": 100,
                             "currency": "USD", "type": "payment", "payment": {"status": "successful"}}}

V3_NAMES = sorted({api_versions.contract_for(3, kind) for kind in api_versions.KINDS})


@pytest.mark.parametrize(("name", "message"), [
    ("overpay/v3-transaction", AUTHORIZATION),
    ("overpay/v3-result-authorization", AUTHORIZATION),
    ("overpay/v3-result", AUTHORIZATION),
    ("overpay/v3-tracking-query", {"transactions": [AUTHORIZATION]}),
    ("overpay/v3-tracking-query", {"transactions": []}),
    ("overpay/v3-webhook", AUTHORIZATION),
    ("overpay/v3-webhook", V2_RESULT),
    ("overpay/v3-error", INVALID),
    ("overpay/v3-error", FAILURE),
    ("overpay/v3-result", INVALID),
    ("overpay/v3-result", {"message": "We're sorry, but something went wrong"}),
    ("overpay/v3-task", TASK),
    ("overpay/v3-task", {k: v for k, v in TASK.items() if k != "code"}),
])
def test_documented_v3_shapes_conform(name, message):
    assert contracts.problems(name, message) == []


@pytest.mark.parametrize(("name", "message", "problem"), [
    ("overpay/v3-transaction", V2_RESULT, "'uid' is a required property"),
    ("overpay/v3-transaction", {k: v for k, v in AUTHORIZATION.items() if k != "code"},
     "'code' is a required property"),
    ("overpay/v3-transaction", {**AUTHORIZATION, "amount": "1.00"}, "is not of type 'integer'"),
    ("overpay/v3-transaction", {**AUTHORIZATION, "status": "incomplete"}, "'redirect_url' is a required property"),
    ("overpay/v3-result-payment", AUTHORIZATION, "'payment' was expected"),
    ("overpay/v3-error", {"message": "Currency can't be blank", "errors": {"currency": ["can't be blank"]}},
     "'code' is a required property"),
    ("overpay/v3-task", {**TASK, "code": "S.0000"}, "'8010' was expected"),
    ("overpay/transaction-response", AUTHORIZATION, "'uid' is a required property"),
    # A transaction with a status outside the documented four is no result, nor an error because it has a message.
    ("overpay/v3-result", {**AUTHORIZATION, "status": "success"}, "'success' is not one of"),
    ("overpay/v3-transaction", {**AUTHORIZATION, "status": "success"}, "'success' is not one of"),
])
def test_the_other_shape_is_rejected(name, message, problem):
    assert any(problem in found for found in contracts.problems(name, message)), contracts.problems(name, message)


@pytest.mark.parametrize("name", V3_NAMES)
def test_every_v3_contract_exists_and_is_named_for_overpay(name):
    assert name in contracts.names()
    assert contracts.schema(name)["$id"].endswith(f"/{name}.json")


def test_contract_for_maps_every_kind_of_both_versions():
    for kind in api_versions.KINDS:
        assert api_versions.contract_for(2, kind) in contracts.names()
        assert api_versions.contract_for(3, kind) in contracts.names()
    assert api_versions.contract_for(3, "status-processing") == "overpay/status-processing"
    with pytest.raises(ValueError):
        api_versions.contract_for(4, "result")
    with pytest.raises(ValueError):
        api_versions.contract_for(3, "receipt")


def test_headers_select_the_version_and_v2_sends_none():
    assert api_versions.headers(2) == {}
    assert api_versions.headers(3) == {"X-API-Version": "3"}


def test_transaction_of_reads_both_shapes():
    assert api_versions.transaction_of(V2_RESULT)["uid"] == "38698066-22838a613a"
    assert api_versions.transaction_of(AUTHORIZATION)["uid"] == "4107-310b0da80b"
    assert api_versions.transaction_of(INVALID) is None
    assert api_versions.transaction_of("not json") is None


def test_answer_in_the_asked_version_passes():
    answer_in_version(AUTHORIZATION, api_version=3, kind="result", rule="overpay.result-shape", what="result")
    answer_in_version(V2_RESULT, api_version=2, kind="result", rule="overpay.result-shape", what="result")


@pytest.mark.parametrize(("asked", "body"), [(3, V2_RESULT), (2, AUTHORIZATION)])
def test_answer_in_the_other_version_breaks_the_api_version_rule(asked, body):
    with pytest.raises(ContractViolation) as caught:
        answer_in_version(body, api_version=asked, kind="transaction-response", rule="overpay.uid-query",
                          what="uid query")
    assert caught.value.rule == "overpay.api-version"
    assert f"API v{5 - asked} shape" in caught.value.summary


def test_answer_in_neither_version_breaks_the_callers_rule():
    broken = copy.deepcopy(AUTHORIZATION)
    del broken["uid"]
    with pytest.raises(ContractViolation) as caught:
        answer_in_version(broken, api_version=3, kind="result-payment", rule="overpay.result-shape",
                          what="result")
    assert caught.value.rule == "overpay.result-shape"
