"""JSON shapes of Liquid API v2 answers, built from ``model`` records.

Decimals are strings (``units_to_str``) and integers (ids, Unix-second timestamps) are
JSON integers, as Liquid documented; ``timestamp`` fields are strings with fractional
seconds. ``DRIFTED`` numbers reproduce the type drift of the later real API instead:
decimals as JSON numbers (only when the float's repr is exactly the decimal text, so
``json.loads(parse_float=Decimal)`` gives the exact value back; otherwise a string) and
integers as strings.
"""

from __future__ import annotations

import hashlib

from liquid_emulator.exchange import Catalog
from liquid_emulator.model import (
    Account,
    CryptoWithdrawal,
    Currency,
    Execution,
    FiatWithdrawal,
    LedgerEntry,
    Order,
    Product,
    decimal_to_units,
    units_to_str,
)

MEMO_CURRENCIES = frozenset({"XRP", "XLM", "EOS", "XEM", "ATOM"})


class Numbers:
    """How numbers are written: ``PLAIN`` (documented types) or ``DRIFTED``."""

    def __init__(self, drifted: bool) -> None:
        self.drifted = drifted

    def dec(self, units: int) -> str | float:
        text = units_to_str(units)
        if self.drifted:
            as_float = float(text)
            if repr(as_float) == text:
                return as_float
        return text

    def int(self, value: int) -> int | str:
        return str(value) if self.drifted else value


PLAIN = Numbers(drifted=False)
DRIFTED = Numbers(drifted=True)


def seconds(ms: int) -> int:
    return ms // 1000


def timestamp(ms: int) -> str:
    """Unix seconds with fractional part, e.g. ``"1632493065.665"``."""
    return f"{ms // 1000}.{ms % 1000:03d}"


def page(models: list, current_page: int, total_pages: int, n: Numbers) -> dict:
    return {"models": models, "current_page": n.int(current_page), "total_pages": n.int(total_pages)}


# public


def currency(c: Currency) -> dict:
    return {
        "currency_type": c.currency_type,
        "currency": c.code,
        "symbol": c.symbol,
        "assets_precision": c.assets_precision,
        "quoting_precision": c.assets_precision,
        "minimum_withdrawal": units_to_str(c.minimum_withdrawal),
        "withdrawal_fee": units_to_str(c.withdrawal_fee),
        "minimum_fee": None,
        "minimum_order_quantity": None,
        "display_precision": c.assets_precision,
        "depositable": True,
        "withdrawable": True,
        "discount_fee": None,
        "credit_card_fundable": False,
        "lendable": False,
        "position_fundable": c.currency_type == "fiat",
        "has_memo": c.code in MEMO_CURRENCIES,
        "stable_currency": None,
        "root_currency": c.code,
        "minimum_loan_bid_quantity": "0.0",
        "maximum_order_taker_quantity": None,
        "name": c.name,
    }


def product(p: Product, catalog: Catalog, now_ms: int) -> dict:
    tick = 10 ** (8 - p.price_decimals)
    last = p.last_traded_price
    quoted = catalog.currency_by_code.get(p.quoted_currency)
    return {
        "id": str(p.id),
        "product_type": "CurrencyPair",
        "code": "CASH",
        "name": " CASH Trading",
        "market_ask": units_to_str(last + tick),
        "market_bid": units_to_str(max(last - tick, 0)),
        "indicator": 1,
        "currency": p.quoted_currency,
        "currency_pair_code": p.currency_pair_code,
        "symbol": quoted.symbol if quoted else None,
        "btc_minimum_withdraw": None,
        "fiat_minimum_withdraw": None,
        "pusher_channel": f"product_cash_{p.currency_pair_code.lower()}_{p.id}",
        "taker_fee": units_to_str(decimal_to_units(p.taker_fee)),
        "maker_fee": units_to_str(decimal_to_units(p.maker_fee)),
        "low_market_bid": units_to_str(max(last - 100 * tick, 0)),
        "high_market_ask": units_to_str(last + 100 * tick),
        "volume_24h": "0.0",
        "last_price_24h": units_to_str(last),
        "last_traded_price": units_to_str(last),
        "last_traded_quantity": "0.0",
        "average_price": units_to_str(last),
        "quoted_currency": p.quoted_currency,
        "base_currency": p.base_currency,
        "tick_size": units_to_str(tick),
        "disabled": p.disabled,
        "margin_enabled": False,
        "cfd_enabled": False,
        "perpetual_enabled": False,
        "last_event_timestamp": timestamp(now_ms),
        "timestamp": timestamp(now_ms),
        "multiplier_up": "1.4",
        "multiplier_down": "0.6",
        "average_time_interval": 300,
        "progressive_tier_eligible": True,
        "exchange_rate": 0,
    }


# private


def execution_details(n: Numbers) -> dict:
    """The fields ``with_details`` appends to an own execution."""
    return {"target": "spot", "pnl": n.dec(0)}


def execution(e: Execution, n: Numbers, details: bool) -> dict:
    """An own execution; ``details`` appends ``execution_details`` (``with_details``)."""
    row = {
        "id": n.int(e.id),
        "quantity": n.dec(e.quantity),
        "price": n.dec(e.price),
        "taker_side": e.taker_side,
        "my_side": e.my_side,
        "created_at": n.int(seconds(e.created_at_ms)),
        "timestamp": timestamp(e.created_at_ms),
        "order_id": n.int(e.order_id),
        "client_order_id": e.client_order_id,
    }
    if details:
        row.update(execution_details(n))
    return row


