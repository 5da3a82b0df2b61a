"""``airflow dags test liquid_sync`` on a fault-suite site (``scenario.Site``), with an
``AIRFLOW_HOME`` of its own (SQLite metadata: task instances, XCom, logs) and one
environment-variable Connection per account, retries off.

``AirflowHome.start(conf)`` starts a run in the background (``wait`` it); its output goes to a
log file in the home. The run's summary is ``<LIQUID_DATA_DIR>/summaries/<batch id>.json``.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from liquid_sync.orchestration import local_airflow, settings
from tests.faults.scenario import ACCOUNTS, Emulated, Site

MIGRATE_TIMEOUT_SECONDS = 120


@dataclass
class AirflowHome:
    home: Path
    site: Site
    emulated: Emulated

    def environment(self) -> dict[str, str]:
        connections = {account: local_airflow.connection_json(self.emulated.url, self.emulated.token(account).token_id,
                                                              self.emulated.token(account).secret, account)
                       for account in ACCOUNTS}
        return local_airflow.airflow_environment(self.home, self.site.data_dir, connections,
                                                 warehouse=self.site.warehouse,
                                                 extra={settings.RETRIES_VARIABLE: "0"})

    def migrate(self) -> subprocess.Popen:
        """``airflow db migrate`` in the background."""
        self.home.mkdir(parents=True, exist_ok=True)
        return self._start(["db", "migrate"], self.home / "migrate.log")

    def start(self, conf: dict | None = None, name: str = "run") -> subprocess.Popen:
        """``airflow dags test liquid_sync -c CONF`` in the background."""
        return self._start(local_airflow.dags_test_command(conf), self.home / f"{name}.log")

    def _start(self, args: list[str], log_path: Path) -> subprocess.Popen:
        with log_path.open("ab") as log:
            return subprocess.Popen([sys.executable, "-m", "airflow", *args], env=self.environment(), stdout=log,
                                    stderr=subprocess.STDOUT)

    def output(self, name: str = "run") -> str:
        return (self.home / f"{name}.log").read_text(errors="replace")


def migrated(homes: list[AirflowHome]) -> None:
    """Migrate the homes' metadata databases side by side."""
    for process in [home.migrate() for home in homes]:
        assert process.wait(timeout=MIGRATE_TIMEOUT_SECONDS) == 0
