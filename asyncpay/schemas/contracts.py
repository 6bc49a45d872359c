"""The contracts: one JSON Schema (draft 2020-12) per documented gateway message.

The schemas are data, kept at the top of the repository in ``contracts/<gateway>/<name>.json``
and named ``"<gateway>/<name>"`` here. Each carries ``$id``
``https://asyncpay.dev/contracts/<gateway>/<name>.json``; one schema uses another by a relative
``$ref`` (``"transaction.json"``), resolved through a :mod:`referencing` registry, never over
the network. ``contracts/opp/result-codes.json`` is data too: OPP's documented result-code groups.

>>> problems("overpay/task", {"status": "processing", "request_id": "10203"})
["at $: 'response_url' is a required property", "at $: 'status_url' is a required property"]
>>> task = {"status": "processing", "request_id": "10203",
...         "status_url": "https://gw.test/s/10203", "response_url": "https://gw.test/r/10203"}
>>> check("overpay/task", task, rule="overpay.task-answer", what="the POST answer")  # conforms

``openapi_document`` and ``bundle`` give self-contained copies (every ``$ref`` local) for tools
that cannot follow references between files, such as schemathesis' ``from_dict``.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal, NoReturn
from urllib.parse import urldefrag, urljoin, urlsplit
from urllib.request import url2pathname

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from asyncpay.errors import ContractViolation, HarnessError
from asyncpay.http.recording import current as current_recording
from asyncpay.wire.testdata import OVERPAY_TRANSACTION_TYPES

__all__ = [
    "OVERPAY_TRANSACTION_TYPES",
    "CONTRACTS_DIR",
    "GATEWAYS",
    "ID_BASE",
    "KINDS",
    "ResultCodeGroup",
    "bundle",
    "check",
    "classify_result_code",
    "conforms",
    "names",
    "openapi_document",
    "problems",
    "registry",
    "result_code_groups",
    "schema",
]

# An installed wheel carries them as asyncpay/_contracts; a checkout (or editable install) reads
# the repository's contracts/ itself.
_PACKAGE = Path(__file__).resolve().parent.parent
CONTRACTS_DIR: Path = next((path for path in (_PACKAGE / "_contracts", _PACKAGE.parent / "contracts")
                            if path.is_dir()), _PACKAGE.parent / "contracts")
ID_BASE = "https://asyncpay.dev/contracts/"
GATEWAYS = ("overpay", "opp")
KINDS = ("successful", "successful-review", "pending", "pending-long", "rejected", "error")

_DATA_FILES = frozenset({"opp/result-codes"})
_RESULT_CODE = re.compile(r"[0-9]{3}\.[0-9]{3}\.[0-9]{3}")
# Keywords whose values are instances, not schemas: never rewritten when bundling.
_INSTANCE_KEYWORDS = frozenset({"const", "default", "enum", "example", "examples"})
_MESSAGE_LIMIT = 200


@cache
def names() -> tuple[str, ...]:
    """Every contract name, sorted: ``("opp/error", ..., "overpay/webhook")``."""
    found = [
        f"{gateway}/{path.stem}"
        for gateway in GATEWAYS
        for path in (CONTRACTS_DIR / gateway).glob("*.json")
    ]
    return tuple(sorted(name for name in found if name not in _DATA_FILES))


def _known(name: str) -> str:
    if name not in names():
        raise HarnessError(f"no contract {name!r}; known: {', '.join(names())}")
    return name


@cache
def _load(name: str) -> dict[str, Any]:
    path = CONTRACTS_DIR / f"{_known(name)}.json"
    try:
        contents: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise HarnessError(f"contract {path} cannot be read: {exc}") from exc
    expected_id = f"{ID_BASE}{name}.json"
    if contents.get("$id") != expected_id:
        raise HarnessError(f"contract {path} must have $id {expected_id!r}, not {contents.get('$id')!r}")
    return contents


@cache
def registry() -> Registry:
    """All contracts, keyed by their ``$id``; built once."""
    resources = [
        (f"{ID_BASE}{name}.json", Resource.from_contents(_load(name), default_specification=DRAFT202012))
        for name in names()
    ]
    return Registry().with_resources(resources).crawl()


def schema(name: str) -> dict[str, Any]:
    """A copy of the contract ``name`` (``"overpay/task"``), as written, ``$ref`` s included."""
    return copy.deepcopy(_load(name))


@cache
def _validator(name: str) -> Draft202012Validator:
    # No format checker: formats that matter are spelled out as patterns.
    return Draft202012Validator(_load(name), registry=registry())


def _path(error: ValidationError) -> str:
    text = "$"
    for part in error.absolute_path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", part):
            text += f".{part}"
        else:
            text += f"[{json.dumps(part)}]"
    return text


def _describe(error: ValidationError) -> str:
    # Inside anyOf/oneOf, the deepest error of the closest alternative says most.
    error = best_match([error]) or error
    message = error.message
    if len(message) > _MESSAGE_LIMIT:
        message = message[:_MESSAGE_LIMIT] + "…"
    return f"at {_path(error)}: {message}"


def problems(name: str, instance: Any) -> list[str]:
    """What is wrong with ``instance`` under contract ``name``; ``[]`` when it conforms.

    >>> problems("overpay/task-error", {"message": 7})
    ["at $.message: 7 is not of type 'string'"]
    """
    errors = sorted(_validator(name).iter_errors(instance), key=lambda e: (_path(e), e.message))
    found: list[str] = []
    for error in errors:
        text = _describe(error)
        if text not in found:
            found.append(text)
    return found


#: Keywords under which a ``$ref`` is one choice among several, a condition, or a definition used
#: only where referred to: an instance that conforms to the whole was not necessarily held to it.
_NOT_HELD = frozenset({"anyOf", "oneOf", "not", "if", "then", "else", "dependentSchemas", "$defs"})


@cache
def held_parts(name: str) -> tuple[str, ...]:
    """The contracts every instance of ``name`` is also held to: those it refers to as a whole
    (``$ref``, not one of their ``$defs``) outside any choice (``anyOf``, ``oneOf``, ``if``...).

    >>> held_parts("overpay/result-capture")
    ('overpay/transaction',)
    """
    gateway = name.split("/", 1)[0]
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            document, _, fragment = str(node.get("$ref", "#")).partition("#")
            if document and not fragment.strip("/"):  # another contract as a whole
                part = f"{gateway}/{document.removesuffix('.json')}"
                if part in names() and part != name and part not in found:
                    found.add(part)
                    walk(_load(part))
            for key, value in node.items():
                if key not in _NOT_HELD and key not in _INSTANCE_KEYWORDS:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(_load(name))
    return tuple(sorted(found))


def conforms(name: str, instance: Any) -> bool:
    """Whether ``instance`` conforms to contract ``name``."""
    return bool(_validator(name).is_valid(instance))


def check(name: str, instance: Any, *, rule: str, what: str) -> None:
    """Raise :class:`ContractViolation` for ``rule`` unless ``instance`` conforms to ``name``.

    >>> check("overpay/task", {"status": "processing"}, rule="overpay.task-answer",
    ...       what="the POST answer")
    Traceback (most recent call last):
    ...
    asyncpay.errors.ContractViolation: [overpay.task-answer] the POST answer does not conform to contract overpay/task
    ...
    """
    found = validate(name, instance)
    if found:
        refuse(name, instance, found, rule=rule, what=what)


def validate(name: str, instance: Any) -> list[str]:
    """:func:`problems` of ``instance`` under contract ``name``; when there are none, the shape is
    noted as seen and validated in the current test's recording (contract coverage)."""
    found = problems(name, instance)
    if not found:
        recording = current_recording()
        if recording is not None:
            # Contract coverage: this shape was seen and validated, and so were the parts it
            # holds without a choice (the transaction of a result, the result of an OPP answer).
            for seen in (name, *held_parts(name)):
                recording.shape(seen)
    return found


