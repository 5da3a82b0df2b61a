"""The expectation suites, one per dataset, built in code.

Every expectation carries a ``description`` naming the rule it checks, so that a failure
reads as the rule it breaks. Enumerations follow the Liquid API (``docs``: API §6); currency
codes come from ``liquid_sync.currencies``; column lists and raw page types from the
warehouse schema and the extraction's ``RAW_SCHEMA``, so the suites follow them.

Times must fall within Liquid's lifetime (2014-01-01, when Quoine started, to the end of
2022) and not after ``now``: GX gets ``datetime`` bounds (strings are not compared as times).
"""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import great_expectations as gx
import great_expectations.expectations as gxe
import pyarrow as pa
from great_expectations.expectations.row_conditions import Column

from liquid_sync.currencies import CRYPTO, FIAT, LISTED
from liquid_sync.extract.raw_pages import RAW_SCHEMA
from liquid_sync.extract.streams import STREAMS
from liquid_sync.transform.batch import TABLES_BY_NAME
from liquid_sync.validate.datasets import BATCH_TABLES, RAW_PAGES
from liquid_sync.validate.expectations import ExpectColumnDecimalsToBeBetween
from liquid_sync.warehouse.schema import migrate

LIQUID_OPENED = datetime(2014, 1, 1, tzinfo=UTC)
LIQUID_CLOSED = datetime(2022, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)

SIDES = ("buy", "sell")
ORDER_STATUSES = ("live", "partially_filled", "filled", "cancelled")
ORDER_TYPES = ("limit", "market", "market_with_range", "stop", "trailing_stop", "limit_post_only")
CRYPTO_WITHDRAWAL_STATES = (
    "pending", "awaiting_confirmation", "to_be_reviewed", "approved", "processing", "broadcasted", "processed",
    "cancelled", "declined", "reverted",
)
FIAT_WITHDRAWAL_STATES = ("pending", "processed", "cancelled", "reverted", "declined")
TRADE_SOURCES = ("api", "file", "api+file")

KEYS_NOT_NULL = "keys are not null"
KEYS_UNIQUE = "keys are unique"
KNOWN_CURRENCY = "currency codes are known"
IN_LIFETIME = "times fall within Liquid's lifetime and not in the future"


def _in_set(column: str, values: tuple | frozenset, rule: str, **options) -> gxe.Expectation:
    return gxe.ExpectColumnValuesToBeInSet(column=column, value_set=sorted(values), description=rule, **options)


def _above_zero(column: str, what: str) -> gxe.Expectation:
    return ExpectColumnDecimalsToBeBetween(column=column, min_value=0, strict_min=True,
                                           description=f"{what} are above 0")


def _not_negative(column: str, what: str) -> gxe.Expectation:
    return ExpectColumnDecimalsToBeBetween(column=column, min_value=0, description=f"{what} are 0 or more")


def _in_lifetime(columns: tuple[str, ...], latest: datetime) -> list[gxe.Expectation]:
    return [gxe.ExpectColumnValuesToBeBetween(column=column, min_value=LIQUID_OPENED, max_value=latest,
                                              description=IN_LIFETIME) for column in columns]


def _known_currencies(*columns: str) -> list[gxe.Expectation]:
    return [_in_set(column, LISTED, KNOWN_CURRENCY) for column in columns]


def _table_shape(table: str, columns: list[str]) -> list[gxe.Expectation]:
    """Its columns are the warehouse table's, in order; its key is present and unique."""
    key = list(TABLES_BY_NAME[table].key)
    expectations = [gxe.ExpectTableColumnsToMatchOrderedList(
        column_list=columns, description=f"columns are those of warehouse table {table}")]
    expectations += [gxe.ExpectColumnValuesToNotBeNull(column=column, description=KEYS_NOT_NULL) for column in key]
    expectations.append(gxe.ExpectCompoundColumnsToBeUnique(column_list=key, description=KEYS_UNIQUE))
    return expectations


def warehouse_columns(tables: tuple[str, ...]) -> dict[str, list[str]]:
    """The columns of warehouse ``tables``, in order, from the migrations."""
    con = duckdb.connect()
    try:
        migrate(con)
        rows = con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE table_name IN (SELECT unnest(?))"
            " ORDER BY table_name, column_index",
            [list(tables)],
        ).fetchall()
    finally:
        con.close()
    columns: dict[str, list[str]] = {table: [] for table in tables}
    for table, column in rows:
        columns[table].append(column)
    return columns


def gx_type_name(arrow_type: pa.DataType) -> str:
    """The type GX observes for a raw page column of ``arrow_type`` (see ``datasets.to_frame``)."""
    if pa.types.is_string(arrow_type):
        return "str"
    if pa.types.is_integer(arrow_type):
        return str(arrow_type)
    if pa.types.is_timestamp(arrow_type):
        return "Timestamp" if arrow_type.tz else "datetime64"
    raise ValueError(f"no GX type name for Arrow type {arrow_type}")


