"""Benchmark the extraction against the emulator over HTTP: requests versus the minimum, and
records per second.

    .venv/bin/python bench/bench_extract.py [--executions 50000] [--advance-days 7]

Runs a full extraction of one generated account with pacing off (rate limit raised on both
sides, so the figure is the client's and the emulator's throughput), then an incremental run
after the emulator's clock advances and one on the unchanged account, and prints one JSON
object. Each extraction runs in its own process, so its peak memory is its own (the emulator's
copy of the history stays in the parent). ``paced_seconds_*`` is the waiting Liquid's limit
would add: a rolling window lets ``limit`` requests go at once, then one window per ``limit``.
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
import time
from pathlib import Path

import requests

from child_process import peak_rss_mib, spawned
from liquid_emulator.exchange import AccountSpec, Exchange
from liquid_emulator.server import EmulatorServer
from liquid_sync.extract import extract_account
from liquid_sync.liquid_client import LiquidClient

UNPACED = 1_000_000


def minimum_requests(account) -> int:
    lists = [len(account.orders), len(account.crypto_withdrawals), len(account.fiat_withdrawals)]
    lists += [len(account.executions(p)) for p in account.traded_product_ids()]
    return sum(n // 1000 + 1 for n in lists)


def extract_in_child(url: str, token_id: str, secret: str, mode: str, run_id: str, data_dir: str, out) -> None:
    client = LiquidClient(url, token_id, secret, account="bench", rate_limit=UNPACED)
    began = time.perf_counter()
    summary = extract_account("bench", client, mode, run_id, Path(data_dir))
    out.put((summary, time.perf_counter() - began, round(peak_rss_mib())))


def timed_run(server: EmulatorServer, exchange: Exchange, mode: str, run_id: str, data_dir: Path) -> dict:
    """One extraction in a fresh child process, so its peak memory is the extraction's own."""
    token = exchange.tokens[0]
    requests.post(f"{server.url}/_emulator/stats/reset", timeout=10)
    summary, seconds, peak_mb = spawned(extract_in_child, server.url, token.token_id, token.secret, mode, run_id,
                                        str(data_dir))
    served = requests.get(f"{server.url}/_emulator/stats", timeout=10).json()["tokens"][token.token_id]
    records = sum(summary["records"].values())
    return {
        "mode": mode,
        "requests": served["requests"],
        "records": summary["records"],
        "seconds": round(seconds, 2),
        "records_per_second": round(records / seconds),
        "peak_memory_mb": peak_mb,
        "paced_seconds_at_300_per_5min": paced_seconds(served["requests"], 300),
        "paced_seconds_at_600_per_5min": paced_seconds(served["requests"], 600),
    }


def paced_seconds(requests_made: int, limit: int, window: float = 300.0) -> float:
    """Waiting time at Liquid's limit: bursts of ``limit`` requests, a full window apart."""
    return max(0, math.ceil(requests_made / limit) - 1) * window


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executions", type=int, default=50_000)
    parser.add_argument("--advance-days", type=float, default=7.0)
    args = parser.parse_args()

    exchange = Exchange.create([AccountSpec("bench", seed=1, executions=args.executions)],
                               rate_limit=UNPACED, rate_window_seconds=1.0)
    account = exchange.account("bench")
    with EmulatorServer(exchange) as server, tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        full = timed_run(server, exchange, "full", "bench-full", data_dir)
        full["minimum_requests"] = minimum_requests(account)
        full["requests_over_minimum"] = round(full["requests"] / full["minimum_requests"], 4)
        exchange.advance_clock(args.advance_days * 86400)
        incremental = timed_run(server, exchange, "incremental", "bench-incremental", data_dir)
        unchanged = timed_run(server, exchange, "incremental", "bench-unchanged", data_dir)
    print(json.dumps({"executions": args.executions, "products": len(account.traded_product_ids()),
                      "full": full, "incremental_after_advance": incremental,
                      "incremental_unchanged": unchanged}, indent=1))


if __name__ == "__main__":
    main()
