from __future__ import annotations

import copy

import pytest

from liquid_sync.extract.manifest import PageEvent
from liquid_sync.extract.state import (
    commit_state,
    empty_state,
    load_state,
    newest_transaction_at,
    state_after_run,
)


def event(endpoint: str, summary: dict, product_id: int | None = None) -> PageEvent:
    return PageEvent(endpoint, endpoint, product_id, 1, 1, 1, None, True, summary)


def test_first_run_builds_cursors_from_its_pages():
    pages = [
        event("orders", {"max_id": 30, "open": {"29": {"status": "live"}}, "closed": []}),
        event("executions", {"max_id": 500, "max_created_at": 1000}, product_id=5),
        event("executions", {"max_id": 400, "max_created_at": 2000}, product_id=1),
        event("crypto_withdrawals", {"max_id": 9, "max_created_at": 1500, "pending": {"9": {"state": "pending"}},
                                     "closed": []}),
        event("fiat_withdrawals", {}),
    ]
    state = state_after_run(None, "demo", "r1", pages)
    assert state["run_id"] == "r1" and state["account"] == "demo"
    assert state["orders"] == {"newest_id": 30, "open": {"29": {"status": "live"}}}
    assert state["executions"] == {"5": {"newest_id": 500, "newest_created_at": 1000},
                                   "1": {"newest_id": 400, "newest_created_at": 2000}}
    assert state["crypto_withdrawals"]["pending"] == {"9": {"state": "pending"}}
    assert state["fiat_withdrawals"]["newest_id"] is None
    assert newest_transaction_at(state) == 2000


def test_later_runs_close_open_records_and_never_move_cursors_back():
    base = state_after_run(None, "demo", "r1", [
        event("orders", {"max_id": 30, "open": {"29": {"status": "live"}, "30": {"status": "live"}}, "closed": []}),
        event("executions", {"max_id": 500, "max_created_at": 1000}, product_id=5),
    ])
    frozen = copy.deepcopy(base)
    after = state_after_run(base, "demo", "r2", [
        event("orders", {"max_id": 31, "open": {"31": {"status": "live"}}, "closed": [29]}),
        event("orders", {"open": {"30": {"status": "partially_filled"}}, "closed": []}),
        event("executions", {"max_id": 450, "max_created_at": 900}, product_id=5),
    ])
    assert base == frozen, "the function is pure"
    assert after["orders"] == {"newest_id": 31, "open": {"30": {"status": "partially_filled"},
                                                         "31": {"status": "live"}}}
    assert after["executions"]["5"] == {"newest_id": 500, "newest_created_at": 1000}


def test_state_file_round_trip_and_format_check(tmp_path):
    path = tmp_path / "_state.json"
    assert load_state(path) is None
    commit_state(path, empty_state("demo"))
    assert load_state(path) == empty_state("demo")
    path.write_text('{"format": 99}')
    with pytest.raises(ValueError, match="unsupported state format"):
        load_state(path)


def test_unknown_endpoint_in_a_manifest_is_an_error():
    with pytest.raises(ValueError, match="unknown endpoint"):
        state_after_run(None, "demo", "r", [event("deposits", {})])
