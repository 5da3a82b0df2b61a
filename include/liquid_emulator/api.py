"""Liquid API v2 routing and handlers (read-only endpoints).

Public endpoints answer without authentication. A private request goes through, in
order: authentication (``auth``), the token's permission for the endpoint, the token's
rate limit, fault injection (``faults``), then its handler. Rejected requests do not count
against the rate limit; faults apply only to requests that passed the first three steps.

Paginated lists are ``{"models", "current_page", "total_pages"}``, newest first, with
``limit`` (default 20, capped at 1000) and 1-based ``page``; malformed ``limit``/``page``
and other bad parameters are 422 ``{"message": ...}``.
"""

from __future__ import annotations

import bisect
import logging
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qsl

from liquid_emulator import render
from liquid_emulator.admin import AdminApi
from liquid_emulator.auth import AuthError, authenticate, permission_denied
from liquid_emulator.exchange import Exchange
from liquid_emulator.faults import error_body, malform
from liquid_emulator.messages import (
    ApiError,
    RawJson,
    Request,
    Response,
    encode_json,
    json_response,
    text_response,
)
from liquid_emulator.model import (
    CRYPTO_WITHDRAWAL_STATES,
    FIAT_WITHDRAWAL_STATES,
    LEDGER_TYPES,
    ORDER_STATUSES,
    Account,
)
from liquid_emulator.stats import DROPPED, PUBLIC, UNAUTHENTICATED

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 20
MAX_LIMIT = 1000
ADMIN_PREFIX = "/_emulator"
_DIGITS = re.compile(r"[0-9]+")
_TRUE = frozenset({"1", "true"})
_LEDGER_TYPES = frozenset(LEDGER_TYPES)


class Query:
    """Decoded query parameters of one request (the last value of a repeated name wins)."""

    def __init__(self, query_string: str) -> None:
        self._values = dict(parse_qsl(query_string, keep_blank_values=True))

    def get(self, name: str) -> str | None:
        return self._values.get(name)

    def flag(self, name: str) -> bool:
        return (self._values.get(name) or "").lower() in _TRUE

    def integer(self, name: str, default: int | None = None, minimum: int = 1) -> int | None:
        raw = self._values.get(name)
        if raw is None:
            return default
        if not _DIGITS.fullmatch(raw) or int(raw) < minimum:
            raise ApiError(422, f"{name} must be an integer >= {minimum}, got {raw!r}")
        return int(raw)

    def required_integer(self, name: str) -> int:
        value = self.integer(name, minimum=0)
        if value is None:
            raise ApiError(422, f"missing parameters: {name}")
        return value


@dataclass
class Call:
    """What a private handler works with."""

    account: Account
    query: Query
    numbers: render.Numbers
    match: re.Match


@dataclass(frozen=True)
class Route:
    pattern: re.Pattern
    handler: Callable
    permission: str | None  # None: public

    @property
    def private(self) -> bool:
        return self.permission is not None


