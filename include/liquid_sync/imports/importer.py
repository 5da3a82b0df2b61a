"""Importing export files into the warehouse, one file at a time, all or nothing.

Contracts:

* A file is identified by its account and the SHA-256 of its content: a file already
  imported for that account is skipped ("already imported"), whatever its name.
* Each file is read and checked in full before anything is written, then written in one
  transaction. Any bad value, row or header rejects the whole file (``ImportRejected``
  names file, line and column); none of its data reaches the warehouse; ``file_imports``
  records the rejection and its message. The other files of the run are imported anyway.
* Overlapping files add no duplicates: ledger rows by transaction id, trades, deposits
  and withdrawals by their natural keys (see ``ledger.py``, ``trades.py``).
* ``import_files`` and ``import_inbox`` open the warehouse through the single writer
  (``warehouse.writer.open_writer``: queued behind other writers, waiting for or working
  around analysts' read-only connections), import, and close it. They cap DuckDB's memory at
  ``MEMORY_LIMIT`` (it spills to disk beyond), so a file of any size imports in bounded memory.

The account of a file is given, or read from its name
``liquid_<trades|ledger_crypto|ledger_fiat>_<account>_<since>_<until>.csv``; in the inbox it
is the name of the file's folder: ``<inbox>/<account>/*.csv``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from liquid_sync import config
from liquid_sync.imports import formats, ledger, ledger_trades, parsing, reading, trades, trades_export
from liquid_sync.imports.errors import ImportRejected
from liquid_sync.imports.formats import FileFormat
from liquid_sync.warehouse import first_row
from liquid_sync.warehouse.writer import open_writer

IMPORTED = "imported"
ALREADY_IMPORTED = "already imported"
REJECTED = "rejected"

MEMORY_LIMIT = "512MB"

_STAGED = "import_rows"
_CELLS = "import_cells"
_TYPED = "import_typed"
_FILE_NAME = re.compile(r"liquid_(?:trades|ledger_crypto|ledger_fiat)_(?P<account>.+)_[^_]+_[^_]+\.csv")
_COUNTED_TABLES = ("file_ledger_entries", "file_trades", "file_deposits", "file_withdrawals")


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one file. ``added`` counts the rows each ``file_*`` table gained;
    ``pending`` is the account's executions and quick exchanges still waiting for ledger
    rows from another file."""

    path: Path
    account: str | None
    status: str
    message: str
    file_format: str | None = None
    rows: int | None = None
    added: dict[str, int] | None = None
    pending: int = 0

    def summary(self) -> str:
        if self.status != IMPORTED:
            return self.message
        added = ", ".join(f"{count} {table.removeprefix('file_')}" for table, count in self.added.items())
        text = f"{self.rows} rows ({self.file_format}); added: {added}"
        if self.pending:
            text += f"; {self.pending} ledger trades wait for rows from another file"
        return text


def account_from_file_name(path: Path) -> str | None:
    """The account named in an export file's name, or None when the name has no account."""
    match = _FILE_NAME.fullmatch(path.name)
    return match.group("account") if match else None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _table_counts(con: duckdb.DuckDBPyConnection, account: str) -> dict[str, int]:
    return {
        table: first_row(con, f"SELECT count(*) FROM {table} WHERE account = ?", [account])[0]
        for table in _COUNTED_TABLES
    }


def _drop_temporaries(con: duckdb.DuckDBPyConnection) -> None:
    reading.drop(con, _STAGED)
    names = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE temporary AND table_name LIKE 'import\\_%' ESCAPE '\\'"
    ).fetchall()
    for (name,) in names:
        con.execute(f"DROP TABLE {name}")


def _record_file(
    con: duckdb.DuckDBPyConnection, account: str, path: Path, sha256: str, file_format: str | None,
    rows: int | None, status: str, message: str | None,
) -> int:
    """Insert the file's ``file_imports`` row, replacing earlier rejections of the same content."""
    con.execute("DELETE FROM file_imports WHERE account = ? AND sha256 = ? AND status = ?", [account, sha256, REJECTED])
    (file_id,) = first_row(con, "SELECT nextval('file_imports_file_id_seq')")
    con.execute(
        "INSERT INTO file_imports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, now())",
        [file_id, account, path.name, str(path.resolve()), sha256, file_format, rows, status, message],
    )
    return file_id


def _write(con: duckdb.DuckDBPyConnection, file_format: FileFormat, account: str, file_id: int) -> None:
    trades.create_candidates(con)
    if file_format is formats.TRADES:
        trades_export.add_candidates(con, _TYPED, account, file_id)
        trades.merge_candidates(con)
        return
    ledger.store_entries(con, _TYPED, file_format, account, file_id)
    ledger_trades.add_execution_candidates(con, account, ledger.TOUCHED)
    ledger_trades.add_quick_exchange_candidates(con, account, ledger.TOUCHED)
    trades.merge_candidates(con)
    ledger.rebuild_deposits(con, account)
    ledger.rebuild_withdrawals(con, account)


