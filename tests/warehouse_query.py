"""Reading a warehouse in tests: one query over a read-only connection, closed afterwards."""

from __future__ import annotations

from pathlib import Path

from liquid_sync import warehouse


def query(warehouse_path: Path, sql: str, params: object = None) -> list[tuple]:
    """Every row ``sql`` returns from the warehouse at ``warehouse_path``."""
    con = warehouse.connect(warehouse_path, read_only=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()
