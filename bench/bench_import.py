"""Speed and memory of importing large Liquid export files.

Usage: ``.venv/bin/python bench/bench_import.py [--rows 1000000] [--runs 3]``

Writes, in a temporary folder, a trades export of ``--rows`` rows and a crypto ledger export
of about ``--rows`` rows (ETH/BTC executions of 3 rows each, every 50th execution
self-matched, with deposits and withdrawals), then times three scenarios, each ``--runs``
times in a fresh child process and a fresh warehouse:

* ``trades``: the trades export into an empty warehouse;
* ``trades again, renamed+1 row``: the same rows plus one, after the original (every row but
  one is a duplicate to skip);
* ``crypto ledger``: the ledger export into an empty warehouse (ledger rows, trade
  assembly with exact prices, deposits, withdrawals).

Reports the median wall time of the measured import, rows per second and the child's peak
resident memory (``ru_maxrss``, which includes Python, DuckDB and pyarrow themselves).
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import statistics
import tempfile
import time
from pathlib import Path

from liquid_sync.imports import IMPORTED, import_files

TRADES_HEADER = "Quote Currency,Base Currency,Execution Id,Type,Date,Open Qty,Price,Fee,Fee Currency,Amount"
CRYPTO_LEDGER_HEADER = ",".join(
    f'"{name}"'
    for name in (
        "exchange", "currency_type", "direction", "transaction_id", "transaction_type", "gross_amount", "currency",
        "execution_id", "generated_for_type", "generated_for_id", "transaction_hash", "from_address", "to_address",
        "state", "created_at_jst", "updated_at_jst", "created_at_utc", "updated_at", "notes", "user_id", "account_id",
    )
)
START_S = 1_546_300_800  # 2019-01-01T00:00:00Z


def _units(units: int) -> str:
    sign = "-" if units < 0 else ""
    whole, fraction = divmod(abs(units), 10**8)
    return f"{sign}{whole}.{(f'{fraction:08d}'.rstrip('0') or '0')}"


def _stamp(seconds: int, suffix: str = "") -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(seconds)) + suffix


def write_trades_export(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(TRADES_HEADER + "\r\n")
        for i in range(rows):
            quantity = (i % 997 + 1) * 10**4  # 0.0001 .. 0.0997 BTC
            price = (4_000_000 + i % 10_000) * 10**8  # JPY per BTC
            amount = quantity * price // 10**8
            fee = amount * 15 // 10_000
            side = "Bought" if i % 2 else "Sold"
            fee_currency = "QASH" if i % 10 == 0 else "JPY"
            out.write(
                f"JPY,BTC,{400_000_000 + i},{side},{_stamp(START_S + i)},{_units(quantity)},{_units(price)},"
                f"{_units(fee)},{fee_currency},{_units(amount)}\r\n"
            )


def _ledger_line(writer, entry_id: int, kind: str, amount: int, currency: str, source: tuple[str, int],
                 at_s: int, execution_id: int | None = None, state: str = "") -> None:
    direction = "PAY" if amount < 0 else "RECEIVE"
    cells = ("liquid", "crypto", direction, entry_id, kind, _units(amount), currency,
             "" if execution_id is None else execution_id, source[0], source[1], "", "", "", state,
             _stamp(at_s + 9 * 3600, " JST"), _stamp(at_s + 9 * 3600, " JST"), _stamp(at_s, " UTC"),
             _stamp(at_s, " UTC"), "", 1, 1)
    writer.write(",".join(f'"{cell}"' for cell in cells) + "\r\n")


def write_crypto_ledger_export(path: Path, rows: int) -> None:
    """About ``rows`` ledger rows of ETH/BTC trades (3 rows each), deposits and withdrawals."""
    entry_id = 1_500_000_000
    written = 0
    execution = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(CRYPTO_LEDGER_HEADER + "\r\n")
        while written < rows:
            at_s = START_S + execution
            execution_id = 400_000_000 + execution
            sides = ("buy", "sell") if execution % 50 == 0 else (("buy", "sell")[execution % 2],)
            if execution % 1000 == 0:
                source = ("Deposit", 3_000_000 + execution)
                entry_id += 1
                _ledger_line(out, entry_id, "funding", 10**9, "BTC", source, at_s)
                entry_id += 1
                _ledger_line(out, entry_id, "funding_fee", -10**5, "BTC", source, at_s)
                source = ("CryptoWithdrawal", 500_000 + execution)
                entry_id += 1
                _ledger_line(out, entry_id, "withdrawal", -10**8, "ETH", source, at_s, state="processed")
                entry_id += 1
                _ledger_line(out, entry_id, "withdrawal_fee", -10**6, "ETH", source, at_s, state="processed")
                written += 4
            quantity = (execution % 997 + 1) * 10**5  # ETH
            price = 6_800_000 + execution % 1000  # BTC per ETH, in units
            amount = quantity * price // 10**8
            fee = amount * 15 // 10_000
            for side in sides:
                legs = (("BTC", -amount), ("ETH", quantity)) if side == "buy" else (("ETH", -quantity), ("BTC", amount))
                for kind, (currency, delta) in (("trade", legs[0]), ("trade", legs[1]), ("trade_fee", ("BTC", -fee))):
                    entry_id += 1
                    _ledger_line(out, entry_id, kind, delta, currency, ("Execution", execution_id), at_s, execution_id)
                    written += 1
            execution += 1


def _import_child(paths: list[str], warehouse: str, results) -> None:
    *setup, measured = paths
    if setup:
        import_files([Path(p) for p in setup], account="bench", warehouse_path=Path(warehouse))
    started = time.perf_counter()
    outcomes = import_files([Path(measured)], account="bench", warehouse_path=Path(warehouse))
    seconds = time.perf_counter() - started
    statuses = [outcome.status for outcome in outcomes]
    results.put((seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, statuses, outcomes[0].rows))


def run_scenario(name: str, paths: list[Path], runs: int, work: Path) -> None:
    context = multiprocessing.get_context("spawn")
    timings, peaks = [], []
    rows = 0
    for run in range(runs):
        results = context.Queue()
        warehouse = work / f"{name.split()[0]}-{run}.duckdb"
        child = context.Process(target=_import_child, args=([str(p) for p in paths], str(warehouse), results))
        child.start()
        seconds, peak_mb, statuses, rows = results.get()
        child.join()
        if statuses != [IMPORTED]:
            raise SystemExit(f"{name}: import did not succeed: {statuses}")
        timings.append(seconds)
        peaks.append(peak_mb)
        warehouse.unlink()
    median = statistics.median(timings)
    print(
        f"{name:<30} {rows:>9,} rows  median {median:6.2f} s  ({rows / median:>9,.0f} rows/s)"
        f"  runs {', '.join(f'{t:.2f}' for t in timings)} s  peak RSS {max(peaks):,.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        trades = work / "liquid_trades_bench.csv"
        write_trades_export(trades, args.rows)
        trades_again = work / "liquid_trades_bench_again.csv"
        trades_again.write_bytes(trades.read_bytes())
        with trades_again.open("a", encoding="utf-8", newline="") as out:
            out.write(f"JPY,BTC,399999999,Bought,{_stamp(START_S - 1)},0.1,4000000,1,JPY,400000\r\n")
        ledger = work / "liquid_ledger_crypto_bench.csv"
        write_crypto_ledger_export(ledger, args.rows)
        print(f"files: trades {trades.stat().st_size / 1e6:.0f} MB, ledger {ledger.stat().st_size / 1e6:.0f} MB")
        run_scenario("trades", [trades], args.runs, work)
        run_scenario("trades again, renamed+1 row", [trades, trades_again], args.runs, work)
        run_scenario("crypto ledger", [ledger], args.runs, work)


if __name__ == "__main__":
    main()
