"""Test doubles for the harness's own tests: gateways that misbehave on purpose.

>>> from asyncpay.testing.hostile import HostileGateway
>>> with HostileGateway("hang") as gateway:
...     gateway.url
'http://127.0.0.1:...'
"""
