from __future__ import annotations

from decimal import Decimal

import pytest

from .support import entry, import_paths, ledger_files, query

TRADES = (
    "SELECT execution_id, side, base_currency, quote_currency, quantity, price, amount, fee, fee_currency"
    " FROM file_trades ORDER BY execution_id, side"
)


def execution(first_id: int, execution_id: int, side: str, base: tuple[str, str], quote: tuple[str, str],
              fee: tuple[str, str] | None = None, rebate: str | None = None) -> list[str]:
    """One side's ledger rows: its two legs, then its fee, then its rebate."""
    (base_code, quantity), (quote_code, amount) = base, quote
    legs = [(quote_code, f"-{amount}"), (base_code, quantity)] if side == "buy" else \
        [(base_code, f"-{quantity}"), (quote_code, amount)]
    rows = [("trade", value, code) for code, value in legs]
    if fee:
        rows.append(("trade_fee", f"-{fee[0]}", fee[1]))
    if rebate:
        rows.append(("rebate_trade_fee", rebate, fee[1]))
    return [entry(first_id + i, kind, value, code, execution_id) for i, (kind, value, code) in enumerate(rows)]


BTC_JPY_BUY = execution(100, 7, "buy", ("BTC", "0.5"), ("JPY", "2500000"), fee=("3750", "JPY"), rebate="750")


@pytest.mark.parametrize("fiat_first", [False, True])
def test_a_trade_whose_legs_are_in_two_files_is_assembled_once_both_are_in(tmp_path, warehouse_path, fiat_first):
    crypto, fiat = ledger_files(tmp_path, "a_b", BTC_JPY_BUY)
    first, second = (fiat, crypto) if fiat_first else (crypto, fiat)
    (outcome,) = import_paths(warehouse_path, first)
    assert outcome.pending == 1
    assert query(warehouse_path, "SELECT count(*) FROM file_trades") == [(0,)]
    (outcome,) = import_paths(warehouse_path, second)
    assert outcome.pending == 0
    assert query(warehouse_path, TRADES) == [
        (7, "buy", "BTC", "JPY", Decimal("0.5"), Decimal(5000000), Decimal(2500000), Decimal(3000), "JPY")
    ]
    (source,) = query(warehouse_path, "SELECT i.file_name, t.ledger_line FROM file_trades AS t"
                                      " JOIN file_imports AS i ON i.file_id = t.ledger_file_id")
    assert source == (fiat.name, 2)  # the trade's first ledger row (lowest transaction_id): its JPY leg


def test_a_self_matched_execution_of_eight_rows_gives_a_buy_and_a_sell_with_their_own_fees(tmp_path, warehouse_path):
    maker = execution(200, 9, "sell", ("ETH", "2"), ("BTC", "0.136"), fee=("0.000136", "BTC"), rebate="0.000034")
    taker = execution(204, 9, "buy", ("ETH", "2"), ("BTC", "0.136"), fee=("0.000408", "BTC"), rebate="0.000102")
    import_paths(warehouse_path, *ledger_files(tmp_path, "a_b", maker + taker))
    assert query(warehouse_path, TRADES) == [
        (9, "buy", "ETH", "BTC", Decimal(2), Decimal("0.068"), Decimal("0.136"), Decimal("0.000306"), "BTC"),
        (9, "sell", "ETH", "BTC", Decimal(2), Decimal("0.068"), Decimal("0.136"), Decimal("0.000102"), "BTC"),
    ]


def test_a_self_matched_fiat_trade_of_six_rows_split_across_files_with_a_qash_fee(tmp_path, warehouse_path):
    buy = execution(300, 11, "buy", ("BTC", "0.01"), ("JPY", "50000"), fee=("75", "JPY"))
    sell = execution(303, 11, "sell", ("BTC", "0.01"), ("JPY", "50000"), fee=("416.66666667", "QASH"))
    crypto, fiat = ledger_files(tmp_path, "a_b", buy + sell)
    (outcome,) = import_paths(warehouse_path, crypto)
    assert outcome.pending == 1
    import_paths(warehouse_path, fiat)
    assert query(warehouse_path, TRADES) == [
        (11, "buy", "BTC", "JPY", Decimal("0.01"), Decimal(5000000), Decimal(50000), Decimal(75), "JPY"),
        (11, "sell", "BTC", "JPY", Decimal("0.01"), Decimal(5000000), Decimal(50000), Decimal("416.66666667"), "QASH"),
    ]


