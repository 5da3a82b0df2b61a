"""A read-only Liquid API v2 client: JWT signing, client-side pacing, retries, error classes.

Contracts:

* Every request is signed as the spec says: HS256 JWT over ``{"path", "nonce", "token_id"}``
  where ``path`` is the request target exactly as sent (path plus query string) and the nonce is
  ``max(now_ms, last_nonce + 1)``, so it strictly increases per client.
* One client holds one token; its requests run one at a time (a per-client lock), so nonces
  never collide. Different clients (accounts) may run in parallel.
* Pacing: at most ``rate_limit`` requests in any ``rate_window_seconds``, counted from the
  moment each earlier request completed (an upper bound of its arrival at the server), so a
  normal run never meets a 429. ``bind_pacing_file`` persists the recent request times and the
  last nonce, so a restarted process does not burst past the limit.
* Errors: ``KeyRejected`` (401 authentication or permission) is raised at once, never retried;
  ``SignatureMismatch`` (``Path does not match``) is a client bug; a 429 sleeps the advertised
  seconds then resumes; 5xx, timeouts, dropped connections and malformed bodies get bounded
  retries with exponential backoff and jitter; ``Nonce is too small`` is retried once.
* JSON is parsed with ``parse_float=Decimal``; integers stay ``int``.
* The secret never appears in an exception, a log line or ``repr``.
"""

from __future__ import annotations

import json
import logging
import os
import random
import re
import tempfile
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jwt
import requests

log = logging.getLogger(__name__)

DEFAULT_RATE_LIMIT = 300
DEFAULT_RATE_WINDOW_SECONDS = 300.0
USER_AGENT = "liquid-sync"

Params = Sequence[tuple[str, Any]]
Validator = Callable[[Any], None]


class LiquidError(Exception):
    """A Liquid request failed; names the account, the endpoint and, when known, the field."""

    def __init__(self, message: str, *, account: str, endpoint: str, field: str | None = None):
        self.message = message
        self.account = account
        self.endpoint = endpoint
        self.field = field
        where = f"account {account!r}, {endpoint}"
        if field:
            where += f", field {field!r}"
        super().__init__(f"{where}: {message}")


class KeyRejected(LiquidError):
    """401: the key is unknown, revoked, or lacks a permission. ``reason`` is Liquid's text."""

    def __init__(self, reason: str, *, account: str, endpoint: str):
        self.reason = reason
        super().__init__(f"key rejected: {reason}", account=account, endpoint=endpoint)


class SignatureMismatch(LiquidError):
    """401 ``Path does not match``: the signed path differs from the one sent (a client bug)."""


class NonceRejected(LiquidError):
    """``Nonce is too small`` came back twice in a row, even with a fresh nonce."""


class NotFound(LiquidError):
    """404, e.g. ``Order not found``."""


class RequestRejected(LiquidError):
    """Any other 4xx answer; not retried."""

    def __init__(self, message: str, *, status: int, account: str, endpoint: str):
        self.status = status
        super().__init__(f"HTTP {status}: {message}", account=account, endpoint=endpoint)


class MalformedResponse(LiquidError):
    """A body that is not the JSON expected; retried, then wrapped in ``RetriesExhausted``."""


class RetriesExhausted(LiquidError):
    """Transient failures (5xx, timeouts, dropped connections, malformed bodies, 429s) outlasted
    the retry budget."""


@dataclass
class ClientStats:
    """What a client did; JSON-serialisable through ``as_dict``."""

    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    seconds_paced: float = 0.0
    seconds_backed_off: float = 0.0
    by_status: Counter = field(default_factory=Counter)
    by_endpoint: Counter = field(default_factory=Counter)  # numeric path segments read "{id}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "retries": self.retries,
            "rate_limited_429": self.rate_limited,
            "seconds_paced": round(self.seconds_paced, 3),
            "seconds_backed_off": round(self.seconds_backed_off, 3),
            "requests_by_status": dict(sorted(self.by_status.items())),
            "requests_by_endpoint": dict(sorted(self.by_endpoint.items())),
        }


