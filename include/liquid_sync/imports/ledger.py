"""Ledger export rows: stored as ``file_ledger_entries``, then turned into deposits,
withdrawals and trades.

* ``transaction_id`` is the natural key of a row, per account. A row already stored is
  skipped, except that a copy with a later ``updated_at`` restates its ``state``,
  ``transaction_hash`` and ``updated_at`` (a pending withdrawal later processed).
* The amount is signed by ``direction``: PAY rows are negative, RECEIVE rows positive,
  whatever sign the file gives ``gross_amount``.
* Deposits and withdrawals (like trades, see ``ledger_trades.py``) are rebuilt from every
  stored row of each deposit or withdrawal a file adds or restates rows of, so rows that
  arrive in different files still make one record:
  - a deposit is the ``funding`` rows of one ``generated_for_id``: amount = their sum,
    fee = the ``funding_fee`` rows' total (positive), source = the funding row;
  - a withdrawal is the ``withdrawal`` rows of one (``generated_for_type``,
    ``generated_for_id``): amount = what left net of the fee (positive), fee = the
    ``withdrawal_fee`` rows' total (positive), state and hash from the withdrawal row.
  A deposit or withdrawal with only fee rows so far is not built until its main row comes.
"""

from __future__ import annotations

import duckdb

from liquid_sync.imports.errors import ImportRejected
from liquid_sync.imports.formats import DEPOSIT_TYPES, WITHDRAWAL_TYPES, FileFormat
from liquid_sync.warehouse import first_row

TOUCHED = "import_touched_entries"

_ENTRY_FIELDS = (
    "account", "transaction_id", "transaction_type", "direction", "currency", "currency_type", "amount",
    "execution_id", "generated_for_type", "generated_for_id", "transaction_hash", "from_address",
    "to_address", "state", "occurred_at", "updated_at", "source_file_id", "source_line",
)
_CRYPTO_ONLY_FIELDS = ("transaction_hash", "from_address", "to_address", "state")
_RESTATED_FIELDS = ("state", "transaction_hash", "updated_at")


def check_unique_ids(con: duckdb.DuckDBPyConnection, typed: str, file_name: str) -> None:
    """Reject the file if a ``transaction_id`` appears on two of its lines."""
    row = first_row(
        con,
        f"""SELECT line, transaction_id, first_line FROM (
                SELECT line, transaction_id, min(line) OVER (PARTITION BY transaction_id) AS first_line FROM {typed})
            WHERE line > first_line ORDER BY line LIMIT 1"""
    )
    if row is not None:
        line, transaction_id, first_line = row
        raise ImportRejected(
            file_name, f"appears again (first on line {first_line})", line=line, column="transaction_id",
            value=str(transaction_id),
        )


def store_entries(
    con: duckdb.DuckDBPyConnection, typed: str, file_format: FileFormat, account: str, file_id: int
) -> int:
    """Store the file's new rows and restatements; ``TOUCHED`` gets both. Returns the new rows."""
    crypto = file_format.name == "ledger_crypto"
    values = {
        "account": "$account",
        "currency_type": "'crypto'" if crypto else "'fiat'",
        "amount": "CASE direction WHEN 'PAY' THEN -abs(gross_amount) ELSE abs(gross_amount) END",
        "source_file_id": "$file_id",
        "source_line": "line",
    }
    if not crypto:
        values.update({name: "NULL" for name in _CRYPTO_ONLY_FIELDS})
    select = ", ".join(f"{values.get(name, name)} AS {name}" for name in _ENTRY_FIELDS)
    params = {"account": account, "file_id": file_id}
    con.execute(f"CREATE OR REPLACE TEMP TABLE import_entries AS SELECT {select} FROM {typed}", params)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {TOUCHED} AS
        SELECT s.* FROM import_entries AS s JOIN file_ledger_entries AS e USING (account, transaction_id)
        WHERE s.updated_at > e.updated_at OR (e.updated_at IS NULL AND s.updated_at IS NOT NULL)"""
    )
    restated = ", ".join(f"{name} = s.{name}" for name in _RESTATED_FIELDS)
    con.execute(
        f"UPDATE file_ledger_entries AS e SET {restated} FROM {TOUCHED} AS s"
        " WHERE e.account = s.account AND e.transaction_id = s.transaction_id"
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE import_new_entries AS
        SELECT * FROM import_entries AS s WHERE NOT EXISTS (
            SELECT 1 FROM file_ledger_entries AS e
            WHERE e.account = s.account AND e.transaction_id = s.transaction_id)"""
    )
    con.execute(f"INSERT INTO file_ledger_entries SELECT {', '.join(_ENTRY_FIELDS)} FROM import_new_entries")
    con.execute(f"INSERT INTO {TOUCHED} SELECT * FROM import_new_entries")
    (new_rows,) = first_row(con, "SELECT count(*) FROM import_new_entries")
    con.execute("DROP TABLE import_entries; DROP TABLE import_new_entries")
    return new_rows