def refuse(name: str, instance: Any, found: list[str], *, rule: str, what: str) -> NoReturn:
    """Raise the :class:`ContractViolation` of ``rule`` for ``instance``, whose ``problems`` under
    contract ``name`` are ``found`` (non-empty): for a caller that has validated it already."""
    shown = "; ".join(found[:3])
    if len(found) > 3:
        shown += f"; and {len(found) - 3} more"
    title = _load(name).get("title", name)
    raise ContractViolation(
        rule,
        f"{what} does not conform to contract {name}",
        expected=f"{title} (contracts/{name}.json); problems: {shown}",
        received=instance,
    )


# --- self-contained copies -----------------------------------------------------------


def _name_of(document_uri: str) -> str:
    """The contract a document URI (``$id`` or ``file:`` URI under contracts/) names."""
    if document_uri.startswith(ID_BASE):
        relative = document_uri[len(ID_BASE):]
    elif document_uri.startswith("file:"):
        path = Path(url2pathname(urlsplit(document_uri).path)).resolve()
        try:
            relative = path.relative_to(CONTRACTS_DIR).as_posix()
        except ValueError:
            raise HarnessError(f"reference {document_uri} leads outside {CONTRACTS_DIR}") from None
    else:
        raise HarnessError(f"reference {document_uri} is not a contract")
    return _known(relative.removesuffix(".json"))


