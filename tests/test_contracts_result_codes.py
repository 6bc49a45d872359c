import pytest

from asyncpay.schemas import contracts

DOCUMENTED_ORDER = [
    "successful", "successful-review", "pending", "pending-long", "rejected-3ds-risk", "rejected-bank",
    "communication-error", "system-error", "async-workflow-error", "soft-decline", "external-risk",
    "avs-check", "three-d-secure", "blacklist", "risk-validation", "configuration", "registration", "job",
    "reference", "format", "address", "contact", "account", "amount", "risk-management", "chargeback",
]


def test_groups_are_in_documented_order():
    assert [group.name for group in contracts.result_code_groups()] == DOCUMENTED_ORDER


def test_only_pending_groups_are_not_final():
    for group in contracts.result_code_groups():
        assert group.kind in contracts.KINDS
        assert group.final is not group.kind.startswith("pending"), group
        assert group.pattern.pattern.startswith("^(")


def test_groups_are_a_fresh_list():
    contracts.result_code_groups().clear()
    assert len(contracts.result_code_groups()) == len(DOCUMENTED_ORDER)


@pytest.mark.parametrize(
    ("code", "group", "kind"),
    [
        ("000.000.000", "successful", "successful"),
        ("000.100.110", "successful", "successful"),
        ("000.300.000", "successful", "successful"),
        ("000.400.110", "successful", "successful"),
        ("000.400.000", "successful-review", "successful-review"),
        ("000.400.100", "successful-review", "successful-review"),
        ("000.200.000", "pending", "pending"),
        ("000.200.100", "pending", "pending"),
        ("800.400.500", "pending-long", "pending-long"),
        ("100.400.500", "pending-long", "pending-long"),
        ("000.400.101", "rejected-3ds-risk", "rejected"),
        ("000.400.200", "rejected-3ds-risk", "rejected"),
        ("800.100.151", "rejected-bank", "rejected"),
        ("800.700.100", "rejected-bank", "rejected"),
        # 000.400.030 escapes review ([^3]) and lands on communication errors.
        ("000.400.030", "communication-error", "error"),
        ("900.100.300", "communication-error", "error"),
        ("999.999.999", "system-error", "error"),
        ("800.800.800", "system-error", "error"),
        ("100.397.101", "async-workflow-error", "error"),
        ("300.100.100", "soft-decline", "rejected"),
        # 100.380.401 matches external risk (100.38) before 3-D Secure (100.380.4): first wins.
        ("100.380.401", "external-risk", "rejected"),
        ("800.400.100", "avs-check", "rejected"),
        ("800.400.200", "three-d-secure", "rejected"),
        ("100.390.101", "three-d-secure", "rejected"),
        # 100.100.701 matches blacklist before account validation (100.100).
        ("100.100.701", "blacklist", "rejected"),
        ("800.300.101", "blacklist", "rejected"),
        # The documented throttling code.
        ("800.120.100", "risk-validation", "rejected"),
        ("600.200.100", "configuration", "error"),
        ("100.150.100", "registration", "rejected"),
        ("100.250.100", "job", "rejected"),
        ("700.400.580", "reference", "rejected"),
        ("200.300.404", "format", "rejected"),
        ("800.900.300", "format", "rejected"),
        ("800.900.303", "format", "rejected"),
        ("100.800.100", "address", "rejected"),
        ("100.700.100", "contact", "rejected"),
        ("100.100.100", "account", "rejected"),
        ("100.550.300", "amount", "rejected"),
        ("000.100.201", "chargeback", "rejected"),
    ],
)
def test_classify_result_code(code, group, kind):
    found = contracts.classify_result_code(code)
    assert found is not None
    assert (found.name, found.kind) == (group, kind)
    assert found.final is (kind not in ("pending", "pending-long"))


@pytest.mark.parametrize(
    "code",
    ["123.456.789", "abc", "", "000.000", "000.000.0000", " 000.000.000", "000.000.000\n", "12.345.678"],
)
def test_undocumented_or_malformed_codes_have_no_group(code):
    assert contracts.classify_result_code(code) is None


def test_non_string_code_has_no_group():
    assert contracts.classify_result_code(None) is None  # type: ignore[arg-type]
