"""``python -m liquid_emulator.demo``: a short tour of the emulator over real signed HTTP.

Starts an emulator with a generated ``demo`` account on a free port, writes its tokens
file, makes a handful of signed requests (products, balances, executions, orders,
withdrawals, a revoked token, a compressed rate limit) and prints one line per answer.
Secrets are never printed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

import requests

from liquid_emulator.cli import write_private_json
from liquid_emulator.exchange import AccountSpec, Exchange
from liquid_emulator.server import EmulatorServer
from liquid_emulator.signing import SignedClient


def _json(response: requests.Response):
    return response.json(parse_float=Decimal)


def _line(label: str, response: requests.Response, summary: str) -> None:
    print(f"  {label:<58} {response.status_code}  {summary}")


def run(seed: int, executions: int) -> None:
    exchange = Exchange.create([AccountSpec("demo", seed, executions)], tokens_per_account=2)
    account = exchange.account("demo")
    product_id = max(account.traded_product_ids(), key=lambda p: len(account.executions(p)))
    main_token, spare_token = exchange.tokens
    with tempfile.TemporaryDirectory(prefix="liquid-emulator-demo-") as tmp, EmulatorServer(exchange) as server:
        tokens_file = Path(tmp) / "tokens.json"
        write_private_json(tokens_file, [t.to_json() for t in exchange.tokens])
        print(f"Liquid emulator at {server.url} (tokens in {tokens_file})")
        client = SignedClient(server.url, main_token.token_id, main_token.secret)
        admin = requests.Session()

        r = client.session.get(server.url + "/products")
        _line("GET /products (public)", r, f"{len(r.json())} products")

        r = client.get("/accounts/balance")
        nonzero = [b for b in _json(r) if Decimal(b["balance"])]
        shown = ", ".join(f"{b['currency']} {b['balance']}" for b in nonzero[:4])
        _line("GET /accounts/balance", r, f"{len(nonzero)} currencies: {shown}{' ...' if len(nonzero) > 4 else ''}")

        params = {"product_id": product_id, "limit": 100}
        r = client.get("/executions/me", params)
        page = _json(r)
        newest = page["models"][0]
        _line(
            f"GET /executions/me?product_id={product_id}&limit=100", r,
            f"{len(page['models'])} rows, {page['total_pages']} pages; newest id {newest['id']} "
            f"{newest['my_side']} {newest['quantity']} @ {newest['price']}",
        )

        r = client.get("/orders", {"with_details": 1})
        orders = _json(r)["models"]
        statuses = sorted({o["status"] for o in orders})
        _line("GET /orders?with_details=1", r, f"{len(orders)} orders on page 1, statuses {statuses}")

        r = client.get("/crypto_withdrawals")
        withdrawals = _json(r)["models"]
        _line("GET /crypto_withdrawals", r, f"{len(withdrawals)} on page 1, states {sorted({w['state'] for w in withdrawals})}")

        r = client.get("/withdrawals")
        _line("GET /withdrawals (fiat)", r, f"{len(_json(r)['models'])} on page 1")

        admin.post(f"{server.url}/_emulator/tokens/{spare_token.token_id}/revoke").raise_for_status()
        revoked = SignedClient(server.url, spare_token.token_id, spare_token.secret)
        r = revoked.get("/accounts/balance")
        _line(f"GET /accounts/balance, token {spare_token.token_id} revoked", r, repr(r.text))

        fresh = admin.post(f"{server.url}/_emulator/tokens", json={"account": "demo"})
        fresh.raise_for_status()
        limited = SignedClient(server.url, fresh.json()["token_id"], fresh.json()["secret"])
        admin.post(f"{server.url}/_emulator/rate_limit", json={"limit": 3, "window_seconds": 60}).raise_for_status()
        answers = [limited.get("/trading_accounts") for _ in range(4)]
        _line(
            f"4 x GET /trading_accounts, new token {limited.token_id}, limit 3/60 s", answers[-1],
            f"{[a.status_code for a in answers]} {answers[-1].text!r}",
        )
        admin.post(f"{server.url}/_emulator/rate_limit", json={"limit": 300, "window_seconds": 300}).raise_for_status()

        stats = admin.get(f"{server.url}/_emulator/stats").json()["tokens"]
        print("Requests per token:", {token_id: tally["by_status"] for token_id, tally in stats.items()})
    print("Emulator stopped.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m liquid_emulator.demo", description="A short tour of the emulator over real signed HTTP."
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--executions", type=int, default=5000)
    args = parser.parse_args(argv)
    run(args.seed, args.executions)
    return 0


if __name__ == "__main__":
    sys.exit(main())
