"""Withdrawals and deposits of the scope accounts, from the API and the ledger export files.

* A withdrawal is keyed by (account, type, id), ``withdrawal_key`` = ``<crypto|fiat>:<id>``.
  The API's record wins (it is the latest state); the file supplies what the API did not
  return (a key without the Withdrawals permission, history before a cut-over) and its line.
  ``amount`` is gross (fee included, as the API gives it), ``net_amount`` what left the
  account without the fee. A withdrawal in a failed final state (cancelled, declined,
  reverted) is ``failed``: it moved no money.
* Deposits come only from files (the API has none); ``deposit_key`` is the deposit id.
"""

from __future__ import annotations

import duckdb

FAILED_STATES = ("cancelled", "declined", "reverted")


def withdrawals(con: duckdb.DuckDBPyConnection) -> None:
    failed = ", ".join(f"'{state}'" for state in FAILED_STATES)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE withdrawals_out AS
        WITH files AS (
            SELECT account, CASE withdrawal_type WHEN 'CryptoWithdrawal' THEN 'crypto' ELSE 'fiat' END
                       AS withdrawal_type,
                   withdrawal_id, currency, amount AS net_amount, fee, occurred_at, state, transaction_hash,
                   to_address, source_file_id, source_line
            FROM wh.file_withdrawals WHERE account IN (SELECT account FROM scope)
        )
        SELECT coalesce(a.account, f.account) AS account,
               coalesce(a.withdrawal_type, f.withdrawal_type) || ':' || coalesce(a.withdrawal_id, f.withdrawal_id)
                   AS withdrawal_key,
               coalesce(a.withdrawal_type, f.withdrawal_type) AS withdrawal_type,
               coalesce(a.withdrawal_id, f.withdrawal_id) AS withdrawal_id,
               coalesce(a.currency, f.currency) AS currency,
               CASE WHEN a.account IS NULL THEN f.net_amount + f.fee ELSE a.amount END AS amount,
               coalesce(a.fee, f.fee) AS fee,
               CASE WHEN a.account IS NULL THEN f.net_amount ELSE a.amount - a.fee END AS net_amount,
               coalesce(a.state, f.state) AS state,
               coalesce(coalesce(a.state, f.state) IN ({failed}), false) AS failed,
               coalesce(a.created_at, f.occurred_at) AS occurred_at, a.updated_at,
               coalesce(a.address, f.to_address) AS address,
               coalesce(a.transaction_hash, f.transaction_hash) AS transaction_hash,
               a.chain_name, a.network, a.payment_id, a.bank_name,
               CASE WHEN a.account IS NULL THEN 'file' WHEN f.account IS NULL THEN 'api' ELSE 'api+file' END AS source,
               f.source_file_id AS ledger_file_id, f.source_line AS ledger_line
        FROM api_withdrawals_all AS a
        FULL OUTER JOIN files AS f ON f.account = a.account AND f.withdrawal_type = a.withdrawal_type
             AND f.withdrawal_id = a.withdrawal_id"""
    )


def deposits(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """CREATE OR REPLACE TEMP TABLE deposits_out AS
        SELECT account, CAST(deposit_id AS VARCHAR) AS deposit_key, deposit_id, currency, amount, fee, occurred_at,
               transaction_hash, from_address, source_file_id AS ledger_file_id, source_line AS ledger_line
        FROM wh.file_deposits WHERE account IN (SELECT account FROM scope)"""
    )
