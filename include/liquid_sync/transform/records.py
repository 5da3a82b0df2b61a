"""Typed columns from the raw ``record`` JSON text, in SQL, with errors that name the bad value.

Every field is read as text (``json_transform`` to VARCHAR: a JSON string as it is, a JSON
number as DuckDB prints the double it parsed), then cast: decimals to ``DECIMAL(38,18)`` from
that text, integers through an integral DECIMAL, Unix seconds and ``"secs.millis"`` strings to
TIMESTAMPTZ. Numbers sent as strings are exact; numbers sent as JSON numbers are exact when
their digits survive a double (what a float-serialising API sends); ``check_exact_numbers``
refuses any that do not.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from liquid_sync.warehouse import first_row

MONEY = "DECIMAL(38,18)"
TEXT, ID, DECIMAL, SECONDS, MILLIS_TEXT = "text", "id", "decimal", "seconds", "millis_text"


class RecordError(ValueError):
    """A raw record lacks a field or holds an unusable value in it."""


@dataclass(frozen=True)
class Field:
    """``column`` of the typed table from JSON key ``key`` (default: ``column``)."""

    column: str
    kind: str
    required: bool = True
    key: str | None = None

    @property
    def json_key(self) -> str:
        return self.key or self.column


def _typed(field: Field, struct: str) -> str:
    raw = f"{struct}.\"{field.json_key}\""
    if field.kind == TEXT:
        return raw
    if field.kind == DECIMAL:
        return f"TRY_CAST(trim({raw}) AS {MONEY})"
    integral = (
        f"CASE WHEN TRY_CAST(trim({raw}) AS {MONEY}) = TRY_CAST(trim({raw}) AS DECIMAL(38,0))"
        f" THEN TRY_CAST(TRY_CAST(trim({raw}) AS {MONEY}) AS BIGINT) END"
    )
    if field.kind == ID:
        return integral
    if field.kind == SECONDS:
        return f"make_timestamp(({integral}) * 1000000)::TIMESTAMPTZ"
    if field.kind == MILLIS_TEXT:
        return f"make_timestamp(CAST(TRY_CAST(trim({raw}) AS DECIMAL(20,6)) * 1000000 AS BIGINT))::TIMESTAMPTZ"
    raise ValueError(f"unknown field kind {field.kind!r}")


def json_spec(fields: tuple[Field, ...]) -> str:
    """The ``json_transform`` structure reading every field as VARCHAR."""
    return "{" + ",".join(f'"{f.json_key}":"VARCHAR"' for f in fields) + "}"


def _problem(field: Field, struct: str) -> str:
    """SQL: whether ``field`` of ``struct`` is missing (when required) or unusable."""
    present = "true" if field.required else f'{struct}."{field.json_key}" IS NOT NULL'
    return f"({_typed(field, struct)} IS NULL AND {present})"


def parse(
    con: duckdb.DuckDBPyConnection,
    source: str,
    endpoint: str,
    fields: tuple[Field, ...],
    target: str,
    keep: str = "account, run_id, fetched_at, record_id",
    record: str = "record",
) -> None:
    """Create temp table ``target``: the ``keep`` columns of ``source`` and one column per field
    read from ``source``'s JSON column ``record``. Raises ``RecordError`` for the first missing
    or unusable value, naming account, endpoint, record id, field and value."""
    spec = json_spec(fields).replace("'", "''")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {target}_json AS "
        f"SELECT {keep}, json_transform({record}, '{spec}') AS r FROM {source}"
    )
    flags = ", ".join(_problem(f, "r") for f in fields)
    bad = first_row(
        con, f"SELECT account, record_id, r, [{flags}] FROM {target}_json WHERE list_bool_or([{flags}]) LIMIT 1"
    )
    if bad is not None:
        account, record_id, values, problems = bad
        field = fields[problems.index(True)]
        value = values[field.json_key]
        problem = "missing or null" if value is None else f"unusable value {value!r}"
        raise RecordError(f"account {account!r}, {endpoint} record {record_id}, field {field.json_key!r}: {problem}")
    columns = ", ".join(f"{_typed(f, 'r')} AS {f.column}" for f in fields)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {target} AS SELECT * EXCLUDE (r), {columns} FROM {target}_json")
    con.execute(f"DROP TABLE {target}_json")


def check_exact_numbers(con: duckdb.DuckDBPyConnection, source: str, endpoint: str) -> None:
    """Raise ``RecordError`` for a record of ``source`` holding a fractional JSON number whose
    value a double does not keep (e.g. ``1234567890123.12345678`` sent unquoted)."""
    token = r'"([^"\\]+)"\s*:\s*(-?[0-9]+(?:\.[0-9]+)?[eE][-+]?[0-9]+|-?[0-9]+\.[0-9]+)\s*[,}\]]'
    bad = first_row(
        con,
        f"""SELECT account, record_id, key, number FROM (
                SELECT account, record_id, unnest(regexp_extract_all(record, $token, 1)) AS key,
                       unnest(regexp_extract_all(record, $token, 2)) AS number
                FROM {source} WHERE regexp_matches(record, $token)
            )
            WHERE TRY_CAST(number AS {MONEY}) IS DISTINCT FROM TRY_CAST(CAST(CAST(number AS DOUBLE) AS VARCHAR) AS {MONEY})
            LIMIT 1""",
        {"token": token},
    )
    if bad is not None:
        account, record_id, key, number = bad
        raise RecordError(
            f"account {account!r}, {endpoint} record {record_id}, field {key!r}: the JSON number {number} "
            "has more digits than a double keeps; it cannot be read exactly"
        )