def raw_pages_suite() -> list[gxe.Expectation]:
    expectations = [gxe.ExpectTableColumnsToMatchOrderedList(
        column_list=RAW_SCHEMA.names, description="raw pages have the extraction's columns")]
    for field in RAW_SCHEMA:
        expectations.append(gxe.ExpectColumnValuesToBeOfType(
            column=field.name, type_=gx_type_name(field.type), description="raw page columns have their types"))
        if not field.nullable:
            expectations.append(gxe.ExpectColumnValuesToNotBeNull(
                column=field.name, description="raw page columns are filled"))
    expectations.append(_in_set("endpoint", tuple(s.name for s in STREAMS), "raw pages come from known endpoints"))
    return expectations


def build_suites(latest: datetime) -> list[gx.ExpectationSuite]:
    """Every suite; times must not be after ``latest`` (the earlier of now and Liquid's end)."""
    columns = warehouse_columns(BATCH_TABLES)
    sides = "sides are buy or sell"
    expectations = {
        RAW_PAGES: raw_pages_suite(),
        "orders": [
            *_table_shape("orders", columns["orders"]),
            _in_set("side", SIDES, sides),
            _in_set("status", ORDER_STATUSES, "order statuses are Liquid's"),
            _in_set("order_type", ORDER_TYPES, "order types are Liquid's"),
            _above_zero("quantity", "quantities"),
            _above_zero("price", "prices"),
            _not_negative("filled_quantity", "filled quantities"),
            _not_negative("average_price", "average prices"),
            _not_negative("order_fee", "fees"),
            *_in_lifetime(("created_at", "updated_at"), latest),
            *_known_currencies("base_currency", "quote_currency"),
        ],
        "api_executions": [
            *_table_shape("api_executions", columns["api_executions"]),
            _in_set("side", SIDES, sides),
            _in_set("taker_side", SIDES, sides),
            _above_zero("quantity", "quantities"),
            _above_zero("price", "prices"),
            *_in_lifetime(("occurred_at",), latest),
        ],
        "trades": [
            *_table_shape("trades", columns["trades"]),
            _in_set("side", SIDES, sides),
            _in_set("taker_side", SIDES, sides),
            _in_set("source", TRADE_SOURCES, "trade sources are api, file or api+file"),
            _above_zero("quantity", "quantities"),
            _above_zero("price", "prices"),
            _not_negative("fee", "fees"),
            _not_negative("rebate", "rebates"),
            *_in_lifetime(("occurred_at",), latest),
            *_known_currencies("base_currency", "quote_currency", "fee_currency"),
        ],
        "withdrawals": [
            *_table_shape("withdrawals", columns["withdrawals"]),
            _in_set("withdrawal_type", ("crypto", "fiat"), "withdrawal types are crypto or fiat"),
            _in_set("state", CRYPTO_WITHDRAWAL_STATES, "crypto withdrawal states are Liquid's",
                    row_condition=Column("withdrawal_type") == "crypto"),
            _in_set("state", FIAT_WITHDRAWAL_STATES, "fiat withdrawal states are Liquid's",
                    row_condition=Column("withdrawal_type") == "fiat"),
            _in_set("currency", CRYPTO, "crypto withdrawals are of crypto currencies",
                    row_condition=Column("withdrawal_type") == "crypto"),
            _in_set("currency", FIAT, "fiat withdrawals are of fiat currencies",
                    row_condition=Column("withdrawal_type") == "fiat"),
            _above_zero("amount", "amounts"),
            _not_negative("fee", "fees"),
            *_in_lifetime(("occurred_at", "updated_at"), latest),
        ],
        "deposits": [
            *_table_shape("deposits", columns["deposits"]),
            _above_zero("amount", "amounts"),
            _not_negative("fee", "fees"),
            *_in_lifetime(("occurred_at",), latest),
            *_known_currencies("currency"),
        ],
        "trade_orders": [
            _in_set("order_closed", (True,), "every integrated execution belongs to a closed order"),
        ],
        "order_fills": [
            gxe.ExpectColumnPairValuesToBeEqual(
                column_A="executions_quantity", column_B="filled_quantity",
                description="an order's execution quantities sum to its filled quantity"),
        ],
        "trade_legs": [
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="rounding_allowance", column_B="legs_difference", or_equal=True,
                description="the legs of each trade balance: |amount - quantity x price| is within the rounding"
                            " of an 18-decimal price"),
        ],
    }
    return [gx.ExpectationSuite(name=name, expectations=items) for name, items in expectations.items()]


def latest_time(now: datetime) -> datetime:
    """The latest time a record may have: ``now``, or the end of Liquid if that came first."""
    return min(now, LIQUID_CLOSED)
