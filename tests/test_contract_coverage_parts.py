"""Contract coverage counts the parts a validated shape holds as a whole — the transaction of a
result, the result object of an OPP payment — and never a part that was one choice among several."""

import contextvars

from asyncpay.http.recording import Recording, activate
from asyncpay.schemas import contracts

CAPTURE = {"transaction": {"uid": "1-310b0da80b", "status": "successful", "amount": 50, "currency": "USD",
                           "type": "capture", "parent_uid": "1-310b0da80a", "capture": {"status": "successful"}}}


def test_a_part_held_as_a_whole_counts() -> None:
    assert contracts.held_parts("overpay/result-capture") == ("overpay/transaction",)
    assert contracts.held_parts("opp/payment-pending") == ("opp/payment", "opp/result")


def test_a_choice_or_a_definition_does_not_count() -> None:
    # overpay/result is an anyOf of the transaction response, an error and a task failure.
    assert contracts.held_parts("overpay/result") == ()
    assert contracts.held_parts("overpay/status") == ()


def test_a_validated_shape_records_its_parts() -> None:
    def validate() -> dict[str, int]:
        recording = Recording()
        activate(recording)
        contracts.check("overpay/result-capture", CAPTURE, rule="overpay.result-shape", what="a capture")
        return recording.shapes

    assert contextvars.copy_context().run(validate) == {"overpay/result-capture": 1, "overpay/transaction": 1}
