"""The fewest API requests a sync of an emulated account can make: the denominator of the
request-efficiency figures.

Rules of the API that bound any client: lists come newest first in pages of at most 1000,
and a list is known to be complete only once a page shows a record the client already has
(or a short page ends it). Executions are listed per product. Withdrawals can be re-read
only through their lists; an order also by ``GET /orders/{id}`` or a listing filtered by
status.

* Full sync: every list read to its end, ``n // 1000 + 1`` pages each (orders, crypto and
  fiat withdrawals, the executions of each traded product), plus one ``GET /accounts``.
* Incremental sync, from the state a full sync left (``AccountSnapshot``): a lower bound
  that knows the answers in advance, but still has to see every record that is new or that
  may have changed. Lists are read until the first record the last sync had (orders,
  executions of each product that gained fills, withdrawals), and withdrawals also back to
  the oldest one that was pending. Orders that were open and are not on those pages are
  re-read the cheapest way: further pages of the order list, the ``live`` and
  ``partially_filled`` listings (they show an order only while it still has that status),
  or one ``GET /orders/{id}`` each. Plus one ``GET /accounts``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from liquid_emulator.model import Account

PAGE = 1000
OPEN_ORDER_STATUSES = ("live", "partially_filled")
FINAL_WITHDRAWAL_STATES = ("processed", "cancelled", "declined", "reverted")


def pages(records: int) -> int:
    """Pages of a list of ``records`` read to its end (an empty list still costs one)."""
    return records // PAGE + 1


def full_sync_minimum(account: Account) -> int:
    lists = [len(account.orders), len(account.crypto_withdrawals), len(account.fiat_withdrawals)]
    lists += [len(account.executions(p)) for p in account.traded_product_ids()]
    return sum(pages(n) for n in lists) + 1


@dataclass(frozen=True)
class AccountSnapshot:
    """What a sync of the account as it is now leaves for the next one to start from."""

    newest_order_id: int
    open_order_ids: frozenset[int]
    newest_execution_ids: dict[int, int]
    newest_crypto_withdrawal_id: int
    pending_crypto_withdrawal_ids: frozenset[int]
    newest_fiat_withdrawal_id: int
    pending_fiat_withdrawal_ids: frozenset[int]

    @classmethod
    def of(cls, account: Account) -> AccountSnapshot:
        return cls(
            newest_order_id=max((o.id for o in account.orders), default=0),
            open_order_ids=frozenset(o.id for o in account.orders if o.status in OPEN_ORDER_STATUSES),
            newest_execution_ids={p: max(e.id for e in account.executions(p)) for p in account.traded_product_ids()},
            newest_crypto_withdrawal_id=max((w.id for w in account.crypto_withdrawals), default=0),
            pending_crypto_withdrawal_ids=_pending(account.crypto_withdrawals),
            newest_fiat_withdrawal_id=max((w.id for w in account.fiat_withdrawals), default=0),
            pending_fiat_withdrawal_ids=_pending(account.fiat_withdrawals),
        )


def _pending(withdrawals: list) -> frozenset[int]:
    return frozenset(w.id for w in withdrawals if w.state not in FINAL_WITHDRAWAL_STATES)


def incremental_sync_minimum(before: AccountSnapshot, account: Account) -> int:
    """The fewest requests that bring ``account`` up to date from ``before``."""
    orders_first_pages, orders_recheck = _orders(before, account)
    executions = 0
    for product_id in account.traded_product_ids():
        newest = before.newest_execution_ids.get(product_id, 0)
        new = sum(1 for e in account.executions(product_id) if e.id > newest)
        executions += pages(new) if new else 0
    crypto = _withdrawal_pages(account.crypto_withdrawals, before.newest_crypto_withdrawal_id,
                               before.pending_crypto_withdrawal_ids)
    fiat = _withdrawal_pages(account.fiat_withdrawals, before.newest_fiat_withdrawal_id,
                             before.pending_fiat_withdrawal_ids)
    return orders_first_pages + orders_recheck + executions + crypto + fiat + 1


def _newest_first_positions(oldest_first: list) -> dict[int, int]:
    last = len(oldest_first) - 1
    return {record.id: last - index for index, record in enumerate(oldest_first)}


def _withdrawal_pages(oldest_first: list, newest_id: int, pending_ids: frozenset[int]) -> int:
    """Pages down to the first known withdrawal and to the oldest pending one."""
    positions = _newest_first_positions(oldest_first)
    new = sum(1 for w in oldest_first if w.id > newest_id)
    deepest = max([new, *(positions[i] for i in pending_ids if i in positions)])
    return deepest // PAGE + 1


def _orders(before: AccountSnapshot, account: Account) -> tuple[int, int]:
    """Pages of the order list down to the first known order, and the cheapest re-reading of
    the open orders those pages do not show."""
    positions = _newest_first_positions(account.orders)
    new = sum(1 for o in account.orders if o.id > before.newest_order_id)
    first_pages = pages(new)
    unseen = [account.order(i) for i in before.open_order_ids if positions[i] >= first_pages * PAGE]
    if not unseen:
        return first_pages, 0
    by_status = {s: sum(1 for o in account.orders if o.status == s) for s in OPEN_ORDER_STATUSES}
    depths = {first_pages, *(positions[o.id] // PAGE + 1 for o in unseen)}
    best = len(unseen)
    for depth, listings in itertools.product(depths, itertools.product((False, True), repeat=2)):
        listed = {s for s, used in zip(OPEN_ORDER_STATUSES, listings) if used}
        cost = depth - first_pages + sum(pages(by_status[s]) for s in listed)
        cost += sum(1 for o in unseen if positions[o.id] >= depth * PAGE and o.status not in listed)
        best = min(best, cost)
    return first_pages, best
