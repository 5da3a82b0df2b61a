"""The sync the fault tests break, the emulator it runs against, and warehouse comparison.

Two accounts, ``alpha`` (export files in the inbox, so trades are matched to file lines and
deposits come in) and ``beta`` (API only). Sync 1 is a full sync at the emulator's start;
sync 2 is an incremental sync after ``DAYS_LATER`` days of new activity, with the newer
export files of ``alpha`` added to the inbox.

``sync`` runs what one run of the DAG runs, in the DAG's order and with its rules: import the
inbox, extract each account (an account whose extraction fails with a Liquid error is left
out, as the DAG's last attempt does; a rejected key gives a ``key_disabled`` run), transform
the runs into batch ``batch-<run id>``, validate, load, reconcile. Run again with the same run
id, it resumes (as an Airflow retry does).
"""

from __future__ import annotations

import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path


from liquid_emulator.exchange import AccountSpec, Exchange, Token
from liquid_emulator.export import write_exports
from liquid_emulator.history import INITIAL_NOW_MS
from liquid_emulator.server import EmulatorServer
from liquid_sync import warehouse as warehouse_db
from liquid_sync.extract import extract_account
from liquid_sync.imports import ALREADY_IMPORTED, IMPORTED, import_inbox
from liquid_sync.liquid_client import LiquidClient
from liquid_sync.load import load_batch
from liquid_sync.reconcile import reconcile
from liquid_sync.transform import transform
from liquid_sync.transform.batch import batch_dir
from liquid_sync.validate import validate_batch
from tests.liquid_sync.emulator import Emulator
from tests.warehouse_query import query

ALPHA = AccountSpec("alpha", seed=21, executions=2500)
BETA = AccountSpec("beta", seed=22, executions=800)
ACCOUNTS = ("alpha", "beta")
FILE_ACCOUNT = "alpha"
DAYS_LATER = 9
RUN_IDS = {1: "run-1", 2: "run-2"}  # the run ids of sync 1 and sync 2
UNLIMITED = 1_000_000

ANALYST_TABLES = ("trades", "orders", "withdrawals", "deposits", "ledger")
COMPARED_TABLES = (*ANALYST_TABLES, "api_executions", "api_withdrawals", "dedup_matches", "review_queue",
                   "sync_state", "file_trades", "file_ledger_entries")
API_TABLES = ("orders", "api_executions", "api_withdrawals", "sync_state")  # what an extraction run brings
RUN_ID_COLUMNS = frozenset({"run_id", "batch_id", "state_run_id", "last_run_id", "api_run_id"})


class Emulated(Emulator):
    """An emulator of both accounts over HTTP, rate limit off (the fault tests share tokens)."""

    @property
    def secrets(self) -> list[str]:
        return [t.secret for t in self.exchange.tokens]

    def stop(self) -> None:
        self.server.stop()

    def client(self, account: str, index: int = 0, **options) -> LiquidClient:
        """A client of the account's ``index``-th token with the limit off and short backoffs."""
        return client_for(self.url, self.token(account, index), **options)


def start_emulator(days_later: int = 0, tokens_per_account: int = 2) -> Emulated:
    """Both accounts, with the clock ``days_later`` days after the emulator's start."""
    exchange = Exchange.create([ALPHA, BETA], tokens_per_account=tokens_per_account, rate_limit=UNLIMITED,
                               rate_window_seconds=1.0)
    if days_later:
        exchange.advance_clock(days_later * 86400)
    return Emulated(exchange, EmulatorServer(exchange).start())


def client_for(url: str, token: Token, **options) -> LiquidClient:
    """A client of ``token`` with the limit off and short backoffs."""
    options = {"rate_limit": UNLIMITED, "rate_window_seconds": 1.0, "backoff_base_seconds": 0.01,
               "backoff_cap_seconds": 0.05, "timeout_seconds": 10.0, **options}
    return LiquidClient(url, token.token_id, token.secret, account=token.account, **options)


def middle_ms(emulated: Emulated) -> int:
    account = emulated.exchange.account(FILE_ACCOUNT)
    return INITIAL_NOW_MS - (INITIAL_NOW_MS - account.created_at_ms) // 2


def write_inbox_files(emulated: Emulated, inbox: Path, sync_number: int) -> None:
    """Sync 1's export files (the older half of ``alpha``'s history) or sync 2's (from a day
    before the middle up to now, overlapping sync 1's), into ``inbox/alpha/``."""
    account = emulated.exchange.account(FILE_ACCOUNT)
    folder = inbox / FILE_ACCOUNT
    if sync_number == 1:
        write_exports(account, folder, until_ms=middle_ms(emulated))
    else:
        write_exports(account, folder, since_ms=middle_ms(emulated) - 86_400_000)


