"""A minimal signed Liquid API v2 client, for the emulator's demo, tests and benchmark.

Requests are signed the way Liquid documented: an HS256 JWT of ``{path, nonce, token_id}``
with the token secret, ``path`` being the exact request target sent on the wire.
"""

from __future__ import annotations

import threading
import time
from urllib.parse import urlencode

import jwt
import requests


class NonceSource:
    """Strictly increasing millisecond nonces, thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = 0

    def next(self) -> int:
        with self._lock:
            self._last = max(self._last + 1, time.time_ns() // 1_000_000)
            return self._last


def auth_headers(target: str, token_id: str, secret: str, nonce: int | str | float) -> dict[str, str]:
    """The headers of a private request to ``target`` (path plus ``?query`` as sent)."""
    claims = {"path": target, "nonce": nonce, "token_id": token_id}
    return {
        "X-Quoine-API-Version": "2",
        "X-Quoine-Auth": jwt.encode(claims, secret.encode("utf-8"), algorithm="HS256"),
        "Content-Type": "application/json",
    }


def target_of(path: str, params: dict | None = None) -> str:
    return f"{path}?{urlencode(params)}" if params else path


class SignedClient:
    """Signed GETs with one token over a keep-alive session. Never logs or reprs the secret."""

    def __init__(
        self,
        base_url: str,
        token_id: str,
        secret: str,
        session: requests.Session | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token_id = token_id
        self._secret = secret
        self.session = session or requests.Session()
        self.timeout = timeout
        self.nonces = NonceSource()

    def __repr__(self) -> str:
        return f"SignedClient({self.base_url!r}, token_id={self.token_id!r})"

    def get(self, path: str, params: dict | None = None, timeout: float | None = None) -> requests.Response:
        target = target_of(path, params)
        headers = auth_headers(target, self.token_id, self._secret, self.nonces.next())
        return self.session.get(self.base_url + target, headers=headers, timeout=timeout or self.timeout)
