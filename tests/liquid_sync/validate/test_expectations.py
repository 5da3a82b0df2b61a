"""``ExpectColumnDecimalsToBeBetween`` compares Arrow decimals exactly, nulls left out."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import great_expectations as gx
import pandas as pd
import pyarrow as pa

from liquid_sync.validate.datasets import Dataset
from liquid_sync.validate.expectations import ExpectColumnDecimalsToBeBetween
from liquid_sync.validate.runner import run_suites

TINY = Decimal("0.000000000000000001")


def check(data_dir, values: list, **bounds) -> tuple[int, list]:
    frame = pd.DataFrame({"x": pd.array(values, dtype=pd.ArrowDtype(pa.decimal128(38, 18)))})
    suite = gx.ExpectationSuite(name="decimals", expectations=[ExpectColumnDecimalsToBeBetween(column="x", **bounds)])
    dataset = Dataset("decimals", "decimals", lambda: frame, (), "test")
    [outcome] = run_suites(data_dir, "t", datetime.now(UTC), [dataset], [suite]).outcomes
    assert outcome.success == (outcome.unexpected_count == 0) and outcome.element_count == len(values)
    return outcome.unexpected_count, [e["x"] for e in outcome.examples]


def test_bounds_hold_to_the_last_decimal_place(tmp_path):
    assert check(tmp_path, [TINY, Decimal(5), None], min_value=0, strict_min=True) == (0, [])
    assert check(tmp_path, [-TINY, Decimal(0), None], min_value=0) == (1, ["-0.000000000000000001"])
    assert check(tmp_path, [Decimal("0.1") + TINY, Decimal("0.1")], max_value=Decimal("0.1")) == (
        1, ["0.100000000000000001"])


def test_strict_bounds_leave_out_the_bound_itself(tmp_path):
    assert check(tmp_path, [Decimal(0), Decimal(1), Decimal(2)], min_value=0, max_value=2, strict_min=True,
                 strict_max=True) == (2, ["0", "2"])
