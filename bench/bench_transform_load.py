"""Speed and memory of the transform and the load at 100k and 1M executions.

Usage: ``.venv/bin/python bench/bench_transform_load.py [--executions 100000 1000000] [--runs 3]
[--memory-limit 1GB]``

For each size, in a temporary folder: generates one emulated account, serves it (rate limit
off), extracts it in full into raw pages, writes its trades export for the older half of its
history and imports it (so half the executions are matched to file lines by execution id),
then times, each ``--runs`` times in a fresh child process:

* ``transform``: raw pages and file tables into a batch (every execution, order, withdrawal);
* ``load``: that batch into a copy of the warehouse as it was before (one transaction);
* ``incremental``: after the emulator's clock moves 9 days, extraction aside, the transform
  and load of the new run on top of the loaded warehouse (trades are recomputed in full).

Prints one line per scenario: median wall time, the runs, and the child's peak resident
memory (``VmHWM``: Python, DuckDB and pyarrow included). The transform and the load run with
DuckDB's memory limit set to ``--memory-limit`` (their default, 1 GB) and spill beyond it.

Measured on 2 cores (time and peak RSS; medians of 3 runs, the 512 MB row one run):

    executions  memory limit  transform          load              incremental
    100k        1 GB           2.15 s,   399 MB  0.82 s,   398 MB  1.38 s,   376 MB
    1M          1 GB          11.53 s, 1,152 MB  3.54 s, 1,121 MB  5.83 s, 1,104 MB
    1M          512 MB        13.25 s,   693 MB  4.01 s,   663 MB  7.42 s,   669 MB
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from child_process import peak_rss_mib, spawned
from liquid_emulator.exchange import AccountSpec, Exchange
from liquid_emulator.export import write_exports
from liquid_emulator.history import INITIAL_NOW_MS
from liquid_emulator.server import EmulatorServer
from liquid_sync.extract import extract_account
from liquid_sync.imports import IMPORTED, import_files
from liquid_sync.liquid_client import LiquidClient
from liquid_sync.load import load_batch
from liquid_sync.transform import transform
from liquid_sync.transform.batch import batch_dir

UNPACED = 1_000_000
ACCOUNT = "bench"


def _extract(url: str, token_id: str, secret: str, run_id: str, data_dir: str, warehouse: str, out) -> None:
    client = LiquidClient(url, token_id, secret, account=ACCOUNT, rate_limit=UNPACED)
    summary = extract_account(ACCOUNT, client, "incremental", run_id, Path(data_dir), warehouse_path=Path(warehouse))
    out.put(summary)


def _transform(runs: list[dict], batch_id: str, data_dir: str, warehouse: str, memory_limit: str, out) -> None:
    began = time.perf_counter()
    manifest = transform(runs, batch_id, data_dir=Path(data_dir), warehouse_path=Path(warehouse),
                         memory_limit=memory_limit)
    out.put((time.perf_counter() - began, round(peak_rss_mib()), manifest["counts"]))


def _load(batch: str, warehouse: str, memory_limit: str, out) -> None:
    began = time.perf_counter()
    summary = load_batch(Path(batch), warehouse_path=Path(warehouse), memory_limit=memory_limit)
    out.put((time.perf_counter() - began, round(peak_rss_mib()), summary["status"]))


def report(name: str, executions: int, results: list[tuple]) -> None:
    times = [r[0] for r in results]
    print(f"{executions:>9,} executions  {name:<12} median {statistics.median(times):7.2f} s"
          f"  runs {', '.join(f'{t:.2f}' for t in times)} s  peak RSS {max(r[1] for r in results):,} MB", flush=True)


def bench(executions: int, runs: int, memory_limit: str, work: Path) -> None:
    began = time.perf_counter()
    exchange = Exchange.create([AccountSpec(ACCOUNT, seed=11, executions=executions)], rate_limit=UNPACED)
    token = exchange.tokens[0]
    data_dir, warehouse = work / "data", work / "warehouse.duckdb"
    with EmulatorServer(exchange) as server:
        account = exchange.account(ACCOUNT)
        middle = INITIAL_NOW_MS - (INITIAL_NOW_MS - account.created_at_ms) // 2
        exports = write_exports(account, work / "exports", until_ms=middle)
        outcomes = import_files([exports.trades], account=ACCOUNT, warehouse_path=warehouse)
        assert [o.status for o in outcomes] == [IMPORTED], [o.summary() for o in outcomes]
        first = spawned(_extract, server.url, token.token_id, token.secret, "full", str(data_dir), str(warehouse))
        print(f"{executions:>9,} executions  setup: {first['records']} in {time.perf_counter() - began:.0f} s",
              flush=True)
        before_load = work / "before-load.duckdb"
        shutil.copyfile(warehouse, before_load)

        transforms, loads = [], []
        for run in range(runs):
            shutil.copyfile(before_load, warehouse)
            transforms.append(spawned(_transform, [first], f"full-{run}", str(data_dir), str(warehouse), memory_limit))
            loads.append(spawned(_load, str(batch_dir(data_dir, f"full-{run}")), str(warehouse), memory_limit))
        report("transform", executions, transforms)
        report("load", executions, loads)
        print(f"{'':>9}             batch rows: {transforms[0][2]}", flush=True)

        server.exchange.advance_clock(9 * 86400)
        later = spawned(_extract, server.url, token.token_id, token.secret, "later", str(data_dir), str(warehouse))
        loaded = work / "loaded.duckdb"
        shutil.copyfile(warehouse, loaded)
        incremental = []
        for run in range(runs):
            shutil.copyfile(loaded, warehouse)
            transformed = spawned(_transform, [later], f"later-{run}", str(data_dir), str(warehouse), memory_limit)
            applied = spawned(_load, str(batch_dir(data_dir, f"later-{run}")), str(warehouse), memory_limit)
            incremental.append((transformed[0] + applied[0], max(transformed[1], applied[1])))
        report("incremental", executions, incremental)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executions", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--memory-limit", default="1GB", help="DuckDB memory_limit of the transform and the load")
    args = parser.parse_args()
    print(f"DuckDB memory limit {args.memory_limit}", flush=True)
    for executions in args.executions:
        with tempfile.TemporaryDirectory() as folder:
            bench(executions, args.runs, args.memory_limit, Path(folder))


if __name__ == "__main__":
    main()
