"""Where a token secret could have leaked: files, their decoded contents, and texts.

``secret_leaks(secrets, roots, texts)`` lists every place a secret appears:

* the bytes of every file under ``roots`` (logs, manifests, JSON, Data Docs pages, CSV, Parquet,
  DuckDB, SQLite...);
* decoded, since compression can hide a string from a byte scan: every column (cast to text)
  of every Parquet file and of every table of every DuckDB database, and every value (zlib
  blobs decompressed) of every table of every SQLite database (Airflow's metadata: XCom, task
  instances, serialized DAGs, logs of events...);
* ``texts``: captured log records, exception messages, returned summaries.
"""

from __future__ import annotations

import re
import sqlite3
import zlib
from collections.abc import Iterable, Mapping
from pathlib import Path

import duckdb

SQLITE_MAGIC = b"SQLite format 3\x00"
DUCKDB_MAGIC = b"DUCK"


def _duckdb_relation_leaks(con: duckdb.DuckDBPyConnection, relation: str, label: str,
                           secrets: list[str]) -> list[str]:
    columns = [c[0] for c in con.execute(f"SELECT * FROM {relation} LIMIT 0").description]
    pattern = "|".join(re.escape(secret) for secret in secrets)
    found = [f'bool_or(regexp_matches(CAST("{column}" AS VARCHAR), $pattern))' for column in columns]
    hits = con.execute(f"SELECT {', '.join(found)} FROM {relation}", {"pattern": pattern}).fetchone()
    return [f"{label}, column {column}" for column, hit in zip(columns, hits) if hit]


def _parquet_leaks(con: duckdb.DuckDBPyConnection, path: Path, secrets: list[str]) -> list[str]:
    quoted = str(path).replace("'", "''")
    return _duckdb_relation_leaks(con, f"read_parquet('{quoted}')", str(path), secrets)


def _duckdb_leaks(path: Path, secrets: list[str]) -> list[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = current_database()"
        ).fetchall()
        return [leak for schema, table in tables
                for leak in _duckdb_relation_leaks(con, f'"{schema}"."{table}"', f"{path} table {table}", secrets)]
    finally:
        con.close()


def _sqlite_value(value: object) -> bytes:
    """A SQLite value as bytes; a zlib-compressed blob (Airflow compresses some) decompressed."""
    if isinstance(value, bytes):
        if value[:1] == b"\x78":
            try:
                return zlib.decompress(value)
            except zlib.error:
                pass
        return value
    return b"" if value is None else str(value).encode()


def _sqlite_leaks(path: Path, secrets: list[str]) -> list[str]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    con.text_factory = bytes
    wanted = [secret.encode() for secret in secrets]
    try:
        leaks = []
        tables = [row[0].decode() for row in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            columns = [row[1].decode() for row in con.execute(f'PRAGMA table_info("{table}")')]
            for column in columns:
                values = (_sqlite_value(value) for (value,) in con.execute(f'SELECT "{column}" FROM "{table}"'))
                if any(secret in value for value in values for secret in wanted):
                    leaks.append(f"{path} table {table}, column {column}")
        return leaks
    finally:
        con.close()


def _file_leaks(con: duckdb.DuckDBPyConnection, path: Path, secrets: list[str]) -> list[str]:
    data = path.read_bytes()
    leaks = [f"{path} (bytes)" for secret in secrets if secret.encode() in data][:1]
    if path.suffix == ".parquet":
        leaks += _parquet_leaks(con, path, secrets)
    elif data.startswith(SQLITE_MAGIC):
        leaks += _sqlite_leaks(path, secrets)
    elif data[8:12] == DUCKDB_MAGIC:
        leaks += _duckdb_leaks(path, secrets)
    return leaks


def scanned_files(roots: Iterable[Path]) -> list[Path]:
    return sorted(path for root in roots for path in Path(root).rglob("*") if path.is_file())


def secret_leaks(secrets: Iterable[str], roots: Iterable[Path] = (), texts: Mapping[str, str] | None = None) -> list[str]:
    """Every place (file, table and column, or text name) where one of ``secrets`` appears."""
    secrets = [s for s in secrets if s]
    assert secrets, "no secret to look for"
    con = duckdb.connect()
    try:
        leaks = [leak for path in scanned_files(roots) for leak in _file_leaks(con, path, secrets)]
    finally:
        con.close()
    leaks += [name for name, text in (texts or {}).items() if any(secret in text for secret in secrets)]
    return leaks
