"""Keep secrets and card data out of everything a run writes.

Every recorded exchange, report, log line and failure message passes through a
:class:`Redactor`. It hides the exact secrets it was given (and their URL-, JSON- and base64
encodings, including any Basic credential that decodes to ``something:secret``), masks card
numbers that pass the Luhn check to BIN + last 4, masks CVV/CVC values to ``***`` and blanks
values of password/secret/token/authorization fields — in plain text, JSON, form bodies, URLs
and headers.

>>> redactor = Redactor(["s3cret-value"])       # e.g. profile.overpay.secret_key
>>> redactor.add_basic("361", "s3cret-value")    # the shop id and that secret key
>>> redactor.json({"credit_card": {"number": "4200000000000000", "verification_value": "123"}})
{'credit_card': {'number': '420000******0000', 'verification_value': '***'}}
"""

from __future__ import annotations

import base64
import binascii
import json as _json
import logging
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus, unquote_plus, urlsplit, urlunsplit

REDACTED = "[redacted]"
MASK = "***"
#: Longest redacted body kept in a record; the rest is cut with a "… (N bytes)" suffix.
BODY_LIMIT = 64 << 10
_MIN_SECRET = 4

_CVV_KEYS = frozenset({"verification_value", "cvv", "cvc", "cvv2", "cvc2", "securitycode",
                       "security_code"})
_PAN_KEYS = frozenset({"number", "pan", "card_number", "cardnumber"})
_SECRET_KEYS = frozenset({"password", "passwd", "secret", "secret_key", "token", "access_token",
                          "refresh_token", "api_key", "apikey", "client_secret", "webhook_secret",
                          "cookie", "set-cookie"})
_AUTH_HEADERS = frozenset({"authorization", "proxy-authorization"})
_COOKIE_HEADERS = frozenset({"cookie", "set-cookie"})
_SECRET_HEADER = re.compile(r"token|secret|api[-_]?key|password", re.IGNORECASE)

# A run of digit groups split by single spaces or dashes ("4200 0000 0000 0000"). Within it a
# card number is 13-19 digits of whole groups; a group touching a letter belongs to an id
# ("ede2-4361-…", "…4499a9e4"), not to a card number.
_DIGIT_RUN = re.compile(r"\d+(?:[ -]\d+)*", re.ASCII)
_GROUP = re.compile(r"\d+", re.ASCII)
# A UUID (Overpay's request_id): its groups may be all digits, and a digit run inside it is no
# PAN. Hex ids without dashes (OPP's payment, checkout and ndc ids) are kept whole by the
# letter rule above.
_ID_TOKEN = re.compile(r"(?<![0-9A-Za-z-])[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}"
                       r"(?![0-9A-Za-z-])", re.ASCII)
_PAN_DIGITS = range(13, 20)
# 13 digits in a row, separators allowed: without them no text needs the digit-run pass.
_MAYBE_PAN = re.compile(r"\d(?:[ -]?\d){12}", re.ASCII)
# Anything that could be base64 of "user:secret" (standard or URL-safe alphabet).
_B64_TOKEN = re.compile(r"[A-Za-z0-9+/_-]{8,}={0,2}")
# "Basic <b64>" / "Bearer <token>" wherever they appear (reprs, log lines, error messages).
_AUTH_VALUE = re.compile(r"\b(basic|bearer)\s+([A-Za-z0-9+/=._~-]{8,})", re.IGNORECASE)
# Header-like text: "Authorization: Basic …" keeps its scheme; a cookie line goes whole.
_AUTH_LINE = re.compile(
    r"""\b(?P<name>(?:proxy-)?authorization)(?P<sep>["']?\s*[:=]\s*["']?)"""
    r"""(?P<scheme>[A-Za-z][\w-]*[ \t]+)?(?P<cred>[^\s"'&,;{}\[\]]+)""", re.IGNORECASE)
_AUTH_SCHEMES = frozenset({"basic", "bearer", "digest", "token", "negotiate", "ntlm", "hmac",
                           "apikey", "api-key", "oauth", "signature", "aws4-hmac-sha256"})
_COOKIE_LINE = re.compile(r"""\b(?P<name>set-cookie|cookie)(?P<sep>["']?\s*:\s*["']?)"""
                          r"""(?P<value>[^\r\n"']+)""", re.IGNORECASE)
