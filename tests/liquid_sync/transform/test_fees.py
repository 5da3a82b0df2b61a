"""Sharing an order's fee across its executions: largest remainder at 1e-8, exact sums, what exact
file fees leave."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest

from liquid_sync.transform.records import RecordError
from liquid_sync.transform.trades import allocate_fees


def shares(executions: list[tuple], order_fee: str, filled: str, matched: dict | None = None) -> dict:
    """``executions``: (execution_id, side, quantity) of one closed BTC-quoted order; ``matched``:
    (execution_id, side) -> (fee, fee currency) of the file trades matched to some of them."""
    con = duckdb.connect()
    con.execute(
        "CREATE TEMP TABLE api_x (account VARCHAR, execution_id BIGINT, side VARCHAR, order_id BIGINT,"
        " quantity DECIMAL(38,18), order_fee DECIMAL(38,18), filled_quantity DECIMAL(38,18), closed BOOLEAN,"
        " quote_currency VARCHAR)"
    )
    con.executemany(
        "INSERT INTO api_x VALUES ('a', ?, ?, 1, ?, ?, ?, true, 'BTC')",
        [[i, side, Decimal(q), Decimal(order_fee), Decimal(filled)] for i, side, q in executions],
    )
    con.execute(
        "CREATE TEMP TABLE file_decisions (account VARCHAR, api_execution_id BIGINT, api_side VARCHAR,"
        " decision VARCHAR, fee DECIMAL(38,18), fee_currency VARCHAR)"
    )
    for (i, side), (fee, currency) in (matched or {}).items():
        con.execute("INSERT INTO file_decisions VALUES ('a', ?, ?, 'matched', ?, ?)", [i, side, Decimal(fee), currency])
    allocate_fees(con)
    return {(i, s): Decimal(int(u)).scaleb(-8) for i, s, u in con.execute(
        "SELECT execution_id, side, fee_units FROM api_fee_shares").fetchall()}


def test_equal_quantities_share_the_remainder_by_id():
    got = shares([(3, "buy", "1"), (1, "buy", "1"), (2, "buy", "1")], "0.0000001", "3")
    assert got == {(1, "buy"): Decimal("0.00000004"), (2, "buy"): Decimal("0.00000003"),
                   (3, "buy"): Decimal("0.00000003")}


def test_shares_follow_quantity_and_sum_exactly():
    executions = [(i, "sell", q) for i, q in enumerate(("0.123", "2.5", "0.00000007", "1.1", "0.3"), start=1)]
    filled = str(sum(Decimal(q) for _, _, q in executions))
    fee = "0.01234567"
    got = shares(executions, fee, filled)
    assert sum(got.values()) == Decimal(fee)
    for i, _, q in executions:
        exact = Decimal(fee) * Decimal(q) / Decimal(filled)
        assert abs(got[(i, "sell")] - exact) < Decimal("0.00000001")


def test_largest_remainders_get_the_leftover_units():
    # 0.00000010 over 1, 2, 4 (of 7): exact 1.43, 2.86, 5.71 units -> 1, 3, 6
    got = shares([(1, "buy", "1"), (2, "buy", "2"), (3, "buy", "4")], "0.0000001", "7")
    assert [got[(i, "buy")] for i in (1, 2, 3)] == [Decimal("1E-8"), Decimal("3E-8"), Decimal("6E-8")]


def test_an_order_whose_executions_are_not_all_known_rounds_each_share():
    # 10 units over a fill of 3, of which one 1-unit execution is known: 3.33 -> 3
    assert shares([(1, "buy", "1")], "0.0000001", "3") == {(1, "buy"): Decimal("3E-8")}


def test_exact_file_fees_leave_the_rest_of_the_order_fee_to_the_other_executions():
    # 304 units: 272 exactly for the matched 0.05, so the unmatched 0.003 gets 32 (not 304 * 3/53 = 17)
    got = shares([(1, "sell", "0.05"), (2, "sell", "0.003")], "0.00000304", "0.053",
                 matched={(1, "sell"): ("0.00000272", "BTC")})
    assert got == {(2, "sell"): Decimal("3.2E-7")}


def test_a_matched_fee_in_another_currency_leaves_the_whole_order_fee_to_the_others():
    # 10 units over the unmatched 1 and 2 (of 3): 3.33, 6.67 -> 3, 7
    got = shares([(1, "buy", "1"), (2, "buy", "1"), (3, "buy", "2")], "0.0000001", "4",
                 matched={(1, "buy"): ("0.5", "QASH")})
    assert got == {(2, "buy"): Decimal("3E-8"), (3, "buy"): Decimal("7E-8")}


def test_a_fee_finer_than_1e_8_is_refused():
    with pytest.raises(RecordError, match="finer than 1e-8"):
        shares([(1, "buy", "1")], "0.000000001", "1")
