"""The DuckDB warehouse: one file, opened per job and closed when the job is done.

DuckDB allows one read-write process per database file (other processes may open it
read-only), so writers open the warehouse, do their work and close it.

Every connection runs with ``TimeZone = 'UTC'``, so ``TIMESTAMPTZ`` values read and print
in UTC. A read-write connection brings the schema up to date (``schema.migrate``) before it
is returned.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from liquid_sync import config
from liquid_sync.warehouse.schema import migrate


def first_row(con: duckdb.DuckDBPyConnection, sql: str, params: object = None) -> tuple | None:
    """The first row of a query, or None; the result is read to its end.

    DuckDB 2.0 keeps a result that ``fetchone()`` did not exhaust open, and an open result
    blocks ``create_function``/``remove_function`` on the connection.
    """
    rows = con.execute(sql, params).fetchall()
    return rows[0] if rows else None


def connect(path: str | Path | None = None, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse at ``path`` (default ``config.warehouse_path()``).

    A read-write connection creates the file and its folder when missing and applies every
    pending migration. A read-only connection needs an existing, migrated warehouse.
    """
    target = Path(path) if path is not None else config.warehouse_path()
    if not read_only:
        target.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(target), read_only=read_only)
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET enable_progress_bar = false")
        if not read_only:
            migrate(con)
    except BaseException:
        con.close()
        raise
    return con
