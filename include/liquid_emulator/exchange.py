"""The emulated exchange: catalog, accounts, API tokens, clock, rate limits, faults, statistics.

``Exchange`` is the state behind one emulator server. Every method is thread-safe:
account histories are read under ``reading()`` and changed only by ``advance_clock``
(through ``history.advance_account``), which takes the same lock.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from liquid_emulator.faults import FaultConfig, FaultInjector
from liquid_emulator.model import Account, Currency, Product
from liquid_emulator.ratelimit import RateLimiter
from liquid_emulator.stats import RequestStats

PERMISSIONS = ("accounts", "executions", "orders", "positions", "trading_accounts", "withdrawals")
FIRST_TOKEN_ID = 3001


@dataclass(frozen=True)
class AccountSpec:
    """An account to generate: ``history.generate_account(seed, executions, name=name)``."""

    name: str
    seed: int
    executions: int


@dataclass
class Token:
    """An API token of one account. ``secret`` never appears in ``repr``."""

    account: str
    token_id: str
    secret: str = field(repr=False)
    permissions: list[str]
    revoked: bool = False

    def to_json(self) -> dict:
        return {
            "account": self.account,
            "token_id": self.token_id,
            "secret": self.secret,
            "permissions": list(self.permissions),
            "revoked": self.revoked,
        }


def validate_permissions(permissions: object) -> list[str]:
    """The permission names in canonical order; raises ``ValueError`` on anything else."""
    if not isinstance(permissions, (list, tuple)) or not all(isinstance(p, str) for p in permissions):
        raise ValueError("permissions must be a list of names")
    unknown = sorted(set(permissions) - set(PERMISSIONS))
    if unknown:
        raise ValueError(f"unknown permissions {unknown}; known: {list(PERMISSIONS)}")
    return [p for p in PERMISSIONS if p in permissions]


class Catalog:
    """The listed currencies and products, with lookups."""

    def __init__(self, currencies: Sequence[Currency], products: Sequence[Product]) -> None:
        self.currencies = list(currencies)
        self.products = list(products)
        self.currency_by_code = {c.code: c for c in self.currencies}
        self.product_by_id = {p.id: p for p in self.products}
        self.currency_position = {c.code: i for i, c in enumerate(self.currencies, start=1)}


class Exchange:
    """Everything one emulator server serves.

    ``advance_account`` is how the clock moves histories forward; it defaults to
    ``history.advance_account``.
    """

    def __init__(
        self,
        catalog: Catalog,
        accounts: Sequence[Account],
        now_ms: int,
        rate_limit: int = 300,
        rate_window_seconds: float = 300.0,
        advance_account: Callable[[Account, int], None] | None = None,
    ) -> None:
        names = [a.name for a in accounts]
        if len(set(names)) != len(names):
            raise ValueError(f"account names must be unique, got {names}")
        self.catalog = catalog
        self.accounts = {a.name: a for a in accounts}
        self.rate_limiter = RateLimiter(rate_limit, rate_window_seconds)
        self.faults = FaultInjector()
        self.stats = RequestStats()
        self._now_ms = now_ms
        self._advance_account = advance_account
        self._data_lock = threading.Lock()
        self._token_lock = threading.Lock()
        self._tokens: dict[str, Token] = {}
        self._last_nonce: dict[str, Decimal] = {}
        self._next_token_id = FIRST_TOKEN_ID

    @classmethod
    def create(
        cls,
        accounts: Sequence[AccountSpec],
        tokens_per_account: int = 1,
        rate_limit: int = 300,
        rate_window_seconds: float = 300.0,
    ) -> Exchange:
        """Generate each account with ``history.generate_account`` (ids 1, 2, ...) and give it
        ``tokens_per_account`` tokens with every permission; the clock starts at
        ``history.INITIAL_NOW_MS``."""
        from liquid_emulator import catalog, history

        if tokens_per_account < 1:
            raise ValueError("tokens_per_account must be >= 1")
        generated = [
            history.generate_account(spec.seed, spec.executions, account_id=i, name=spec.name)
            for i, spec in enumerate(accounts, start=1)
        ]
        exchange = cls(
            Catalog(catalog.currencies(), catalog.products()),
            generated,
            now_ms=history.INITIAL_NOW_MS,
            rate_limit=rate_limit,
            rate_window_seconds=rate_window_seconds,
        )
        for account in generated:
            for _ in range(tokens_per_account):
                exchange.create_token(account.name)
        return exchange

    # accounts and clock

    def account(self, name: str) -> Account:
        try:
            return self.accounts[name]
        except KeyError:
            raise KeyError(f"no account named {name!r}; accounts: {sorted(self.accounts)}") from None

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Hold while reading account histories, so no clock advance changes them meanwhile."""
        with self._data_lock:
            yield

    @property
    def now_ms(self) -> int:
        return self._now_ms

    def advance_clock(self, seconds: float) -> int:
        """Move the clock forward and every account's history with it; returns the new time."""
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not seconds >= 0:
            raise ValueError(f"clock can only move forward, got {seconds!r} seconds")
        advance = self._advance_account
        if advance is None:
            from liquid_emulator.history import advance_account as advance
        with self._data_lock:
            until_ms = self._now_ms + round(seconds * 1000)
            for account in self.accounts.values():
                advance(account, until_ms)
            self._now_ms = until_ms
            return until_ms

    # tokens

    @property
    def tokens(self) -> list[Token]:
        with self._token_lock:
            return list(self._tokens.values())

    def token(self, token_id: str) -> Token | None:
        with self._token_lock:
            return self._tokens.get(token_id)

    def create_token(self, account: str, permissions: Sequence[str] = PERMISSIONS) -> Token:
        """A new token for ``account`` with a fresh random secret."""
        self.account(account)
        permissions = validate_permissions(list(permissions))
        with self._token_lock:
            token = Token(account, str(self._next_token_id), secrets.token_urlsafe(32), permissions)
            self._next_token_id += 1
            self._tokens[token.token_id] = token
            return token

    def revoke_token(self, token_id: str) -> Token:
        with self._token_lock:
            token = self._existing_token(token_id)
            token.revoked = True
            return token

    def set_permissions(self, token_id: str, permissions: Sequence[str]) -> Token:
        permissions = validate_permissions(permissions)
        with self._token_lock:
            token = self._existing_token(token_id)
            token.permissions = permissions
            return token

    def consume_nonce(self, token: Token, nonce: Decimal) -> bool:
        """Record ``nonce`` for ``token`` if it is larger than every earlier one; else False."""
        with self._token_lock:
            last = self._last_nonce.get(token.token_id)
            if last is not None and nonce <= last:
                return False
            self._last_nonce[token.token_id] = nonce
            return True

    def _existing_token(self, token_id: str) -> Token:
        token = self._tokens.get(token_id)
        if token is None:
            raise KeyError(f"no token {token_id!r}")
        return token

    # limits and faults

    def set_rate_limit(self, limit: int, window_seconds: float) -> None:
        self.rate_limiter.configure(limit, window_seconds)

    def set_faults(self, config: FaultConfig) -> None:
        self.faults.configure(config)
