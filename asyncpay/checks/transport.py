"""Checks every HTTP answer is held to before any gateway contract applies.

The gateways layer hands this module to every client it makes (``checks=transport``, the
:class:`asyncpay.http.client.TransportChecks` hooks): the client reports what one exchange did and
these decide, so any check that talked to a gateway also checks them.
"""

from __future__ import annotations

from typing import Any, NoReturn

from asyncpay.checks import check
from asyncpay.errors import TransportViolation

#: Media types a JSON answer may carry (``+json`` suffixes too); parameters such as charset allowed.
JSON_MEDIA_TYPES = frozenset({"application/json"})


@check("transport.answers")
def no_complete_answer(summary: str, *, expected: str, received: Any) -> NoReturn:
    """The exchange ended without a complete HTTP answer (timeout, reset, flood, bad encoding)."""
    raise TransportViolation("transport.answers", summary, expected=expected, received=received) from None


@check("transport.no-redirect")
def no_redirect(status_code: int, where: str, location: str) -> None:
    """A 3xx answer to an API request: it is never followed (it could carry credentials away)."""
    if 300 <= status_code < 400:
        raise TransportViolation("transport.no-redirect", f"{where} answered with a redirect",
                                 expected="a direct answer (redirects are never followed)",
                                 received={"http": status_code, "location": location})


def is_json_media_type(content_type: str | None) -> bool:
    """Whether a Content-Type value names JSON: ``application/json`` or ``*/*+json``, any params.

    >>> is_json_media_type("application/json; charset=utf-8"), is_json_media_type("text/html")
    (True, False)
    """
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media in JSON_MEDIA_TYPES or (media.startswith("application/") and media.endswith("+json"))


@check("transport.json-content-type")
def json_content_type(content_type: str | None, body_is_json: bool, where: str) -> None:
    """A JSON answer says so in its Content-Type (the APIs speak application/json)."""
    if body_is_json and not is_json_media_type(content_type):
        raise TransportViolation(
            "transport.json-content-type", f"{where} answered JSON labelled as something else",
            expected="Content-Type: application/json (parameters such as charset allowed)",
            received={"content-type": content_type})
