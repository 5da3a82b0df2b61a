"""The transform's inputs inside one in-memory DuckDB: the warehouse (read-only) and raw pages.

* ``attach_warehouse`` makes schema ``wh`` hold one view per table of the current warehouse
  schema: the warehouse's own table when it has it, an empty table otherwise (a warehouse
  not created yet, or not migrated yet, reads as empty). The file is attached read-only,
  retried with logged backoff while a writer holds it.
* ``register_raw`` makes view ``raw_<endpoint>`` of the raw pages of the given files, with
  ``run_position`` (the order of runs in the batch); an endpoint without files is an empty
  table with the raw page columns.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import duckdb

from liquid_sync.warehouse.schema import MIGRATIONS, migrate

log = logging.getLogger(__name__)

ATTACH_ATTEMPTS = 10
ATTACH_BACKOFF_SECONDS = 0.5
RAW_COLUMNS = (
    "account VARCHAR, endpoint VARCHAR, product_id BIGINT, page INTEGER, fetched_at TIMESTAMPTZ, run_id VARCHAR,"
    " record_id BIGINT, record VARCHAR"
)


def open_workspace(memory_limit: str, temp_directory: Path, threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB in UTC that spills to ``temp_directory`` beyond ``memory_limit``."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    con.execute("SET preserve_insertion_order = false")
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute(f"SET temp_directory = '{temp_directory}'")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    return con


def _attach(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    for attempt in range(1, ATTACH_ATTEMPTS + 1):
        try:
            con.execute(f"ATTACH '{path}' AS wh_file (READ_ONLY)")
            return
        except duckdb.IOException as exc:
            if attempt == ATTACH_ATTEMPTS or "Could not set lock" not in str(exc):
                raise
            log.warning("%s is being written; attaching it again in %.1fs", path, ATTACH_BACKOFF_SECONDS * attempt)
            time.sleep(ATTACH_BACKOFF_SECONDS * attempt)


def attach_warehouse(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    con.execute("ATTACH ':memory:' AS wh_empty")
    con.execute("USE wh_empty")
    migrate(con, MIGRATIONS)
    con.execute("USE memory")
    present: set[str] = set()
    if path.exists():
        _attach(con, path)
        present = {name for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'wh_file' AND schema_name = 'main'"
        ).fetchall()}
    con.execute("CREATE SCHEMA wh")
    tables = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = 'wh_empty' AND schema_name = 'main'"
    ).fetchall()
    for (name,) in tables:
        catalog = "wh_file" if name in present else "wh_empty"
        con.execute(f"CREATE VIEW wh.{name} AS SELECT * FROM {catalog}.main.{name}")


def register_raw(con: duckdb.DuckDBPyConnection, endpoint: str, files: list[Path]) -> str:
    """View ``raw_<endpoint>`` over ``files`` joined with temp table ``run_order``; returns its name."""
    name = f"raw_{endpoint}"
    if not files:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} ({RAW_COLUMNS}, run_position INTEGER)")
        return name
    listing = "[" + ", ".join("'" + str(f).replace("'", "''") + "'" for f in files) + "]"
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT r.*, o.run_position FROM read_parquet({listing}) AS r "
        "JOIN run_order AS o USING (account, run_id)"
    )
    return name
