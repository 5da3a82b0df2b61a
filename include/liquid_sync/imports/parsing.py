"""Checking and typing the cells of a staged export file, set-based in DuckDB.

The staged view (see ``reading.py``) holds one VARCHAR per column plus ``line``, the
record's line in the file. Every rule is an SQL expression, so a million rows are checked
in one scan, and nothing is parsed through a float:

* Spaces and tabs around a value are ignored; an empty value is missing.
* ``decimal``: ``[+-]digits[.digits]`` (or ``.digits``), at most 20 digits before the point
  and 18 after it (trailing zeros aside); no exponent, no thousands separator. Typed as
  ``DECIMAL(38,18)``, exactly.
* ``timestamp``: ``YYYY-MM-DD HH:MM:SS`` (or ``T`` between date and time), optional
  fraction of up to 6 digits, optional zone ``Z``, ``UTC`` or ``+HH[:MM]``/``-HH[:MM]``. A
  time without a zone is UTC. Typed as ``TIMESTAMPTZ``.
* ``id``: 1 to 18 digits, typed as ``BIGINT``. ``code``: letters and digits, upper-cased.
* ``choice``: one of the column's choices, in any case, stored as its mapped value.

Use: ``create_cells`` (trimmed text of the used columns), ``first_bad_cell`` (the first bad
cell in file order, lowest line then leftmost column, with the reason), then
``typed_select`` (the SELECT that types a table ``first_bad_cell`` passed).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from liquid_sync.imports import formats
from liquid_sync.imports.formats import Column, FileFormat
from liquid_sync.warehouse import first_row

MONEY = "DECIMAL(38,18)"

_DECIMAL_SHAPE = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)"
_DECIMAL = r"[+-]?(0*[0-9]{1,20}(\.[0-9]{0,18}0*)?|\.[0-9]{1,18}0*)"
_TIMESTAMP = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?"
    r" ?(Z|UTC|[+-][0-9]{2}(:?[0-9]{2})?)?"
)
_ZONE_SUFFIX = r"(Z|UTC|[+-][0-9]{2}(:?[0-9]{2})?)$"
_ID = r"[0-9]{1,18}"
_CODE = r"[A-Za-z0-9]{1,20}"


@dataclass(frozen=True)
class BadCell:
    line: int
    column: str  # the column's header
    value: str | None  # None when the value is missing
    reason: str


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _used(file_format: FileFormat) -> list[Column]:
    return [column for column in file_format.columns if column.kind != formats.UNUSED]


def create_cells(con: duckdb.DuckDBPyConnection, staged: str, file_format: FileFormat, cells: str) -> None:
    """Create temp table ``cells``: ``line`` and each used column without surrounding spaces
    and tabs, NULL when empty."""
    columns = ", ".join(f"nullif(trim(\"{c.field}\", ' \t'), '') AS \"{c.field}\"" for c in _used(file_format))
    con.execute(f"CREATE OR REPLACE TEMP TABLE {cells} AS SELECT line, {columns} FROM {staged}")


def _timestamp_text(value: str) -> str:
    """The cell text with ``+00`` appended when it names no zone, so it reads as UTC."""
    return f"CASE WHEN regexp_matches({value}, '{_ZONE_SUFFIX}') THEN {value} ELSE {value} || '+00' END"


def _in_choices(value: str, choices) -> str:
    return f"lower({value}) IN ({', '.join(_sql_text(choice.lower()) for choice in choices)})"


@dataclass(frozen=True)
class _Check:
    condition: str  # SQL, true when the cell passes
    reason: str
    implied: bool = False  # implied by a later check: only there to word the reason


def _checks(column: Column, by_field: dict[str, Column]) -> list[_Check]:
    """The column's checks, in the order their reasons are reported."""
    value = f'"{column.field}"'
    checks: list[_Check] = []
    if column.required:
        checks.append(_Check(f"{value} IS NOT NULL", "missing value"))
    elif column.required_if is not None:
        other_field, other_values = column.required_if
        other = f'"{other_field}"'
        checks.append(_Check(
            f"{value} IS NOT NULL OR {other} IS NULL OR NOT {_in_choices(other, other_values)}",
            f"missing value (required when {by_field[other_field].header} is {' or '.join(other_values)})",
        ))

    def when_present(condition: str, reason: str, implied: bool = False) -> None:
        checks.append(_Check(f"{value} IS NULL OR ({condition})", reason, implied))

    if column.kind == formats.DECIMAL:
        when_present(f"regexp_full_match({value}, '{_DECIMAL_SHAPE}')", "is not a decimal number", implied=True)
        when_present(
            f"regexp_full_match({value}, '{_DECIMAL}')", "has more than 18 decimal places or 20 integer digits"
        )
        if column.positive:
            when_present(f"TRY_CAST({value} AS {MONEY}) > 0", "is not greater than zero")
    elif column.kind == formats.TIMESTAMP:
        when_present(
            f"regexp_full_match({value}, '{_TIMESTAMP}') AND TRY_CAST({_timestamp_text(value)} AS TIMESTAMPTZ)"
            " IS NOT NULL",
            "is not a date and time (expected YYYY-MM-DD HH:MM:SS, UTC unless a zone is given)",
        )
    elif column.kind == formats.ID:
        when_present(f"regexp_full_match({value}, '{_ID}')", "is not an integer id")
    elif column.kind == formats.CODE:
        when_present(f"regexp_full_match({value}, '{_CODE}')", "is not a currency code")
    elif column.kind == formats.CHOICE:
        when_present(_in_choices(value, column.choices), f"is not one of: {', '.join(column.choices)}")
    return checks


