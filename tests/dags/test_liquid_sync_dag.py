"""The ``liquid_sync`` DAG: it imports cleanly and cheaply, is wired as the pipeline's stages,
runs weekly one at a time, and its trigger form accepts good values and rejects bad ones."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from airflow.dag_processing.dagbag import DagBag
from airflow.sdk import Asset, CronTriggerTimetable
from airflow.sdk.definitions.param import ParamValidationError
from airflow.serialization.serialized_objects import DagSerialization

from liquid_sync.orchestration import settings

DAGS = Path(__file__).resolve().parents[2] / "dags"
HEAVY = ("pandas", "pyarrow", "duckdb", "great_expectations", "liquid_sync.extract", "liquid_sync.transform")

PARSE = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1])
print(json.dumps({"dags": sorted(bag.dags), "errors": {k: str(v) for k, v in bag.import_errors.items()},
                  "heavy": [m for m in sys.argv[2:] if m in sys.modules]}))
"""


def parse_in_a_fresh_interpreter(tmp_path: Path, **variables: str) -> dict:
    env = {"PATH": "/usr/bin:/bin", "AIRFLOW_HOME": str(tmp_path / "home"), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
           **variables}
    done = subprocess.run([sys.executable, "-c", PARSE, str(DAGS), *HEAVY], env=env, capture_output=True,
                          text=True, timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def dag(monkeypatch):
    monkeypatch.setenv("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    monkeypatch.setenv("LIQUID_ACCOUNTS", "alice,bob")
    monkeypatch.setenv("LIQUID_SYNC_RETRIES", "3")
    monkeypatch.setenv("LIQUID_SYNC_RETRY_DELAY_SECONDS", "45")
    bag = DagBag(dag_folder=str(DAGS / "liquid_sync.py"))
    assert bag.import_errors == {}
    return bag.dags["liquid_sync"]


def test_the_dag_folder_imports_without_errors_or_heavy_imports(tmp_path):
    parsed = parse_in_a_fresh_interpreter(tmp_path)
    assert parsed == {"dags": ["liquid_sync"], "errors": {}, "heavy": []}


def test_a_bad_accounts_setting_is_an_import_error_naming_it(tmp_path):
    parsed = parse_in_a_fresh_interpreter(tmp_path, LIQUID_ACCOUNTS="alice,Bob")
    assert parsed["dags"] == []
    [error] = parsed["errors"].values()
    assert "LIQUID_ACCOUNTS='alice,Bob'" in error and "'Bob'" in error


@pytest.fixture
def trigger(dag):
    """Validate a trigger's conf as the API server does: against the serialized DAG's params."""
    params = DagSerialization.from_dict(DagSerialization.to_dict(dag)).params
    return lambda conf: params.deep_merge(conf).validate()


def test_the_stages_are_wired_in_order(dag):
    upstream = {task.task_id: sorted(task.upstream_task_ids) for task in dag.tasks}
    assert upstream == {
        "import_inbox": [],
        "plan_accounts": ["import_inbox"],
        "extract": ["plan_accounts"],
        "transform": ["extract"],
        "validate": ["transform"],
        "load": ["transform", "validate"],
        "reconcile": ["load"],
        "summarise": ["extract", "import_inbox", "load", "reconcile", "transform", "validate"],
    }
    assert dag.get_task("extract").is_mapped
    assert dag.get_task("transform").trigger_rule == "none_failed", "transforms what the accounts that ran left"
    assert dag.get_task("summarise").trigger_rule == "all_done", "summarises whatever failed"


def test_the_load_publishes_the_warehouse_tables_as_assets(dag):
    assert dag.get_task("load").outlets == [Asset(uri=settings.asset_uri(t)) for t in settings.WAREHOUSE_TABLES]
    assert [t.task_id for t in dag.tasks if t.outlets] == ["load"]


def test_weekly_in_utc_one_run_at_a_time_with_retries_from_the_environment(dag):
    assert dag.timetable == CronTriggerTimetable("0 3 * * 1", timezone="UTC", interval=timedelta(days=7),
                                                 run_immediately=False)
    assert dag.catchup is False
    assert dag.start_date is None, "switched on, the DAG waits for the next Monday instead of running at once"
    assert dag.max_active_runs == 1
    assert dag.default_args["retries"] == 3
    assert dag.default_args["retry_delay"] == timedelta(seconds=45)
    assert {task.retries for task in dag.tasks} == {3}


def test_the_form_offers_the_configured_accounts_with_titles_and_descriptions(dag):
    params = {name: dag.params.get_param(name) for name in dag.params}
    assert list(params) == ["mode", "accounts", "start_date", "reenable_accounts"]
    for name, param in params.items():
        assert param.schema["title"] and param.description, name
    schemas = {name: param.schema for name, param in params.items()}
    assert schemas["mode"]["enum"] == ["incremental", "full", "since_last_transaction"]
    for name in ("accounts", "reenable_accounts"):
        assert schemas[name]["type"] == "array", "an array with examples is a multi-select in the form"
        assert schemas[name]["examples"] == ["alice", "bob"]
        assert schemas[name]["items"]["enum"] == ["alice", "bob"]
    assert schemas["start_date"]["format"] == "date"
    assert dag.params.validate() == {"mode": "incremental", "accounts": ["alice", "bob"], "start_date": None,
                                     "reenable_accounts": []}


@pytest.mark.parametrize("conf", [
    {},
    {"mode": "full", "start_date": "2020-01-31"},
    {"mode": "since_last_transaction", "accounts": ["bob"]},
    {"accounts": [], "reenable_accounts": ["alice"]},
    {"mode": "incremental", "accounts": ["alice", "bob"], "start_date": None, "reenable_accounts": ["bob"]},
])
def test_good_trigger_values_are_accepted(trigger, conf):
    assert trigger(conf) == {"mode": "incremental", "accounts": ["alice", "bob"], "start_date": None,
                      "reenable_accounts": []} | conf


@pytest.mark.parametrize("conf, field", [
    ({"mode": "bogus"}, "mode"),
    ({"mode": None}, "mode"),
    ({"accounts": ["carol"]}, "accounts"),
    ({"accounts": "alice"}, "accounts"),
    ({"accounts": ["alice", "alice"]}, "accounts"),
    ({"start_date": "2020-13-01"}, "start_date"),
    ({"start_date": "last week"}, "start_date"),
    ({"reenable_accounts": ["carol"]}, "reenable_accounts"),
])
def test_bad_trigger_values_are_rejected(trigger, conf, field):
    with pytest.raises(ParamValidationError, match=f"param {field}"):
        trigger(conf)
