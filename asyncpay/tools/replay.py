"""Send one recorded request again, through a profile's gateway client, and print the answer.

A failing generated case on a real clock prints this command (:mod:`asyncpay.http.replay`)::

    python -m asyncpay.tools.replay --profile sandbox.toml POST https://gw.example/async/transactions/payments \\
        -H 'Content-Type: application/json' --data '{"request": {...}}'

The request goes to the profile's target whose origin matches the URL, with that target's
credentials and headers (the printed request hides them). The answer is printed redacted: status,
headers, body, and any transport rule it breaks.

The printed request was redacted when it was recorded: a card number shows only its first six and
last four digits (``420000******0000``) and a CVV as ``***``. Those values cannot be sent again
as they were; the replay sends the documented successful test card in their place
(``--card-number``, ``--cvv`` choose others) and says which fields it filled. Everything else is
sent byte for byte as printed.

Exit status: 0 when the gateway answered, 1 when it did not (or broke a transport rule), 2 on a
usage or profile error.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from asyncpay.config.profile import load_profile
from asyncpay.errors import ContractViolation, HarnessError, NotVerified, ProfileError
from asyncpay.http.redaction import MASK, Redactor
from asyncpay.wire.testdata import OVERPAY_OUTCOMES

#: The documented successful test card (https://docs.overpay.io/en/integration/card_api/statuses/).
TEST_CARD = OVERPAY_OUTCOMES["successful"]["credit_card"]["number"]
TEST_CVV = "123"
# A card number as redaction leaves it: digits, then stars, then digits (separators kept).
_MASKED_PAN = re.compile(r"^\d{6}[\d -]*\*[\d* -]*\d{4}$")


def unmask(value: Any, card: str, cvv: str, filled: list[str], where: str = "") -> Any:
    """``value`` (a JSON value) with masked card numbers and CVVs replaced; ``filled`` gets their paths.

    >>> filled = []
    >>> unmask({"credit_card": {"number": "420000******0000", "verification_value": "***"}},
    ...        "4200000000000000", "123", filled)
    {'credit_card': {'number': '4200000000000000', 'verification_value': '123'}}
    >>> filled
    ['credit_card.number', 'credit_card.verification_value']
    """
    if isinstance(value, dict):
        return {key: unmask(item, card, cvv, filled, f"{where}.{key}" if where else str(key))
                for key, item in value.items()}
    if isinstance(value, list):
        return [unmask(item, card, cvv, filled, f"{where}[{n}]") for n, item in enumerate(value)]
    if isinstance(value, str):
        if _MASKED_PAN.match(value):
            filled.append(where)
            return card
        if value == MASK:
            filled.append(where)
            return cvv
    return value


def unmask_body(body: str, content_type: str, card: str, cvv: str) -> tuple[str, list[str]]:
    """The body to send (JSON or a form; anything else as it is) and the fields filled in."""
    filled: list[str] = []
    media = content_type.partition(";")[0].strip().lower()
    if media == "application/x-www-form-urlencoded":
        pairs = [(key, unmask(value, card, cvv, filled, key)) for key, value in parse_qsl(body, keep_blank_values=True)]
        return (urlencode(pairs) if filled else body), filled
    try:
        parsed = json.loads(body)
    except ValueError:
        return body, filled
    unmasked = unmask(parsed, card, cvv, filled)
    return (json.dumps(unmasked) if filled else body), filled


def _client(profile: Any, url: str, redactor: Redactor) -> Any:
    origin = urlsplit(url)[:2]
    for name, target in (("overpay", profile.overpay), ("opp", profile.opp)):
        if target is None or target.embedded or urlsplit(target.base_url)[:2] != origin:
            continue
        if name == "overpay":
            from asyncpay.gateways.overpay.merchant import make_client as overpay_client
            return overpay_client(target, redactor)
        from asyncpay.gateways.opp.merchant import make_client as opp_client
        return opp_client(target, redactor)
    raise ProfileError(f"no target of the profile is at {urlsplit(url).scheme}://{urlsplit(url).netloc}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m asyncpay.tools.replay", description=__doc__.splitlines()[0])
    parser.add_argument("--profile", required=True, help="the profile of the run that printed the request")
    parser.add_argument("method")
    parser.add_argument("url")
    parser.add_argument("-H", "--header", action="append", default=[], metavar="'NAME: VALUE'")
    parser.add_argument("--data", default=None, help="the request body, as printed")
    parser.add_argument("--card-number", default=TEST_CARD, help="sent for a masked card number (%(default)s)")
    parser.add_argument("--cvv", default=TEST_CVV, help="sent for a masked CVV (%(default)s)")
    args = parser.parse_args(argv)
    headers = dict(line.split(":", 1) for line in args.header if ":" in line)
    headers = {name.strip(): value.strip() for name, value in headers.items()}
    try:
        profile = load_profile(Path(args.profile))
        redactor = Redactor(profile.secrets)
        client = _client(profile, args.url, redactor)
    except ProfileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    body = None
    if args.data is not None:
        content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        text, filled = unmask_body(args.data, content_type, args.card_number, args.cvv)
        if filled:
            print(f"masked in the report, sent as the test card: {', '.join(filled)}")
        body = text.encode()
    try:
        answer = client.send(args.method.upper(), args.url, raw_body=body, headers=headers, label="replay")
    except (ContractViolation, NotVerified, HarnessError) as exc:
        print(redactor.text(f"no usable answer: {exc}"))
        return 1
    finally:
        client.close()
    print(f"HTTP {answer.status_code} in {answer.elapsed:.2f} s")
    for name, value in redactor.headers(dict(answer.headers)).items():
        print(f"{name}: {value}")
    print()
    print(redactor.body(answer.body, answer.headers.get("content-type")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
