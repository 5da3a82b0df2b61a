"""Trades of the scope accounts: API executions of closed orders, matched to file trades.

Rules (``docs/warehouse.md`` states them for analysts):

1. An API execution is a trade once its order is closed: ``filled``, or ``cancelled`` with a
   fill. Executions of open orders, or of orders not seen yet, wait (``pending_executions``).
2. A matched file trade gives it its exact fee and currency. Otherwise its fee is its share
   of what the order's ``order_fee`` leaves after the exact quote-currency fees of the
   order's matched executions, in proportion to quantity, split at 1e-8 by largest remainder
   so that a complete order's quote-currency fees sum to ``order_fee`` exactly
   (``fee_estimated``).
3. Matching, per account: rule ``execution_id_side`` pairs an API execution and a file trade
   with the same (execution id, side). A file trade without an execution id is paired by
   rule ``pair_side_quantity_price_time_2s`` with the API execution (not paired by the first
   rule) of the same pair, side, quantity and price within 2 seconds, when each is the
   other's only candidate; otherwise it goes to the review queue and is not counted.
4. A file trade without an API counterpart is a trade of its own (source ``file``); a file
   trade matched to a waiting API execution waits with it.

Keys: ``trade_key`` is ``<execution_id>:<side>`` whenever an execution id is known, else the
file trade's key ``file:<BASE><QUOTE>:<side>:<quantity>@<price>:<UTC time>:<occurrence>``.
"""

from __future__ import annotations

import duckdb

from liquid_sync.transform.records import MONEY, RecordError
from liquid_sync.warehouse import first_row

CLOSED = "(o.status = 'filled' OR (o.status = 'cancelled' AND o.filled_quantity > 0))"
UNITS = 100000000
TIME_RULE, ID_RULE = "pair_side_quantity_price_time_2s", "execution_id_side"


def _decimal_text(expr: str) -> str:
    """SQL: the shortest decimal text of a DECIMAL(38,18) value (``0.5``, ``100``)."""
    return f"rtrim(rtrim(CAST({expr} AS VARCHAR), '0'), '.')"


def _utc_text(expr: str) -> str:
    fraction = f"CASE WHEN microsecond({expr}) % 1000000 <> 0 THEN strftime({expr}, '.%f') ELSE '' END"
    return f"strftime({expr}, '%Y-%m-%dT%H:%M:%S') || {fraction} || 'Z'"


def money_from_units(units: str) -> str:
    """SQL: the exact amount of ``units`` 1e-8 units."""
    return f"CAST(CAST({units} AS DECIMAL(38,0)) * CAST(0.00000001 AS DECIMAL(10,8)) AS {MONEY})"


def api_executions_with_orders(con: duckdb.DuckDBPyConnection) -> None:
    """``api_x``: the scope's API executions with their pair, order fee and whether their order is closed."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE api_x AS
        SELECT e.account, e.execution_id, e.side, e.order_id, e.product_id, e.quantity, e.price, e.taker_side,
               e.occurred_at, coalesce(o.base_currency, p.base_currency) AS base_currency,
               coalesce(o.quote_currency, p.quote_currency) AS quote_currency,
               coalesce({CLOSED}, false) AS closed, o.order_fee, o.filled_quantity
        FROM api_executions_all AS e
        LEFT JOIN orders_all AS o ON o.account = e.account AND o.order_id = e.order_id
        LEFT JOIN products AS p ON p.product_id = e.product_id"""
    )


def allocate_fees(con: duckdb.DuckDBPyConnection) -> None:
    """``api_fee_shares``: the estimated fee, in 1e-8 units, of each closed execution not matched to
    a file trade (``file_decisions``): its share of what its order's ``order_fee`` leaves after
    the exact quote-currency fees of the order's matched executions."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE fee_basis AS
        WITH exact AS (
            SELECT account, api_execution_id AS execution_id, api_side AS side, fee, fee_currency
            FROM file_decisions WHERE decision = 'matched'
        ), known AS (
            SELECT x.*, e.execution_id IS NOT NULL AS matched,
                   CASE WHEN e.fee_currency = x.quote_currency THEN e.fee ELSE 0 END AS exact_quote_fee
            FROM api_x AS x LEFT JOIN exact AS e USING (account, execution_id, side)
            WHERE x.closed
        )
        {unmatched_fee_basis('known')}"""
    )
    not_units = " OR ".join(
        f"{column} * {UNITS} <> trunc({column} * {UNITS})" for column in ("quantity", "fee", "filled")
    )
    row = first_row(con, f"SELECT account, order_id, execution_id FROM fee_basis WHERE {not_units} LIMIT 1")
    if row is not None:
        raise RecordError(
            f"account {row[0]!r}, order {row[1]} (execution {row[2]}): quantity, filled_quantity, order_fee or a "
            "matched file trade's fee is finer than 1e-8; its fee cannot be shared at 1e-8"
        )
    con.execute(f"CREATE OR REPLACE TEMP TABLE api_fee_shares AS {fee_shares('fee_basis')}")
    con.execute("DROP TABLE fee_basis")


