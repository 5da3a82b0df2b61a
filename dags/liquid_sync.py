"""
### Liquid Sync

Syncs Liquid exchange accounts into the DuckDB warehouse: imports the export files waiting in
the inbox, extracts each account over the API (one mapped task per account), transforms the
runs into one batch, validates it with Great Expectations, loads it in one transaction, then
reconciles balances and writes the run summary.

* **Schedule:** Mondays 03:00 UTC, `incremental`; one run at a time; no catch-up, and switching the
  DAG on waits for the next Monday (trigger a run for the first sync).
* **Accounts:** `LIQUID_ACCOUNTS` (comma-separated, default `default`); account `NAME` uses the
  Airflow Connection `liquid_NAME`. An account whose extraction fails, or whose key Liquid
  rejected, does not stop the others; the summary shows each account's status.
* **Trigger form:** mode, accounts, an optional start date, and accounts to re-enable after
  their key was fixed.
* **Assets:** the load updates `trades`, `orders`, `withdrawals`, `deposits` and `ledger`.

The task bodies are `liquid_sync.orchestration.tasks`; this file only wires them.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import Asset, CronTriggerTimetable, Param, dag, get_current_context, task

from liquid_sync.orchestration import settings

ACCOUNTS = settings.account_names()
ACCOUNT_LIST = {"type": "array", "items": {"type": "string", "enum": ACCOUNTS}, "uniqueItems": True,
                "examples": ACCOUNTS}


@dag(
    dag_id="liquid_sync",
    schedule=CronTriggerTimetable("0 3 * * 1", timezone="UTC", interval=timedelta(days=7), run_immediately=False),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": settings.retries(), "retry_delay": settings.retry_delay()},
    params={
        "mode": Param(
            "incremental",
            type="string",
            enum=list(settings.MODES),
            title="Sync mode",
            description="incremental: what is new since the last sync, plus re-checks of orders still open "
            "(scheduled runs). full: all history, or from the start date. since_last_transaction: only what "
            "is newer than the newest transaction in the warehouse.",
        ),
        "accounts": Param(
            ACCOUNTS,
            **ACCOUNT_LIST,
            title="Accounts",
            description="The accounts to sync. Each uses the Airflow Connection liquid_<name>.",
        ),
        "start_date": Param(
            None,
            type=["null", "string"],
            format="date",
            title="Start date",
            description="Optional, YYYY-MM-DD (UTC). full: fetch history from this day. "
            "since_last_transaction: never from before this day. incremental ignores it.",
        ),
        "reenable_accounts": Param(
            [],
            **ACCOUNT_LIST,
            title="Re-enable and retry",
            description="Accounts skipped since Liquid rejected their API key. Fix the key first (a new "
            "read-only token in the Connection, or the missing permission restored), then pick the account "
            "here: its disabled mark is cleared and it is synced in this run.",
        ),
    },
    tags=["liquid", "duckdb"],
    doc_md=__doc__,
)
def liquid_sync():
    @task
    def import_inbox() -> dict:
        from liquid_sync.orchestration import tasks

        return tasks.import_inbox_files()

    @task
    def plan_accounts(params=None) -> list[dict]:
        return settings.plan_accounts(ACCOUNTS, params["accounts"], params["reenable_accounts"])

    @task(map_index_template="{{ account_name }}")
    def extract(account: dict, params=None, run_id=None, ti=None) -> dict:
        from liquid_sync.orchestration import tasks

        get_current_context()["account_name"] = account["name"]
        final_attempt = ti.try_number > ti.max_tries
        return tasks.extract_one(account, params["mode"], run_id, params["start_date"], final_attempt=final_attempt)

    @task(trigger_rule="none_failed")
    def transform(runs, run_id=None) -> dict:
        from liquid_sync.orchestration import tasks

        return tasks.transform_runs(runs[:], run_id)

    @task
    def validate(batch: dict) -> dict:
        from liquid_sync.orchestration import tasks

        return tasks.validate(batch)

    @task(outlets=[Asset(uri=settings.asset_uri(table)) for table in settings.WAREHOUSE_TABLES])
    def load(batch: dict) -> dict:
        from liquid_sync.orchestration import tasks

        return tasks.load(batch)

    @task
    def reconcile(loaded: dict) -> dict:
        from liquid_sync.orchestration import tasks

        return tasks.reconcile_batch(loaded)

    @task(trigger_rule="all_done")
    def summarise(imports, runs, batch, validation, loaded, reconciliation, run_id=None) -> dict:
        from liquid_sync.orchestration import tasks

        return tasks.summarise_run(run_id, runs[:], imports, batch, validation, loaded, reconciliation)

    imports = import_inbox()
    plan = plan_accounts()
    imports >> plan
    runs = extract.expand(account=plan)  # downstream, runs[:] reads every account's result in one request
    batch = transform(runs)
    validation = validate(batch)
    loaded = load(batch)
    validation >> loaded
    reconciliation = reconcile(loaded)
    summarise(imports, runs, batch, validation, loaded, reconciliation)


liquid_sync()
