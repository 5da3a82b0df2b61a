"""Outcome lines and example rows: what the failure summary says, and what it never shows."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pandas as pd

from liquid_sync.validate.datasets import Dataset
from liquid_sync.validate.outcomes import Outcome, checked_columns, failure_summary, outcome_of, to_text


def test_values_are_shown_as_short_exact_text():
    assert to_text(Decimal("1.500000000000000000")) == "1.5" and to_text(Decimal("0E-18")) == "0"
    assert to_text(datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2020-01-02T03:04:05+00:00"
    assert to_text(pd.NA) is None and to_text(None) is None
    blob = '{"id": 1, "price": "' + "9" * 200 + '"}'
    assert to_text(blob) == blob[:57] + "..."


def test_table_level_expectations_check_no_column_of_their_own():
    assert checked_columns("expect_table_columns_to_match_ordered_list", {"column_list": ["a", "b"]}) == []
    assert checked_columns("expect_compound_columns_to_be_unique", {"column_list": ["a", "b"]}) == ["a", "b"]
    assert checked_columns("expect_column_pair_values_to_be_equal", {"column_A": "a", "column_B": "b"}) == ["a", "b"]


class Config:
    def __init__(self, type_: str, kwargs: dict, description: str | None = None):
        self.type, self.kwargs, self.description = type_, kwargs, description


class Result:
    def __init__(self, config: Config, success: bool, result: dict, exception_info: dict | None = None):
        self.expectation_config, self.success, self.result = config, success, result
        self.exception_info = exception_info or {"raised_exception": False, "exception_message": None}


def test_an_example_shows_the_key_and_the_checked_columns_never_the_rest():
    frame = pd.DataFrame({"account": ["a", "b"], "record_id": [1, 2], "endpoint": ["orders", "oops"],
                          "record": ['{"secretish": "' + "x" * 100 + '"}'] * 2})
    dataset = Dataset("raw_pages", "raw_pages", lambda: frame, ("account", "record_id"), "crafted")
    result = Result(Config("expect_column_values_to_be_in_set", {"batch_id": "s-raw", "column": "endpoint",
                                                                 "value_set": ["orders"]}, "known endpoints"),
                    False, {"element_count": 2, "unexpected_count": 1, "unexpected_percent": 50.0})
    outcome = outcome_of(dataset, frame, result, [1])
    assert outcome.examples == [{"account": "b", "record_id": "2", "endpoint": "oops"}]
    assert outcome.kwargs == {"column": "endpoint", "value_set": ["orders"]}
    assert outcome.line() == ('raw_pages: expect_column_values_to_be_in_set(column=endpoint, value_set=["orders"])'
                              ' [known endpoints]: 1 of 2 rows unexpected (50%), e.g. {"account": "b",'
                              ' "record_id": "2", "endpoint": "oops"}')


def test_an_expectation_gx_could_not_evaluate_fails_with_its_error():
    frame = pd.DataFrame({"a": [1]})
    dataset = Dataset("trades", "trades", lambda: frame, (), "crafted")
    info = {"MetricConfigurationID(x)": {"raised_exception": True,
                                         "exception_message": 'The column "fee" in BatchData does not exist.'}}
    config = Config("expect_column_values_to_not_be_null", {"column": "fee"})
    outcome = outcome_of(dataset, frame, Result(config, True, {}, info), [])
    assert not outcome.success
    assert outcome.line() == ('trades: expect_column_values_to_not_be_null(column=fee): could not be evaluated:'
                              ' The column "fee" in BatchData does not exist.')


def test_a_table_shape_failure_names_missing_and_unexpected_columns():
    outcome = Outcome("deposits", "deposits", "expect_table_columns_to_match_ordered_list",
                      {"column_list": ["a", "b", "c"]}, None, False, observed_value=["a", "c", "z"])
    assert outcome.line().endswith(": missing columns ['b'], unexpected columns ['z']")


def test_the_summary_lists_failures_then_where_their_rows_come_from():
    passed = Outcome("orders", "orders", "expect_column_values_to_not_be_null", {"column": "order_id"}, None, True)
    failed = Outcome("trades", "trades", "expect_column_values_to_be_in_set", {"column": "side"}, "sides", False,
                     element_count=10, unexpected_count=1, unexpected_percent=10.0)
    sources = {"trades": "the batch's trades.parquet"}
    summary = failure_summary("b7", [passed, failed], sources, "/q/b7", "/d/index.html")
    assert summary.splitlines() == [
        "batch b7 failed validation: 1 of 2 expectations not met; nothing of it is loaded."
        " The batch is in quarantine at /q/b7. Data Docs: /d/index.html",
        "- trades: expect_column_values_to_be_in_set(column=side) [sides]: 1 of 10 rows unexpected (10%)",
        "  (trades: the batch's trades.parquet)",
    ]
