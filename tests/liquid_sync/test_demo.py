"""``python -m liquid_sync.demo``: the demo runs the DAG end to end and prints its report without
a secret; ``register`` stores the emulator's tokens as Airflow connections."""

from __future__ import annotations

import itertools
import json
import os

import pytest

from liquid_emulator import exchange
from liquid_sync import demo
from liquid_sync.orchestration import local_airflow


def fake_secrets(monkeypatch) -> None:
    counter = itertools.count()
    monkeypatch.setattr(exchange.secrets, "token_urlsafe", lambda n: f"TOPSECRET{next(counter):04d}" + "x" * 40)


def test_the_demo_runs_the_dag_and_reports_each_stage(monkeypatch, capsys, tmp_path):
    fake_secrets(monkeypatch)
    root = tmp_path / "demo"
    assert demo.main(["run", "--dir", str(root), "--executions", "800"]) == 0
    output = capsys.readouterr().out
    for heading in ("Accounts:", "Export files in the inbox:", "Transform:", "Validation:", "Load:",
                    "Warehouse now:", "Reconciliation (API balances against the ledger):", "Result: success",
                    "Balances from the ledger:", f"-m liquid_sync.demo ui --dir {root}"):
        assert heading in output
    assert "demo (connection liquid_demo, account demo): completed" in output
    assert "6 files: 6 imported, 0 already imported, 0 rejected" in output
    assert "passed" in output.split("Validation:")[1].splitlines()[1]
    assert output.rstrip().endswith(f"Everything of this demo is in {root} (delete it when done).")
    assert "TOPSECRET" not in output
    for log in (root / "logs").iterdir():
        assert "TOPSECRET" not in log.read_text(), log.name
    assert sorted(p.name for p in root.iterdir()) == [".liquid-sync-demo", "airflow", "data", "logs"]


def test_the_demo_never_empties_a_folder_that_is_not_a_demos(tmp_path):
    (tmp_path / "precious.txt").write_text("keep me")
    with pytest.raises(SystemExit, match="not empty and not a Liquid Sync demo folder"):
        demo.main(["run", "--dir", str(tmp_path)])
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_register_stores_one_connection_per_emulator_account(monkeypatch, capsys, tmp_path):
    for variable in [name for name in os.environ if name.startswith(("AIRFLOW", "LIQUID_"))]:
        monkeypatch.delenv(variable)
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path / "home"))
    local_airflow.airflow(["db", "migrate"], dict(os.environ), log_path=tmp_path / "migrate.log")
    credentials = tmp_path / "tokens.json"
    credentials.write_text(json.dumps([
        {"account": "demo", "token_id": "3001", "secret": "TOPSECRET" + "a" * 40, "permissions": ["orders"]},
        {"account": "other", "token_id": "3002", "secret": "TOPSECRET" + "b" * 40, "permissions": ["orders"]},
    ]))
    url = "http://liquid-emulator:8765"
    for _ in range(2):
        assert demo.main(["register", "--credentials", str(credentials), "--url", url]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"Airflow connections for {url}: liquid_demo, liquid_other"
    stored = local_airflow.airflow(["connections", "get", "liquid_demo", "-o", "json"], dict(os.environ))
    [connection] = json.loads(stored.stdout)
    assert (connection["host"], connection["login"]) == (url, "3001")
    assert connection["extra_dejson"] == {"account": "demo"}
