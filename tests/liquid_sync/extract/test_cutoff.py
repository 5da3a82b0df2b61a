from __future__ import annotations

import subprocess
import sys

import duckdb
import pytest

from liquid_sync.extract.cutoff import warehouse_cutoff
from liquid_sync.warehouse import reader


def test_no_warehouse_or_no_tables_means_no_cutoff(tmp_path):
    assert warehouse_cutoff(tmp_path / "missing.duckdb", "demo") is None
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    assert warehouse_cutoff(empty, "demo") is None


def test_newest_occurrence_across_file_tables_of_the_account(tmp_path):
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as db:
        db.execute("CREATE TABLE file_trades (account VARCHAR, occurred_at TIMESTAMPTZ)")
        db.execute("CREATE TABLE file_withdrawals (occurred_at TIMESTAMPTZ)")
        db.execute("CREATE TABLE file_deposits (account VARCHAR, amount DECIMAL(38, 8))")
        db.execute("INSERT INTO file_trades VALUES ('demo', '2021-05-01 10:00:00.900+00'), "
                   "('other', '2021-09-01 00:00:00+00')")
        db.execute("INSERT INTO file_withdrawals VALUES ('2021-04-01 00:00:00+00')")
    assert warehouse_cutoff(path, "demo") == 1619863200
    assert warehouse_cutoff(path, "other") == 1630454400
    assert warehouse_cutoff(path, "nobody") == 1617235200


def test_a_warehouse_held_by_a_writer_process_throughout_is_reported(tmp_path, monkeypatch):
    monkeypatch.setattr(reader, "READ_BACKOFF_SECONDS", 0.01)
    path = tmp_path / "w.duckdb"
    writer = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; db = duckdb.connect(sys.argv[1]); print('open', flush=True); "
         "sys.stdin.read()", str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert writer.stdout.readline().strip() == "open"
        with pytest.raises(RuntimeError, match="cannot read the newest file transaction of account 'demo'"):
            warehouse_cutoff(path, "demo")
    finally:
        writer.stdin.close()
        writer.wait(timeout=30)
