"""Helpers for the emulator tests."""

from __future__ import annotations

from decimal import Decimal

import jwt
import requests

from liquid_emulator.model import Account


class Admin:
    """The admin interface of a running server."""

    def __init__(self, url: str) -> None:
        self.url = url + "/_emulator"
        self.session = requests.Session()

    def get(self, path: str) -> requests.Response:
        return self.session.get(self.url + path, timeout=10)

    def post(self, path: str, body: dict | None = None) -> requests.Response:
        return self.session.post(self.url + path, json=body, timeout=10)


def decoded(response: requests.Response):
    """The JSON body with decimals as ``Decimal`` (asserting a 200 first)."""
    assert response.status_code == 200, (response.status_code, response.text[:300])
    return response.json(parse_float=Decimal)


def busiest_product(account: Account) -> int:
    return max(account.traded_product_ids(), key=lambda p: len(account.executions(p)))


def jwt_get(base_url: str, target: str, secret: str | bytes, claims: dict, algorithm: str = "HS256",
            version: str | None = "2") -> requests.Response:
    """GET ``target`` with an ``X-Quoine-Auth`` JWT of exactly ``claims``, signed with ``secret``."""
    headers = {"X-Quoine-Auth": jwt.encode(claims, secret, algorithm=algorithm)}
    if version is not None:
        headers["X-Quoine-API-Version"] = version
    return requests.get(base_url + target, headers=headers, timeout=10)
