from __future__ import annotations

from decimal import Decimal

from liquid_sync.imports import REJECTED

from .support import TRADES_HEADER, data_row_counts, import_paths, query, trade, write

ROWS = "SELECT execution_id, side, quantity, fee, fee_currency, occurrence FROM file_trades ORDER BY execution_id, side"


def test_a_self_matched_execution_is_a_bought_and_a_sold_row_with_one_id(tmp_path, warehouse_path):
    lines = [trade(5, "Sold", "0.5", "100", "0.05", "JPY", "50"), trade(5, "Bought", "0.5", "100", "2", "QASH", "50")]
    import_paths(warehouse_path, write(tmp_path, "liquid_trades_demo_a_b.csv", TRADES_HEADER, lines))
    assert query(warehouse_path, ROWS) == [
        (5, "buy", Decimal("0.5"), Decimal(2), "QASH", 1),
        (5, "sell", Decimal("0.5"), Decimal("0.05"), "JPY", 1),
    ]


def test_the_same_execution_and_type_twice_rejects_the_file(tmp_path, warehouse_path):
    lines = [trade(5, "Sold", "0.5", "100", "0.05", "JPY", "50"), trade(6, "Sold", "1", "100", "0.1", "JPY", "100"),
             trade(5, "Sold", "0.5", "100", "0.05", "JPY", "50")]
    (outcome,) = import_paths(warehouse_path, write(tmp_path, "liquid_trades_demo_a_b.csv", TRADES_HEADER, lines))
    assert outcome.status == REJECTED
    assert outcome.message == (
        'liquid_trades_demo_a_b.csv line 4, column "Execution Id": "5" appears again as Sold (first on line 2)'
    )
    assert set(data_row_counts(warehouse_path).values()) == {0}


def test_a_currency_traded_against_itself_rejects_the_file(tmp_path, warehouse_path):
    lines = [trade(5, "Sold", "0.5", "100", "0.05", "JPY", "50", base="JPY")]
    (outcome,) = import_paths(warehouse_path, write(tmp_path, "liquid_trades_demo_a_b.csv", TRADES_HEADER, lines))
    assert outcome.message == (
        'liquid_trades_demo_a_b.csv line 2, column "Base Currency": "JPY" is also the quote currency'
    )


def test_alike_trades_without_ids_are_all_kept_and_counted_once_across_files(tmp_path, warehouse_path):
    alike = trade("", "Bought", "0.5", "100", "0.05", "JPY", "50")
    first = write(tmp_path, "liquid_trades_demo_1.csv", TRADES_HEADER, [alike, alike])
    second = write(tmp_path, "liquid_trades_demo_2.csv", TRADES_HEADER,
                   [alike, alike, alike, trade("", "Sold", "0.5", "100", "0.05", "JPY", "50")])
    outcomes = import_paths(warehouse_path, first, second)
    assert [o.added["file_trades"] for o in outcomes] == [2, 2]
    assert query(warehouse_path, ROWS) == [
        (None, "buy", Decimal("0.5"), Decimal("0.05"), "JPY", 1),
        (None, "buy", Decimal("0.5"), Decimal("0.05"), "JPY", 2),
        (None, "buy", Decimal("0.5"), Decimal("0.05"), "JPY", 3),
        (None, "sell", Decimal("0.5"), Decimal("0.05"), "JPY", 1),
    ]
