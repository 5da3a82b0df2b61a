"""``ExpectColumnDecimalsToBeBetween``: GX's ``ExpectColumnValuesToBeBetween`` for money columns.

GX compares values of a column that is not of a numpy int, float or datetime type one by one
in Python: over a million Arrow decimals that is about a second per column. This expectation
has the same arguments, meaning and rendering; its metric compares the whole Arrow decimal
column at once against ``Decimal`` bounds, so the comparison stays exact.

Importing this module registers the metric and the expectation with GX.
"""

from __future__ import annotations

from decimal import Decimal

import great_expectations.expectations as gxe
import pandas as pd
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.metrics import ColumnMapMetricProvider, column_condition_partial


def _exact(bound: object) -> object:
    """A numeric bound as a ``Decimal`` (GX may hand over ``0`` as ``0.0``)."""
    if isinstance(bound, (int, float)) and not isinstance(bound, bool):
        return Decimal(str(bound))
    return bound


class ColumnDecimalsBetween(ColumnMapMetricProvider):
    condition_metric_name = "column_values.decimals_between"
    condition_value_keys = ("min_value", "max_value", "strict_min", "strict_max")

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column, min_value=None, max_value=None, strict_min=False, strict_max=False, **kwargs):
        if min_value is None and max_value is None:
            raise ValueError("min_value and max_value cannot both be None")
        within = pd.Series(True, index=column.index)
        if min_value is not None:
            low = _exact(min_value)
            within &= column > low if strict_min else column >= low
        if max_value is not None:
            high = _exact(max_value)
            within &= column < high if strict_max else column <= high
        return within


class ExpectColumnDecimalsToBeBetween(gxe.ExpectColumnValuesToBeBetween):
    """Expect the column's decimal values to lie between ``min_value`` and ``max_value``."""

    map_metric = "column_values.decimals_between"
