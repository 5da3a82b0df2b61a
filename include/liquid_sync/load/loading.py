"""``load_batch``: apply one batch to the warehouse in one transaction.

Contracts:

* Everything a batch brings (API records, derived tables, cursors, accounts, runs, and its
  ``load_batches`` row) is committed in one DuckDB transaction, or nothing is: a load killed
  or failing at any point leaves the warehouse as it was, and running it again gives the
  same tables as an uninterrupted load.
* Idempotent: a batch already loaded is not applied again; rows already stored as the batch
  has them are not rewritten.
* A batch computed before another batch was loaded (``base_batch_id`` is not the last loaded
  batch) is refused with ``StaleBatch``: its derived tables would miss that batch's data.
* The load is the warehouse's single writer (``warehouse.writer``): it waits, logged and
  bounded, for analysts' read-only connections, then writes a snapshot instead of failing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

from liquid_sync.load.merge import merge
from liquid_sync.transform.batch import TABLES, read_manifest, table_path
from liquid_sync.warehouse import first_row
from liquid_sync.warehouse.writer import open_writer

log = logging.getLogger(__name__)

StepCallback = Callable[[str], None]
DEFAULT_MEMORY_LIMIT = "1GB"


class StaleBatch(RuntimeError):
    """The batch was computed from an older state of the warehouse than the current one."""


def last_loaded_batch(con) -> str | None:
    row = first_row(con, "SELECT batch_id FROM load_batches ORDER BY loaded_at DESC, batch_id DESC LIMIT 1")
    return row[0] if row else None


def load_batch(
    batch_dir: Path,
    *,
    warehouse_path: Path | None = None,
    wait_seconds: float | None = None,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    on_step: StepCallback | None = None,
) -> dict:
    """Load the batch in ``batch_dir`` and return a JSON-serialisable summary: ``status``
    (``loaded`` or ``already_loaded``), ``load_mode`` (``direct`` or ``snapshot``), the seconds
    waited for readers, and rows inserted and deleted per table. ``on_step(table)`` is called
    inside the transaction after each table is merged. DuckDB spills to disk beyond
    ``memory_limit``."""
    directory = Path(batch_dir)
    manifest = read_manifest(directory)
    batch_id = manifest["batch_id"]
    with open_writer(warehouse_path, wait_seconds=wait_seconds) as session:
        con = session.con
        con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute("SET preserve_insertion_order = false")
        summary = {"batch_id": batch_id, "load_mode": session.mode, "waited_seconds": round(session.waited_seconds, 3),
                   "accounts": manifest["accounts"], "runs": manifest["runs"]}
        if first_row(con, "SELECT 1 FROM load_batches WHERE batch_id = ?", [batch_id]) is not None:
            log.info("batch %s is already loaded; nothing to do", batch_id)
            return summary | {"status": "already_loaded", "changes": {}}
        current = last_loaded_batch(con)
        if current != manifest["base_batch_id"]:
            raise StaleBatch(
                f"batch {batch_id} was computed after batch {manifest['base_batch_id']!r}, but the warehouse has "
                f"loaded batch {current!r} since; transform again"
            )
        changes = {}
        con.begin()
        try:
            for table in TABLES:
                scope = manifest["state_accounts"] if table.mode == "state" else manifest["accounts"]
                changes[table.name] = merge(con, table, table_path(directory, table.name), scope).as_dict()
                if on_step is not None:
                    on_step(table.name)
            con.execute(
                "INSERT INTO load_batches VALUES (?, ?, ?, now(), ?, ?, ?)",
                [batch_id, manifest["base_batch_id"], manifest["created_at"], session.mode,
                 json.dumps(manifest["accounts"]), json.dumps(changes, sort_keys=True)],
            )
            con.commit()
        except BaseException:
            con.rollback()
            raise
    log.info("batch %s loaded (%s): %s", batch_id, session.mode,
             ", ".join(f"{t} +{c['inserted']}/-{c['deleted']}" for t, c in changes.items()))
    return summary | {"status": "loaded", "changes": changes}
