"""Speed and memory of ``validate_batch`` on a batch of 1,000,000 synthetic trades.

Usage: ``.venv/bin/python bench/bench_validate.py [--trades 1000000] [--runs 3]``

Builds, in a temporary folder, a batch as the transform writes it (``staging/<batch_id>/``)
for one account: ``--trades`` executions and their trades (each an API execution of a
filled order, amount = quantity × price), one order per 2.5 executions (its filled quantity
the sum of its executions'), a thousand withdrawals and deposits, the other tables empty, no
raw pages; and an empty warehouse. Then, each ``--runs`` times in a fresh child process:

* ``clean``: ``validate_batch`` on the batch, which passes (results rows and Data Docs
  written, the batch left in staging);
* ``one bad row``: the same on a copy with one trade's side changed, which fails (summary,
  results rows, Data Docs, the move to quarantine);
* ``raw pages``: the raw pages step alone (the synthetic batch has none) on as many raw rows
  as trades, in pages of 1,000 records as the extraction writes them: reading the pages
  and checking them with the ``raw_pages`` suite.

Prints one line per scenario: the median wall time of the ``validate_batch`` call, the runs,
and the child's peak resident memory (``VmHWM``). ``import great_expectations`` (once per
process, about 2 s) is timed apart. Then the time of each step of one clean validation, in
one more child: reading the batch's tables into frames, the cross-table datasets, the GX
checkpoints and Data Docs, the results rows.

Measured on 2 cores (medians of 3 runs):

    (run ``bench/bench_validate.py`` and copy its output here)
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from child_process import peak_rss_mib, spawned
from liquid_sync.extract.raw_pages import PageMeta, write_page
from liquid_sync.transform.batch import TABLES, batch_dir, table_path, write_manifest
from liquid_sync.warehouse import connect
from liquid_sync.warehouse.schema import migrate

ACCOUNT = "bench"
BATCH = "bench-batch"
EXECUTIONS_PER_ORDER = 2.5

# Every execution e belongs to order e % orders; the trade of an execution is its twin. Decimal
# literals keep the arithmetic exact (DuckDB divides decimals into doubles).
EXECUTIONS = """
    INSERT INTO api_executions BY NAME
    SELECT '{account}' AS account, 100000000 + e AS execution_id, CASE WHEN e % {orders} % 2 = 0 THEN 'buy'
           ELSE 'sell' END AS side, 1 + e % {orders} AS order_id, 1 AS product_id,
           (1 + e % 7) * 0.001 AS quantity, (80000 + e % 1000) * 0.5 AS price,
           CASE WHEN e % 3 = 0 THEN 'buy' ELSE 'sell' END AS taker_side,
           TIMESTAMPTZ '2019-01-01 00:00:00+00' + to_seconds(e * 60) AS occurred_at, 'run-1' AS run_id
    FROM range({executions}) AS r(e)"""
ORDERS = """
    INSERT INTO orders BY NAME
    SELECT account, order_id, 1 AS product_id, 'BTCUSD' AS currency_pair_code, 'BTC' AS base_currency,
           'USD' AS quote_currency, any_value(side) AS side, 'limit' AS order_type, 'filled' AS status,
           sum(quantity) AS quantity, max(price) AS price, sum(quantity) AS filled_quantity,
           max(price) AS average_price, 0 AS order_fee, min(occurred_at) AS created_at,
           max(occurred_at) AS updated_at, 'run-1' AS run_id
    FROM api_executions GROUP BY account, order_id"""
TRADES = """
    INSERT INTO trades BY NAME
    SELECT account, execution_id || ':' || side AS trade_key, execution_id, side, order_id, product_id,
           'BTC' AS base_currency, 'USD' AS quote_currency, quantity, price,
           CAST(CAST(quantity AS DECIMAL(28,10)) * CAST(price AS DECIMAL(28,10)) AS DECIMAL(38,18)) AS amount,
           0 AS fee, 0 AS rebate, 'USD' AS fee_currency, true AS fee_estimated, 'order_fee_share' AS fee_source,
           taker_side, occurred_at, 'api' AS source
    FROM api_executions"""
WITHDRAWALS = """
    INSERT INTO withdrawals BY NAME
    SELECT '{account}' AS account, 'crypto:' || w AS withdrawal_key, 'crypto' AS withdrawal_type, w AS withdrawal_id,
           'BTC' AS currency, 0.5 AS amount, 0.0005 AS fee, 0.4995 AS net_amount, 'processed' AS state,
           false AS failed, TIMESTAMPTZ '2020-01-01 00:00:00+00' + to_seconds(w * 3600) AS occurred_at, 'api' AS source
    FROM range(1, 1001) AS r(w)"""
DEPOSITS = """
    INSERT INTO deposits BY NAME
    SELECT '{account}' AS account, CAST(d AS VARCHAR) AS deposit_key, d AS deposit_id, 'USD' AS currency,
           1000 AS amount, 0 AS fee, TIMESTAMPTZ '2019-01-01 00:00:00+00' + to_seconds(d * 3600) AS occurred_at,
           1 AS ledger_file_id, d AS ledger_line
    FROM range(1, 1001) AS r(d)"""


def write_batch(data_dir: Path, trades: int) -> Path:
    """The synthetic batch ``BATCH`` under ``data_dir``; returns its folder."""
    directory = batch_dir(data_dir, BATCH)
    directory.mkdir(parents=True)
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        migrate(con)
        values = {"account": ACCOUNT, "executions": trades, "orders": round(trades / EXECUTIONS_PER_ORDER)}
        for statement in (EXECUTIONS, ORDERS, TRADES, WITHDRAWALS, DEPOSITS):
            con.execute(statement.format(**values))
        counts = {}
        for table in TABLES:
            path = table_path(directory, table.name)
            con.execute(f"COPY {table.name} TO '{path}' (FORMAT parquet, COMPRESSION zstd)")
            counts[table.name] = con.execute(f"SELECT count(*) FROM {table.name}").fetchall()[0][0]
    finally:
        con.close()
    write_manifest(directory, {
        "batch_id": BATCH, "created_at": datetime.now(UTC).isoformat(), "base_batch_id": None,
        "accounts": [ACCOUNT], "runs": [], "state_accounts": [], "counts": counts,
    })
    return directory


def write_raw_pages(folder: Path, records: int) -> list[Path]:
    """``records`` execution records in pages of 1,000, as the extraction writes them."""
    paths = []
    fetched_at = datetime.now(UTC)
    for page, first in enumerate(range(0, records, 1000), start=1):
        rows = [{"id": 100000000 + n, "quantity": "0.001", "price": "40000.5", "taker_side": "buy", "my_side": "sell",
                 "created_at": 1600000000 + n, "timestamp": f"{1600000000 + n}.123", "order_id": 1 + n // 3}
                for n in range(first, min(first + 1000, records))]
        path = folder / f"page-{page:05d}.parquet"
        write_page(path, rows, [row["id"] for row in rows], PageMeta(ACCOUNT, "executions", 1, page, fetched_at, "r"))
        paths.append(path)
    return paths


def _raw_pages(folder: str, data_dir: str, out) -> None:
    import great_expectations  # noqa: F401

    from liquid_sync.validate.datasets import raw_page_datasets
    from liquid_sync.validate.runner import run_suites
    from liquid_sync.validate.suites import build_suites

    began = time.perf_counter()
    datasets = raw_page_datasets(sorted(Path(folder).glob("*.parquet")))
    now = datetime.now(UTC)
    run = run_suites(Path(data_dir), "raw", now, datasets, [s for s in build_suites(now) if s.name == "raw_pages"])
    status = "passed" if all(o.success for o in run.outcomes) else "failed"
    out.put((time.perf_counter() - began, round(peak_rss_mib()), 0.0, f"{status}, {run.rows}"))


def _validate(directory: str, data_dir: str, warehouse: str, out) -> None:
    began = time.perf_counter()
    import great_expectations  # noqa: F401

    imported = time.perf_counter() - began
    from liquid_sync.validate import ValidationFailed, validate_batch

    began = time.perf_counter()
    try:
        status = validate_batch(Path(directory), data_dir=Path(data_dir), warehouse_path=Path(warehouse))["status"]
    except ValidationFailed as failure:
        status = str(failure).splitlines()[1][:160]
    out.put((time.perf_counter() - began, round(peak_rss_mib()), imported, status))


def _steps(directory: str, data_dir: str, warehouse: str, out) -> None:
    from liquid_sync.transform.batch import read_manifest
    from liquid_sync.validate.datasets import batch_datasets
    from liquid_sync.validate.derived import derived_datasets
    from liquid_sync.validate.results import result_rows, write_results
    from liquid_sync.validate.runner import run_suites
    from liquid_sync.validate.suites import build_suites, latest_time

    def timed(name: str, work):
        began = time.perf_counter()
        result = work()
        steps[name] = time.perf_counter() - began
        return result

    steps: dict[str, float] = {}
    tables = batch_datasets(Path(directory))
    derived = derived_datasets(Path(directory), read_manifest(Path(directory)), Path(warehouse))
    timed("reading the batch tables", lambda: [len(d.read()) for d in tables])
    timed("computing the cross-table datasets", lambda: [len(d.read()) for d in derived])
    now = datetime.now(UTC)
    run = timed("validating them all (reads included) and Data Docs",
                lambda: run_suites(Path(data_dir), "steps", now, tables + derived, build_suites(latest_time(now))))
    timed("results rows", lambda: write_results(result_rows("steps", "steps", now, run.outcomes), Path(warehouse)))
    assert all(o.success for o in run.outcomes)
    out.put(steps)


def report(name: str, trades: int, results: list[tuple]) -> None:
    times = [r[0] for r in results]
    print(f"{trades:>9,} trades  {name:<12} median {statistics.median(times):6.2f} s"
          f"  runs {', '.join(f'{t:.2f}' for t in times)} s  peak RSS {max(r[1] for r in results):,} MB"
          f"  (import great_expectations {statistics.median(r[2] for r in results):.2f} s)  -> {results[0][3]}",
          flush=True)


def bench(trades: int, runs: int, work: Path) -> None:
    data_dir, warehouse = work / "data", work / "warehouse.duckdb"
    began = time.perf_counter()
    clean = write_batch(data_dir, trades)
    connect(warehouse).close()
    print(f"{trades:>9,} trades  setup {time.perf_counter() - began:.1f} s", flush=True)

    passing = [spawned(_validate, str(clean), str(data_dir), str(warehouse)) for _ in range(runs)]
    if any(result[3] != "passed" for result in passing):
        raise SystemExit(f"the clean batch failed validation: {passing[0][3]}")
    report("clean", trades, passing)

    failing = []
    for run in range(runs):
        copy = batch_dir(data_dir, f"bad-{run}")
        shutil.copytree(clean, copy)
        con = duckdb.connect()
        try:
            path = table_path(copy, "trades")
            con.execute(f"CREATE TABLE t AS SELECT * FROM read_parquet('{path}')")
            con.execute("UPDATE t SET side = 'hold' WHERE execution_id = 100000007")
            con.execute(f"COPY t TO '{path}' (FORMAT parquet, COMPRESSION zstd)")
        finally:
            con.close()
        failing.append(spawned(_validate, str(copy), str(data_dir), str(warehouse)))
    report("one bad row", trades, failing)

    pages = work / "raw-pages"
    write_raw_pages(pages, trades)
    report("raw pages", trades, [spawned(_raw_pages, str(pages), str(data_dir)) for _ in range(runs)])

    steps = spawned(_steps, str(clean), str(data_dir), str(warehouse))
    print(f"{'':>9}         steps of one clean validation: "
          + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in steps.items()), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trades", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    for trades in args.trades:
        with tempfile.TemporaryDirectory() as folder:
            bench(trades, args.runs, Path(folder))


if __name__ == "__main__":
    main()
