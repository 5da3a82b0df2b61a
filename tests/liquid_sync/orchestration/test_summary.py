"""The run summary from what the tasks returned: stages that did not finish, a quarantined
batch, failed and disabled accounts, and its text."""

from __future__ import annotations

import json

from liquid_sync.orchestration import summary
from liquid_sync.validate.quarantine import quarantine_dir, write_summary

RUN_ID = "manual__2021-10-02T00:00:00+00:00"
BATCH_ID = "manual__2021-10-02T00:00:00+00:00"

COMPLETED = {"name": "alpha", "conn_id": "liquid_alpha", "account": "alpha", "status": "completed",
             "mode": "incremental", "strategy": "incremental", "cutoff": None, "requests": 3,
             "records": {"orders": 2, "executions": 5}, "reenabled": "3001", "key": {"status": "enabled"}}
DISABLED = {"name": "beta", "conn_id": "liquid_beta", "account": "beta", "status": "skipped_key_disabled",
            "mode": "incremental", "requests": 0, "records": {"orders": 0}, "reenabled": None,
            "key": {"status": "disabled", "token_id": "3003",
                    "how_to_enable": "account 'beta': API key 3003 disabled since 2021-10-01 (/orders: API "
                                     "Authentication failed); fix the key, then run `liquid-sync keys enable beta`"}}
FAILED = {"name": "gamma", "conn_id": "liquid_gamma", "account": None, "status": "failed", "mode": "full",
          "run_id": RUN_ID, "reenabled": None,
          "error": "AirflowNotFoundException: The conn_id `liquid_gamma` isn't defined"}
IMPORTS = {"inbox": "/data/inbox", "files": [
    {"file": "liquid_trades_alpha_a_b.csv", "account": "alpha", "status": "imported", "format": "trades", "rows": 10,
     "added": {"file_ledger_entries": 0, "file_trades": 4, "file_deposits": 0, "file_withdrawals": 0},
     "message": "10 rows (trades)"},
    {"file": "liquid_ledger_fiat_alpha_a_b.csv", "account": "alpha", "status": "imported", "format": "ledger_fiat",
     "rows": 6, "added": {"file_ledger_entries": 6, "file_trades": 2, "file_deposits": 1, "file_withdrawals": 0},
     "message": "6 rows (ledger_fiat)"},
    {"file": "liquid_ledger_fiat_alpha_a_b (1).csv", "account": "alpha", "status": "already imported",
     "format": None, "rows": None, "added": None, "message": "same content as ..."},
    {"file": "notes.csv", "account": "alpha", "status": "rejected", "format": None, "rows": None, "added": None,
     "message": "notes.csv: unknown header"},
]}
BATCH = {"batch_id": BATCH_ID, "batch_dir": "/data/staging/b", "accounts": ["alpha", "beta"],
         "counts": {"trades": 5, "dedup_matches": 4}}
VALIDATION = {"batch_id": BATCH_ID, "validation_id": f"{BATCH_ID}@x", "status": "passed", "expectations": 82,
              "data_docs": "/data/data_docs/site/index.html"}
LOAD = {"batch_id": BATCH_ID, "status": "loaded", "load_mode": "direct",
        "changes": {"trades": {"inserted": 5, "deleted": 0}, "review_queue": {"inserted": 0, "deleted": 0}}}
RECONCILIATION = {"batch_id": BATCH_ID, "accounts": {
    "alpha": {"currencies": 2, "differences": [{"currency": "BTC", "ledger_balance": "1", "api_balance": "1.5",
                                                "difference": "0.5", "pending_executions_effect": "0",
                                                "likely_cause": "unexplained difference of 0.5"}]},
    "beta": {"currencies": 0, "differences": []}}}


def test_a_complete_run_with_a_disabled_key_has_no_problem(data_dir):
    report = summary.summarise(RUN_ID, BATCH_ID, [COMPLETED, DISABLED], IMPORTS, BATCH, VALIDATION, LOAD,
                               RECONCILIATION)
    assert report["problems"] == []
    assert report["imports"]["totals"] == {"files": 4, "imported": 2, "already imported": 1, "rejected": 1,
                                           "rows": 16, "new_rows": 10, "known_rows": 6}
    assert report["warehouse"] is None, "no warehouse yet"
    written = json.loads((summary.summaries_dir(data_dir) / f"{BATCH_ID}.json").read_text())
    assert written == report


def test_the_text_shows_each_account_and_stage(data_dir):
    text = summary.render(summary.summarise(RUN_ID, BATCH_ID, [COMPLETED, DISABLED, FAILED], IMPORTS, BATCH,
                                            VALIDATION, LOAD, RECONCILIATION))
    assert ("alpha (connection liquid_alpha, account alpha): completed (incremental: since the last sync); "
            "key 3001 re-enabled first; 3 requests; records: orders 2, executions 5") in text
    assert "beta (connection liquid_beta, account beta): skipped, key disabled: account 'beta': API key 3003" in text
    assert "(or trigger liquid_sync with 'Re-enable and retry' = beta)" in text
    assert "gamma (connection liquid_gamma): FAILED: AirflowNotFoundException" in text
    assert "notes.csv: rejected: notes.csv: unknown header" in text
    assert "16 rows read, 10 new, 6 already in the warehouse" in text
    assert "passed 82 expectations" in text and "/data/data_docs/site/index.html" in text
    assert "rows inserted/deleted: trades +5/-0" in text and "review_queue" not in text
    assert "BTC: ledger 1, API 1.5: unexplained difference of 0.5" in text
    assert text.endswith("Result: account gamma: extraction failed: " + FAILED["error"])


def test_stages_that_did_not_finish_are_problems(data_dir):
    report = summary.summarise(RUN_ID, BATCH_ID, [COMPLETED], IMPORTS, BATCH, None, None, None)
    assert report["problems"] == ["the validation did not finish", "the load did not finish",
                                  "the reconciliation did not finish"]
    assert "Validation:\n  did not finish" in summary.render(report)


def test_a_quarantined_batch_shows_its_failure_summary(data_dir):
    held = quarantine_dir(data_dir) / BATCH_ID
    held.mkdir(parents=True)
    write_summary(held, f"batch {BATCH_ID} failed 1 of 82 expectations\ntrades.quantity: 3 unexpected")
    report = summary.summarise(RUN_ID, BATCH_ID, [COMPLETED], IMPORTS, BATCH, None, None, None)
    assert report["validation"]["status"] == "failed"
    assert report["problems"][0] == f"the validation failed: batch {BATCH_ID} failed 1 of 82 expectations"
    assert f"  FAILED; batch {BATCH_ID} failed 1 of 82 expectations\n  trades.quantity: 3 unexpected" in \
        summary.render(report)


def test_a_rerun_replaces_the_summary_of_the_earlier_attempt(data_dir):
    summary.summarise(RUN_ID, BATCH_ID, [FAILED])
    report = summary.summarise(RUN_ID, BATCH_ID, [COMPLETED], IMPORTS, BATCH, VALIDATION, LOAD, RECONCILIATION)
    assert json.loads((summary.summaries_dir(data_dir) / f"{BATCH_ID}.json").read_text())["accounts"] == \
        report["accounts"]
    assert [p.name for p in summary.summaries_dir(data_dir).iterdir()] == [f"{BATCH_ID}.json"]
