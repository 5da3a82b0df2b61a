"""The run summary: what one ``liquid_sync`` run did, per account and per stage.

``summarise`` takes what the tasks returned (None for a stage that failed or did not run),
adds the warehouse's totals per account, writes the summary to
``<LIQUID_DATA_DIR>/summaries/<batch_id>.json`` (replacing an earlier attempt's), and returns
it. ``problems`` lists what makes the run a failure: a stage that did not finish, or an
account whose extraction failed. A disabled key is not one: the account is reported with
how to re-enable it, and the other accounts load. ``render`` is the text the task logs and
the demo prints. No secret is in any of it.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from liquid_sync import config, warehouse
from liquid_sync.extract.files import atomic_write_text
from liquid_sync.validate.quarantine import quarantined_summary

STAGES = ("imports", "batch", "validation", "load", "reconciliation")
_STAGE_NAMES = {"imports": "import of the inbox", "batch": "transform", "validation": "validation",
                "load": "load", "reconciliation": "reconciliation"}
_NEW_ROWS_TABLE = {"trades": "file_trades", "ledger_crypto": "file_ledger_entries",
                   "ledger_fiat": "file_ledger_entries"}
_COUNTED = ("orders", "withdrawals", "deposits")


def summaries_dir(data_dir: Path) -> Path:
    return data_dir / "summaries"


def summarise(
    dag_run_id: str,
    batch_id: str,
    accounts: list[dict] | None,
    imports: dict | None = None,
    batch: dict | None = None,
    validation: dict | None = None,
    load: dict | None = None,
    reconciliation: dict | None = None,
) -> dict:
    """Build, write and return the summary of the run. ``accounts``: the extraction results
    (``tasks.extract_one``)."""
    data = config.data_dir()
    if validation is None:
        held = quarantined_summary(data, batch_id)
        if held is not None:
            validation = {"status": "failed", "summary": held}
    summary = {
        "dag_run_id": dag_run_id,
        "batch_id": batch_id,
        "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "accounts": [_account(result) for result in accounts or []],
        "imports": imports and {**imports, "totals": _import_totals(imports["files"])},
        "batch": batch,
        "validation": validation,
        "load": load,
        "reconciliation": reconciliation,
        "warehouse": warehouse_totals(),
    }
    summary["problems"] = problems(summary)
    path = summaries_dir(data) / f"{batch_id}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps(summary, indent=1) + "\n")
    return summary


def _account(result: dict) -> dict:
    keys = ("name", "conn_id", "account", "status", "mode", "strategy", "cutoff", "requests", "records", "reenabled",
            "error")
    entry = {key: result.get(key) for key in keys}
    key = result.get("key") or {}
    entry["key"] = key.get("status")
    if key.get("status") == "disabled":
        entry["key_problem"] = key.get("how_to_enable")
    return entry


def _import_totals(files: list[dict]) -> dict:
    """Files by outcome; rows read from the imported files, and how many were new (the rest
    were already in the warehouse: an overlapping export, or the same trades from another
    kind of export)."""
    counts = Counter(f["status"] for f in files)
    imported = [f for f in files if f["status"] == "imported"]
    rows = sum(f["rows"] for f in imported)
    new = sum(f["added"][_NEW_ROWS_TABLE[f["format"]]] for f in imported)
    return {"files": len(files), **dict(counts), "rows": rows, "new_rows": new, "known_rows": rows - new}


def warehouse_totals() -> dict | None:
    """Per account: orders, withdrawals, deposits, and trades by source (``api``, ``file``,
    ``api+file`` = one trade that arrived both ways). None when the warehouse cannot be read."""
    path = config.warehouse_path()
    if not path.exists():
        return None
    try:
        con = warehouse.connect(path, read_only=True)
    except duckdb.Error:
        return None
    try:
        totals: dict[str, dict] = {}
        for account, source, count in con.execute(
            "SELECT account, source, count(*) FROM trades GROUP BY ALL ORDER BY ALL"
        ).fetchall():
            entry = totals.setdefault(account, {"trades": 0, "trades_by_source": {}})
            entry["trades"] += count
            entry["trades_by_source"][source] = count
        for table in _COUNTED:
            for account, count in con.execute(f"SELECT account, count(*) FROM {table} GROUP BY ALL").fetchall():
                totals.setdefault(account, {"trades": 0, "trades_by_source": {}})[table] = count
    finally:
        con.close()
    return {account: {table: 0 for table in _COUNTED} | entry for account, entry in sorted(totals.items())}


def problems(summary: dict) -> list[str]:
    found = []
    for stage in STAGES:
        result = summary[stage]
        if result is None:
            found.append(f"the {_STAGE_NAMES[stage]} did not finish")
        elif stage == "validation" and result["status"] != "passed":
            found.append(f"the validation failed: {result['summary'].splitlines()[0]}")
    found += [f"account {a['name']}: extraction failed: {a['error']}" for a in summary["accounts"]
              if a["status"] == "failed"]
    return found


def render(summary: dict) -> str:
    """The summary as text, one block per stage."""
    lines = [f"Liquid Sync run {summary['dag_run_id']} (batch {summary['batch_id']})", "", "Accounts:"]
    lines += [f"  {_account_line(a)}" for a in summary["accounts"]] or ["  (none selected)"]
    lines += ["", "Export files in the inbox:", *_import_lines(summary["imports"])]
    lines += ["", "Transform:", *_batch_lines(summary["batch"])]
    lines += ["", "Validation:", *_validation_lines(summary["validation"])]
    lines += ["", "Load:", *_load_lines(summary["load"])]
    lines += ["", "Warehouse now:", *_warehouse_lines(summary["warehouse"])]
    lines += ["", "Reconciliation (API balances against the ledger):",
              *_reconciliation_lines(summary["reconciliation"])]
    lines += ["", "Result: " + ("; ".join(summary["problems"]) if summary["problems"] else "success")]
    return "\n".join(lines)


def _account_line(a: dict) -> str:
    who = f"{a['name']} (connection {a['conn_id']}" + (f", account {a['account']})" if a["account"] else ")")
    reenabled = f"; key {a['reenabled']} re-enabled first" if a["reenabled"] else ""
    if a["status"] == "failed":
        return f"{who}: FAILED: {a['error']}"
    if a["status"] in ("key_disabled", "skipped_key_disabled"):
        verb = "stopped, Liquid rejected the API key" if a["status"] == "key_disabled" else "skipped, key disabled"
        return (f"{who}: {verb}{reenabled}: {a['key_problem']} (or trigger liquid_sync with "
                f"'Re-enable and retry' = {a['name']})")
    records = ", ".join(f"{endpoint} {count}" for endpoint, count in (a["records"] or {}).items())
    scope = ("since the last sync" if a["strategy"] == "incremental"
             else f"since {a['cutoff']}" if a["cutoff"] else "all history")
    return f"{who}: {a['status']} ({a['mode']}: {scope}){reenabled}; {a['requests']} requests; records: {records}"


def _import_lines(imports: dict | None) -> list[str]:
    if imports is None:
        return ["  did not finish"]
    if not imports["files"]:
        return [f"  none in {imports['inbox']}"]
    lines = [f"  {f['account']}/{f['file']}: {f['status']}: {f['message']}" for f in imports["files"]]
    t = imports["totals"]
    lines.append(
        f"  {t['files']} files: {t.get('imported', 0)} imported, {t.get('already imported', 0)} already imported, "
        f"{t.get('rejected', 0)} rejected; {t['rows']} rows read, {t['new_rows']} new, "
        f"{t['known_rows']} already in the warehouse (overlapping exports, or trades a ledger export had)"
    )
    return lines


def _batch_lines(batch: dict | None) -> list[str]:
    if batch is None:
        return ["  did not finish"]
    counts = ", ".join(f"{table} {count}" for table, count in batch["counts"].items())
    return [f"  batch {batch['batch_id']} for accounts {', '.join(batch['accounts']) or '(none)'}: {counts}"]


def _validation_lines(validation: dict | None) -> list[str]:
    if validation is None:
        return ["  did not finish"]
    if validation["status"] != "passed":
        first, *rest = validation["summary"].splitlines()
        return [f"  FAILED; {first}", *(f"  {line}" for line in rest)]
    return [f"  passed {validation['expectations']} expectations ({validation['validation_id']}); "
            f"Data Docs: {validation['data_docs']}"]


def _load_lines(load: dict | None) -> list[str]:
    if load is None:
        return ["  did not finish"]
    changes = ", ".join(f"{table} +{c['inserted']}/-{c['deleted']}" for table, c in load["changes"].items()
                        if c["inserted"] or c["deleted"])
    return [f"  batch {load['batch_id']}: {load['status']} ({load['load_mode']}); rows inserted/deleted: "
            f"{changes or 'none'}"]


def _warehouse_lines(totals: dict | None) -> list[str]:
    if totals is None:
        return ["  (not readable now)"]
    lines = []
    for account, t in totals.items():
        sources = ", ".join(f"{source} {count}" for source, count in t["trades_by_source"].items())
        lines.append(f"  {account}: {t['trades']} trades ({sources or 'none'}), {t['orders']} orders, "
                     f"{t['withdrawals']} withdrawals, {t['deposits']} deposits")
    return lines or ["  empty"]


def _reconciliation_lines(reconciliation: dict | None) -> list[str]:
    if reconciliation is None:
        return ["  did not finish"]
    lines = []
    for account, entry in reconciliation["accounts"].items():
        lines.append(f"  {account}: {entry['currencies']} currencies, {len(entry['differences'])} differ")
        lines += [f"    {d['currency']}: ledger {d['ledger_balance']}, API {d['api_balance']}: {d['likely_cause']}"
                  for d in entry["differences"]]
    return lines or ["  no account in the batch"]