def _unreadable(path: Path, error: OSError) -> ImportRejected:
    return ImportRejected(path.name, f"cannot be read ({error.strerror})")


def _read_and_check(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[FileFormat, int]:
    """Stage, check and type the file (no writes); raises ``ImportRejected`` on bad input."""
    file_format = formats.recognise(path)
    rows = reading.stage(con, path, file_format, _STAGED)
    parsing.create_cells(con, _STAGED, file_format, _CELLS)
    reading.drop(con, _STAGED)
    bad = parsing.first_bad_cell(con, _CELLS, file_format)
    if bad is not None:
        raise ImportRejected(path.name, bad.reason, line=bad.line, column=bad.column, value=bad.value)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_TYPED} AS {parsing.typed_select(_CELLS, file_format)}")
    con.execute(f"DROP TABLE {_CELLS}")
    if file_format is formats.TRADES:
        trades_export.check_rows(con, _TYPED, path.name)
    else:
        ledger.check_unique_ids(con, _TYPED, path.name)
    return file_format, rows


def import_file(con: duckdb.DuckDBPyConnection, path: Path, account: str) -> FileOutcome:
    """Import one file for ``account`` on an open read-write warehouse connection.

    ``con`` needs ``ledger_trades.register_functions``; ``import_files`` does all of this.
    """
    try:
        sha256 = _sha256(path)
    except OSError as error:
        return FileOutcome(path, account, REJECTED, str(_unreadable(path, error)))
    earlier = first_row(
        con,
        "SELECT file_id, file_name FROM file_imports WHERE account = ? AND sha256 = ? AND status = ?",
        [account, sha256, IMPORTED],
    )
    if earlier is not None:
        return FileOutcome(
            path, account, ALREADY_IMPORTED,
            f"same content as {earlier[1]} (file_id {earlier[0]}), nothing to do",
        )
    file_format = None
    try:
        try:
            file_format, rows = _read_and_check(con, path)
        except OSError as error:
            raise _unreadable(path, error) from error
        con.begin()
        try:
            before = _table_counts(con, account)
            file_id = _record_file(con, account, path, sha256, file_format.name, rows, IMPORTED, None)
            _write(con, file_format, account, file_id)
            after = _table_counts(con, account)
            pending = ledger_trades.pending_groups(con, account)
            con.commit()
        except BaseException:
            con.rollback()
            raise
    except ImportRejected as rejection:
        con.begin()
        _record_file(con, account, path, sha256, file_format and file_format.name, None, REJECTED, str(rejection))
        con.commit()
        return FileOutcome(path, account, REJECTED, str(rejection), file_format and file_format.name)
    finally:
        _drop_temporaries(con)
    added = {table: after[table] - before[table] for table in _COUNTED_TABLES}
    return FileOutcome(path, account, IMPORTED, "imported", file_format.name, rows, added, pending)


def _csv_files(path: Path) -> list[Path]:
    return sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() == ".csv") if path.is_dir() else [path]


def _import_all(jobs: list[tuple[Path, str | None]], warehouse_path: Path | None) -> list[FileOutcome]:
    outcomes = []
    with open_writer(warehouse_path) as session:
        con = session.con
        con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        ledger_trades.register_functions(con)
        try:
            for path, account in jobs:
                if account is None:
                    outcomes.append(FileOutcome(
                        path, None, REJECTED,
                        f"{path.name}: the file name names no account; give the account (--account NAME)",
                    ))
                else:
                    outcomes.append(import_file(con, path, account))
        finally:
            ledger_trades.unregister_functions(con)
    return outcomes


def import_files(
    paths: Iterable[Path], account: str | None = None, warehouse_path: Path | None = None
) -> list[FileOutcome]:
    """Import files, and the ``*.csv`` files of folders, in name order.

    Each file's account is ``account`` when given, else the one in its name.
    """
    files = [file for path in paths for file in _csv_files(Path(path))]
    return _import_all([(file, account or account_from_file_name(file)) for file in files], warehouse_path)


def import_inbox(inbox: Path | None = None, warehouse_path: Path | None = None) -> list[FileOutcome]:
    """Import ``<inbox>/<account>/*.csv`` (default inbox: ``config.inbox_dir()``), in name order.

    Files stay where they are: importing them again is a no-op.
    """
    root = inbox if inbox is not None else config.inbox_dir()
    if not root.is_dir():
        return []
    jobs = [
        (file, folder.name)
        for folder in sorted(p for p in root.iterdir() if p.is_dir())
        for file in _csv_files(folder)
    ]
    return _import_all(jobs, warehouse_path)
