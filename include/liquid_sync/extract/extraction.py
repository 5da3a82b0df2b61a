"""Extract one Liquid account's orders, executions and withdrawals into raw Parquet pages.

``extract_account`` is the entry point. One run of one account:

1. skips the account if its key is disabled (``key_status``);
2. takes the token's lock and pacing log (``token_lock``, ``LiquidClient.bind_pacing_file``);
3. opens the run's manifest: a new run records its mode, cutoff and the committed state it
   starts from; a rerun with the same run id continues after its last completed page;
4. walks the partitions in order: ``orders`` (then, incremental only, the orders the state
   holds open), ``executions/product=<id>`` for each product whose orders gained fills,
   ``crypto_withdrawals``, ``fiat_withdrawals``, ``balances``; every page is written, then
   recorded;
5. finishes the manifest with the run summary, which is returned (JSON-serialisable, no
   secrets). With a warehouse, the warehouse owns the cursors: the run starts from its
   ``sync_state`` and the load commits the new state (``state.state_after_run``) together
   with the run's data. Without one, the run commits the new state to ``_state.json``.

A 401 key rejection marks the key disabled and returns a summary with status
``key_disabled``; the pages written so far stay and the state is not committed.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from liquid_sync import config
from liquid_sync.extract import cutoff as warehouse
from liquid_sync.extract import key_status
from liquid_sync.extract.files import remove_temporaries
from liquid_sync.extract.judges import ExecutionJudge, OrderJudge, Verdict, Window, WithdrawalJudge
from liquid_sync.extract.layout import Layout
from liquid_sync.extract.manifest import Manifest, PageEvent, RunStart
from liquid_sync.extract.paginator import Page, balances_validator, pages, record_validator
from liquid_sync.extract.raw_pages import PageMeta, write_page
from liquid_sync.extract.records import RecordReader
from liquid_sync.extract.state import commit_state, empty_state, load_state, newest_transaction_at, state_after_run
from liquid_sync.extract.streams import (
    BALANCES,
    CRYPTO_WITHDRAWALS,
    EXECUTIONS,
    FIAT_WITHDRAWALS,
    ORDERS,
    STREAMS,
    Stream,
)
from liquid_sync.extract.token_lock import token_lock
from liquid_sync.liquid_client import KeyRejected, LiquidClient, NotFound
from liquid_sync.warehouse.sync_state import committed_state

log = logging.getLogger(__name__)

MODES = ("full", "since_last_transaction", "incremental")
DEFAULT_ORDER_LOOKBACK_SECONDS = 30 * 86400
OPEN_ORDERS_BY_STATUS_ABOVE = 2
OPEN_STATUSES = ("live", "partially_filled")

PageCallback = Callable[[PageEvent], None]


class StateConflict(RuntimeError):
    """The account's committed state moved since this run started (another run committed)."""


@dataclass(frozen=True)
class _Partition:
    name: str
    stream: Stream
    product_id: int | None = None
    part: str | None = None