def _rewrite(node: Any, base: str, place: Callable[[str], str], *, schema: bool = True) -> Any:
    """A copy of ``node`` with every ``$ref`` (resolved against ``base``) replaced by ``place``.

    ``schema`` says ``node`` is a JSON Schema (a contract), not an OpenAPI document, whose
    ``default`` is a response and whose references may carry a summary.
    """
    if isinstance(node, list):
        return [_rewrite(item, base, place, schema=schema) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("$id", "$schema") and schema:
            continue
        if key == "$ref" and isinstance(value, str):
            out[key] = place(urljoin(base, value))
        elif key in _INSTANCE_KEYWORDS and schema:
            out[key] = copy.deepcopy(value)
        else:
            out[key] = _rewrite(value, base, place, schema=schema)
    if schema and "$ref" in out and any(key not in ("$ref", "title", "description") for key in out):
        # "$ref" beside other keywords is 2020-12; older-draft tools would drop the siblings.
        out["allOf"] = [{"$ref": out.pop("$ref")}, *out.get("allOf", [])]
    return out


class _Bundler:
    """Collects the contracts a document reaches into one local section (``home``)."""

    def __init__(self, home: str, key: Callable[[str], str], own_uri: str = "") -> None:
        self.home = home
        self.key = key
        self.own_uri = own_uri
        self.schemas: dict[str, Any] = {}

    def place(self, uri: str) -> str:
        document, fragment = urldefrag(uri)
        if document == self.own_uri:
            return f"#{fragment}"
        name = _name_of(document)
        key = self.key(name)
        if key not in self.schemas:
            self.schemas[key] = None  # claimed first, so cycles end
            self.schemas[key] = _rewrite(_load(name), f"{ID_BASE}{name}.json", self.place)
        return f"{self.home}/{key}{fragment}"


def bundle(name: str) -> dict[str, Any]:
    """Contract ``name`` with every contract it uses copied into its ``$defs``.

    Every ``$ref`` in the copy is local (``#/$defs/overpay.transaction``), so tools without a
    registry can use it:

    >>> import jsonschema
    >>> task = {"status": "processing", "request_id": "10203",
    ...         "status_url": "https://gw.test/s/10203", "response_url": "https://gw.test/r/10203"}
    >>> jsonschema.validate(task, bundle("overpay/task"))
    """
    bundler = _Bundler("#/$defs", key=lambda used: used.replace("/", "."))
    root = bundler.place(f"{ID_BASE}{_known(name)}.json")
    raw = _load(name)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": raw.get("title", name),
        "description": raw.get("description", ""),
        "allOf": [{"$ref": root}],
        "$defs": dict(sorted(bundler.schemas.items())),
    }


def openapi_document(gateway: Literal["overpay", "opp"]) -> dict[str, Any]:
    """``contracts/<gateway>.openapi.yaml`` with the contracts it uses in ``components/schemas``.

    >>> import schemathesis
    >>> schemathesis.openapi.from_dict(openapi_document("opp"))
    <OpenApiSchema for Open Payment Platform (OPP)...>
    """
    if gateway not in GATEWAYS:
        raise HarnessError(f"no OpenAPI document for gateway {gateway!r}; known: {', '.join(GATEWAYS)}")
    path = CONTRACTS_DIR / f"{gateway}.openapi.yaml"
    # libyaml's loader where PyYAML was built with it: the same safe subset, ten times faster.
    document = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))

    def key(used: str) -> str:
        folder, _, stem = used.partition("/")
        return stem if folder == gateway else used.replace("/", ".")

    bundler = _Bundler("#/components/schemas", key=key, own_uri=path.as_uri())
    bundled: dict[str, Any] = _rewrite(document, path.as_uri(), bundler.place, schema=False)
    schemas = bundled.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(sorted(bundler.schemas.items()))
    return bundled


# --- OPP result codes ----------------------------------------------------------------


@dataclass(frozen=True)
class ResultCodeGroup:
    """One documented OPP result-code group: ``kind`` is what the outcome means, ``final``
    whether the payment's status can still change (the pending groups), ``pattern`` the
    documented regular expression."""

    name: str
    kind: str
    final: bool
    pattern: re.Pattern[str]
    description: str = ""


@cache
def _result_code_groups() -> tuple[ResultCodeGroup, ...]:
    path = CONTRACTS_DIR / "opp" / "result-codes.json"
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
        groups = tuple(
            ResultCodeGroup(
                name=entry["name"],
                kind=entry["kind"],
                final=bool(entry["final"]),
                pattern=re.compile(entry["pattern"]),
                description=entry.get("description", ""),
            )
            for entry in entries
        )
    except (OSError, ValueError, KeyError, TypeError, re.error) as exc:
        raise HarnessError(f"{path} cannot be read: {exc!r}") from exc
    for group in groups:
        if group.kind not in KINDS:
            raise HarnessError(f"{path}: group {group.name!r} has kind {group.kind!r}; known: {KINDS}")
    return groups


def result_code_groups() -> list[ResultCodeGroup]:
    """OPP's result-code groups in documented order (the order to apply them in)."""
    return list(_result_code_groups())


def classify_result_code(code: str) -> ResultCodeGroup | None:
    """The first documented group ``code`` falls in; ``None`` if undocumented or malformed.

    >>> classify_result_code("000.200.000").kind
    'pending'
    """
    if not isinstance(code, str) or not _RESULT_CODE.fullmatch(code):
        return None
    for group in _result_code_groups():
        if group.pattern.match(code):
            return group
    return None
