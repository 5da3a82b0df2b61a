"""A batch: what one transform hands to the load, under ``<LIQUID_DATA_DIR>/staging/<batch_id>/``.

One Parquet file per warehouse table (``<table>.parquet``, the table's columns in order) and
``manifest.json``. The folder is written under a temporary name and renamed when complete,
so a batch folder that exists is whole; a batch, once written, never changes.

``TABLES`` says how the load merges each table:

* ``replace``: batch rows replace the rows with the same key (new or newer versions);
* ``insert``: batch rows whose key is absent are inserted (records that never change);
* ``derived``: the batch holds the table's complete rows for the batch's accounts; rows of
  those accounts that are not in the batch go, rows that differ are replaced;
* ``state``: the batch holds the complete ``sync_state`` of the accounts whose cursors the
  batch commits (``manifest["state_accounts"]``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from liquid_sync.extract.files import atomic_write_text, read_json_file

MANIFEST = "manifest.json"
BATCH_FORMAT = 1
_BATCH_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+=@-]{0,199}")


@dataclass(frozen=True)
class Table:
    name: str
    mode: str
    key: tuple[str, ...]


TABLES = (
    Table("orders", "replace", ("account", "order_id")),
    Table("api_executions", "insert", ("account", "execution_id", "side")),
    Table("api_withdrawals", "replace", ("account", "withdrawal_type", "withdrawal_id")),
    Table("api_balances", "replace", ("account", "run_id", "currency")),
    Table("trades", "derived", ("account", "trade_key")),
    Table("withdrawals", "derived", ("account", "withdrawal_key")),
    Table("deposits", "derived", ("account", "deposit_key")),
    Table("dedup_matches", "derived", ("account", "execution_id", "side")),
    Table("review_queue", "derived", ("account", "file_trade_key", "reason")),
    Table("sync_state", "state", ("account", "endpoint", "product_id")),
    Table("accounts", "replace", ("account",)),
    Table("runs", "replace", ("account", "run_id")),
)
TABLES_BY_NAME = {t.name: t for t in TABLES}


def check_batch_id(batch_id: str) -> str:
    if not isinstance(batch_id, str) or not _BATCH_ID.fullmatch(batch_id):
        raise ValueError(f"batch id {batch_id!r}: use letters, digits and ._:+=@- (at most 200, not starting with one)")
    return batch_id


def staging_dir(data_dir: Path) -> Path:
    return data_dir / "staging"


def batch_dir(data_dir: Path, batch_id: str) -> Path:
    return staging_dir(data_dir) / check_batch_id(batch_id)


def table_path(directory: Path, table: str) -> Path:
    return directory / f"{table}.parquet"


def read_manifest(directory: Path) -> dict:
    """The manifest of the complete batch in ``directory``; ``ValueError`` if there is none."""
    path = directory / MANIFEST
    manifest = read_json_file(path, "batch manifest")
    if manifest is None:
        raise ValueError(f"{directory}: not a complete batch (no {MANIFEST})")
    if manifest.get("format") != BATCH_FORMAT:
        raise ValueError(f"{path}: unsupported batch format {manifest.get('format')!r}")
    missing = [t.name for t in TABLES if not table_path(directory, t.name).exists()]
    if missing:
        raise ValueError(f"{directory}: batch lacks {', '.join(missing)}")
    return manifest


def write_manifest(directory: Path, manifest: dict) -> None:
    atomic_write_text(directory / MANIFEST, json.dumps({"format": BATCH_FORMAT, **manifest}, indent=1) + "\n")
