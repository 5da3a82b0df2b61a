"""``docker-compose.yaml`` and ``Dockerfile`` checked without Docker: the services of Airflow's
official Airflow 3 compose file and the emulator, their commands, the shared environment, and
volumes, image and connection consistent with the project."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from liquid_sync.orchestration import settings
from tests.deployment import compose

AIRFLOW_SERVICES = ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-worker",
                    "airflow-triggerer", "airflow-init")
CONTAINER_HOME = "/opt/airflow"


@pytest.fixture(scope="module")
def spec() -> dict:
    return compose.load()


@pytest.fixture(scope="module")
def env(spec) -> dict[str, str]:
    return compose.common_environment(spec)


def volumes(spec: dict, service: str) -> dict[str, str]:
    """Container path → host path of the service's bind mounts."""
    mounts = {}
    for entry in spec["services"][service].get("volumes", []):
        host, container = compose.interpolate(entry).split(":")[:2]
        mounts[container] = host
    return mounts


def test_the_services_of_the_official_file_and_the_emulator(spec):
    assert set(spec["services"]) == {"postgres", "redis", *AIRFLOW_SERVICES, "liquid-emulator"}
    assert spec["services"]["postgres"]["image"] == "postgres:16"
    assert spec["services"]["redis"]["image"].startswith("redis:7.2")


@pytest.mark.parametrize("service, command", [
    ("airflow-apiserver", ["api-server"]),
    ("airflow-scheduler", ["scheduler"]),
    ("airflow-dag-processor", ["dag-processor"]),
    ("airflow-worker", ["celery", "worker"]),
    ("airflow-triggerer", ["triggerer"]),
])
def test_airflow_components_and_their_commands(spec, service, command):
    assert compose.command(spec, service) == command
    definition = spec["services"][service]
    assert definition["image"] == spec["x-airflow-common"]["image"]
    assert definition["depends_on"]["airflow-init"] == {"condition": "service_completed_successfully"}
    assert {name: d["condition"] for name, d in definition["depends_on"].items() if name in ("postgres", "redis")} \
        == {"postgres": "service_healthy", "redis": "service_healthy"}
    assert definition["healthcheck"]["test"]


def test_celery_on_redis_and_postgres_of_the_compose_services(spec, env):
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    database = urlsplit(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    postgres = spec["services"]["postgres"]["environment"]
    assert (database.scheme, database.hostname, database.username, database.password, database.path) == (
        "postgresql+psycopg2", "postgres", postgres["POSTGRES_USER"], postgres["POSTGRES_PASSWORD"],
        "/" + postgres["POSTGRES_DB"])
    assert env["AIRFLOW__CELERY__RESULT_BACKEND"] == "db+" + env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"], \
        "the driver is explicit: SQLAlchemy 2.1's default PostgreSQL driver is psycopg 3"
    broker = urlsplit(env["AIRFLOW__CELERY__BROKER_URL"])
    assert (broker.scheme, broker.hostname, broker.port) == ("redis", "redis", 6379)


def test_workers_reach_the_execution_api_of_the_api_server(spec, env):
    url = urlsplit(env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"])
    assert (url.hostname, url.path) == ("airflow-apiserver", "/execution/")
    assert spec["services"]["airflow-apiserver"]["ports"] == [f"{url.port}:{url.port}"]


def test_login_and_shared_config_come_from_the_init_service(spec, env):
    assert env["AIRFLOW__CORE__AUTH_MANAGER"].endswith("simple_auth_manager.SimpleAuthManager")
    assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"] == "airflow:admin"
    init = spec["services"]["airflow-init"]
    script = init["command"][1]
    assert init["environment"]["_AIRFLOW_DB_MIGRATE"] == "true"
    assert "/entrypoint airflow version" in script and "/entrypoint airflow config list" in script
    assert "$${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE}" in script
    config = volumes(spec, "airflow-init")
    for path in (env["AIRFLOW_CONFIG"], env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"]):
        assert path.rsplit("/", 1)[0] in config, f"{path} is on a volume every container shares"


def test_the_project_is_mounted_where_airflow_and_python_look(spec, env):
    for service in (*AIRFLOW_SERVICES, "liquid-emulator"):
        mounts = volumes(spec, service)
        assert mounts[f"{CONTAINER_HOME}/dags"] == "./dags"
        assert mounts[f"{CONTAINER_HOME}/include"] == "./include"
        assert mounts[f"{CONTAINER_HOME}/plugins"] == "./plugins"
        assert mounts[env["LIQUID_DATA_DIR"]].startswith("./data/")
    assert env["LIQUID_WAREHOUSE"].startswith(env["LIQUID_DATA_DIR"] + "/")
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "false"
    assert settings.account_names(env) == ["demo"]


def test_the_image_is_built_from_the_requirements_with_the_package_importable(spec):
    build = spec["x-airflow-common"]["build"]
    assert (compose.interpolate(build["context"]), build["dockerfile"]) == (".", "Dockerfile")
    dockerfile = (compose.ROOT / build["dockerfile"]).read_text()
    pinned = re.search(r"^apache-airflow==(\S+)$", (compose.ROOT / "requirements.txt").read_text(), re.MULTILINE)
    assert f"FROM apache/airflow:{pinned.group(1)}-python3.11" in dockerfile
    assert f'pip install --no-cache-dir "apache-airflow=={pinned.group(1)}" -r /opt/airflow/requirements.txt' \
        in dockerfile
    assert "COPY --chown=airflow:root include /opt/airflow/include" in dockerfile
    assert "pip install --no-cache-dir --no-deps -e /opt/airflow" in dockerfile
    assert f"ENV PYTHONPATH={CONTAINER_HOME}/include" in dockerfile
    ignored = (compose.ROOT / ".dockerignore").read_text().splitlines()
    assert {"*", "!requirements.txt", "!pyproject.toml", "!include/"} <= set(ignored)


def test_the_emulator_service_registers_the_connection_the_dag_uses(spec, env):
    script = " ".join(spec["services"]["liquid-emulator"]["command"][1].replace("\\\n", " ").split())
    serve = re.search(r"liquid-emulator serve --host 0\.0\.0\.0 --port (\d+) .*--credentials (\S+) &", script)
    register = re.search(r"python -m liquid_sync\.demo register --credentials (\S+) --url (\S+)", script)
    assert serve and register, script
    assert serve.group(2) == register.group(1)
    assert serve.group(2).startswith(env["LIQUID_DATA_DIR"] + "/")
    assert register.group(2) == f"http://liquid-emulator:{serve.group(1)}"
    assert spec["services"]["liquid-emulator"]["ports"] == [f"{serve.group(1)}:{serve.group(1)}"]
    assert settings.account_names(env) == ["demo"], "the emulator's account, registered as liquid_demo"


def test_the_local_deployment_replaces_only_settings_the_compose_file_has(env):
    assert set(compose.LOCAL) <= set(env)
    with pytest.raises(ValueError, match="AIRFLOW__CORE__EXECUTOR"):
        compose.local_environment(compose.load(), {"AIRFLOW__CORE__EXECUTOR": "LocalExecutor"})
