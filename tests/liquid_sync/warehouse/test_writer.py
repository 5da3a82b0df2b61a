"""The single writer: serialised by its lock file, never swapping a file another writer holds,
and cleaning up after a writer killed during a snapshot swap."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from liquid_sync import warehouse
from liquid_sync.warehouse.writer import WarehouseBusy, open_writer, recover


def test_writers_are_serialised_by_the_lock_file(tmp_path):
    path = tmp_path / "w.duckdb"
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with open_writer(path):
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        holding.wait(10)
        with pytest.raises(WarehouseBusy, match="another writer has held w.duckdb.lock"):
            with open_writer(path, lock_wait_seconds=0.3):
                pass
    finally:
        release.set()
        holder.join()
    with open_writer(path) as session:
        assert session.mode == "direct"


def test_a_file_another_writer_holds_is_never_swapped(tmp_path):
    path = tmp_path / "w.duckdb"
    warehouse.connect(path).close()
    script = (f"import duckdb, sys; c = duckdb.connect({str(path)!r}); print('open', flush=True); "
              "sys.stdin.read()")
    other = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout.readline().strip() == "open"
        with pytest.raises(WarehouseBusy, match="another process writes it"):
            with open_writer(path, wait_seconds=0.3):
                pass
    finally:
        other.stdin.close()
        other.wait(timeout=30)
    assert not list(tmp_path.glob(".*snapshot*"))


def test_recovery_puts_back_a_write_ahead_log_set_aside_before_the_swap(tmp_path):
    path = tmp_path / "w.duckdb"
    path.write_bytes(b"database")
    (tmp_path / ".w.duckdb.snapshot-abc").write_bytes(b"copy")
    (tmp_path / ".w.duckdb.wal.replaced-abc").write_bytes(b"log")
    recover(path)
    assert (tmp_path / "w.duckdb.wal").read_bytes() == b"log"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.duckdb", "w.duckdb.wal"]


def test_recovery_drops_the_log_of_a_swap_that_happened(tmp_path):
    path = tmp_path / "w.duckdb"
    path.write_bytes(b"swapped database")
    (tmp_path / ".w.duckdb.wal.replaced-abc").write_bytes(b"old log")
    recover(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.duckdb"]
