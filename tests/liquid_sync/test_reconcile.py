"""Reconciliation of the ledger with the balances the API reports."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from liquid_emulator.exchange import AccountSpec
from liquid_emulator.model import units_to_decimal
from liquid_sync.reconcile import likely_cause, reconcile
from tests.liquid_sync.emulator import running_emulator
from tests.liquid_sync.pipeline import Pipeline, expected_ledger


def reconciled(pipeline, batch_id: str) -> dict:
    summary = reconcile(batch_id, warehouse_path=pipeline.warehouse)
    json.dumps(summary)
    rows = pipeline.rows("SELECT currency, ledger_balance, api_balance, difference, pending_executions_effect,"
                         " likely_cause FROM reconciliation WHERE batch_id = ? AND account = 'alpha'", [batch_id])
    return {"summary": summary, "rows": {r[0]: r[1:] for r in rows}}


def test_without_the_ledger_export_the_missing_deposits_are_reported(pipeline):
    batch = pipeline.sync(["alpha"], "full")["batch_id"]
    account = pipeline.emulator.exchange.account("alpha")
    result = reconciled(pipeline, batch)
    balances = {code: units_to_decimal(units) for code, units in account.balances().items()}
    assert {c: r[1] for c, r in result["rows"].items()} == balances
    for currency, (ledger, api, difference, pending, cause) in result["rows"].items():
        assert difference == api - ledger
    causes = " ".join(r[4] or "" for r in result["rows"].values())
    assert "deposits not imported yet (import the ledger export)" in causes
    assert "unexplained" not in causes
    differing = result["summary"]["accounts"]["alpha"]["differences"]
    assert {d["currency"] for d in differing} == {c for c, r in result["rows"].items() if r[2]}


def test_with_every_export_imported_only_open_orders_remain(pipeline):
    pipeline.import_files("alpha", pipeline.export("alpha"))
    batch = pipeline.sync(["alpha"], "full")["batch_id"]
    result = reconciled(pipeline, batch)
    account = pipeline.emulator.exchange.account("alpha")
    assert {c: r[0] for c, r in result["rows"].items() if r[0]} == expected_ledger(account)
    for currency, (ledger, api, difference, pending, cause) in result["rows"].items():
        assert difference == pending, currency
        assert cause == ("executions of open orders wait for their order to close" if pending else None)
    assert any(r[3] for r in result["rows"].values()), "the emulator keeps a partially filled order open"
    reconcile(batch, warehouse_path=pipeline.warehouse)
    assert pipeline.rows("SELECT count(*) FROM reconciliation")[0][0] == len(result["rows"]), "rerun replaces"


def test_an_order_filled_between_syncs_reconciles_to_the_satoshi(pipeline):
    account = pipeline.emulator.exchange.account("alpha")
    pipeline.import_files("alpha", pipeline.export("alpha"))
    pipeline.sync(["alpha"], "full")
    partial = {o.id: len(o.executions) for o in account.orders if o.status == "partially_filled"}
    pipeline.emulator.exchange.advance_clock(7 * 86_400)
    completed = [o for o in account.orders if o.id in partial and o.status == "filled"
                 and o.fee_currency == o.funding_currency]
    assert any(len(o.executions) > partial[o.id] for o in completed), "fills in the files and fills after them"

    batch = pipeline.sync(["alpha"], "incremental")["batch_id"]
    for order in completed:
        fees = pipeline.rows("SELECT sum(fee) FROM trades WHERE order_id = ? AND fee_currency = ?",
                             [order.id, order.funding_currency])
        assert fees == [(units_to_decimal(order.order_fee),)], order.id
    result = reconciled(pipeline, batch)
    assert not [r[4] for r in result["rows"].values() if "unexplained" in (r[4] or "")]


EXPORT_END = datetime(2021, 9, 30, tzinfo=timezone.utc)
FETCHED = datetime(2021, 10, 7, tzinfo=timezone.utc)


@pytest.mark.parametrize("currency, difference, pending, ledger_lines_end, zero_fees, cause", [
    ("BTC", None, 0, None, 0, "no balance from the API"),
    ("BTC", Decimal(0), 0, None, 0, None),
    ("JPY", Decimal(5), 0, None, 0, "deposits not imported yet"),
    ("XRP", Decimal(5), 0, EXPORT_END, 0, "deposits after the imported ledger export, whose lines end at 2021-09-30"),
    ("XRP", Decimal(5), 0, FETCHED, 0, "unexplained difference of 5"),
    ("QASH", Decimal(-3), 0, EXPORT_END, 4, "fees paid in QASH are only in the export files"),
    ("ETH", Decimal(2), Decimal(2), EXPORT_END, 0, "executions of open orders wait for their order to close"),
    ("ETH", Decimal(-3), Decimal(-2), EXPORT_END, 0, "unexplained difference of -1"),
])
def test_likely_causes(currency, difference, pending, ledger_lines_end, zero_fees, cause):
    got = likely_cause(currency, difference, Decimal(pending), ledger_lines_end, FETCHED, zero_fees)
    assert (got is None) if cause is None else cause in got


@pytest.fixture
def small_pipeline(request, tmp_path):
    """A pipeline on one account ``alpha`` of the parametrised (seed, executions)."""
    seed, executions = request.param
    with running_emulator([AccountSpec("alpha", seed=seed, executions=executions)], tokens_per_account=1) as running:
        yield Pipeline(running, tmp_path)


@pytest.mark.parametrize("small_pipeline", [(12, 600)], indirect=True)
def test_open_orders_matched_to_file_trades_count_their_exact_qash_fees(small_pipeline):
    pipeline = small_pipeline
    pipeline.import_files("alpha", pipeline.export("alpha"))
    pipeline.sync(["alpha"], "full")
    pipeline.emulator.exchange.advance_clock(86_400)
    batch = pipeline.sync(["alpha"], "incremental")["batch_id"]
    qash_fees_of_open_orders = pipeline.rows(
        "SELECT count(*) FROM pending_executions AS p JOIN dedup_matches AS m USING (account, execution_id, side)"
        " JOIN file_trades AS f ON f.account = m.account AND f.trades_file_id = m.file_id AND f.trades_line = m.line"
        " WHERE f.fee_currency = 'QASH' AND f.fee > 0")
    assert qash_fees_of_open_orders[0][0], "an open order holds fills with QASH fees from the files"
    rows = reconciled(pipeline, batch)["rows"]
    assert rows["QASH"][3] != 0
    for currency, (ledger, api, difference, pending, cause) in rows.items():
        assert difference == pending, currency


@pytest.mark.parametrize("small_pipeline", [(7, 600)], indirect=True)
def test_deposits_after_the_imported_ledger_export_are_named(small_pipeline):
    pipeline = small_pipeline
    pipeline.import_files("alpha", pipeline.export("alpha"))
    pipeline.sync(["alpha"], "full")
    pipeline.emulator.exchange.advance_clock(7 * 86_400)
    batch = pipeline.sync(["alpha"], "incremental")["batch_id"]
    rows = reconciled(pipeline, batch)["rows"]
    newer = {c: r for c, r in rows.items() if "deposits after the imported ledger export" in (r[4] or "")}
    assert newer, "the week brought a deposit"
    assert not [r[4] for r in rows.values() if "unexplained" in (r[4] or "")]

    pipeline.import_files("alpha", pipeline.export("alpha"))
    batch = pipeline.sync(["alpha"], "incremental")["batch_id"]
    rows = reconciled(pipeline, batch)["rows"]
    for currency in newer:
        assert rows[currency][2] == rows[currency][3], "the newer export brings the deposits"


def test_an_unloaded_batch_cannot_be_reconciled(pipeline):
    pipeline.sync(["beta"], "full")
    with pytest.raises(ValueError, match="is not loaded"):
        reconcile("nope", warehouse_path=pipeline.warehouse)
