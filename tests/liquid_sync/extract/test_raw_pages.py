from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pyarrow.parquet as pq
import pytest

from liquid_sync.extract.raw_pages import RAW_SCHEMA, PageMeta, write_page
from liquid_sync.liquid_client import parse_json

FETCHED = datetime(2021, 10, 1, 12, 30, tzinfo=UTC)


def test_page_is_written_with_metadata_and_records_as_received(tmp_path):
    records = [parse_json('{"id": 5, "price": 976382.0, "quantity": "0.5", "my_side": "buy"}'),
               parse_json('{"id": 5, "price": "976382.0", "quantity": 0.5, "my_side": "sell"}')]
    path = tmp_path / "executions" / "run=r" / "product=1" / "page-00001.parquet"
    write_page(path, records, [5, 5], PageMeta("demo", "executions", 1, 1, FETCHED, "r"))

    table = pq.read_table(path)
    assert table.schema.equals(RAW_SCHEMA)
    rows = table.to_pylist()
    assert [r["record_id"] for r in rows] == [5, 5]
    assert rows[0]["fetched_at"] == FETCHED and rows[0]["product_id"] == 1 and rows[0]["page"] == 1
    assert [json.loads(r["record"], parse_float=Decimal) for r in rows] == records
    assert '"price":976382.0' in rows[0]["record"] and '"price":"976382.0"' in rows[1]["record"]
    assert list(path.parent.iterdir()) == [path]


def test_rewriting_a_page_replaces_it(tmp_path):
    path = tmp_path / "page-00001.parquet"
    meta = PageMeta("demo", "orders", None, 1, FETCHED, "r")
    write_page(path, [{"id": 1}, {"id": 2}], [1, 2], meta)
    write_page(path, [{"id": 3}], [3], meta)
    assert pq.read_table(path).column("record_id").to_pylist() == [3]


def test_naive_fetch_time_is_refused(tmp_path):
    with pytest.raises(ValueError, match="timezone-aware"):
        naive = PageMeta("a", "orders", None, 1, datetime(2021, 1, 1), "r")
        write_page(tmp_path / "p.parquet", [{"id": 1}], [1], naive)
