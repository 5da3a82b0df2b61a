from __future__ import annotations

from collections import Counter, defaultdict
from fractions import Fraction

import pytest

from liquid_emulator import catalog, history
from liquid_emulator.model import (
    CRYPTO_WITHDRAWAL_STATES,
    FAILED_WITHDRAWAL_STATES,
    FIAT_WITHDRAWAL_STATES,
    FINAL_WITHDRAWAL_STATES,
    Account,
)

EXECUTIONS = 3000
ADVANCE_DAYS = 30


@pytest.fixture(scope="module")
def account() -> Account:
    return history.generate_account(21, EXECUTIONS, account_id=3, name="history")


@pytest.fixture(scope="module")
def advanced() -> tuple[Account, Account]:
    """(before, after): the same generated account, and one advanced by ``ADVANCE_DAYS``."""
    before = history.generate_account(22, EXECUTIONS, account_id=4, name="advanced")
    after = history.generate_account(22, EXECUTIONS, account_id=4, name="advanced")
    history.advance_account(after, history.INITIAL_NOW_MS + ADVANCE_DAYS * history.DAY_MS)
    return before, after


def all_executions(account: Account) -> list:
    return [e for order in account.orders for e in order.executions]


def snapshot(account: Account) -> tuple:
    return (account.created_at_ms, account.user_id, account.orders, account.crypto_withdrawals,
            account.fiat_withdrawals, account.deposits, account.ledger)


def expected_ledger_rows(account: Account) -> Counter:
    """Every balance movement the records imply, as (source type, source id, currency, type, amount)."""
    rows: Counter = Counter()
    for execution in all_executions(account):
        product = catalog.product(execution.product_id)
        key = ("Execution", execution.id)
        if execution.my_side == "buy":
            rows[key + (product.quoted_currency, "trade", -execution.amount)] += 1
            rows[key + (product.base_currency, "trade", execution.quantity)] += 1
        else:
            rows[key + (product.base_currency, "trade", -execution.quantity)] += 1
            rows[key + (product.quoted_currency, "trade", execution.amount)] += 1
        if execution.fee:
            rows[key + (execution.fee_currency, "trade_fee", -execution.fee)] += 1
        if execution.rebate:
            rows[key + (execution.fee_currency, "rebate_trade_fee", execution.rebate)] += 1
    for deposit in account.deposits:
        rows[("Deposit", deposit.id, deposit.currency, "funding", deposit.amount)] += 1
        if deposit.fee:
            rows[("Deposit", deposit.id, deposit.currency, "funding_fee", -deposit.fee)] += 1
    for source_type, withdrawals in (("CryptoWithdrawal", account.crypto_withdrawals),
                                     ("FiatWithdrawal", account.fiat_withdrawals)):
        for w in withdrawals:
            if w.state not in FAILED_WITHDRAWAL_STATES:
                rows[(source_type, w.id, w.currency, "withdrawal", -(w.amount - w.withdrawal_fee))] += 1
                rows[(source_type, w.id, w.currency, "withdrawal_fee", -w.withdrawal_fee)] += 1
    return rows


def actual_ledger_rows(account: Account) -> Counter:
    return Counter((e.source_type, e.source_id, e.currency, e.transaction_type, e.amount) for e in account.ledger)


def assert_never_negative(account: Account) -> None:
    running: dict[str, int] = defaultdict(int)
    for entry in account.ledger:
        running[entry.currency] += entry.amount
        assert running[entry.currency] >= 0, entry
    assert dict(running) == account.balances()
    for code, held in account.reserved_balances().items():
        assert account.balances().get(code, 0) >= held, code


def significant_digits(units: int) -> int:
    return len(str(abs(units)).strip("0")) if units else 1


# --- generation ---------------------------------------------------------------------------------


def test_same_seed_same_history_and_different_seed_different_history():
    first = history.generate_account(5, 800)
    assert snapshot(first) == snapshot(history.generate_account(5, 800))
    assert snapshot(first) != snapshot(history.generate_account(6, 800))
    assert snapshot(first) != snapshot(history.generate_account(5, 800, account_id=2))


@pytest.mark.parametrize("executions", [0, 1, 2, 3, 7, 500, 1234])
def test_exact_number_of_execution_records(executions):
    account = history.generate_account(executions, executions)
    assert len(all_executions(account)) == executions
    assert sum(len(account.executions(pid)) for pid in account.traded_product_ids()) == executions
    assert_never_negative(account)


