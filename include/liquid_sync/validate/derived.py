"""Datasets for the rules that span rows or tables, so that GX can check them column by column.

The rules hold for the warehouse as it will be once the batch is loaded. For the batch's
accounts, orders and executions are the batch's rows plus the warehouse's rows whose key the
batch does not bring (a batch holds only new or newer API records); trades are the batch's
(a batch holds every trade of its accounts).

* ``trade_orders``: every trade made of an API execution (source ``api`` or ``api+file``)
  with its order's status and fill; ``order_closed`` says whether the order is ``filled``, or
  ``cancelled`` with a fill.
* ``order_fills``: every closed order (``filled`` or ``cancelled``) with the sum of its
  executions' quantities (``executions_quantity``) next to its ``filled_quantity``. Open
  orders are left out: their fills may still arrive between the orders and executions pages.
* ``trade_legs``: every trade with ``legs_difference`` = |amount − quantity × price| and
  ``rounding_allowance`` = quantity × 0.5e-18, computed exactly (Arrow decimal256). The quote
  leg (amount) balances the base leg (quantity) at the price when the difference is within
  the allowance: a price taken from the ledger is amount / quantity rounded to 18 decimals,
  which moves quantity × price by at most that much; any other price balances exactly.
  Quantities and prices must be below 10^19 (a cast error names the overflow otherwise).
"""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from liquid_sync.transform.batch import table_path
from liquid_sync.transform.sources import attach_warehouse
from liquid_sync.validate.datasets import Dataset, to_frame

_CLOSED = "o.status = 'filled' OR (o.status = 'cancelled' AND o.filled_quantity > 0)"
TRADE_ORDERS = f"""
    SELECT t.account, t.trade_key, t.execution_id, t.side, t.order_id, o.status AS order_status,
           o.filled_quantity AS order_filled_quantity, coalesce({_CLOSED}, false) AS order_closed
    FROM batch_trades AS t LEFT JOIN orders_after AS o USING (account, order_id)
    WHERE t.source IN ('api', 'api+file')"""
ORDER_FILLS = """
    SELECT o.account, o.order_id, o.status, o.filled_quantity,
           coalesce(sum(e.quantity), 0)::DECIMAL(38,18) AS executions_quantity, count(e.execution_id) AS executions
    FROM orders_after AS o LEFT JOIN api_executions_after AS e USING (account, order_id)
    WHERE o.status IN ('filled', 'cancelled')
    GROUP BY ALL"""
_KEYS = {"orders": ("account", "order_id"), "api_executions": ("account", "execution_id", "side")}
LEG_COLUMNS = ["account", "trade_key", "source", "quantity", "price", "amount"]
_FACTOR = pa.decimal256(37, 18)
_COMPARED = pa.decimal256(76, 37)
_HALF_LAST_PLACE = pa.scalar(Decimal("5E-19"), pa.decimal256(1, 19))


def derived_datasets(directory: Path, manifest: dict, warehouse_path: Path) -> list[Dataset]:
    after_load = partial(_after_load, directory, manifest["accounts"], warehouse_path)
    trades = table_path(directory, "trades")
    return [
        Dataset("trade_orders", "trade_orders", partial(after_load, TRADE_ORDERS), None,
                "the batch's trades of API executions, with their orders"),
        Dataset("order_fills", "order_fills", partial(after_load, ORDER_FILLS), None,
                "closed orders with their executions, after the load"),
        Dataset("trade_legs", "trade_legs", lambda: to_frame(trade_legs(pq.read_table(trades, columns=LEG_COLUMNS))),
                None, "the batch's trades"),
    ]


def _after_load(directory: Path, accounts: list[str], warehouse_path: Path, query: str) -> pd.DataFrame:
    """``query``'s rows over views ``batch_<table>`` and ``<table>_after``: the batch's
    accounts' rows of ``orders`` and ``api_executions`` once the batch is loaded."""
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET enable_progress_bar = false")
        attach_warehouse(con, warehouse_path)
        con.execute("CREATE TEMP TABLE scope AS SELECT unnest(?::VARCHAR[]) AS account", [accounts])
        for name in ("orders", "api_executions", "trades"):
            path = str(table_path(directory, name)).replace("'", "''")
            con.execute(f"CREATE TEMP VIEW batch_{name} AS SELECT * FROM read_parquet('{path}')")
        for table, key in _KEYS.items():
            same_key = " AND ".join(f"b.{column} = w.{column}" for column in key)
            con.execute(
                f"""CREATE TEMP VIEW {table}_after AS
                SELECT * FROM batch_{table}
                UNION ALL BY NAME
                SELECT * FROM wh.{table} AS w
                WHERE w.account IN (SELECT account FROM scope)
                  AND NOT EXISTS (SELECT 1 FROM batch_{table} AS b WHERE {same_key})"""
            )
        return to_frame(con.sql(query).to_arrow_table())
    finally:
        con.close()


def trade_legs(trades: pa.Table) -> pa.Table:
    """``trades``' keys, legs and price with ``legs_difference`` and ``rounding_allowance``."""
    quantity = pc.cast(trades["quantity"], _FACTOR)
    product = pc.multiply(quantity, pc.cast(trades["price"], _FACTOR))
    difference = pc.abs(pc.subtract(pc.cast(trades["amount"], pa.decimal256(56, 36)), product))
    allowance = pc.multiply(quantity, _HALF_LAST_PLACE)
    return pa.table({
        **{name: trades[name] for name in LEG_COLUMNS},
        "legs_difference": pc.cast(difference, _COMPARED),
        "rounding_allowance": pc.cast(allowance, _COMPARED),
    })