def order(o: Order, n: Numbers, with_executions: bool) -> dict:
    row = {
        "id": n.int(o.id),
        "order_type": o.order_type,
        "quantity": n.dec(o.quantity),
        "disc_quantity": n.dec(0),
        "iceberg_total_quantity": n.dec(0),
        "side": o.side,
        "filled_quantity": n.dec(o.filled_quantity),
        "price": n.dec(o.price),
        "created_at": n.int(seconds(o.created_at_ms)),
        "updated_at": n.int(seconds(o.updated_at_ms)),
        "status": o.status,
        "leverage_level": n.int(1),
        "source_exchange": None,
        "product_id": n.int(o.product_id),
        "margin_type": None,
        "take_profit": None,
        "stop_loss": None,
        "trading_type": "spot",
        "product_code": "CASH",
        "funding_currency": o.funding_currency,
        "crypto_account_id": None,
        "currency_pair_code": f"{o.base_currency}{o.funding_currency}",
        "average_price": n.dec(o.average_price),
        "target": "spot",
        "order_fee": n.dec(o.order_fee),
        "source_action": "manual",
        "unwound_trade_id": None,
        "trade_id": None,
        "client_order_id": o.client_order_id,
        "settings": None,
        "trailing_stop_type": None,
        "trailing_stop_value": None,
        "stop_triggered_time": None,
    }
    if with_executions:
        row["executions"] = [execution(e, n, details=False) for e in o.executions]
    return row


def crypto_withdrawal(w: CryptoWithdrawal, n: Numbers) -> dict:
    broadcasted = w.state in ("broadcasted", "processed")
    return {
        "id": n.int(w.id),
        "address": w.address,
        "amount": n.dec(w.amount),
        "state": w.state,
        "currency": w.currency,
        "withdrawal_fee": n.dec(w.withdrawal_fee),
        "created_at": n.int(seconds(w.created_at_ms)),
        "updated_at": n.int(seconds(w.updated_at_ms)),
        "payment_id": w.payment_id,
        "memo_type": None,
        "memo_value": None,
        "transaction_hash": w.transaction_hash,
        "broadcasted_at": n.int(seconds(w.updated_at_ms)) if broadcasted else None,
        "wallet_label": None,
        "chain_name": w.chain_name,
        "network": w.network,
    }


def fiat_withdrawal(w: FiatWithdrawal, n: Numbers) -> dict:
    return {
        "id": n.int(w.id),
        "currency": w.currency,
        "amount": n.dec(w.amount),
        "withdrawal_fee": n.dec(w.withdrawal_fee),
        "state": w.state,
        "bank_name": w.bank_name,
        "created_at": n.int(seconds(w.created_at_ms)),
        "updated_at": n.int(seconds(w.updated_at_ms)),
    }


def balance_account_id(account: Account, code: str, catalog: Catalog) -> int:
    """The id of ``account``'s fiat or crypto account of currency ``code``."""
    return account.id * 1_000_000 + catalog.currency_position[code]


def held_currencies(account: Account, catalog: Catalog, currency_type: str | None = None) -> list[Currency]:
    """Currencies the account has moved funds in, in catalog order."""
    held = account.balances().keys() | account.reserved_balances().keys()
    return [
        c
        for c in catalog.currencies
        if c.code in held and (currency_type is None or c.currency_type == currency_type)
    ]


def balance_account(account: Account, c: Currency, catalog: Catalog, n: Numbers) -> dict:
    """One entry of ``/fiat_accounts`` / ``/crypto_accounts`` (and ``/accounts``)."""
    row = {
        "id": n.int(balance_account_id(account, c.code, catalog)),
        "currency": c.code,
        "balance": n.dec(account.balances().get(c.code, 0)),
        "reserved_balance": n.dec(account.reserved_balances().get(c.code, 0)),
        "pusher_channel": f"user_{account.user_id}_account_{c.code.lower()}",
        "lowest_offer_interest_rate": None,
        "highest_offer_interest_rate": None,
        "currency_symbol": c.symbol,
        "currency_type": c.currency_type,
    }
    if c.currency_type == "crypto":
        row["address"] = deposit_address(account, c.code)
        row["minimum_withdraw"] = n.dec(c.minimum_withdrawal)
    else:
        row["send_to_btc_address"] = None
    return row


def deposit_address(account: Account, code: str) -> str:
    return hashlib.sha256(f"{account.id}:{code}".encode()).hexdigest()[:34]


def balance(account: Account, c: Currency, n: Numbers) -> dict:
    return {"currency": c.code, "balance": n.dec(account.balances().get(c.code, 0))}


def transaction(entry: LedgerEntry, account: Account, catalog: Catalog, n: Numbers) -> dict:
    """A legacy ``/transactions`` item: one signed ledger movement (``gross_amount`` < 0 pays)."""
    account_id = n.int(balance_account_id(account, entry.currency, catalog))
    paid = entry.amount < 0
    return {
        "id": n.int(entry.id),
        "created_at": n.int(seconds(entry.created_at_ms)),
        "updated_at": n.int(seconds(entry.updated_at_ms)),
        "transaction_type": entry.transaction_type,
        "gross_amount": n.dec(entry.amount),
        "net_amount": n.dec(entry.amount),
        "exchange_fee": n.dec(0),
        "network_fee": n.dec(0),
        "currency": entry.currency,
        "state": entry.state,
        "transaction_hash": entry.transaction_hash,
        "from_address": entry.from_address,
        "to_address": entry.to_address,
        "notes": None,
        "action_id": None,
        "from_account_id": account_id if paid else None,
        "to_account_id": None if paid else account_id,
        "from_role": None,
        "to_role": None,
        "source_object_type": entry.source_type,
        "source_object_id": n.int(entry.source_id),
        "execution": None if entry.execution_id is None else {"id": n.int(entry.execution_id)},
        "loan": None,
    }
