"""``docker-compose.yaml`` as the deployment tests read it: the services, and the Airflow
environment all Airflow containers share (``x-airflow-common``), with ``${NAME:-default}``
taken at its default.

``LOCAL`` names the variables a deployment on this machine (the Celery integration test) sets to
its own hosts, ports and paths; everything else it takes from the compose file as it is.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yaml"

LOCAL = (
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
    "AIRFLOW__CELERY__RESULT_BACKEND",
    "AIRFLOW__CELERY__BROKER_URL",
    "AIRFLOW__CORE__EXECUTION_API_SERVER_URL",
    "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE",
    "AIRFLOW_CONFIG",
    "LIQUID_DATA_DIR",
    "LIQUID_WAREHOUSE",
    "LIQUID_ACCOUNTS",
    "LIQUID_SYNC_RETRIES",
)

_DEFAULTED = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*):-(?P<default>[^}]*)\}")


def load() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


def interpolate(text: str) -> str:
    """``text`` as compose runs it with no variables set: ``${NAME:-default}`` → default."""
    return _DEFAULTED.sub(lambda m: m.group("default"), text)


def common_environment(compose: dict) -> dict[str, str]:
    return {name: interpolate(str(value)) for name, value in compose["x-airflow-common"]["environment"].items()}


def command(compose: dict, service: str) -> list[str]:
    """The service's ``airflow`` subcommand and arguments (the image's entrypoint runs ``airflow``)."""
    return str(compose["services"][service]["command"]).split()


def local_environment(compose: dict, local: dict[str, str]) -> dict[str, str]:
    """The shared environment with ``local``'s values for the ``LOCAL`` names."""
    environment = common_environment(compose)
    unknown = sorted(set(local) - set(LOCAL))
    if unknown:
        raise ValueError(f"not local settings of the compose environment: {unknown}")
    return environment | local
