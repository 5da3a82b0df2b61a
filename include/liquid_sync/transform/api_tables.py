"""API records of the batch, typed and merged with what the warehouse holds (scope accounts).

For each API table this creates two temp tables:

* ``<table>_all``: every row of the scope accounts after the load (the warehouse's rows
  merged with the batch's), which the derived tables are computed from;
* ``<table>_out``: the rows the load has to write (new keys, or newer versions).

Versions: an order or withdrawal seen several times keeps the version with the latest
``updated_at``, then a final status over an open one, then the larger fill; on a tie the
warehouse's version stays (so loading a batch twice changes nothing). Executions and
balances never change: a key already stored is not written again.
"""

from __future__ import annotations

import duckdb

from liquid_sync.transform.records import DECIMAL, ID, MILLIS_TEXT, SECONDS, TEXT, Field, RecordError, parse
from liquid_sync.warehouse import first_row

FINAL_ORDER_STATUSES = ("filled", "cancelled")
FINAL_WITHDRAWAL_STATES = ("processed", "cancelled", "declined", "reverted")

ORDER_FIELDS = (
    Field("order_id", ID, key="id"),
    Field("product_id", ID),
    Field("currency_pair_code", TEXT),
    Field("funding_currency", TEXT),
    Field("side", TEXT),
    Field("order_type", TEXT, required=False),
    Field("status", TEXT),
    Field("quantity", DECIMAL),
    Field("price", DECIMAL, required=False),
    Field("filled_quantity", DECIMAL),
    Field("average_price", DECIMAL, required=False),
    Field("order_fee", DECIMAL),
    Field("created_at", SECONDS),
    Field("updated_at", SECONDS),
    Field("client_order_id", TEXT, required=False),
)
EXECUTION_FIELDS = (
    Field("execution_id", ID, key="id"),
    Field("quantity", DECIMAL),
    Field("price", DECIMAL),
    Field("taker_side", TEXT, required=False),
    Field("side", TEXT, key="my_side"),
    Field("created_at", SECONDS),
    Field("stamp", MILLIS_TEXT, required=False, key="timestamp"),
    Field("order_id", ID, required=False),
    Field("client_order_id", TEXT, required=False),
)
WITHDRAWAL_FIELDS = (
    Field("withdrawal_id", ID, key="id"),
    Field("currency", TEXT),
    Field("amount", DECIMAL),
    Field("fee", DECIMAL, key="withdrawal_fee"),
    Field("state", TEXT),
    Field("created_at", SECONDS),
    Field("updated_at", SECONDS),
    Field("address", TEXT, required=False),
    Field("transaction_hash", TEXT, required=False),
    Field("chain_name", TEXT, required=False),
    Field("network", TEXT, required=False),
    Field("payment_id", TEXT, required=False),
    Field("bank_name", TEXT, required=False),
)
BALANCE_FIELDS = (
    Field("currency", TEXT),
    Field("currency_type", TEXT, required=False),
    Field("balance", DECIMAL),
    Field("reserved_balance", DECIMAL, required=False),
)

_BATCH_KEEP = "account, run_id, fetched_at, record_id, run_position"
_ORDER_COLUMNS = (
    "account, order_id, product_id, currency_pair_code, base_currency, quote_currency, side, order_type, status,"
    " quantity, price, filled_quantity, average_price, order_fee, created_at, updated_at, client_order_id, run_id"
)
_EXECUTION_COLUMNS = (
    "account, execution_id, side, order_id, product_id, quantity, price, taker_side, occurred_at, client_order_id,"
    " run_id"
)
_WITHDRAWAL_COLUMNS = (
    "account, withdrawal_type, withdrawal_id, currency, amount, fee, state, created_at, updated_at, address,"
    " transaction_hash, chain_name, network, payment_id, bank_name, run_id"
)
_BALANCE_COLUMNS = "account, run_id, currency, currency_type, balance, reserved_balance, fetched_at"