def _fine(column: Column, by_field: dict[str, Column]) -> str | None:
    """SQL true when the column's cell is fine (None when the column has no rule)."""
    conditions = [check.condition for check in _checks(column, by_field) if not check.implied]
    if not conditions:
        return None
    return "coalesce(" + " AND ".join(f"({c})" for c in conditions) + ", false)"


def _reason(column: Column, by_field: dict[str, Column]) -> str:
    """SQL giving the first reason the column's cell is bad, NULL when it is fine."""
    branches = " ".join(
        f"WHEN NOT coalesce({check.condition}, false) THEN {_sql_text(check.reason)}"
        for check in _checks(column, by_field)
    )
    return f"CASE {branches} END"


def first_bad_cell(con: duckdb.DuckDBPyConnection, cells: str, file_format: FileFormat) -> BadCell | None:
    """The first bad cell of ``cells`` in file order, or None when every cell is fine."""
    by_field = {column.field: column for column in file_format.columns}
    ruled = [(column, fine) for column in _used(file_format) if (fine := _fine(column, by_field)) is not None]
    row = first_row(
        con,
        f"SELECT min(line) FROM {cells} WHERE NOT ({' AND '.join(fine for _, fine in ruled)})",
    )
    line = row[0] if row else None
    if line is None:
        return None
    reasons = ", ".join(_reason(column, by_field) for column, _ in ruled)
    values = ", ".join(f'"{column.field}"' for column, _ in ruled)
    found_reasons, found_values = first_row(con, f"SELECT [{reasons}], [{values}] FROM {cells} WHERE line = ?", [line])
    index = next(i for i, reason in enumerate(found_reasons) if reason is not None)
    reason = found_reasons[index]
    value = None if reason.startswith("missing value") else found_values[index]
    return BadCell(line, ruled[index][0].header, value, reason)


def _typed(column: Column) -> str:
    value = f'"{column.field}"'
    if column.kind == formats.DECIMAL:
        return f"CAST({value} AS {MONEY})"
    if column.kind == formats.TIMESTAMP:
        return f"CAST({_timestamp_text(value)} AS TIMESTAMPTZ)"
    if column.kind == formats.ID:
        return f"CAST({value} AS BIGINT)"
    if column.kind == formats.CODE:
        return f"upper({value})"
    if column.kind == formats.CHOICE:
        branches = " ".join(
            f"WHEN {_sql_text(choice.lower())} THEN {_sql_text(mapped)}" for choice, mapped in column.choices.items()
        )
        return f"CASE lower({value}) {branches} END"
    return value


def typed_select(cells: str, file_format: FileFormat) -> str:
    """SELECT of ``line`` and every used column, typed, from ``cells`` that passed the checks."""
    columns = ", ".join(f'{_typed(column)} AS "{column.field}"' for column in _used(file_format))
    return f"SELECT line, {columns} FROM {cells}"
