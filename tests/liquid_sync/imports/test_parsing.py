"""Cell rules, seen through ``import_files`` as a user sees them: the exact message, and
nothing written for a rejected file."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from liquid_sync.imports import IMPORTED, REJECTED

from .support import CRYPTO_HEADER, TRADES_HEADER, data_row_counts, entry, import_paths, query, trade, write

GOOD = trade(1, "Bought", "0.5", "100", "1", "JPY", "50")
NAME = "liquid_trades_demo_a_b.csv"


def rejection(tmp_path, warehouse_path, header: str, lines: list[str]) -> str:
    path = write(tmp_path, NAME, header, lines)
    (outcome,) = import_paths(warehouse_path, path)
    assert outcome.status == REJECTED
    assert set(data_row_counts(warehouse_path).values()) == {0}
    return outcome.message


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        (trade(2, "Sold", "0.5", '"12,5"', "1", "JPY", "50"), 'column "Price": "12,5" is not a decimal number'),
        (trade(2, "Sold", "0.5", "1e5", "1", "JPY", "50"), 'column "Price": "1e5" is not a decimal number'),
        (trade(2, "Sold", "0.5", "1.2.3", "1", "JPY", "50"), 'column "Price": "1.2.3" is not a decimal number'),
        (trade(2, "Sold", "0.5", "100", "0.1234567890123456789", "JPY", "50"),
         'column "Fee": "0.1234567890123456789" has more than 18 decimal places or 20 integer digits'),
        (trade(2, "Sold", "123456789012345678901", "100", "1", "JPY", "50"),
         'column "Open Qty": "123456789012345678901" has more than 18 decimal places or 20 integer digits'),
        (trade(2, "Sold", "0", "100", "1", "JPY", "50"), 'column "Open Qty": "0" is not greater than zero'),
        (trade(2, "Sold", "0.5", "100", "", "JPY", "50"), 'column "Fee": missing value'),
        (trade(2, "Sold", "0.5", "100", "1", "  ", "50"), 'column "Fee Currency": missing value'),
        (trade(2, "Swapped", "0.5", "100", "1", "JPY", "50"), 'column "Type": "Swapped" is not one of: Bought, Sold'),
        (trade(2, "Sold", "0.5", "100", "1", "JPY", "50", at="2021-02-30 10:00:00"),
         'column "Date": "2021-02-30 10:00:00" is not a date and time'),
        (trade(2, "Sold", "0.5", "100", "1", "JPY", "50", at="01/03/2021 10:00"),
         'column "Date": "01/03/2021 10:00" is not a date and time'),
        (trade(2, "Sold", "0.5", "100", "1", "JPY", "50", at="2021-03-01"),
         'column "Date": "2021-03-01" is not a date and time'),
        (trade("x2", "Sold", "0.5", "100", "1", "JPY", "50"), 'column "Execution Id": "x2" is not an integer id'),
        (trade(2, "Sold", "0.5", "100", "1", "JPY", "50", quote="J-Y"),
         'column "Quote Currency": "J-Y" is not a currency code'),
    ],
)
def test_a_bad_cell_rejects_the_file_naming_line_column_and_value(tmp_path, warehouse_path, bad_line, message):
    text = rejection(tmp_path, warehouse_path, TRADES_HEADER, [GOOD, GOOD.replace(",1,", ",3,", 1), bad_line])
    assert text.startswith(f"{NAME} line 4, {message}")


def test_the_first_bad_cell_in_file_order_is_reported(tmp_path, warehouse_path):
    lines = [GOOD, trade(2, "Sold", "x", "y", "1", "JPY", "50"), trade(3, "Nope", "0.5", "100", "1", "JPY", "50")]
    text = rejection(tmp_path, warehouse_path, TRADES_HEADER, lines)
    assert text == f'{NAME} line 3, column "Open Qty": "x" is not a decimal number'


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        (entry(12, "trade", "-1", "BTC"),
         'column "execution_id": missing value (required when transaction_type is trade or trade_fee or '
         "rebate_trade_fee)"),
        (entry(12, "funding", "1", "BTC", source=("", "")),
         'column "generated_for_type": missing value (required when transaction_type is funding or funding_fee or '
         "withdrawal or withdrawal_fee)"),
        (entry(12, "loan", "1", "BTC", execution_id=5),
         'column "transaction_type": "loan" is not one of: trade, trade_fee, rebate_trade_fee, funding, funding_fee, '
         "withdrawal, withdrawal_fee, quick_exchange"),
        (entry(12, "trade", "1", "BTC", execution_id=5).replace('"RECEIVE"', '"GIVE"'),
         'column "direction": "GIVE" is not one of: PAY, RECEIVE'),
        (entry(12, "trade", "1", "BTC", execution_id=5, at="2021-03-01 25:00:00"),
         'column "created_at_utc": "2021-03-01 25:00:00 UTC" is not a date and time'),
    ],
)
def test_bad_ledger_cells_are_reported_the_same_way(tmp_path, warehouse_path, bad_line, message):
    good = entry(11, "trade", "1", "BTC", execution_id=5)
    text = rejection(tmp_path, warehouse_path, CRYPTO_HEADER, [good, bad_line])
    assert text.startswith(f"{NAME} line 3, {message}")


def test_unused_columns_are_not_checked(tmp_path, warehouse_path):
    line = entry(11, "funding", "1", "BTC", source=("Deposit", 9)).replace(" JST", " whenever")
    path = write(tmp_path, NAME, CRYPTO_HEADER, [line])
    assert [o.status for o in import_paths(warehouse_path, path)] == [IMPORTED]


@pytest.mark.parametrize(
    "date",
    ["2021-03-01 10:00:00", "2021-03-01T10:00:00", "2021-03-01T10:00:00Z", "2021-03-01 10:00:00 UTC",
     "2021-03-01T19:00:00+09:00", "2021-03-01 05:00:00-0500", "2021-03-01 19:00:00+09"],
)
def test_times_without_a_zone_are_utc_and_zoned_times_are_converted(tmp_path, warehouse_path, date):
    path = write(tmp_path, NAME, TRADES_HEADER, [trade(1, "Bought", "0.5", "100", "1", "JPY", "50", at=date)])
    import_paths(warehouse_path, path)
    assert query(warehouse_path, "SELECT occurred_at FROM file_trades") == [
        (datetime(2021, 3, 1, 10, 0, tzinfo=timezone.utc),)
    ]


def test_decimals_are_kept_exactly_and_stray_spaces_and_quotes_are_ignored(tmp_path, warehouse_path):
    line = ' JPY , "btc" , 1 , bought ,2021-03-01 10:00:00, "0.123456789012345678" ,100.10000000000000000000,' \
           '-0.000000000000000001,qash, 12.3456789012345678'
    path = write(tmp_path, NAME, TRADES_HEADER, [line], bom=True)
    assert [o.status for o in import_paths(warehouse_path, path)] == [IMPORTED]
    row = query(warehouse_path,
                "SELECT base_currency, side, quantity, price, fee, fee_currency, amount FROM file_trades")
    assert row == [("BTC", "buy", Decimal("0.123456789012345678"), Decimal("100.1"), Decimal("-1E-18"), "QASH",
                    Decimal("12.3456789012345678"))]
