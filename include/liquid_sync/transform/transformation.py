"""``transform``: extraction runs and the warehouse's file tables into one batch for the load.

The transform only reads: raw pages of the given runs, and the warehouse (read-only). It works
in an in-memory DuckDB that spills to disk beyond ``memory_limit``, entirely in SQL, and
writes the batch (see ``batch``): for the API tables the rows to insert or replace, for the
derived tables (trades, withdrawals, deposits, matches, review queue) the complete rows of
every account in scope, plus the cursors, accounts and runs.

Accounts in scope: those of the runs, and those with export files imported since their last
load. The batch records the last batch the warehouse had loaded (``base_batch_id``); the
load refuses a batch computed from an older warehouse.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from liquid_sync import config
from liquid_sync.extract.files import fsync_dir
from liquid_sync.extract.layout import Layout
from liquid_sync.transform import api_tables, movements, trades
from liquid_sync.transform.batch import MANIFEST, TABLES, batch_dir, read_manifest, staging_dir, table_path, write_manifest
from liquid_sync.transform.records import check_exact_numbers
from liquid_sync.transform.runs import RunInput, account_rows, chain_states, open_runs, run_rows
from liquid_sync.transform.sources import attach_warehouse, open_workspace, register_raw
from liquid_sync.warehouse import first_row
from liquid_sync.warehouse.sync_state import read_state, state_rows

log = logging.getLogger(__name__)

DEFAULT_MEMORY_LIMIT = "1GB"
ENDPOINTS = ("orders", "executions", "crypto_withdrawals", "fiat_withdrawals", "balances")


def transform(
    runs: list[dict],
    batch_id: str,
    *,
    data_dir: Path | None = None,
    warehouse_path: Path | None = None,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    threads: int | None = None,
) -> dict:
    """Write batch ``batch_id`` from ``runs`` (dicts with ``account`` and ``run_id``, such as
    extraction summaries) and return its manifest (JSON-serialisable). A batch that already
    exists is returned as it is."""
    data = Path(data_dir) if data_dir is not None else config.data_dir()
    warehouse = Path(warehouse_path) if warehouse_path is not None else config.warehouse_path()
    target = batch_dir(data, batch_id)
    if (target / MANIFEST).exists():
        log.info("batch %s already exists; not transforming again", batch_id)
        return read_manifest(target)
    layout = Layout(data)
    inputs = open_runs(layout, runs)
    staging_dir(data).mkdir(parents=True, exist_ok=True)
    work = staging_dir(data) / f".{batch_id}.partial-{uuid.uuid4().hex[:12]}"
    spill = work / "_spill"
    spill.mkdir(parents=True)
    started = time.monotonic()
    try:
        con = open_workspace(memory_limit, spill, threads)
        try:
            manifest = _build(con, layout, warehouse, inputs, batch_id, work)
        finally:
            con.close()
            shutil.rmtree(spill, ignore_errors=True)
        manifest["seconds"] = round(time.monotonic() - started, 3)
        write_manifest(work, manifest)
        os.replace(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    fsync_dir(target.parent)
    log.info("batch %s: %s", batch_id, ", ".join(f"{t} {n}" for t, n in manifest["counts"].items()))
    return read_manifest(target)


def _build(
    con: duckdb.DuckDBPyConnection, layout: Layout, warehouse: Path, inputs: list[RunInput], batch_id: str,
    work: Path,
) -> dict:
    attach_warehouse(con, warehouse)
    base = first_row(con, "SELECT batch_id FROM wh.load_batches ORDER BY loaded_at DESC, batch_id DESC LIMIT 1")
    accounts = _scope(con, inputs)
    _register_runs(con, layout, inputs)
    api_tables.orders(con, "raw_orders")
    api_tables.executions(con, "raw_executions", "raw_orders")
    api_tables.withdrawals(con, "raw_crypto_withdrawals", "raw_fiat_withdrawals")
    api_tables.balances(con, "raw_balances")
    api_tables.products(con)
    trades.api_executions_with_orders(con)
    trades.file_trades(con)
    trades.match(con)
    trades.allocate_fees(con)
    trades.rebates(con)
    trades.trades(con)
    trades.dedup_matches(con, batch_id)
    trades.review_queue(con, batch_id)
    movements.withdrawals(con)
    movements.deposits(con)

    committed = {account: read_state(con, account, "wh.sync_state") for account in accounts}
    finals = chain_states(inputs, committed)
    _rows_table(con, "sync_state", [row | {"batch_id": batch_id} for s in finals.values() for row in state_rows(s)])
    files_through = dict(con.execute(
        "SELECT account, max(file_id) FROM wh.file_imports WHERE status = 'imported' GROUP BY account"
    ).fetchall())
    columns = [c[0] for c in con.execute("SELECT * FROM wh.accounts LIMIT 0").description]
    existing = {row[0]: dict(zip(columns, row)) for row in con.execute(
        "SELECT * FROM wh.accounts WHERE account IN (SELECT account FROM scope)").fetchall()}
    _rows_table(con, "accounts", account_rows(layout, accounts, inputs, existing, files_through, batch_id))
    _rows_table(con, "runs", run_rows(inputs, batch_id))
    return {
        "batch_id": batch_id,
        "created_at": datetime.now(UTC).isoformat(timespec="microseconds"),
        "base_batch_id": base[0] if base else None,
        "accounts": accounts,
        "runs": [{"account": r.account, "run_id": r.run_id, "status": r.status, "state_committed": r.state is not None}
                 for r in inputs],
        "state_accounts": sorted(finals),
        "counts": _write_tables(con, work),
    }


def _scope(con: duckdb.DuckDBPyConnection, inputs: list[RunInput]) -> list[str]:
    changed_files = con.execute(
        """SELECT i.account FROM wh.file_imports AS i LEFT JOIN wh.accounts AS a USING (account)
        WHERE i.status = 'imported' GROUP BY i.account
        HAVING max(i.file_id) > coalesce(max(a.files_loaded_through), -1)"""
    ).fetchall()
    accounts = sorted({r.account for r in inputs} | {account for (account,) in changed_files})
    con.execute("CREATE TEMP TABLE scope (account VARCHAR)")
    if accounts:
        con.executemany("INSERT INTO scope VALUES (?)", [[a] for a in accounts])
    return accounts


def _register_runs(con: duckdb.DuckDBPyConnection, layout: Layout, inputs: list[RunInput]) -> None:
    con.execute("CREATE TEMP TABLE run_order (account VARCHAR, run_id VARCHAR, run_position INTEGER)")
    files: dict[str, list[Path]] = {endpoint: [] for endpoint in ENDPOINTS}
    for position, run in enumerate(inputs, start=1):
        con.execute("INSERT INTO run_order VALUES (?, ?, ?)", [run.account, run.run_id, position])
        for endpoint, paths in run.files(layout).items():
            files.setdefault(endpoint, []).extend(paths)
    for endpoint, paths in files.items():
        name = register_raw(con, endpoint, paths)
        check_exact_numbers(con, name, endpoint)


def _table_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    return con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = 'wh_empty'"
        " AND schema_name = 'main' AND table_name = ? ORDER BY column_index",
        [table],
    ).fetchall()


def _rows_table(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict]) -> None:
    """Temp table ``<table>_out`` shaped like warehouse ``table``, holding ``rows``."""
    columns = [name for name, _ in _table_columns(con, table)]
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table}_out AS SELECT * FROM wh_empty.main.{table} LIMIT 0")
    if rows:
        con.executemany(
            f"INSERT INTO {table}_out ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
            [[row[c] for c in columns] for row in rows],
        )


def _write_tables(con: duckdb.DuckDBPyConnection, work: Path) -> dict[str, int]:
    counts = {}
    for table in TABLES:
        select = ", ".join(f'CAST("{name}" AS {kind}) AS "{name}"' for name, kind in _table_columns(con, table.name))
        path = str(table_path(work, table.name)).replace("'", "''")
        con.execute(f"COPY (SELECT {select} FROM {table.name}_out) TO '{path}' (FORMAT parquet, COMPRESSION zstd)")
        counts[table.name] = first_row(con, f"SELECT count(*) FROM {table.name}_out")[0]
    return counts
