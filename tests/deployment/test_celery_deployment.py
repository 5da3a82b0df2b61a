"""The docker-compose deployment, run without Docker: the compose file's Airflow environment
with this machine's PostgreSQL (127.0.0.1:5432, user postgres) and Redis (127.0.0.1:6379) in place
of its services, and its api-server, scheduler, dag-processor and Celery worker commands as
processes. The emulator's tokens are registered as the compose emulator service does; one key
is revoked afterwards. A trigger with a bad conf is refused; a good one runs ``liquid_sync`` to
success on Celery, and the warehouse holds the other account's history.

A fresh database and an empty Redis database are used, and dropped and flushed afterwards. The
test is skipped only when PostgreSQL or Redis cannot be reached.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

from liquid_sync import warehouse
from liquid_sync.orchestration import local_airflow
from liquid_sync.orchestration.summary import summaries_dir
from tests.deployment import compose
from tests.liquid_sync.pipeline import closed_executions

pytestmark = pytest.mark.timeout(600)

HOST = "127.0.0.1"
POSTGRES_PORT = 5432
REDIS_PORT = 6379
SERVICES = ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-worker")
STARTUP_SECONDS = 120
RUN_SECONDS = 360
USER = "airflow"


def reachable(port: int) -> bool:
    try:
        socket.create_connection((HOST, port), timeout=2).close()
    except OSError:
        return False
    return True


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@pytest.fixture
def database():
    """A fresh PostgreSQL database; its SQLAlchemy URL."""
    if not reachable(POSTGRES_PORT):
        pytest.skip(f"PostgreSQL is not reachable on {HOST}:{POSTGRES_PORT}")
    import psycopg2

    name = f"airflow_ci_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(host=HOST, port=POSTGRES_PORT, user="postgres", dbname="postgres")
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {name}")
        yield f"postgresql+psycopg2://postgres@{HOST}:{POSTGRES_PORT}/{name}"
        with admin.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name])
            cursor.execute(f"DROP DATABASE {name}")
    finally:
        admin.close()


@pytest.fixture
def broker():
    """An empty Redis database; its URL."""
    if not reachable(REDIS_PORT):
        pytest.skip(f"Redis is not reachable on {HOST}:{REDIS_PORT}")
    import redis

    count = int(redis.Redis(host=HOST, port=REDIS_PORT).config_get("databases")["databases"])
    empty = [n for n in range(1, count) if redis.Redis(host=HOST, port=REDIS_PORT, db=n).dbsize() == 0]
    if not empty:
        pytest.fail(f"no empty Redis database on {HOST}:{REDIS_PORT} among 1..{count - 1}")
    client = redis.Redis(host=HOST, port=REDIS_PORT, db=empty[-1])
    try:
        yield f"redis://{HOST}:{REDIS_PORT}/{empty[-1]}"
    finally:
        client.flushdb()


class Deployment:
    """The compose services' commands as process groups, each logging to a file."""

    def __init__(self, root: Path, env: dict[str, str], spec: dict):
        self.root = root
        self.env = env
        self.spec = spec
        self.processes: dict[str, subprocess.Popen] = {}

    def log(self, service: str) -> Path:
        return self.root / f"{service}.log"

    def start(self, service: str) -> None:
        with open(self.log(service), "ab") as log:
            self.processes[service] = subprocess.Popen(
                [sys.executable, "-m", "airflow", *compose.command(self.spec, service)], env=self.env,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )

    def check_running(self) -> None:
        for service, process in self.processes.items():
            if process.poll() is not None:
                pytest.fail(f"{service} exited with {process.returncode}:\n{self.tail(service)}")

    def tail(self, service: str, size: int = 4000) -> str:
        return self.log(service).read_text(errors="replace")[-size:]

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


class Api:
    def __init__(self, url: str, deployment: Deployment):
        self.url = url
        self.deployment = deployment
        self.session = requests.Session()

    def wait_for(self, what: str, check) -> object:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            self.deployment.check_running()
            try:
                result = check()
            except requests.ConnectionError:
                result = None
            if result:
                return result
            time.sleep(1)
        pytest.fail(f"{what} not ready after {STARTUP_SECONDS} s:\n{self.deployment.tail('airflow-apiserver')}")

    def log_in(self, password: str) -> None:
        answer = self.session.post(f"{self.url}/auth/token", json={"username": USER, "password": password})
        assert answer.status_code in (200, 201), answer.text
        self.session.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"

    def get(self, path: str, **params) -> requests.Response:
        return self.session.get(f"{self.url}/api/v2{path}", params=params, timeout=30)

    def send(self, method: str, path: str, body: dict) -> requests.Response:
        return self.session.request(method, f"{self.url}/api/v2{path}", json=body, timeout=30)