@dataclass
class Site:
    """One installation of Liquid Sync: its data folder (inbox included) and its warehouse."""

    root: Path

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def inbox(self) -> Path:
        return self.data_dir / "inbox"

    @property
    def warehouse(self) -> Path:
        return self.data_dir / "warehouse.duckdb"

    def copy_to(self, root: Path) -> Site:
        shutil.copytree(self.root, root)
        return Site(root)

    def rows(self, sql: str, params: object = None) -> list[tuple]:
        return query(self.warehouse, sql, params)

    def tables(self, names: tuple[str, ...] = COMPARED_TABLES, *, ignore_run_ids: bool = False,
               account: str | None = None) -> dict[str, list[tuple]]:
        """The rows of each table, sorted (order-free comparison); without the columns naming
        runs and batches when ``ignore_run_ids``; of one account when ``account`` is given."""
        con = warehouse_db.connect(self.warehouse, read_only=True)
        try:
            return {name: _sorted_rows(con, name, ignore_run_ids, account) for name in names}
        finally:
            con.close()

    def table(self, name: str, **options) -> list[tuple]:
        return self.tables((name,), **options)[name]


def _sorted_rows(con, name: str, ignore_run_ids: bool, account: str | None) -> list[tuple]:
    columns = [c[0] for c in con.execute(f"SELECT * FROM {name} LIMIT 0").description]
    kept = [c for c in columns if not (ignore_run_ids and c in RUN_ID_COLUMNS)]
    where, params = ("", None) if account is None else (" WHERE account = ?", [account])
    return sorted(con.execute(f"SELECT {', '.join(kept)} FROM {name}{where}", params).fetchall(), key=repr)


def batch_id(run_id: str) -> str:
    return f"batch-{run_id}"


@dataclass
class SyncReport:
    """What one sync did; JSON-friendly parts only (it is scanned for secrets)."""

    imports: list[str]
    runs: list[dict]
    failures: dict[str, str] = field(default_factory=dict)
    batch: dict | None = None
    validation: dict | None = None
    load: dict | None = None
    reconciliation: dict | None = None


def extract_all(site: Site, emulated: Emulated, run_id: str, *, mode: str = "incremental",
                tokens: dict[str, int] | None = None, client_options: dict | None = None,
                on_page=None) -> tuple[list[dict], dict[str, str]]:
    """Extract every account; returns the completed or key-disabled runs and the failures
    (account: error). ``on_page(account, event)`` is called after each page."""
    runs, failures = [], {}
    for account in ACCOUNTS:
        liquid = emulated.client(account, (tokens or {}).get(account, 0), **(client_options or {}))
        pages = None if on_page is None else (lambda event, account=account: on_page(account, event))
        try:
            runs.append(extract_account(account, liquid, mode, run_id, site.data_dir, warehouse_path=site.warehouse,
                                        on_page=pages))
        except Exception as error:  # noqa: BLE001  (the DAG's last attempt leaves the account out)
            failures[account] = f"{type(error).__name__}: {error}"
    return runs, failures


def sync(site: Site, emulated: Emulated, run_id: str, *, mode: str = "incremental",
         tokens: dict[str, int] | None = None, client_options: dict | None = None, on_page=None) -> SyncReport:
    """One run of the pipeline (see the module docstring)."""
    outcomes = import_inbox(site.inbox, site.warehouse)
    assert all(o.status in (IMPORTED, ALREADY_IMPORTED) for o in outcomes), [o.summary() for o in outcomes]
    runs, failures = extract_all(site, emulated, run_id, mode=mode, tokens=tokens, client_options=client_options,
                                 on_page=on_page)
    report = SyncReport([o.summary() for o in outcomes], runs, failures)
    report.batch = transform(runs, batch_id(run_id), data_dir=site.data_dir, warehouse_path=site.warehouse)
    directory = batch_dir(site.data_dir, batch_id(run_id))
    report.validation = validate_batch(directory, data_dir=site.data_dir, warehouse_path=site.warehouse)
    report.load = load_batch(directory, warehouse_path=site.warehouse)
    report.reconciliation = reconcile(batch_id(run_id), warehouse_path=site.warehouse)
    return report


def table_differences(site: Site, reference: Site, names: tuple[str, ...] = COMPARED_TABLES,
                      **options) -> dict[str, str]:
    """For each table whose rows differ from ``reference``'s (as multisets): how many rows are
    missing and how many extra, with an example of each."""
    got_tables, want_tables = site.tables(names, **options), reference.tables(names, **options)
    differences = {}
    for name in names:
        got, want = Counter(got_tables[name]), Counter(want_tables[name])
        if got != want:
            missing, extra = want - got, got - want
            differences[name] = (f"{sum(missing.values())} rows missing (e.g. {next(iter(missing), None)}), "
                                 f"{sum(extra.values())} extra (e.g. {next(iter(extra), None)})")
    return differences
