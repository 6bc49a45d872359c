"""The map matches the territory: ARCHITECTURE.md names every module under asyncpay/, and the rule
table of suites/README.md is the one generated from asyncpay/rules.py and the suites."""

from __future__ import annotations

from pathlib import Path

from asyncpay.rules import RULES
from asyncpay.tools import rulemap

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "asyncpay"


def modules() -> list[str]:
    """Every module under asyncpay/, as ARCHITECTURE.md names it (``http/client.py``); a
    sub-package's ``__init__.py`` is its folder's heading, not a module of its own."""
    return sorted(path.relative_to(PACKAGE).as_posix() for path in PACKAGE.rglob("*.py")
                  if "__pycache__" not in path.parts
                  and (path.name != "__init__.py" or path.parent in (PACKAGE, PACKAGE / "checks")))


def test_architecture_names_every_module() -> None:
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    missing = [name for name in modules() if f"`{name}`" not in text]
    assert not missing, ("ARCHITECTURE.md does not name these modules; add a row to its module table for "
                         "each, in its layer's block:\n" + "\n".join(f"| `{name}` | <its concept> |"
                                                                    for name in missing))


def test_the_readme_rule_table_is_generated_from_the_rules() -> None:
    text = (ROOT / "suites" / "README.md").read_text(encoding="utf-8")
    assert rulemap.readme_table(text) == rulemap.markdown(), \
        "suites/README.md's rule table is stale: run python -m asyncpay.tools.rulemap --write-readme"


def test_the_readme_lists_every_rule() -> None:
    table = rulemap.readme_table((ROOT / "suites" / "README.md").read_text(encoding="utf-8"))
    missing = [rule_id for rule_id in RULES if f"| `{rule_id}` |" not in table]
    assert not missing, f"suites/README.md lacks {missing}: run python -m asyncpay.tools.rulemap --write-readme"