def test_negative_execution_count_is_refused():
    with pytest.raises(ValueError, match="executions"):
        history.generate_account(1, -1)


def test_opening_and_clock(account):
    assert history.INITIAL_NOW_MS == 1_633_046_400_000
    assert 1_514_764_800_000 <= account.created_at_ms < 1_577_836_800_000
    assert account.now_ms == history.INITIAL_NOW_MS and account.seed == 21 and account.version >= 1
    times = [e.created_at_ms for e in account.ledger] + [o.updated_at_ms for o in account.orders]
    times += [w.updated_at_ms for w in account.crypto_withdrawals + account.fiat_withdrawals]
    assert account.created_at_ms <= min(times) and max(times) <= account.now_ms


def test_trades_a_handful_of_products_fiat_and_crypto_quoted(account):
    traded = account.traded_product_ids()
    assert 5 <= len(traded) <= 8
    quote_types = {catalog.currency(catalog.product(pid).quoted_currency).currency_type for pid in traded}
    assert quote_types == {"fiat", "crypto"}


def test_every_order_status_and_type(account):
    orders = account.orders
    assert {o.order_type for o in orders} == {"limit", "market"}
    by_status = defaultdict(list)
    for order in orders:
        by_status[order.status].append(order)
    assert set(by_status) == {"live", "partially_filled", "filled", "cancelled"}
    assert all(not o.executions for o in by_status["live"])
    assert all(0 < o.filled_quantity < o.quantity for o in by_status["partially_filled"])
    assert all(o.filled_quantity == o.quantity for o in by_status["filled"])
    assert all(o.filled_quantity < o.quantity for o in by_status["cancelled"])
    assert any(o.executions for o in by_status["cancelled"]) and any(not o.executions for o in by_status["cancelled"])
    assert all(o.order_type == "limit" for o in by_status["live"] + by_status["partially_filled"])
    assert any(len(o.executions) > 1 for o in by_status["filled"])


def test_open_orders_are_the_newest(account):
    open_orders = [o for o in account.orders if o.status in ("live", "partially_filled")]
    closed = [o for o in account.orders if o.status in ("filled", "cancelled")]
    assert min(o.created_at_ms for o in open_orders) >= max(o.updated_at_ms for o in closed)
    assert min(o.created_at_ms for o in open_orders) >= account.now_ms - history.TAIL_MS


def test_orders_and_fills_are_consistent(account):
    assert [o.created_at_ms for o in account.orders] == sorted(o.created_at_ms for o in account.orders)
    for order in account.orders:
        product = catalog.product(order.product_id)
        assert (order.base_currency, order.funding_currency) == (product.base_currency, product.quoted_currency)
        assert order.fee_currency in (product.quoted_currency, "QASH")
        assert order.created_at_ms <= order.updated_at_ms
        for execution in order.executions:
            assert execution.order_id == order.id and execution.my_side == order.side
            assert execution.fee_currency == order.fee_currency
            assert execution.client_order_id == order.client_order_id
            assert order.created_at_ms <= execution.created_at_ms <= order.updated_at_ms
            assert execution.quantity % 10 ** (8 - product.quantity_decimals) == 0
            assert execution.price % 10 ** (8 - product.price_decimals) == 0
            assert product.last_traded_price / 5 <= execution.price <= product.last_traded_price * 5
            if order.order_type == "limit" and execution.taker_side != execution.my_side:
                assert execution.price == order.price
    assert any(o.client_order_id for o in account.orders) and any(o.client_order_id is None for o in account.orders)


def test_fees_follow_the_product_rates_exactly(account):
    qash = Fraction(catalog.usd_price("QASH"))
    for execution in all_executions(account):
        product = catalog.product(execution.product_id)
        taker = execution.taker_side == execution.my_side
        rate = Fraction(product.taker_fee if taker else product.maker_fee)
        if execution.fee_currency == product.quoted_currency:
            expected = execution.amount * rate
        else:
            expected = (execution.amount * rate * Fraction(catalog.usd_price(product.quoted_currency)) / qash
                        * Fraction(catalog.QASH_FEE_DISCOUNT))
        assert execution.fee == (max(1, int(expected)) if rate else 0), execution
        assert 0 <= execution.rebate < max(execution.fee, 1)
        if execution.rebate:
            assert not taker or Counter(e.id for e in account.executions(execution.product_id))[execution.id] == 2


