"""Reconciliation: the balance the ledger implies against the balance Liquid reports.

For each account of a loaded batch and each currency either side knows, ``reconcile``
compares ``sum(ledger.amount)`` with the balance of the account's latest ``GET /accounts``
(``api_balances``), stores the rows in ``reconciliation`` (replacing an earlier
reconciliation of the same batch) and returns them as the run summary's part.

``difference`` is API minus ledger. ``pending_executions_effect`` is what the executions of
still-open orders (not in the ledger until their order closes) move: their legs and the
fees their orders charged so far. ``likely_cause`` explains the rest: deposits not imported
yet (the API has no deposits; they come from the ledger export), fees paid in QASH (the API
shows them nowhere; the export files do), or an unexplained gap.
"""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from pathlib import Path

from liquid_sync.warehouse import first_row
from liquid_sync.warehouse.writer import open_writer

log = logging.getLogger(__name__)

_BALANCES = """
WITH latest AS (
    SELECT account, arg_max(run_id, fetched_at) AS run_id FROM api_balances
    WHERE account IN (SELECT unnest($accounts)) GROUP BY account
), api AS (
    SELECT b.account, b.currency, b.balance, b.run_id FROM api_balances AS b JOIN latest USING (account, run_id)
), ledger_totals AS (
    SELECT account, currency, sum(amount) AS balance FROM ledger
    WHERE account IN (SELECT unnest($accounts)) GROUP BY account, currency
), pairs AS (
    SELECT product_id, min(base_currency) AS base_currency, min(quote_currency) AS quote_currency
    FROM orders GROUP BY product_id
), pending_moves AS (
    SELECT p.account, pr.base_currency AS currency, CASE p.side WHEN 'buy' THEN p.quantity ELSE -p.quantity END AS amount
    FROM pending_executions AS p JOIN pairs AS pr USING (product_id)
    UNION ALL
    SELECT p.account, pr.quote_currency,
           CAST(CAST(p.quantity AS DECIMAL(28,10)) * CAST(p.price AS DECIMAL(28,10)) AS DECIMAL(38,18))
               * CASE p.side WHEN 'buy' THEN -1 ELSE 1 END
    FROM pending_executions AS p JOIN pairs AS pr USING (product_id)
    UNION ALL
    SELECT o.account, o.quote_currency, -o.order_fee FROM orders AS o
    WHERE EXISTS (SELECT 1 FROM pending_executions AS p WHERE p.account = o.account AND p.order_id = o.order_id)
), pending AS (
    SELECT account, currency, sum(amount) AS amount, count(*) AS moves FROM pending_moves
    WHERE account IN (SELECT unnest($accounts)) GROUP BY account, currency
), files AS (
    SELECT account, count(*) FILTER (WHERE format LIKE 'ledger%') AS ledger_files
    FROM file_imports WHERE status = 'imported' GROUP BY account
), zero_fee_estimates AS (
    SELECT account, count(*) AS trades FROM trades WHERE fee_estimated AND fee = 0 GROUP BY account
)
SELECT coalesce(l.account, a.account) AS account, coalesce(l.currency, a.currency) AS currency,
       coalesce(l.balance, 0) AS ledger_balance, a.balance AS api_balance, coalesce(p.amount, 0) AS pending,
       coalesce(f.ledger_files, 0) AS ledger_files, coalesce(z.trades, 0) AS zero_fee_estimates,
       (SELECT run_id FROM latest WHERE latest.account = coalesce(l.account, a.account)) AS api_run_id
FROM ledger_totals AS l
FULL OUTER JOIN api AS a USING (account, currency)
LEFT JOIN pending AS p ON p.account = coalesce(l.account, a.account) AND p.currency = coalesce(l.currency, a.currency)
LEFT JOIN files AS f ON f.account = coalesce(l.account, a.account)
LEFT JOIN zero_fee_estimates AS z ON z.account = coalesce(l.account, a.account)
ORDER BY 1, 2
"""


def likely_cause(currency: str, difference: Decimal | None, pending: Decimal, ledger_files: int,
                 zero_fee_estimates: int) -> str | None:
    """Why the API balance differs from the ledger's by ``difference`` (None: no API balance)."""
    if difference is None:
        return "no balance from the API (file-only account, or the key lacks the Accounts permission)"
    causes = []
    if pending:
        causes.append("executions of open orders wait for their order to close")
    rest = difference - pending
    if rest > 0 and not ledger_files:
        causes.append("deposits not imported yet (import the ledger export)")
    elif rest < 0 and currency == "QASH" and zero_fee_estimates:
        causes.append("fees paid in QASH are only in the export files (import the trades or ledger export)")
    elif rest:
        causes.append(f"unexplained difference of {rest.normalize():f}")
    return "; ".join(causes) or None


def reconcile(batch_id: str, *, warehouse_path: Path | None = None,
              wait_seconds: float | None = None) -> dict:
    """Reconcile the accounts of loaded batch ``batch_id``; returns a JSON-serialisable summary
    (per account: the currencies that differ, with amounts as decimal strings)."""
    with open_writer(warehouse_path, wait_seconds=wait_seconds) as session:
        con = session.con
        loaded = first_row(con, "SELECT accounts FROM load_batches WHERE batch_id = ?", [batch_id])
        if loaded is None:
            raise ValueError(f"batch {batch_id!r} is not loaded; load it before reconciling")
        accounts = json.loads(loaded[0])
        rows = con.execute(_BALANCES, {"accounts": accounts}).fetchall()
        records = []
        for account, currency, ledger, api, pending, ledger_files, zero_fees, run_id in rows:
            difference = None if api is None else api - ledger
            cause = likely_cause(currency, difference, pending, ledger_files, zero_fees)
            records.append((batch_id, account, currency, ledger, api, difference, pending, cause, run_id))
        con.begin()
        try:
            con.execute("DELETE FROM reconciliation WHERE batch_id = ?", [batch_id])
            if records:
                con.executemany("INSERT INTO reconciliation VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", records)
            con.commit()
        except BaseException:
            con.rollback()
            raise
    summary = {"batch_id": batch_id, "accounts": {a: {"currencies": 0, "differences": []} for a in accounts}}
    for _, account, currency, ledger, api, difference, pending, cause, _ in records:
        entry = summary["accounts"][account]
        entry["currencies"] += 1
        if difference != 0:
            entry["differences"].append({
                "currency": currency, "ledger_balance": _text(ledger), "api_balance": _text(api),
                "difference": _text(difference), "pending_executions_effect": _text(pending), "likely_cause": cause,
            })
    for account, entry in summary["accounts"].items():
        for d in entry["differences"]:
            log.warning("account %s, %s: ledger %s, API %s: %s", account, d["currency"], d["ledger_balance"],
                        d["api_balance"], d["likely_cause"])
    return summary


def _text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value.normalize():f}"
