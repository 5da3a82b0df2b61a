from __future__ import annotations

import duckdb
import pytest

from liquid_sync import warehouse


def test_connect_creates_a_migrated_warehouse_at_the_configured_path(tmp_path, monkeypatch):
    monkeypatch.setenv("LIQUID_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("LIQUID_WAREHOUSE", raising=False)
    con = warehouse.connect()
    try:
        assert con.execute("SELECT count(*) FROM file_trades").fetchall() == [(0,)]
    finally:
        con.close()
    assert (tmp_path / "data" / "warehouse.duckdb").is_file()


def test_connections_read_and_print_times_in_utc(tmp_path):
    con = warehouse.connect(tmp_path / "w.duckdb")
    try:
        (text,) = con.execute("SELECT CAST(TIMESTAMPTZ '2021-01-01 19:00:00+09' AS VARCHAR)").fetchall()[0]
    finally:
        con.close()
    assert text == "2021-01-01 10:00:00+00"


def test_read_only_connections_cannot_write(tmp_path):
    path = tmp_path / "w.duckdb"
    warehouse.connect(path).close()
    con = warehouse.connect(path, read_only=True)
    try:
        with pytest.raises(duckdb.InvalidInputException):
            con.execute("DELETE FROM file_trades")
    finally:
        con.close()


def test_first_row_reads_the_whole_result(tmp_path):
    con = duckdb.connect()
    assert warehouse.first_row(con, "SELECT * FROM range(3)") == (0,)
    assert warehouse.first_row(con, "SELECT * FROM range(0)") is None
    con.create_function("plus_one", lambda x: x + 1, ["BIGINT"], "BIGINT")  # raises while a result is open