@pytest.mark.parametrize(
    ("base", "quote", "fee_currency"),
    [
        ("ETH", "BTC", "QASH"),  # neither leg is the fee currency: BTC is preferred as quote
        ("QASH", "BTC", "QASH"),  # a QASH fee does not make QASH the quote
        ("QASH", "ETH", "ETH"),  # a non-QASH fee currency that is a leg is the quote
        ("BTC", "USDT", "USDT"),
        ("BTC", "ETH", "ETH"),  # against the preference order, the fee currency decides
        ("SOL", "XRP", "QASH"),  # no rule applies: the alphabetically later code is the quote
    ],
)
def test_the_quote_currency_of_a_ledger_trade(tmp_path, warehouse_path, base, quote, fee_currency):
    rows = execution(400, 13, "sell", (base, "3"), (quote, "0.75"), fee=("0.01", fee_currency))
    import_paths(warehouse_path, *ledger_files(tmp_path, "a_b", rows))
    assert query(warehouse_path, "SELECT side, base_currency, quote_currency, price FROM file_trades") == [
        ("sell", base, quote, Decimal("0.25"))
    ]


def test_a_trade_without_fee_rows_has_a_zero_fee_in_the_quote_currency(tmp_path, warehouse_path):
    import_paths(warehouse_path, *ledger_files(tmp_path, "a_b", execution(500, 15, "buy", ("BTC", "1"), ("USD", "1"))))
    assert query(warehouse_path, "SELECT fee, fee_currency FROM file_trades") == [(Decimal(0), "USD")]


def test_a_price_that_does_not_end_is_rounded_to_18_places(tmp_path, warehouse_path):
    import_paths(warehouse_path, *ledger_files(tmp_path, "a_b", execution(500, 15, "buy", ("BTC", "3"), ("USD", "1"))))
    assert query(warehouse_path, "SELECT price FROM file_trades") == [(Decimal("0.333333333333333333"),)]


def test_a_side_with_fees_in_two_currencies_is_not_assembled(tmp_path, warehouse_path):
    rows = execution(600, 17, "buy", ("BTC", "1"), ("USD", "100"), fee=("1", "USD"))
    rows.append(entry(610, "trade_fee", "-5", "QASH", 17))
    outcomes = import_paths(warehouse_path, *ledger_files(tmp_path, "a_b", rows))
    assert outcomes[-1].pending == 1
    assert query(warehouse_path, "SELECT count(*) FROM file_trades") == [(0,)]
    assert query(warehouse_path, "SELECT count(*) FROM file_ledger_entries") == [(4,)]


def test_quick_exchange_rows_at_one_time_are_one_conversion_even_across_files(tmp_path, warehouse_path):
    rows = [entry(700, "quick_exchange", "-10000", "JPY", at="2021-05-01 09:30:00"),
            entry(701, "quick_exchange", "0.002", "BTC", at="2021-05-01 09:30:00"),
            entry(702, "quick_exchange", "-0.001", "BTC", at="2021-05-02 09:30:00")]
    crypto, fiat = ledger_files(tmp_path, "a_b", rows)
    (outcome,) = import_paths(warehouse_path, crypto)
    assert outcome.pending == 2
    (outcome,) = import_paths(warehouse_path, fiat)
    assert outcome.pending == 1  # the lone BTC row of May 2nd
    assert query(warehouse_path, TRADES) == [
        (None, "buy", "BTC", "JPY", Decimal("0.002"), Decimal(5000000), Decimal(10000), Decimal(0), "JPY")
    ]
