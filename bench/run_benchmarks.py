"""Every benchmark figure of Liquid Sync, written to ``BENCHMARKS.md``, from one command.

    make bench                                   # .venv-bench (requirements-bench.txt), then this
    .venv-bench/bin/python bench/run_benchmarks.py [--executions 100000 1000000] [--repeats 3]
        [--peer-executions 100000] [--rate-limit 30] [--rate-window 10] [--output BENCHMARKS.md]

For each account size an emulated account is generated and served over HTTP (rate limit
off unless a figure sets it), and every measurement runs in a fresh child process
(``child_process``), so its peak memory is its own; times are medians over ``--repeats``
runs, peak memory the largest of them.

1. Request efficiency: requests the emulator served over the minimum (``request_minimum``),
   for a full sync, an incremental sync of the unchanged account, and an incremental sync
   after ``ADVANCE_DAYS`` days of new activity.
2. Rate-limited sync: a full extraction with the emulator's limit compressed to
   ``--rate-limit`` requests per ``--rate-window`` seconds (Liquid: 300 per 300 s), against
   the floor the limit sets, requests x window / limit; and 429s. The default, 3 requests/s,
   is below the ~8 requests/s a full extraction makes unthrottled on 2 cores, so the limit
   binds.
3. Unthrottled extraction into raw Parquet: records per second and peak memory.
4. Transform, validate and load of the full extraction (with the older half of the history
   imported from export files first, so half the trades are matched to file lines), each
   step in its own process as Airflow runs them; the scaling ratio of the largest size to the
   smallest.
5. DAG parse time of ``dags/liquid_sync.py``.
6. The peer: the same account extracted and loaded into DuckDB by dlt's REST API source
   (``dlt_peer``), side by side with ours (extract, transform, validate, load into an empty
   warehouse).
"""

from __future__ import annotations

import argparse
import math
import shutil
import sys
import tempfile
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

import benchmarks_report
import machine_info
import stages
from child_process import measure
from request_minimum import AccountSnapshot, full_sync_minimum, incremental_sync_minimum

from liquid_emulator.exchange import AccountSpec, Exchange, Token
from liquid_emulator.export import write_exports
from liquid_emulator.history import INITIAL_NOW_MS
from liquid_emulator.server import EmulatorServer
from liquid_sync.imports import IMPORTED, import_files
from liquid_sync.transform.batch import batch_dir

ROOT = Path(__file__).resolve().parent.parent
DAG_FILE = ROOT / "dags" / "liquid_sync.py"
ACCOUNT = "bench"
SEED = 11
UNPACED = 1_000_000
ADVANCE_DAYS = 9


class Emulated:
    """One generated account served over HTTP; every measured run gets a token of its own."""

    def __init__(self, executions: int):
        self.exchange = Exchange.create([AccountSpec(ACCOUNT, seed=SEED, executions=executions)],
                                        rate_limit=UNPACED, rate_window_seconds=1.0)
        self.account = self.exchange.account(ACCOUNT)
        self.server = EmulatorServer(self.exchange).start()

    def new_token(self) -> Token:
        return self.exchange.create_token(ACCOUNT)

    def served(self, token: Token) -> dict:
        """What the emulator answered ``token``: requests and 429s."""
        tally = self.exchange.stats.to_json()["tokens"].get(token.token_id, {"requests": 0, "rate_limited": 0})
        return {"requests": tally["requests"], "rate_limited": tally["rate_limited"]}

    def set_rate_limit(self, limit: int, window: float) -> None:
        self.exchange.set_rate_limit(limit, window)
        self.exchange.rate_limiter.reset()

    def close(self) -> None:
        self.server.stop()


