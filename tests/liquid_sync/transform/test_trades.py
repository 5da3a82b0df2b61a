"""Trades from API executions and export files, against the emulator: closed orders only,
fee shares, matching, the review queue, and the same trades whatever the order of arrival."""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal

from liquid_emulator.history import INITIAL_NOW_MS
from liquid_emulator.model import units_to_decimal
from tests.liquid_sync.pipeline import Pipeline, closed_executions, pending_executions

DAY_MS = 86_400_000


def execution_keys(executions) -> set:
    return {(e.id, e.my_side) for e in executions}


def account_executions(account) -> list:
    return [e for o in account.orders for e in o.executions]


def trade_rows(pipeline, where: str = "true") -> dict:
    rows = pipeline.rows(
        f"SELECT execution_id, side, quantity, price, fee, fee_currency, fee_estimated, source, match_rule, order_id"
        f" FROM trades WHERE account = 'alpha' AND {where}"
    )
    return {(r[0], r[1]): r[2:] for r in rows}


def test_api_trades_are_the_executions_of_closed_orders(pipeline):
    pipeline.sync(["alpha"], "full")
    account = pipeline.emulator.exchange.account("alpha")

    trades = trade_rows(pipeline)
    closed = closed_executions(account)
    assert len(trades) == len(closed) == len(execution_keys(closed))
    for e in closed:
        quantity, price, *_ = trades[(e.id, e.my_side)]
        assert (quantity, price) == (units_to_decimal(e.quantity), units_to_decimal(e.price))
    assert any(o.status == "cancelled" and o.executions for o in account.orders), "cancelled with fills count"
    waiting = pending_executions(account)
    assert waiting and not execution_keys(waiting) & trades.keys()
    assert {(r[0], r[1]) for r in pipeline.rows("SELECT execution_id, side FROM pending_executions")} == (
        execution_keys(waiting)
    )


def test_fee_shares_are_estimated_and_sum_to_each_order_fee(pipeline):
    pipeline.sync(["alpha"], "full")
    account = pipeline.emulator.exchange.account("alpha")
    trades = trade_rows(pipeline)
    by_order = defaultdict(list)
    for (execution_id, side), (quantity, price, fee, currency, estimated, source, rule, order_id) in trades.items():
        assert estimated and source == "api" and rule is None
        by_order[order_id].append((fee, currency))
    for order in account.orders:
        if order.status in ("filled", "cancelled") and order.executions:
            fees = by_order[order.id]
            assert sum(fee for fee, _ in fees) == units_to_decimal(order.order_fee), order.id
            assert {currency for _, currency in fees} == {order.funding_currency}
            assert all(fee * 10**8 == int(fee * 10**8) for fee, _ in fees), "shares are whole 1e-8 units"


def test_a_file_match_replaces_the_estimate_with_the_exact_fee(pipeline):
    paths = pipeline.export("alpha")
    pipeline.import_files("alpha", [paths.trades])
    pipeline.sync(["alpha"], "full")
    account = pipeline.emulator.exchange.account("alpha")

    trades = trade_rows(pipeline)
    for e in closed_executions(account):
        quantity, price, fee, currency, estimated, source, rule, _ = trades[(e.id, e.my_side)]
        assert (fee, currency, estimated) == (units_to_decimal(e.net_fee), e.fee_currency, False)
        assert (source, rule) == ("api+file", "execution_id_side")
    assert any(e.fee_currency == "QASH" for e in closed_executions(account)), "fees paid in QASH are covered"
    every_execution = len(account_executions(account))
    matches = pipeline.rows("SELECT rule, count(*), count(DISTINCT (execution_id, side)) FROM dedup_matches GROUP BY 1")
    assert matches == [("execution_id_side", every_execution, every_execution)], "closed and waiting ones"
    lines = pipeline.rows("SELECT min(line), max(line), count(DISTINCT line) FROM dedup_matches")
    assert lines == [(2, every_execution + 1, every_execution)], "every line of the trades export is recorded"


def test_overlapping_exports_and_syncs_in_any_order_give_identical_trades(emulator, tmp_path):
    account = emulator.exchange.account("alpha")
    middle = INITIAL_NOW_MS - 400 * DAY_MS
    reference = Pipeline(emulator, tmp_path / "files-first")
    first = reference.export("alpha", until_ms=middle + 30 * DAY_MS)
    second = reference.export("alpha", since_ms=middle)
    files = [*first, *second]

    reference.import_files("alpha", files)
    reference.sync(["alpha"], "full")
    reference.sync(["alpha"], "incremental")

    api_first = Pipeline(emulator, tmp_path / "api-first")
    api_first.sync(["alpha"], "incremental")
    api_first.import_files("alpha", files[:3])
    api_first.sync(["alpha"], "since_last_transaction")
    api_first.import_files("alpha", files[3:])
    api_first.sync(["alpha"], "incremental")

    interleaved = Pipeline(emulator, tmp_path / "interleaved")
    interleaved.import_files("alpha", files[:3])
    interleaved.sync(["alpha"], "since_last_transaction")
    interleaved.sync(["alpha"], "full")
    interleaved.import_files("alpha", files[3:])
    interleaved.load(interleaved.transform([]))

    expected = reference.table("trades")
    assert len(expected) == len(closed_executions(account))
    assert reference.rows("SELECT DISTINCT fee_estimated FROM trades") == [(False,)], "files give every fee"
    assert api_first.table("trades") == expected
    assert interleaved.table("trades") == expected
    assert interleaved.table("dedup_matches") != [] and interleaved.table("review_queue") == []


