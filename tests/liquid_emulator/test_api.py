"""Liquid API v2 endpoints over real HTTP: shapes, pagination, filters, errors, record fidelity."""

from __future__ import annotations

import json
import math
from decimal import Decimal

import pytest
import requests

from liquid_emulator import render
from liquid_emulator.faults import FaultConfig
from liquid_emulator.model import units_to_decimal, units_to_str
from liquid_emulator.server import EmulatorServer
from tests.liquid_emulator.support import busiest_product, decoded

CCXT_PRODUCT_FIELDS = {
    "id", "base_currency", "quoted_currency", "product_type", "disabled", "tick_size", "margin_enabled",
    "last_traded_price", "multiplier_up", "multiplier_down", "taker_fee", "maker_fee",
}
CCXT_CURRENCY_FIELDS = {
    "currency", "assets_precision", "depositable", "withdrawable", "minimum_withdrawal", "withdrawal_fee",
    "minimum_order_quantity", "name",
}


def dec(units: int) -> Decimal:
    return units_to_decimal(units)


def walk(client, path: str, params: dict) -> list[dict]:
    """Every row of a paginated list, page by page until a short page."""
    rows, page = [], 1
    while True:
        body = decoded(client.get(path, {**params, "page": page}))
        assert body["current_page"] == page
        rows += body["models"]
        if len(body["models"]) < params.get("limit", 20):
            return rows
        page += 1


# public


def test_products_lists_every_catalog_product_with_string_ids(server, emulator_catalog):
    products = requests.get(server.url + "/products", timeout=10).json(parse_float=Decimal)
    assert isinstance(products, list)
    assert [p["id"] for p in products] == [str(p.id) for p in emulator_catalog.products]
    assert all(CCXT_PRODUCT_FIELDS <= set(p) for p in products)
    assert {p["product_type"] for p in products} == {"CurrencyPair"}
    by_id = {p["id"]: p for p in products}
    for record in emulator_catalog.products:
        shown = by_id[str(record.id)]
        assert (shown["base_currency"], shown["quoted_currency"]) == (record.base_currency, record.quoted_currency)
        assert Decimal(shown["taker_fee"]) == record.taker_fee and Decimal(shown["maker_fee"]) == record.maker_fee
        assert Decimal(shown["last_traded_price"]) == dec(record.last_traded_price)
        assert Decimal(shown["tick_size"]) == Decimal(1).scaleb(-record.price_decimals)


@pytest.mark.parametrize("query", ["perpetual=1", "perpetual=true"])
def test_perpetual_products_are_an_empty_list(server, query):
    assert requests.get(f"{server.url}/products?{query}", timeout=10).json() == []


def test_one_product_and_unknown_products(server):
    product = requests.get(server.url + "/products/5", timeout=10).json()
    assert (product["id"], product["currency_pair_code"]) == ("5", "BTCJPY")
    for target in ("/products/999999", "/products/abc"):
        response = requests.get(server.url + target, timeout=10)
        assert (response.status_code, response.json()) == (404, {"message": "Product not found"})


def test_currencies(server, emulator_catalog):
    currencies = requests.get(server.url + "/currencies", timeout=10).json(parse_float=Decimal)
    assert [c["currency"] for c in currencies] == [c.code for c in emulator_catalog.currencies]
    assert all(CCXT_CURRENCY_FIELDS <= set(c) for c in currencies)
    for shown, record in zip(currencies, emulator_catalog.currencies):
        assert shown["currency_type"] == record.currency_type
        assert Decimal(shown["withdrawal_fee"]) == dec(record.withdrawal_fee)
        assert Decimal(shown["minimum_withdrawal"]) == dec(record.minimum_withdrawal)


# executions and pagination


def test_executions_default_page_is_the_20_newest(client, demo_account):
    product_id = busiest_product(demo_account)
    records = demo_account.executions(product_id)
    body = decoded(client.get("/executions/me", {"product_id": product_id}))
    assert body["current_page"] == 1
    assert body["total_pages"] == math.ceil(len(records) / 20)
    newest = records[::-1][:20]
    assert [(r["id"], r["my_side"]) for r in body["models"]] == [(e.id, e.my_side) for e in newest]
    first, record = body["models"][0], newest[0]
    assert first == {
        "id": record.id,
        "quantity": units_to_str(record.quantity),
        "price": units_to_str(record.price),
        "taker_side": record.taker_side,
        "my_side": record.my_side,
        "created_at": record.created_at_ms // 1000,
        "timestamp": f"{record.created_at_ms // 1000}.{record.created_at_ms % 1000:03d}",
        "order_id": record.order_id,
        "client_order_id": record.client_order_id,
    }