def test_qash_fees_rebates_and_order_fee(account):
    executions = all_executions(account)
    assert any(e.fee_currency == "QASH" for e in executions)
    assert any(e.rebate for e in executions)
    assert any(e.fee == 0 for e in executions)
    for order in account.orders:
        if order.fee_currency == order.funding_currency:
            assert order.order_fee == sum(e.fee - e.rebate for e in order.executions)
        else:
            assert order.fee_currency == "QASH" and order.order_fee == 0


def test_self_matches_are_two_records_of_the_accounts_own_orders(account):
    records = defaultdict(list)
    for execution in all_executions(account):
        records[execution.id].append(execution)
    pairs = [pair for pair in records.values() if len(pair) > 1]
    assert pairs and all(len(pair) == 2 for pair in pairs)
    for buy, sell in (sorted(pair, key=lambda e: e.my_side) for pair in pairs):
        assert (buy.my_side, sell.my_side) == ("buy", "sell")
        assert buy.order_id != sell.order_id
        assert account.order(buy.order_id).side == "buy" and account.order(sell.order_id).side == "sell"
        for field in ("product_id", "quantity", "price", "created_at_ms", "taker_side"):
            assert getattr(buy, field) == getattr(sell, field)
        assert buy.fee > 0 and sell.fee > 0 and bool(buy.rebate) == bool(sell.rebate)


def test_every_withdrawal_state_and_non_final_ones_only_among_the_newest(account):
    assert {w.state for w in account.crypto_withdrawals} == set(CRYPTO_WITHDRAWAL_STATES)
    assert {w.state for w in account.fiat_withdrawals} == set(FIAT_WITHDRAWAL_STATES)
    withdrawals = account.crypto_withdrawals + account.fiat_withdrawals
    newest_final = max(w.created_at_ms for w in withdrawals if w.state in FINAL_WITHDRAWAL_STATES)
    for w in withdrawals:
        assert 0 < w.withdrawal_fee < w.amount
        assert w.amount - w.withdrawal_fee >= catalog.currency(w.currency).minimum_withdrawal
        assert w.created_at_ms <= w.updated_at_ms <= account.now_ms
        if w.state not in FINAL_WITHDRAWAL_STATES:
            assert w.created_at_ms >= max(newest_final, account.now_ms - history.TAIL_MS)
    for w in account.crypto_withdrawals:
        assert (w.transaction_hash is not None) == (w.state in ("broadcasted", "processed"))
        assert w.address and w.chain_name == catalog.chain(w.currency).chain_name
        assert (w.payment_id is not None) == (catalog.chain(w.currency).address_style == "ripple")


def test_deposits_fund_the_account_some_with_a_fee(account):
    assert account.deposits
    assert any(d.fee for d in account.deposits) and any(not d.fee for d in account.deposits)
    for deposit in account.deposits:
        assert deposit.amount > deposit.fee >= 0
        crypto = catalog.currency(deposit.currency).currency_type == "crypto"
        assert (deposit.transaction_hash is not None) == crypto == (deposit.from_address is not None)


def test_balances_never_go_negative(account):
    assert_never_negative(account)


def test_ledger_matches_the_records_row_for_row(account):
    assert actual_ledger_rows(account) == expected_ledger_rows(account)


def test_ledger_is_chronological_with_increasing_unique_ids(account):
    ledger = account.ledger
    assert all(a.created_at_ms <= b.created_at_ms and a.id < b.id for a, b in zip(ledger, ledger[1:]))
    for entry in ledger:
        assert (entry.execution_id is not None) == (entry.source_type == "Execution")
        if entry.source_type == "CryptoWithdrawal":
            assert entry.to_address and entry.state


def test_ids_are_shaped_like_liquids_and_unique_per_kind(account):
    kinds = {
        "order": [o.id for o in account.orders],
        "execution": sorted({e.id for e in all_executions(account)}),
        "ledger": [e.id for e in account.ledger],
        "deposit": [d.id for d in account.deposits],
        "crypto_withdrawal": [w.id for w in account.crypto_withdrawals],
        "fiat_withdrawal": [w.id for w in account.fiat_withdrawals],
    }
    for kind, ids in kinds.items():
        assert len(set(ids)) == len(ids), kind
        assert all(i % 64 == account.id % 64 for i in ids), kind
    assert min(kinds["order"]) >= 2_000_000_000 and min(kinds["execution"]) >= 400_000_000
    assert max(kinds["crypto_withdrawal"] + kinds["fiat_withdrawal"]) < 2_000_000
    assert account.last_ids["ledger"] == max(kinds["ledger"])