def test_trades_without_execution_ids_match_on_pair_side_quantity_price_and_time(pipeline):
    account = pipeline.emulator.exchange.account("alpha")
    paths = pipeline.export("alpha", omit_execution_ids=True)
    pipeline.import_files("alpha", [paths.trades])
    pipeline.sync(["alpha"], "full")

    closed = closed_executions(account)
    trades = trade_rows(pipeline)
    assert trades.keys() == execution_keys(closed), "no file trade is counted twice"
    by_rule = Counter(r[6] for r in trades.values())
    assert by_rule["pair_side_quantity_price_time_2s"] > len(closed) // 2
    review = pipeline.rows("SELECT reason, candidate_count, candidates, counted FROM review_queue")
    assert review, "fills of one taker order alike to the second are ambiguous"
    for reason, count, candidates, counted in review:
        assert reason.startswith("ambiguous") and not counted
        keys = {(int(c.split(":")[0]), c.split(":")[1]) for c in candidates.split(",")}
        assert keys <= execution_keys(account_executions(account)) and len(keys) == count
    file_rows = pipeline.rows("SELECT count(*) FROM file_trades WHERE account = 'alpha'")[0][0]
    matched = pipeline.rows("SELECT count(*) FROM dedup_matches")[0][0]
    assert matched + len(review) == file_rows, "every file trade is matched, waiting or under review"
    assert not pipeline.rows("SELECT 1 FROM trades WHERE source = 'file'")


def test_file_only_trades_count_until_the_api_brings_them(pipeline):
    account = pipeline.emulator.exchange.account("alpha")
    pipeline.import_files("alpha", pipeline.export("alpha"))
    pipeline.sync(["alpha"], "full", start_date="2021-06-01")

    trades = trade_rows(pipeline)
    assert trades.keys() == execution_keys(closed_executions(account))
    sources = Counter(r[5] for r in trades.values())
    assert sources["file"] and sources["api+file"]
    file_only_keys = {k for k, r in trades.items() if r[5] == "file"}

    pipeline.sync(["alpha"], "full")
    again = trade_rows(pipeline)
    assert again.keys() == trades.keys(), "the API's trades replace the file-only ones, no duplicate"
    assert {again[k][5] for k in file_only_keys} == {"api+file"}
    assert pipeline.rows("SELECT count(*), count(DISTINCT trade_key) FROM trades")[0] == (len(trades), len(trades))


def test_executions_of_open_orders_wait_until_a_later_sync_sees_the_order_closed(pipeline):
    emulator = pipeline.emulator
    account = emulator.exchange.account("alpha")
    paths = pipeline.export("alpha")
    pipeline.import_files("alpha", [paths.trades])
    pipeline.sync(["alpha"], "full")
    waiting = execution_keys(pending_executions(account))
    assert waiting and not waiting & trade_rows(pipeline).keys()
    waiting_matches = pipeline.rows("SELECT count(*) FROM dedup_matches AS m JOIN pending_executions AS p"
                                    " USING (account, execution_id, side)")[0][0]
    assert waiting_matches == len(waiting), "their file trades wait with them"

    emulator.admin("/clock/advance", {"days": 9})
    pipeline.sync(["alpha"], "incremental")

    trades = trade_rows(pipeline)
    now_closed = execution_keys(closed_executions(account))
    assert trades.keys() == now_closed and waiting & now_closed
    assert {trades[k][5] for k in waiting & now_closed} == {"api+file"}


def test_a_file_trade_that_disagrees_with_its_api_execution_is_queued_for_review(pipeline):
    account = pipeline.emulator.exchange.account("alpha")
    path = pipeline.export("alpha").trades
    lines = path.read_bytes().decode("utf-8").split("\r\n")
    quote, base, execution_id, kind, date, quantity, price, fee, fee_currency, amount = lines[1].split(",")
    lines[1] = ",".join((quote, base, execution_id, kind, date, quantity, str(Decimal(price) * 2), fee, fee_currency,
                         str(Decimal(amount) * 2)))
    path.write_bytes("\r\n".join(lines).encode("utf-8"))
    pipeline.import_files("alpha", [path])
    pipeline.sync(["alpha"], "full")

    side = "buy" if kind == "Bought" else "sell"
    assert pipeline.rows("SELECT reason, candidates, counted, price FROM review_queue") == [
        ("quantity or price differs from the API execution", f"{execution_id}:{side}", True, Decimal(price) * 2)]
    trade = pipeline.rows("SELECT price, fee, source FROM trades WHERE trade_key = ?", [f"{execution_id}:{side}"])
    assert trade == [(Decimal(price), Decimal(fee), "api+file")], "the API's price, the file's exact fee"
    assert len(trade_rows(pipeline)) == len(closed_executions(account))
