"""An account's sync cursors, and how a completed run moves them.

The state is plain JSON::

    {"format": 1, "account": "demo", "run_id": "<run that produced it>",
     "orders": {"newest_id": 42, "open": {"41": {"status": "live", "updated_at": 1633046400,
                                                 "filled_quantity": "0.5", "product_id": 5}}},
     "executions": {"5": {"newest_id": 900, "newest_created_at": 1633046300}},
     "crypto_withdrawals": {"newest_id": 7, "newest_created_at": 1633040000,
                            "pending": {"7": {"state": "pending", "created_at": 1633040000,
                                              "updated_at": 1633040000}}},
     "fiat_withdrawals": {...same shape...}}

``state_after_run`` is a pure function of the state a run started from and the run's
manifest pages, so the load step computes it and commits it in the warehouse transaction
that loads the same pages (``liquid_sync.warehouse.sync_state``). An extraction without a
warehouse keeps it beside the raw data (``commit_state``).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from pathlib import Path

from liquid_sync.extract.files import atomic_write_text, read_json_file
from liquid_sync.extract.manifest import PageEvent

STATE_FORMAT = 1
WITHDRAWAL_STREAMS = ("crypto_withdrawals", "fiat_withdrawals")


def empty_state(account: str) -> dict:
    return {
        "format": STATE_FORMAT,
        "account": account,
        "run_id": None,
        "orders": {"newest_id": None, "open": {}},
        "executions": {},
        "crypto_withdrawals": {"newest_id": None, "newest_created_at": None, "pending": {}},
        "fiat_withdrawals": {"newest_id": None, "newest_created_at": None, "pending": {}},
    }


def load_state(path: Path) -> dict | None:
    """The committed state at ``path``, or None before the first completed run."""
    state = read_json_file(path, "state")
    if state is None:
        return None
    if state.get("format") != STATE_FORMAT:
        raise ValueError(f"{path}: unsupported state format {state.get('format')!r}")
    return state


def commit_state(path: Path, state: dict) -> None:
    atomic_write_text(path, json.dumps(state, indent=1, sort_keys=True) + "\n")


def state_after_run(base: dict | None, account: str, run_id: str, pages: Iterable[PageEvent]) -> dict:
    """The state once the run's pages are loaded: ``base`` (None: nothing synced yet) advanced
    by each page's summary, in manifest order."""
    state = copy.deepcopy(base) if base is not None else empty_state(account)
    for page in pages:
        summary = page.summary
        if page.endpoint == "orders":
            _advance_orders(state["orders"], summary)
        elif page.endpoint == "executions":
            entry = state["executions"].setdefault(str(page.product_id), {"newest_id": None, "newest_created_at": None})
            _advance_newest(entry, summary)
        elif page.endpoint == "balances":
            continue
        elif page.endpoint in WITHDRAWAL_STREAMS:
            entry = state[page.endpoint]
            _advance_newest(entry, summary)
            for record_id in summary.get("closed", []):
                entry["pending"].pop(str(record_id), None)
            entry["pending"].update(summary.get("pending", {}))
        else:
            raise ValueError(f"unknown endpoint {page.endpoint!r} in manifest")
    state["run_id"] = run_id
    return state


def newest_transaction_at(state: dict | None) -> int | None:
    """Unix seconds of the newest execution or withdrawal the state has seen."""
    if state is None:
        return None
    times = [e["newest_created_at"] for e in state["executions"].values()]
    times += [state[name]["newest_created_at"] for name in WITHDRAWAL_STREAMS]
    times = [t for t in times if t is not None]
    return max(times) if times else None


def _advance_orders(entry: dict, summary: dict) -> None:
    if summary.get("max_id") is not None:
        entry["newest_id"] = _max(entry["newest_id"], summary["max_id"])
    for order_id in summary.get("closed", []):
        entry["open"].pop(str(order_id), None)
    entry["open"].update(summary.get("open", {}))


def _advance_newest(entry: dict, summary: dict) -> None:
    if summary.get("max_id") is not None:
        entry["newest_id"] = _max(entry["newest_id"], summary["max_id"])
    if summary.get("max_created_at") is not None:
        entry["newest_created_at"] = _max(entry["newest_created_at"], summary["max_created_at"])


def _max(current: int | None, candidate: int) -> int:
    return candidate if current is None else max(current, candidate)
