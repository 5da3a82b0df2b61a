"""Deterministic stand-ins for time and HTTP, for unit tests of the Liquid client.

``FakeClock`` is a clock whose ``sleep`` only moves time forward. ``ScriptedSession`` is a
real ``requests.Session`` whose ``send`` answers from a script instead of the network (the
request is still prepared by requests, so the target on the wire is the real one).
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field

import requests
from requests.structures import CaseInsensitiveDict


class FakeClock:
    def __init__(self, start: float = 1_633_046_400.0):
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds


@dataclass
class Reply:
    status: int = 200
    body: bytes | str | object = b'{"models": [], "current_page": 1, "total_pages": 1}'
    headers: dict = field(default_factory=dict)

    def content(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        return json.dumps(self.body).encode("utf-8")


class ScriptedSession(requests.Session):
    """Answers each ``send`` with the next scripted ``Reply`` or raises the next exception.

    ``latency`` seconds of the fake clock pass during each request; ``sent`` keeps
    ``(clock time at send, prepared request)``.
    """

    def __init__(self, clock: FakeClock, script: list[Reply | Exception] | None = None, latency: float = 0.05):
        super().__init__()
        self.clock = clock
        self.script: deque[Reply | Exception] = deque(script or [])
        self.latency = latency
        self.sent: list[tuple[float, requests.PreparedRequest]] = []
        self.default = Reply()

    def send(self, request: requests.PreparedRequest, **kwargs) -> requests.Response:
        self.sent.append((self.clock.now, request))
        self.clock.now += self.latency
        step = self.script.popleft() if self.script else self.default
        if isinstance(step, Exception):
            raise step
        response = requests.Response()
        response.status_code = step.status
        response._content = step.content()
        response.headers = CaseInsensitiveDict(step.headers)
        response.url = request.url
        response.request = request
        return response