def _in_list(names: tuple[str, ...]) -> str:
    return ", ".join(f"'{name}'" for name in names)


def rebuild_deposits(con: duckdb.DuckDBPyConnection, account: str) -> None:
    touched = f"SELECT generated_for_id FROM {TOUCHED} WHERE transaction_type IN ({_in_list(DEPOSIT_TYPES)})"
    con.execute(f"DELETE FROM file_deposits WHERE account = ? AND deposit_id IN ({touched})", [account])
    funding = "FILTER (WHERE transaction_type = 'funding')"
    con.execute(
        f"""INSERT INTO file_deposits
        SELECT account, generated_for_id,
               min(transaction_id) {funding},
               arg_min(currency, transaction_id) {funding},
               sum(amount) {funding},
               -coalesce(sum(amount) FILTER (WHERE transaction_type = 'funding_fee'), 0),
               min(occurred_at) {funding},
               arg_min(transaction_hash, transaction_id) {funding},
               arg_min(from_address, transaction_id) {funding},
               arg_min(source_file_id, transaction_id) {funding},
               arg_min(source_line, transaction_id) {funding}
        FROM file_ledger_entries
        WHERE account = ? AND transaction_type IN ({_in_list(DEPOSIT_TYPES)}) AND generated_for_id IN ({touched})
        GROUP BY account, generated_for_id
        HAVING count(*) {funding} > 0""",
        [account],
    )


def _touched_withdrawal(type_column: str, id_column: str) -> str:
    return (
        f"SELECT 1 FROM {TOUCHED} AS s WHERE s.transaction_type IN ({_in_list(WITHDRAWAL_TYPES)})"
        f" AND s.generated_for_type = {type_column} AND s.generated_for_id = {id_column}"
    )


def rebuild_withdrawals(con: duckdb.DuckDBPyConnection, account: str) -> None:
    con.execute(
        "DELETE FROM file_withdrawals AS w WHERE account = ?"
        f" AND EXISTS ({_touched_withdrawal('w.withdrawal_type', 'w.withdrawal_id')})",
        [account],
    )
    withdrawal = "FILTER (WHERE transaction_type = 'withdrawal')"
    con.execute(
        f"""INSERT INTO file_withdrawals
        SELECT account, generated_for_type, generated_for_id,
               min(transaction_id) {withdrawal},
               min(transaction_id) FILTER (WHERE transaction_type = 'withdrawal_fee'),
               arg_min(currency, transaction_id) {withdrawal},
               -sum(amount) {withdrawal},
               -coalesce(sum(amount) FILTER (WHERE transaction_type = 'withdrawal_fee'), 0),
               min(occurred_at) {withdrawal},
               arg_min(state, transaction_id) {withdrawal},
               arg_min(transaction_hash, transaction_id) {withdrawal},
               arg_min(to_address, transaction_id) {withdrawal},
               arg_min(source_file_id, transaction_id) {withdrawal},
               arg_min(source_line, transaction_id) {withdrawal}
        FROM file_ledger_entries AS e
        WHERE account = ? AND transaction_type IN ({_in_list(WITHDRAWAL_TYPES)})
          AND EXISTS ({_touched_withdrawal('e.generated_for_type', 'e.generated_for_id')})
        GROUP BY account, generated_for_type, generated_for_id
        HAVING count(*) {withdrawal} > 0""",
        [account],
    )
