"""The ``liquid_sync`` DAG end to end with ``airflow dags test`` (SQLite metadata in a temporary
``AIRFLOW_HOME``) against the emulator: two accounts, one with a revoked key. The other account
loads, with its overlapping export files counted once; the revoked one is reported disabled.
A week later the person has fixed the key and re-enables it from the trigger form: both accounts
are then complete, nothing twice."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import pytest

from liquid_emulator.export import write_exports
from liquid_sync.orchestration import local_airflow, settings
from liquid_sync.orchestration.summary import summaries_dir
from tests.liquid_sync.pipeline import closed_executions
from tests.warehouse_query import query

pytestmark = pytest.mark.timeout(300)


class LocalAirflow:
    def __init__(self, root: Path, emulator):
        self.root = root
        self.emulator = emulator
        self.data = root / "data"
        self.runs = 0

    def connections(self, tokens: dict[str, int]) -> dict[str, str]:
        return {
            name: local_airflow.connection_json(self.emulator.url, self.emulator.token(name, index).token_id,
                                                self.emulator.token(name, index).secret, name)
            for name, index in tokens.items()
        }

    def environment(self, tokens: dict[str, int]) -> dict[str, str]:
        return local_airflow.airflow_environment(self.root / "home", self.data, self.connections(tokens),
                                                 extra={settings.RETRIES_VARIABLE: "0"})

    def run(self, tokens: dict[str, int], conf: dict) -> tuple[dict, str]:
        """One ``airflow dags test`` run; returns its summary and its output."""
        self.runs += 1
        log = self.root / f"dags-test-{self.runs}.log"
        before = set(summaries_dir(self.data).glob("*.json"))
        try:
            local_airflow.airflow(local_airflow.dags_test_command(conf), self.environment(tokens), log_path=log)
        except subprocess.CalledProcessError:
            pytest.fail(f"airflow dags test failed:\n{log.read_text()[-6000:]}")
        [path] = set(summaries_dir(self.data).glob("*.json")) - before
        return json.loads(path.read_text()), log.read_text()

    def rows(self, sql: str) -> list[tuple]:
        return query(self.data / "warehouse.duckdb", sql)

    def asset_events(self) -> list[str]:
        with sqlite3.connect(self.root / "home" / "airflow.db") as db:
            return [uri for (uri,) in db.execute(
                "SELECT a.uri FROM asset_event AS e JOIN asset AS a ON a.id = e.asset_id ORDER BY e.id")]


def statuses(summary: dict) -> dict[str, str]:
    return {a["name"]: a["status"] for a in summary["accounts"]}


def trades(airflow: LocalAirflow) -> dict[str, tuple[int, int, set]]:
    """Per account: trades, distinct trade keys, sources."""
    rows = airflow.rows("SELECT account, count(*), count(DISTINCT trade_key), list(DISTINCT source) FROM trades"
                        " GROUP BY account")
    return {account: (count, keys, set(sources)) for account, count, keys, sources in rows}


def test_two_accounts_one_revoked_then_reenabled_after_the_fix(emulator, tmp_path):
    airflow = LocalAirflow(tmp_path, emulator)
    alpha = emulator.exchange.account("alpha")
    middle = (alpha.created_at_ms + alpha.now_ms) // 2
    inbox = airflow.data / "inbox" / "alpha"
    write_exports(alpha, inbox, until_ms=middle + 86_400_000)
    write_exports(alpha, inbox, since_ms=middle - 86_400_000)
    revoked = emulator.token("beta", 0).token_id
    emulator.admin(f"/tokens/{revoked}/revoke")
    local_airflow.airflow(["db", "migrate"], airflow.environment({"alpha": 0, "beta": 0}),
                          log_path=tmp_path / "db-migrate.log")

    first, output = airflow.run({"alpha": 0, "beta": 0}, {})
    assert statuses(first) == {"alpha": "completed", "beta": "key_disabled"}
    assert first["problems"] == []
    beta = next(a for a in first["accounts"] if a["name"] == "beta")
    assert f"API key {revoked} disabled" in beta["key_problem"]
    assert json.loads((airflow.data / "keys" / "beta.json").read_text())["token_id"] == revoked
    assert first["imports"]["totals"]["imported"] == 6 and first["imports"]["totals"]["known_rows"] > 0
    assert first["validation"]["status"] == "passed"
    closed = len(closed_executions(alpha))
    assert trades(airflow) == {"alpha": (closed, closed, {"api+file"})}, "files and API counted once"
    assert airflow.rows("SELECT account, status FROM runs ORDER BY account") == [
        ("alpha", "completed"), ("beta", "key_disabled")]
    assert sorted(set(airflow.asset_events())) == sorted(settings.asset_uri(t) for t in settings.WAREHOUSE_TABLES)
    assert "Result: success" in output
    assert not any(t.secret in output for t in emulator.exchange.tokens)

    emulator.admin("/clock/advance", {"days": 7})
    second, output = airflow.run({"alpha": 0, "beta": 1}, {"reenable_accounts": ["beta"]})
    assert statuses(second) == {"alpha": "completed", "beta": "completed"}
    assert [a["strategy"] for a in second["accounts"]] == ["incremental", "window"]
    assert next(a for a in second["accounts"] if a["name"] == "beta")["reenabled"] == revoked
    assert not (airflow.data / "keys" / "beta.json").exists()
    beta_closed = len(closed_executions(emulator.exchange.account("beta")))
    closed = len(closed_executions(alpha))
    found = trades(airflow)
    assert found["alpha"][:2] == (closed, closed), "an incremental run adds the new trades, nothing twice"
    assert found["beta"] == (beta_closed, beta_closed, {"api"})
    assert not any(t.secret in output for t in emulator.exchange.tokens)
