"""Loading an export file's data rows, as text, into a DuckDB staging view.

``stage(con, path, file_format, name)`` creates the temporary view ``name``: ``line`` (the
line the record starts on; the header is line 1) and one VARCHAR per layout column, holding
the raw cell text (``parsing.py`` trims and checks it). Accepted: UTF-8 with or without a
BOM; CRLF, LF or CR line ends; quoted or unquoted fields; spaces around fields; blank lines,
which are skipped.

Two readers give the same view:

* DuckDB's CSV reader, fast and in bounded memory. It numbers records, not lines, so its
  result is used only when every record is one line with no blank line in between: the
  file's line count (blank lines at its end aside) must equal records + 1.
* Python's ``csv`` module otherwise, or when DuckDB refuses the file. It knows the line
  each record starts on, loads the rows in chunks, and rejects the file (``ImportRejected``
  naming the line) for a wrong column count, text that is not UTF-8, or broken CSV.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pyarrow as pa

from liquid_sync.imports.errors import ImportRejected
from liquid_sync.imports.formats import FileFormat
from liquid_sync.warehouse import first_row

_CHUNK_ROWS = 50_000
_BLOCK_BYTES = 1 << 20


def stage(con: duckdb.DuckDBPyConnection, path: Path, file_format: FileFormat, name: str) -> int:
    """Create the staging view ``name`` of the file's data rows; returns the number of rows."""
    drop(con, name)
    table = _table(name)
    if _read_with_duckdb(con, path, file_format, table):
        records = _count(con, table)
        if _line_count(path) == records + 1:
            con.execute(f"CREATE TEMP VIEW {name} AS SELECT rowid + 2 AS line, * FROM {table}")
            return records
        con.execute(f"DROP TABLE {table}")
    _read_with_csv_module(con, path, file_format, table)
    con.execute(f"CREATE TEMP VIEW {name} AS SELECT * FROM {table}")
    return _count(con, table)


def drop(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Remove the staging view ``name`` and its table, if they exist."""
    con.execute(f"DROP VIEW IF EXISTS {name}")
    con.execute(f"DROP TABLE IF EXISTS {_table(name)}")


def _table(name: str) -> str:
    return f"{name}_text"


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return first_row(con, f"SELECT count(*) FROM {table}")[0]


def _read_with_duckdb(con: duckdb.DuckDBPyConnection, path: Path, file_format: FileFormat, table: str) -> bool:
    """Load the rows with DuckDB's reader in file order; False when it refuses the file."""
    columns = {column.field: "VARCHAR" for column in file_format.columns}
    try:
        con.execute(
            f"CREATE TEMP TABLE {table} AS SELECT * FROM read_csv(?, auto_detect=false, header=false, skip=1,"
            " delim=',', quote='\"', escape='\"', strict_mode=true, columns=?)",
            [str(path), columns],
        )
    except duckdb.InvalidInputException:
        return False
    return True


def _line_ends(data: bytes) -> int:
    return data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")


def _line_count(path: Path) -> int:
    """Lines in the file (CRLF, LF or CR ends), not counting blank lines at its end."""
    line_ends = 0
    tail = b""  # the run of line-end bytes the file ends with
    previous_ended_with_cr = False
    with path.open("rb") as handle:
        while block := handle.read(_BLOCK_BYTES):
            line_ends += _line_ends(block)
            if previous_ended_with_cr and block.startswith(b"\n"):
                line_ends -= 1
            previous_ended_with_cr = block.endswith(b"\r")
            body = block.rstrip(b"\r\n")
            tail = block[len(body):] if body else tail + block
    return line_ends - _line_ends(tail) + 1


def _read_with_csv_module(con: duckdb.DuckDBPyConnection, path: Path, file_format: FileFormat, table: str) -> None:
    fields = [column.field for column in file_format.columns]
    column_ddl = ", ".join(f'"{field}" VARCHAR' for field in fields)
    con.execute(f"CREATE TEMP TABLE {table} (line BIGINT, {column_ddl})")
    lines: list[int] = []
    rows: list[list[str]] = []

    def flush() -> None:
        if not rows:
            return
        chunk = pa.table(
            [pa.array(lines, pa.int64()), *(pa.array(cells, pa.string()) for cells in zip(*rows))],
            names=["line", *fields],
        )
        con.register("import_csv_chunk", chunk)
        try:
            con.execute(f"INSERT INTO {table} SELECT * FROM import_csv_chunk")
        finally:
            con.unregister("import_csv_chunk")
        lines.clear()
        rows.clear()

    last_line = 1
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, skipinitialspace=True)
            next(reader, None)
            last_line = reader.line_num
            for row in reader:
                start, last_line = last_line + 1, reader.line_num
                if not row:
                    continue
                if len(row) != len(fields):
                    raise ImportRejected(path.name, f"expected {len(fields)} columns, found {len(row)}", line=start)
                rows.append(row)
                lines.append(start)
                if len(rows) == _CHUNK_ROWS:
                    flush()
    except UnicodeDecodeError:
        raise ImportRejected(path.name, "not valid UTF-8 text", line=_first_line_not_utf8(path)) from None
    except csv.Error as error:
        raise ImportRejected(path.name, f"not valid CSV ({error})", line=last_line + 1) from None
    flush()


def _first_line_not_utf8(path: Path) -> int | None:
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError:
                return number
    return None
