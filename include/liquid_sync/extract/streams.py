"""The extracted streams, declared as data (in the manner of dlt's REST API source).

Every list endpoint is paginated newest first with ``limit`` and ``page``; a page shorter than
``limit`` is the last one (``total_pages`` is not trusted).
"""

from __future__ import annotations

from dataclasses import dataclass

PAGE_LIMIT = 1000


@dataclass(frozen=True)
class Stream:
    """One endpoint to extract.

    ``per_product``: the endpoint needs ``product_id`` and is queried once per traded product.
    ``primary_key``: fields that identify a record (an execution id is shared by the two
    records of a self-match). ``cursor_field``: grows with every new record.
    ``time_field``/``updated_field``: Unix seconds of creation and of the last change.
    ``status_field``/``final_statuses``: a record whose status is not final may still change
    and is re-checked by incremental runs (None: records never change).
    ``params``: query parameters every request of the stream carries, before the partition's.
    """

    name: str
    path: str
    primary_key: tuple[str, ...] = ("id",)
    cursor_field: str = "id"
    time_field: str = "created_at"
    updated_field: str | None = None
    per_product: bool = False
    status_field: str | None = None
    final_statuses: frozenset[str] = frozenset()
    params: tuple[tuple[str, str], ...] = ()

    def is_final(self, status: str) -> bool:
        return self.status_field is None or status in self.final_statuses


ORDERS = Stream(
    name="orders",
    path="/orders",
    updated_field="updated_at",
    status_field="status",
    final_statuses=frozenset({"filled", "cancelled"}),
)

EXECUTIONS = Stream(
    name="executions",
    path="/executions/me",
    primary_key=("id", "my_side"),
    per_product=True,
    # Without details Liquid may omit ``order_id``, which ties a fill to its order.
    params=(("with_details", "1"),),
)

_FINAL_WITHDRAWAL_STATES = frozenset({"processed", "cancelled", "declined", "reverted"})

CRYPTO_WITHDRAWALS = Stream(
    name="crypto_withdrawals",
    path="/crypto_withdrawals",
    updated_field="updated_at",
    status_field="state",
    final_statuses=_FINAL_WITHDRAWAL_STATES,
)

FIAT_WITHDRAWALS = Stream(
    name="fiat_withdrawals",
    path="/withdrawals",
    updated_field="updated_at",
    status_field="state",
    final_statuses=_FINAL_WITHDRAWAL_STATES,
)

# The account's balances, one GET per run (not paginated, no cursor): what the reconciliation
# compares the warehouse's ledger with.
BALANCES = Stream(name="balances", path="/accounts")

STREAMS = (ORDERS, EXECUTIONS, CRYPTO_WITHDRAWALS, FIAT_WITHDRAWALS, BALANCES)
STREAMS_BY_NAME = {s.name: s for s in STREAMS}
