"""Kill and rerun: a sync SIGKILLed at a random point of its extraction, transform or load, then
run again with the same run id (as an Airflow retry does), leaves the warehouse an
uninterrupted sync leaves: nothing lost, nothing duplicated.

``--fault-trials N`` kill points per stage (seeded, so a failure names a reproducible point);
trials alternate between sync 1 (full) and sync 2 (incremental, after new activity).
"""

from __future__ import annotations

import json
import random
import signal

from liquid_sync.imports import import_inbox
from liquid_sync.transform import transform
from liquid_sync.transform.batch import batch_dir
from liquid_sync.validate import validate_batch
from tests.faults.scenario import ACCOUNTS, RUN_IDS, batch_id, extract_all, sync, table_differences
from tests.faults.secret_scan import secret_leaks
from tests.faults.workers import STAGES, kill_point, launch


def pytest_generate_tests(metafunc) -> None:
    if "kill_trial" in metafunc.fixturenames:
        trials = metafunc.config.getoption("fault_trials")
        metafunc.parametrize("kill_trial", [(stage, trial) for stage in STAGES for trial in range(trials)],
                             ids=lambda t: f"{t[0]}-{t[1]}")


def run_killed(stage: str, point: dict, site, emulated, run_id: str, runs: list[dict]) -> int:
    """The stage in a worker process that kills itself at ``point``; its exit status."""
    tokens = {account: emulated.token(account) for account in ACCOUNTS}
    worker = launch("kill", {"stage": stage, "point": point, "site": str(site.root), "url": emulated.url,
                             "run_id": run_id, "runs": runs}, tokens, site.root / f"worker-{stage}.log")
    worker.communicate(timeout=300)
    return worker.returncode


def test_a_sync_killed_anywhere_and_rerun_gives_the_uninterrupted_warehouse(kill_trial, references, tmp_path,
                                                                           caplog):
    stage, trial = kill_trial
    sync_number = 1 + trial % 2
    point = kill_point(stage, random.Random(f"{stage}-{trial}"), references.pages[sync_number])
    emulated, run_id = references.emulators[sync_number], RUN_IDS[sync_number]
    site = references.start(sync_number, tmp_path / "site")

    import_inbox(site.inbox, site.warehouse)
    runs = []
    if stage != "extract":
        runs, failures = extract_all(site, emulated, run_id)
        assert not failures
    if stage == "load":
        transform(runs, batch_id(run_id), data_dir=site.data_dir, warehouse_path=site.warehouse)
        validate_batch(batch_dir(site.data_dir, batch_id(run_id)), data_dir=site.data_dir,
                       warehouse_path=site.warehouse)
    status = run_killed(stage, point, site, emulated, run_id, runs)
    assert status == -signal.SIGKILL, f"the worker was to be killed at {point} (sync {sync_number}); exit {status}"

    rerun = sync(site, emulated, run_id)

    assert not rerun.failures
    assert rerun.load["status"] in ("loaded", "already_loaded")
    differences = table_differences(site, references.sites[sync_number])
    assert not differences, f"killed at {stage} {point} of sync {sync_number}: {differences}"
    assert not secret_leaks(emulated.secrets, [site.root], {"log": caplog.text, "rerun": json.dumps(rerun.__dict__)})
