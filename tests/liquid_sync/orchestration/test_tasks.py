"""The DAG's task bodies, run as plain functions against the emulator (no Airflow scheduler):
one account's extraction returns a status instead of failing, and the stages chain into a
loaded, validated, reconciled batch with its summary."""

from __future__ import annotations

import json

import pytest
from airflow.sdk.exceptions import AirflowFailException

from liquid_emulator.export import write_exports
from liquid_sync import config, warehouse
from liquid_sync.extract.key_status import disabled_keys
from liquid_sync.orchestration import local_airflow, settings, summary, tasks
from liquid_sync.transform.batch import check_batch_id
from liquid_sync.validate import ValidationFailed
from tests.liquid_sync.pipeline import closed_executions

RUN_ID = "manual__2021-10-02T00:00:00+00:00"


def connect(monkeypatch, emulator, name: str, token: int = 0) -> dict:
    """Point Connection ``liquid_<name>`` at the emulator account ``name``'s token; returns
    the planned account."""
    key = emulator.token(name, token)
    text = local_airflow.connection_json(emulator.url, key.token_id, key.secret, name)
    monkeypatch.setenv(f"AIRFLOW_CONN_LIQUID_{name.upper()}", text)
    return {"name": name, "conn_id": settings.connection_id(name), "reenable": False}


def revoke(emulator, name: str, token: int = 0) -> str:
    token_id = emulator.token(name, token).token_id
    emulator.admin(f"/tokens/{token_id}/revoke")
    return token_id


def secrets(emulator) -> list[str]:
    return [t.secret for t in emulator.exchange.tokens]


def test_an_account_extracts_into_a_summary_with_its_identity(emulator, data_dir, monkeypatch):
    planned = connect(monkeypatch, emulator, "beta")
    result = tasks.extract_one(planned, "incremental", RUN_ID)
    assert result["status"] == "completed"
    assert (result["name"], result["conn_id"], result["account"], result["run_id"]) == (
        "beta", "liquid_beta", "beta", RUN_ID)
    account = emulator.exchange.account("beta")
    assert result["records"]["executions"] == sum(len(account.executions(p)) for p in account.traded_product_ids())
    assert result["reenabled"] is None
    again = tasks.extract_one(planned, "incremental", RUN_ID)
    assert again["records"] == result["records"], "a retry of the same Airflow run resumes, nothing twice"
    assert not any(secret in json.dumps(result) for secret in secrets(emulator))


def test_a_full_sync_from_a_start_date(emulator, data_dir, monkeypatch):
    planned = connect(monkeypatch, emulator, "beta")
    result = tasks.extract_one(planned, "full", RUN_ID, "2021-06-01")
    assert (result["status"], result["strategy"]) == ("completed", "window")
    assert result["cutoff"] == "2021-06-01T00:00:00+00:00"


def test_a_revoked_key_is_a_status_then_a_skip_then_reenabled_after_the_fix(emulator, data_dir, monkeypatch):
    planned = connect(monkeypatch, emulator, "beta")
    token_id = revoke(emulator, "beta")
    stopped = tasks.extract_one(planned, "incremental", "run-1", final_attempt=False)
    assert stopped["status"] == "key_disabled"
    assert stopped["key"]["token_id"] == token_id
    assert tasks.extract_one(planned, "incremental", "run-2")["status"] == "skipped_key_disabled"

    fixed = connect(monkeypatch, emulator, "beta", token=1)
    assert tasks.extract_one(fixed, "incremental", "run-3")["status"] == "skipped_key_disabled", \
        "a fixed key is used only once the person re-enables the account"
    retried = tasks.extract_one({**fixed, "reenable": True}, "incremental", "run-4")
    assert (retried["status"], retried["reenabled"]) == ("completed", token_id)
    assert disabled_keys() == []


def test_an_error_fails_the_task_until_its_last_attempt_then_is_a_status(emulator, data_dir, monkeypatch):
    secret = emulator.token("alpha").secret
    monkeypatch.setenv("AIRFLOW_CONN_LIQUID_ALPHA", json.dumps(
        {"conn_type": "http", "host": "ftp://127.0.0.1:9", "login": "3001", "password": secret}))
    planned = {"name": "alpha", "conn_id": "liquid_alpha", "reenable": False}
    with pytest.raises(ValueError, match="base URL must start with http"):
        tasks.extract_one(planned, "full", RUN_ID, final_attempt=False)
    failed = tasks.extract_one(planned, "full", RUN_ID, final_attempt=True)
    assert failed["status"] == "failed"
    assert failed["error"].startswith("ValueError: ") and "base URL" in failed["error"]
    assert secret not in json.dumps(failed)