def test_values_keep_at_most_15_significant_digits(account):
    for execution in all_executions(account):
        for value in (execution.quantity, execution.price, execution.amount, execution.fee):
            assert significant_digits(value) <= 15, execution
    running: dict[str, int] = defaultdict(int)
    for entry in account.ledger:
        running[entry.currency] += entry.amount
        assert significant_digits(running[entry.currency]) <= 15, entry


# --- advancing ----------------------------------------------------------------------------------


def test_advance_moves_the_clock_and_adds_activity(advanced):
    before, after = advanced
    assert after.now_ms == before.now_ms + ADVANCE_DAYS * history.DAY_MS
    assert after.version > before.version
    new_orders = after.orders[len(before.orders):]
    assert len(new_orders) > 10
    assert all(before.now_ms < o.created_at_ms <= after.now_ms for o in new_orders)
    assert len(all_executions(after)) > len(all_executions(before))
    assert all(before.now_ms < e.created_at_ms <= after.now_ms for e in after.ledger[len(before.ledger):])


def test_advance_closes_open_orders_and_finalises_withdrawals(advanced):
    before, after = advanced
    for old in before.orders:
        new = after.order(old.id)
        if old.status in ("live", "partially_filled"):
            assert new.status in ("filled", "cancelled") and before.now_ms < new.updated_at_ms <= after.now_ms
            assert new.executions[:len(old.executions)] == old.executions
        else:
            assert new == old
    pairs = [*zip(before.crypto_withdrawals, after.crypto_withdrawals),
             *zip(before.fiat_withdrawals, after.fiat_withdrawals)]
    for old, new in pairs:
        assert old.id == new.id
        if old.state in FINAL_WITHDRAWAL_STATES:
            assert new == old
        else:
            assert new.state in FINAL_WITHDRAWAL_STATES and before.now_ms < new.updated_at_ms <= after.now_ms


def test_advance_keeps_ids_stable_and_the_ledger_consistent(advanced):
    before, after = advanced
    before_ids = {e.id: e for e in before.ledger}
    after_ids = {e.id: e for e in after.ledger}
    for entry_id, entry in before_ids.items():
        if entry_id in after_ids:
            kept = after_ids[entry_id]
            assert (kept.source_type, kept.source_id, kept.amount, kept.created_at_ms) == (
                entry.source_type, entry.source_id, entry.amount, entry.created_at_ms)
        else:
            assert entry.source_type in ("CryptoWithdrawal", "FiatWithdrawal")
    assert actual_ledger_rows(after) == expected_ledger_rows(after)
    ledger = after.ledger
    assert all(a.created_at_ms <= b.created_at_ms and a.id < b.id for a, b in zip(ledger, ledger[1:]))
    assert_never_negative(after)


def test_advance_is_deterministic():
    first = history.generate_account(9, 600)
    second = history.generate_account(9, 600)
    for account in (first, second):
        history.advance_account(account, history.INITIAL_NOW_MS + 3 * history.DAY_MS)
        history.advance_account(account, history.INITIAL_NOW_MS + 40 * history.DAY_MS)
    assert snapshot(first) == snapshot(second) and first.last_ids == second.last_ids


def test_advance_in_small_steps_stays_consistent():
    account = history.generate_account(10, 600)
    for hour in range(1, 49, 6):
        history.advance_account(account, history.INITIAL_NOW_MS + hour * 3_600_000)
    history.advance_account(account, history.INITIAL_NOW_MS + 20 * history.DAY_MS)
    assert not [o for o in account.orders if o.status in ("live", "partially_filled")
                and o.created_at_ms < account.now_ms - 7 * history.DAY_MS]
    assert actual_ledger_rows(account) == expected_ledger_rows(account)
    assert_never_negative(account)


def test_advance_to_the_past_is_a_no_op_and_past_liquids_end_is_refused():
    account = history.generate_account(8, 100)
    version = account.version
    history.advance_account(account, account.now_ms)
    assert account.version == version and account.now_ms == history.INITIAL_NOW_MS
    with pytest.raises(ValueError, match="2022-11-15"):
        history.advance_account(account, history.LIQUID_END_MS + 1)
    history.advance_account(account, history.LIQUID_END_MS)
    assert account.now_ms == history.LIQUID_END_MS
    assert len(all_executions(account)) > 100
    assert_never_negative(account)
