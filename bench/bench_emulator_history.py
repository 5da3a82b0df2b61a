"""Benchmark: time and peak memory of generating (and exporting) emulator account histories.

Every run happens in a fresh Python process, so its peak RSS belongs to that run alone.
Prints, per size, the median generation time, the median time to write the three export
files, and the largest peak RSS over the runs.

    .venv/bin/python bench/bench_emulator_history.py                       # 100k x3, 1M x3
    .venv/bin/python bench/bench_emulator_history.py --sizes 100000 --runs 5
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time

DEFAULT_SIZES = (100_000, 1_000_000)
SEED = 1


def measure_once(executions: int) -> dict:
    """Generate and export one account in this process; timings in seconds, memory in MiB."""
    from liquid_emulator import history
    from liquid_emulator.export import write_exports

    baseline_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    account = history.generate_account(SEED, executions)
    generated = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        write_exports(account, folder)
    exported = time.perf_counter()
    return {
        "generate_s": generated - started,
        "export_s": exported - generated,
        "baseline_mib": baseline_kib / 1024,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "ledger_entries": len(account.ledger),
        "orders": len(account.orders),
    }


def measure_in_child(executions: int) -> dict:
    completed = subprocess.run([sys.executable, __file__, "--child", str(executions)], check=True,
                               capture_output=True, text=True)
    return json.loads(completed.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES), help="execution records")
    parser.add_argument("--runs", type=int, default=3, help="runs per size (median time, max peak RSS)")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(measure_once(args.child)))
        return
    print(f"{'executions':>11} {'runs':>4} {'generate s':>11} {'export s':>9} {'peak RSS MiB':>13} "
          f"{'baseline MiB':>13} {'orders':>8} {'ledger rows':>12}")
    for size in args.sizes:
        results = [measure_in_child(size) for _ in range(args.runs)]
        print(f"{size:>11} {len(results):>4} {statistics.median(r['generate_s'] for r in results):>11.2f} "
              f"{statistics.median(r['export_s'] for r in results):>9.2f} "
              f"{max(r['peak_mib'] for r in results):>13.0f} {results[0]['baseline_mib']:>13.0f} "
              f"{results[0]['orders']:>8} {results[0]['ledger_entries']:>12}", flush=True)


if __name__ == "__main__":
    main()
