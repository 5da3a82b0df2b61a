"""``Outcome``: one expectation's result on one dataset, in plain values, and the failure summary.

An outcome keeps what the results table and the summary need: the expectation, the columns
it checks, success, counts, the observed value of a table or column-level expectation, the
error GX met evaluating it, and up to ``EXAMPLES`` bad rows. An example row shows the
dataset's ``example_columns`` (all its columns if None) and the checked columns, each value
as text of at most ``VALUE_CHARS`` characters (a raw ``record`` blob is never shown whole).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd

from liquid_sync.validate.datasets import Dataset

EXAMPLES = 3
VALUE_CHARS = 60
_COLUMN_ARGUMENTS = ("column", "column_A", "column_B")


@dataclass(frozen=True)
class Outcome:
    dataset: str
    suite: str
    expectation_type: str
    kwargs: dict
    description: str | None
    success: bool
    element_count: int | None = None
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    observed_value: object = None
    error: str | None = None
    examples: list[dict] = field(default_factory=list)

    @property
    def columns(self) -> list[str]:
        return checked_columns(self.expectation_type, self.kwargs)

    def line(self) -> str:
        """One line of the failure summary."""
        rule = f" [{self.description}]" if self.description else ""
        head = f"{self.dataset}: {self.expectation_type}({_arguments(self.kwargs)}){rule}"
        if self.error is not None:
            return f"{head}: could not be evaluated: {self.error}"
        if self.unexpected_count is None:
            return f"{head}: {self._observation()}"
        share = f"{self.unexpected_percent:.4g}%" if self.unexpected_percent is not None else "?%"
        examples = "; ".join(json.dumps(row, ensure_ascii=False) for row in self.examples)
        return (f"{head}: {self.unexpected_count} of {self.element_count} rows unexpected ({share})"
                + (f", e.g. {examples}" if examples else ""))

    def _observation(self) -> str:
        """What a table- or column-level expectation saw (for a column list: what differs)."""
        expected = self.kwargs.get("column_list")
        if isinstance(expected, list) and isinstance(self.observed_value, list):
            missing = [c for c in expected if c not in self.observed_value]
            extra = [c for c in self.observed_value if c not in expected]
            if missing or extra:
                return f"missing columns {missing}, unexpected columns {extra}"
            return f"columns in another order: {to_text(self.observed_value, 400)}"
        return f"observed {to_text(self.observed_value, 200)}"


def to_text(value: object, limit: int = VALUE_CHARS) -> str | None:
    """``value`` as text of at most ``limit`` characters (None for a null)."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f") if value else "0"
    elif isinstance(value, (dt.datetime, pd.Timestamp)):
        text = value.isoformat()
    elif isinstance(value, (list, tuple, set, frozenset)):
        text = json.dumps([to_text(v) for v in value], ensure_ascii=False)
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _arguments(kwargs: dict) -> str:
    return ", ".join(f"{name}={_condition(value) if name == 'row_condition' else to_text(value, 40)}"
                     for name, value in kwargs.items())


def _condition(row_condition: object) -> str | None:
    """A row condition as ``column op value`` (GX hands it over as a dict)."""
    if isinstance(row_condition, dict) and row_condition.get("type") == "comparison":
        return f"{row_condition['column']['name']} {row_condition['operator']} {row_condition['parameter']}"
    return to_text(row_condition, 40)


def _error(exception_info: dict | None) -> str | None:
    """The message of the exception GX met, from either shape of ``exception_info``."""
    if not exception_info:
        return None
    if "raised_exception" in exception_info:
        return exception_info["exception_message"] if exception_info["raised_exception"] else None
    messages = [info.get("exception_message") for info in exception_info.values() if info.get("raised_exception")]
    return "; ".join(m for m in messages if m) or None


def checked_columns(expectation_type: str, kwargs: dict) -> list[str]:
    """The columns whose values an expectation checks (none for a table-level one)."""
    if expectation_type.startswith("expect_table_"):
        return []
    return [kwargs[a] for a in _COLUMN_ARGUMENTS if a in kwargs] + list(kwargs.get("column_list", []))


def outcome_of(dataset: Dataset, frame: pd.DataFrame, result, unexpected_rows: list) -> Outcome:
    """The outcome of GX ``ExpectationValidationResult`` ``result`` on ``dataset``'s ``frame``;
    ``unexpected_rows``: the index of some of its unexpected rows, the examples."""
    config = result.expectation_config
    kwargs = {name: value for name, value in config.kwargs.items() if name != "batch_id"}
    details = result.result or {}
    error = _error(result.exception_info)
    columns = checked_columns(config.type, kwargs)
    shown = [c for c in dict.fromkeys([*(dataset.example_columns or frame.columns), *columns]) if c in frame]
    return Outcome(
        dataset=dataset.name,
        suite=dataset.suite,
        expectation_type=config.type,
        kwargs=kwargs,
        description=config.description,
        success=bool(result.success) and error is None,
        element_count=details.get("element_count"),
        unexpected_count=details.get("unexpected_count"),
        unexpected_percent=details.get("unexpected_percent"),
        observed_value=details.get("observed_value"),
        error=error,
        examples=[{column: to_text(frame.at[row, column]) for column in shown} for row in unexpected_rows[:EXAMPLES]],
    )


def failure_summary(batch_id: str, outcomes: list[Outcome], sources: dict[str, str], quarantined: str,
                    data_docs: str) -> str:
    """The failed expectations, one line each, then where each failing dataset's rows come from."""
    failed = [o for o in outcomes if not o.success]
    datasets = dict.fromkeys(o.dataset for o in failed)
    return "\n".join([
        f"batch {batch_id} failed validation: {len(failed)} of {len(outcomes)} expectations not met;"
        f" nothing of it is loaded. The batch is in quarantine at {quarantined}. Data Docs: {data_docs}",
        *(f"- {o.line()}" for o in failed),
        *(f"  ({name}: {sources[name]})" for name in datasets),
    ])