def extract_account(
    account: str,
    client: LiquidClient,
    mode: str,
    run_id: str,
    data_dir: Path | None = None,
    start_date: datetime | date | str | None = None,
    *,
    warehouse_path: Path | None = None,
    order_lookback_seconds: int = DEFAULT_ORDER_LOOKBACK_SECONDS,
    on_page: PageCallback | None = None,
) -> dict:
    """Extract ``account`` with ``client`` and return the run summary.

    ``mode``: ``full`` (all history, or since ``start_date``), ``since_last_transaction``
    (newer than the newest transaction in the warehouse file tables or already extracted),
    ``incremental`` (new records since the committed cursors and re-checks of open ones; a
    ``full`` run when nothing was committed yet). ``run_id`` names the run; rerunning the same
    id resumes it. ``on_page`` is called after each completed page.

    ``warehouse_path``: when given, the warehouse owns the committed cursors (its
    ``sync_state``) and the load commits the run's state; when None, they are kept in
    ``raw/<account>/_state.json`` and ``since_last_transaction`` reads the file tables of
    ``config.warehouse_path()``.
    """
    if mode not in MODES:
        raise ValueError(f"account {account!r}: unknown sync mode {mode!r}; modes: {', '.join(MODES)}")
    if not run_id:
        raise ValueError(f"account {account!r}: a run id is required")
    layout = Layout(data_dir if data_dir is not None else config.data_dir())
    disabled = key_status.disabled_key(layout, account)
    if disabled is not None:
        log.error("skipping %s", disabled.describe())
        return _skipped_summary(account, run_id, mode, disabled)
    with token_lock(layout.lock_path(client.token_id), account, client.token_id):
        client.bind_pacing_file(layout.pacing_path(client.token_id))
        manifest = Manifest.open(layout.manifest_path(account, run_id))
        if manifest.start is None:
            manifest.begin(
                _plan(account, run_id, mode, layout, start_date, warehouse_path, order_lookback_seconds)
            )
        elif manifest.start.mode != mode:
            raise ValueError(
                f"account {account!r}: run {run_id!r} was started in mode {manifest.start.mode!r}, not {mode!r}"
            )
        elif manifest.finished is not None:
            log.info("account %s: run %s already completed; nothing to do", account, run_id)
            return manifest.finished
        else:
            log.info("account %s: resuming run %s after %d completed pages", account, run_id, len(manifest.pages))
        return _AccountRun(client, layout, manifest, on_page).run()


def _plan(
    account: str,
    run_id: str,
    mode: str,
    layout: Layout,
    start_date: datetime | date | str | None,
    warehouse_path: Path | None,
    lookback: int,
) -> RunStart:
    base = committed_state(warehouse_path, account) if warehouse_path else load_state(layout.state_path(account))
    start_s = _unix_seconds(start_date)
    if start_s is not None and mode == "incremental":
        log.warning("account %s: start_date is ignored by incremental runs", account)
    if mode == "incremental" and base is not None:
        strategy, cutoff = "incremental", None
    elif mode == "since_last_transaction":
        known = [
            warehouse.warehouse_cutoff(warehouse_path or config.warehouse_path(), account),
            newest_transaction_at(base),
            start_s,
        ]
        strategy, cutoff = "window", max((t for t in known if t is not None), default=None)
    else:
        strategy, cutoff = "window", start_s if mode == "full" else None
    start = RunStart(
        run_id=run_id,
        account=account,
        mode=mode,
        strategy=strategy,
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        cutoff=cutoff,
        scan_from=None if cutoff is None else cutoff - lookback,
        base_state=base,
        warehouse=str(warehouse_path) if warehouse_path else None,
    )
    log.info(
        "account %s: run %s, mode %s: %s", account, run_id, mode,
        "cursors of the last sync" if strategy == "incremental"
        else f"everything since {_iso(cutoff)}" if cutoff is not None else "all history",
    )
    return start