def _in_list(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _check(con: duckdb.DuckDBPyConnection, sql: str, message: str) -> None:
    """Raise ``RecordError(message.format(*row))`` for the first row ``sql`` returns."""
    row = first_row(con, sql)
    if row is not None:
        raise RecordError(message.format(*row))


def orders(con: duckdb.DuckDBPyConnection, raw: str) -> None:
    parse(con, raw, "/orders", ORDER_FIELDS, "batch_orders_typed", keep=_BATCH_KEEP)
    _check(
        con,
        "SELECT account, order_id, currency_pair_code, funding_currency FROM batch_orders_typed"
        " WHERE NOT ends_with(currency_pair_code, funding_currency) OR currency_pair_code = funding_currency LIMIT 1",
        "account {0!r}, /orders record {1}: currency_pair_code {2!r} does not end with funding_currency {3!r}",
    )
    _check(
        con,
        "SELECT account, order_id, side FROM batch_orders_typed WHERE side NOT IN ('buy', 'sell') LIMIT 1",
        "account {0!r}, /orders record {1}, field 'side': unusable value {2!r}",
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE batch_orders AS
        SELECT *, left(currency_pair_code, length(currency_pair_code) - length(funding_currency)) AS base_currency,
               funding_currency AS quote_currency
        FROM batch_orders_typed"""
    )
    con.execute("DROP TABLE batch_orders_typed")
    _latest_versions(
        con, "orders", "batch_orders", _ORDER_COLUMNS, ("account", "order_id"),
        f"updated_at DESC, status IN ({_in_list(FINAL_ORDER_STATUSES)}) DESC, filled_quantity DESC",
    )


def executions(con: duckdb.DuckDBPyConnection, raw_executions: str, raw_orders: str) -> None:
    """Executions from ``/executions/me`` pages and from the ``executions`` of order records
    (``GET /orders/{id}``, ``with_details`` listings), one row per (account, id, side)."""
    parse(con, raw_executions, "/executions/me", EXECUTION_FIELDS, "batch_listed_executions",
          keep=f"{_BATCH_KEEP}, product_id AS page_product_id")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE raw_order_executions AS
        SELECT account, run_id, fetched_at, record_id AS parent_order_id, run_position,
               unnest(json_extract(record, '$.executions[*]')) AS execution_record
        FROM {raw_orders} WHERE contains(record, '"executions"')"""
    )
    parse(con, "raw_order_executions", "/orders executions", EXECUTION_FIELDS, "batch_embedded_executions",
          keep="account, run_id, fetched_at, parent_order_id AS record_id, run_position", record="execution_record")
    con.execute("DROP TABLE raw_order_executions")
    _check(
        con,
        "SELECT account, execution_id FROM batch_listed_executions WHERE order_id IS NULL LIMIT 1",
        "account {0!r}, /executions/me record {1}, field 'order_id': missing or null "
        "(the execution cannot be tied to its order)",
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE batch_executions AS
        SELECT account, execution_id, side, order_id, product_id, quantity, price, taker_side, occurred_at,
               client_order_id, run_id, run_position, fetched_at
        FROM (
            SELECT account, execution_id, side, order_id, page_product_id AS product_id, quantity, price,
                   taker_side, coalesce(stamp, created_at) AS occurred_at, client_order_id, run_id, run_position,
                   fetched_at, 0 AS origin
            FROM batch_listed_executions
            UNION ALL
            SELECT e.account, e.execution_id, e.side, coalesce(e.order_id, e.record_id), o.product_id, e.quantity,
                   e.price, e.taker_side, coalesce(e.stamp, e.created_at),
                   e.client_order_id, e.run_id, e.run_position, e.fetched_at, 1 AS origin
            FROM batch_embedded_executions AS e
            JOIN batch_orders AS o ON o.account = e.account AND o.run_id = e.run_id AND o.order_id = e.record_id
        )
        QUALIFY row_number() OVER (PARTITION BY account, execution_id, side
                                   ORDER BY origin, run_position DESC, fetched_at DESC) = 1"""
    )
    con.execute("DROP TABLE batch_listed_executions; DROP TABLE batch_embedded_executions")
    _check(
        con,
        "SELECT account, execution_id, side FROM batch_executions WHERE side NOT IN ('buy', 'sell') LIMIT 1",
        "account {0!r}, execution {1}, field 'my_side': unusable value {2!r}",
    )
    _new_keys(con, "api_executions", "batch_executions", _EXECUTION_COLUMNS, ("account", "execution_id", "side"))


def withdrawals(con: duckdb.DuckDBPyConnection, raw_crypto: str, raw_fiat: str) -> None:
    parse(con, raw_crypto, "/crypto_withdrawals", WITHDRAWAL_FIELDS, "batch_crypto_withdrawals", keep=_BATCH_KEEP)
    parse(con, raw_fiat, "/withdrawals", WITHDRAWAL_FIELDS, "batch_fiat_withdrawals", keep=_BATCH_KEEP)
    con.execute(
        """CREATE OR REPLACE TEMP TABLE batch_withdrawals AS
        SELECT 'crypto' AS withdrawal_type, * FROM batch_crypto_withdrawals
        UNION ALL BY NAME
        SELECT 'fiat' AS withdrawal_type, * FROM batch_fiat_withdrawals"""
    )
    con.execute("DROP TABLE batch_crypto_withdrawals; DROP TABLE batch_fiat_withdrawals")
    _latest_versions(
        con, "api_withdrawals", "batch_withdrawals", _WITHDRAWAL_COLUMNS,
        ("account", "withdrawal_type", "withdrawal_id"),
        f"updated_at DESC, state IN ({_in_list(FINAL_WITHDRAWAL_STATES)}) DESC",
    )


def balances(con: duckdb.DuckDBPyConnection, raw: str) -> None:
    parse(con, raw, "/accounts", BALANCE_FIELDS, "batch_balances", keep=_BATCH_KEEP)
    _check(
        con,
        "SELECT account, run_id, currency FROM batch_balances GROUP BY ALL HAVING count(*) > 1 LIMIT 1",
        "account {0!r}, run {1!r}: /accounts lists currency {2!r} twice",
    )
    _new_keys(con, "api_balances", "batch_balances", _BALANCE_COLUMNS, ("account", "run_id", "currency"))


def products(con: duckdb.DuckDBPyConnection) -> None:
    """``products``: the pair of every product an order of any account has shown."""
    con.execute(
        """CREATE OR REPLACE TEMP TABLE products AS
        SELECT product_id, min(base_currency) AS base_currency, min(quote_currency) AS quote_currency
        FROM (SELECT product_id, base_currency, quote_currency FROM wh.orders
              UNION ALL SELECT product_id, base_currency, quote_currency FROM batch_orders)
        GROUP BY product_id"""
    )


def _join_on(key: tuple[str, ...], left: str, right: str) -> str:
    return " AND ".join(f"{left}.{k} = {right}.{k}" for k in key)


def _latest_versions(
    con: duckdb.DuckDBPyConnection, table: str, batch: str, columns: str, key: tuple[str, ...], order: str
) -> None:
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {table}_all AS
        SELECT * FROM (
            SELECT {columns}, false AS from_batch, 0 AS run_position, NULL::TIMESTAMPTZ AS fetched_at
            FROM wh.{table} WHERE account IN (SELECT account FROM scope)
            UNION ALL
            SELECT {columns}, true, run_position, fetched_at FROM {batch}
        )
        QUALIFY row_number() OVER (PARTITION BY {', '.join(key)}
                                   ORDER BY {order}, from_batch, run_position DESC, fetched_at DESC) = 1"""
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table}_out AS SELECT {columns} FROM {table}_all WHERE from_batch")
    for helper in ("from_batch", "run_position", "fetched_at"):
        con.execute(f"ALTER TABLE {table}_all DROP COLUMN {helper}")


def _new_keys(con: duckdb.DuckDBPyConnection, table: str, batch: str, columns: str, key: tuple[str, ...]) -> None:
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {table}_out AS
        SELECT {columns} FROM {batch} AS n
        WHERE NOT EXISTS (SELECT 1 FROM wh.{table} AS o WHERE {_join_on(key, 'o', 'n')})"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {table}_all AS
        SELECT {columns} FROM wh.{table} WHERE account IN (SELECT account FROM scope)
        UNION ALL SELECT {columns} FROM {table}_out"""
    )
