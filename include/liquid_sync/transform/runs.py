"""The extraction runs a batch loads: their pages, the cursors they commit, and their summaries.

* Only a ``completed`` run brings data. A run stopped by a rejected key (its manifest is not
  finished and the account's key is disabled) or skipped for a disabled key brings its status
  (its pages are fetched again by the next run); any other unfinished run is refused: resume
  it first (rerun it with the same run id).
* Runs of one account are applied in the order they started. A run's cursors are committed
  when the state it started from is the account's committed state (in the warehouse, or
  that of the batch's previous run of the account). Otherwise another run's state was
  committed in the meantime: its records are loaded all the same (merging is idempotent),
  its cursors are not, and the next incremental run covers its range again.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from liquid_sync.extract.key_status import DisabledKey, disabled_key
from liquid_sync.extract.layout import Layout
from liquid_sync.extract.manifest import Manifest
from liquid_sync.extract.state import state_after_run

log = logging.getLogger(__name__)

COMPLETED = "completed"


@dataclass
class RunInput:
    account: str
    run_id: str
    manifest: Manifest | None
    status: str
    summary: dict = field(default_factory=dict)
    state: dict | None = None  # the state the batch commits after this run, if any

    @property
    def brings_data(self) -> bool:
        return self.status == COMPLETED

    @property
    def started_at(self) -> str:
        return self.manifest.start.started_at if self.manifest and self.manifest.start else ""

    def files(self, layout: Layout) -> dict[str, list[Path]]:
        """Raw page files by endpoint (only a completed run has any)."""
        found: dict[str, list[Path]] = {}
        if self.brings_data:
            for page in self.manifest.pages:
                if page.file:
                    found.setdefault(page.endpoint, []).append(layout.account_dir(self.account) / page.file)
        return found


def open_runs(layout: Layout, requested: list[dict]) -> list[RunInput]:
    """The requested runs (dicts with ``account`` and ``run_id``, e.g. extraction summaries),
    in the order they are applied."""
    runs, seen = [], set()
    for position, wanted in enumerate(requested):
        try:
            account, run_id = wanted["account"], wanted["run_id"]
        except (KeyError, TypeError):
            raise ValueError(f"run {position + 1} of the batch needs an 'account' and a 'run_id': {wanted!r}") from None
        if (account, run_id) in seen:
            continue
        seen.add((account, run_id))
        manifest = Manifest.open(layout.manifest_path(account, run_id))
        key_disabled = disabled_key(layout, account) is not None
        if manifest.start is None:
            if not key_disabled:
                raise ValueError(f"account {account!r}: run {run_id!r} has no manifest under {layout.data_dir}")
            runs.append(RunInput(account, run_id, None, "skipped_key_disabled", dict(wanted)))
        elif manifest.finished is None:
            if not key_disabled:
                raise ValueError(
                    f"account {account!r}: run {run_id!r} is not finished; rerun the extraction with the same "
                    "run id to complete it, then transform"
                )
            runs.append(RunInput(account, run_id, manifest, "key_disabled", dict(wanted)))
        else:
            runs.append(RunInput(account, run_id, manifest, manifest.finished["status"], manifest.finished))
    return sorted(runs, key=lambda r: (r.account, r.started_at))


def chain_states(runs: list[RunInput], committed: dict[str, dict | None]) -> dict[str, dict]:
    """Set ``run.state`` for each run whose cursors the batch commits; returns the final state
    per account. ``committed``: the warehouse's state per account."""
    finals: dict[str, dict] = {}
    for run in runs:
        if not run.brings_data:
            continue
        current = finals.get(run.account, committed.get(run.account))
        current_run = current["run_id"] if current else None
        base = run.manifest.start.base_state
        base_run = base["run_id"] if base else None
        if base_run != current_run:
            log.warning(
                "account %s: run %s started from the cursors of run %s, but run %s's are committed; "
                "its records are loaded, its cursors are not",
                run.account, run.run_id, base_run, current_run,
            )
            continue
        run.state = state_after_run(base, run.account, run.run_id, run.manifest.pages)
        finals[run.account] = run.state
    return finals


def run_rows(runs: list[RunInput], batch_id: str) -> list[dict]:
    rows = []
    for run in runs:
        summary = run.summary
        rows.append({
            "account": run.account,
            "run_id": run.run_id,
            "mode": summary.get("mode"),
            "strategy": summary.get("strategy"),
            "status": run.status,
            "cutoff": summary.get("cutoff"),
            "started_at": summary.get("started_at"),
            "finished_at": summary.get("finished_at"),
            "requests": summary.get("requests"),
            "rate_limited_429": summary.get("rate_limited_429"),
            "retries": summary.get("retries"),
            "records": _json(summary.get("records")),
            "state_committed": run.state is not None,
            "batch_id": batch_id,
        })
    return rows


def account_rows(
    layout: Layout, accounts: list[str], runs: list[RunInput], existing: dict[str, dict],
    files_through: dict[str, int | None], batch_id: str,
) -> list[dict]:
    """One ``accounts`` row per account: key status from ``keys/<account>.json``, the batch's
    last run of the account (else the one recorded before), files loaded through."""
    last_runs = {run.account: run for run in runs}
    rows = []
    for account in accounts:
        key: DisabledKey | None = disabled_key(layout, account)
        before = existing.get(account, {})
        last = last_runs.get(account)
        rows.append({
            "account": account,
            "key_status": "disabled" if key else "enabled",
            "key_token_id": key.token_id if key else None,
            "disabled_reason": key.reason if key else None,
            "disabled_endpoint": key.endpoint if key else None,
            "disabled_at": key.disabled_at if key else None,
            "last_run_id": last.run_id if last else before.get("last_run_id"),
            "last_run_status": last.status if last else before.get("last_run_status"),
            "files_loaded_through": files_through.get(account),
            "batch_id": batch_id,
        })
    return rows


def _json(value: object) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True)
