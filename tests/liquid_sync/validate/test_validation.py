"""``validate_batch`` as the DAG runs it: between transform and load, on emulator data."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from liquid_sync.load import load_batch
from liquid_sync.transform.batch import batch_dir
from liquid_sync.validate import ValidationFailed, validate_batch
from liquid_sync.validate.quarantine import SUMMARY, quarantine_dir
from tests.warehouse_query import query

ROOT = Path(__file__).resolve().parents[3]
SUITES = ("raw_pages", "orders", "api_executions", "trades", "withdrawals", "deposits", "trade_orders",
          "order_fills", "trade_legs")



def validate(staged) -> dict:
    return validate_batch(staged.batch_dir, data_dir=staged.data_dir, warehouse_path=staged.warehouse)


def test_a_clean_batch_passes_is_recorded_and_loads(staged):
    report = validate(staged)
    assert report["status"] == "passed" and report["batch_id"] == staged.batch_id
    assert set(report["rows"]) == set(SUITES) and report["rows"]["trades"] == staged.manifest["counts"]["trades"]
    recorded = query(staged.warehouse, "SELECT suite, success FROM validation_results WHERE validation_id = ?",
                    [report["validation_id"]])
    assert len(recorded) == report["expectations"] and all(success for _, success in recorded)
    assert {suite for suite, _ in recorded} == set(SUITES)
    index = Path(report["data_docs"])
    assert index == staged.data_dir / "data_docs" / "site" / "index.html"
    html = index.read_text(encoding="utf-8")
    assert all(suite in html for suite in SUITES)
    assert (staged.batch_dir / "manifest.json").exists()
    assert load_batch(staged.batch_dir, warehouse_path=staged.warehouse)["status"] == "loaded"


def test_a_corrupted_staged_table_stops_the_run_before_the_load(staged):
    staged.rewrite("trades", "UPDATE t SET side = 'hold' WHERE trade_key = (SELECT min(trade_key) FROM t)")
    first_key = min(staged.table("trades")["trade_key"].to_pylist())
    trades = staged.manifest["counts"]["trades"]
    with pytest.raises(ValidationFailed) as failure:
        validate(staged)
    summary = str(failure.value)
    held = quarantine_dir(staged.data_dir) / staged.batch_id
    assert f"batch {staged.batch_id} failed validation: 1 of " in summary and str(held) in summary
    [line] = [line for line in summary.splitlines() if line.startswith("- ")]
    assert line.startswith("- trades: expect_column_values_to_be_in_set(column=side, ")
    assert "[sides are buy or sell]: 1 of " in line and f'"trade_key": "{first_key}", "side": "hold"' in line

    assert not staged.batch_dir.exists() and (held / "trades.parquet").exists()
    assert (held / SUMMARY).read_text(encoding="utf-8") == summary + "\n"
    with pytest.raises(ValueError, match="not a complete batch"):
        load_batch(staged.batch_dir, warehouse_path=staged.warehouse)
    assert query(staged.warehouse, "SELECT count(*) FROM load_batches UNION ALL SELECT count(*) FROM trades") == [
        (0,), (0,)]

    [failed] = query(staged.warehouse, """SELECT dataset, expectation_type, checked_columns, unexpected_count,
                                                element_count, examples
                                         FROM validation_results WHERE NOT success""")
    assert failed[:5] == ("trades", "expect_column_values_to_be_in_set", "side", 1, trades)
    assert json.loads(failed[5]) == [{"account": "beta", "trade_key": first_key, "side": "hold"}]

    with pytest.raises(ValidationFailed) as again:
        validate(staged)
    assert str(again.value) == summary


def test_a_raw_page_of_another_type_is_named_with_its_own_dataset(staged):
    page = next(staged.data_dir.glob("raw/beta/orders/*/page-00001.parquet"))
    table = pq.read_table(page)
    position = table.schema.get_field_index("record_id")
    pq.write_table(table.set_column(position, "record_id", pa.compute.cast(table["record_id"], pa.string())), page)
    with pytest.raises(ValidationFailed) as failure:
        validate(staged)
    [line] = [line for line in str(failure.value).splitlines() if line.startswith("- ")]
    assert line.startswith("- raw_pages[2]: expect_column_values_to_be_of_type(column=record_id, type_=int64)")
    assert line.endswith(": observed str")
    assert f"  (raw_pages[2]: 1 raw page file(s), the first {page})" in str(failure.value).splitlines()


def test_data_fetched_through_the_emulators_faults_passes(pipeline):
    """Numbers drifting between JSON strings and numbers, total_pages lying, and failed,
    dropped or truncated answers (retried by the extraction) leave the data as it is."""
    pipeline.emulator.admin("/faults", {"seed": 3, "number_drift": True, "bogus_total_pages": True,
                                        "error_rate": 0.1, "drop_rate": 0.05, "malformed_rate": 0.1})
    run = pipeline.extract("beta", "full")
    assert run["retries"] > 0
    manifest = pipeline.transform([run])
    directory = batch_dir(pipeline.data_dir, manifest["batch_id"])
    report = validate_batch(directory, data_dir=pipeline.data_dir, warehouse_path=pipeline.warehouse)
    assert report["status"] == "passed"


def test_a_later_batch_passes_with_the_orders_its_trades_have_in_the_warehouse(pipeline):
    def validated_sync(mode: str) -> dict:
        manifest = pipeline.transform([pipeline.extract("beta", mode)])
        directory = batch_dir(pipeline.data_dir, manifest["batch_id"])
        report = validate_batch(directory, data_dir=pipeline.data_dir, warehouse_path=pipeline.warehouse)
        pipeline.load(manifest)
        return report | {"orders": manifest["counts"]["orders"]}

    validated_sync("full")
    pipeline.emulator.admin("/clock/advance", {"days": 9})
    later = validated_sync("incremental")
    assert later["status"] == "passed"
    assert later["rows"]["order_fills"] > later["orders"], "closed orders of earlier batches are checked too"
    assert pipeline.rows("SELECT count(DISTINCT validation_id) FROM validation_results") == [(2,)]


def test_importing_the_validation_does_not_import_great_expectations():
    check = "import sys, liquid_sync.validate; print('great_expectations' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", check], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