class LiquidApi:
    """Answers ``Request``s for one ``Exchange``; safe to call from many threads."""

    def __init__(self, exchange: Exchange) -> None:
        self.exchange = exchange
        self.catalog = exchange.catalog
        self.admin = AdminApi(exchange)
        self.routes = [
            Route(re.compile(r"/products"), self.products, None),
            Route(re.compile(r"/products/([^/]+)"), self.product, None),
            Route(re.compile(r"/currencies"), self.currencies, None),
            Route(re.compile(r"/executions/me"), self.own_executions, "executions"),
            Route(re.compile(r"/orders"), self.orders, "orders"),
            Route(re.compile(r"/orders/([^/]+)"), self.order, "orders"),
            Route(re.compile(r"/crypto_withdrawals"), self.crypto_withdrawals, "withdrawals"),
            Route(re.compile(r"/withdrawals"), self.fiat_withdrawals, "withdrawals"),
            Route(re.compile(r"/accounts"), self.accounts, "accounts"),
            Route(re.compile(r"/accounts/balance"), self.balances, "accounts"),
            Route(re.compile(r"/fiat_accounts"), self.fiat_accounts, "accounts"),
            Route(re.compile(r"/crypto_accounts"), self.crypto_accounts, "accounts"),
            Route(re.compile(r"/transactions"), self.transactions, "accounts"),
            Route(re.compile(r"/trading_accounts"), self.trading_accounts, "trading_accounts"),
        ]

    # dispatch

    def handle(self, request: Request) -> Response:
        path = request.path
        if path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/"):
            return self.admin.handle(request)
        for route in self.routes:
            match = route.pattern.fullmatch(path)
            if match:
                break
        else:
            return self._recorded(UNAUTHENTICATED, path, json_response(404, {"message": "Not Found"}))
        if request.method != "GET":
            who = UNAUTHENTICATED if route.private else PUBLIC
            return self._recorded(who, path, json_response(405, {"message": "Method Not Allowed"}))
        if route.private:
            return self._private(request, route, match)
        query = Query(request.query_string)
        return self._recorded(PUBLIC, path, self._answer(lambda: route.handler(query, match), PUBLIC, path))

    def _private(self, request: Request, route: Route, match: re.Match) -> Response:
        exchange, path = self.exchange, request.path
        try:
            token = authenticate(exchange, request.headers, request.target)
            if route.permission not in token.permissions:
                raise permission_denied(request.method, path.split("/")[1], token)
        except AuthError as error:
            who = error.token.token_id if error.token else UNAUTHENTICATED
            return self._recorded(who, path, text_response(401, error.message))
        who = token.token_id
        if not exchange.rate_limiter.admit(who):
            return self._recorded(who, path, text_response(429, exchange.rate_limiter.exceeded_message))
        plan = exchange.faults.draw()
        if plan.kind == "error":
            body, content_type = error_body(plan.status)
            return self._recorded(who, path, Response(plan.status, body, content_type))
        if plan.kind == "drop" and plan.variant == "before_response":
            return self._recorded(who, path, Response(0, b"", drop=plan.variant))
        numbers = render.DRIFTED if exchange.faults.config.number_drift else render.PLAIN
        call = Call(exchange.account(token.account), Query(request.query_string), numbers, match)

        def compute():
            with exchange.reading():
                return route.handler(call)

        response = self._answer(compute, who, path)
        if plan.kind == "drop":
            response = replace(response, drop=plan.variant, cut_fraction=plan.cut_fraction)
        elif plan.kind == "malformed":
            response = replace(response, body=malform(response.body, plan))
        elif plan.kind == "slow":
            response = replace(response, delay_seconds=plan.delay_seconds)
        return self._recorded(who, path, response)

    def _answer(self, compute: Callable[[], object], who: str, path: str) -> Response:
        try:
            return json_response(200, compute())
        except ApiError as error:
            return json_response(error.status, error.body())
        except Exception:
            log.exception("internal error answering %s for %s", path, who)
            return json_response(500, {"message": "Internal Server Error"})

    def _recorded(self, who: str, path: str, response: Response) -> Response:
        self.exchange.stats.record(who, path, DROPPED if response.drop else response.status)
        return response

    # shared helpers

    def _page(self, call: Call, oldest_first: Sequence, render_one: Callable) -> dict:
        """One newest-first page of ``oldest_first`` (a chronological list), rendered."""
        rows, envelope = self._page_rows(call, oldest_first)
        return {**envelope, "models": [render_one(row) for row in rows]}

    def _page_rows(self, call: Call, oldest_first: Sequence) -> tuple[list, dict]:
        """The newest-first rows of the requested page, and the page envelope without models."""
        limit = min(call.query.integer("limit", DEFAULT_LIMIT), MAX_LIMIT)
        page = call.query.integer("page", 1)
        count = len(oldest_first)
        end = count - (page - 1) * limit
        rows = oldest_first[max(end - limit, 0) : end][::-1] if end > 0 else []
        total_pages = self.exchange.faults.total_pages(math.ceil(count / limit))
        return rows, render.page([], page, total_pages, call.numbers)

    def _product_id(self, query: Query) -> int:
        product_id = query.required_integer("product_id")
        if product_id not in self.catalog.product_by_id:
            raise ApiError(422, f"product_id {product_id} is not a listed product")
        return product_id

    def _known_currency(self, code: str | None) -> bool:
        """Whether a currency filter can match anything (no filter, or a listed currency)."""
        return code is None or code in self.catalog.currency_by_code

    # public

    def products(self, query: Query, match: re.Match) -> list:
        if query.flag("perpetual"):
            return []
        now_ms = self.exchange.now_ms
        return [render.product(p, self.catalog, now_ms) for p in self.catalog.products]

    def product(self, query: Query, match: re.Match) -> dict:
        raw = match.group(1)
        found = self.catalog.product_by_id.get(int(raw)) if _DIGITS.fullmatch(raw) else None
        if found is None:
            raise ApiError(404, "Product not found")
        return render.product(found, self.catalog, self.exchange.now_ms)

    def currencies(self, query: Query, match: re.Match) -> list:
        return [render.currency(c) for c in self.catalog.currencies]

    # private

    def own_executions(self, call: Call) -> RawJson:
        """Served from per-product pre-encoded rows (``execution_fragments``): the hot path of a sync."""
        product_id = self._product_id(call.query)
        fragments = self.execution_fragments(call.account, product_id, call.numbers)
        rows, envelope = self._page_rows(call, fragments)
        closing = b"}"
        if call.query.flag("with_details"):
            closing = b"," + encode_json(render.execution_details(call.numbers))[1:-1] + b"}"
        models = (closing + b",").join(rows) + closing if rows else b""
        return RawJson(encode_json(envelope).replace(b'"models":[]', b'"models":[' + models + b"]", 1))

    def execution_fragments(self, account: Account, product_id: int, numbers: render.Numbers) -> list[bytes]:
        """The product's executions, oldest first, each encoded without its closing brace."""

        def encode_all() -> list[bytes]:
            return [encode_json(render.execution(e, numbers, details=False))[:-1] for e in account.executions(product_id)]

        return account.cached(("execution_fragments", product_id, numbers.drifted), encode_all)

    def precompute(self) -> None:
        """Encode every account's executions (documented number types) ahead of the first request."""
        with self.exchange.reading():
            for account in self.exchange.accounts.values():
                for product_id in account.traded_product_ids():
                    self.execution_fragments(account, product_id, render.PLAIN)

    def orders(self, call: Call) -> dict:
        query = call.query
        product_id = query.integer("product_id", minimum=0)
        status = query.get("status")
        funding = query.get("funding_currency")
        matchable = (
            status in (None, *ORDER_STATUSES)
            and query.get("trading_type") in (None, "spot")
            and (product_id is None or product_id in self.catalog.product_by_id)
            and (funding is None or funding in self.catalog.currency_by_code)
        )
        view = _filtered(
            call.account, "orders", call.account.orders, matchable,
            status=status, product_id=product_id, funding_currency=funding,
        )
        details, numbers = query.flag("with_details"), call.numbers
        return self._page(call, view, lambda o: render.order(o, numbers, details))

    def order(self, call: Call) -> dict:
        raw = call.match.group(1)
        found = call.account.order(int(raw)) if _DIGITS.fullmatch(raw) else None
        if found is None:
            raise ApiError(404, "Order not found")
        return render.order(found, call.numbers, with_executions=True)

    def crypto_withdrawals(self, call: Call) -> dict:
        """Filters ``currency``, ``state``, ``address`` and ``timestamp`` (shown ``created_at`` >= it)."""
        query, account = call.query, call.account
        currency, state, address = query.get("currency"), query.get("state"), query.get("address")
        since_s = _seconds_param(query, "timestamp")
        matchable = self._known_currency(currency) and state in (None, *CRYPTO_WITHDRAWAL_STATES)
        view = _filtered(account, "crypto_withdrawals", account.crypto_withdrawals, matchable, currency=currency,
                         state=state)
        if since_s is not None:
            view = view[bisect.bisect_left(view, since_s * 1000, key=lambda w: w.created_at_ms) :]
        if address is not None:
            view = [w for w in view if w.address == address]
        numbers = call.numbers
        return self._page(call, view, lambda w: render.crypto_withdrawal(w, numbers))

    def fiat_withdrawals(self, call: Call) -> dict:
        query, account = call.query, call.account
        currency, state = query.get("currency"), query.get("state")
        matchable = self._known_currency(currency) and state in (None, *FIAT_WITHDRAWAL_STATES)
        view = _filtered(account, "fiat_withdrawals", account.fiat_withdrawals, matchable, currency=currency,
                         state=state)
        numbers = call.numbers
        return self._page(call, view, lambda w: render.fiat_withdrawal(w, numbers))

    def transactions(self, call: Call) -> dict:
        """The ledger; ``transaction_type`` takes a comma-separated list (unknown types match nothing)."""
        query, account = call.query, call.account
        currency, raw_types = query.get("currency"), query.get("transaction_type")
        types = frozenset(t.strip() for t in raw_types.split(",")) & _LEDGER_TYPES if raw_types else None
        matchable = self._known_currency(currency) and types != frozenset()
        view = _filtered(account, "transactions", account.ledger, matchable, currency=currency,
                         transaction_type=types)
        catalog, numbers = self.catalog, call.numbers
        return self._page(call, view, lambda e: render.transaction(e, account, catalog, numbers))

    def accounts(self, call: Call) -> dict:
        return {
            "crypto_accounts": self._balance_accounts(call, "crypto"),
            "fiat_accounts": self._balance_accounts(call, "fiat"),
        }

    def fiat_accounts(self, call: Call) -> list:
        return self._balance_accounts(call, "fiat")

    def crypto_accounts(self, call: Call) -> list:
        return self._balance_accounts(call, "crypto")

    def _balance_accounts(self, call: Call, currency_type: str) -> list:
        account, catalog = call.account, self.catalog
        return [
            render.balance_account(account, c, catalog, call.numbers)
            for c in render.held_currencies(account, catalog, currency_type)
        ]

    def balances(self, call: Call) -> list:
        account = call.account
        return [render.balance(account, c, call.numbers) for c in render.held_currencies(account, self.catalog)]

    def trading_accounts(self, call: Call) -> list:
        """Margin trading accounts: the emulated accounts trade spot only."""
        return []


def _filtered(account: Account, name: str, records: list, matchable: bool, **criteria) -> list:
    """The ``records`` (oldest first) whose attributes match every criterion that is not None.

    A ``frozenset`` criterion matches any of its members. The selection is cached until the
    history changes; ``matchable`` False (a filter value that cannot exist) selects nothing
    without caching, so junk parameters do not grow the cache.
    """
    wanted = {field: value for field, value in criteria.items() if value is not None}
    if not matchable:
        return []
    if not wanted:
        return records

    def matches(record) -> bool:
        for field, value in wanted.items():
            actual = getattr(record, field)
            if not (actual in value if isinstance(value, frozenset) else actual == value):
                return False
        return True

    key = (name, tuple(sorted(wanted.items(), key=lambda item: item[0])))
    return account.cached(key, lambda: [r for r in records if matches(r)])


def _seconds_param(query: Query, name: str) -> int | None:
    """A Unix-seconds parameter (integer or decimal), rounded up to whole seconds."""
    raw = query.get(name)
    if raw is None:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value < 0:
        raise ApiError(422, f"{name} must be a Unix time in seconds, got {raw!r}")
    return math.ceil(value)