def test_walking_all_pages_gives_every_execution_once_newest_first(client, demo_account):
    product_id = busiest_product(demo_account)
    records = demo_account.executions(product_id)
    limit = 37  # leaves a short last page
    assert len(records) % limit
    rows = walk(client, "/executions/me", {"product_id": product_id, "limit": limit})
    assert [(r["id"], r["my_side"], r["order_id"]) for r in rows] == [
        (e.id, e.my_side, e.order_id) for e in reversed(records)
    ]
    assert [Decimal(r["quantity"]) for r in rows] == [dec(e.quantity) for e in reversed(records)]
    body = decoded(client.get("/executions/me", {"product_id": product_id, "limit": limit, "page": 999}))
    assert body == {"models": [], "current_page": 999, "total_pages": math.ceil(len(records) / limit)}


def test_every_traded_product_is_served(client, demo_account):
    for product_id in demo_account.traded_product_ids():
        body = decoded(client.get("/executions/me", {"product_id": product_id, "limit": 1000}))
        assert len(body["models"]) == min(len(demo_account.executions(product_id)), 1000)


def test_a_listed_product_never_traded_is_an_empty_page(client, demo_account, emulator_catalog):
    untraded = next(p.id for p in emulator_catalog.products if p.id not in demo_account.traded_product_ids())
    assert decoded(client.get("/executions/me", {"product_id": untraded})) == {
        "models": [], "current_page": 1, "total_pages": 0,
    }


@pytest.mark.parametrize("flag", ["1", "true"])
def test_with_details_adds_target_and_pnl(client, demo_account, flag):
    product_id = busiest_product(demo_account)
    plain = decoded(client.get("/executions/me", {"product_id": product_id}))["models"]
    detailed = decoded(client.get("/executions/me", {"product_id": product_id, "with_details": flag}))["models"]
    assert all("order_id" in row and "target" not in row for row in plain)
    assert [{k: v for k, v in row.items() if k not in ("target", "pnl")} for row in detailed] == plain
    assert {row["target"] for row in detailed} == {"spot"}


def test_limit_is_capped_at_1000(client, demo_account):
    entries = len(demo_account.ledger)
    assert entries > 1000
    body = decoded(client.get("/transactions", {"limit": 5000}))
    assert len(body["models"]) == 1000
    assert body["total_pages"] == math.ceil(entries / 1000)


@pytest.mark.parametrize(
    "params, message",
    [
        ({}, "missing parameters: product_id"),
        ({"product_id": "abc"}, "product_id must be an integer >= 0, got 'abc'"),
        ({"product_id": "999999"}, "product_id 999999 is not a listed product"),
        ({"product_id": 1, "limit": "abc"}, "limit must be an integer >= 1, got 'abc'"),
        ({"product_id": 1, "limit": "0"}, "limit must be an integer >= 1, got '0'"),
        ({"product_id": 1, "limit": "-5"}, "limit must be an integer >= 1, got '-5'"),
        ({"product_id": 1, "limit": "2.5"}, "limit must be an integer >= 1, got '2.5'"),
        ({"product_id": 1, "page": "0"}, "page must be an integer >= 1, got '0'"),
        ({"product_id": 1, "page": "x"}, "page must be an integer >= 1, got 'x'"),
    ],
)
def test_bad_parameters_are_422_with_a_message(client, params, message):
    response = client.get("/executions/me", params)
    assert (response.status_code, response.json()) == (422, {"message": message})


def test_unknown_paths_and_methods(server, client):
    response = client.get("/nothing/here")
    assert (response.status_code, response.json()) == (404, {"message": "Not Found"})
    response = requests.post(server.url + "/orders", json={"order": {}}, timeout=10)
    assert response.status_code == 405


# orders


def test_orders_newest_first_without_and_with_executions(client, demo_account):
    newest = demo_account.orders[::-1][:50]
    plain = decoded(client.get("/orders", {"limit": 50}))
    assert plain["total_pages"] == math.ceil(len(demo_account.orders) / 50)
    assert [o["id"] for o in plain["models"]] == [o.id for o in newest]
    assert all("executions" not in o for o in plain["models"])
    detailed = decoded(client.get("/orders", {"limit": 50, "with_details": 1}))["models"]
    for shown, record in zip(detailed, newest, strict=True):
        assert shown["status"] == record.status and shown["side"] == record.side
        assert shown["product_id"] == record.product_id and shown["funding_currency"] == record.funding_currency
        assert Decimal(shown["quantity"]) == dec(record.quantity)
        assert Decimal(shown["filled_quantity"]) == dec(record.filled_quantity)
        assert Decimal(shown["order_fee"]) == dec(record.order_fee)
        assert Decimal(shown["average_price"]) == dec(record.average_price)
        assert [e["id"] for e in shown["executions"]] == [e.id for e in record.executions]


