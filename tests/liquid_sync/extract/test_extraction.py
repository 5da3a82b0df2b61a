"""End-to-end extraction against the emulator over HTTP.

Expected data comes from the emulator's own account records (``liquid_emulator.model``),
rendered with ``liquid_emulator.render`` the way the API sends them; request counts come from
the emulator's ``/_emulator/stats``.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter
from decimal import Decimal

import pytest

from liquid_emulator import render
from liquid_emulator.model import Account
from liquid_sync.extract import StateConflict, TokenBusy, enable_key, extract_account
from liquid_sync.extract.layout import Layout
from liquid_sync.extract.state import load_state
from liquid_sync.extract.token_lock import token_lock
from tests.liquid_sync.emulator import raw_records, raw_rows

LIMIT = 1000


def as_received(rendered: dict) -> dict:
    """A rendered record as a client parses it off the wire."""
    return json.loads(json.dumps(rendered), parse_float=Decimal)


def all_executions(account: Account) -> list:
    return [e for product_id in account.traded_product_ids() for e in account.executions(product_id)]


def minimum_requests(account: Account) -> int:
    """Pages a complete extraction cannot do without: ``n // 1000 + 1`` per list, and one
    ``GET /accounts``."""
    lists = [len(account.orders), len(account.crypto_withdrawals), len(account.fiat_withdrawals)]
    lists += [len(account.executions(p)) for p in account.traded_product_ids()]
    return sum(n // LIMIT + 1 for n in lists) + 1


def held_currencies(account: Account) -> int:
    return len(account.balances().keys() | account.reserved_balances().keys())


def token_stats(emulator, account: str, index: int = 0) -> dict:
    return emulator.stats()["tokens"].get(emulator.token(account, index).token_id, {"requests": 0, "by_status": {}})


def record_keys(records: list[dict]) -> set:
    return {(int(r["id"]), r.get("my_side")) for r in records}


# completeness and request count


def test_full_extraction_is_complete_and_as_received(emulator, tmp_path):
    summary = extract_account("alpha", emulator.client("alpha"), "full", "run-1", tmp_path)
    account = emulator.exchange.account("alpha")

    assert summary["status"] == "completed" and summary["state_committed"]
    executions = raw_records(tmp_path, "alpha", "run-1", "executions")
    expected = [as_received(render.execution(e, render.PLAIN, details=True)) for e in all_executions(account)]
    assert sorted(executions, key=lambda r: (r["id"], r["my_side"])) == sorted(
        expected, key=lambda r: (r["id"], r["my_side"])
    )
    assert len(account.traded_product_ids()) >= 5
    ids = Counter(r["id"] for r in executions)
    self_matched = {i for i, n in ids.items() if n == 2}
    assert self_matched, "self-matched executions arrive as two records with one id"
    assert self_matched == {i for i, n in Counter(e.id for e in all_executions(account)).items() if n == 2}

    orders = raw_records(tmp_path, "alpha", "run-1", "orders")
    assert sorted(orders, key=lambda r: r["id"]) == sorted(
        (as_received(render.order(o, render.PLAIN, with_executions=False)) for o in account.orders),
        key=lambda r: r["id"],
    )
    cancelled_partial = [o for o in orders if o["status"] == "cancelled" and Decimal(o["filled_quantity"]) > 0]
    assert cancelled_partial, "partially filled orders that were cancelled are extracted"

    for endpoint, records, render_one in (
        ("crypto_withdrawals", account.crypto_withdrawals, render.crypto_withdrawal),
        ("fiat_withdrawals", account.fiat_withdrawals, render.fiat_withdrawal),
    ):
        got = raw_records(tmp_path, "alpha", "run-1", endpoint)
        assert sorted(got, key=lambda r: r["id"]) == sorted(
            (as_received(render_one(w, render.PLAIN)) for w in records), key=lambda r: r["id"]
        )
    assert summary["records"] == {
        "orders": len(account.orders),
        "executions": len(executions),
        "crypto_withdrawals": len(account.crypto_withdrawals),
        "fiat_withdrawals": len(account.fiat_withdrawals),
        "balances": held_currencies(account),
    }


def test_raw_rows_carry_fetch_metadata(emulator, tmp_path):
    extract_account("beta", emulator.client("beta"), "full", "meta", tmp_path)
    rows = raw_rows(tmp_path, "beta", "meta")
    executions = [r for r in rows if r["endpoint"] == "executions"]
    assert executions and all(r["product_id"] is not None and r["file"].startswith(
        f"executions/run=meta/product={r['product_id']}/page-") for r in executions)
    assert all(r["product_id"] is None for r in rows if r["endpoint"] != "executions")
    assert {r["account"] for r in rows} == {"beta"} and {r["run_id"] for r in rows} == {"meta"}
    assert all(r["record_id"] == json.loads(r["record"])["id"] for r in rows)
    executions_pages = {r["page"] for r in executions if r["product_id"] == executions[0]["product_id"]}
    product_records = len(emulator.exchange.account("beta").executions(executions[0]["product_id"]))
    assert executions_pages == set(range(1, product_records // LIMIT + 2))


def test_request_count_is_within_5_percent_of_the_minimum(emulator, tmp_path):
    summary = extract_account("alpha", emulator.client("alpha"), "full", "count", tmp_path)
    minimum = minimum_requests(emulator.exchange.account("alpha"))
    sent = token_stats(emulator, "alpha")["requests"]
    assert minimum <= sent <= minimum * 1.05
    assert summary["requests"] == sent


def test_no_429_under_the_limit_with_a_compressed_window(emulator, tmp_path):
    emulator.admin("/rate_limit", {"limit": 4, "window_seconds": 0.5})
    client = emulator.client("alpha", rate_limit=4, rate_window_seconds=0.5)
    summary = extract_account("alpha", client, "full", "paced", tmp_path)
    stats = token_stats(emulator, "alpha")
    assert stats["requests"] > 4 * 2, "the run needs several windows"
    assert stats["by_status"].get("429", 0) == 0
    assert summary["rate_limited_429"] == 0
    assert client.stats.seconds_paced > 0


def test_a_429_anyway_is_waited_out(emulator, tmp_path):
    reference = tmp_path / "reference"
    extract_account("beta", emulator.client("beta", 1), "full", "over", reference)
    emulator.admin("/rate_limit", {"limit": 5, "window_seconds": 1.0})
    client = emulator.client("beta", rate_limit=1000, rate_window_seconds=1.0)
    summary = extract_account("beta", client, "full", "over", tmp_path / "limited")
    assert summary["status"] == "completed"
    assert summary["rate_limited_429"] == token_stats(emulator, "beta")["by_status"]["429"] == 1
    assert raw_rows(tmp_path / "limited", "beta", "over") == raw_rows(reference, "beta", "over")


# faults


def test_completes_under_20_percent_5xx(emulator, tmp_path):
    reference = tmp_path / "reference"
    extract_account("alpha", emulator.client("alpha", 1), "full", "r", reference)
    emulator.admin("/faults", {"seed": 3, "error_rate": 0.2})
    summary = extract_account("alpha", emulator.client("alpha"), "full", "r", tmp_path / "faulty")
    assert summary["status"] == "completed"
    assert summary["retries"] > 0
    assert token_stats(emulator, "alpha")["by_status"].get("500", 0) + token_stats(
        emulator, "alpha")["by_status"].get("502", 0) + token_stats(emulator, "alpha")["by_status"].get("503", 0) > 0
    for endpoint in ("orders", "executions", "crypto_withdrawals", "fiat_withdrawals"):
        faulty = raw_records(tmp_path / "faulty", "alpha", "r", endpoint)
        assert faulty == raw_records(reference, "alpha", "r", endpoint)


def test_drops_malformed_bodies_bogus_totals_and_number_drift(emulator, tmp_path):
    reference = tmp_path / "reference"
    extract_account("beta", emulator.client("beta", 1), "full", "r", reference)
    emulator.admin("/faults", {"seed": 5, "error_rate": 0.05, "drop_rate": 0.1, "malformed_rate": 0.1,
                               "bogus_total_pages": True, "number_drift": True})
    summary = extract_account("beta", emulator.client("beta"), "full", "r", tmp_path / "faulty")
    assert summary["status"] == "completed" and summary["retries"] > 0
    for endpoint in ("orders", "executions", "crypto_withdrawals", "fiat_withdrawals"):
        drifted = raw_records(tmp_path / "faulty", "beta", "r", endpoint)
        plain = raw_records(reference, "beta", "r", endpoint)
        assert len(drifted) == len(plain)
        for got, want in zip(drifted, plain):
            assert got.keys() == want.keys()
            for field, value in want.items():
                if isinstance(value, (str, int, Decimal)) and not isinstance(value, bool) and _numeric(value):
                    assert Decimal(str(got[field])) == Decimal(str(value)), (endpoint, field)
                else:
                    assert got[field] == value, (endpoint, field)
    assert any(isinstance(v, Decimal) for r in raw_records(tmp_path / "faulty", "beta", "r", "orders")
               for v in r.values()), "number drift delivered floats, kept as exact decimals"


def _numeric(value) -> bool:
    try:
        Decimal(str(value))
    except ArithmeticError:
        return False
    return True


# key rejected mid-run


def test_revoked_key_mid_run_disables_the_account_without_retries(emulator, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    token = emulator.token("alpha")

    def revoke_after_second_page(event):
        if event.page == 2 and event.endpoint == "orders":
            emulator.admin(f"/tokens/{token.token_id}/revoke")

    summary = extract_account("alpha", emulator.client("alpha"), "full", "r", tmp_path,
                              on_page=revoke_after_second_page)
    assert summary["status"] == "key_disabled"
    assert summary["key"]["reason"] == "API Authentication failed"
    assert summary["state_committed"] is False
    unauthenticated = emulator.stats()["unauthenticated"]
    assert unauthenticated["by_status"] == {"401": 1}, "one 401, no retry storm"
    assert "liquid-sync keys enable alpha" in summary["key"]["how_to_enable"]
    assert load_state(Layout(tmp_path).state_path("alpha")) is None

    again = extract_account("alpha", emulator.client("alpha"), "full", "r2", tmp_path)
    assert again["status"] == "skipped_key_disabled" and again["requests"] == 0
    assert emulator.stats()["unauthenticated"]["requests"] == 1

    # a person creates a new key, puts it in the connection and re-enables the account
    assert enable_key("alpha", tmp_path).token_id == token.token_id
    resumed = extract_account("alpha", emulator.client("alpha", 1), "full", "r", tmp_path)
    assert resumed["status"] == "completed"
    account = emulator.exchange.account("alpha")
    assert len(raw_records(tmp_path, "alpha", "r", "executions")) == len(all_executions(account))

    secrets = [t.secret for t in emulator.exchange.tokens]
    texts = [json.dumps(summary), json.dumps(again), json.dumps(resumed)] + [r.getMessage() for r in caplog.records]
    texts += [p.read_text(errors="replace") for p in tmp_path.rglob("*.json*")]
    assert not any(secret in text for secret in secrets for text in texts)


def test_permission_removed_mid_run_disables_the_account(emulator, tmp_path):
    token = emulator.token("beta")

    def drop_executions_permission(event):
        if event.endpoint == "orders" and event.last:
            emulator.admin(f"/tokens/{token.token_id}/permissions", {"permissions": ["accounts", "orders"]})

    summary = extract_account("beta", emulator.client("beta"), "full", "r", tmp_path,
                              on_page=drop_executions_permission)
    assert summary["status"] == "key_disabled"
    assert summary["key"]["reason"] == "This token does not allow GET executions"
    assert summary["key"]["endpoint"] == "/executions/me"
    assert token_stats(emulator, "beta")["by_status"].get("401") == 1


# kill and resume


def test_rerun_of_a_completed_run_changes_nothing(emulator, tmp_path):
    first = extract_account("beta", emulator.client("beta"), "full", "r", tmp_path)
    before = token_stats(emulator, "beta")["requests"]
    again = extract_account("beta", emulator.client("beta"), "full", "r", tmp_path)
    assert again == first
    assert token_stats(emulator, "beta")["requests"] == before
    with pytest.raises(ValueError, match="was started in mode 'full'"):
        extract_account("beta", emulator.client("beta"), "incremental", "r", tmp_path)


def test_a_second_process_on_the_same_token_fails_fast(emulator, tmp_path):
    client = emulator.client("beta")
    with token_lock(Layout(tmp_path).lock_path(client.token_id), "beta", client.token_id):
        with pytest.raises(TokenBusy, match="in use by another extraction"):
            extract_account("beta", emulator.client("beta"), "full", "r", tmp_path)


def test_accounts_extract_in_parallel(emulator, tmp_path):
    results = {}

    def run(account):
        results[account] = extract_account(account, emulator.client(account), "full", "p", tmp_path)

    threads = [threading.Thread(target=run, args=(name,)) for name in ("alpha", "beta")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {r["status"] for r in results.values()} == {"completed"}


# sync modes


def _snapshot(account: Account) -> dict:
    return {
        "orders": {o.id: (o.status, o.filled_quantity, o.updated_at_ms // 1000) for o in account.orders},
        "executions": {(e.id, e.my_side) for e in all_executions(account)},
        "crypto_withdrawals": {w.id: (w.state, w.updated_at_ms // 1000) for w in account.crypto_withdrawals},
        "fiat_withdrawals": {w.id: (w.state, w.updated_at_ms // 1000) for w in account.fiat_withdrawals},
    }


def _new_or_changed(before: dict, after: dict) -> set:
    return {key for key, value in after.items() if before.get(key) != value}


def test_incremental_picks_up_exactly_the_new_and_changed_records(emulator, tmp_path):
    extract_account("alpha", emulator.client("alpha"), "full", "base", tmp_path)
    account = emulator.exchange.account("alpha")
    before = _snapshot(account)
    emulator.admin("/clock/advance", {"days": 9})
    after = _snapshot(account)
    emulator.admin("/stats/reset")

    summary = extract_account("alpha", emulator.client("alpha"), "incremental", "inc", tmp_path)

    assert summary["strategy"] == "incremental" and summary["status"] == "completed"
    new_executions = after["executions"] - before["executions"]
    assert new_executions and record_keys(raw_records(tmp_path, "alpha", "inc", "executions")) == new_executions
    for endpoint in ("orders", "crypto_withdrawals", "fiat_withdrawals"):
        got = {int(r["id"]) for r in raw_records(tmp_path, "alpha", "inc", endpoint)}
        assert got == _new_or_changed(before[endpoint], after[endpoint]), endpoint
    assert _new_or_changed(before["orders"], after["orders"]) & set(before["orders"]), "open orders changed"
    changed_products = {
        e.product_id for p in account.traded_product_ids() for e in account.executions(p)
        if (e.id, e.my_side) not in before["executions"]
    }
    assert summary["products"] == len(changed_products)

    state = load_state(Layout(tmp_path).state_path("alpha"))
    open_now = {str(o.id) for o in account.orders if o.status in ("live", "partially_filled")}
    assert set(state["orders"]["open"]) == open_now
    assert state["run_id"] == "inc"


def test_incremental_on_an_unchanged_account_makes_a_handful_of_requests(emulator, tmp_path):
    extract_account("alpha", emulator.client("alpha"), "full", "base", tmp_path)
    emulator.admin("/stats/reset")
    summary = extract_account("alpha", emulator.client("alpha"), "incremental", "inc", tmp_path)
    assert summary["records"] == {"orders": 0, "executions": 0, "crypto_withdrawals": 0, "fiat_withdrawals": 0,
                                  "balances": held_currencies(emulator.exchange.account("alpha"))}
    assert token_stats(emulator, "alpha")["requests"] <= 7


def test_incremental_without_a_committed_state_extracts_everything(emulator, tmp_path):
    summary = extract_account("beta", emulator.client("beta"), "incremental", "first", tmp_path)
    assert summary["strategy"] == "window" and summary["cutoff"] is None
    account = emulator.exchange.account("beta")
    assert summary["records"]["executions"] == len(all_executions(account))


def test_since_last_transaction_skips_history_already_in_the_warehouse(emulator, tmp_path):
    import duckdb

    account = emulator.exchange.account("alpha")
    executions = sorted(all_executions(account), key=lambda e: e.created_at_ms)
    cutoff_ms = executions[len(executions) * 3 // 4].created_at_ms
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("CREATE TABLE file_trades (account VARCHAR, occurred_at TIMESTAMPTZ)")
        connection.execute("INSERT INTO file_trades VALUES ('alpha', make_timestamp(?::BIGINT * 1000)), "
                           "('other', TIMESTAMPTZ '2022-06-01 00:00:00+00')", [cutoff_ms])
    summary = extract_account("alpha", emulator.client("alpha"), "since_last_transaction", "slt", tmp_path,
                              warehouse_path=warehouse)

    cutoff_s = cutoff_ms // 1000
    got = raw_records(tmp_path, "alpha", "slt", "executions")
    assert record_keys(got) == {(e.id, e.my_side) for e in executions if e.created_at_ms // 1000 >= cutoff_s}
    assert summary["cutoff"].startswith(("2021", "2020", "2019"))
    assert token_stats(emulator, "alpha")["requests"] < minimum_requests(account)
    orders = raw_records(tmp_path, "alpha", "slt", "orders")
    assert {o["id"] for o in orders} == {o.id for o in account.orders if o.updated_at_ms // 1000 >= cutoff_s}


def test_full_with_a_start_date_stops_at_it(emulator, tmp_path):
    summary = extract_account("beta", emulator.client("beta"), "full", "since", tmp_path, start_date="2021-06-01")
    account = emulator.exchange.account("beta")
    start = 1622505600
    got = raw_records(tmp_path, "beta", "since", "executions")
    assert record_keys(got) == {(e.id, e.my_side) for e in all_executions(account) if e.created_at_ms // 1000 >= start}
    assert summary["cutoff"] == "2021-06-01T00:00:00+00:00"


def test_state_commit_refuses_to_go_backwards(emulator, tmp_path):
    extract_account("beta", emulator.client("beta"), "full", "one", tmp_path)

    def interleave_another_run(event):
        if event.page == 1 and event.endpoint == "orders":
            state_path = Layout(tmp_path).state_path("beta")
            state = load_state(state_path)
            state["run_id"] = "sneaky"
            state_path.write_text(json.dumps(state))

    with pytest.raises(StateConflict, match="sneaky"):
        extract_account("beta", emulator.client("beta"), "incremental", "two", tmp_path, on_page=interleave_another_run)
