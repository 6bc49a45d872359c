"""The map from each documented rule to its check functions and the suite tests that exercise it.

``python -m asyncpay.tools.rulemap`` prints it (``… rulemap overpay.unknown-404`` one rule, ``… rulemap
opp.`` a gateway's, ``--help`` the usage); a rule without a check function, a source URL or a suite
test is listed as a gap and the command exits 1. ``--markdown`` prints the rule table of
``suites/README.md`` instead, and ``--write-readme`` puts it there (between the ``rules:start`` /
``rules:end`` markers; a test compares them).

>>> rows = rule_map()
>>> rows["overpay.unknown-404"]["checks"]
['asyncpay.checks.overpay.unknown_404']
"""

from __future__ import annotations

import argparse
import ast
from pathlib import Path
from typing import Any

from asyncpay.checks import load_all
from asyncpay.rules import RULES

SUITES = Path(__file__).resolve().parents[2] / "suites"


def suite_tests(root: Path = SUITES) -> dict[str, list[str]]:
    """rule id → the suite tests marked ``@pytest.mark.rule(...)`` with it (read from the source)."""
    found: dict[str, list[str]] = {}
    for path in sorted(root.rglob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef) or not node.name.startswith("test"):
                continue
            for decorator in node.decorator_list:
                if (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)
                        and decorator.func.attr == "rule"):
                    for arg in decorator.args:
                        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                            found.setdefault(arg.value, []).append(f"{path.relative_to(root.parent)}::{node.name}")
    return found


def rule_map(root: Path = SUITES) -> dict[str, dict[str, Any]]:
    """rule id → {text, source, checks: [module.function], tests: [file::test]}."""
    registry = load_all()
    tests = suite_tests(root) if root.is_dir() else {}
    every = ["every suite test that exchanged with a gateway (the plugin adds the transport rules)"]
    return {
        rule_id: {
            "text": rule.text,
            "source": rule.source,
            "checks": [f"{fn.__module__}.{fn.__name__}" for fn in registry.get(rule_id, [])],
            "tests": tests.get(rule_id, []) or (every if rule.gateway == "transport" else []),
        }
        for rule_id, rule in sorted(RULES.items())
    }


#: The markers around the generated rule table in suites/README.md.
TABLE_START, TABLE_END = "<!-- rules:start (python -m asyncpay.tools.rulemap --write-readme) -->", "<!-- rules:end -->"
TRANSPORT_TESTS = "every test that talks to a gateway"


def markdown(root: Path = SUITES) -> str:
    """The rule table of suites/README.md: every rule of ``rules.py`` → the suite files that check it."""
    lines = ["| rule | suite tests |", "|---|---|"]
    for rule_id, row in rule_map(root).items():
        if RULES[rule_id].gateway == "transport":
            where = TRANSPORT_TESTS
        else:
            files = dict.fromkeys(test.split("::", 1)[0].removeprefix("suites/") for test in row["tests"])
            where = ", ".join(f"`{name}`" for name in sorted(files)) or "MISSING: no suite test"
        lines.append(f"| `{rule_id}` | {where} |")
    return "\n".join(lines) + "\n"


def readme_table(text: str) -> str:
    """The generated block of a suites/README.md text (ValueError without the markers)."""
    start, end = text.index(TABLE_START) + len(TABLE_START), text.index(TABLE_END)
    return text[start:end].strip("\n") + "\n"


def write_readme(root: Path = SUITES) -> None:
    """Replace the generated block of ``root``/README.md with :func:`markdown`."""
    path = root / "README.md"
    text = path.read_text(encoding="utf-8")
    start, end = text.index(TABLE_START) + len(TABLE_START), text.index(TABLE_END)
    path.write_text(text[:start] + "\n" + markdown(root) + text[end:], encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """``python -m asyncpay.tools.rulemap [RULE_ID …]``: print the map (of the named rules only)."""
    parser = argparse.ArgumentParser(
        prog="python -m asyncpay.tools.rulemap",
        description="Each documented rule with its sentence, public source, check functions and the "
                    "suite tests that exercise it. Exits 1 when a rule printed has a gap.")
    parser.add_argument("rules", nargs="*", metavar="RULE_ID",
                        help="only these rules (e.g. overpay.unknown-404); a prefix such as 'opp.' "
                             "selects a gateway's rules")
    parser.add_argument("--markdown", action="store_true", help="print the rule table of suites/README.md")
    parser.add_argument("--write-readme", action="store_true", help="write that table into suites/README.md")
    args = parser.parse_args(argv)
    if args.markdown:
        print(markdown(), end="")
        return 0
    if args.write_readme:
        write_readme()
        return 0
    rows = rule_map()
    if args.rules:
        chosen = {rule_id: row for rule_id, row in rows.items()
                  if any(rule_id == name or (name.endswith(".") and rule_id.startswith(name))
                         for name in args.rules)}
        unknown = [name for name in args.rules
                   if not any(r == name or (name.endswith(".") and r.startswith(name)) for r in rows)]
        if unknown:
            parser.error(f"no documented rule {', '.join(unknown)}; known: {', '.join(rows)}")
        rows = chosen
    gaps = 0
    for rule_id, row in rows.items():
        print(f"{rule_id}\n  {row['text']}\n  source: {row['source'] or 'MISSING'}")
        for fn in row["checks"] or ["MISSING: no check function"]:
            print(f"  check:  {fn}")
        for test in row["tests"] or (["MISSING: no suite test"] if SUITES.is_dir() else []):
            print(f"  test:   {test}")
        gaps += not (row["checks"] and row["source"] and (row["tests"] or not SUITES.is_dir()))
    print(f"\n{len(rows)} rules, {gaps} with a gap")
    return 1 if gaps else 0


if __name__ == "__main__":
    raise SystemExit(main())
