"""The extraction cursors in the warehouse's ``sync_state`` table.

Once a warehouse exists, it owns the cursors: the load commits an account's state in the
same transaction as the data of the run that produced it (``state_rows``), and the next
extraction starts from what the warehouse committed (``committed_state``). A state (the
dict of ``liquid_sync.extract.state``) is stored as one row per stream, and per product for
executions; ``state_from_rows(state_rows(s)) == s`` for every state.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from liquid_sync.warehouse.reader import reading

STATE_FORMAT = 1
WITHDRAWAL_ENDPOINTS = ("crypto_withdrawals", "fiat_withdrawals")
COLUMNS = ("account", "endpoint", "product_id", "newest_id", "newest_created_at", "open_records", "state_run_id")


def _time(seconds: int | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def _seconds(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp())


def state_rows(state: dict) -> list[dict]:
    """The ``sync_state`` rows of ``state`` (without ``batch_id``)."""
    account, run_id = state["account"], state["run_id"]
    if run_id is None:
        raise ValueError(f"account {account!r}: only the state of a run can be committed")

    def row(endpoint: str, product_id: int | None, entry: dict, open_key: str | None) -> dict:
        return {
            "account": account,
            "endpoint": endpoint,
            "product_id": product_id,
            "newest_id": entry["newest_id"],
            "newest_created_at": _time(entry.get("newest_created_at")),
            "open_records": json.dumps(entry[open_key], sort_keys=True) if open_key else None,
            "state_run_id": run_id,
        }

    rows = [row("orders", None, state["orders"], "open")]
    rows += [row("executions", int(product), entry, None) for product, entry in sorted(state["executions"].items(),
                                                                                       key=lambda kv: int(kv[0]))]
    rows += [row(endpoint, None, state[endpoint], "pending") for endpoint in WITHDRAWAL_ENDPOINTS]
    return rows


def state_from_rows(rows: list[dict]) -> dict | None:
    """The state stored as ``rows`` (one account's), or None when there are none."""
    if not rows:
        return None
    accounts = {r["account"] for r in rows}
    runs = {r["state_run_id"] for r in rows}
    if len(accounts) != 1 or len(runs) != 1:
        raise ValueError(f"sync_state rows mix accounts {sorted(accounts)} or runs {sorted(runs)}")
    state = {"format": STATE_FORMAT, "account": accounts.pop(), "run_id": runs.pop(), "executions": {}}
    for r in rows:
        if r["endpoint"] == "orders":
            state["orders"] = {"newest_id": r["newest_id"], "open": json.loads(r["open_records"])}
        elif r["endpoint"] == "executions":
            state["executions"][str(r["product_id"])] = {
                "newest_id": r["newest_id"], "newest_created_at": _seconds(r["newest_created_at"]),
            }
        elif r["endpoint"] in WITHDRAWAL_ENDPOINTS:
            state[r["endpoint"]] = {
                "newest_id": r["newest_id"], "newest_created_at": _seconds(r["newest_created_at"]),
                "pending": json.loads(r["open_records"]),
            }
        else:
            raise ValueError(f"sync_state of {r['account']!r}: unknown endpoint {r['endpoint']!r}")
    missing = {"orders", *WITHDRAWAL_ENDPOINTS} - state.keys()
    if missing:
        raise ValueError(f"sync_state of {state['account']!r} lacks {sorted(missing)}")
    return state


def read_state(con: duckdb.DuckDBPyConnection, account: str, table: str = "sync_state") -> dict | None:
    """The state committed for ``account`` in ``table`` on an open connection (None: nothing committed)."""
    cursor = con.execute(
        f"SELECT {', '.join(COLUMNS)} FROM {table} WHERE account = ? ORDER BY endpoint, product_id", [account]
    )
    return state_from_rows([dict(zip(COLUMNS, values)) for values in cursor.fetchall()])


def committed_state(warehouse: Path, account: str) -> dict | None:
    """The state the warehouse at ``warehouse`` committed for ``account``, read over a read-only
    connection (``reader.reading``: a writer holding the file is waited out, briefly); None when
    the warehouse does not exist yet or has no ``sync_state`` table."""
    if not warehouse.exists():
        return None
    with reading(warehouse, "the committed sync state") as con:
        tables = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'sync_state'").fetchall()
        return read_state(con, account) if tables[0][0] else None
