"""Withdrawals, deposits and the ledger view against the emulator's balances."""

from __future__ import annotations

from decimal import Decimal

from liquid_emulator.model import FAILED_WITHDRAWAL_STATES, units_to_decimal
from tests.liquid_sync.pipeline import closed_executions, expected_ledger


def test_the_ledger_sums_to_the_emulator_balances_once_the_exports_are_imported(pipeline):
    for name in ("alpha", "beta"):
        pipeline.import_files(name, pipeline.export(name))
    pipeline.sync(["alpha", "beta"], "full")
    for name in ("alpha", "beta"):
        got = dict(pipeline.rows("SELECT currency, sum(amount) FROM ledger WHERE account = ? GROUP BY 1"
                                 " HAVING sum(amount) <> 0", [name]))
        assert got == expected_ledger(pipeline.emulator.exchange.account(name)), name


def test_failed_withdrawals_keep_their_state_but_move_no_money(pipeline):
    pipeline.sync(["alpha"], "full")
    account = pipeline.emulator.exchange.account("alpha")
    records = [("crypto", w) for w in account.crypto_withdrawals] + [("fiat", w) for w in account.fiat_withdrawals]
    rows = {(r[0], r[1]): r[2:] for r in pipeline.rows(
        "SELECT withdrawal_type, withdrawal_id, state, failed, amount, fee, net_amount FROM withdrawals")}
    assert rows.keys() == {(kind, w.id) for kind, w in records}
    failed = {(kind, w.id) for kind, w in records if w.state in FAILED_WITHDRAWAL_STATES}
    assert failed and {k for k, r in rows.items() if r[1]} == failed
    moves = {}
    for kind, key, amount in pipeline.rows("SELECT kind, entity_key, amount FROM ledger WHERE entity = 'withdrawal'"):
        moves.setdefault(key, {})[kind] = amount
    assert moves.keys() == {f"{kind}:{w.id}" for kind, w in records if (kind, w.id) not in failed}
    for kind, w in records:
        if (kind, w.id) not in failed:
            fee = units_to_decimal(w.withdrawal_fee)
            assert moves[f"{kind}:{w.id}"] == {"withdrawal": -(units_to_decimal(w.amount) - fee), "withdrawal_fee": -fee}


def test_deposits_and_rebates_come_from_the_ledger_export(pipeline):
    pipeline.import_files("alpha", pipeline.export("alpha"))
    pipeline.sync(["alpha"], "full")
    account = pipeline.emulator.exchange.account("alpha")
    deposits = {r[0]: r[1:] for r in pipeline.rows("SELECT deposit_id, currency, amount, fee FROM deposits")}
    assert deposits == {d.id: (d.currency, units_to_decimal(d.amount), units_to_decimal(d.fee)) for d in account.deposits}
    assert any(fee for _, _, fee in deposits.values()), "a deposit fee is a movement of its own"
    rebates = dict(pipeline.rows("SELECT entity_key, amount FROM ledger WHERE kind = 'trade_rebate'"))
    expected = {f"{e.id}:{e.my_side}": units_to_decimal(e.rebate) for e in closed_executions(account) if e.rebate}
    assert rebates == expected and rebates
    fees = dict(pipeline.rows("SELECT entity_key, amount FROM ledger WHERE kind = 'trade_fee'"))
    assert all(fees[f"{e.id}:{e.my_side}"] == -units_to_decimal(e.fee) for e in closed_executions(account) if e.fee)
    assert sum(fees.values()) < Decimal(0)


def test_amounts_are_decimals_and_times_utc_timestamps(pipeline):
    pipeline.sync(["beta"], "full")
    money = "DECIMAL(38,18)"
    for view, columns in (("ledger", {"amount": money, "occurred_at": "TIMESTAMP WITH TIME ZONE"}),
                          ("trades", {"quantity": money, "price": money, "amount": money, "fee": money}),
                          ("withdrawals", {"amount": money, "fee": money, "net_amount": money})):
        types = {name: kind for name, kind, *_ in pipeline.rows(f"DESCRIBE {view}")}
        assert {name: types[name] for name in columns} == columns, view
    assert pipeline.rows("SELECT DISTINCT strftime(occurred_at, '%z') FROM ledger") == [("+00",)], "shown in UTC"