def parse_json(text: str) -> Any:
    """Parse a Liquid body: decimals become ``Decimal``, integers stay ``int``; NaN/Infinity are
    rejected (``ValueError``)."""

    def reject_constant(name: str) -> Any:
        raise ValueError(f"non-finite number {name} in JSON")

    return json.loads(text, parse_float=Decimal, parse_constant=reject_constant)


def request_target(path: str, params: Params = ()) -> str:
    """The request target exactly as sent and signed: ``/path`` or ``/path?k=v&...`` in the
    given order."""
    if not path.startswith("/"):
        raise ValueError(f"path must start with '/': {path!r}")
    query = urlencode([(key, _param_text(value)) for key, value in params])
    return f"{path}?{query}" if query else path


def _param_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def sign(target: str, nonce: int, token_id: str, secret: str) -> str:
    """The ``X-Quoine-Auth`` JWT for one request."""
    payload = {"path": target, "nonce": nonce, "token_id": token_id}
    return jwt.encode(payload, secret, algorithm="HS256")


class NonceSource:
    """Strictly increasing millisecond nonces: ``max(now_ms, last + 1)``."""

    def __init__(self, clock: Callable[[], float], last: int = 0):
        self._clock = clock
        self.last = last

    def next(self) -> int:
        self.last = max(int(self._clock() * 1000), self.last + 1)
        return self.last


class RollingWindowLimiter:
    """At most ``limit`` requests in any ``window`` seconds (Liquid's rolling window).

    ``wait()`` blocks until one more request may start; ``record(t)`` notes that a request
    completed at ``t``. Completion times are the latest moment the server can have counted a
    request, so spacing starts from them keeps the server's count within the limit.
    """

    EPSILON_SECONDS = 0.01

    def __init__(
        self,
        limit: int,
        window: float,
        *,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
        history: Iterable[float] = (),
    ):
        if limit < 1 or window <= 0:
            raise ValueError(f"rate limit must be >= 1 request per > 0 s, got {limit}/{window}")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._sleep = sleep
        self._times: deque[float] = deque(sorted(history)[-limit:], maxlen=limit)

    @property
    def history(self) -> list[float]:
        return list(self._times)

    def wait(self) -> float:
        """Sleep until a request may start; returns the seconds slept."""
        if len(self._times) < self.limit:
            return 0.0
        delay = self._times[0] + self.window + self.EPSILON_SECONDS - self._clock()
        if delay <= 0:
            return 0.0
        self._sleep(delay)
        return delay

    def record(self, completed_at: float) -> None:
        self._times.append(completed_at)

    def seconds_for(self, requests_left: int) -> float:
        """A lower-bound estimate of the time ``requests_left`` more requests take at this limit."""
        now = self._clock()
        free_now = self.limit - sum(1 for t in self._times if t > now - self.window)
        beyond = requests_left - free_now
        if beyond <= 0:
            return 0.0
        return (beyond / self.limit) * self.window


class PacingFile:
    """The recent request times and last nonce of one token, persisted as JSON beside its lock."""

    def __init__(self, path: Path):
        self.path = path

    def load(self) -> tuple[list[float], int]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return [], 0
        except ValueError as exc:
            raise ValueError(f"{self.path}: unreadable pacing log ({exc}); delete it") from None
        return [float(t) for t in data.get("request_times", [])], int(data.get("last_nonce", 0))

    def save(self, request_times: list[float], last_nonce: int) -> None:
        text = json.dumps({"last_nonce": last_nonce, "request_times": request_times})
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


class _Transient(Exception):
    """A failure worth retrying after a backoff."""


class _RateLimited(Exception):
    def __init__(self, retry_after: float):
        self.retry_after = retry_after


class _StaleNonce(Exception):
    pass


_ID_SEGMENT = re.compile(r"/\d+(?=/|$)")
_RETRY_AFTER = re.compile(r"retry after\s+(\d+(?:\.\d+)?)\s*s", re.IGNORECASE)
_TRANSIENT_NETWORK_ERRORS = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


