"""Loading batches: one transaction, idempotent, refusing stale batches, surviving a kill at
any point, and never failing because an analyst holds the warehouse open."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from liquid_sync.load import StaleBatch, load_batch
from liquid_sync.transform.batch import TABLES, batch_dir

ROOT = Path(__file__).resolve().parents[3]
COMPARED = [t.name for t in TABLES] + ["file_imports", "file_trades", "user_edits", "reconciliation"]


def contents(pipeline, warehouse: Path | None = None) -> dict:
    """Every table the load writes, sorted; ``load_batches`` without its load time and mode."""
    saved, pipeline.warehouse = pipeline.warehouse, warehouse or pipeline.warehouse
    try:
        tables = {name: pipeline.table(name) for name in COMPARED}
        tables["load_batches"] = sorted(pipeline.rows(
            "SELECT batch_id, base_batch_id, created_at, accounts, counts FROM load_batches"))
        return tables
    finally:
        pipeline.warehouse = saved


def second_batch(pipeline) -> dict:
    """A warehouse holding one loaded batch, and a second batch ready to load: new activity,
    newly imported files, a closed order's executions."""
    pipeline.sync(["alpha", "beta"], "full")
    pipeline.emulator.admin("/clock/advance", {"days": 9})
    pipeline.import_files("beta", pipeline.export("beta"))
    return pipeline.transform([pipeline.extract(a) for a in ("alpha", "beta")])


def worker(*args: str, **options) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tests.liquid_sync.load.workers", *args], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, text=True, **options)


def test_loading_a_batch_again_changes_nothing(pipeline):
    manifest = second_batch(pipeline)
    first = pipeline.load(manifest)
    after = contents(pipeline)
    again = pipeline.load(manifest)
    assert first["status"] == "loaded" and again["status"] == "already_loaded"
    assert contents(pipeline) == after
    assert first["changes"]["trades"]["inserted"] > 0 and first["changes"]["deposits"]["inserted"] > 0


def test_a_batch_computed_before_another_load_is_refused(pipeline):
    pipeline.sync(["beta"], "full")
    early = pipeline.transform([pipeline.extract("beta")])
    pipeline.sync(["beta"], "incremental")
    with pytest.raises(StaleBatch, match="transform again"):
        pipeline.load(early)


@pytest.mark.parametrize("kill_after", ["orders", "trades", "runs"])
def test_a_load_killed_inside_its_transaction_leaves_the_warehouse_as_it_was(pipeline, kill_after):
    manifest = second_batch(pipeline)
    before = contents(pipeline)
    reference = pipeline.root / "reference.duckdb"
    shutil.copyfile(pipeline.warehouse, reference)
    load_batch(batch_dir(pipeline.data_dir, manifest["batch_id"]), warehouse_path=reference)

    args = {"batch_dir": str(batch_dir(pipeline.data_dir, manifest["batch_id"])), "warehouse": str(pipeline.warehouse),
            "kill_after": kill_after, "wait_seconds": 1.0}
    killed = worker("kill", json.dumps(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert killed.wait(timeout=120) == -signal.SIGKILL, killed.stderr.read()[-2000:]

    assert contents(pipeline) == before
    assert pipeline.load(manifest)["status"] == "loaded"
    assert contents(pipeline) == contents(pipeline, reference)


def test_a_load_killed_after_its_commit_is_complete_and_not_applied_twice(pipeline):
    manifest = second_batch(pipeline)
    reference = pipeline.root / "reference.duckdb"
    shutil.copyfile(pipeline.warehouse, reference)
    load_batch(batch_dir(pipeline.data_dir, manifest["batch_id"]), warehouse_path=reference)
    args = {"batch_dir": str(batch_dir(pipeline.data_dir, manifest["batch_id"])), "warehouse": str(pipeline.warehouse),
            "kill_after": "commit", "wait_seconds": 1.0}
    killed = worker("kill", json.dumps(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert killed.wait(timeout=120) == -signal.SIGKILL, killed.stderr.read()[-2000:]

    assert pipeline.warehouse.with_name(pipeline.warehouse.name + ".wal").exists(), "committed, not checkpointed"
    assert pipeline.load(manifest)["status"] == "already_loaded"
    assert contents(pipeline) == contents(pipeline, reference)


def test_a_load_killed_while_writing_a_snapshot_leaves_the_warehouse_as_it_was(pipeline):
    manifest = second_batch(pipeline)
    before = contents(pipeline)
    reader = worker("read", str(pipeline.warehouse), stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        reader.stdout.readline()
        args = {"batch_dir": str(batch_dir(pipeline.data_dir, manifest["batch_id"])),
                "warehouse": str(pipeline.warehouse), "kill_after": "trades", "wait_seconds": 0.2}
        killed = worker("kill", json.dumps(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert killed.wait(timeout=120) == -signal.SIGKILL, killed.stderr.read()[-2000:]
        assert [p.name for p in pipeline.root.glob(".*snapshot*")], "the killed load was writing a snapshot"
    finally:
        reader.stdin.close()
        reader.wait(timeout=30)
    assert contents(pipeline) == before
    assert pipeline.load(manifest)["load_mode"] == "direct"
    assert not list(pipeline.root.glob(".*snapshot*")), "the next writer removes the leftovers"


def test_an_analyst_reading_during_the_load_keeps_a_snapshot_and_the_load_succeeds(pipeline, caplog):
    caplog.set_level(logging.WARNING)
    manifest = second_batch(pipeline)
    reader = worker("read", str(pipeline.warehouse), stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        seen_before = int(reader.stdout.readline())
        summary = pipeline.load(manifest, wait_seconds=0.5)
        reader.stdin.write("again\n")
        reader.stdin.flush()
        seen_during = int(reader.stdout.readline())
    finally:
        reader.stdin.close()
        assert reader.wait(timeout=30) == 0
    assert summary["status"] == "loaded" and summary["load_mode"] == "snapshot"
    assert summary["waited_seconds"] >= 0.5
    assert seen_during == seen_before, "the analyst keeps reading the warehouse as it was"
    now = pipeline.rows("SELECT count(*) FROM trades")[0][0]
    assert now > seen_before, "new connections see the load"
    assert any("open in reader processes" in r.getMessage() for r in caplog.records), "the wait is logged"


def test_a_reader_leaving_within_the_wait_lets_the_load_write_in_place(pipeline):
    manifest = second_batch(pipeline)
    reader = worker("read", str(pipeline.warehouse), stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    reader.stdout.readline()
    results = {}
    load = threading.Thread(target=lambda: results.update(pipeline.load(manifest, wait_seconds=60)))
    load.start()
    time.sleep(0.5)
    reader.stdin.close()
    reader.wait(timeout=30)
    load.join(timeout=120)
    assert results["status"] == "loaded" and results["load_mode"] == "direct"
    assert results["waited_seconds"] >= 0.4