def test_the_stages_chain_into_a_loaded_reconciled_batch_and_a_summary(emulator, data_dir, monkeypatch):
    alpha_account = emulator.exchange.account("alpha")
    write_exports(alpha_account, config.inbox_dir() / "alpha")
    plan = [connect(monkeypatch, emulator, "alpha"), connect(monkeypatch, emulator, "beta"),
            {"name": "gamma", "conn_id": "liquid_gamma", "reenable": False}]
    monkeypatch.delenv("AIRFLOW_CONN_LIQUID_GAMMA", raising=False)
    revoke(emulator, "beta")

    imports = tasks.import_inbox_files()
    runs = [tasks.extract_one(account, "incremental", RUN_ID) for account in plan]
    assert [r["status"] for r in runs] == ["completed", "key_disabled", "failed"]
    batch = tasks.transform_runs(runs, RUN_ID)
    assert batch["batch_id"] == tasks.batch_id_for_run(RUN_ID)
    assert batch["accounts"] == ["alpha", "beta"], "the failed account is left out, the disabled one reported"
    validation = tasks.validate(batch)
    loaded = tasks.load(batch)
    reconciliation = tasks.reconcile_batch(loaded)
    assert (validation["status"], loaded["status"]) == ("passed", "loaded")

    with pytest.raises(AirflowFailException, match="account gamma: extraction failed"):
        tasks.summarise_run(RUN_ID, runs, imports, batch, validation, loaded, reconciliation)
    written = json.loads((summary.summaries_dir(config.data_dir()) / f"{batch['batch_id']}.json").read_text())
    assert [(a["name"], a["status"]) for a in written["accounts"]] == [
        ("alpha", "completed"), ("beta", "key_disabled"), ("gamma", "failed")]
    assert written["problems"] == [f"account gamma: extraction failed: {runs[2]['error']}"]
    assert written["warehouse"]["alpha"]["trades"] == len(closed_executions(alpha_account))
    assert written["warehouse"]["alpha"]["trades_by_source"] == {"api+file": len(closed_executions(alpha_account))}
    assert "beta" not in written["warehouse"]
    assert written["imports"]["totals"]["imported"] == 3
    text = (summary.summaries_dir(config.data_dir()) / f"{batch['batch_id']}.json").read_text()
    assert not any(secret in text for secret in secrets(emulator))

    con = warehouse.connect(config.warehouse_path(), read_only=True)
    try:
        statuses = dict(con.execute("SELECT account, status FROM runs").fetchall())
    finally:
        con.close()
    assert statuses == {"alpha": "completed", "beta": "key_disabled"}


def test_a_failed_validation_fails_the_task_without_retries(monkeypatch, tmp_path):
    def refuse(batch_dir):
        raise ValidationFailed(f"batch {batch_dir.name}: 3 trades break expect_column_values_to_be_between")

    monkeypatch.setattr(tasks, "validate_batch", refuse)
    with pytest.raises(AirflowFailException, match="3 trades break") as failure:
        tasks.validate({"batch_dir": str(tmp_path / "b1")})
    assert isinstance(failure.value.__cause__, ValidationFailed)


@pytest.mark.parametrize("run_id", [
    "manual__2021-10-02T00:00:00.123456+00:00",
    "scheduled__2024-01-01T03:00:00+00:00",
    "my run/with spaces",
    "_leading",
    "x" * 250,
])
def test_batch_ids_are_valid_and_stable(run_id):
    batch_id = tasks.batch_id_for_run(run_id)
    assert check_batch_id(batch_id) == batch_id
    assert tasks.batch_id_for_run(run_id) == batch_id


def test_long_run_ids_keep_distinct_batch_ids():
    first, second = "x" * 240 + "a", "x" * 240 + "b"
    assert tasks.batch_id_for_run(first) != tasks.batch_id_for_run(second)
