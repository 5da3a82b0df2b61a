"""Extraction with a warehouse: the run starts from the warehouse's committed cursors and
leaves the commit to the load; every run also fetches the account's balances."""

from __future__ import annotations

import pytest

from liquid_emulator import render
from liquid_sync import warehouse
from liquid_sync.extract import StateConflict, extract_account
from liquid_sync.extract.layout import Layout
from liquid_sync.extract.manifest import Manifest
from liquid_sync.extract.state import state_after_run
from liquid_sync.warehouse.sync_state import state_rows
from tests.liquid_sync.emulator import raw_records
from tests.liquid_sync.extract.test_extraction import as_received


def commit_in_warehouse(path, state: dict) -> None:
    con = warehouse.connect(path)
    try:
        con.execute("DELETE FROM sync_state WHERE account = ?", [state["account"]])
        for row in state_rows(state):
            con.execute(
                "INSERT INTO sync_state BY NAME SELECT * FROM (SELECT ?::VARCHAR account, ?::VARCHAR endpoint,"
                " ?::BIGINT product_id, ?::BIGINT newest_id, ?::TIMESTAMPTZ newest_created_at,"
                " ?::VARCHAR open_records, ?::VARCHAR state_run_id, 'test' batch_id)",
                [row[c] for c in ("account", "endpoint", "product_id", "newest_id", "newest_created_at",
                                  "open_records", "state_run_id")],
            )
    finally:
        con.close()


def state_of_run(data_dir, account: str, run_id: str) -> dict:
    manifest = Manifest.open(Layout(data_dir).manifest_path(account, run_id))
    return state_after_run(manifest.start.base_state, account, run_id, manifest.pages)


def test_balances_are_fetched_once_per_run_as_received(emulator, tmp_path):
    summary = extract_account("beta", emulator.client("beta"), "full", "r", tmp_path)
    account = emulator.exchange.account("beta")
    catalog = emulator.exchange.catalog
    expected = [
        as_received(render.balance_account(account, c, catalog, render.PLAIN))
        for kind in ("crypto", "fiat") for c in render.held_currencies(account, catalog, kind)
    ]
    assert raw_records(tmp_path, "beta", "r", "balances") == sorted(expected, key=lambda r: r["id"])
    assert summary["pages"]["balances"] == 1
    assert emulator.stats()["tokens"][emulator.token("beta").token_id]["by_path"]["/accounts"] == 1


def test_with_a_warehouse_the_run_starts_from_its_cursors_and_leaves_the_commit_to_the_load(emulator, tmp_path):
    path = tmp_path / "warehouse.duckdb"
    first = extract_account("alpha", emulator.client("alpha"), "incremental", "one", tmp_path, warehouse_path=path)
    assert first["strategy"] == "window" and first["state_committed"] is False
    assert not Layout(tmp_path).state_path("alpha").exists()

    committed = state_of_run(tmp_path, "alpha", "one")
    commit_in_warehouse(path, committed)
    emulator.admin("/clock/advance", {"days": 9})
    second = extract_account("alpha", emulator.client("alpha"), "incremental", "two", tmp_path, warehouse_path=path)

    assert second["strategy"] == "incremental" and second["state_committed"] is False
    assert Manifest.open(Layout(tmp_path).manifest_path("alpha", "two")).start.base_state == committed
    assert second["records"]["executions"] < first["records"]["executions"]


def test_a_load_committing_another_run_meanwhile_is_a_conflict(emulator, tmp_path):
    path = tmp_path / "warehouse.duckdb"
    extract_account("beta", emulator.client("beta"), "full", "one", tmp_path, warehouse_path=path)
    commit_in_warehouse(path, state_of_run(tmp_path, "beta", "one"))

    def another_load_commits(event):
        if event.endpoint == "orders" and event.page == 1:
            sneaky = state_of_run(tmp_path, "beta", "one") | {"run_id": "sneaky"}
            commit_in_warehouse(path, sneaky)

    with pytest.raises(StateConflict, match="sneaky"):
        extract_account("beta", emulator.client("beta"), "incremental", "two", tmp_path, warehouse_path=path,
                        on_page=another_load_commits)
