"""Files written by the emulator's export, imported: the warehouse must hold the account's
records exactly."""

from __future__ import annotations

from decimal import Decimal

import pytest

from liquid_emulator import catalog
from liquid_emulator.export import write_exports
from liquid_emulator.history import DAY_MS, INITIAL_NOW_MS, advance_account, generate_account
from liquid_emulator.model import FAILED_WITHDRAWAL_STATES, Account, units_to_decimal

from .support import import_paths, query

EXECUTIONS = 800


@pytest.fixture(scope="module")
def account() -> Account:
    return generate_account(seed=7, executions=EXECUTIONS)


def money(value: Decimal) -> Decimal:
    return value.normalize() if value else Decimal(0)


def expected_trades(account: Account) -> set[tuple]:
    trades = set()
    for product_id in account.traded_product_ids():
        product = catalog.product(product_id)
        for e in account.executions(product_id):
            trades.add((e.id, e.my_side, product.base_currency, product.quoted_currency, units_to_decimal(e.quantity),
                        units_to_decimal(e.price), units_to_decimal(e.amount), units_to_decimal(e.net_fee),
                        e.fee_currency, e.created_at_ms // 1000))
    return trades


def imported_trades(warehouse_path) -> list[tuple]:
    rows = query(warehouse_path, "SELECT execution_id, side, base_currency, quote_currency, quantity, price, amount,"
                                 " fee, fee_currency, epoch(occurred_at) FROM file_trades")
    return [(*row[:4], *map(money, row[4:8]), row[8], int(row[9])) for row in rows]


def expected_deposits(account: Account) -> set[tuple]:
    return {(d.id, d.currency, units_to_decimal(d.amount), units_to_decimal(d.fee), d.transaction_hash)
            for d in account.deposits}


def expected_withdrawals(account: Account) -> set[tuple]:
    records = [(w, "CryptoWithdrawal", w.state) for w in account.crypto_withdrawals]
    records += [(w, "FiatWithdrawal", None) for w in account.fiat_withdrawals]  # the fiat file has no state
    return {(w.id, kind, w.currency, units_to_decimal(w.amount - w.withdrawal_fee), units_to_decimal(w.withdrawal_fee),
             state) for w, kind, state in records if w.state not in FAILED_WITHDRAWAL_STATES}


def check_warehouse_holds(account: Account, warehouse_path) -> None:
    trades = imported_trades(warehouse_path)
    assert len(trades) == EXECUTIONS
    assert set(trades) == expected_trades(account)
    deposits = query(warehouse_path, "SELECT deposit_id, currency, amount, fee, transaction_hash FROM file_deposits")
    assert len(deposits) == len(account.deposits)
    assert {(i, c, money(a), money(f), h) for i, c, a, f, h in deposits} == {
        (i, c, money(a), money(f), h) for i, c, a, f, h in expected_deposits(account)
    }
    withdrawals = query(warehouse_path, "SELECT withdrawal_id, withdrawal_type, currency, amount, fee, state"
                                        " FROM file_withdrawals")
    assert {(i, k, c, money(a), money(f), s) for i, k, c, a, f, s in withdrawals} == {
        (i, k, c, money(a), money(f), s) for i, k, c, a, f, s in expected_withdrawals(account)
    }


def test_the_account_shows_what_the_checks_rely_on(account):
    ids = [e.id for pid in account.traded_product_ids() for e in account.executions(pid)]
    assert len(ids) - len(set(ids)) > 0, "self-matched executions"
    fee_currencies = {e.fee_currency for pid in account.traded_product_ids() for e in account.executions(pid)}
    assert "QASH" in fee_currencies
    assert any(d.fee for d in account.deposits)
    assert account.crypto_withdrawals and account.fiat_withdrawals


@pytest.mark.parametrize(
    "order", [("trades", "crypto_ledger", "fiat_ledger"), ("fiat_ledger", "trades", "crypto_ledger")]
)
def test_all_three_exports_give_the_accounts_records_exactly(tmp_path, warehouse_path, account, order):
    paths = write_exports(account, tmp_path)
    import_paths(warehouse_path, *(getattr(paths, name) for name in order), account=None)
    check_warehouse_holds(account, warehouse_path)
    assert query(warehouse_path, "SELECT count(*) FROM file_trades WHERE trades_file_id IS NULL"
                                 " OR ledger_file_id IS NULL") == [(0,)]


def test_the_ledger_exports_alone_give_the_same_trades(tmp_path, warehouse_path, account):
    paths = write_exports(account, tmp_path)
    outcomes = import_paths(warehouse_path, paths.crypto_ledger, paths.fiat_ledger)
    assert outcomes[-1].pending == 0
    check_warehouse_holds(account, warehouse_path)


def test_the_trades_export_alone_gives_the_trades(tmp_path, warehouse_path, account):
    import_paths(warehouse_path, write_exports(account, tmp_path).trades)
    assert set(imported_trades(warehouse_path)) == expected_trades(account)


def test_a_trades_export_without_ids_adds_no_trade_to_the_ledgers(tmp_path, warehouse_path, account):
    with_ids = write_exports(account, tmp_path / "full")
    without_ids = write_exports(account, tmp_path / "old", omit_execution_ids=True)
    import_paths(warehouse_path, without_ids.trades, with_ids.crypto_ledger, with_ids.fiat_ledger)
    check_warehouse_holds(account, warehouse_path)


def test_overlapping_exports_imported_out_of_order_add_nothing_twice(tmp_path, warehouse_path, account):
    middle = (account.created_at_ms + INITIAL_NOW_MS) // 2
    early = write_exports(account, tmp_path / "early", until_ms=middle + 60 * DAY_MS)
    late = write_exports(account, tmp_path / "late", since_ms=middle)
    import_paths(warehouse_path, late.crypto_ledger, early.trades, early.fiat_ledger, late.trades,
                 early.crypto_ledger, late.fiat_ledger)
    check_warehouse_holds(account, warehouse_path)


def test_a_later_export_after_the_clock_moved_adds_only_the_new_records(tmp_path, warehouse_path):
    account = generate_account(seed=8, executions=300)
    import_paths(warehouse_path, *write_exports(account, tmp_path / "before"))
    advance_account(account, INITIAL_NOW_MS + 10 * DAY_MS)
    outcomes = import_paths(warehouse_path, *write_exports(account, tmp_path / "after"))
    assert sum(o.added["file_trades"] for o in outcomes) == len(expected_trades(account)) - 300
    assert set(imported_trades(warehouse_path)) == expected_trades(account)
    states = dict(query(warehouse_path, "SELECT withdrawal_id, state FROM file_withdrawals"
                                        " WHERE withdrawal_type = 'CryptoWithdrawal'"))
    for withdrawal in account.crypto_withdrawals:
        if withdrawal.state not in FAILED_WITHDRAWAL_STATES:
            assert states[withdrawal.id] == withdrawal.state
