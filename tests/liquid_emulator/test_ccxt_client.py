"""ccxt 2.2.40, the last release with Liquid, works against the emulator and sees the account's records."""

from __future__ import annotations

import ccxt
import pytest

from liquid_emulator.model import units_to_decimal, units_to_str
from liquid_emulator.signing import NonceSource
from tests.liquid_emulator.support import busiest_product

CCXT_ORDER_STATUS = {"live": "open", "filled": "closed", "cancelled": "canceled", "partially_filled": "partially_filled"}
CCXT_WITHDRAWAL_STATUS = {
    "pending": "pending", "processing": "pending", "to_be_reviewed": "pending", "approved": "ok", "processed": "ok",
    "broadcasted": "ok", "cancelled": "canceled", "reverted": "failed", "declined": "failed",
}


def number(units: int) -> float:
    """What ccxt makes of a decimal string: a float parsed from the same text."""
    return float(units_to_str(units))


@pytest.fixture
def liquid(server, token):
    assert ccxt.__version__ == "2.2.40"
    exchange = ccxt.liquid({"apiKey": token.token_id, "secret": token.secret, "enableRateLimit": False})
    exchange.urls["api"] = {"rest": server.url}
    # ccxt's nonce is the current millisecond; without its 1 s throttle two calls can share one.
    exchange.nonce = NonceSource().next
    exchange.load_markets()
    return exchange


def symbol_of(liquid, product_id: int) -> str:
    return liquid.safe_market(str(product_id))["symbol"]


def test_load_markets_sees_every_product_and_currency(liquid, emulator_catalog):
    assert {m["id"] for m in liquid.markets.values()} == {str(p.id) for p in emulator_catalog.products}
    assert all(m["spot"] and not m["swap"] for m in liquid.markets.values())
    btcjpy = liquid.markets["BTC/JPY"]
    assert btcjpy["id"] == "5" and btcjpy["active"]
    assert set(liquid.currencies) == {liquid.safe_currency_code(c.code) for c in emulator_catalog.currencies}


@pytest.mark.parametrize("limit", [None, 50])
def test_fetch_my_trades_matches_the_newest_executions(liquid, demo_account, limit):
    product_id = busiest_product(demo_account)
    symbol = symbol_of(liquid, product_id)
    trades = liquid.fetch_my_trades(symbol, limit=limit)
    newest = demo_account.executions(product_id)[::-1][: limit or 20]
    assert sorted((t["id"], t["order"], t["side"]) for t in trades) == sorted(
        (str(e.id), str(e.order_id), e.my_side) for e in newest
    )
    assert [t["timestamp"] for t in trades] == sorted(t["timestamp"] for t in trades)  # ccxt sorts oldest first
    by_key = {(str(e.id), e.my_side): e for e in newest}
    for trade in trades:
        record = by_key[trade["id"], trade["side"]]
        assert trade["symbol"] == symbol
        assert trade["timestamp"] == record.created_at_ms // 1000 * 1000
        assert (trade["info"]["quantity"], trade["info"]["price"]) == (units_to_str(record.quantity), units_to_str(record.price))
        assert trade["amount"] == number(record.quantity) and trade["price"] == number(record.price)
        assert trade["takerOrMaker"] == ("taker" if record.taker_side == record.my_side else "maker")
        assert trade["info"]["target"] == "spot"


def check_orders(orders, records, liquid):
    assert sorted(o["id"] for o in orders) == sorted(str(r.id) for r in records)
    by_id = {r.id: r for r in records}
    for order in orders:
        record = by_id[int(order["id"])]
        assert order["symbol"] == symbol_of(liquid, record.product_id)
        assert order["status"] == CCXT_ORDER_STATUS[record.status]
        assert (order["side"], order["type"]) == (record.side, record.order_type)
        assert order["amount"] == number(record.quantity) and order["filled"] == number(record.filled_quantity)
        assert order["info"]["filled_quantity"] == units_to_str(record.filled_quantity)
        assert order["fee"]["cost"] == number(record.order_fee)
        assert order["clientOrderId"] == record.client_order_id
        assert [t["id"] for t in order["trades"]] == [str(e.id) for e in record.executions]


def test_fetch_orders_matches_the_products_newest_orders(liquid, demo_account):
    product_id = busiest_product(demo_account)
    orders = liquid.fetch_orders(symbol_of(liquid, product_id))
    records = [o for o in reversed(demo_account.orders) if o.product_id == product_id][:20]
    assert len(orders) == 20
    check_orders(orders, records, liquid)


def test_fetch_closed_orders_matches_the_newest_filled_orders(liquid, demo_account):
    orders = liquid.fetch_closed_orders()
    records = [o for o in reversed(demo_account.orders) if o.status == "filled"][:20]
    assert {o["status"] for o in orders} == {"closed"}
    check_orders(orders, records, liquid)


def test_fetch_withdrawals_matches_the_newest_crypto_withdrawals(liquid, demo_account):
    withdrawals = liquid.fetch_withdrawals()
    records = demo_account.crypto_withdrawals[::-1][:20]
    assert sorted(w["id"] for w in withdrawals) == sorted(str(r.id) for r in records)
    by_id = {r.id: r for r in records}
    for withdrawal in withdrawals:
        record = by_id[int(withdrawal["id"])]
        assert withdrawal["currency"] == liquid.safe_currency_code(record.currency)
        assert withdrawal["amount"] == float(units_to_decimal(record.amount - record.withdrawal_fee))
        assert withdrawal["fee"]["cost"] == number(record.withdrawal_fee)
        assert withdrawal["status"] == CCXT_WITHDRAWAL_STATUS.get(record.state, record.state)
        assert (withdrawal["address"], withdrawal["txid"]) == (record.address, record.transaction_hash)
        assert withdrawal["timestamp"] == record.created_at_ms // 1000 * 1000


def test_fetch_balance_matches_the_ledger(liquid, demo_account):
    balance = liquid.fetch_balance()
    totals = demo_account.balances()
    reserved = demo_account.reserved_balances()
    held = totals.keys() | reserved.keys()
    assert set(balance["total"]) == {liquid.safe_currency_code(code) for code in held}
    for code in held:
        shown = liquid.safe_currency_code(code)
        assert balance["total"][shown] == number(totals.get(code, 0))
        assert balance["used"][shown] == number(reserved.get(code, 0))


def test_errors_map_to_ccxt_exceptions(liquid, server, exchange, token):
    with pytest.raises(ccxt.OrderNotFound):
        liquid.fetch_order("1")
    exchange.set_rate_limit(2, 60)
    liquid.fetch_balance()
    with pytest.raises(ccxt.DDoSProtection):
        liquid.fetch_balance()
    exchange.revoke_token(token.token_id)
    with pytest.raises(ccxt.AuthenticationError):
        liquid.fetch_balance()
