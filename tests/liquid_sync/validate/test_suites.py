"""Each rule of the suites, broken in one row of a frame crafted from a clean batch, fails
with the expectation that states it, and only that one."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pandas as pd
import pyarrow as pa
import pytest

from liquid_sync.extract.raw_pages import RAW_SCHEMA
from liquid_sync.validate.datasets import RAW_KEY, RAW_PAGES, Dataset, to_frame
from liquid_sync.validate.runner import run_suites
from liquid_sync.validate.suites import (
    IN_LIFETIME,
    KEYS_NOT_NULL,
    KEYS_UNIQUE,
    KNOWN_CURRENCY,
    LIQUID_OPENED,
    build_suites,
    latest_time,
)
from tests.liquid_sync.validate.conftest import NOW, crafted

BETWEEN = "expect_column_decimals_to_be_between"
IN_SET = "expect_column_values_to_be_in_set"


def failures(dataset: Dataset, data_dir, now=NOW) -> list[tuple]:
    """(expectation type, checked columns, description, unexpected count) of each failure."""
    outcomes = run_suites(data_dir, "crafted", now, [dataset], build_suites(latest_time(now))).outcomes
    assert len(outcomes) > 1
    return [(o.expectation_type, tuple(o.columns), o.description, o.unexpected_count)
            for o in outcomes if not o.success]


def first_row(frame: pd.DataFrame, **where) -> int:
    rows = frame
    for column, value in where.items():
        rows = rows[rows[column] == value]
    return rows.index[0]


def set_value(column: str, value, **where):
    def alter(frame: pd.DataFrame) -> None:
        frame.loc[first_row(frame, **where), column] = value
    return alter


def duplicate_first_key(frame: pd.DataFrame) -> None:
    frame.loc[1, ["account", "trade_key"]] = frame.loc[0, ["account", "trade_key"]].to_list()


CASES = {
    "null key": ("trades", set_value("trade_key", None),
                 ("expect_column_values_to_not_be_null", ("trade_key",), KEYS_NOT_NULL, 1)),
    "duplicate key": ("trades", duplicate_first_key,
                      ("expect_compound_columns_to_be_unique", ("account", "trade_key"), KEYS_UNIQUE, 2)),
    "bad side": ("trades", set_value("side", "long"), (IN_SET, ("side",), "sides are buy or sell", 1)),
    "bad taker side": ("api_executions", set_value("taker_side", "short"),
                       (IN_SET, ("taker_side",), "sides are buy or sell", 1)),
    "bad order status": ("orders", set_value("status", "open"),
                         (IN_SET, ("status",), "order statuses are Liquid's", 1)),
    "bad crypto withdrawal state": ("withdrawals", set_value("state", "lost", withdrawal_type="crypto"),
                                    (IN_SET, ("state",), "crypto withdrawal states are Liquid's", 1)),
    "crypto state on a fiat withdrawal": ("withdrawals", set_value("state", "broadcasted", withdrawal_type="fiat"),
                                          (IN_SET, ("state",), "fiat withdrawal states are Liquid's", 1)),
    "zero quantity": ("trades", set_value("quantity", Decimal(0)),
                      (BETWEEN, ("quantity",), "quantities are above 0", 1)),
    "negative price": ("api_executions", set_value("price", Decimal("-5")),
                       (BETWEEN, ("price",), "prices are above 0", 1)),
    "zero order quantity": ("orders", set_value("quantity", Decimal(0)),
                            (BETWEEN, ("quantity",), "quantities are above 0", 1)),
    "negative fee": ("trades", set_value("fee", Decimal("-0.00000001")), (BETWEEN, ("fee",), "fees are 0 or more", 1)),
    "negative withdrawal fee": ("withdrawals", set_value("fee", Decimal("-1")),
                                (BETWEEN, ("fee",), "fees are 0 or more", 1)),
    "zero deposit": ("deposits", set_value("amount", Decimal(0)), (BETWEEN, ("amount",), "amounts are above 0", 1)),
    "before Liquid": ("trades", set_value("occurred_at", pd.Timestamp(LIQUID_OPENED - timedelta(microseconds=1))),
                      ("expect_column_values_to_be_between", ("occurred_at",), IN_LIFETIME, 1)),
    "in the future": ("api_executions", set_value("occurred_at", pd.Timestamp(NOW + timedelta(seconds=1))),
                      ("expect_column_values_to_be_between", ("occurred_at",), IN_LIFETIME, 1)),
    "order updated in the future": ("orders", set_value("updated_at", pd.Timestamp(NOW + timedelta(days=400))),
                                    ("expect_column_values_to_be_between", ("updated_at",), IN_LIFETIME, 1)),
    "unknown fee currency": ("trades", set_value("fee_currency", "XYZ"),
                             (IN_SET, ("fee_currency",), KNOWN_CURRENCY, 1)),
    "unknown deposit currency": ("deposits", set_value("currency", "btc"), (IN_SET, ("currency",), KNOWN_CURRENCY, 1)),
    "fiat currency on a crypto withdrawal": ("withdrawals", set_value("currency", "JPY", withdrawal_type="crypto"),
                                             (IN_SET, ("currency",), "crypto withdrawals are of crypto currencies", 1)),
}


@pytest.mark.parametrize("case", CASES)
def test_each_broken_rule_names_its_expectation(case, staged, tmp_path):
    table, alter, expected = CASES[case]
    frame = staged.frame(table)
    alter(frame)
    assert failures(crafted(table, frame), tmp_path) == [expected]


@pytest.mark.parametrize("table", ["orders", "api_executions", "trades", "withdrawals", "deposits"])
def test_the_clean_tables_pass(table, staged, tmp_path):
    assert failures(crafted(table, staged.frame(table)), tmp_path) == []


def test_a_dropped_column_fails_the_table_shape(staged, tmp_path):
    failed = failures(crafted("deposits", staged.frame("deposits").drop(columns=["fee"])), tmp_path)
    assert failed[0] == ("expect_table_columns_to_match_ordered_list", (),
                         "columns are those of warehouse table deposits", None)
    assert [f[:2] for f in failed[1:]] == [(BETWEEN, ("fee",))]  # GX cannot evaluate it


def raw_pages(table: pa.Table) -> Dataset:
    return Dataset(RAW_PAGES, RAW_PAGES, lambda: to_frame(table), RAW_KEY, "crafted")


def raw_table(**columns) -> pa.Table:
    rows = {
        "account": ["beta"], "endpoint": ["orders"], "product_id": [None], "page": [1],
        "fetched_at": [NOW], "run_id": ["run-1"], "record_id": [7], "record": ['{"id": 7}'],
    }
    return pa.table({**rows, **columns}) if columns else pa.Table.from_pydict(rows, schema=RAW_SCHEMA)


def test_raw_pages_of_the_extraction_schema_pass(tmp_path):
    assert failures(raw_pages(raw_table()), tmp_path) == []


def test_a_raw_page_without_a_column_fails_its_shape_and_the_column_checks(tmp_path):
    table = raw_table().drop_columns(["record_id"])
    failed = failures(raw_pages(table), tmp_path)
    assert [f[:2] for f in failed] == [
        ("expect_table_columns_to_match_ordered_list", ()),
        ("expect_column_values_to_be_of_type", ("record_id",)),
        ("expect_column_values_to_not_be_null", ("record_id",)),
    ]


@pytest.mark.parametrize("column, values, observed", [
    ("record_id", pa.array(["7"]), "str"),
    ("page", pa.array([1], pa.int64()), "int64"),
    ("fetched_at", pa.array([NOW.replace(tzinfo=None)], pa.timestamp("us")), "datetime64"),
])
def test_a_raw_page_column_of_another_type_fails_its_type(column, values, observed, tmp_path):
    table = raw_table()
    table = table.set_column(table.schema.get_field_index(column), column, values)
    outcomes = run_suites(tmp_path, "crafted", NOW, [raw_pages(table)], build_suites(NOW)).outcomes
    failed = [o for o in outcomes if not o.success]
    assert [(o.expectation_type, o.columns, o.observed_value) for o in failed] == [
        ("expect_column_values_to_be_of_type", [column], observed)]


def test_a_raw_page_with_a_null_record_or_an_unknown_endpoint_fails(tmp_path):
    table = raw_table(record=pa.array([None], pa.string()), endpoint=pa.array(["trades"]))
    table = table.cast(RAW_SCHEMA.remove_metadata().set(7, RAW_SCHEMA.field("record").with_nullable(True)))
    assert [f[:3] for f in failures(raw_pages(table), tmp_path)] == [
        ("expect_column_values_to_not_be_null", ("record",), "raw page columns are filled"),
        (IN_SET, ("endpoint",), "raw pages come from known endpoints"),
    ]
