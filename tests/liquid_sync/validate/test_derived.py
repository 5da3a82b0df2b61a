"""The cross-table rules: derived datasets from a staged batch, broken one way at a time."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pyarrow as pa
import pytest

from liquid_sync.validate.derived import derived_datasets, trade_legs
from liquid_sync.validate.runner import run_suites
from liquid_sync.validate.suites import build_suites
from tests.liquid_sync.validate.conftest import NOW

CLOSED_ORDER_RULE = "every integrated execution belongs to a closed order"


def failed(staged, tmp_path) -> list:
    datasets = derived_datasets(staged.batch_dir, staged.manifest, staged.warehouse)
    outcomes = run_suites(tmp_path, "derived", NOW, datasets, build_suites(NOW)).outcomes
    return [o for o in outcomes if not o.success]


def one_value(staged, sql: str):
    return duckdb.sql(sql.replace("{batch}", str(staged.batch_dir))).fetchall()[0][0]


def test_the_staged_batch_keeps_every_cross_table_rule(staged, tmp_path):
    datasets = {d.name: d for d in derived_datasets(staged.batch_dir, staged.manifest, staged.warehouse)}
    api_trades = one_value(staged, "SELECT count(*) FROM '{batch}/trades.parquet' WHERE source <> 'file'")
    closed = one_value(staged, "SELECT count(*) FROM '{batch}/orders.parquet' WHERE status IN ('filled', 'cancelled')")
    assert len(datasets["trade_orders"].read()) == api_trades > 0
    assert len(datasets["order_fills"].read()) == closed > 0
    assert len(datasets["trade_legs"].read()) == staged.manifest["counts"]["trades"]
    assert failed(staged, tmp_path) == []


def traded_order(staged) -> int:
    return one_value(staged, """SELECT order_id FROM '{batch}/trades.parquet' WHERE source <> 'file'
                                GROUP BY order_id ORDER BY count(*) DESC, order_id LIMIT 1""")


@pytest.mark.parametrize("change, status", [
    ("UPDATE t SET status = 'live' WHERE order_id = {order}", "live"),
    ("UPDATE t SET status = 'cancelled', filled_quantity = 0 WHERE order_id = {order}", "cancelled"),
    ("DELETE FROM t WHERE order_id = {order}", None),
])
def test_an_execution_of_an_order_that_is_not_closed_is_named(change, status, staged, tmp_path):
    order = traded_order(staged)
    trades = one_value(staged, f"SELECT count(*) FROM '{{batch}}/trades.parquet' WHERE order_id = {order}")
    staged.rewrite("orders", change.format(order=order))
    outcomes = [o for o in failed(staged, tmp_path) if o.dataset == "trade_orders"]
    assert [(o.expectation_type, o.columns, o.description, o.unexpected_count) for o in outcomes] == [
        ("expect_column_values_to_be_in_set", ["order_closed"], CLOSED_ORDER_RULE, trades)]
    example = outcomes[0].examples[0]
    assert example["order_id"] == str(order) and example["order_status"] == status
    assert example["order_closed"] == "False"


def test_execution_quantities_that_do_not_sum_to_the_filled_quantity_are_named(staged, tmp_path):
    order = traded_order(staged)
    staged.rewrite("orders", f"UPDATE t SET filled_quantity = filled_quantity + 0.00000001 WHERE order_id = {order}")
    [outcome] = failed(staged, tmp_path)
    assert (outcome.dataset, outcome.expectation_type, outcome.columns, outcome.unexpected_count) == (
        "order_fills", "expect_column_pair_values_to_be_equal", ["executions_quantity", "filled_quantity"], 1)
    assert outcome.description == "an order's execution quantities sum to its filled quantity"
    assert outcome.examples[0]["order_id"] == str(order)


def test_unbalanced_legs_are_named(staged, tmp_path):
    staged.rewrite("trades", "UPDATE t SET amount = amount + 0.000000000000000001"
                             " WHERE trade_key = (SELECT max(trade_key) FROM t)")
    [outcome] = failed(staged, tmp_path)
    assert (outcome.dataset, outcome.expectation_type, outcome.unexpected_count) == (
        "trade_legs", "expect_column_pair_values_a_to_be_greater_than_b", 1)
    assert outcome.description.startswith("the legs of each trade balance")
    assert outcome.examples[0]["legs_difference"] == "0.000000000000000001"


def legs(price: str) -> pa.Table:
    money = pa.decimal128(38, 18)
    return trade_legs(pa.table({
        "account": ["a"], "trade_key": ["file:x"], "source": ["file"],
        "quantity": pa.array([Decimal(3)], money), "price": pa.array([Decimal(price)], money),
        "amount": pa.array([Decimal(1)], money),
    }))


def test_a_price_rounded_to_18_decimals_balances_its_legs_and_a_coarser_one_does_not():
    rounded = legs("0.333333333333333333").to_pylist()[0]
    assert rounded["legs_difference"] == Decimal("1E-18") <= rounded["rounding_allowance"] == Decimal("1.5E-18")
    off = legs("0.333333333333333332").to_pylist()[0]
    assert off["legs_difference"] == Decimal("4E-18") > off["rounding_allowance"]
