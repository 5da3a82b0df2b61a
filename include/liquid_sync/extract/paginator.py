"""Page-number pagination over Liquid's ``{"models", "current_page", "total_pages"}`` lists.

Pages are requested with ``limit=1000``; the walk ends at the first page shorter than the
limit (an empty one included). ``total_pages`` is kept only as a hint for progress estimates,
since Liquid sent bogus values (100000, 10000).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from liquid_sync.extract.streams import PAGE_LIMIT
from liquid_sync.liquid_client import LiquidClient, MalformedResponse, Params

PLAUSIBLE_TOTAL_PAGES = 5000


@dataclass(frozen=True)
class Page:
    number: int
    records: list[dict]
    fetched_at: datetime
    total_pages_hint: int | None
    limit: int = PAGE_LIMIT

    @property
    def is_last(self) -> bool:
        return len(self.records) < self.limit


def page_validator(account: str, endpoint: str) -> Callable[[Any], None]:
    """Raises ``MalformedResponse`` unless the body is a page object with a list of objects."""

    def validate(body: Any) -> None:
        if not isinstance(body, dict):
            raise MalformedResponse("expected a JSON object page", account=account, endpoint=endpoint)
        models = body.get("models")
        if not isinstance(models, list):
            raise MalformedResponse("expected a list", account=account, endpoint=endpoint, field="models")
        if not all(isinstance(m, dict) for m in models):
            raise MalformedResponse("expected a list of objects", account=account, endpoint=endpoint, field="models")

    return validate


def record_validator(account: str, endpoint: str) -> Callable[[Any], None]:
    """Raises ``MalformedResponse`` unless the body is one JSON object (``GET /orders/{id}``)."""

    def validate(body: Any) -> None:
        if not isinstance(body, dict):
            raise MalformedResponse("expected a JSON object", account=account, endpoint=endpoint)

    return validate


def balances_validator(account: str) -> Callable[[Any], None]:
    """Raises ``MalformedResponse`` unless the body is ``GET /accounts``'s object of two lists
    of objects, ``crypto_accounts`` and ``fiat_accounts``."""

    def validate(body: Any) -> None:
        if not isinstance(body, dict):
            raise MalformedResponse("expected a JSON object", account=account, endpoint="/accounts")
        for name in ("crypto_accounts", "fiat_accounts"):
            entries = body.get(name)
            if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
                raise MalformedResponse("expected a list of objects", account=account, endpoint="/accounts",
                                        field=name)

    return validate


def fetch_page(client: LiquidClient, path: str, params: Params, number: int, limit: int = PAGE_LIMIT) -> Page:
    body = client.get(
        path,
        [*params, ("limit", limit), ("page", number)],
        validate=page_validator(client.account, path),
    )
    return Page(number, body["models"], datetime.now(UTC), _total_pages_hint(body.get("total_pages"), number), limit)


def pages(client: LiquidClient, path: str, params: Params = (), first: int = 1) -> Iterator[Page]:
    """Pages ``first``, ``first + 1``, ... up to and including the first short one."""
    number = first
    while True:
        page = fetch_page(client, path, params, number)
        yield page
        if page.is_last:
            return
        number += 1


def _total_pages_hint(value: Any, current: int) -> int | None:
    try:
        total = int(value)
    except (TypeError, ValueError):
        return None
    return total if current <= total <= PLAUSIBLE_TOTAL_PAGES else None
