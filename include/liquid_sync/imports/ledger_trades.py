"""Trades assembled from ledger rows: executions and quick exchanges.

An execution's rows share its ``execution_id``; they may sit in both ledger files (a trade
against a fiat currency has its fiat leg in the fiat file) and those files may be imported
at different times. The rows of every execution touched by an import are read back from
``file_ledger_entries`` (all files so far) and assembled when complete:

* one trade: one PAY and one RECEIVE ``trade`` row in two currencies;
* a self-matched execution: two PAY and two RECEIVE ``trade`` rows in the same two
  currencies, giving two trades (one buying, one selling). Each fee row belongs to the side
  whose ``trade`` row precedes it in ``transaction_id`` order (Liquid writes a side's
  legs, then its fee, then its rebate).

Fee = trade_fee − rebate_trade_fee of that side (both positive amounts), in their currency;
0 in the quote currency when there is no fee row. A side whose fee rows are in more than one
currency, or any other row pattern, is not assembled. Incomplete or unassembled executions
stay in ``file_ledger_entries`` only, counted by ``pending_groups``; a later import that
brings their missing rows assembles them.

``quick_exchange`` rows have no execution id: the rows of one account with the same
``created_at_utc`` are one conversion when they are one PAY and one RECEIVE in two
currencies; it becomes a trade without an id and with no fee.

The ledger does not name the pair. The quote currency is, in this order: the fiat
currency, if exactly one leg is fiat; the fee currency, if it is one of the legs and not
QASH (Liquid charges fees in the quote currency or in QASH); the leg listed first in
``QUOTE_PREFERENCE``; else the alphabetically later code. A trades export of the same
execution overrides this (see ``trades.py``). Price = amount / quantity, exact whenever
it has at most 18 decimal places (it always has for Liquid), else rounded half-even.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Context, Decimal

import duckdb
import pyarrow as pa

from liquid_sync.imports.formats import QUICK_EXCHANGE, TRADE_TYPES
from liquid_sync.imports.trades import CANDIDATES
from liquid_sync.warehouse import first_row

QUOTE_PREFERENCE = ("USDT", "USDC", "DAI", "BTC", "ETH", "QASH")

_QUOTIENT_FUNCTION = "liquid_exact_quotient"
_QUOTIENT_CONTEXT = Context(prec=80, rounding=ROUND_HALF_EVEN)
_QUOTIENT_SCALE = Decimal(1).scaleb(-18)
_TRADE_TYPES_SQL = ", ".join(f"'{name}'" for name in TRADE_TYPES)


def _exact_quotients(dividends: pa.Array, divisors: pa.Array) -> pa.Array:
    quotients = [
        _QUOTIENT_CONTEXT.divide(dividend, divisor).quantize(_QUOTIENT_SCALE, context=_QUOTIENT_CONTEXT)
        for dividend, divisor in zip(dividends.to_pylist(), divisors.to_pylist())
    ]
    return pa.array(quotients, pa.decimal128(38, 18))


def register_functions(con: duckdb.DuckDBPyConnection) -> None:
    """Make ``liquid_exact_quotient(DECIMAL, DECIMAL)`` available on ``con`` (DuckDB's own
    DECIMAL division returns a DOUBLE)."""
    money = duckdb.decimal_type(38, 18)
    con.create_function(_QUOTIENT_FUNCTION, _exact_quotients, [money, money], money, type="arrow")


def unregister_functions(con: duckdb.DuckDBPyConnection) -> None:
    con.remove_function(_QUOTIENT_FUNCTION)


def _quote_choice() -> str:
    """SQL choosing the quote currency of a group's two currencies (``currency_a`` <
    ``currency_b``) from its ``fiat``/``fiat_legs`` and ``fee_hint``, by the rules above."""
    preference = "[" + ", ".join(f"'{code}'" for code in QUOTE_PREFERENCE) + "]"

    def rank(code: str) -> str:
        return f"coalesce(list_position({preference}, {code}), 1000)"

    return (
        "CASE WHEN fiat_legs = 1 THEN fiat"
        " WHEN fee_hint IN (currency_a, currency_b) THEN fee_hint"
        f" WHEN {rank('currency_a')} < {rank('currency_b')} THEN currency_a"
        " ELSE currency_b END"
    )


_QUOTE = _quote_choice()


def _legs_summary(group_key: str, source: str, has_fees: bool) -> str:
    """SELECT of one row per group: leg counts, its two currencies and its quote currency."""
    is_leg = "transaction_type <> 'trade_fee' AND transaction_type <> 'rebate_trade_fee'"
    fee_hint = (
        "max(currency) FILTER (WHERE NOT (" + is_leg + ") AND currency <> 'QASH')" if has_fees else "NULL"
    )
    return f"""
        SELECT {group_key},
               count(*) FILTER (WHERE {is_leg} AND direction = 'PAY') AS pays,
               count(*) FILTER (WHERE {is_leg} AND direction = 'RECEIVE') AS receives,
               count(DISTINCT currency) FILTER (WHERE {is_leg} AND direction = 'PAY') AS pay_currencies,
               count(DISTINCT currency) FILTER (WHERE {is_leg} AND direction = 'RECEIVE') AS receive_currencies,
               count(DISTINCT currency) FILTER (WHERE {is_leg}) AS currencies,
               min(currency) FILTER (WHERE {is_leg}) AS currency_a,
               max(currency) FILTER (WHERE {is_leg}) AS currency_b,
               max(currency) FILTER (WHERE {is_leg} AND direction = 'RECEIVE') AS received,
               max(currency) FILTER (WHERE {is_leg} AND currency_type = 'fiat') AS fiat,
               count(DISTINCT currency) FILTER (WHERE {is_leg} AND currency_type = 'fiat') AS fiat_legs,
               {fee_hint} AS fee_hint
        FROM {source} GROUP BY {group_key}"""


_COMPLETE = (
    "currencies = 2 AND pay_currencies = pays AND receive_currencies = receives"
    " AND ((pays = 1 AND receives = 1) OR (pays = 2 AND receives = 2))"
)


def add_execution_candidates(con: duckdb.DuckDBPyConnection, account: str, touched: str) -> None:
    """Add to ``CANDIDATES`` the trades of the executions touched by ``touched`` that are complete."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE import_execution_rows AS
        SELECT * FROM file_ledger_entries
        WHERE account = ? AND transaction_type IN ({_TRADE_TYPES_SQL})
          AND execution_id IN (SELECT execution_id FROM {touched} WHERE transaction_type IN ({_TRADE_TYPES_SQL}))""",
        [account],
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE import_executions AS
        SELECT execution_id, pays, received, quote,
               CASE WHEN currency_a = quote THEN currency_b ELSE currency_a END AS base
        FROM (SELECT *, {_QUOTE} AS quote FROM ({_legs_summary('execution_id', 'import_execution_rows', True)}))
        WHERE {_COMPLETE}"""
    )
    # side_key: the currency received by the side a row belongs to.
    con.execute(
        """CREATE OR REPLACE TEMP TABLE import_execution_sides AS
        WITH keyed AS (
            SELECT r.*, x.base, x.quote, x.pays,
                   CASE WHEN x.pays = 1 THEN x.received
                        ELSE last_value(CASE WHEN r.transaction_type = 'trade' THEN
                                 CASE WHEN r.direction = 'RECEIVE' THEN r.currency
                                      WHEN r.currency = x.base THEN x.quote ELSE x.base END END IGNORE NULLS)
                             OVER (PARTITION BY r.execution_id ORDER BY r.transaction_id
                                   ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) END AS side_key
            FROM import_execution_rows AS r JOIN import_executions AS x USING (execution_id)
        )
        SELECT execution_id, side_key, base, quote, pays,
               count(*) FILTER (WHERE transaction_type = 'trade') AS legs,
               count(DISTINCT currency) FILTER (WHERE transaction_type <> 'trade') AS fee_currencies,
               abs(sum(amount) FILTER (WHERE transaction_type = 'trade' AND currency = base)) AS quantity,
               abs(sum(amount) FILTER (WHERE transaction_type = 'trade' AND currency = quote)) AS amount,
               -coalesce(sum(amount) FILTER (WHERE transaction_type <> 'trade'), 0) AS fee,
               coalesce(max(currency) FILTER (WHERE transaction_type <> 'trade'), quote) AS fee_currency,
               min(occurred_at) FILTER (WHERE transaction_type = 'trade') AS occurred_at,
               arg_min(source_file_id, transaction_id) AS file_id,
               arg_min(source_line, transaction_id) AS line
        FROM keyed GROUP BY execution_id, side_key, base, quote, pays"""
    )
    con.execute(
        f"""INSERT INTO {CANDIDATES}
        SELECT ?, s.execution_id, CASE WHEN s.side_key = s.base THEN 'buy' ELSE 'sell' END, s.base, s.quote,
               s.quantity, {_QUOTIENT_FUNCTION}(s.amount, s.quantity), s.amount, s.fee, s.fee_currency,
               s.occurred_at, 1, 'ledger', s.file_id, s.line
        FROM import_execution_sides AS s
        WHERE s.execution_id NOT IN (
            SELECT execution_id FROM import_execution_sides
            GROUP BY execution_id, pays
            HAVING count(*) <> pays OR bool_or(side_key IS NULL OR legs <> 2 OR fee_currencies > 1))""",
        [account],
    )
    con.execute("DROP TABLE import_execution_rows; DROP TABLE import_executions; DROP TABLE import_execution_sides")


