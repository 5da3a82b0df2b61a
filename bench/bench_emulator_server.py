"""Pages per second of ``GET /executions/me?limit=1000`` from the emulator, at 100k and 1M executions.

For each account size: generate the account, serve it, and with one keep-alive
``requests.Session`` fetch the pages of its busiest product (up to ``--max-pages``);
report the median over ``--runs`` runs of:

* ``http``: signed request + full body received (what the server can deliver; the
  "first pass" is the first fetch of each page after the server started);
* ``http+parse``: the same plus ``json.loads(parse_float=Decimal)``, as a real client does;
* ``parse only``: parsing alone, on bodies fetched beforehand (the client's share);
* ``server only``: ``LiquidApi.handle`` in-process, no HTTP (the server's share).

Usage: ``.venv/bin/python bench/bench_emulator_server.py [--sizes 100000 1000000] [--runs 5]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from decimal import Decimal

from liquid_emulator import catalog, history
from liquid_emulator.api import LiquidApi
from liquid_emulator.exchange import Catalog, Exchange
from liquid_emulator.messages import Request
from liquid_emulator.server import EmulatorServer
from liquid_emulator.signing import NonceSource, SignedClient, auth_headers

LIMIT = 1000


def pages_per_second(run, pages: int, runs: int) -> float:
    rates = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        rates.append(pages / (time.perf_counter() - started))
    return statistics.median(rates)


def bench_size(executions: int, runs: int, max_pages: int) -> None:
    started = time.perf_counter()
    account = history.generate_account(1, executions)
    generated = time.perf_counter() - started
    product_id = max(account.traded_product_ids(), key=lambda p: len(account.executions(p)))
    rows = len(account.executions(product_id))
    pages = min(-(-rows // LIMIT), max_pages)
    exchange = Exchange(Catalog(catalog.currencies(), catalog.products()), [account], history.INITIAL_NOW_MS,
                        rate_limit=10**9)
    token = exchange.create_token(account.name)
    started = time.perf_counter()
    with EmulatorServer(exchange) as server:
        startup = time.perf_counter() - started
        client = SignedClient(server.url, token.token_id, token.secret)

        def fetch(page: int) -> bytes:
            response = client.get("/executions/me", {"product_id": product_id, "limit": LIMIT, "page": page})
            response.raise_for_status()
            return response.content

        started = time.perf_counter()
        bodies = [fetch(page) for page in range(1, pages + 1)]  # the first pass; also the parse-only input
        first = pages / (time.perf_counter() - started)
        http = pages_per_second(lambda: [fetch(p) for p in range(1, pages + 1)], pages, runs)
        both = pages_per_second(
            lambda: [json.loads(fetch(p), parse_float=Decimal) for p in range(1, pages + 1)], pages, runs
        )
        parse = pages_per_second(lambda: [json.loads(b, parse_float=Decimal) for b in bodies], pages, runs)
    api, nonces = LiquidApi(exchange), NonceSource()

    def handle(page: int) -> None:
        target = f"/executions/me?product_id={product_id}&limit={LIMIT}&page={page}"
        headers = auth_headers(target, token.token_id, token.secret, nonces.next())
        assert api.handle(Request("GET", target, headers)).status == 200

    server_only = pages_per_second(lambda: [handle(p) for p in range(1, pages + 1)], pages, runs)
    print(
        f"{executions:>9,} executions (generated in {generated:.1f} s, server start {startup:.1f} s): "
        f"product {product_id} has {rows:,} rows, {pages} pages of {LIMIT}, "
        f"{sum(map(len, bodies)) / len(bodies) / 1024:.0f} KiB/page\n"
        f"    http first pass {first:.0f} | http {http:.0f} | http+parse {both:.0f} | parse only {parse:.0f}"
        f" | server only {server_only:.0f}  (pages/s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=5, help="measurements per figure (median reported)")
    parser.add_argument("--max-pages", type=int, default=100, help="pages per measurement")
    args = parser.parse_args()
    for size in args.sizes:
        bench_size(size, args.runs, args.max_pages)


if __name__ == "__main__":
    main()
