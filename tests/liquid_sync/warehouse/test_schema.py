from __future__ import annotations

import duckdb
import pytest

from liquid_sync.warehouse.schema import MIGRATIONS, Migration, SchemaError, migrate

FILE_TABLES = {"file_imports", "file_ledger_entries", "file_trades", "file_deposits", "file_withdrawals"}


def tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {name for (name,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}


def test_migrate_creates_every_table_and_records_each_migration_once():
    con = duckdb.connect()
    assert migrate(con) == [m.version for m in MIGRATIONS]
    assert FILE_TABLES <= tables(con)
    assert migrate(con) == []
    recorded = con.execute("SELECT version, name FROM schema_migrations ORDER BY version").fetchall()
    assert recorded == [(m.version, m.name) for m in MIGRATIONS]


def test_money_columns_are_exact_decimals_and_times_are_timestamptz():
    con = duckdb.connect()
    migrate(con)
    types = dict(
        con.execute(
            "SELECT table_name || '.' || column_name, data_type FROM information_schema.columns"
            " WHERE table_name LIKE 'file_%'"
        ).fetchall()
    )
    for column in ("file_trades.quantity", "file_trades.price", "file_trades.fee", "file_deposits.amount",
                   "file_withdrawals.fee", "file_ledger_entries.amount"):
        assert types[column] == "DECIMAL(38,18)"
    for column in ("file_trades.occurred_at", "file_deposits.occurred_at", "file_withdrawals.occurred_at"):
        assert types[column] == "TIMESTAMP WITH TIME ZONE"
    assert "DOUBLE" not in types.values() and "FLOAT" not in types.values()


def test_a_later_migration_is_applied_on_top_of_an_existing_warehouse():
    con = duckdb.connect()
    migrate(con)
    later = Migration(len(MIGRATIONS) + 1, "api tables", ("CREATE TABLE api_trades (id BIGINT)",))
    assert migrate(con, MIGRATIONS + (later,)) == [later.version]
    assert "api_trades" in tables(con)


def test_a_failing_migration_leaves_nothing_behind():
    con = duckdb.connect()
    broken = Migration(len(MIGRATIONS) + 1, "broken", ("CREATE TABLE half_done (id BIGINT)", "NOT SQL"))
    with pytest.raises(duckdb.ParserException):
        migrate(con, MIGRATIONS + (broken,))
    assert "half_done" not in tables(con)
    assert con.execute("SELECT max(version) FROM schema_migrations").fetchall() == [(len(MIGRATIONS),)]


def test_a_warehouse_from_newer_code_is_refused():
    con = duckdb.connect()
    later = Migration(len(MIGRATIONS) + 1, "from the future", ("CREATE TABLE future (id BIGINT)",))
    migrate(con, MIGRATIONS + (later,))
    with pytest.raises(SchemaError, match="newer liquid-sync"):
        migrate(con)


def test_a_renamed_migration_is_refused():
    con = duckdb.connect()
    migrate(con)
    renamed = (Migration(1, "something else", MIGRATIONS[0].statements),) + MIGRATIONS[1:]
    with pytest.raises(SchemaError, match="something else"):
        migrate(con, renamed)


def test_versions_must_run_one_two_three():
    with pytest.raises(SchemaError, match="1, 2, 3"):
        migrate(duckdb.connect(), (Migration(2, "skips one", ()),))