@pytest.mark.parametrize("status", ["live", "partially_filled", "filled", "cancelled"])
def test_orders_status_filter(client, demo_account, status):
    expected = [o.id for o in reversed(demo_account.orders) if o.status == status]
    rows = walk(client, "/orders", {"status": status, "limit": 1000})
    assert [o["id"] for o in rows] == expected


def test_orders_product_funding_and_trading_type_filters(client, demo_account):
    product_id = busiest_product(demo_account)
    funding = demo_account.order(demo_account.executions(product_id)[0].order_id).funding_currency
    rows = walk(client, "/orders", {"product_id": product_id, "limit": 1000})
    assert [o["id"] for o in rows] == [o.id for o in reversed(demo_account.orders) if o.product_id == product_id]
    rows = walk(client, "/orders", {"funding_currency": funding, "status": "filled", "limit": 1000})
    assert [o["id"] for o in rows] == [
        o.id for o in reversed(demo_account.orders) if o.funding_currency == funding and o.status == "filled"
    ]
    assert len(walk(client, "/orders", {"trading_type": "spot", "limit": 1000})) == len(demo_account.orders)
    for params in ({"trading_type": "margin"}, {"status": "open"}, {"funding_currency": "XYZ"}, {"product_id": 999999}):
        assert decoded(client.get("/orders", params))["models"] == []


def test_one_order_always_has_its_executions(client, demo_account):
    record = next(o for o in reversed(demo_account.orders) if len(o.executions) > 1)
    shown = decoded(client.get(f"/orders/{record.id}"))
    assert shown["id"] == record.id
    assert [(e["id"], Decimal(e["quantity"])) for e in shown["executions"]] == [
        (e.id, dec(e.quantity)) for e in record.executions
    ]
    for missing in ("1", "abc", str(max(o.id for o in demo_account.orders) + 1)):
        response = client.get(f"/orders/{missing}")
        assert (response.status_code, response.json()) == (404, {"message": "Order not found"})


# withdrawals


