"""Trades export rows: checks across rows, and their candidate trades.

One row is one execution record as the account saw it: ``Bought`` is a buy of ``Open Qty``
base currency for ``Amount`` quote currency, ``Sold`` the reverse; ``Fee`` is the net fee
in ``Fee Currency``. A self-matched execution is two rows with one ``Execution Id``, one
``Bought`` and one ``Sold``; the same id and type twice in one file rejects the file.
"""

from __future__ import annotations

import duckdb

from liquid_sync.imports.errors import ImportRejected
from liquid_sync.imports.trades import CANDIDATES
from liquid_sync.warehouse import first_row

_TYPE_OF_SIDE = {"buy": "Bought", "sell": "Sold"}


def check_rows(con: duckdb.DuckDBPyConnection, typed: str, file_name: str) -> None:
    """Reject the file for a row trading a currency against itself, or a repeated execution."""
    row = first_row(
        con,
        f"SELECT line, base_currency FROM {typed} WHERE base_currency = quote_currency ORDER BY line LIMIT 1"
    )
    if row is not None:
        raise ImportRejected(file_name, "is also the quote currency", line=row[0], column="Base Currency", value=row[1])
    row = first_row(
        con,
        f"""SELECT line, execution_id, side, first_line FROM (
                SELECT line, execution_id, side,
                       min(line) OVER (PARTITION BY execution_id, side) AS first_line
                FROM {typed} WHERE execution_id IS NOT NULL)
            WHERE line > first_line ORDER BY line LIMIT 1"""
    )
    if row is not None:
        line, execution_id, side, first_line = row
        raise ImportRejected(
            file_name,
            f"appears again as {_TYPE_OF_SIDE[side]} (first on line {first_line})",
            line=line,
            column="Execution Id",
            value=str(execution_id),
        )


def add_candidates(con: duckdb.DuckDBPyConnection, typed: str, account: str, file_id: int) -> None:
    """Add every row of ``typed`` to ``CANDIDATES``, numbering alike id-less rows by line."""
    con.execute(
        f"""INSERT INTO {CANDIDATES}
        SELECT $account, execution_id, side, base_currency, quote_currency, quantity, price, amount, fee,
               fee_currency, occurred_at,
               CASE WHEN execution_id IS NULL THEN row_number() OVER (
                   PARTITION BY execution_id IS NULL, side, base_currency, quote_currency, quantity, amount,
                                occurred_at
                   ORDER BY line) ELSE 1 END,
               'trades', $file_id, line
        FROM {typed}""",
        {"account": account, "file_id": file_id},
    )
