"""``validate_batch``: the validation step between transform and load.

Contracts:

* Every dataset of the batch is validated with its suite (``suites``): the raw pages of the
  batch's runs, the transformed orders, executions, trades, withdrawals and deposits, and the
  cross-table rules (``derived``). A validation's results are written to
  ``validation_results`` and to the Data Docs, whether it passes or fails.
* A batch that passes is left in ``staging/`` for the load; the call returns a summary.
* A batch that fails is moved, whole, to the quarantine (``quarantine``), so nothing of it
  can be loaded, and ``ValidationFailed`` is raised; its message is the failure summary:
  one line per failed expectation with its table, expectation, columns, unexpected count
  and up to three example bad rows, plus the quarantine path and the Data Docs index.
* Killed at any point, it can be run again: before the move the batch is still in staging
  and is validated again (a second validation with its own results); after the move the
  call raises ``ValidationFailed`` with the stored summary.

Great Expectations is imported only when a batch is validated (importing it takes seconds),
never by importing this module.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from pathlib import Path

from liquid_sync import config
from liquid_sync.transform.batch import MANIFEST, read_manifest
from liquid_sync.validate.datasets import batch_datasets, raw_page_datasets, raw_page_files
from liquid_sync.validate.derived import derived_datasets
from liquid_sync.validate.outcomes import failure_summary
from liquid_sync.validate.quarantine import quarantine_batch, quarantined_summary, write_summary
from liquid_sync.validate.results import result_rows, write_results

log = logging.getLogger(__name__)


class ValidationFailed(RuntimeError):
    """The batch broke expectations and is in quarantine; the message is the failure summary."""


def validate_batch(
    batch_dir: Path,
    *,
    data_dir: Path | None = None,
    warehouse_path: Path | None = None,
    now: datetime | None = None,
) -> dict:
    """Validate the batch in ``batch_dir`` (``<data_dir>/staging/<batch_id>``) and return a
    JSON-serialisable summary: ``batch_id``, ``validation_id``, ``status`` (``passed``),
    ``expectations``, ``rows`` per dataset, ``data_docs`` (the index.html path) and
    ``seconds``. ``now`` (timezone-aware; default: the clock) is the validation time, the
    latest time a record may have."""
    from liquid_sync.validate.runner import run_suites
    from liquid_sync.validate.suites import build_suites, latest_time

    started = time.monotonic()
    directory = Path(batch_dir)
    data = Path(data_dir) if data_dir is not None else config.data_dir()
    warehouse = Path(warehouse_path) if warehouse_path is not None else config.warehouse_path()
    if not (directory / MANIFEST).exists():
        held = quarantined_summary(data, directory.name)
        if held is not None:
            raise ValidationFailed(held)
    manifest = read_manifest(directory)
    batch_id = manifest["batch_id"]
    validated_at = (now or datetime.now(UTC)).astimezone(UTC)
    datasets = [
        *raw_page_datasets(raw_page_files(data, manifest["runs"])),
        *batch_datasets(directory),
        *derived_datasets(directory, manifest, warehouse),
    ]
    run = run_suites(data, batch_id, validated_at, datasets, build_suites(latest_time(validated_at)))
    outcomes = run.outcomes
    validation_id = f"{batch_id}@{validated_at:%Y%m%dT%H%M%S.%fZ}"
    write_results(result_rows(validation_id, batch_id, validated_at, outcomes), warehouse)
    if not all(o.success for o in outcomes):
        quarantined = quarantine_batch(directory, data)
        sources = {d.name: d.source for d in datasets}
        summary = failure_summary(batch_id, outcomes, sources, str(quarantined), str(run.data_docs))
        write_summary(quarantined, summary)
        raise ValidationFailed(summary)
    report = {
        "batch_id": batch_id,
        "validation_id": validation_id,
        "status": "passed",
        "expectations": len(outcomes),
        "rows": run.rows,
        "data_docs": str(run.data_docs),
        "seconds": round(time.monotonic() - started, 3),
    }
    log.info("batch %s passed %d expectations (%s); Data Docs: %s", batch_id, len(outcomes),
             ", ".join(f"{name} {count}" for name, count in run.rows.items()), run.data_docs)
    return report
