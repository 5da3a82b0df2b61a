"""The warehouse's single writer: a lock file, a bounded wait for readers, a snapshot swap.

``open_writer`` is how Liquid Sync's writers (load, reconcile, edits) open the warehouse.
Contracts:

* Writers are serialised by ``<warehouse>.lock`` (an exclusive ``flock``); a writer waits for
  it with logged, bounded backoff, then gives up with ``WarehouseBusy``.
* DuckDB lets one process open a file read-write only while no other process has it open.
  When analysts hold read-only connections, the writer retries with logged backoff for
  ``wait_seconds``. If only readers still hold it then, the writer works on a snapshot: it
  copies the file (and a write-ahead log left by a killed writer), applies its transaction to
  the copy, checkpoints it, and renames it over the original. Readers keep reading the file
  they opened; the next connection sees the new one. If another writer holds the file, the
  writer never swaps; it raises ``WarehouseBusy`` after the wait.
* A killed writer leaves the warehouse as it was: its transaction was not committed, or its
  copy was not renamed yet. The next writer removes the leftovers of a killed swap and, if
  the swap stopped after setting the original's write-ahead log aside, puts it back.

Do not call ``open_writer`` while this process holds a connection to the same warehouse.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from liquid_sync import config, warehouse
from liquid_sync.extract.files import fsync_dir

log = logging.getLogger(__name__)

DEFAULT_LOCK_WAIT_SECONDS = 600.0
_FIRST_DELAY_SECONDS = 0.05
_MAX_DELAY_SECONDS = 2.0
_SNAPSHOT = ".snapshot-"
_WAL_ASIDE = ".wal.replaced-"


class WarehouseBusy(RuntimeError):
    """Another writer holds the warehouse (or its lock file) longer than the writer waits."""


@dataclass
class WriterSession:
    """An open read-write connection (migrated, UTC) and how it was obtained: ``mode`` is
    ``direct`` (the warehouse itself) or ``snapshot`` (a copy renamed over it on success)."""

    con: duckdb.DuckDBPyConnection
    mode: str
    waited_seconds: float
    path: Path


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def _backoff(started: float, delay: float, budget: float) -> float:
    """Sleep ``delay`` (within the budget) and return the next delay."""
    time.sleep(max(0.0, min(delay, started + budget - time.monotonic())))
    return min(delay * 2, _MAX_DELAY_SECONDS)


@contextmanager
def _writer_lock(path: Path, wait_seconds: float) -> Iterator[None]:
    lock_path = path.with_name(path.name + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        started, delay = time.monotonic(), _FIRST_DELAY_SECONDS
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
            waited = time.monotonic() - started
            if waited >= wait_seconds:
                raise WarehouseBusy(f"{path}: another writer has held {lock_path.name} for {waited:.0f}s")
            log.warning("%s: waiting for another writer to finish (%.1fs so far)", path, waited)
            delay = _backoff(started, delay, wait_seconds)
        yield
    finally:
        os.close(fd)


def _no_writer(path: Path) -> bool:
    """Whether no process has ``path`` open read-write (DuckDB takes a shared lock for a
    read-only connection and an exclusive one for a read-write connection)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.lockf(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return False
    finally:
        os.close(fd)
    return True


def _is_lock_conflict(exc: duckdb.IOException) -> bool:
    return "Could not set lock on file" in str(exc)


def recover(path: Path) -> None:
    """Undo what a writer killed during a snapshot swap left behind (call under the lock)."""
    for aside in path.parent.glob(f".{path.name}{_WAL_ASIDE}*"):
        copy = path.with_name(f".{path.name}{_SNAPSHOT}{aside.name.rsplit('-', 1)[1]}")
        if copy.exists():
            if _wal(path).exists():
                raise RuntimeError(f"{path}: both {aside.name} and a write-ahead log exist; resolve by hand")
            os.replace(aside, _wal(path))
            log.warning("%s: put back the write-ahead log a killed snapshot swap had set aside", path)
        else:
            aside.unlink()
    for leftover in path.parent.glob(f".{path.name}{_SNAPSHOT}*"):
        if leftover.is_dir():
            shutil.rmtree(leftover)
        else:
            leftover.unlink()
        log.warning("%s: removed %s left by a killed snapshot swap", path, leftover.name)
    if path.parent.exists():
        fsync_dir(path.parent)


@contextmanager
def open_writer(
    path: Path | None = None,
    *,
    wait_seconds: float | None = None,
    lock_wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS,
) -> Iterator[WriterSession]:
    """The warehouse at ``path`` (default ``config.warehouse_path()``) open for writing.

    The caller runs its own transaction on ``session.con``; leaving the block normally makes
    the committed work durable (checkpoint, and in snapshot mode the swap), leaving it with an
    exception discards anything not committed (and the whole snapshot). ``wait_seconds``
    defaults to ``config.writer_wait_seconds()``.
    """
    if wait_seconds is None:
        wait_seconds = config.writer_wait_seconds()
    target = Path(path) if path is not None else config.warehouse_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    with _writer_lock(target, lock_wait_seconds):
        recover(target)
        started, delay = time.monotonic(), _FIRST_DELAY_SECONDS
        while True:
            try:
                con = warehouse.connect(target)
                break
            except duckdb.IOException as exc:
                if not _is_lock_conflict(exc):
                    raise
                readers_only = _no_writer(target)
                waited = time.monotonic() - started
                if waited >= wait_seconds:
                    if not readers_only:
                        raise WarehouseBusy(f"{target}: another process writes it (waited {waited:.0f}s)") from None
                    log.warning("%s: still open in reader processes after %.1fs; writing a snapshot instead",
                                target, waited)
                    with _snapshot(target, waited) as session:
                        yield session
                    return
                log.warning("%s: open in %s; retrying (%.1fs of %.0fs)", target,
                            "reader processes" if readers_only else "another writer", waited, wait_seconds)
                delay = _backoff(started, delay, wait_seconds)
        session = WriterSession(con, "direct", time.monotonic() - started, target)
        try:
            yield session
            con.execute("CHECKPOINT")
        finally:
            con.close()


def _identity(path: Path) -> tuple:
    wal = _wal(path)
    stats = [path.stat()] + ([wal.stat()] if wal.exists() else [])
    return tuple((s.st_ino, s.st_size, s.st_mtime_ns) for s in stats)


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


@contextmanager
def _snapshot(target: Path, waited: float) -> Iterator[WriterSession]:
    swap_id = uuid.uuid4().hex[:12]
    copy = target.with_name(f".{target.name}{_SNAPSHOT}{swap_id}")
    identity = _identity(target)
    try:
        shutil.copyfile(target, copy)
        if _wal(target).exists():
            shutil.copyfile(_wal(target), _wal(copy))
        con = warehouse.connect(copy)
        try:
            yield WriterSession(con, "snapshot", waited, target)
            con.execute("CHECKPOINT")
        finally:
            con.close()
        _fsync(copy)
        if _identity(target) != identity or not _no_writer(target):
            raise WarehouseBusy(f"{target}: another writer changed it during the snapshot; nothing was swapped")
        aside = target.with_name(f".{target.name}{_WAL_ASIDE}{swap_id}")
        if _wal(target).exists():
            os.replace(_wal(target), aside)
        os.replace(copy, target)
        fsync_dir(target.parent)
        aside.unlink(missing_ok=True)
        log.info("%s: replaced by the snapshot the writer updated (readers keep their old copy)", target)
    finally:
        copy.unlink(missing_ok=True)
        _wal(copy).unlink(missing_ok=True)
        shutil.rmtree(copy.with_name(copy.name + ".tmp"), ignore_errors=True)