# key=value / "key": value / 'key': 'value' pairs, as in JSON, form bodies, queries and reprs.
_PAIR = re.compile(
    r"""(?P<key>"[^"\\\n]{1,64}"|'[^'\\\n]{1,64}'|(?<![\w.\[\]%-])[A-Za-z_][\w.\[\]%-]{0,63})"""
    r"""(?P<sep>\s*[:=]\s*)"""
    r"""(?P<val>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|\[redacted\]|[^\s&,;'"{}\[\]()]+)""")
_URL_QUERY = re.compile(r"""(?P<base>\bhttps?://[^\s?#"'<>]+)\?(?P<query>[^\s#"'<>]+)""", re.IGNORECASE)
_ANY_URL = re.compile(r"""\b[a-z][a-z0-9+.-]*://[^\s"'<>`]+""", re.IGNORECASE)
_JSON_LITERALS = frozenset({"null", "true", "false"})


def _key_kind(key: str) -> str | None:
    """Which rule covers a field name such as ``card[cvv]`` or ``card.number``, if any."""
    parts = [part for part in re.split(r"[.\[\]]+", unquote_plus(key).lower()) if part]
    name = parts[-1] if parts else ""
    if name in _CVV_KEYS:
        return "cvv"
    if name in _PAN_KEYS:
        return "pan"
    if name in _SECRET_KEYS:
        return "secret"
    if name in _AUTH_HEADERS:
        return "auth"
    return None


def _luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = ord(char) - 48
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def _mask_pan(value: str) -> str:
    """Keep the first 6 and last 4 digits, star the rest; separators stay where they were."""
    count = sum(char.isdigit() for char in value)
    out, seen = [], 0
    for char in value:
        if char.isdigit():
            out.append(char if seen < 6 or seen >= count - 4 else "*")
            seen += 1
        else:
            out.append(char)
    return "".join(out)


def _pan_like(value: str) -> bool:
    """A 12-19 digit value in a field named like a card number (no Luhn check there)."""
    digits = value.replace(" ", "").replace("-", "")
    return digits.isascii() and digits.isdigit() and 12 <= len(digits) <= 19


def _pan_in_run(text: str, start: int, end: int) -> str:
    """The digit run ``text[start:end]`` with the card number in it masked, if there is one.

    The whole run is the card number if it has 13-19 digits and passes Luhn; otherwise the
    longest window of whole groups that does ("4200000000000000 123": a card and its CVV).
    A group touching a letter at either end of the run is left out: it is part of an id.
    """
    run = text[start:end]
    groups = [(m.start(), m.end()) for m in _GROUP.finditer(run)]
    if start > 0 and text[start - 1].isascii() and text[start - 1].isalpha():
        groups = groups[1:]
    if end < len(text) and text[end].isascii() and text[end].isalpha():
        groups = groups[:-1]
    best: tuple[int, int] | None = None
    for first in range(len(groups)):
        for last in range(len(groups) - 1, first - 1, -1):
            window = run[groups[first][0]:groups[last][1]]
            digits = window.replace(" ", "").replace("-", "")
            if len(digits) in _PAN_DIGITS and _luhn(digits):
                if best is None or last - first > best[1] - best[0]:
                    best = (first, last)
                break
    if best is None:
        return run
    left, right = groups[best[0]][0], groups[best[1]][1]
    return run[:left] + _mask_pan(run[left:right]) + run[right:]


def _mask_pan_runs(s: str) -> str:
    """Mask the Luhn-valid card numbers in free text, leaving ids (UUIDs, hex ids) whole."""
    if _MAYBE_PAN.search(s) is None:
        return s
    ids = [match.span() for match in _ID_TOKEN.finditer(s)]
    out, done = [], 0
    for match in _DIGIT_RUN.finditer(s):
        start, end = match.span()
        if end - start < 13 or any(first <= start and end <= last for first, last in ids):
            continue
        out.append(s[done:start])
        out.append(_pan_in_run(s, start, end))
        done = end
    if not out:
        return s
    out.append(s[done:])
    return "".join(out)


def _variants(secret: str) -> set[str]:
    """The forms a secret takes in text: raw, URL-encoded, JSON-escaped.

    Base64 forms are left to the token pass in ``text()``, which decodes whole tokens and so
    also catches ``user:secret`` for any user and any alignment.
    """
    escaped = _json.dumps(secret)[1:-1]
    # PHP's json_encode escapes "/" as "\/" by default.
    return {secret, quote(secret, safe=""), quote(secret), quote_plus(secret), escaped,
            escaped.replace("/", "\\/")}


