"""The bodies of the ``liquid_sync`` DAG's tasks, as plain functions.

Each takes and returns small JSON values (names, paths, ids, counts; never records, frames or
secrets), which is what Airflow passes between tasks. The data lives under ``LIQUID_DATA_DIR``
and in the ``LIQUID_WAREHOUSE`` (``liquid_sync.config``).

* ``import_inbox_files``: the export files waiting in ``<LIQUID_DATA_DIR>/inbox/<account>/``.
* ``extract_one``: one account over the API. It never fails for a disabled key (the extraction
  returns that status) and, on its last attempt, not for any other error either: it returns
  status ``failed`` with the error, so the other accounts still load.
* ``transform_runs`` → ``validate`` → ``load`` → ``reconcile_batch``: one batch per Airflow run,
  its id derived from the run id (``batch_id_for_run``), so retries reuse it.
* ``summarise_run``: the run summary (``summary``), after whatever finished.
"""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path

from airflow.sdk.exceptions import AirflowFailException

from liquid_sync import config
from liquid_sync.extract import enable_key
from liquid_sync.hooks import LiquidHook, extract_account_from_connection
from liquid_sync.imports import import_inbox
from liquid_sync.load import load_batch
from liquid_sync.orchestration import summary
from liquid_sync.reconcile import reconcile
from liquid_sync.transform import transform
from liquid_sync.transform.batch import batch_dir
from liquid_sync.validate import ValidationFailed, validate_batch

log = logging.getLogger(__name__)

FAILED = "failed"
_NOT_IN_BATCH_ID = re.compile(r"[^A-Za-z0-9._:+=@-]")
_BATCH_ID_LENGTH = 200


def batch_id_for_run(run_id: str) -> str:
    """A valid batch id for Airflow run ``run_id``: the run id with other characters as ``-``,
    cut to length with a digest of the whole run id when it is too long."""
    text = _NOT_IN_BATCH_ID.sub("-", run_id)
    if not text[:1].isalnum():
        text = "run" + text
    if len(text) > _BATCH_ID_LENGTH:
        digest = hashlib.sha256(run_id.encode("utf-8")).hexdigest()[:16]
        text = f"{text[:_BATCH_ID_LENGTH - 17]}-{digest}"
    return text


def import_inbox_files() -> dict:
    """Import ``<LIQUID_DATA_DIR>/inbox/<account>/*.csv``; one entry per file. A rejected file
    is reported (with file, line and column), not raised: the other files still import."""
    outcomes = import_inbox()
    return {
        "inbox": str(config.inbox_dir()),
        "files": [
            {
                "file": outcome.path.name,
                "account": outcome.account,
                "status": outcome.status,
                "format": outcome.file_format,
                "rows": outcome.rows,
                "added": outcome.added,
                "message": outcome.summary(),
            }
            for outcome in outcomes
        ],
    }


def extract_one(
    account: dict, mode: str, run_id: str, start_date: str | None = None, *, final_attempt: bool = True
) -> dict:
    """Extract one planned account (``settings.plan_accounts``) and return its run summary
    (``liquid_sync.extract.extract_account``) with the account's ``name``, ``conn_id`` and
    ``reenabled`` (the disabled mark removed first, or None).

    An error raises unless ``final_attempt``; then it is logged and returned as status
    ``failed`` with ``error`` (type and message; no secret is in either).
    """
    name, conn_id = account["name"], account["conn_id"]
    identity = {"name": name, "conn_id": conn_id, "account": None, "reenabled": None}
    try:
        identity["account"] = LiquidHook(conn_id).account
        if account.get("reenable"):
            mark = enable_key(identity["account"])
            identity["reenabled"] = mark.token_id if mark else None
            log.info("account %s: %s", name, f"key {mark.token_id} re-enabled" if mark else "key was not disabled")
        summary = extract_account_from_connection(
            conn_id, mode, run_id, start_date=start_date or None, warehouse_path=config.warehouse_path()
        )
    except Exception as error:
        if not final_attempt:
            raise
        log.exception("account %s (connection %s): extraction failed; the other accounts go on", name, conn_id)
        return {**identity, "run_id": run_id, "mode": mode, "status": FAILED,
                "error": f"{type(error).__name__}: {error}"}
    return {**summary, **identity}


def transform_runs(runs: list[dict], run_id: str) -> dict:
    """Transform the extraction runs into this Airflow run's batch. Failed accounts are left out
    (their pages are fetched again next time); runs stopped by a disabled key bring their
    status. Accounts with newly imported files are included by the transform itself."""
    usable = [run for run in runs if run["status"] != FAILED]
    manifest = transform(usable, batch_id_for_run(run_id))
    return {
        "batch_id": manifest["batch_id"],
        "batch_dir": str(batch_dir(config.data_dir(), manifest["batch_id"])),
        "accounts": manifest["accounts"],
        "counts": manifest["counts"],
    }


def validate(batch: dict) -> dict:
    """Validate the batch; a failed validation (the batch is then in quarantine) fails the task
    without retries, since retrying cannot change the outcome."""
    try:
        return validate_batch(Path(batch["batch_dir"]))
    except ValidationFailed as failed:
        raise AirflowFailException(str(failed)) from failed


def load(batch: dict) -> dict:
    summary = load_batch(Path(batch["batch_dir"]))
    return {key: summary[key] for key in ("batch_id", "status", "load_mode", "changes")}


def reconcile_batch(loaded: dict) -> dict:
    return reconcile(loaded["batch_id"])


def summarise_run(
    run_id: str,
    runs: list[dict],
    imports: dict | None,
    batch: dict | None,
    validation: dict | None,
    loaded: dict | None,
    reconciliation: dict | None,
) -> dict:
    """Write and log the run summary (``summary``; None for a stage that did not finish).
    The task fails, without retries, when the summary lists problems, so the run shows failed
    once every account that could load has loaded."""
    report = summary.summarise(
        run_id, batch_id_for_run(run_id), runs, imports, batch, validation, loaded, reconciliation
    )
    log.info("%s", summary.render(report))
    if report["problems"]:
        raise AirflowFailException("; ".join(report["problems"]))
    return report