def add_quick_exchange_candidates(con: duckdb.DuckDBPyConnection, account: str, touched: str) -> None:
    """Add to ``CANDIDATES`` the complete quick exchanges at the times touched by ``touched``."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE import_quick_rows AS
        SELECT * FROM file_ledger_entries
        WHERE account = ? AND transaction_type = '{QUICK_EXCHANGE}'
          AND occurred_at IN (SELECT occurred_at FROM {touched} WHERE transaction_type = '{QUICK_EXCHANGE}')""",
        [account],
    )
    con.execute(
        f"""INSERT INTO {CANDIDATES}
        WITH exchanges AS (
            SELECT occurred_at, received, quote,
                   CASE WHEN currency_a = quote THEN currency_b ELSE currency_a END AS base
            FROM (SELECT *, {_QUOTE} AS quote FROM ({_legs_summary('occurred_at', 'import_quick_rows', False)}))
            WHERE {_COMPLETE} AND pays = 1
        ), sides AS (
            SELECT x.occurred_at, x.received, x.base, x.quote,
                   abs(sum(r.amount) FILTER (WHERE r.currency = x.base)) AS quantity,
                   abs(sum(r.amount) FILTER (WHERE r.currency = x.quote)) AS amount,
                   arg_min(r.source_file_id, r.transaction_id) AS file_id,
                   arg_min(r.source_line, r.transaction_id) AS line
            FROM exchanges AS x JOIN import_quick_rows AS r USING (occurred_at)
            GROUP BY x.occurred_at, x.received, x.base, x.quote
        )
        SELECT ?, NULL, CASE WHEN received = base THEN 'buy' ELSE 'sell' END, base, quote, quantity,
               {_QUOTIENT_FUNCTION}(amount, quantity), amount, 0, quote, occurred_at, 1, 'ledger', file_id, line
        FROM sides""",
        [account],
    )
    con.execute("DROP TABLE import_quick_rows")


def pending_groups(con: duckdb.DuckDBPyConnection, account: str) -> int:
    """Executions and quick exchanges of ``account`` in the ledger that are not in ``file_trades``."""
    return first_row(
        con,
        f"""SELECT
            (SELECT count(DISTINCT execution_id) FROM file_ledger_entries AS e
             WHERE e.account = $1 AND e.transaction_type IN ({_TRADE_TYPES_SQL}) AND NOT EXISTS (
                 SELECT 1 FROM file_trades AS t WHERE t.account = e.account AND t.execution_id = e.execution_id
                   AND t.ledger_file_id IS NOT NULL))
          + (SELECT count(DISTINCT occurred_at) FROM file_ledger_entries AS e
             WHERE e.account = $1 AND e.transaction_type = '{QUICK_EXCHANGE}' AND NOT EXISTS (
                 SELECT 1 FROM file_trades AS t WHERE t.account = e.account AND t.execution_id IS NULL
                   AND t.occurred_at = e.occurred_at AND t.ledger_file_id IS NOT NULL))""",
        [account],
    )[0]
