"""Fixtures of the fault suite.

* ``references``: the emulator at its start (sync 1) and ``DAYS_LATER`` days later (sync 2),
  shared by the session and never changed by a test, with the sites of uninterrupted runs:
  ``first`` after sync 1, ``second`` after sync 1 then sync 2. ``references.start(n, root)``
  is a new site in the state a run of sync ``n`` starts from.
* ``dag_runs``: two runs of the Airflow DAG triggered at the same moment on one site (each with
  an ``AIRFLOW_HOME`` of its own: metadata, XCom, logs), then one more sync.
* ``emulators``: emulators of a test's own, for tests that revoke keys, change permissions
  or inject faults.
* ``fault_trials``: ``--fault-trials`` (``tests/conftest.py``).
"""

from __future__ import annotations

import io
import json
import logging
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.faults.airflow_runs import AirflowHome, migrated
from tests.faults.scenario import (
    DAYS_LATER,
    RUN_IDS,
    Emulated,
    Site,
    SyncReport,
    start_emulator,
    sync,
    write_inbox_files,
)


@dataclass
class References:
    emulators: dict[int, Emulated]
    sites: dict[int, Site]
    pages: dict[int, int]
    reports: dict[int, SyncReport]
    log: str  # every log record of the two syncs, at DEBUG level

    def start(self, sync_number: int, root: Path) -> Site:
        """A new site at ``root`` holding what a run of sync ``sync_number`` starts from: the
        warehouse and data of sync 1 for sync 2 (nothing for sync 1), and its inbox files."""
        if sync_number == 1:
            site = Site(root)
            shutil.copytree(self.sites[1].inbox, site.inbox)
        else:
            site = self.sites[1].copy_to(root)
            shutil.copytree(self.sites[2].inbox, site.inbox, dirs_exist_ok=True)
        return site


@contextmanager
def captured_logs() -> Iterator[io.StringIO]:
    """Every log record emitted inside the block, at DEBUG level, as text."""
    text = io.StringIO()
    handler = logging.StreamHandler(text)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield text
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


@pytest.fixture(scope="session")
def references(tmp_path_factory) -> References:
    root = tmp_path_factory.mktemp("references")
    emulators = {1: start_emulator(), 2: start_emulator(DAYS_LATER)}
    try:
        with captured_logs() as log:
            first = Site(root / "first")
            write_inbox_files(emulators[1], first.inbox, 1)
            reports = {1: sync(first, emulators[1], RUN_IDS[1])}
            second = first.copy_to(root / "second")
            write_inbox_files(emulators[2], second.inbox, 2)
            reports[2] = sync(second, emulators[2], RUN_IDS[2])
        assert not reports[1].failures and not reports[2].failures
        pages = {n: sum(sum(run["pages"].values()) for run in report.runs) for n, report in reports.items()}
        yield References(emulators, {1: first, 2: second}, pages, reports, log.getvalue())
    finally:
        for emulated in emulators.values():
            emulated.stop()


@pytest.fixture
def emulators():
    """``start(days_later=0)``: an emulator of this test's own, stopped after the test."""
    started: list[Emulated] = []

    def start(days_later: int = 0) -> Emulated:
        started.append(start_emulator(days_later))
        return started[-1]

    yield start
    for emulated in started:
        emulated.stop()


@pytest.fixture
def fault_trials(request) -> int:
    return request.config.getoption("fault_trials")


@dataclass
class DagRuns:
    site: Site
    homes: list[AirflowHome]
    statuses: list[int]
    summaries: list[dict]  # in the order of ``homes``
    outputs: list[str]
    after: SyncReport


@pytest.fixture(scope="session")
def dag_runs(references, tmp_path_factory) -> DagRuns:
    root = tmp_path_factory.mktemp("dag-runs")
    emulated = references.emulators[2]
    site = references.start(2, root / "site")
    homes = [AirflowHome(root / name, site, emulated) for name in ("airflow-a", "airflow-b")]
    migrated(homes)
    runs = [home.start() for home in homes]
    statuses = [run.wait(timeout=300) for run in runs]
    outputs = [home.output() for home in homes]
    summaries = {json.loads(path.read_text())["dag_run_id"]: json.loads(path.read_text())
                 for path in (site.data_dir / "summaries").glob("*.json")}
    ordered = [summaries[run_id] for output in outputs for run_id in summaries
               if f"Liquid Sync run {run_id} " in output]
    return DagRuns(site, homes, statuses, ordered, outputs, sync(site, emulated, "run-after"))
