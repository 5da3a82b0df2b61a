"""Liquid's CSV export files, rendered from an account's records.

``write_exports`` writes three UTF-8 CSV files (``\\r\\n`` line ends, no BOM), oldest row first:

* ``liquid_trades_<account>_<since>_<until>.csv``: one row per execution record (a self-matched
  fill gives a ``Bought`` and a ``Sold`` row with the same id); ``Amount`` = ``Open Qty`` x
  ``Price`` exactly, ``Fee`` = fee - rebate in ``Fee Currency``.
* ``liquid_ledger_crypto_<account>_<since>_<until>.csv`` and
  ``liquid_ledger_fiat_<account>_<since>_<until>.csv``: one fully quoted row per ledger entry,
  split by the entry currency's type.

``<since>``/``<until>`` are the range bounds as ``YYYYMMDDTHHMMSSZ`` (UTC), defaulting to the
account's opening and its clock. Rows are kept when ``since_ms <= created_at < until_ms``
(a missing bound does not filter). Each file is written to a temporary name and then renamed,
so a file at the final path is always complete.
"""

from __future__ import annotations

import csv
import heapq
import os
import re
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from liquid_emulator import catalog
from liquid_emulator.model import Account, Execution, LedgerEntry, units_to_str

TRADES_HEADER = ("Quote Currency", "Base Currency", "Execution Id", "Type", "Date", "Open Qty", "Price", "Fee",
                 "Fee Currency", "Amount")
_LEDGER_HEAD = ("exchange", "currency_type", "direction", "transaction_id", "transaction_type", "gross_amount",
                "currency", "execution_id", "generated_for_type", "generated_for_id")
_LEDGER_CRYPTO_ONLY = ("transaction_hash", "from_address", "to_address", "state")
_LEDGER_TAIL = ("created_at_jst", "updated_at_jst", "created_at_utc", "updated_at", "notes", "user_id",
                "account_id")
CRYPTO_LEDGER_HEADER = _LEDGER_HEAD + _LEDGER_CRYPTO_ONLY + _LEDGER_TAIL
FIAT_LEDGER_HEADER = _LEDGER_HEAD + _LEDGER_TAIL

_JST_OFFSET_S = 9 * 3600
_SAFE_NAME = re.compile(r"[A-Za-z0-9._-]+")


class ExportPaths(NamedTuple):
    trades: Path
    crypto_ledger: Path
    fiat_ledger: Path


def write_exports(account: Account, out_dir: str | os.PathLike, since_ms: int | None = None,
                  until_ms: int | None = None, omit_execution_ids: bool = False) -> ExportPaths:
    """Write the trades, crypto ledger and fiat ledger exports of ``account`` into ``out_dir``.

    ``omit_execution_ids`` leaves the trades file's ``Execution Id`` column empty, like files
    from older tools. ``ValueError`` if the account name cannot be part of a file name.
    """
    if not _SAFE_NAME.fullmatch(account.name):
        raise ValueError(f"account {account.name!r}: name must match {_SAFE_NAME.pattern} to name export files")
    directory = Path(out_dir)
    directory.mkdir(parents=True, exist_ok=True)
    suffix = (f"{account.name}_{_stamp(account.created_at_ms if since_ms is None else since_ms)}_"
              f"{_stamp(account.now_ms if until_ms is None else until_ms)}.csv")
    paths = ExportPaths(directory / f"liquid_trades_{suffix}", directory / f"liquid_ledger_crypto_{suffix}",
                        directory / f"liquid_ledger_fiat_{suffix}")
    in_range = _range_filter(since_ms, until_ms)
    executions = (e for e in _executions_oldest_first(account) if in_range(e.created_at_ms))
    _write(paths.trades, TRADES_HEADER, (_trade_row(e, omit_execution_ids) for e in executions), csv.QUOTE_MINIMAL)
    entries = [e for e in account.ledger if in_range(e.created_at_ms)]
    types = {c.code: c.currency_type for c in catalog.currencies()}
    crypto_rows = (_ledger_row(account, e, True) for e in entries if types[e.currency] == "crypto")
    fiat_rows = (_ledger_row(account, e, False) for e in entries if types[e.currency] == "fiat")
    _write(paths.crypto_ledger, CRYPTO_LEDGER_HEADER, crypto_rows, csv.QUOTE_ALL)
    _write(paths.fiat_ledger, FIAT_LEDGER_HEADER, fiat_rows, csv.QUOTE_ALL)
    return paths


def _stamp(ms: int) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(ms // 1000))


def _range_filter(since_ms: int | None, until_ms: int | None):
    low = float("-inf") if since_ms is None else since_ms
    high = float("inf") if until_ms is None else until_ms
    return lambda ms: low <= ms < high


def _write(path: Path, header: tuple[str, ...], rows: Iterable[list], quoting: int) -> None:
    partial = path.with_name(path.name + ".partial")
    with open(partial, "w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, quoting=quoting, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
    os.replace(partial, path)


def _executions_oldest_first(account: Account) -> Iterator[Execution]:
    """Every execution record, by time then id (the two sides of a self-match stay together)."""
    per_product = [account.executions(pid) for pid in account.traded_product_ids()]
    return heapq.merge(*per_product, key=lambda e: (e.created_at_ms, e.id))


def _utc(ms: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ms // 1000))


def _jst(ms: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S JST", time.gmtime(ms // 1000 + _JST_OFFSET_S))


def _trade_row(execution: Execution, omit_execution_id: bool) -> list:
    product = catalog.product(execution.product_id)
    return [product.quoted_currency, product.base_currency, "" if omit_execution_id else execution.id,
            "Bought" if execution.my_side == "buy" else "Sold", _utc(execution.created_at_ms),
            units_to_str(execution.quantity), units_to_str(execution.price), units_to_str(execution.net_fee),
            execution.fee_currency, units_to_str(execution.amount)]


def _ledger_row(account: Account, entry: LedgerEntry, crypto: bool) -> list:
    row = ["liquid", "crypto" if crypto else "fiat", entry.direction, entry.id, entry.transaction_type,
           units_to_str(entry.amount), entry.currency, entry.execution_id or "", entry.source_type, entry.source_id]
    if crypto:
        row += [entry.transaction_hash or "", entry.from_address or "", entry.to_address or "", entry.state or ""]
    row += [_jst(entry.created_at_ms), _jst(entry.updated_at_ms), _utc(entry.created_at_ms) + " UTC",
            _utc(entry.updated_at_ms) + " UTC", "", account.user_id, account.id]
    return row
