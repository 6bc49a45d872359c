"""Test doubles for the harness's own tests: gateways that misbehave on purpose.

>>> from asyncpay.testing.hostile import HostileGateway
>>> with HostileGateway("hang") as gateway:
...     gateway.url
'http://127.0.0.1:...'
"""

from collections.abc import Iterator
from typing import Any


def json_objects(node: Any) -> Iterator[dict[str, Any]]:
    """Every object in a JSON document (a schema, an OpenAPI document), depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from json_objects(value)
    elif isinstance(node, list):
        for item in node:
            yield from json_objects(item)
