"""One trade in both exports makes one row, whatever order the files come in."""

from __future__ import annotations

from decimal import Decimal
from itertools import permutations

import pytest

from .support import TRADES_HEADER, entry, import_paths, ledger_files, query, trade, write

ALL_COLUMNS = (
    "SELECT execution_id, side, base_currency, quote_currency, quantity, price, amount, fee, fee_currency,"
    " occurred_at, trades_file_id IS NOT NULL, ledger_file_id IS NOT NULL FROM file_trades"
    " ORDER BY execution_id, side"
)


def ledger_rows() -> list[str]:
    """Execution 7 (BTC/JPY buy, net fee 3000 JPY) and 8 (self-matched XRP/LTC, LTC quote)."""
    return [
        entry(100, "trade", "-2500000", "JPY", 7), entry(101, "trade", "0.5", "BTC", 7),
        entry(102, "trade_fee", "-3750", "JPY", 7), entry(103, "rebate_trade_fee", "750", "JPY", 7),
        entry(110, "trade", "-30", "XRP", 8), entry(111, "trade", "0.3", "LTC", 8),
        entry(112, "trade_fee", "-0.0003", "LTC", 8),
        entry(113, "trade", "-0.3", "LTC", 8), entry(114, "trade", "30", "XRP", 8),
        entry(115, "trade_fee", "-0.0009", "LTC", 8),
    ]


def trades_lines(with_ids: bool = True) -> list[str]:
    def ids(number: int) -> object:
        return number if with_ids else ""

    return [
        trade(ids(7), "Bought", "0.5", "5000000", "3000", "JPY", "2500000"),
        trade(ids(8), "Sold", "30", "0.01", "0.0003", "LTC", "0.3", base="XRP", quote="LTC"),
        trade(ids(8), "Bought", "30", "0.01", "0.0009", "LTC", "0.3", base="XRP", quote="LTC"),
    ]


EXPECTED = [
    (7, "buy", "BTC", "JPY", Decimal("0.5"), Decimal(5000000), Decimal(2500000), Decimal(3000), "JPY", True, True),
    (8, "buy", "XRP", "LTC", Decimal(30), Decimal("0.01"), Decimal("0.3"), Decimal("0.0009"), "LTC", True, True),
    (8, "sell", "XRP", "LTC", Decimal(30), Decimal("0.01"), Decimal("0.3"), Decimal("0.0003"), "LTC", True, True),
]


def without_time(rows: list[tuple]) -> list[tuple]:
    return [row[:9] + row[10:] for row in rows]


@pytest.mark.parametrize("with_ids", [True, False])
@pytest.mark.parametrize("order", list(permutations(range(3))))
def test_trades_export_and_ledger_merge_into_one_row_per_trade_in_any_order(tmp_path, warehouse_path, order, with_ids):
    crypto, fiat = ledger_files(tmp_path, "a_b", ledger_rows())
    trades = write(tmp_path, "liquid_trades_demo_a_b.csv", TRADES_HEADER, trades_lines(with_ids))
    files = [trades, crypto, fiat]
    import_paths(warehouse_path, *(files[i] for i in order))
    assert without_time(query(warehouse_path, ALL_COLUMNS)) == EXPECTED


def test_the_ledger_fee_wins_and_the_trades_export_names_the_pair(tmp_path, warehouse_path):
    lines = trades_lines()
    lines[0] = lines[0].replace(",3000,", ",2999.99,")
    import_paths(warehouse_path, write(tmp_path, "liquid_trades_demo_a_b.csv", TRADES_HEADER, lines))
    # Ledger alone would call XRP the quote (alphabetically later); the trades export says LTC.
    import_paths(warehouse_path, *ledger_files(tmp_path, "a_b", ledger_rows()))
    assert without_time(query(warehouse_path, ALL_COLUMNS)) == EXPECTED


def test_a_second_trades_export_keeps_the_first_ones_source(tmp_path, warehouse_path):
    first = write(tmp_path, "liquid_trades_demo_1.csv", TRADES_HEADER, trades_lines())
    second = write(tmp_path, "liquid_trades_demo_2.csv", TRADES_HEADER, trades_lines()[::-1])
    outcomes = import_paths(warehouse_path, first, second)
    assert [o.added["file_trades"] for o in outcomes] == [3, 0]
    assert query(warehouse_path, "SELECT DISTINCT i.file_name FROM file_trades AS t"
                                 " JOIN file_imports AS i ON i.file_id = t.trades_file_id") == [(first.name,)]


def test_an_idless_trade_folds_into_the_nth_alike_trade_with_an_id(tmp_path, warehouse_path):
    alike = trade("", "Bought", "0.5", "100", "0.05", "JPY", "50")
    import_paths(warehouse_path, write(tmp_path, "liquid_trades_demo_1.csv", TRADES_HEADER, [alike, alike, alike]))
    rows = []
    for n, execution_id in enumerate((31, 32)):
        rows += [entry(200 + 3 * n, "trade", "-50", "JPY", execution_id),
                 entry(201 + 3 * n, "trade", "0.5", "BTC", execution_id),
                 entry(202 + 3 * n, "trade_fee", "-0.05", "JPY", execution_id)]
    import_paths(warehouse_path, *ledger_files(tmp_path, "a_b", rows))
    assert query(warehouse_path, "SELECT execution_id, trades_line, ledger_line FROM file_trades ORDER BY 1") == [
        (31, 2, 2), (32, 3, 4), (None, 4, None)
    ]