class LiquidClient:
    """Signed, paced, retrying GETs against one Liquid account's API token.

    ``get(path, params)`` returns the parsed JSON body of a 2xx answer or raises a
    ``LiquidError``. ``account`` is only a label for errors and logs.
    """

    def __init__(
        self,
        base_url: str,
        token_id: str,
        secret: str,
        *,
        account: str,
        rate_limit: int = DEFAULT_RATE_LIMIT,
        rate_window_seconds: float = DEFAULT_RATE_WINDOW_SECONDS,
        max_retries: int = 5,
        max_rate_limited: int = 5,
        backoff_base_seconds: float = 1.0,
        backoff_cap_seconds: float = 30.0,
        timeout_seconds: float = 60.0,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ):
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"account {account!r}: base URL must start with http:// or https://")
        if not token_id or not secret:
            raise ValueError(f"account {account!r}: token id and token secret are both required")
        self.base_url = base_url.rstrip("/")
        self.token_id = str(token_id)
        self._secret = secret
        self.account = account
        self.max_retries = max_retries
        self.max_rate_limited = max_rate_limited
        self.backoff_base_seconds = backoff_base_seconds
        self.backoff_cap_seconds = backoff_cap_seconds
        self.timeout_seconds = timeout_seconds
        self.stats = ClientStats()
        self._session = session or requests.Session()
        self._clock = clock
        self._sleep = sleep
        self._jitter = jitter
        self._lock = threading.Lock()
        self._nonces = NonceSource(clock)
        self.limiter = RollingWindowLimiter(rate_limit, rate_window_seconds, clock=clock, sleep=sleep)
        self._pacing_file: PacingFile | None = None

    def __repr__(self) -> str:
        return f"LiquidClient(account={self.account!r}, base_url={self.base_url!r}, token_id={self.token_id!r})"

    def bind_pacing_file(self, path: Path) -> None:
        """Continue from the pacing log and nonce stored at ``path`` and keep it up to date.

        Call it while holding the token's lock, so no other process uses the token.
        """
        with self._lock:
            pacing = PacingFile(path)
            times, last_nonce = pacing.load()
            self.limiter = RollingWindowLimiter(
                self.limiter.limit,
                self.limiter.window,
                clock=self._clock,
                sleep=self._sleep,
                history=set(self.limiter.history) | set(times),
            )
            self._nonces.last = max(self._nonces.last, last_nonce)
            self._pacing_file = pacing

    def get(self, path: str, params: Params = (), *, validate: Validator | None = None) -> Any:
        """GET ``path?params`` and return its parsed body.

        ``validate(body)`` may raise ``MalformedResponse`` to have an unexpected body retried
        like a 5xx.
        """
        target = request_target(path, params)
        with self._lock:
            return self._get_with_retries(target, path, validate)

    def _get_with_retries(self, target: str, endpoint: str, validate: Validator | None) -> Any:
        failures = 0
        rate_limited = 0
        nonce_retried = False
        while True:
            try:
                body = self._attempt(target, endpoint)
                if validate is not None:
                    validate(body)
                return body
            except (_Transient, MalformedResponse) as exc:
                failures += 1
                if failures > self.max_retries:
                    raise RetriesExhausted(
                        f"gave up after {failures} attempts; last failure: {exc}",
                        account=self.account,
                        endpoint=endpoint,
                    ) from None
                delay = self._backoff_seconds(failures)
                log.warning(
                    "account %s: %s failed (%s); retry %d/%d in %.2fs",
                    self.account, endpoint, exc, failures, self.max_retries, delay,
                )
                self.stats.retries += 1
                self.stats.seconds_backed_off += delay
                self._sleep(delay)
            except _RateLimited as exc:
                rate_limited += 1
                if rate_limited > self.max_rate_limited:
                    raise RetriesExhausted(
                        f"still rate limited (429) after {rate_limited} waits",
                        account=self.account,
                        endpoint=endpoint,
                    ) from None
                log.warning(
                    "account %s: %s got 429; waiting %.1fs as Liquid asks", self.account, endpoint, exc.retry_after
                )
                self.stats.rate_limited += 1
                self.stats.retries += 1
                self.stats.seconds_backed_off += exc.retry_after
                self._sleep(exc.retry_after)
            except _StaleNonce:
                if nonce_retried:
                    raise NonceRejected(
                        "'Nonce is too small' even with a fresh nonce; is another process using this token?",
                        account=self.account,
                        endpoint=endpoint,
                    ) from None
                nonce_retried = True
                log.warning("account %s: %s: nonce too small; retrying once with a fresh one", self.account, endpoint)
                self.stats.retries += 1

    def _backoff_seconds(self, failures: int) -> float:
        ceiling = min(self.backoff_cap_seconds, self.backoff_base_seconds * 2 ** (failures - 1))
        return ceiling * (0.5 + 0.5 * self._jitter())

    def _attempt(self, target: str, endpoint: str) -> Any:
        self.stats.seconds_paced += self.limiter.wait()
        nonce = self._nonces.next()
        request = requests.Request(
            "GET",
            self.base_url + target,
            headers={
                "X-Quoine-API-Version": "2",
                "X-Quoine-Auth": sign(target, nonce, self.token_id, self._secret),
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
            },
        )
        prepared = self._session.prepare_request(request)
        if prepared.path_url != target:
            raise SignatureMismatch(
                f"the request target would be sent as {prepared.path_url!r} but was signed as {target!r}",
                account=self.account,
                endpoint=endpoint,
            )
        self.stats.requests += 1
        self.stats.by_endpoint[_ID_SEGMENT.sub("/{id}", endpoint)] += 1
        try:
            response = self._session.send(prepared, timeout=self.timeout_seconds, allow_redirects=False)
        except _TRANSIENT_NETWORK_ERRORS as exc:
            self.stats.by_status["network_error"] += 1
            raise _Transient(f"{type(exc).__name__}") from None
        finally:
            self._record_completion()
        self.stats.by_status[str(response.status_code)] += 1
        return self._classify(response, endpoint)

    def _record_completion(self) -> None:
        self.limiter.record(self._clock())
        if self._pacing_file is not None:
            self._pacing_file.save(self.limiter.history, self._nonces.last)

    def _classify(self, response: requests.Response, endpoint: str) -> Any:
        status = response.status_code
        if 200 <= status < 300:
            try:
                return parse_json(response.content.decode("utf-8"))
            except ValueError as exc:
                raise MalformedResponse(
                    f"body is not valid JSON ({exc})", account=self.account, endpoint=endpoint
                ) from None
        message = _error_message(response.content.decode("utf-8", errors="replace"))
        if "nonce is too small" in message.lower():
            raise _StaleNonce()
        if status == 401:
            if "path does not match" in message.lower():
                raise SignatureMismatch(
                    "Liquid says 'Path does not match': the signed path differs from the one sent",
                    account=self.account,
                    endpoint=endpoint,
                )
            raise KeyRejected(message or "HTTP 401 with an empty body", account=self.account, endpoint=endpoint)
        if status == 429:
            raise _RateLimited(_retry_after_seconds(message, response.headers, self.limiter.window))
        if status >= 500:
            raise _Transient(f"HTTP {status}")
        if status == 404:
            raise NotFound(message or "HTTP 404", account=self.account, endpoint=endpoint)
        raise RequestRejected(message, status=status, account=self.account, endpoint=endpoint)


def _error_message(text: str) -> str:
    """Liquid's error text from a plain-text, ``{"message": ...}`` or ``{"errors": {...}}`` body."""
    stripped = text.strip()
    if not stripped.startswith("{"):
        return stripped[:500]
    try:
        body = json.loads(stripped)
    except ValueError:
        return stripped[:500]
    if isinstance(body, dict):
        if isinstance(body.get("message"), str):
            return body["message"]
        if isinstance(body.get("errors"), dict):
            return "; ".join(f"{key}: {', '.join(map(str, value))}" for key, value in body["errors"].items())
    return stripped[:500]


def _retry_after_seconds(message: str, headers: Any, window: float) -> float:
    """Seconds a 429 asks to wait: ``Retry-After`` header, else ``retry after Ns`` in the body,
    else the whole rate window."""
    header = headers.get("Retry-After") if headers is not None else None
    if header:
        try:
            return max(0.0, float(header))
        except ValueError:
            pass
    found = _RETRY_AFTER.search(message)
    if found:
        return float(found.group(1))
    return window
