"""The pipeline's read-only reads wait out a writer, then name what they could not read."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from liquid_sync.warehouse import reader

HOLD = """
import duckdb, sys, time
con = duckdb.connect(sys.argv[1])
print('open', flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


def held(path: Path, seconds: float) -> subprocess.Popen:
    """Another process holding ``path`` read-write for ``seconds``, started once it holds it."""
    writer = subprocess.Popen([sys.executable, "-c", HOLD, str(path), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert writer.stdout.readline().strip() == "open"
    return writer


def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE t AS SELECT 42 AS answer")
    return path


def test_a_reader_waits_for_a_short_writer(tmp_path, caplog):
    path = warehouse(tmp_path)
    writer = held(path, 0.5)
    try:
        with reader.reading(path, "the answer") as con:
            assert con.execute("SELECT answer, current_setting('TimeZone') FROM t").fetchall() == [(42, "UTC")]
    finally:
        writer.wait(timeout=30)
    assert "reading the answer again" in caplog.text


def test_a_writer_holding_on_makes_the_read_fail_naming_it(tmp_path, monkeypatch):
    monkeypatch.setattr(reader, "READ_BACKOFF_SECONDS", 0.01)
    path = warehouse(tmp_path)
    writer = held(path, 30)
    try:
        with pytest.raises(RuntimeError, match=rf"{path.name}: cannot read the answer; another process writes it"):
            with reader.reading(path, "the answer"):
                pass
    finally:
        writer.kill()
        writer.wait(timeout=30)
