"""The transform as the DAG calls it: which runs and accounts a batch takes, and how."""

from __future__ import annotations

import pytest

from liquid_sync.transform import transform
from tests.liquid_sync.pipeline import Pipeline


class Interrupted(Exception):
    pass


def test_an_unfinished_run_is_refused_until_it_is_resumed(pipeline):
    def stop(event):
        if event.endpoint == "orders" and event.page == 1:
            raise Interrupted

    with pytest.raises(Interrupted):
        pipeline.extract("beta", "full", on_page=stop)
    run = {"account": "beta", "run_id": f"run-{pipeline.batches}"}
    with pytest.raises(ValueError, match="is not finished; rerun the extraction with the same run id"):
        pipeline.transform([run])
    pipeline.extract("beta", "full")  # a new run; the interrupted one stays unfinished
    with pytest.raises(ValueError, match="has no manifest"):
        pipeline.transform([{"account": "beta", "run_id": "never-ran"}])


def test_a_batch_is_written_once(pipeline):
    runs = [pipeline.extract("beta", "full")]
    first = transform(runs, "fixed", data_dir=pipeline.data_dir, warehouse_path=pipeline.warehouse)
    again = transform(runs, "fixed", data_dir=pipeline.data_dir, warehouse_path=pipeline.warehouse)
    assert again == first
    assert first["counts"]["trades"] > 0 and first["state_accounts"] == ["beta"]
    with pytest.raises(ValueError, match="batch id"):
        transform(runs, "../escape", data_dir=pipeline.data_dir, warehouse_path=pipeline.warehouse)


def test_accounts_with_newly_imported_files_join_the_batch(pipeline):
    pipeline.sync(["alpha"], "full")
    pipeline.import_files("beta", pipeline.export("beta"))
    manifest = pipeline.transform([])
    assert manifest["accounts"] == ["beta"] and manifest["runs"] == []
    pipeline.load(manifest)
    file_trades = pipeline.rows("SELECT count(*) FROM file_trades WHERE account = 'beta'")[0][0]
    assert pipeline.rows("SELECT source, count(*) FROM trades WHERE account = 'beta' GROUP BY 1") == [
        ("file", file_trades)]
    assert pipeline.transform([])["accounts"] == [], "nothing new to load"


def test_drifted_number_types_give_the_same_trades(emulator, tmp_path):
    plain = Pipeline(emulator, tmp_path / "plain")
    plain.sync(["beta"], "full")
    emulator.admin("/faults", {"seed": 1, "number_drift": True})
    drifted = Pipeline(emulator, tmp_path / "drifted")
    drifted.sync(["beta"], "full")
    assert drifted.table("trades") == plain.table("trades")
    assert drifted.table("orders") == plain.table("orders")


def test_a_run_started_from_cursors_that_are_no_longer_committed_loads_records_but_not_cursors(pipeline):
    pipeline.sync(["beta"], "full")
    emulator = pipeline.emulator
    emulator.admin("/clock/advance", {"days": 9})
    first = pipeline.extract("beta")
    second = pipeline.extract("beta")
    manifest = pipeline.transform([first, second])
    assert [r["state_committed"] for r in manifest["runs"]] == [True, False]
    pipeline.load(manifest)
    assert pipeline.rows("SELECT DISTINCT state_run_id FROM sync_state") == [(first["run_id"],)]
    assert pipeline.rows("SELECT run_id, state_committed FROM runs ORDER BY run_id")[-2:] == [
        (first["run_id"], True), (second["run_id"], False)]


def test_no_token_secret_reaches_the_batches_or_the_warehouse(pipeline):
    manifest = pipeline.transform([pipeline.extract("beta", "full")])
    summary = pipeline.load(manifest)
    secrets = [t.secret.encode() for t in pipeline.emulator.exchange.tokens]
    files = [p for p in pipeline.root.rglob("*") if p.is_file() and "raw" not in p.parts]
    assert any(p.suffix == ".parquet" for p in files) and pipeline.warehouse in files
    for path in files:
        content = path.read_bytes()
        assert not any(secret in content for secret in secrets), path
    assert not any(secret.decode() in repr((manifest, summary)) for secret in secrets)
