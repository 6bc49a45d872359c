"""python -m asyncpay.tools.rulemap: the whole map, one rule, a gateway's rules, --help."""

from __future__ import annotations

import pytest

from asyncpay.rules import RULES
from asyncpay.tools.rulemap import main


def test_one_rule_is_printed_alone(capsys) -> None:
    assert main(["overpay.unknown-404"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("overpay.unknown-404\n") and out.rstrip().endswith("1 rules, 0 with a gap")


def test_a_prefix_selects_a_gateway(capsys) -> None:
    main(["opp."])
    count = sum(rule.startswith("opp.") for rule in RULES)
    assert capsys.readouterr().out.rstrip().endswith(f"{count} rules, 0 with a gap")


def test_help_and_an_unknown_rule_answer_as_a_command_line_tool(capsys) -> None:
    with pytest.raises(SystemExit) as helped:
        main(["--help"])
    assert helped.value.code == 0 and "RULE_ID" in capsys.readouterr().out
    with pytest.raises(SystemExit) as refused:
        main(["overpay.no-such-rule"])
    assert refused.value.code == 2 and "no documented rule overpay.no-such-rule" in capsys.readouterr().err


def test_the_whole_map_has_no_gap(capsys) -> None:
    assert main([]) == 0
    assert capsys.readouterr().out.rstrip().endswith(f"{len(RULES)} rules, 0 with a gap")
