"""Transport-neutral requests and answers passed between ``server`` and ``api``/``admin``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

JSON_TYPE = "application/json; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class Request:
    """``target`` is the raw request target as sent (path plus ``?query``, undecoded);
    ``headers`` a case-insensitive mapping."""

    method: str
    target: str
    headers: Mapping[str, str]
    body: bytes = b""

    @property
    def path(self) -> str:
        return self.target.partition("?")[0]

    @property
    def query_string(self) -> str:
        return self.target.partition("?")[2]


@dataclass(frozen=True)
class Response:
    """An answer. ``delay_seconds`` is slept before sending; ``drop`` closes the connection
    without an answer (``before_response``) or after ``cut_fraction`` of the body
    (``mid_body``, with the full ``Content-Length`` announced)."""

    status: int
    body: bytes
    content_type: str = JSON_TYPE
    delay_seconds: float = 0.0
    drop: str = ""
    cut_fraction: float = 0.5


class ApiError(Exception):
    """An error answer raised from a handler: a JSON ``{"message": ...}`` body."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def body(self) -> dict:
        return {"message": self.message}


class RawJson(bytes):
    """An answer body that is already encoded JSON."""


_encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def encode_json(value: object) -> bytes:
    """Compact UTF-8 JSON; a ``RawJson`` is passed through as is."""
    if isinstance(value, RawJson):
        return value
    return _encoder.encode(value).encode("utf-8")


def json_response(status: int, value: object) -> Response:
    return Response(status, encode_json(value))


def text_response(status: int, text: str) -> Response:
    return Response(status, text.encode("utf-8"), TEXT_TYPE)
