"""Secret scan: after full runs, no API token secret is in any log, XCom, Parquet file, DuckDB
table, Data Docs page or report.

Every other test of the fault suite also scans what its own runs left (faults, rejected keys,
nonce errors, kills, concurrent runs). Here: the scanner itself, the two reference syncs (full,
then incremental) with every log record at DEBUG level, and the runs of the Airflow DAG of
``dag_runs`` (task logs, XCom and the rest of the metadata databases, the run summaries).
"""

from __future__ import annotations

import json
import sqlite3

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from tests.faults.secret_scan import scanned_files, secret_leaks

SECRET = "pretend-token-secret-0123456789abcdef"


def test_the_scan_finds_a_secret_in_files_parquet_duckdb_sqlite_and_texts(tmp_path):
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "log.txt").write_text(f"a line with {SECRET} in it")
    pq.write_table(pa.table({"note": ["x" * 50 + SECRET] * 1000}), tmp_path / "page.parquet", compression="zstd")
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        con.execute("CREATE SCHEMA s")
        con.execute("CREATE TABLE s.t (id INTEGER, payload STRUCT(body VARCHAR))")
        con.execute("INSERT INTO s.t SELECT i, {'body': 'p' || i || ?} FROM range(50000) AS r(i)", [SECRET])
    with sqlite3.connect(tmp_path / "airflow.db") as db:
        db.execute("CREATE TABLE xcom (key TEXT, value BLOB)")
        db.execute("INSERT INTO xcom VALUES ('return_value', ?)", [json.dumps({"password": SECRET}).encode()])

    leaks = secret_leaks([SECRET], [tmp_path], {"summary": f"{{'secret': '{SECRET}'}}", "clean": "nothing here"})

    assert f"{tmp_path / 'plain' / 'log.txt'} (bytes)" in leaks
    assert f"{tmp_path / 'page.parquet'}, column note" in leaks
    assert f"{tmp_path / 'warehouse.duckdb'} table t, column payload" in leaks
    assert f"{tmp_path / 'airflow.db'} table xcom, column value" in leaks
    assert "summary" in leaks and "clean" not in leaks
    assert not secret_leaks(["another-secret"], [tmp_path], {"clean": "nothing here"})


def test_no_secret_after_a_full_and_an_incremental_sync(references):
    secrets = {s for emulated in references.emulators.values() for s in emulated.secrets}
    roots = [site.root for site in references.sites.values()]
    assert len(scanned_files(roots)) > 100 and "liquid_sync.extract" in references.log
    reports = json.dumps([report.__dict__ for report in references.reports.values()])
    assert not secret_leaks(secrets, roots, {"log": references.log, "reports": reports})


def test_no_secret_in_airflow_logs_xcom_or_summaries_after_dag_runs(dag_runs, references):
    for home, output in zip(dag_runs.homes, dag_runs.outputs):
        with sqlite3.connect(home.home / "airflow.db") as db:
            assert db.execute("SELECT count(*) FROM xcom").fetchone()[0] > 0
        assert "[liquid_sync.extract.extraction]" in output, "task logs are in the output"
    assert len(list((dag_runs.site.data_dir / "summaries").glob("*.json"))) == 2
    texts = {f"output of {home.home.name}": output for home, output in zip(dag_runs.homes, dag_runs.outputs)}
    texts["report"] = json.dumps(dag_runs.after.__dict__)
    roots = [dag_runs.site.root, *(home.home for home in dag_runs.homes)]
    assert not secret_leaks(references.emulators[2].secrets, roots, texts)
