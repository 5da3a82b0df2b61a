"""The cutoff of a ``since_last_transaction`` run: the newest transaction already in the warehouse.

Reads ``max(occurred_at)`` of the file-import tables (``file_trades``, ``file_deposits``,
``file_withdrawals``) that exist, restricted to the account when a table has an ``account``
column, over a read-only DuckDB connection that waits out a writer briefly (``reader.reading``).
"""

from __future__ import annotations

import math
from pathlib import Path

import duckdb

from liquid_sync.warehouse.reader import reading

FILE_TABLES = ("file_trades", "file_deposits", "file_withdrawals")


def warehouse_cutoff(warehouse: Path, account: str) -> int | None:
    """Unix seconds of the newest ``occurred_at`` of ``account`` in the file tables; None when the
    warehouse or the tables do not exist yet or hold nothing."""
    if not warehouse.exists():
        return None
    newest: list[float] = []
    with reading(warehouse, f"the newest file transaction of account {account!r}") as connection:
        columns = _columns(connection)
        for table in FILE_TABLES:
            if "occurred_at" not in columns.get(table, set()):
                continue
            sql = f'SELECT epoch(max(occurred_at)) FROM "{table}"'
            params: list[str] = []
            if "account" in columns[table]:
                sql += " WHERE account = ?"
                params.append(account)
            (value,) = connection.execute(sql, params).fetchone()
            if value is not None:
                newest.append(value)
    return math.floor(max(newest)) if newest else None


def _columns(connection: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    rows = connection.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_name IN (?, ?, ?)",
        list(FILE_TABLES),
    ).fetchall()
    columns: dict[str, set[str]] = {}
    for table, column in rows:
        columns.setdefault(table, set()).add(column)
    return columns
