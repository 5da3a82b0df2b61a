"""The emulator's admin interface under ``/_emulator/`` (no authentication, no faults, no stats).

| request | body | answer |
|---|---|---|
| ``GET /_emulator/tokens`` | | ``[{account, token_id, secret, permissions, revoked}]`` |
| ``POST /_emulator/tokens`` | ``{"account": name[, "permissions": [...]]}`` | the new token (201) |
| ``POST /_emulator/tokens/{id}/revoke`` | | the token |
| ``POST /_emulator/tokens/{id}/permissions`` | ``{"permissions": [...]}`` | the token |
| ``GET /_emulator/clock`` | | ``{"now_ms", "now"}`` |
| ``POST /_emulator/clock/advance`` | ``{"days": n}`` or ``{"seconds": n}`` | the clock |
| ``GET``/``POST /_emulator/faults`` | ``faults.FaultConfig`` fields (absent = off) | the settings |
| ``GET``/``POST /_emulator/rate_limit`` | ``{"limit": n, "window_seconds": s}`` | the settings |
| ``GET /_emulator/stats`` | | ``stats.RequestStats.to_json()`` |
| ``POST /_emulator/stats/reset`` | | ``{}`` |

Bad bodies are 400 and unknown tokens/accounts 404, each ``{"message": ...}``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime, timezone

from liquid_emulator.exchange import PERMISSIONS, Exchange
from liquid_emulator.faults import FaultConfig
from liquid_emulator.messages import ApiError, Request, Response, json_response

SECONDS_PER_DAY = 86400


def clock_json(now_ms: int) -> dict:
    now = datetime.fromtimestamp(now_ms / 1000, tz=timezone.utc)
    return {"now_ms": now_ms, "now": now.isoformat(timespec="milliseconds").replace("+00:00", "Z")}


class AdminApi:
    def __init__(self, exchange: Exchange) -> None:
        self.exchange = exchange
        self.routes: list[tuple[str, re.Pattern, Callable]] = [
            ("GET", re.compile(r"/_emulator/tokens"), self.list_tokens),
            ("POST", re.compile(r"/_emulator/tokens"), self.create_token),
            ("POST", re.compile(r"/_emulator/tokens/([^/]+)/revoke"), self.revoke_token),
            ("POST", re.compile(r"/_emulator/tokens/([^/]+)/permissions"), self.set_permissions),
            ("GET", re.compile(r"/_emulator/clock"), self.clock),
            ("POST", re.compile(r"/_emulator/clock/advance"), self.advance_clock),
            ("GET", re.compile(r"/_emulator/faults"), self.faults),
            ("POST", re.compile(r"/_emulator/faults"), self.set_faults),
            ("GET", re.compile(r"/_emulator/rate_limit"), self.rate_limit),
            ("POST", re.compile(r"/_emulator/rate_limit"), self.set_rate_limit),
            ("GET", re.compile(r"/_emulator/stats"), self.stats),
            ("POST", re.compile(r"/_emulator/stats/reset"), self.reset_stats),
        ]

    def handle(self, request: Request) -> Response:
        path_known = False
        for method, pattern, handler in self.routes:
            match = pattern.fullmatch(request.path)
            if not match:
                continue
            path_known = True
            if method != request.method:
                continue
            try:
                status, value = handler(match, request.body)
            except ApiError as error:
                return json_response(error.status, error.body())
            return json_response(status, value)
        if path_known:
            return json_response(405, {"message": "Method Not Allowed"})
        return json_response(404, {"message": "Not Found"})

    # tokens

    def list_tokens(self, match, body) -> tuple[int, object]:
        return 200, [t.to_json() for t in self.exchange.tokens]

    def create_token(self, match, body) -> tuple[int, object]:
        data = _object(body)
        account = data.get("account")
        if account not in self.exchange.accounts:
            raise ApiError(404, f"no account named {account!r}; accounts: {sorted(self.exchange.accounts)}")
        permissions = data.get("permissions", list(PERMISSIONS))
        token = _checked(lambda: self.exchange.create_token(account, permissions))
        return 201, token.to_json()

    def revoke_token(self, match, body) -> tuple[int, object]:
        token_id = self._known_token(match.group(1))
        return 200, self.exchange.revoke_token(token_id).to_json()

    def set_permissions(self, match, body) -> tuple[int, object]:
        token_id = self._known_token(match.group(1))
        permissions = _object(body).get("permissions")
        return 200, _checked(lambda: self.exchange.set_permissions(token_id, permissions)).to_json()

    def _known_token(self, token_id: str) -> str:
        if self.exchange.token(token_id) is None:
            raise ApiError(404, f"no token {token_id!r}")
        return token_id

    # clock

    def clock(self, match, body) -> tuple[int, object]:
        return 200, clock_json(self.exchange.now_ms)

    def advance_clock(self, match, body) -> tuple[int, object]:
        data = _object(body)
        if set(data) not in ({"days"}, {"seconds"}):
            raise ApiError(400, 'expected {"days": n} or {"seconds": n}')
        (unit, amount), = data.items()
        if isinstance(amount, bool) or not isinstance(amount, (int, float)) or amount < 0:
            raise ApiError(400, f"{unit} must be a number >= 0, got {amount!r}")
        seconds = amount * SECONDS_PER_DAY if unit == "days" else amount
        return 200, clock_json(_checked(lambda: self.exchange.advance_clock(seconds)))

    # faults and limits

    def faults(self, match, body) -> tuple[int, object]:
        return 200, self.exchange.faults.config.to_json()

    def set_faults(self, match, body) -> tuple[int, object]:
        config = _checked(lambda: FaultConfig.from_json(_object(body)))
        self.exchange.set_faults(config)
        return 200, config.to_json()

    def rate_limit(self, match, body) -> tuple[int, object]:
        return 200, self.exchange.rate_limiter.settings()

    def set_rate_limit(self, match, body) -> tuple[int, object]:
        data = _object(body)
        if set(data) != {"limit", "window_seconds"}:
            raise ApiError(400, 'expected {"limit": n, "window_seconds": s}')
        _checked(lambda: self.exchange.set_rate_limit(data["limit"], data["window_seconds"]))
        return 200, self.exchange.rate_limiter.settings()

    # statistics

    def stats(self, match, body) -> tuple[int, object]:
        return 200, self.exchange.stats.to_json()

    def reset_stats(self, match, body) -> tuple[int, object]:
        self.exchange.stats.reset()
        return 200, {}


def _object(body: bytes) -> dict:
    try:
        data = json.loads(body or b"{}")
    except ValueError as error:
        raise ApiError(400, f"body is not JSON: {error}") from None
    if not isinstance(data, dict):
        raise ApiError(400, "body must be a JSON object")
    return data


def _checked(action: Callable):
    """``action()``, its ``ValueError`` turned into a 400."""
    try:
        return action()
    except ValueError as error:
        raise ApiError(400, str(error)) from None
