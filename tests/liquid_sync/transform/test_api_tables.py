"""API records typed from raw JSON: executions embedded in orders, and which version of a
changing record is kept."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from liquid_sync.transform import api_tables
from liquid_sync.transform.sources import RAW_COLUMNS, attach_warehouse, open_workspace


def workspace(tmp_path, orders: list[dict], executions: list[dict] = ()):
    con = open_workspace("256MB", tmp_path)
    attach_warehouse(con, tmp_path / "missing.duckdb")
    con.execute("CREATE TEMP TABLE scope AS SELECT 'demo' AS account")
    for name, records in (("raw_orders", orders), ("raw_executions", executions)):
        con.execute(f"CREATE TEMP TABLE {name} ({RAW_COLUMNS}, run_position INTEGER)")
        for position, record in enumerate(records, start=1):
            con.execute(
                f"INSERT INTO {name} VALUES ('demo', ?, 5, 1, ?, ?, ?, ?, ?)",
                [name, datetime(2021, 10, 1, tzinfo=UTC), f"run-{position}", int(record["id"]), json.dumps(record),
                 position],
            )
    return con


def order(order_id: int, status: str, updated_at: int, filled: str, executions: list[dict] | None = None) -> dict:
    record = {"id": order_id, "product_id": 5, "currency_pair_code": "BTCJPY", "funding_currency": "JPY",
              "side": "buy", "status": status, "quantity": "1.0", "price": "4000000.0", "filled_quantity": filled,
              "order_fee": "12.0", "created_at": 1600000000, "updated_at": updated_at}
    if executions is not None:
        record["executions"] = executions
    return record


def test_executions_embedded_in_an_order_are_executions_of_it(tmp_path):
    embedded = [{"id": 900, "quantity": "0.4", "price": "4000000.0", "taker_side": "sell", "my_side": "buy",
                 "created_at": 1600000100, "timestamp": "1600000100.250"}]
    con = workspace(tmp_path, [order(7, "filled", 1600000200, "0.4", embedded)])
    api_tables.orders(con, "raw_orders")
    api_tables.executions(con, "raw_executions", "raw_orders")
    rows = con.execute("SELECT execution_id, side, order_id, product_id, quantity, occurred_at FROM api_executions_out"
                       ).fetchall()
    assert [r[:4] for r in rows] == [(900, "buy", 7, 5)]
    assert rows[0][5] == datetime(2020, 9, 13, 12, 28, 20, 250000, UTC)


def test_the_latest_version_of_an_order_wins_whatever_the_run_order(tmp_path):
    versions = [order(7, "filled", 1600000300, "1.0"), order(7, "partially_filled", 1600000200, "0.4")]
    con = workspace(tmp_path, versions)
    api_tables.orders(con, "raw_orders")
    assert con.execute("SELECT status, base_currency, quote_currency FROM orders_out").fetchall() == [
        ("filled", "BTC", "JPY")]
