"""The measured steps, each run by ``child_process.measure`` in a process of its own.

Every function takes JSON-friendly arguments (paths as strings), times only its own work
(imports are done before the clock starts) and returns a JSON-serialisable dict with
``seconds``.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from child_process import token_secret


def extract(url: str, token_id: str, account: str, mode: str, run_id: str, data_dir: str, warehouse: str,
            rate_limit: int, rate_window_seconds: float) -> dict:
    """One extraction run of ``account`` with a client paced at ``rate_limit`` per window."""
    from liquid_sync.extract import extract_account
    from liquid_sync.liquid_client import LiquidClient

    client = LiquidClient(url, token_id, token_secret(), account=account, rate_limit=rate_limit,
                          rate_window_seconds=rate_window_seconds)
    began = time.perf_counter()
    summary = extract_account(account, client, mode, run_id, Path(data_dir), warehouse_path=Path(warehouse))
    return {"seconds": time.perf_counter() - began, "summary": summary}


def transform(runs: list[dict], batch_id: str, data_dir: str, warehouse: str) -> dict:
    from liquid_sync.transform import transform as transform_runs

    began = time.perf_counter()
    manifest = transform_runs(runs, batch_id, data_dir=Path(data_dir), warehouse_path=Path(warehouse))
    return {"seconds": time.perf_counter() - began, "counts": manifest["counts"]}


def validate(batch_dir: str, data_dir: str, warehouse: str) -> dict:
    """``validate_batch``, with Great Expectations imported before the clock starts (its
    import, about 2.5 s, is reported as ``import_seconds``)."""
    began = time.perf_counter()
    import liquid_sync.validate.runner  # noqa: F401  (imports Great Expectations)
    import liquid_sync.validate.suites  # noqa: F401
    from liquid_sync.validate import validate_batch

    imported = time.perf_counter()
    report = validate_batch(Path(batch_dir), data_dir=Path(data_dir), warehouse_path=Path(warehouse))
    return {"seconds": time.perf_counter() - imported, "import_seconds": imported - began,
            "status": report["status"], "expectations": report["expectations"]}


def load(batch_dir: str, warehouse: str) -> dict:
    from liquid_sync.load import load_batch

    began = time.perf_counter()
    summary = load_batch(Path(batch_dir), warehouse_path=Path(warehouse))
    return {"seconds": time.perf_counter() - began, "status": summary["status"]}


def parse_dag(dag_file: str) -> dict:
    """Parse one DAG file as Airflow's DAG processor does (``DagBag``), in a fresh
    ``AIRFLOW_HOME``; ``import_seconds`` is the import of Airflow itself."""
    home = tempfile.mkdtemp(prefix="bench-airflow-home-")
    os.environ.update({"AIRFLOW_HOME": home, "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                       "AIRFLOW__CORE__DAGS_FOLDER": str(Path(dag_file).parent)})
    began = time.perf_counter()
    from airflow.dag_processing.dagbag import DagBag

    imported = time.perf_counter()
    bag = DagBag(dag_folder=dag_file)
    parsed = time.perf_counter()
    if bag.import_errors:
        raise RuntimeError(f"{dag_file} does not parse: {bag.import_errors}")
    return {"seconds": parsed - imported, "import_seconds": imported - began, "dags": sorted(bag.dag_ids),
            "file_seconds": sum(stat.duration.total_seconds() for stat in bag.dagbag_stats)}
