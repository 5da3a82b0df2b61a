"""Merging one batch table into its warehouse table (see ``transform.batch`` for the modes).

Every merge compares whole rows, so a row already stored exactly as in the batch is neither
deleted nor inserted: loading a batch whose data is already in the warehouse changes
nothing. Keys are compared NULL-safely (``sync_state`` keys have a NULL ``product_id``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from liquid_sync.transform.batch import Table
from liquid_sync.warehouse import first_row


class BatchMismatch(ValueError):
    """A batch file does not have its warehouse table's columns."""


@dataclass(frozen=True)
class Changes:
    inserted: int
    deleted: int

    def as_dict(self) -> dict:
        return {"inserted": self.inserted, "deleted": self.deleted}


def _key_match(table: Table, left: str, right: str) -> str:
    return " AND ".join(f"{left}.{k} IS NOT DISTINCT FROM {right}.{k}" for k in table.key)


def _stage(con: duckdb.DuckDBPyConnection, table: Table, path: Path) -> None:
    source = str(path).replace("'", "''")
    con.execute(f"CREATE OR REPLACE TEMP TABLE incoming AS SELECT * FROM read_parquet('{source}')")
    expected = con.execute(f"SELECT * FROM {table.name} LIMIT 0").description
    got = con.execute("SELECT * FROM incoming LIMIT 0").description
    if [(c[0], str(c[1])) for c in got] != [(c[0], str(c[1])) for c in expected]:
        raise BatchMismatch(
            f"{path}: columns {[c[0] for c in got]} do not match table {table.name} {[c[0] for c in expected]}"
        )


def _deleted(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = first_row(con, sql)
    return int(row[0]) if row else 0


def merge(con: duckdb.DuckDBPyConnection, table: Table, path: Path, scope: list[str]) -> Changes:
    """Merge the batch file ``path`` into ``table`` inside the caller's transaction. ``scope``:
    the accounts whose rows a ``derived`` or ``state`` table replaces completely."""
    _stage(con, table, path)
    name = table.name
    try:
        if table.mode == "insert":
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE changed AS SELECT * FROM incoming AS i"
                f" WHERE NOT EXISTS (SELECT 1 FROM {name} AS t WHERE {_key_match(table, 't', 'i')})"
            )
            deleted = 0
        elif table.mode == "replace":
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE changed AS SELECT * FROM incoming EXCEPT"
                f" SELECT * FROM {name} AS t WHERE EXISTS (SELECT 1 FROM incoming AS i WHERE {_key_match(table, 't', 'i')})"
            )
            deleted = _deleted(
                con, f"DELETE FROM {name} AS t WHERE EXISTS (SELECT 1 FROM changed AS c WHERE {_key_match(table, 't', 'c')})"
            )
        elif table.mode in ("derived", "state"):
            con.execute("CREATE OR REPLACE TEMP TABLE scope_accounts (account VARCHAR)")
            if scope:
                con.executemany("INSERT INTO scope_accounts VALUES (?)", [[a] for a in scope])
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE changed AS SELECT * FROM incoming EXCEPT"
                f" SELECT * FROM {name} WHERE account IN (SELECT account FROM scope_accounts)"
            )
            deleted = _deleted(
                con,
                f"DELETE FROM {name} AS t WHERE t.account IN (SELECT account FROM scope_accounts) AND ("
                f" NOT EXISTS (SELECT 1 FROM incoming AS i WHERE {_key_match(table, 't', 'i')})"
                f" OR EXISTS (SELECT 1 FROM changed AS c WHERE {_key_match(table, 't', 'c')}))",
            )
        else:
            raise ValueError(f"table {name}: unknown merge mode {table.mode!r}")
        inserted = first_row(con, "SELECT count(*) FROM changed")[0]
        con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM changed")
    finally:
        con.execute("DROP TABLE IF EXISTS incoming; DROP TABLE IF EXISTS changed")
    return Changes(int(inserted), deleted)