def unmatched_fee_basis(known: str) -> str:
    """SQL: the ``fee_shares`` basis of the executions of relation ``known`` not matched to a file
    trade. ``known`` holds every execution of its orders: (account, execution_id, side, order_id,
    quantity, order_fee, filled_quantity, matched, exact_quote_fee), where ``exact_quote_fee`` is
    a matched execution's exact fee from the files when it is in the order's quote currency, else 0.
    The unmatched executions share what ``order_fee`` leaves after those exact fees."""
    return f"""SELECT account, execution_id, side, order_id, quantity,
               order_fee - sum(exact_quote_fee) OVER per_order AS fee,
               filled_quantity - coalesce(sum(quantity) FILTER (WHERE matched) OVER per_order, 0) AS filled
        FROM {known}
        WINDOW per_order AS (PARTITION BY account, order_id)
        QUALIFY NOT matched"""


def fee_shares(basis: str) -> str:
    """SQL: (account, execution_id, side, fee_units) for each row of relation ``basis``.

    ``basis`` holds the executions that share an order's fee: (account, execution_id, side,
    order_id, quantity, fee, filled), where ``fee`` is what the order's executions in ``basis``
    share and ``filled`` the quantity it is for, the same on every row of an order, all whole
    1e-8 units. ``fee_units`` is an execution's share in 1e-8 units, in proportion to quantity:
    when the order's quantities add up to ``filled`` the leftover units go to the largest
    remainders (ties by execution id, side), so the shares sum to ``fee`` exactly; otherwise
    each share is rounded half up.
    """
    return f"""WITH units AS (
            SELECT account, execution_id, side, order_id,
                   CAST(quantity * {UNITS} AS HUGEINT) AS quantity_units,
                   CAST(abs(fee) * {UNITS} AS HUGEINT) AS fee_units,
                   CASE WHEN fee < 0 THEN -1 ELSE 1 END AS fee_sign,
                   CAST(filled * {UNITS} AS HUGEINT) AS filled_units
            FROM {basis}
        ), shares AS (
            SELECT *, fee_units * quantity_units AS numerator,
                   greatest(filled_units, sum(quantity_units) OVER per_order) AS denominator,
                   sum(quantity_units) OVER per_order = filled_units AS complete
            FROM units WINDOW per_order AS (PARTITION BY account, order_id)
        ), parts AS (
            SELECT *, CASE WHEN denominator = 0 THEN 0 ELSE numerator // denominator END AS share,
                   CASE WHEN denominator = 0 THEN 0 ELSE numerator % denominator END AS remainder
            FROM shares
        ), ranked AS (
            SELECT *, fee_units - sum(share) OVER per_order AS leftover,
                   row_number() OVER (PARTITION BY account, order_id ORDER BY remainder DESC, execution_id, side)
                       AS rank
            FROM parts WINDOW per_order AS (PARTITION BY account, order_id)
        )
        SELECT account, execution_id, side,
               fee_sign * (share + CASE WHEN complete THEN CAST(rank <= leftover AS INTEGER)
                                        ELSE CAST(2 * remainder >= denominator AS INTEGER) END) AS fee_units
        FROM ranked"""