def test_crypto_withdrawals_and_filters(client, demo_account):
    records = demo_account.crypto_withdrawals
    assert records, "the demo account should have crypto withdrawals"
    rows = walk(client, "/crypto_withdrawals", {"limit": 1000})
    assert [w["id"] for w in rows] == [w.id for w in reversed(records)]
    for shown, record in zip(rows, reversed(records)):
        assert (shown["state"], shown["currency"], shown["address"]) == (record.state, record.currency, record.address)
        assert Decimal(shown["amount"]) == dec(record.amount)
        assert Decimal(shown["withdrawal_fee"]) == dec(record.withdrawal_fee)
        assert shown["transaction_hash"] == record.transaction_hash
        assert shown["chain_name"] == record.chain_name
    some = records[len(records) // 2]
    since = some.created_at_ms // 1000  # ``timestamp`` compares with the shown created_at
    cases = {
        (("currency", some.currency),): lambda w: w.currency == some.currency,
        (("state", some.state),): lambda w: w.state == some.state,
        (("address", some.address),): lambda w: w.address == some.address,
        (("timestamp", str(since)),): lambda w: w.created_at_ms // 1000 >= since,
        (("timestamp", f"{since}.5"),): lambda w: w.created_at_ms // 1000 >= since + 1,
        (("timestamp", f"{since - 1}.5"),): lambda w: w.created_at_ms // 1000 >= since,
        (("currency", some.currency), ("state", some.state)): lambda w: (w.currency, w.state) == (some.currency, some.state),
        (("currency", "NOPE"),): lambda w: False,
        (("state", "completed"),): lambda w: False,
    }
    for params, keep in cases.items():
        rows = walk(client, "/crypto_withdrawals", {**dict(params), "limit": 1000})
        assert [w["id"] for w in rows] == [w.id for w in reversed(records) if keep(w)], params
    response = client.get("/crypto_withdrawals", {"timestamp": "yesterday"})
    assert response.status_code == 422


def test_fiat_withdrawals_and_filters(client, demo_account):
    records = demo_account.fiat_withdrawals
    rows = walk(client, "/withdrawals", {"limit": 1000})
    assert [(w["id"], w["state"], Decimal(w["amount"])) for w in rows] == [
        (w.id, w.state, dec(w.amount)) for w in reversed(records)
    ]
    if records:
        some = records[0]
        rows = walk(client, "/withdrawals", {"currency": some.currency, "state": some.state, "limit": 1000})
        assert [w["id"] for w in rows] == [
            w.id for w in reversed(records) if (w.currency, w.state) == (some.currency, some.state)
        ]


# balances and ledger


def test_balances_match_the_ledger(client, demo_account, emulator_catalog):
    balances = demo_account.balances()
    reserved = demo_account.reserved_balances()
    shown = {b["currency"]: Decimal(b["balance"]) for b in decoded(client.get("/accounts/balance"))}
    assert shown == {code: dec(balances.get(code, 0)) for code in balances.keys() | reserved.keys()}
    accounts = decoded(client.get("/accounts"))
    assert set(accounts) == {"crypto_accounts", "fiat_accounts"}
    for kind in ("crypto", "fiat"):
        rows = accounts[f"{kind}_accounts"]
        assert rows == decoded(client.get(f"/{kind}_accounts"))
        assert {r["currency_type"] for r in rows} <= {kind}
        for row in rows:
            assert emulator_catalog.currency_by_code[row["currency"]].currency_type == kind
            assert Decimal(row["balance"]) == dec(balances.get(row["currency"], 0))
            assert Decimal(row["reserved_balance"]) == dec(reserved.get(row["currency"], 0))
    listed = [r["currency"] for kind in ("crypto", "fiat") for r in accounts[f"{kind}_accounts"]]
    assert sorted(listed) == sorted(shown)


def test_trading_accounts_is_an_empty_list(client):
    assert decoded(client.get("/trading_accounts")) == []


def test_transactions_are_the_ledger_newest_first(client, demo_account):
    newest = demo_account.ledger[::-1][:300]
    rows = decoded(client.get("/transactions", {"limit": 300}))["models"]
    for shown, entry in zip(rows, newest, strict=True):
        assert shown["id"] == entry.id and shown["transaction_type"] == entry.transaction_type
        assert shown["currency"] == entry.currency
        assert Decimal(shown["gross_amount"]) == dec(entry.amount) == Decimal(shown["net_amount"])
        assert shown["created_at"] == entry.created_at_ms // 1000
        assert (shown["execution"] or {}).get("id") == entry.execution_id
        assert (shown["from_account_id"] is None) == (entry.amount >= 0)
    expected_fields = {
        "id", "created_at", "transaction_type", "gross_amount", "net_amount", "exchange_fee", "network_fee",
        "currency", "state", "transaction_hash", "notes", "execution",
    }
    assert expected_fields <= set(rows[0])


def test_transactions_filters(client, demo_account):
    ledger = demo_account.ledger
    funding = walk(client, "/transactions", {"transaction_type": "funding", "limit": 1000})
    assert [r["id"] for r in funding] == [e.id for e in reversed(ledger) if e.transaction_type == "funding"]
    assert {r["source_object_id"] for r in funding} == {d.id for d in demo_account.deposits}
    fees = walk(client, "/transactions", {"transaction_type": "withdrawal,withdrawal_fee", "limit": 1000})
    assert [r["id"] for r in fees] == [
        e.id for e in reversed(ledger) if e.transaction_type in ("withdrawal", "withdrawal_fee")
    ]
    currency = ledger[0].currency
    rows = walk(client, "/transactions", {"currency": currency, "transaction_type": "trade", "limit": 1000})
    assert [r["id"] for r in rows] == [
        e.id for e in reversed(ledger) if e.currency == currency and e.transaction_type == "trade"
    ]
    for params in ({"transaction_type": "loan"}, {"currency": "NOPE"}):
        assert decoded(client.get("/transactions", params))["models"] == []


@pytest.mark.parametrize("drift", [False, True])
@pytest.mark.parametrize("details", [False, True])
def test_pre_encoded_execution_rows_equal_the_record_renderer(client, exchange, demo_account, drift, details):
    exchange.set_faults(FaultConfig(number_drift=drift))
    numbers = render.DRIFTED if drift else render.PLAIN
    product_id = busiest_product(demo_account)
    params = {"product_id": product_id, "limit": 250, "page": 2, **({"with_details": "true"} if details else {})}
    body = json.loads(client.get("/executions/me", params).content)
    expected = [render.execution(e, numbers, details) for e in demo_account.executions(product_id)[::-1][250:500]]
    assert body["models"] == json.loads(json.dumps(expected))


def test_a_stopped_server_answers_nothing_even_on_open_keep_alive_connections(exchange):
    with EmulatorServer(exchange) as server:
        session = requests.Session()
        assert session.get(server.url + "/currencies", timeout=10).status_code == 200
    with pytest.raises(requests.ConnectionError):
        session.get(server.url + "/currencies", timeout=10)