class _AccountRun:
    def __init__(self, client: LiquidClient, layout: Layout, manifest: Manifest, on_page: PageCallback | None):
        assert manifest.start is not None
        self.client = client
        self.layout = layout
        self.manifest = manifest
        self.start = manifest.start
        self.account = self.start.account
        self.on_page = on_page
        self.base = self.start.base_state or empty_state(self.account)
        self.window = (
            None if self.start.strategy == "incremental" else Window(self.start.cutoff, self.start.scan_from)
        )
        self.began = time.monotonic()
        self._stats_at_start = client.stats.as_dict()
        self._stats_mark = self._stats_at_start
        self._partitions_ahead = 0
        self._readers = {s.name: RecordReader(self.account, s.path) for s in STREAMS}
        self.orders = OrderJudge(self._readers["orders"], ORDERS, self.base["orders"])

    def run(self) -> dict:
        for stream in STREAMS:
            remove_temporaries(self.layout.run_dir(self.account, stream.name, self.start.run_id))
        try:
            self._partitions_ahead = 3
            self._orders()
            if self.window is None:
                self._open_orders()
            products = self._traded_products()
            for position, product_id in enumerate(products, start=1):
                self._partitions_ahead = len(products) - position + 3
                self._executions(product_id)
            self._partitions_ahead = 2
            self._crypto_withdrawals()
            self._partitions_ahead = 1
            self._fiat_withdrawals()
            self._partitions_ahead = 0
            self._balances()
        except KeyRejected as rejected:
            return self._key_rejected(rejected)
        summary = self._summary("completed", state_committed=self._commit_state())
        self.manifest.finish(summary)
        log.info("account %s: run %s completed: %s", self.account, self.start.run_id, _summary_line(summary))
        return summary

    # partitions

    def _orders(self) -> None:
        self._walk(_Partition("orders", ORDERS), ORDERS.path, (), lambda p: self.orders.listing(p.records, self.window))

    def _open_orders(self) -> None:
        """Re-check the orders the base state holds open and the listing did not show: by status
        listings when there are more than a few, then one by one for those still unseen."""
        unseen = self._unseen_open_orders(("orders",))
        if len(unseen) > OPEN_ORDERS_BY_STATUS_ABOVE:
            for status in OPEN_STATUSES:
                self._walk(
                    _Partition(f"orders/status={status}", ORDERS, part=f"status={status}"),
                    ORDERS.path,
                    (("status", status),),
                    lambda p: self.orders.status_listing(p.records, unseen),
                )
            unseen = self._unseen_open_orders(("orders", *(f"orders/status={s}" for s in OPEN_STATUSES)))
        partition = _Partition("orders/recheck", ORDERS, part="recheck")
        done = {p.page for p in self.manifest.partition_pages(partition.name)}
        for number, order_id in enumerate(sorted(unseen, key=int), start=1):
            if number not in done:
                self._recheck_order(partition, number, int(order_id))

    def _unseen_open_orders(self, partitions: tuple[str, ...]) -> set[str]:
        """Ids of orders the base state holds open that no page of ``partitions`` showed."""
        seen: set[str] = set()
        for page in self.manifest.pages:
            if page.partition in partitions:
                seen |= self.orders.seen_open_ids(page.summary)
        return {order_id for order_id in self.base["orders"]["open"] if order_id not in seen}

    def _recheck_order(self, partition: _Partition, number: int, order_id: int) -> None:
        path = f"{ORDERS.path}/{order_id}"
        try:
            record = self.client.get(path, validate=record_validator(self.account, "/orders/{id}"))
        except NotFound:
            log.warning("account %s: open order %d no longer exists; forgetting it", self.account, order_id)
            record = None
        page = Page(number, [record] if record else [], datetime.now(UTC), None, limit=1)
        self._complete(partition, page, self.orders.single(record, order_id))

    def _traded_products(self) -> list[int]:
        products: set[int] = set()
        for page in self.manifest.pages:
            if page.endpoint == "orders":
                products.update(page.summary.get("traded_products", []))
        return sorted(products)

    def _executions(self, product_id: int) -> None:
        cursor = self.base["executions"].get(str(product_id), {}).get("newest_id")
        judge = ExecutionJudge(self._readers["executions"], EXECUTIONS, cursor)
        self._walk(
            _Partition(f"executions/product={product_id}", EXECUTIONS, product_id, f"product={product_id}"),
            EXECUTIONS.path,
            (("product_id", product_id),),
            lambda p: judge.listing(p.records, self.window),
        )

    def _crypto_withdrawals(self) -> None:
        judge = WithdrawalJudge(
            self._readers["crypto_withdrawals"], CRYPTO_WITHDRAWALS, self.base["crypto_withdrawals"]
        )
        if self.window is None:
            known = [judge.oldest_pending_created_at(), self.base["crypto_withdrawals"]["newest_created_at"]]
            since = min((t for t in known if t is not None), default=None)
        else:
            since = self.window.scan_from
        params = () if since is None else (("timestamp", since),)
        self._walk(
            _Partition("crypto_withdrawals", CRYPTO_WITHDRAWALS),
            CRYPTO_WITHDRAWALS.path,
            params,
            lambda p: judge.listing(p.records, self.window),
        )

    def _fiat_withdrawals(self) -> None:
        judge = WithdrawalJudge(self._readers["fiat_withdrawals"], FIAT_WITHDRAWALS, self.base["fiat_withdrawals"])
        self._walk(
            _Partition("fiat_withdrawals", FIAT_WITHDRAWALS),
            FIAT_WITHDRAWALS.path,
            (),
            lambda p: judge.listing(p.records, self.window),
        )

    def _balances(self) -> None:
        """One ``GET /accounts``: the crypto and fiat balance accounts, as one page."""
        partition = _Partition("balances", BALANCES)
        if self.manifest.partition_pages(partition.name):
            return
        body = self.client.get(BALANCES.path, validate=balances_validator(self.account))
        records = [*body["crypto_accounts"], *body["fiat_accounts"]]
        ids = [self._readers["balances"].integer(record, "id") for record in records]
        page = Page(1, records, datetime.now(UTC), None)
        self._complete(partition, page, Verdict(records, ids, True, {}))

    # pages

    def _walk(self, partition: _Partition, path: str, params: tuple, judge: Callable[[Page], Verdict]) -> None:
        """Page through ``partition`` from after its last completed page until the judge or a
        short page ends it."""
        done = self.manifest.partition_pages(partition.name)
        if done and done[-1].last:
            return
        first = done[-1].page + 1 if done else 1
        for page in pages(self.client, path, (*partition.stream.params, *params), first):
            verdict = judge(page)
            self._complete(partition, page, verdict)
            if verdict.stop or page.is_last:
                return

    def _complete(self, partition: _Partition, page: Page, verdict: Verdict) -> None:
        """Write the page's kept records, then record the page in the manifest."""
        relative = None
        if verdict.kept:
            path = self.layout.page_path(
                self.account, partition.stream.name, self.start.run_id, partition.part, page.number
            )
            meta = PageMeta(
                self.account, partition.stream.name, partition.product_id, page.number, page.fetched_at,
                self.start.run_id,
            )
            write_page(path, verdict.kept, verdict.kept_ids, meta)
            relative = str(path.relative_to(self.layout.account_dir(self.account)))
        event = PageEvent(
            partition=partition.name,
            endpoint=partition.stream.name,
            product_id=partition.product_id,
            page=page.number,
            received=len(page.records),
            kept=len(verdict.kept),
            file=relative,
            last=verdict.stop or page.is_last,
            summary={**verdict.summary, "requests": self._requests_since_last_page()},
        )
        self.manifest.add_page(event)
        self._log_progress(event, page)
        if self.on_page is not None:
            self.on_page(event)

    def _requests_since_last_page(self) -> dict:
        now = self.client.stats.as_dict()
        delta = {k: now[k] - self._stats_mark[k] for k in ("requests", "retries", "rate_limited_429")}
        self._stats_mark = now
        return delta

    def _log_progress(self, event: PageEvent, page: Page) -> None:
        """One line per page: counts, and the time the requests known to be left take at the
        rate limit (pages left by ``total_pages`` when plausible, plus one per partition ahead)."""
        in_partition = 0 if event.last else max((page.total_pages_hint or 0) - page.number, 1)
        left = in_partition + self._partitions_ahead
        log.info(
            "account %s: %s page %d: %d received, %d kept; %d requests so far; "
            "at least %d more, about %.0fs at %d requests/%.0fs",
            self.account, event.partition, event.page, event.received, event.kept, self.client.stats.requests,
            left, self.client.limiter.seconds_for(left), self.client.limiter.limit, self.client.limiter.window,
        )

    # end of run

    def _commit_state(self) -> bool:
        """Replace the committed state with this run's, unless an earlier attempt of the run did
        already; refuse if another run committed since this one started. With a warehouse, only
        check: the load commits. Returns whether this run's state is committed now."""
        warehouse_path = Path(self.start.warehouse) if self.start.warehouse else None
        path = self.layout.state_path(self.account)
        current = committed_state(warehouse_path, self.account) if warehouse_path else load_state(path)
        current_run = current["run_id"] if current else None
        if current_run == self.start.run_id:
            return True
        base_run = self.start.base_state["run_id"] if self.start.base_state else None
        if current_run != base_run:
            raise StateConflict(
                f"account {self.account!r}: the committed state moved from run {base_run!r} to "
                f"{current_run!r} while run {self.start.run_id!r} was extracting; start a new run"
            )
        if warehouse_path:
            return False
        commit_state(path, state_after_run(self.start.base_state, self.account, self.start.run_id, self.manifest.pages))
        return True

    def _key_rejected(self, rejected: KeyRejected) -> dict:
        mark = key_status.disable_key(
            self.layout, self.account, self.client.token_id, rejected.reason, rejected.endpoint, self.start.run_id
        )
        log.error("account %s: Liquid rejected the API key; %s", self.account, mark.describe())
        return self._summary("key_disabled", state_committed=False, key=mark)

    def _summary(self, status: str, *, state_committed: bool, key: key_status.DisabledKey | None = None) -> dict:
        records: Counter = Counter({s.name: 0 for s in STREAMS})
        page_counts: Counter = Counter({s.name: 0 for s in STREAMS})
        totals: Counter = Counter()
        for page in self.manifest.pages:
            records[page.endpoint] += page.kept
            page_counts[page.endpoint] += 1
            totals.update(page.summary.get("requests", {}))
        stats = self.client.stats.as_dict()
        if status != "completed":
            totals.update({k: stats[k] - self._stats_mark[k] for k in ("requests", "retries", "rate_limited_429")})
        return {
            "account": self.account,
            "run_id": self.start.run_id,
            "mode": self.start.mode,
            "strategy": self.start.strategy,
            "cutoff": _iso(self.start.cutoff),
            "status": status,
            "key": _key_json(key),
            "requests": totals["requests"],
            "rate_limited_429": totals["rate_limited_429"],
            "retries": totals["retries"],
            "records": dict(records),
            "pages": dict(page_counts),
            "products": len({p.product_id for p in self.manifest.pages if p.endpoint == "executions"}),
            "this_attempt": {
                **{k: stats[k] - self._stats_at_start[k] for k in ("requests", "retries", "rate_limited_429")},
                "seconds": round(time.monotonic() - self.began, 3),
            },
            "state_committed": state_committed,
            "started_at": self.start.started_at,
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }


def _skipped_summary(account: str, run_id: str, mode: str, disabled: key_status.DisabledKey) -> dict:
    return {
        "account": account,
        "run_id": run_id,
        "mode": mode,
        "status": "skipped_key_disabled",
        "key": _key_json(disabled),
        "requests": 0,
        "rate_limited_429": 0,
        "retries": 0,
        "records": {s.name: 0 for s in STREAMS},
        "state_committed": False,
    }


def _key_json(mark: key_status.DisabledKey | None) -> dict:
    if mark is None:
        return {"status": "enabled"}
    return {"status": "disabled", "token_id": mark.token_id, "reason": mark.reason,
            "endpoint": mark.endpoint, "disabled_at": mark.disabled_at, "how_to_enable": mark.describe()}


def _summary_line(summary: dict) -> str:
    records = ", ".join(f"{k} {v}" for k, v in summary["records"].items())
    return (f"{summary['requests']} requests, {summary['rate_limited_429']} 429s, "
            f"{summary['retries']} retries; records: {records}")


def _unix_seconds(value: datetime | date | str | None) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp())


def _iso(seconds: int | None) -> str | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC).isoformat()
