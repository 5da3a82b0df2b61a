from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

from liquid_sync import warehouse
from liquid_sync.validate.outcomes import Outcome
from liquid_sync.validate.results import result_rows, write_results

AT = datetime(2021, 10, 2, tzinfo=UTC)


def test_rows_keep_arguments_and_examples_as_json_and_are_written(tmp_path):
    failed = Outcome("trades", "trades", "expect_column_values_to_be_between",
                     {"column": "occurred_at", "min_value": datetime(2014, 1, 1, tzinfo=UTC), "max_value": AT},
                     "times", False, element_count=5, unexpected_count=1, unexpected_percent=20.0,
                     examples=[{"trade_key": "1:buy", "occurred_at": "2013-01-01T00:00:00+00:00"}])
    shape = Outcome("trades", "trades", "expect_table_columns_to_match_ordered_list", {"column_list": ["a"]},
                    None, True, observed_value=["a"])
    pair = Outcome("order_fills", "order_fills", "expect_column_pair_values_to_be_equal",
                   {"column_A": "executions_quantity", "column_B": "filled_quantity"}, None, False,
                   examples=[{"filled_quantity": Decimal("1.5")}], error="boom")
    rows = result_rows("b1@x", "b1", AT, [failed, shape, pair])
    assert json.loads(rows[0][6]) == {"column": "occurred_at", "max_value": "2021-10-02T00:00:00+00:00",
                                      "min_value": "2014-01-01T00:00:00+00:00"}
    assert rows[0][5] == "occurred_at" and rows[1][5] is None and rows[2][5] == "executions_quantity,filled_quantity"
    assert json.loads(rows[1][12]) == ["a"] and rows[0][12] is None
    assert json.loads(rows[2][14]) == [{"filled_quantity": "1.5"}] and rows[2][13] == "boom"

    path = tmp_path / "warehouse.duckdb"
    write_results(rows, path)
    con = warehouse.connect(path, read_only=True)
    try:
        stored = con.execute("SELECT validation_id, dataset, success, unexpected_count, validated_at"
                             " FROM validation_results ORDER BY dataset, expectation_type").fetchall()
    finally:
        con.close()
    assert [row[:4] for row in stored] == [("b1@x", "order_fills", False, None), ("b1@x", "trades", False, 1),
                                           ("b1@x", "trades", True, None)]
    assert all(row[4] == AT for row in stored)
