"""Records of an emulated Liquid account.

These records are the single source that both the HTTP API (``api.py``) and the export
files (``export.py``) render, so the two always describe the same account.

Contracts shared by every record:

* Money is an ``int`` count of 1e-8 units ("satoshis") of its currency, so sums are exact.
  ``units_to_str`` renders it as the shortest exact decimal string.
* Time is an ``int`` count of milliseconds since the Unix epoch, UTC.
* Every quantity/price pair of a product multiplies to an exact 1e-8 amount
  (``Product.price_decimals + Product.quantity_decimals <= 8``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

UNITS_PER_COIN = 10**8

ORDER_STATUSES = ("live", "partially_filled", "filled", "cancelled")
CRYPTO_WITHDRAWAL_STATES = (
    "pending",
    "awaiting_confirmation",
    "to_be_reviewed",
    "approved",
    "processing",
    "broadcasted",
    "processed",
    "cancelled",
    "declined",
    "reverted",
)
FIAT_WITHDRAWAL_STATES = ("pending", "processed", "cancelled", "reverted", "declined")
FAILED_WITHDRAWAL_STATES = frozenset({"cancelled", "declined", "reverted"})
FINAL_WITHDRAWAL_STATES = FAILED_WITHDRAWAL_STATES | {"processed"}

LEDGER_TYPES = (
    "trade",
    "trade_fee",
    "rebate_trade_fee",
    "funding",
    "funding_fee",
    "withdrawal",
    "withdrawal_fee",
)


def units_to_decimal(units: int) -> Decimal:
    """The exact ``Decimal`` value of a count of 1e-8 units, without trailing zeros."""
    value = Decimal(units).scaleb(-8)
    return value.normalize() if value else Decimal(0)


def units_to_str(units: int) -> str:
    """The shortest exact decimal string of a count of 1e-8 units, never in exponent form.

    ``123456789`` gives ``"1.23456789"``; ``100000000`` gives ``"1.0"``; ``0`` gives ``"0.0"``.
    """
    sign = "-" if units < 0 else ""
    whole, frac = divmod(abs(units), UNITS_PER_COIN)
    frac_text = f"{frac:08d}".rstrip("0") or "0"
    return f"{sign}{whole}.{frac_text}"


def decimal_to_units(value: Decimal | str | int) -> int:
    """Parse a decimal amount into 1e-8 units; raises ``ValueError`` if it is finer than 1e-8."""
    scaled = Decimal(value).scaleb(8)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{value} has more than 8 decimal places")
    return int(scaled)


@dataclass(frozen=True, slots=True)
class Currency:
    code: str
    currency_type: str  # "fiat" | "crypto"
    name: str
    symbol: str
    assets_precision: int
    withdrawal_fee: int  # units
    minimum_withdrawal: int  # units


@dataclass(frozen=True, slots=True)
class Product:
    id: int
    base_currency: str
    quoted_currency: str
    price_decimals: int
    quantity_decimals: int
    taker_fee: Decimal  # fee rate, e.g. Decimal("0.003")
    maker_fee: Decimal
    last_traded_price: int  # units
    disabled: bool = False

    @property
    def currency_pair_code(self) -> str:
        return f"{self.base_currency}{self.quoted_currency}"


@dataclass(slots=True)
class Execution:
    """One fill as the account sees it: one record per (id, my_side).

    A self-matched fill (the account's buy order filled by its own sell order) is two
    ``Execution`` records with the same ``id``, one per side and order.
    ``fee``/``rebate`` are exact and in ``fee_currency``; the API never shows them
    (only the order's ``order_fee``), the export files do.
    """

    id: int
    order_id: int
    product_id: int
    my_side: str  # "buy" | "sell"
    taker_side: str
    quantity: int  # units of the base currency
    price: int  # units of the quoted currency per base unit
    created_at_ms: int
    fee: int  # units of fee_currency, gross trade fee
    rebate: int  # units of fee_currency, maker rebate (0 when none)
    fee_currency: str
    client_order_id: str | None = None

    @property
    def amount(self) -> int:
        """Quoted-currency value of the fill, exact in units."""
        return self.quantity * self.price // UNITS_PER_COIN

    @property
    def net_fee(self) -> int:
        return self.fee - self.rebate


@dataclass(slots=True)
class Order:
    id: int
    product_id: int
    side: str
    order_type: str  # "limit" | "market"
    quantity: int
    price: int
    status: str
    created_at_ms: int
    updated_at_ms: int
    base_currency: str
    funding_currency: str  # the quoted currency of the product
    fee_currency: str  # the quoted currency, or "QASH" when fees were paid in QASH
    client_order_id: str | None
    executions: list[Execution] = field(default_factory=list)  # oldest first

    @property
    def filled_quantity(self) -> int:
        return sum(e.quantity for e in self.executions)

    @property
    def order_fee(self) -> int:
        """Fees charged in the funding currency (0 when they were paid in QASH)."""
        if self.fee_currency != self.funding_currency:
            return 0
        return sum(e.net_fee for e in self.executions)

    @property
    def average_price(self) -> int:
        filled = self.filled_quantity
        if not filled:
            return 0
        return sum(e.amount for e in self.executions) * UNITS_PER_COIN // filled


@dataclass(slots=True)
class CryptoWithdrawal:
    """``amount`` is the gross amount debited, fee included (net = amount - withdrawal_fee)."""

    id: int
    currency: str
    amount: int
    withdrawal_fee: int
    state: str
    address: str
    created_at_ms: int
    updated_at_ms: int
    transaction_hash: str | None
    chain_name: str
    network: str | None
    payment_id: str | None = None


@dataclass(slots=True)
class FiatWithdrawal:
    """``amount`` is the gross amount debited, fee included (net = amount - withdrawal_fee)."""

    id: int
    currency: str
    amount: int
    withdrawal_fee: int
    state: str
    bank_name: str
    created_at_ms: int
    updated_at_ms: int


@dataclass(slots=True)
class Deposit:
    """A funding of the account. ``fee`` (0 when none) is charged on top as its own movement."""

    id: int
    currency: str
    amount: int
    fee: int
    created_at_ms: int
    transaction_hash: str | None
    from_address: str | None


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One balance movement, as in ``GET /transactions`` and the ledger export files.

    ``amount`` is signed: negative when the account pays. ``source_type`` is one of
    ``"Execution"``, ``"Deposit"``, ``"CryptoWithdrawal"``, ``"FiatWithdrawal"`` and
    ``source_id`` the id of that record. Withdrawals in a failed final state have no entries.
    """

    id: int
    created_at_ms: int
    updated_at_ms: int
    currency: str
    transaction_type: str  # one of LEDGER_TYPES
    amount: int
    source_type: str
    source_id: int
    execution_id: int | None = None
    state: str | None = None
    transaction_hash: str | None = None
    from_address: str | None = None
    to_address: str | None = None

    @property
    def direction(self) -> str:
        return "PAY" if self.amount < 0 else "RECEIVE"


@dataclass(slots=True)
class Account:
    """One Liquid account's whole history, as of the emulator's clock.

    Lists are chronological (oldest first); the API layer serves them newest first.
    ``ledger`` holds every balance movement, so ``balances()`` is its sum per currency.
    The history generator (``history.py``) is the only writer; it bumps ``version`` on
    every change so readers can cache derived views. ``seed`` and ``now_ms`` (the account's
    own clock) let it extend the history deterministically; ``last_ids`` holds the highest id
    issued per record kind, so new ids stay unique even after failed withdrawals lose their
    ledger entries.
    """

    id: int
    name: str
    user_id: int
    created_at_ms: int
    orders: list[Order] = field(default_factory=list)
    crypto_withdrawals: list[CryptoWithdrawal] = field(default_factory=list)
    fiat_withdrawals: list[FiatWithdrawal] = field(default_factory=list)
    deposits: list[Deposit] = field(default_factory=list)
    ledger: list[LedgerEntry] = field(default_factory=list)
    version: int = 0
    seed: int = 0
    now_ms: int = 0
    last_ids: dict[str, int] = field(default_factory=dict)
    _orders_by_id: dict[int, Order] = field(default_factory=dict, repr=False)
    _executions_by_product: dict[int, list[Execution]] = field(default_factory=dict, repr=False)
    _cache: dict = field(default_factory=dict, repr=False)

    def add_order(self, order: Order) -> None:
        self.orders.append(order)
        self._orders_by_id[order.id] = order

    def add_execution(self, order: Order, execution: Execution) -> None:
        order.executions.append(execution)
        self._executions_by_product.setdefault(execution.product_id, []).append(execution)

    def order(self, order_id: int) -> Order | None:
        return self._orders_by_id.get(order_id)

    def executions(self, product_id: int) -> list[Execution]:
        """The account's fills of one product, oldest first (self-matches appear twice)."""
        return self._executions_by_product.get(product_id, [])

    def traded_product_ids(self) -> list[int]:
        return sorted(self._executions_by_product)

    def cached(self, key, compute):
        """``compute()`` memoised until the history changes (``version`` moves)."""
        hit = self._cache.get(key)
        if hit is not None and hit[0] == self.version:
            return hit[1]
        value = compute()
        self._cache[key] = (self.version, value)
        return value

    def balances(self) -> dict[str, int]:
        """Sum of the ledger per currency, in units."""

        def compute() -> dict[str, int]:
            totals: dict[str, int] = {}
            for entry in self.ledger:
                totals[entry.currency] = totals.get(entry.currency, 0) + entry.amount
            return totals

        return self.cached("balances", compute)

    def reserved_balances(self) -> dict[str, int]:
        """Funds held by open orders per currency, in units."""

        def compute() -> dict[str, int]:
            reserved: dict[str, int] = {}
            for order in self.orders:
                if order.status not in ("live", "partially_filled"):
                    continue
                remaining = order.quantity - order.filled_quantity
                if order.side == "buy":
                    currency, amount = order.funding_currency, remaining * order.price // UNITS_PER_COIN
                else:
                    currency, amount = order.base_currency, remaining
                reserved[currency] = reserved.get(currency, 0) + amount
            return reserved

        return self.cached("reserved", compute)