#: text() remembers its answers for strings up to this long, at most this many at once.
_CACHED_LENGTH = 256
_CACHED_STRINGS = 50_000


class Redactor:
    """Hides the run's secrets and card data in text, JSON, forms, URLs, headers and bodies.

    Secrets shorter than 4 characters are ignored: hiding them would mangle ordinary text.

    >>> redactor = Redactor(["sk-live-0123456789"])
    >>> redactor.text("key sk-live-0123456789, card 4200 0000 0000 0000")
    'key [redacted], card 4200 00** **** 0000'
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._secret_bytes: tuple[bytes, ...] = ()
        # text() of strings already seen (JSON keys and values repeat across thousands of
        # exchanges); emptied whenever the secrets change, so a cached answer is never stale.
        self._seen: dict[str, str] = {}
        self.add(*secrets)

    def add(self, *secrets: str) -> None:
        """Add exact strings to hide.

        >>> redactor = Redactor()
        >>> redactor.add("opp-token-0123")           # e.g. profile.opp.token
        >>> redactor.text("token opp-token-0123 sent")
        'token [redacted] sent'
        """
        with self._lock:
            self._secrets.update(s for s in secrets if s and len(s) >= _MIN_SECRET)
            variants = set().union(*(_variants(s) for s in self._secrets)) if self._secrets else set()
            # Longest first, so a secret that contains another is hidden whole.
            ordered = sorted(variants, key=len, reverse=True)
            self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None
            self._secret_bytes = tuple(s.encode() for s in self._secrets)
            self._seen = {}

    def add_basic(self, user: str, secret: str) -> None:
        """Hide a secret and the literal base64 of ``user:secret`` (an HTTP Basic credential).

        >>> import base64
        >>> redactor = Redactor()
        >>> redactor.add_basic("361", "s3cret-value")
        >>> redactor.text(base64.b64encode(b"361:s3cret-value").decode())
        '[redacted]'
        """
        token = base64.b64encode(f"{user}:{secret}".encode()).decode("ascii")
        self.add(secret, token)

    def text(self, s: str) -> str:
        """Free text with secrets hidden, Luhn-valid card numbers and CVVs masked.

        >>> redactor = Redactor()
        >>> redactor.text('{"cvv": "123"} card.number=4111111111111111')
        '{"cvv": "***"} card.number=411111******1111'
        """
        if not s:
            return s
        seen = self._seen
        done = seen.get(s)
        if done is None:
            done = self._text(s)
            if len(s) <= _CACHED_LENGTH:
                if len(seen) >= _CACHED_STRINGS:
                    seen.clear()
                seen[s] = done
        return done

    def _text(self, s: str) -> str:
        pattern = self._pattern
        if pattern is not None:
            s = pattern.sub(REDACTED, s)
        if self._secret_bytes:
            s = _B64_TOKEN.sub(self._b64_token, s)
        s = _AUTH_LINE.sub(_auth_line, s)
        s = _COOKIE_LINE.sub(_cookie_line, s)
        s = _AUTH_VALUE.sub(_auth_value, s)
        # A URL's query first: the pair pattern would read "https: //host/?cvv=1" as one pair.
        s = _URL_QUERY.sub(lambda m: m.group("base") + "?" + self._form_pairs(m.group("query")), s)
        s = _PAIR.sub(self._pair, s)
        return _mask_pan_runs(s)

    def free_text(self, s: str) -> str:
        """Free text that may quote URLs: each URL through :meth:`url` first, then :meth:`text`.

        In free text a URL reads as one ``http: //host/?card.cvv=123`` pair, so the query's own
        pairs would escape the text rules.
        """
        return self.text(_ANY_URL.sub(lambda m: self.url(m.group(0)), s)) if s else s

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """Headers with credentials hidden: ``Authorization: Basic [redacted]``, cookies blanked.

        >>> redactor = Redactor()
        >>> redactor.headers({"Authorization": "Bearer abc.def", "Accept": "application/json"})
        {'Authorization': 'Bearer [redacted]', 'Accept': 'application/json'}
        """
        out: dict[str, str] = {}
        for name, value in headers.items():
            lower = name.lower()
            if lower in _AUTH_HEADERS:
                scheme, space, _ = value.strip().partition(" ")
                out[name] = f"{scheme} {REDACTED}" if space else REDACTED
            elif lower in _COOKIE_HEADERS or _SECRET_HEADER.search(lower):
                out[name] = REDACTED
            else:
                out[name] = self.text(value)
        return out

    def url(self, url: str) -> str:
        """A URL with sensitive query values and any userinfo password masked.

        >>> redactor = Redactor()
        >>> redactor.url("https://gw.test/v1/payments/1?entityId=8a82&card.cvv=123")
        'https://gw.test/v1/payments/1?entityId=8a82&card.cvv=***'
        """
        try:
            parts = urlsplit(url)
        except ValueError:
            return self.text(url)
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, host = netloc.rsplit("@", 1)
            user, colon, _ = userinfo.partition(":")
            netloc = f"{user}:{REDACTED}@{host}" if colon else f"{user}@{host}"
        query = self.form(parts.query) if parts.query else ""
        return self.text(urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment)))

    def json(self, obj: Any) -> Any:
        """A redacted deep copy of a JSON value; sensitive fields masked by name.

        >>> redactor = Redactor()
        >>> redactor.json({"request": {"password": "x1y2z3", "pan": 4200000000000000}})
        {'request': {'password': '[redacted]', 'pan': '420000******0000'}}
        """
        if isinstance(obj, Mapping):
            out: dict[Any, Any] = {}
            for key, value in obj.items():
                kind = _key_kind(key) if isinstance(key, str) else None
                out[self.free_text(key) if isinstance(key, str) else key] = self._field(kind, value)
            return out
        if isinstance(obj, list | tuple):
            return [self.json(item) for item in obj]
        if isinstance(obj, str):
            return self.free_text(obj)
        if isinstance(obj, int) and not isinstance(obj, bool) and obj > 0:
            digits = str(obj)
            # A PAN sent as a JSON number is still a PAN.
            return _mask_pan(digits) if len(digits) in _PAN_DIGITS and _luhn(digits) else obj
        return obj

    def form(self, body: str) -> str:
        """An ``application/x-www-form-urlencoded`` body with sensitive fields masked.

        >>> redactor = Redactor()
        >>> redactor.form("card.number=4200000000000000&card.cvv=123&amount=92.00")
        'card.number=420000******0000&card.cvv=***&amount=92.00'
        """
        return self.text(self._form_pairs(body))

    def _form_pairs(self, body: str) -> str:
        pairs = []
        for part in body.split("&"):
            name, equals, value = part.partition("=")
            kind = _key_kind(name)
            if kind is not None and value:
                if kind == "cvv":
                    value = MASK
                elif kind in ("secret", "auth"):
                    value = REDACTED
                elif _pan_like(unquote_plus(value)):
                    value = _mask_pan(unquote_plus(value))
            pairs.append(f"{name}{equals}{value}")
        return "&".join(pairs)

    def body(self, body: bytes | str, content_type: str | None) -> str:
        """A body ready to record: by content type (JSON, form, text), then capped at 64 KiB.

        JSON is recognised by its content type or by its first character. Non-UTF-8 bytes
        become ``<N bytes binary>``.

        >>> redactor = Redactor()
        >>> redactor.body(b'{"credit_card": {"verification_value": "123"}}', "application/json")
        '{"credit_card": {"verification_value": "***"}}'
        """
        if isinstance(body, bytes):
            size = len(body)
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                return f"<{size} bytes binary>"
        else:
            text, size = body, len(body.encode("utf-8", "replace"))
        media = (content_type or "").partition(";")[0].strip().lower()
        if media == "application/x-www-form-urlencoded":
            out = self.form(text)
        elif media.endswith("json") or text.lstrip()[:1] in ("{", "["):
            try:
                out = _json.dumps(self.json(_json.loads(text)), ensure_ascii=False)
            except (ValueError, RecursionError):
                out = self.text(text)
        else:
            out = self.text(text)
        # Cut after redacting: cutting first could leave half a card number no rule recognises.
        if len(out) > BODY_LIMIT:
            out = f"{out[:BODY_LIMIT]}… ({size} bytes)"
        return out

    def _field(self, kind: str | None, value: Any) -> Any:
        if kind is None or value is None or value == "":
            return self.json(value)
        if kind == "auth" and isinstance(value, Mapping | list):
            # Overpay names a transaction's sub-object after its type: "authorization": {...}.
            return self.json(value)
        if kind == "cvv":
            return MASK
        if kind in ("secret", "auth"):
            return REDACTED
        if isinstance(value, str | int) and not isinstance(value, bool) and _pan_like(str(value)):
            return _mask_pan(str(value))
        return self.json(value)

    def _b64_token(self, match: re.Match[str]) -> str:
        token = match.group(0)
        raw = token.rstrip("=").replace("-", "+").replace("_", "/")
        try:
            decoded = base64.b64decode(raw + "=" * (-len(raw) % 4), validate=True)
        except (binascii.Error, ValueError):
            return token
        return REDACTED if any(secret in decoded for secret in self._secret_bytes) else token

    def _pair(self, match: re.Match[str]) -> str:
        key, sep, val = match.group("key", "sep", "val")
        quote_char = val[0] if val[:1] in ('"', "'") else ""
        inner = val[1:-1] if quote_char else val
        kind = _key_kind(key.strip("\"'"))
        if kind == "auth":
            return match.group(0)  # _AUTH_LINE has judged it, keeping the scheme
        if kind is None:
            if quote_char and ("=" in inner or ":" in inner):
                # A value may itself hold pairs ("note": "cvv=123"): redact inside it too.
                return f"{key}{sep}{quote_char}{_PAIR.sub(self._pair, inner)}{quote_char}"
            return match.group(0)
        if not inner or inner in (REDACTED, MASK) or not quote_char and inner in _JSON_LITERALS:
            return match.group(0)
        if kind == "cvv":
            new = MASK
        elif kind == "secret":
            new = REDACTED
        elif _pan_like(inner):
            new = _mask_pan(inner)
        else:
            return match.group(0)
        if not quote_char and key.startswith('"') and ":" in sep:
            quote_char = '"'  # keep JSON text valid: a masked number becomes a string
        return f"{key}{sep}{quote_char}{new}{quote_char}"


def _looks_secret(token: str) -> bool:
    """A credential-like word: long, with digits or punctuation (not "declined" or "3-D")."""
    return len(token) >= 8 and (len(token) >= 20 or any(c.isdigit() or c in "+/=._~-" for c in token))


def _auth_line(match: re.Match[str]) -> str:
    name, sep, scheme, credential = match.group("name", "sep", "scheme", "cred")
    if credential == REDACTED:
        return match.group(0)
    if scheme and scheme.strip().lower() in _AUTH_SCHEMES:
        return f"{name}{sep}{scheme}{REDACTED}"
    # No known scheme: this may be prose ("authorization: declined"), so judge the first word.
    first = scheme.strip() if scheme else credential
    if not _looks_secret(first):
        return match.group(0)
    return f"{name}{sep}{REDACTED} {credential}" if scheme else f"{name}{sep}{REDACTED}"


def _cookie_line(match: re.Match[str]) -> str:
    return f"{match.group('name')}{match.group('sep')}{REDACTED}"


def _auth_value(match: re.Match[str]) -> str:
    scheme, token = match.group(1, 2)
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(token, validate=True)
        except (binascii.Error, ValueError):
            return match.group(0)
        return f"{scheme} {REDACTED}" if b":" in decoded else match.group(0)
    return f"{scheme} {REDACTED}" if _looks_secret(token) else match.group(0)


class RedactingFilter(logging.Filter):
    """A logging filter that redacts each record's message, arguments and traceback.

    Logger-level filters do not see records propagated from child loggers, so install it on
    the handlers.

    Usage::

        for handler in logging.getLogger().handlers:
            handler.addFilter(RedactingFilter(redactor))

    On one handler:

    >>> import io
    >>> stream = io.StringIO()
    >>> handler = logging.StreamHandler(stream)
    >>> handler.addFilter(RedactingFilter(Redactor(["s3cret-value"])))
    >>> log = logging.getLogger("asyncpay.http.redaction.example")
    >>> log.addHandler(handler)
    >>> log.propagate = False
    >>> log.warning("login with %s, card 4200000000000000", "s3cret-value")
    >>> stream.getvalue()
    'login with [redacted], card 420000******0000\\n'
    >>> log.removeHandler(handler)
    """

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the record, nor leak its args
            message = f"{record.msg!r} % {record.args!r}"
        record.msg, record.args = self.redactor.text(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redactor.text(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redactor.text(record.stack_info)
        return True
