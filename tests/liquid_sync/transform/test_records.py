"""Typed columns from raw record JSON: exact decimals from strings and drifted numbers, clear
errors for unusable values."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import duckdb
import pytest

from liquid_sync.transform.records import (
    DECIMAL,
    ID,
    MILLIS_TEXT,
    SECONDS,
    TEXT,
    Field,
    RecordError,
    check_exact_numbers,
    parse,
)

FIELDS = (
    Field("execution_id", ID, key="id"),
    Field("quantity", DECIMAL),
    Field("stamp", MILLIS_TEXT, key="timestamp"),
    Field("created_at", SECONDS),
    Field("side", TEXT, key="my_side"),
    Field("note", TEXT, required=False),
)


def raw(*records: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(
        "CREATE TABLE raw (account VARCHAR, run_id VARCHAR, fetched_at TIMESTAMPTZ, record_id BIGINT, record VARCHAR)"
    )
    con.executemany("INSERT INTO raw VALUES ('demo', 'r', now(), ?, ?)", list(enumerate(records, start=1)))
    return con


def test_strings_and_drifted_numbers_read_exactly():
    con = raw(
        '{"id": 400000001, "quantity": "0.00000001", "timestamp": "1632493065.665", "created_at": 1632493065,'
        ' "my_side": "buy"}',
        '{"id": "400000002", "quantity": 976382.1, "timestamp": "1632493066.000", "created_at": "1632493066",'
        ' "my_side": "sell", "note": "x"}',
    )
    check_exact_numbers(con, "raw", "/executions/me")
    parse(con, "raw", "/executions/me", FIELDS, "typed")
    rows = con.execute("SELECT execution_id, quantity, stamp, created_at, side, note FROM typed ORDER BY 1").fetchall()
    assert rows == [
        (400000001, Decimal("0.00000001"), datetime(2021, 9, 24, 14, 17, 45, 665000, UTC),
         datetime(2021, 9, 24, 14, 17, 45, tzinfo=UTC), "buy", None),
        (400000002, Decimal("976382.1"), datetime(2021, 9, 24, 14, 17, 46, tzinfo=UTC),
         datetime(2021, 9, 24, 14, 17, 46, tzinfo=UTC), "sell", "x"),
    ]


GOOD = {"id": 1, "quantity": "1", "timestamp": "1", "created_at": 1, "my_side": "buy"}


@pytest.mark.parametrize("change, message", [
    ({"id": None}, "field 'id': missing or null"),
    ({"id": 1.5}, "field 'id': unusable value '1.5'"),
    ({"quantity": "1,5"}, "field 'quantity': unusable value '1,5'"),
    ({"created_at": "yesterday"}, "field 'created_at': unusable value 'yesterday'"),
])
def test_bad_values_name_account_endpoint_record_and_field(change, message):
    record = json.dumps(GOOD | change)
    with pytest.raises(RecordError, match=f"account 'demo', /executions/me record 1, {message}"):
        parse(raw(record), "raw", "/executions/me", FIELDS, "typed")


def test_a_json_number_a_double_cannot_hold_is_refused():
    con = raw('{"id": 7, "quantity": 1234567890123.12345678, "my_side": "buy"}')
    with pytest.raises(RecordError, match=r"record 1, field 'quantity': the JSON number 1234567890123.12345678"):
        check_exact_numbers(con, "raw", "/executions/me")
