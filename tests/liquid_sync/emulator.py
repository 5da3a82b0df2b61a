"""A running Liquid emulator for the extraction tests, with its admin interface and a way to
read back what an extraction wrote.

``ACCOUNTS``: ``alpha`` trades several products with about 2.5 pages of history per big
list; ``beta`` is small. Both have self-matches, partially filled cancelled orders, open orders
and pending withdrawals (``liquid_emulator.history`` guarantees them from a few thousand
records on).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import requests

from liquid_emulator.exchange import AccountSpec, Exchange, Token
from liquid_emulator.server import EmulatorServer
from liquid_sync.liquid_client import LiquidClient

ALPHA = AccountSpec("alpha", seed=7, executions=2600)
BETA = AccountSpec("beta", seed=8, executions=1200)


@dataclass
class Emulator:
    exchange: Exchange
    server: EmulatorServer

    @property
    def url(self) -> str:
        return self.server.url

    def admin(self, path: str, body: dict | None = None) -> dict:
        response = requests.post(f"{self.url}/_emulator{path}", json=body, timeout=10)
        assert response.status_code in (200, 201), response.text
        return response.json()

    def stats(self) -> dict:
        return requests.get(f"{self.url}/_emulator/stats", timeout=10).json()

    def token(self, account: str, index: int = 0) -> Token:
        return [t for t in self.exchange.tokens if t.account == account][index]

    def client(self, account: str, index: int = 0, **options) -> LiquidClient:
        token = self.token(account, index)
        options.setdefault("backoff_base_seconds", 0.01)
        options.setdefault("backoff_cap_seconds", 0.05)
        options.setdefault("timeout_seconds", 10.0)
        return LiquidClient(self.url, token.token_id, token.secret, account=account, **options)


@contextmanager
def running_emulator(accounts=(ALPHA, BETA), tokens_per_account: int = 2) -> Iterator[Emulator]:
    """An emulator serving ``accounts`` until the block ends."""
    exchange = Exchange.create(list(accounts), tokens_per_account=tokens_per_account)
    with EmulatorServer(exchange) as server:
        yield Emulator(exchange, server)


def raw_rows(data_dir: Path, account: str, run_id: str) -> list[dict]:
    """Every raw row an extraction run wrote for ``account``, sorted, without ``fetched_at``."""
    base = data_dir / "raw" / account
    rows = []
    for path in sorted(base.glob(f"*/run={run_id}/**/*.parquet")):
        for row in pq.read_table(path).to_pylist():
            row.pop("fetched_at")
            row["file"] = str(path.relative_to(base))
            rows.append(row)
    return sorted(rows, key=lambda r: (r["file"], r["record_id"], r["record"]))


def raw_records(data_dir: Path, account: str, run_id: str, endpoint: str) -> list[dict]:
    """The records of one endpoint, parsed with decimals as ``Decimal``."""
    return [
        json.loads(row["record"], parse_float=Decimal)
        for row in raw_rows(data_dir, account, run_id)
        if row["endpoint"] == endpoint
    ]
