"""Reconciliation: the balance the ledger implies against the balance Liquid reports.

For each account of a loaded batch and each currency either side knows, ``reconcile``
compares ``sum(ledger.amount)`` with the balance of the account's latest ``GET /accounts``
(``api_balances``), stores the rows in ``reconciliation`` (replacing an earlier
reconciliation of the same batch) and returns them as the run summary's part.

``difference`` is API minus ledger. ``pending_executions_effect`` is what the executions of
still-open orders (not in the ledger until their order closes) move: their legs, the exact
fees from the files of those matched to a file trade, and for the others their share of
what their order charged so far beyond those exact fees. ``likely_cause`` explains the rest:
deposits not imported yet or made after the imported ledger export ends (the API has no
deposits; they come from the ledger export), fees paid in QASH (the API shows them nowhere;
the export files do), or an unexplained gap.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

from liquid_sync.currencies import FIAT
from liquid_sync.transform.trades import fee_shares, money_from_units, unmatched_fee_basis
from liquid_sync.warehouse import first_row
from liquid_sync.warehouse.writer import open_writer

log = logging.getLogger(__name__)

_BALANCES = f"""
WITH latest AS (
    SELECT account, arg_max(run_id, fetched_at) AS run_id FROM api_balances
    WHERE account IN (SELECT unnest($accounts)) GROUP BY account
), api AS (
    SELECT b.account, b.currency, b.balance, b.fetched_at, b.run_id
    FROM api_balances AS b JOIN latest USING (account, run_id)
), ledger_totals AS (
    SELECT account, currency, sum(amount) AS balance FROM ledger
    WHERE account IN (SELECT unnest($accounts)) GROUP BY account, currency
), pairs AS (
    SELECT product_id, min(base_currency) AS base_currency, min(quote_currency) AS quote_currency
    FROM orders GROUP BY product_id
), pending_x AS (
    SELECT p.account, p.execution_id, p.side, p.order_id, p.quantity, p.price, pr.base_currency,
           pr.quote_currency, o.order_fee, o.filled_quantity,
           f.account IS NOT NULL AS matched, f.fee AS file_fee, f.fee_currency AS file_fee_currency,
           CASE WHEN f.fee_currency = pr.quote_currency THEN f.fee ELSE 0 END AS exact_quote_fee
    FROM pending_executions AS p
    JOIN pairs AS pr USING (product_id)
    LEFT JOIN orders AS o ON o.account = p.account AND o.order_id = p.order_id
    LEFT JOIN dedup_matches AS m ON m.account = p.account AND m.execution_id = p.execution_id AND m.side = p.side
    LEFT JOIN file_trades AS f ON f.account = m.account
         AND coalesce(f.trades_file_id, f.ledger_file_id) = m.file_id
         AND CASE WHEN f.trades_file_id IS NOT NULL THEN f.trades_line ELSE f.ledger_line END = m.line
    WHERE p.account IN (SELECT unnest($accounts))
), pending_known AS (
    SELECT * FROM pending_x WHERE order_fee IS NOT NULL
), pending_fee_basis AS (
    {unmatched_fee_basis('pending_known')}
), pending_fee_shares AS (
    {fee_shares('pending_fee_basis')}
), pending_moves AS (
    SELECT account, base_currency AS currency, CASE side WHEN 'buy' THEN quantity ELSE -quantity END AS amount
    FROM pending_x
    UNION ALL
    SELECT account, quote_currency,
           CAST(CAST(quantity AS DECIMAL(28,10)) * CAST(price AS DECIMAL(28,10)) AS DECIMAL(38,18))
               * CASE side WHEN 'buy' THEN -1 ELSE 1 END
    FROM pending_x
    UNION ALL
    SELECT account, file_fee_currency, -file_fee FROM pending_x WHERE matched
    UNION ALL
    SELECT x.account, x.quote_currency, -{money_from_units('s.fee_units')}
    FROM pending_fee_shares AS s JOIN pending_x AS x USING (account, execution_id, side)
), pending AS (
    SELECT account, currency, sum(amount) AS amount FROM pending_moves GROUP BY account, currency
), ledger_coverage AS (
    SELECT account, currency_type, max(occurred_at) AS lines_end FROM file_ledger_entries GROUP BY ALL
), zero_fee_estimates AS (
    SELECT account, count(*) AS executions FROM (
        SELECT account FROM trades WHERE fee_estimated AND fee = 0
        UNION ALL
        SELECT account FROM pending_fee_shares WHERE fee_units = 0
    ) GROUP BY account
)
SELECT coalesce(l.account, a.account) AS account, coalesce(l.currency, a.currency) AS currency,
       coalesce(l.balance, 0) AS ledger_balance, a.balance AS api_balance, coalesce(p.amount, 0) AS pending,
       c.lines_end AS ledger_lines_end, a.fetched_at, coalesce(z.executions, 0) AS zero_fee_estimates,
       (SELECT run_id FROM latest WHERE latest.account = coalesce(l.account, a.account)) AS api_run_id
FROM ledger_totals AS l
FULL OUTER JOIN api AS a USING (account, currency)
LEFT JOIN pending AS p ON p.account = coalesce(l.account, a.account) AND p.currency = coalesce(l.currency, a.currency)
LEFT JOIN ledger_coverage AS c ON c.account = coalesce(l.account, a.account)
     AND c.currency_type = CASE WHEN list_contains($fiat, coalesce(l.currency, a.currency)) THEN 'fiat' ELSE 'crypto' END
LEFT JOIN zero_fee_estimates AS z ON z.account = coalesce(l.account, a.account)
ORDER BY 1, 2
"""


def likely_cause(currency: str, difference: Decimal | None, pending: Decimal, ledger_lines_end: datetime | None,
                 fetched_at: datetime | None, zero_fee_estimates: int) -> str | None:
    """Why the API balance, fetched at ``fetched_at``, differs from the ledger's by ``difference``
    (None: no API balance), given ``pending``, the pending executions' effect, and
    ``ledger_lines_end``, the time of the newest imported ledger export line of the currency's
    type (None: none imported). What ``pending`` leaves (the rest) is put down to deposits when
    the API has more and the ledger exports end before the balance was fetched (the API has no
    deposits), to fees paid in QASH when it has less QASH and ``zero_fee_estimates`` executions
    got no estimated fee; any other rest is unexplained, with its amount."""
    if difference is None:
        return "no balance from the API (file-only account, or the key lacks the Accounts permission)"
    causes = []
    if pending:
        causes.append("executions of open orders wait for their order to close")
    rest = difference - pending
    if rest > 0 and ledger_lines_end is None:
        causes.append("deposits not imported yet (import the ledger export)")
    elif rest > 0 and ledger_lines_end < fetched_at:
        causes.append(f"deposits after the imported ledger export, whose lines end at "
                      f"{ledger_lines_end.astimezone(timezone.utc):%Y-%m-%d %H:%M:%S} UTC "
                      "(import a newer ledger export)")
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
        rows = con.execute(_BALANCES, {"accounts": accounts, "fiat": sorted(FIAT)}).fetchall()
        records = []
        for account, currency, ledger, api, pending, ledger_lines_end, fetched_at, zero_fees, run_id in rows:
            difference = None if api is None else api - ledger
            cause = likely_cause(currency, difference, pending, ledger_lines_end, fetched_at, zero_fees)
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
