"""The extraction state as ``sync_state`` rows, and reading it back."""

from __future__ import annotations

import pytest

from liquid_sync import warehouse
from liquid_sync.extract.state import empty_state
from liquid_sync.warehouse.sync_state import committed_state, read_state, state_from_rows, state_rows

STATE = {
    "format": 1,
    "account": "demo",
    "run_id": "r7",
    "orders": {"newest_id": 42, "open": {"41": {"status": "live", "updated_at": 1633046400,
                                                "filled_quantity": "0.5", "product_id": 5}}},
    "executions": {"5": {"newest_id": 900, "newest_created_at": 1633046300},
                   "27": {"newest_id": 950, "newest_created_at": None}},
    "crypto_withdrawals": {"newest_id": 7, "newest_created_at": 1633040000,
                           "pending": {"7": {"state": "pending", "created_at": 1633040000, "updated_at": 1633040000}}},
    "fiat_withdrawals": {"newest_id": None, "newest_created_at": None, "pending": {}},
}


@pytest.mark.parametrize("state", [STATE, empty_state("demo") | {"run_id": "first"}])
def test_rows_round_trip(state):
    assert state_from_rows(state_rows(state)) == state


def test_only_a_run_state_is_stored():
    with pytest.raises(ValueError, match="only the state of a run"):
        state_rows(empty_state("demo"))


def test_rows_of_two_runs_are_refused():
    rows = state_rows(STATE)
    rows[0]["state_run_id"] = "other"
    with pytest.raises(ValueError, match="mix accounts"):
        state_from_rows(rows)


def test_committed_state_reads_the_warehouse(tmp_path):
    path = tmp_path / "w.duckdb"
    assert committed_state(path, "demo") is None
    con = warehouse.connect(path)
    try:
        assert read_state(con, "demo") is None
        for row in state_rows(STATE):
            con.execute("INSERT INTO sync_state BY NAME SELECT * FROM (SELECT $account AS account, $endpoint AS endpoint,"
                        " $product_id::BIGINT AS product_id, $newest_id::BIGINT AS newest_id,"
                        " $newest_created_at::TIMESTAMPTZ AS newest_created_at, $open_records AS open_records,"
                        " $state_run_id AS state_run_id, 'b1' AS batch_id)", row)
    finally:
        con.close()
    assert committed_state(path, "demo") == STATE
    assert committed_state(path, "other") is None
