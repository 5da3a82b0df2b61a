"""Where Liquid Sync keeps its data, from the environment with defaults.

* ``LIQUID_WAREHOUSE``: the DuckDB warehouse file (default ``<LIQUID_DATA_DIR>/warehouse.duckdb``).
* ``LIQUID_DATA_DIR``: the root of the raw, inbox and quarantine areas (default ``./data``).
* ``LIQUID_WAREHOUSE_WAIT_SECONDS``: how long a writer waits for other processes to let go of
  the warehouse before it writes a snapshot or gives up (default 30).

Values are read on every call, so a test or a task may change them at run time.
"""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    return Path(os.environ.get("LIQUID_DATA_DIR", "data")).expanduser().resolve()


def warehouse_path() -> Path:
    configured = os.environ.get("LIQUID_WAREHOUSE")
    if configured:
        return Path(configured).expanduser().resolve()
    return data_dir() / "warehouse.duckdb"


def raw_dir() -> Path:
    """Raw Parquet pages, one dataset per account, endpoint and run."""
    return data_dir() / "raw"


def inbox_dir() -> Path:
    """Export files waiting to be imported."""
    return data_dir() / "inbox"


def quarantine_dir() -> Path:
    """Batches that failed validation, kept for inspection."""
    return data_dir() / "quarantine"


def writer_wait_seconds() -> float:
    value = os.environ.get("LIQUID_WAREHOUSE_WAIT_SECONDS", "30")
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0:
        raise ValueError(f"LIQUID_WAREHOUSE_WAIT_SECONDS must be a number of seconds >= 0, not {value!r}")
    return seconds
