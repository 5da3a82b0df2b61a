"""Concurrency: an analyst holding the warehouse open during a sync, and two syncs at once.

An analyst's read-only connection never fails a sync: the writers wait a little, then swap in
a snapshot, and the analyst keeps reading the data as it was (one who reconnects sees the
warehouse before the load or after it, never between). Two runs of the DAG triggered at the
same moment on one installation never both write: each completes or fails with a clear error
(the token is busy, or the other run loaded first), and the next run leaves the warehouse an
uninterrupted sync leaves.
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests.faults.scenario import RUN_IDS, sync, table_differences
from tests.faults.secret_scan import secret_leaks
from tests.faults.workers import launch

CLEAR_FAILURES = ("TokenBusy", "StaleBatch", "StateConflict", "WarehouseBusy")


def counts(site) -> tuple[int, int]:
    return tuple(len(site.table(name)) for name in ("trades", "load_batches"))


def test_analysts_reading_the_warehouse_never_fail_a_sync_nor_see_it_half_done(references, tmp_path, monkeypatch,
                                                                               caplog):
    monkeypatch.setenv("LIQUID_WAREHOUSE_WAIT_SECONDS", "0.2")
    emulated = references.emulators[2]
    site = references.start(2, tmp_path / "site")
    before, after = counts(references.sites[1]), counts(references.sites[2])
    holder = subprocess.Popen([sys.executable, "-m", "tests.liquid_sync.load.workers", "read", str(site.warehouse)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    stop = tmp_path / "stop-polling"
    poller = launch("poll", {"warehouse": str(site.warehouse), "stop": str(stop)}, {}, tmp_path / "poll.log")
    try:
        assert int(holder.stdout.readline()) == before[0]

        report = sync(site, emulated, RUN_IDS[2])

        holder.stdin.write("again\n")
        holder.stdin.flush()
        assert int(holder.stdout.readline()) == before[0], "the analyst who held it keeps the data as it was"
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
        stop.touch()
        seen = poller.communicate(timeout=30)[0].split("\n")
    assert holder.returncode == 0 and poller.returncode == 0
    assert not report.failures
    assert "writing a snapshot instead" in caplog.text
    states = [tuple(map(int, line.split())) for line in seen if line and line != "busy"]
    assert set(states) <= {before, after} and states[-1] == after, "only the warehouse before or after the load"
    assert not table_differences(site, references.sites[2])
    assert not secret_leaks(emulated.secrets, [site.root], {"log": caplog.text, "report": json.dumps(report.__dict__)})


def test_two_dag_runs_triggered_at_once_never_write_twice(dag_runs, references):
    assert len(dag_runs.summaries) == 2 and set(dag_runs.statuses) <= {0, 1}
    for summary, output in zip(dag_runs.summaries, dag_runs.outputs):
        failed = [a["error"] for a in summary["accounts"] if a["status"] == "failed"]
        assert all(error.startswith(CLEAR_FAILURES) for error in failed), failed
        if summary["load"] is None:
            assert any(f"{name}: " in output for name in CLEAR_FAILURES), summary["problems"]
    assert any(summary["load"] and summary["load"]["status"] == "loaded" for summary in dag_runs.summaries)

    assert not dag_runs.after.failures
    assert not table_differences(dag_runs.site, references.sites[2], ignore_run_ids=True)