def file_trades(con: duckdb.DuckDBPyConnection) -> None:
    """``file_x``: the scope's file trades with their key and their main file line."""
    key = (
        f"'file:' || base_currency || quote_currency || ':' || side || ':' || {_decimal_text('quantity')} || '@' || "
        f"{_decimal_text('price')} || ':' || {_utc_text('occurred_at')} || ':' || occurrence"
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE file_x AS
        SELECT *, CASE WHEN execution_id IS NOT NULL THEN execution_id || ':' || side ELSE {key} END AS file_trade_key,
               coalesce(trades_file_id, ledger_file_id) AS file_id,
               CASE WHEN trades_file_id IS NOT NULL THEN trades_line ELSE ledger_line END AS line
        FROM wh.file_trades WHERE account IN (SELECT account FROM scope)"""
    )
    row = first_row(con, "SELECT account, file_trade_key FROM file_x GROUP BY ALL HAVING count(*) > 1 LIMIT 1")
    if row is not None:
        raise RecordError(f"account {row[0]!r}: file_trades holds trade {row[1]} twice")


def match(con: duckdb.DuckDBPyConnection) -> None:
    """``file_decisions``: every file trade with its match and what becomes of it (``matched``,
    ``waiting``, ``review`` or ``file_only``); ``time_candidates``: the pairs rule 2 weighed."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE id_matches AS
        SELECT f.account, f.file_trade_key, a.execution_id, a.side, a.closed, '{ID_RULE}' AS rule
        FROM file_x AS f JOIN api_x AS a ON a.account = f.account AND a.execution_id = f.execution_id AND a.side = f.side"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE time_candidates AS
        SELECT *, count(*) OVER (PARTITION BY account, file_trade_key) AS api_candidates,
                  count(*) OVER (PARTITION BY account, execution_id, side) AS file_candidates
        FROM (
            SELECT f.account, f.file_trade_key, a.execution_id, a.side, a.closed
            FROM (SELECT * FROM file_x WHERE execution_id IS NULL) AS f
            JOIN (SELECT * FROM api_x AS x WHERE NOT EXISTS (
                      SELECT 1 FROM id_matches AS m
                      WHERE m.account = x.account AND m.execution_id = x.execution_id AND m.side = x.side)) AS a
              ON a.account = f.account AND a.base_currency = f.base_currency AND a.quote_currency = f.quote_currency
             AND a.side = f.side AND a.quantity = f.quantity AND a.price = f.price
             AND a.occurred_at BETWEEN f.occurred_at - INTERVAL 2 SECOND AND f.occurred_at + INTERVAL 2 SECOND
        )"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE file_decisions AS
        WITH matches AS (
            SELECT * FROM id_matches
            UNION ALL
            SELECT account, file_trade_key, execution_id, side, closed, '{TIME_RULE}'
            FROM time_candidates WHERE api_candidates = 1 AND file_candidates = 1
        )
        SELECT f.*, m.execution_id AS api_execution_id, m.side AS api_side, m.rule,
               CASE WHEN m.closed THEN 'matched' WHEN m.execution_id IS NOT NULL THEN 'waiting'
                    WHEN c.file_trade_key IS NOT NULL THEN 'review' ELSE 'file_only' END AS decision
        FROM file_x AS f
        LEFT JOIN matches AS m USING (account, file_trade_key)
        LEFT JOIN (SELECT DISTINCT account, file_trade_key FROM time_candidates) AS c USING (account, file_trade_key)"""
    )
    con.execute("DROP TABLE id_matches")


def rebates(con: duckdb.DuckDBPyConnection) -> None:
    """``file_rebates``: maker rebates per (account, execution id, side) from the ledger export;
    a rebate row belongs to the side whose ``trade`` row precedes it (Liquid writes a side's
    legs, then its fee, then its rebate)."""
    con.execute(
        """CREATE OR REPLACE TEMP TABLE file_rebates AS
        WITH rebated AS (
            SELECT DISTINCT account, execution_id FROM wh.file_ledger_entries
            WHERE transaction_type = 'rebate_trade_fee' AND account IN (SELECT account FROM scope)
        ), bases AS (
            SELECT DISTINCT account, execution_id, base_currency FROM file_x WHERE execution_id IS NOT NULL
        ), sided AS (
            SELECT l.transaction_type, l.account, l.execution_id, l.amount,
                   last_value(CASE WHEN l.transaction_type = 'trade' THEN
                                  CASE WHEN (l.direction = 'RECEIVE') = (l.currency = b.base_currency)
                                       THEN 'buy' ELSE 'sell' END END IGNORE NULLS)
                       OVER (PARTITION BY l.account, l.execution_id ORDER BY l.transaction_id
                             ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS side
            FROM wh.file_ledger_entries AS l
            JOIN rebated USING (account, execution_id)
            JOIN bases AS b USING (account, execution_id)
            WHERE l.transaction_type IN ('trade', 'rebate_trade_fee')
        )
        SELECT account, execution_id, side, sum(amount) AS rebate
        FROM sided WHERE transaction_type = 'rebate_trade_fee' AND side IS NOT NULL
        GROUP BY ALL"""
    )


def trades(con: duckdb.DuckDBPyConnection) -> None:
    """``trades_out``: the scope's complete ``trades`` rows."""
    fee_source = "CASE WHEN {0}.ledger_file_id IS NOT NULL THEN 'ledger_export' ELSE 'trades_export' END"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE trades_out AS
        SELECT a.account, a.execution_id || ':' || a.side AS trade_key, a.execution_id, a.side, a.order_id,
               a.product_id, a.base_currency, a.quote_currency, a.quantity, a.price,
               CAST(CAST(a.quantity AS DECIMAL(28,10)) * CAST(a.price AS DECIMAL(28,10)) AS {MONEY}) AS amount,
               coalesce(d.fee, {money_from_units('s.fee_units')}) AS fee, coalesce(r.rebate, 0) AS rebate,
               coalesce(d.fee_currency, a.quote_currency) AS fee_currency,
               d.file_trade_key IS NULL AS fee_estimated,
               CASE WHEN d.file_trade_key IS NULL THEN 'order_fee_share' ELSE {fee_source.format('d')} END
                   AS fee_source,
               a.taker_side, a.occurred_at,
               CASE WHEN d.file_trade_key IS NULL THEN 'api' ELSE 'api+file' END AS source,
               d.rule AS match_rule, d.file_trade_key, d.trades_file_id, d.trades_line, d.ledger_file_id,
               d.ledger_line
        FROM api_x AS a
        LEFT JOIN api_fee_shares AS s USING (account, execution_id, side)
        LEFT JOIN file_decisions AS d ON d.decision = 'matched' AND d.account = a.account
             AND d.api_execution_id = a.execution_id AND d.api_side = a.side
        LEFT JOIN file_rebates AS r ON d.ledger_file_id IS NOT NULL AND r.account = d.account
             AND r.execution_id = d.execution_id AND r.side = d.side
        WHERE a.closed
        UNION ALL
        SELECT f.account, f.file_trade_key, f.execution_id, f.side, NULL, NULL, f.base_currency, f.quote_currency,
               f.quantity, f.price, f.amount, f.fee, coalesce(r.rebate, 0), f.fee_currency, false,
               {fee_source.format('f')}, NULL, f.occurred_at, 'file', NULL, f.file_trade_key, f.trades_file_id,
               f.trades_line, f.ledger_file_id, f.ledger_line
        FROM file_decisions AS f
        LEFT JOIN file_rebates AS r ON f.ledger_file_id IS NOT NULL AND r.account = f.account
             AND r.execution_id = f.execution_id AND r.side = f.side
        WHERE f.decision = 'file_only'"""
    )


def dedup_matches(con: duckdb.DuckDBPyConnection, batch_id: str) -> None:
    """``dedup_matches_out``: one row per matched (or waiting) API execution and file trade; a
    match already recorded keeps the batch that first recorded it."""
    con.execute(
        """CREATE OR REPLACE TEMP TABLE dedup_matches_out AS
        SELECT d.account, d.api_execution_id AS execution_id, d.api_side AS side,
               d.api_execution_id || ':' || d.api_side AS trade_key, d.rule, d.file_trade_key, d.file_id, d.line,
               d.ledger_file_id, d.ledger_line, coalesce(o.batch_id, $batch) AS batch_id
        FROM file_decisions AS d
        LEFT JOIN wh.dedup_matches AS o ON o.account = d.account AND o.execution_id = d.api_execution_id
             AND o.side = d.api_side AND o.rule = d.rule AND o.file_trade_key = d.file_trade_key
        WHERE d.decision IN ('matched', 'waiting')""",
        {"batch": batch_id},
    )


def review_queue(con: duckdb.DuckDBPyConnection, batch_id: str) -> None:
    """``review_queue_out``: file trades with several candidates (not counted), and matched
    file trades whose quantity or price differ from the API's (API values kept; counted once
    the execution's order is closed)."""
    con.execute(
        """CREATE OR REPLACE TEMP TABLE review_queue_out AS
        WITH ambiguous AS (
            SELECT c.account, c.file_trade_key,
                   CASE WHEN max(c.api_candidates) > 1
                        THEN 'ambiguous: ' || max(c.api_candidates) || ' API executions match'
                        ELSE 'ambiguous: its API execution also matches another file trade' END AS reason,
                   CAST(max(c.api_candidates) AS INTEGER) AS candidate_count,
                   string_agg(c.execution_id || ':' || c.side, ',' ORDER BY c.execution_id, c.side) AS candidates,
                   false AS counted
            FROM time_candidates AS c JOIN file_decisions AS d USING (account, file_trade_key)
            WHERE d.decision = 'review'
            GROUP BY c.account, c.file_trade_key
        ), differing AS (
            SELECT f.account, f.file_trade_key, 'quantity or price differs from the API execution' AS reason,
                   1 AS candidate_count, a.execution_id || ':' || a.side AS candidates,
                   f.decision = 'matched' AS counted
            FROM file_decisions AS f
            JOIN api_x AS a ON a.account = f.account AND a.execution_id = f.api_execution_id AND a.side = f.api_side
            WHERE a.quantity <> f.quantity OR a.price <> f.price
        )
        SELECT q.account, q.file_trade_key, q.reason, q.candidate_count, q.candidates, q.counted, f.base_currency,
               f.quote_currency, f.side, f.quantity, f.price, f.occurred_at, f.trades_file_id, f.trades_line,
               f.ledger_file_id, f.ledger_line, coalesce(o.batch_id, $batch) AS batch_id
        FROM (SELECT * FROM ambiguous UNION ALL SELECT * FROM differing) AS q
        JOIN file_x AS f USING (account, file_trade_key)
        LEFT JOIN wh.review_queue AS o USING (account, file_trade_key, reason)""",
        {"batch": batch_id},
    )
