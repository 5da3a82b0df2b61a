from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from liquid_sync.extract.raw_pages import RAW_SCHEMA
from liquid_sync.validate.datasets import raw_page_datasets, raw_page_files, to_frame


def test_frames_keep_values_exact_and_nulls_null():
    tiny = Decimal("0.000000000000000001")
    frame = to_frame(pa.table({
        "amount": pa.array([tiny, None], pa.decimal128(38, 18)),
        "id": pa.array([1, None], pa.int64()),
        "flag": pa.array([True, None]),
        "at": pa.array([datetime(2020, 1, 1, tzinfo=UTC), None], pa.timestamp("us", tz="UTC")),
    }))
    assert frame["amount"][0] == tiny and frame["amount"].isna().tolist() == [False, True]
    assert str(frame["id"].dtype) == "Int64" and frame["id"][1] is pd.NA
    assert str(frame["flag"].dtype) == "boolean"
    assert str(frame["at"].dtype) == "datetime64[us, UTC]"


def page(path, **changes) -> None:
    table = pa.Table.from_pylist([{
        "account": "a", "endpoint": "orders", "product_id": None, "page": 1,
        "fetched_at": datetime(2021, 1, 1, tzinfo=UTC), "run_id": "r", "record_id": 1, "record": "{}",
    }], schema=RAW_SCHEMA)
    for name, values in changes.items():
        table = table.set_column(table.schema.get_field_index(name), name, values)
    pq.write_table(table, path)


def test_raw_pages_are_grouped_by_schema_the_extraction_schema_first(tmp_path):
    page(tmp_path / "odd.parquet", page=pa.array([1], pa.int64()))
    page(tmp_path / "one.parquet")
    page(tmp_path / "two.parquet")
    datasets = raw_page_datasets([tmp_path / "odd.parquet", tmp_path / "one.parquet", tmp_path / "two.parquet"])
    assert [(d.name, d.suite, len(d.read())) for d in datasets] == [("raw_pages", "raw_pages", 2),
                                                                 ("raw_pages[2]", "raw_pages", 1)]
    assert datasets[1].source == f"1 raw page file(s), the first {tmp_path / 'odd.parquet'}"
    assert str(datasets[1].read()["page"].dtype) == "Int64" and str(datasets[0].read()["page"].dtype) == "Int32"


def test_without_raw_pages_the_dataset_is_empty_with_the_extraction_columns():
    [dataset] = raw_page_datasets([])
    frame = dataset.read()
    assert dataset.name == "raw_pages" and list(frame.columns) == RAW_SCHEMA.names and frame.empty


def test_the_raw_pages_of_a_batch_are_those_its_runs_wrote(staged):
    files = raw_page_files(staged.data_dir, staged.manifest["runs"])
    assert sorted(files) == sorted(staged.data_dir.glob("raw/beta/*/run=*/**/*.parquet"))
