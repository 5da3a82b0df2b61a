"""The warehouse schema as an ordered list of migrations.

Contracts:

* ``MIGRATIONS`` is ordered by ``version`` (1, 2, 3, ...). A migration, once released, is
  never edited: a schema change is a new migration appended to the list.
* ``migrate`` applies the pending migrations in order, each in its own transaction together
  with its row in ``schema_migrations (version, name, applied_at)``, so a crash leaves every
  migration either fully applied and recorded or not at all. Running it again is a no-op.
* A warehouse that records a migration this code does not know (written by a newer version)
  or under another name is refused with ``SchemaError``.

Column conventions: money is ``DECIMAL(38,18)`` (exact; 20 integer and 18 fractional
digits), times are ``TIMESTAMPTZ`` in UTC, never ``DOUBLE``. Every table whose name starts
with ``file_`` holds data imported from Liquid's export files; ``occurred_at`` is the time
of the event on the exchange.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

MONEY = "DECIMAL(38,18)"


class SchemaError(RuntimeError):
    """The warehouse's recorded migrations do not match this code's."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]


EXPORT_FILE_TABLES = Migration(
    version=1,
    name="export file imports",
    statements=(
        "CREATE SEQUENCE file_imports_file_id_seq START 1",
        # One row per file the importer looked at: status 'imported' (its data is in the
        # file_* tables) or 'rejected' (none of its data is; ``message`` says why).
        """CREATE TABLE file_imports (
            file_id BIGINT PRIMARY KEY,
            account VARCHAR NOT NULL,
            file_name VARCHAR NOT NULL,
            file_path VARCHAR NOT NULL,
            sha256 VARCHAR NOT NULL,
            format VARCHAR,
            row_count BIGINT,
            status VARCHAR NOT NULL CHECK (status IN ('imported', 'rejected')),
            message VARCHAR,
            imported_at TIMESTAMPTZ NOT NULL
        )""",
        # Raw ledger rows (both ledger exports), one per (account, transaction_id).
        f"""CREATE TABLE file_ledger_entries (
            account VARCHAR NOT NULL,
            transaction_id BIGINT NOT NULL,
            transaction_type VARCHAR NOT NULL,
            direction VARCHAR NOT NULL CHECK (direction IN ('PAY', 'RECEIVE')),
            currency VARCHAR NOT NULL,
            currency_type VARCHAR NOT NULL CHECK (currency_type IN ('crypto', 'fiat')),
            amount {MONEY} NOT NULL,
            execution_id BIGINT,
            generated_for_type VARCHAR,
            generated_for_id BIGINT,
            transaction_hash VARCHAR,
            from_address VARCHAR,
            to_address VARCHAR,
            state VARCHAR,
            occurred_at TIMESTAMPTZ NOT NULL,
            updated_at TIMESTAMPTZ,
            source_file_id BIGINT NOT NULL,
            source_line BIGINT NOT NULL
        )""",
        # Trades from the trades export and/or assembled from ledger rows. Natural key:
        # (account, execution_id, side) when execution_id is known, otherwise
        # (account, base, quote, side, quantity, price, occurred_at, occurrence).
        f"""CREATE TABLE file_trades (
            account VARCHAR NOT NULL,
            execution_id BIGINT,
            side VARCHAR NOT NULL CHECK (side IN ('buy', 'sell')),
            base_currency VARCHAR NOT NULL,
            quote_currency VARCHAR NOT NULL,
            quantity {MONEY} NOT NULL,
            price {MONEY} NOT NULL,
            amount {MONEY} NOT NULL,
            fee {MONEY} NOT NULL,
            fee_currency VARCHAR NOT NULL,
            occurred_at TIMESTAMPTZ NOT NULL,
            occurrence INTEGER NOT NULL,
            trades_file_id BIGINT,
            trades_line BIGINT,
            ledger_file_id BIGINT,
            ledger_line BIGINT,
            CHECK (trades_file_id IS NOT NULL OR ledger_file_id IS NOT NULL)
        )""",
        f"""CREATE TABLE file_deposits (
            account VARCHAR NOT NULL,
            deposit_id BIGINT NOT NULL,
            transaction_id BIGINT NOT NULL,
            currency VARCHAR NOT NULL,
            amount {MONEY} NOT NULL,
            fee {MONEY} NOT NULL,
            occurred_at TIMESTAMPTZ NOT NULL,
            transaction_hash VARCHAR,
            from_address VARCHAR,
            source_file_id BIGINT NOT NULL,
            source_line BIGINT NOT NULL
        )""",
        f"""CREATE TABLE file_withdrawals (
            account VARCHAR NOT NULL,
            withdrawal_type VARCHAR NOT NULL,
            withdrawal_id BIGINT NOT NULL,
            transaction_id BIGINT NOT NULL,
            fee_transaction_id BIGINT,
            currency VARCHAR NOT NULL,
            amount {MONEY} NOT NULL,
            fee {MONEY} NOT NULL,
            occurred_at TIMESTAMPTZ NOT NULL,
            state VARCHAR,
            transaction_hash VARCHAR,
            to_address VARCHAR,
            source_file_id BIGINT NOT NULL,
            source_line BIGINT NOT NULL
        )""",
    ),
)

# Later migrations live in their own modules, imported once ``Migration`` and ``MONEY`` exist.
from liquid_sync.warehouse.sync_schema import SYNC_MIGRATIONS  # noqa: E402
from liquid_sync.warehouse.validation_schema import VALIDATION_RESULTS  # noqa: E402

MIGRATIONS: tuple[Migration, ...] = (EXPORT_FILE_TABLES, *SYNC_MIGRATIONS, VALIDATION_RESULTS)


def migrate(con: duckdb.DuckDBPyConnection, migrations: tuple[Migration, ...] = MIGRATIONS) -> list[int]:
    """Apply the pending ``migrations``; returns the versions applied by this call."""
    versions = [m.version for m in migrations]
    if versions != list(range(1, len(migrations) + 1)):
        raise SchemaError(f"migration versions must be 1, 2, 3, ... in order, not {versions}")
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
    )
    applied = dict(con.execute("SELECT version, name FROM schema_migrations").fetchall())
    known = {m.version: m.name for m in migrations}
    for version, name in sorted(applied.items()):
        if version not in known:
            raise SchemaError(
                f"the warehouse has migration {version} ({name!r}), unknown to this code: "
                "it was written by a newer liquid-sync"
            )
        if known[version] != name:
            raise SchemaError(
                f"the warehouse's migration {version} is {name!r}, this code's is {known[version]!r}"
            )
    newly_applied = []
    for migration in migrations:
        if migration.version in applied:
            continue
        con.begin()
        try:
            for statement in migration.statements:
                con.execute(statement)
            con.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, now())",
                [migration.version, migration.name],
            )
            con.commit()
        except BaseException:
            con.rollback()
            raise
        newly_applied.append(migration.version)
    return newly_applied
