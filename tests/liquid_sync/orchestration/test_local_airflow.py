"""The environment of a local ``airflow`` command: own home, this project's DAGs, the
accounts' connections, nothing inherited from the caller's Airflow or Liquid Sync settings."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from liquid_sync.hooks import LiquidHook
from liquid_sync.orchestration import local_airflow

TOKENS = [
    {"account": "alpha", "token_id": "3001", "secret": "s1" * 20, "permissions": [], "revoked": True},
    {"account": "alpha", "token_id": "3002", "secret": "s2" * 20, "permissions": []},
    {"account": "alpha", "token_id": "3003", "secret": "s3" * 20, "permissions": []},
    {"account": "beta", "token_id": "3004", "secret": "s4" * 20, "permissions": []},
]


def test_each_account_gets_its_first_usable_token():
    connections = local_airflow.emulator_connections(TOKENS, "http://127.0.0.1:8765")
    assert list(connections) == ["alpha", "beta"]
    assert json.loads(connections["alpha"]) == {
        "conn_type": "http", "host": "http://127.0.0.1:8765", "login": "3002", "password": "s2" * 20,
        "extra": {"account": "alpha"},
    }


def test_the_environment_is_the_callers_without_its_airflow_and_liquid_settings(tmp_path):
    connections = local_airflow.emulator_connections(TOKENS, "http://127.0.0.1:8765")
    base = {"PATH": "/usr/bin", "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor", "AIRFLOW_CONN_OTHER": "x",
            "LIQUID_WAREHOUSE": "/elsewhere.duckdb", "LIQUID_SYNC_RETRIES": "5"}
    env = local_airflow.airflow_environment(tmp_path / "home", tmp_path / "data", connections, base=base,
                                            extra={"LIQUID_SYNC_RETRIES": "0"})
    root = Path(local_airflow.__file__).resolve().parents[3]
    assert env == {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin",
        "AIRFLOW_HOME": str(tmp_path / "home"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(root / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(root / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "LIQUID_DATA_DIR": str(tmp_path / "data"),
        "LIQUID_WAREHOUSE": str(tmp_path / "data" / "warehouse.duckdb"),
        "LIQUID_ACCOUNTS": "alpha,beta",
        "AIRFLOW_CONN_LIQUID_ALPHA": connections["alpha"],
        "AIRFLOW_CONN_LIQUID_BETA": connections["beta"],
        "LIQUID_SYNC_RETRIES": "0",
    }
    assert (root / "dags" / "liquid_sync.py").is_file()


def test_the_connection_is_what_the_hook_reads(monkeypatch):
    text = local_airflow.connection_json("http://127.0.0.1:8765", "3002", "s2" * 20, "alpha")
    monkeypatch.setenv("AIRFLOW_CONN_LIQUID_ALPHA", text)
    hook = LiquidHook("liquid_alpha")
    client = hook.get_conn()
    assert (hook.account, client.base_url, client.token_id) == ("alpha", "http://127.0.0.1:8765", "3002")


def test_dags_test_passes_the_conf_as_json():
    command = local_airflow.dags_test_command({"mode": "full", "accounts": ["alpha"]})
    assert command[:3] == ["dags", "test", "liquid_sync"]
    assert command[3] == "-c" and json.loads(command[4]) == {"mode": "full", "accounts": ["alpha"]}


def test_a_failing_command_reports_its_last_output(tmp_path):
    env = local_airflow.airflow_environment(tmp_path / "home", tmp_path / "data", {})
    log = tmp_path / "airflow.log"
    with pytest.raises(local_airflow.AirflowCommandError) as failed:
        local_airflow.airflow(["no-such-command"], env, log_path=log)
    assert "no-such-command" in str(failed.value) and "invalid choice" in str(failed.value)