def test_the_compose_configuration_runs_the_dag_on_celery(tmp_path, database, broker, emulator):
    spec = compose.load()
    api_port = free_port()
    password = secrets.token_urlsafe(16)
    (tmp_path / "passwords.json").write_text(json.dumps({USER: password}))
    data = tmp_path / "data"
    deployed = compose.local_environment(spec, {
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": database,
        "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + database,
        "AIRFLOW__CELERY__BROKER_URL": broker,
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://{HOST}:{api_port}/execution/",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(tmp_path / "passwords.json"),
        "AIRFLOW_CONFIG": str(tmp_path / "home" / "airflow.cfg"),
        "LIQUID_DATA_DIR": str(data),
        "LIQUID_WAREHOUSE": str(data / "warehouse.duckdb"),
        "LIQUID_ACCOUNTS": "alpha,beta",
        "LIQUID_SYNC_RETRIES": "0",
    })
    env = local_airflow.airflow_environment(tmp_path / "home", data, {}) | deployed | {
        "AIRFLOW__API__PORT": str(api_port),
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": "4",
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": str(free_port()),
    }
    for command in (["db", "migrate"], ["config", "list"]):
        local_airflow.airflow(command, env, log_path=tmp_path / "airflow-init.log")
    credentials = tmp_path / "tokens.json"
    credentials.write_text(json.dumps([t.to_json() for t in emulator.exchange.tokens]))
    subprocess.run([sys.executable, "-m", "liquid_sync.demo", "register", "--credentials", str(credentials),
                    "--url", emulator.url], env=env, check=True, capture_output=True, timeout=120)
    revoked = emulator.token("beta", 0).token_id
    emulator.admin(f"/tokens/{revoked}/revoke")

    deployment = Deployment(tmp_path, env, spec)
    try:
        for service in SERVICES:
            deployment.start(service)
        api = Api(f"http://{HOST}:{api_port}", deployment)
        api.wait_for("the api-server", lambda: api.session.get(f"{api.url}/api/v2/version", timeout=5).ok)
        api.log_in(password)
        api.wait_for("the parsed DAG", lambda: api.get("/dags/liquid_sync").ok)

        refused = api.send("POST", "/dags/liquid_sync/dagRuns", {"logical_date": None, "conf": {"mode": "bogus"}})
        assert refused.status_code == 400 and "param mode" in refused.text, refused.text
        assert api.send("PATCH", "/dags/liquid_sync", {"is_paused": False}).ok
        started = api.send("POST", "/dags/liquid_sync/dagRuns",
                           {"logical_date": None, "conf": {"mode": "full", "accounts": ["alpha", "beta"]}})
        assert started.ok, started.text
        run_id = started.json()["dag_run_id"]
        state = wait_for_run(api, deployment, run_id)
        tasks = api.get(f"/dags/liquid_sync/dagRuns/{run_id}/taskInstances").json()["task_instances"]
        assert state == "success", [(t["task_id"], t["map_index"], t["state"]) for t in tasks]
        assert [r["dag_run_id"] for r in api.get("/dags/liquid_sync/dagRuns").json()["dag_runs"]] == [run_id], \
            "switching the DAG on started no scheduled run"
        assert sorted(t["rendered_map_index"] for t in tasks if t["task_id"] == "extract") == ["alpha", "beta"]
        assert {t["state"] for t in tasks} == {"success"}
        events = api.get("/assets/events", limit=100).json()["asset_events"]
        assert len({e["uri"] for e in events if e["source_run_id"] == run_id}) == 5
    finally:
        deployment.stop()

    [summary_path] = summaries_dir(data).glob("*.json")
    summary = json.loads(summary_path.read_text())
    assert {a["name"]: a["status"] for a in summary["accounts"]} == {"alpha": "completed", "beta": "key_disabled"}
    con = warehouse.connect(data / "warehouse.duckdb", read_only=True)
    try:
        loaded = dict(con.execute("SELECT account, count(*) FROM trades GROUP BY account").fetchall())
        runs = dict(con.execute("SELECT account, status FROM runs").fetchall())
    finally:
        con.close()
    assert loaded == {"alpha": len(closed_executions(emulator.exchange.account("alpha")))}
    assert runs == {"alpha": "completed", "beta": "key_disabled"}


def wait_for_run(api: Api, deployment: Deployment, run_id: str) -> str:
    deadline = time.monotonic() + RUN_SECONDS
    while time.monotonic() < deadline:
        deployment.check_running()
        state = api.get(f"/dags/liquid_sync/dagRuns/{run_id}").json()["state"]
        if state in ("success", "failed"):
            return state
        time.sleep(2)
    pytest.fail(f"run {run_id} not done after {RUN_SECONDS} s:\n{deployment.tail('airflow-worker')}")
