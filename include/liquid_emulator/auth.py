"""Liquid's request authentication: an HS256 JWT in ``X-Quoine-Auth``.

The JWT is signed with the token secret (its UTF-8 bytes) and carries ``token_id``
(string or integer), ``path`` (the raw request target, query string included, exactly
as sent) and ``nonce`` (strictly increasing per token; an integer, a numeric string or
a float, compared as ``Decimal``). Other claims (``iat``...) are ignored.
Every failure is a 401 with one of Liquid's plain-text bodies.

The emulator also insists on ``X-Quoine-API-Version: 2`` for private endpoints (Liquid
answered version-1 shapes without it), so a client that forgets the header fails here.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation

import jwt
from jwt.api_jws import PyJWS

from liquid_emulator.exchange import Exchange, Token

AUTH_FAILED = "API Authentication failed"
PATH_MISMATCH = "Path does not match"
NONCE_TOO_SMALL = "Nonce is too small"

_jws = PyJWS(algorithms=["HS256"])


class AuthError(Exception):
    """A 401. ``token`` is set when the signature checked out (for per-token statistics)."""

    def __init__(self, message: str, token: Token | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.token = token


def permission_denied(method: str, resource: str, token: Token) -> AuthError:
    return AuthError(f"This token does not allow {method} {resource}", token)


def authenticate(exchange: Exchange, headers, target: str) -> Token:
    """The token that signed this request, its nonce consumed; raises ``AuthError``.

    ``headers`` is a case-insensitive mapping; ``target`` the raw request target.
    """
    if headers.get("X-Quoine-API-Version") != "2":
        raise AuthError(AUTH_FAILED)
    encoded = headers.get("X-Quoine-Auth")
    if not encoded:
        raise AuthError(AUTH_FAILED)
    token = exchange.token(_claimed_token_id(encoded))
    if token is None or token.revoked:
        raise AuthError(AUTH_FAILED)
    try:
        payload = _jws.decode(encoded, token.secret.encode("utf-8"), algorithms=["HS256"])
    except jwt.PyJWTError:
        raise AuthError(AUTH_FAILED) from None
    claims = _claims(payload)
    if claims.get("path") != target:
        raise AuthError(PATH_MISMATCH, token)
    nonce = _nonce(claims.get("nonce"))
    if nonce is None:
        raise AuthError(AUTH_FAILED, token)
    if not exchange.consume_nonce(token, nonce):
        raise AuthError(NONCE_TOO_SMALL, token)
    return token


def _claimed_token_id(encoded: str) -> str:
    """The ``token_id`` claim, before the signature is checked ("" when there is none)."""
    try:
        payload = _jws.decode(encoded, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise AuthError(AUTH_FAILED) from None
    token_id = _claims(payload).get("token_id")
    if isinstance(token_id, bool) or not isinstance(token_id, (str, int)):
        return ""
    return str(token_id)


def _claims(payload: bytes) -> dict:
    try:
        claims = json.loads(payload, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError):
        raise AuthError(AUTH_FAILED) from None
    if not isinstance(claims, dict):
        raise AuthError(AUTH_FAILED)
    return claims


def _nonce(value: object) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, str):
        try:
            parsed = Decimal(value.strip())
        except InvalidOperation:
            return None
        return parsed if parsed.is_finite() else None
    return None