class Run:
    """The bench run: its arguments, work folder and results (the report's input)."""

    def __init__(self, args: argparse.Namespace, work: Path):
        self.args = args
        self.work = work
        self.logs = work / "logs"
        self.results: dict = {"sizes": {}, "errors": []}

    def child(self, function, name: str, **kwargs) -> dict:
        return measure(function, self.logs / f"{name}.log", **kwargs)

    def extraction(self, emulated: Emulated, name: str, mode: str, data_dir: Path, warehouse: Path,
                   limit: int = UNPACED, window: float = 1.0) -> dict:
        token = emulated.new_token()
        result = self.child(stages.extract, name, secret=token.secret, url=emulated.server.url,
                            token_id=token.token_id, account=ACCOUNT, mode=mode, run_id=name, data_dir=str(data_dir),
                            warehouse=str(warehouse), rate_limit=limit, rate_window_seconds=window)
        return result | emulated.served(token)

    def figure(self, size: int, name: str, compute) -> dict | None:
        """Run one figure and keep its result; a failure is reported in BENCHMARKS.md instead of
        stopping the run (None)."""
        began = time.perf_counter()
        print(f"{size:>9,} {name} ...", flush=True)
        result = None
        try:
            result = self.results["sizes"].setdefault(size, {})[name] = compute()
        except Exception as error:  # noqa: BLE001  (any failure becomes a line of the report)
            self.results["errors"].append(f"{name} at {size:,} executions: {type(error).__name__}: {error}")
            traceback.print_exc()
        print(f"{size:>9,} {name} done in {time.perf_counter() - began:.0f} s", flush=True)
        return result

    # figures

    def size(self, executions: int) -> None:
        folder = self.work / str(executions)
        began = time.perf_counter()
        emulated = Emulated(executions)
        print(f"{executions:>9,} account generated and served in {time.perf_counter() - began:.0f} s", flush=True)
        try:
            setup = self.figure(executions, "setup", lambda: {"warehouse": self.setup_warehouse(emulated, folder)})
            if setup is None:
                return
            warehouse = Path(setup["warehouse"])
            full = self.figure(executions, "extraction", lambda: self.full_extractions(emulated, folder, warehouse))
            loaded = folder / "loaded.duckdb"
            if full is not None:
                self.figure(executions, "transform_validate_load",
                            lambda: self.transform_validate_load(full["runs"][0]["summary"], folder, warehouse, loaded))
            if executions in self.args.peer_executions:
                self.figure(executions, "peer", lambda: self.peer(emulated, folder))
            if executions == self.args.rate_limited_executions:
                self.figure(executions, "rate_limited", lambda: self.rate_limited(emulated, folder, warehouse))
            if loaded.exists():
                self.figure(executions, "incremental", lambda: self.incrementals(emulated, folder, loaded))
        finally:
            emulated.close()
            shutil.rmtree(folder, ignore_errors=True)

    def setup_warehouse(self, emulated: Emulated, folder: Path) -> str:
        """A warehouse holding the three export files of the older half of the history."""
        account = emulated.account
        middle = INITIAL_NOW_MS - (INITIAL_NOW_MS - account.created_at_ms) // 2
        exports = write_exports(account, folder / "exports", until_ms=middle)
        warehouse = folder / "setup.duckdb"
        outcomes = import_files([exports.trades, exports.crypto_ledger, exports.fiat_ledger], account=ACCOUNT,
                                warehouse_path=warehouse)
        if any(o.status != IMPORTED for o in outcomes):
            raise RuntimeError(f"export files did not import: {[o.summary() for o in outcomes]}")
        return str(warehouse)

    def full_extractions(self, emulated: Emulated, folder: Path, warehouse: Path) -> dict:
        runs = [self.extraction(emulated, f"full-{r}", "full", folder / f"extract-{r}", warehouse)
                for r in range(self.args.repeats)]
        return {"runs": runs, "minimum_requests": full_sync_minimum(emulated.account)}

    def transform_validate_load(self, run: dict, folder: Path, setup: Path, loaded: Path) -> dict:
        data_dir = folder / "extract-0"
        repeats = []
        for r in range(self.args.repeats):
            warehouse = folder / f"warehouse-{r}.duckdb"
            shutil.copyfile(setup, warehouse)
            batch = f"full-{r}"
            directory = str(batch_dir(data_dir, batch))
            steps = {
                "transform": self.child(stages.transform, f"transform-{r}", runs=[run], batch_id=batch,
                                        data_dir=str(data_dir), warehouse=str(warehouse)),
                "validate": self.child(stages.validate, f"validate-{r}", batch_dir=directory, data_dir=str(data_dir),
                                       warehouse=str(warehouse)),
                "load": self.child(stages.load, f"load-{r}", batch_dir=directory, warehouse=str(warehouse)),
            }
            repeats.append(steps)
            shutil.move(warehouse, loaded)
        return {"runs": repeats}

    def incrementals(self, emulated: Emulated, folder: Path, loaded: Path) -> dict:
        """Incremental runs from the loaded warehouse's cursors: on the unchanged account, then
        after ``ADVANCE_DAYS`` days of activity."""
        data_dir = folder / "extract-0"
        before = AccountSnapshot.of(emulated.account)
        unchanged = self.extraction(emulated, "incremental-unchanged", "incremental", data_dir, loaded)
        unchanged["minimum_requests"] = incremental_sync_minimum(before, emulated.account)
        emulated.exchange.advance_clock(ADVANCE_DAYS * 86400)
        later = self.extraction(emulated, "incremental-later", "incremental", data_dir, loaded)
        later["minimum_requests"] = incremental_sync_minimum(before, emulated.account)
        return {"unchanged": unchanged, "later": later, "days": ADVANCE_DAYS}

    def rate_limited(self, emulated: Emulated, folder: Path, warehouse: Path) -> dict:
        limit, window = self.args.rate_limit, self.args.rate_window
        emulated.set_rate_limit(limit, window)
        try:
            runs = []
            for r in range(self.args.repeats):
                run = self.extraction(emulated, f"paced-{r}", "full", folder / f"paced-{r}", warehouse, limit, window)
                run["floor_seconds"] = run["requests"] * window / limit
                run["rolling_floor_seconds"] = (math.ceil(run["requests"] / limit) - 1) * window
                runs.append(run)
                emulated.exchange.rate_limiter.reset()
        finally:
            emulated.set_rate_limit(UNPACED, 1.0)
        return {"runs": runs, "limit": limit, "window": window}

    def peer(self, emulated: Emulated, folder: Path) -> dict:
        import dlt_peer  # benchmark-only dependency: imported only when the peer runs

        ours, theirs = [], []
        products = emulated.account.traded_product_ids()
        for r in range(self.args.repeats):
            data_dir, warehouse = folder / f"ours-{r}", folder / f"ours-{r}.duckdb"
            extracted = self.extraction(emulated, f"ours-{r}", "full", data_dir, warehouse)
            batch = f"ours-{r}"
            directory = str(batch_dir(data_dir, batch))
            ours.append({
                "extract": extracted,
                "transform": self.child(stages.transform, f"ours-transform-{r}", runs=[extracted["summary"]],
                                        batch_id=batch, data_dir=str(data_dir), warehouse=str(warehouse)),
                "validate": self.child(stages.validate, f"ours-validate-{r}", batch_dir=directory,
                                       data_dir=str(data_dir), warehouse=str(warehouse)),
                "load": self.child(stages.load, f"ours-load-{r}", batch_dir=directory, warehouse=str(warehouse)),
            })
            token = emulated.new_token()
            run = self.child(dlt_peer.run_peer, f"dlt-{r}", secret=token.secret, url=emulated.server.url,
                             token_id=token.token_id, product_ids=products, work_dir=str(folder / f"dlt-{r}"))
            theirs.append(run | emulated.served(token))
        return {"ours": ours, "dlt": theirs}

    def dag_parse(self) -> None:
        def compute() -> dict:
            if not DAG_FILE.exists():
                raise RuntimeError(f"{DAG_FILE.relative_to(ROOT)} does not exist")
            return {"runs": [self.child(stages.parse_dag, f"dag-parse-{r}", dag_file=str(DAG_FILE))
                             for r in range(self.args.repeats)]}

        began = time.perf_counter()
        try:
            self.results["dag_parse"] = compute()
        except RuntimeError as error:
            self.results["errors"].append(f"DAG parse: {error}")
        print(f"DAG parse done in {time.perf_counter() - began:.0f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executions", type=int, nargs="+", default=[100_000, 1_000_000],
                        help="account sizes (execution records)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per measurement (median time)")
    parser.add_argument("--peer-executions", type=int, nargs="*", default=[100_000],
                        help="sizes at which dlt runs side by side with ours")
    parser.add_argument("--rate-limited-executions", type=int, default=100_000,
                        help="size of the rate-limited sync")
    parser.add_argument("--rate-limit", type=int, default=30, help="requests per window for figure 2")
    parser.add_argument("--rate-window", type=float, default=10.0, help="window seconds for figure 2")
    parser.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS.md")
    args = parser.parse_args()

    started = datetime.now(UTC)
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="liquid-sync-bench-") as folder:
        run = Run(args, Path(folder))
        for executions in args.executions:
            run.size(executions)
        run.dag_parse()
        run.results.update({
            "machine": machine_info.describe(),
            "command": " ".join(["python", "bench/run_benchmarks.py", *sys.argv[1:]]),
            "started": started.isoformat(timespec="seconds"),
            "minutes": (time.perf_counter() - began) / 60,
            "repeats": args.repeats,
        })
        args.output.write_text(benchmarks_report.render(run.results), encoding="utf-8")
    print(f"wrote {args.output}")
    if run.results["errors"]:
        print("errors:\n" + "\n".join(run.results["errors"]), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
