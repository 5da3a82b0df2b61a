"""Running the ``liquid_sync`` DAG on this machine, for the demo and the tests.

``airflow_environment`` is the environment of an ``airflow`` command with its own
``AIRFLOW_HOME`` (SQLite metadata there, unless the caller overrides the database), this
project's ``dags/`` and ``plugins/``, no example DAGs, Liquid Sync's data and warehouse paths,
one environment-variable Connection per account, and this interpreter's scripts first on
``PATH`` (``airflow standalone`` starts ``airflow`` by name). The Airflow and Liquid Sync
variables of the calling process are left out, so nothing leaks in from the shell. ``emulator_connections``
turns emulator tokens into those connections; ``airflow`` runs a command with this
interpreter's Airflow.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

from liquid_sync.orchestration import settings

PROJECT_ROOT = Path(__file__).resolve().parents[3]
DAG_ID = "liquid_sync"
_OWN_PREFIXES = ("AIRFLOW__", "AIRFLOW_CONN_", "AIRFLOW_VAR_", "LIQUID_")


def connection_json(url: str, token_id: str, secret: str, account: str) -> str:
    """An Airflow Connection for ``LiquidHook``, as the JSON an ``AIRFLOW_CONN_*`` variable holds."""
    return json.dumps({
        "conn_type": "http", "host": url, "login": token_id, "password": secret, "extra": {"account": account},
    })


def emulator_connections(tokens: Iterable[Mapping], url: str) -> dict[str, str]:
    """Account name → connection JSON, with the first token of each emulator account that is not
    revoked (``tokens``: the emulator's credentials, ``Token.to_json()`` items)."""
    connections: dict[str, str] = {}
    for token in tokens:
        if not token.get("revoked") and token["account"] not in connections:
            connections[token["account"]] = connection_json(url, token["token_id"], token["secret"], token["account"])
    return connections


def airflow_environment(
    home: Path,
    data_dir: Path,
    connections: Mapping[str, str],
    *,
    warehouse: Path | None = None,
    base: Mapping[str, str] | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment of a local ``airflow`` command (see the module docstring).
    ``connections``: account name → connection JSON; their names become ``LIQUID_ACCOUNTS``.
    ``extra`` is applied last."""
    base = os.environ if base is None else base
    env = {key: value for key, value in base.items() if not key.startswith(_OWN_PREFIXES)}
    scripts = str(Path(sys.executable).parent)
    env.update({
        "PATH": os.pathsep.join([scripts, *(p for p in env.get("PATH", "").split(os.pathsep) if p and p != scripts)]),
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "LIQUID_DATA_DIR": str(data_dir),
        "LIQUID_WAREHOUSE": str(warehouse or data_dir / "warehouse.duckdb"),
        settings.ACCOUNTS_VARIABLE: ",".join(connections),
    })
    for name, connection in connections.items():
        env[f"AIRFLOW_CONN_{settings.connection_id(name).upper()}"] = connection
    env.update(extra or {})
    return env


class AirflowCommandError(subprocess.CalledProcessError):
    """An ``airflow`` command that exited non-zero; its message ends with the command's last output."""

    TAIL_CHARS = 4000

    def __str__(self) -> str:
        tail = (self.output or "")[-self.TAIL_CHARS:]
        return f"{super().__str__()} Last output:\n{tail}"


def airflow(args: list[str], env: Mapping[str, str], *, log_path: Path | None = None,
            timeout: float | None = None) -> subprocess.CompletedProcess:
    """Run ``airflow ARGS`` with this interpreter, output to ``log_path`` (appended; else captured
    as text); ``AirflowCommandError`` when it fails."""
    command = [sys.executable, "-m", "airflow", *args]
    try:
        if log_path is None:
            return subprocess.run(command, env=dict(env), check=True, capture_output=True, text=True,
                                  timeout=timeout)
        with open(log_path, "ab") as log:
            return subprocess.run(command, env=dict(env), check=True, stdout=log, stderr=subprocess.STDOUT,
                                  timeout=timeout)
    except subprocess.CalledProcessError as failed:
        output = failed.output if log_path is None else log_path.read_text(encoding="utf-8", errors="replace")
        raise AirflowCommandError(failed.returncode, failed.cmd, output, failed.stderr) from None


def dags_test_command(conf: Mapping | None = None) -> list[str]:
    """``airflow dags test liquid_sync`` with ``conf`` as the trigger form's values."""
    return ["dags", "test", DAG_ID, "-c", json.dumps(dict(conf or {}))]
