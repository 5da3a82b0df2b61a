"""The ``validation_results`` rows of one validation, written in one short transaction.

Validation runs between transform and load, when no sync writes the warehouse; it still
goes through the single writer (``warehouse.writer``) like every writer.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from liquid_sync.validate.outcomes import Outcome, to_text
from liquid_sync.warehouse.writer import open_writer

COLUMNS = (
    "validation_id", "batch_id", "dataset", "suite", "expectation_type", "checked_columns", "kwargs", "description",
    "success", "element_count", "unexpected_count", "unexpected_percent", "observed_value", "error", "examples",
    "validated_at",
)


def _json(value: object) -> str:
    return json.dumps(value, default=to_text, ensure_ascii=False, sort_keys=True)


def result_rows(validation_id: str, batch_id: str, validated_at: datetime, outcomes: list[Outcome]) -> list[tuple]:
    return [
        (
            validation_id, batch_id, o.dataset, o.suite, o.expectation_type, ",".join(o.columns) or None,
            _json(o.kwargs), o.description, o.success, o.element_count, o.unexpected_count, o.unexpected_percent,
            None if o.observed_value is None else _json(o.observed_value), o.error, _json(o.examples), validated_at,
        )
        for o in outcomes
    ]


def write_results(rows: list[tuple], warehouse_path: Path | None = None) -> None:
    with open_writer(warehouse_path) as session:
        con = session.con
        con.begin()
        try:
            con.executemany(
                f"INSERT INTO validation_results ({', '.join(COLUMNS)}) VALUES ({', '.join('?' for _ in COLUMNS)})",
                rows,
            )
            con.commit()
        except BaseException:
            con.rollback()
            raise
