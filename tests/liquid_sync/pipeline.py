"""The sync pipeline against the emulator, for tests: import files, extract, transform, load.

``Pipeline`` keeps one data folder and one warehouse; ``sync`` runs extraction of the given
accounts, then transform and load of one batch, as the DAG does. Expected values come from
the emulator's own records (``liquid_emulator.model``).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

from liquid_emulator.export import ExportPaths, write_exports
from liquid_emulator.model import Account, Execution, units_to_decimal
from liquid_sync.extract import extract_account
from liquid_sync.imports import IMPORTED, import_files
from liquid_sync.load import load_batch
from liquid_sync.transform import transform
from liquid_sync.transform.batch import batch_dir
from tests.warehouse_query import query

CLOSED = ("filled", "cancelled")


class Pipeline:
    def __init__(self, emulator, root: Path):
        self.emulator = emulator
        self.root = root
        self.data_dir = root / "data"
        self.warehouse = root / "warehouse.duckdb"
        self.batches = 0
        self.exports = 0

    def extract(self, account: str, mode: str = "incremental", token: int = 0, **options) -> dict:
        self.batches += 1
        return extract_account(account, self.emulator.client(account, token), mode, f"run-{self.batches}",
                               self.data_dir, warehouse_path=self.warehouse, **options)

    def transform(self, runs: list[dict]) -> dict:
        self.batches += 1
        return transform(runs, f"batch-{self.batches}", data_dir=self.data_dir, warehouse_path=self.warehouse)

    def load(self, manifest: dict, **options) -> dict:
        return load_batch(batch_dir(self.data_dir, manifest["batch_id"]), warehouse_path=self.warehouse, **options)

    def sync(self, accounts: Iterable[str] = ("alpha",), mode: str = "incremental", **options) -> dict:
        runs = [self.extract(account, mode, **options) for account in accounts]
        return self.load(self.transform(runs))

    def export(self, account: str, **options) -> ExportPaths:
        self.exports += 1
        folder = self.root / f"exports-{self.exports}"
        return write_exports(self.emulator.exchange.account(account), folder, **options)

    def import_files(self, account: str, paths: Iterable[Path]) -> None:
        outcomes = import_files(list(paths), account=account, warehouse_path=self.warehouse)
        assert all(o.status == IMPORTED for o in outcomes), [o.summary() for o in outcomes]

    def rows(self, sql: str, params: object = None) -> list[tuple]:
        return query(self.warehouse, sql, params)

    def table(self, name: str) -> list[tuple]:
        """Every row of ``name``, sorted (order-independent comparison)."""
        return sorted(self.rows(f"SELECT * FROM {name}"), key=repr)


def closed_executions(account: Account) -> list[Execution]:
    """The account's executions of closed orders (filled, or cancelled with fills)."""
    return [e for o in account.orders if o.status in CLOSED for e in o.executions]


def pending_executions(account: Account) -> list[Execution]:
    return [e for o in account.orders if o.status not in CLOSED for e in o.executions]


def expected_ledger(account: Account) -> dict[str, Decimal]:
    """The account's balances without what executions of open orders moved (they are not in the
    ledger until their order closes)."""
    totals = {code: units_to_decimal(units) for code, units in account.balances().items()}
    for order in account.orders:
        if order.status in CLOSED:
            continue
        for e in order.executions:
            sign = 1 if order.side == "buy" else -1
            totals[order.base_currency] -= sign * units_to_decimal(e.quantity)
            totals[order.funding_currency] += sign * units_to_decimal(e.amount)
            totals[e.fee_currency] += units_to_decimal(e.net_fee)
    return {code: amount for code, amount in totals.items() if amount}
