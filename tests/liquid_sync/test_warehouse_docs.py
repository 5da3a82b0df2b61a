"""``docs/warehouse.md``: every table, view and column is described, and every SQL example
runs against a loaded warehouse (the queries return rows)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from liquid_sync import warehouse
from liquid_sync.reconcile import reconcile

DOC = Path(__file__).resolve().parents[2] / "docs" / "warehouse.md"
SQL_BLOCK = re.compile(r"```sql\n(.*?)```", re.S)


@pytest.fixture
def loaded(pipeline):
    """Both accounts synced; alpha's exports imported (with API history since June 2021 only),
    beta's trades export without execution ids (ambiguous rows to review)."""
    pipeline.import_files("alpha", pipeline.export("alpha"))
    pipeline.import_files("beta", [pipeline.export("beta", omit_execution_ids=True).trades])
    pipeline.sync(["alpha"], "full", start_date="2021-06-01")
    batch = pipeline.sync(["alpha", "beta"], "incremental")["batch_id"]
    reconcile(batch, warehouse_path=pipeline.warehouse)
    return pipeline


def test_every_table_view_and_column_is_described(loaded):
    text = DOC.read_text(encoding="utf-8")
    con = warehouse.connect(loaded.warehouse, read_only=True)
    try:
        names = [n for (n,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE table_name <> 'schema_migrations'"
            " UNION ALL SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()]
        for name in names:
            assert re.search(rf"^### .*\b{name}\b", text, re.M), f"no section for {name}"
            for column, *_ in con.execute(f"DESCRIBE {name}").fetchall():
                assert f"`{column}`" in text, f"{name}.{column} is not described"
    finally:
        con.close()


def test_every_example_runs(loaded, tmp_path):
    blocks = SQL_BLOCK.findall(DOC.read_text(encoding="utf-8"))
    assert len(blocks) >= 8
    scratch = tmp_path / "scratch.duckdb"
    shutil.copyfile(loaded.warehouse, scratch)
    con = warehouse.connect(scratch)
    try:
        for block in blocks:
            rows = con.execute(block).fetchall()
            if block.lstrip().upper().startswith("SELECT"):
                assert rows, f"no rows from:\n{block}"
    finally:
        con.close()
